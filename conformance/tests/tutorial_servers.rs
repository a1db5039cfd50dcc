//! The servers of `examples/tutorial-servers`, written the way blog posts teach, under
//! `wsspec run`: each starts with `node` on a free port, a selection of cases runs
//! against it through the library, and the findings the example's README describes are
//! asserted case by case — so a change in wsspec's verdicts (or in what the reports say
//! about them) shows up here.
//!
//! - `naive6455.js` reads only the 7-bit length, one frame per TCP read, never
//!   reassembles fragments, never checks UTF-8 and answers no ping: it passes the
//!   small-message cases and fails those that need 126+-byte or fragmented messages or
//!   UTF-8 validation;
//! - `careful6455.js` gets the framing right (sections 1–5, large and split frames,
//!   the split-delivery section) but checks neither UTF-8 nor close codes;
//! - `hixie76.js` speaks draft-76, and passes the legacy section 105.
//!
//! Node is on every machine this project runs on; without it the tests say so and
//! return. No assertion is about time.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use wsspec::catalog::{self, Case, Peer, Suite};
use wsspec::runner::{self, CaseRun, Observer, RunOptions, Settings, Target};
use wsspec_reports::{render_report, Format, Policy, RenderOptions, RunReport, Verdict};

/// The outer guard of a run: far beyond what the selections need.
const GUARD: Duration = Duration::from_secs(120);

/// A tutorial server running under node, killed when dropped.
struct NodeServer {
    child: Child,
    port: u16,
}

impl NodeServer {
    /// Starts `examples/tutorial-servers/<script>` on a free port (it is given port 0
    /// and prints the one it got), or `None`, with the reason printed, when `node`
    /// cannot be run.
    fn start(script: &str) -> Option<NodeServer> {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../examples/tutorial-servers")
            .join(script);
        let mut child = match Command::new("node")
            .arg(&path)
            .arg("0")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
        {
            Ok(child) => child,
            Err(e) => {
                eprintln!("skipped: cannot run `node` ({e}); the tutorial servers need Node.js");
                return None;
            }
        };
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the server prints where it listens");
        let port = line
            .trim()
            .strip_prefix("listening on ws://127.0.0.1:")
            .and_then(|rest| rest.trim_end_matches('/').parse().ok())
            .unwrap_or_else(|| panic!("{script} printed {line:?}, not its port"));
        Some(NodeServer { child, port })
    }

    fn target(&self) -> Target {
        Target {
            host: "127.0.0.1".to_owned(),
            port: self.port,
            resource: "/".to_owned(),
        }
    }
}

impl Drop for NodeServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The cases `ids` of the whole catalog (Autobahn's and wsspec's) with their 1-based
/// positions.
fn selected(ids: &[&str]) -> Vec<(usize, &'static Case)> {
    let all = catalog::suite(Suite::All, Some(Peer::Server));
    ids.iter()
        .map(|id| {
            let i = all
                .iter()
                .position(|c| c.id.as_str() == *id)
                .unwrap_or_else(|| panic!("no case {id} in the catalog"));
            (i + 1, &all[i])
        })
        .collect()
}

/// Every case of the catalog whose id starts with one of `prefixes` ("5." is section 5).
fn ids_under(prefixes: &[&str]) -> Vec<&'static str> {
    catalog::suite(Suite::All, Some(Peer::Server))
        .iter()
        .map(|c| c.id.as_str())
        .filter(|id| prefixes.iter().any(|p| id.starts_with(p)))
        .collect()
}

/// What a run gave: case id → result, and the text report a user reads.
struct Findings {
    cases: BTreeMap<String, CaseRun>,
    text: String,
}

impl Findings {
    fn verdicts(&self, id: &str) -> (&Verdict, &Verdict) {
        let detail = &self
            .cases
            .get(id)
            .unwrap_or_else(|| panic!("no result for {id}"))
            .detail;
        (&detail.behavior, &detail.behavior_close)
    }

    /// Both verdicts OK, for every case of `ids`.
    fn assert_ok(&self, ids: &[&str]) {
        let not_ok: Vec<String> = ids
            .iter()
            .filter(|id| self.verdicts(id) != (&Verdict::Ok, &Verdict::Ok))
            .map(|id| {
                let (b, c) = self.verdicts(id);
                format!("{id} {b}/{c}")
            })
            .collect();
        assert!(not_ok.is_empty(), "expected OK: {not_ok:?}\n{}", self.text);
    }

    /// `behavior` FAILED or NON-STRICT, or `behaviorClose` not OK: a finding.
    fn assert_fail(&self, ids: &[&str]) {
        let ok: Vec<&&str> = ids
            .iter()
            .filter(|id| {
                let (b, c) = self.verdicts(id);
                matches!(b, Verdict::Ok | Verdict::Informational) && *c == Verdict::Ok
            })
            .collect();
        assert!(ok.is_empty(), "expected findings, got OK: {ok:?}");
    }

    fn assert_unimplemented(&self, ids: &[&str]) {
        for id in ids {
            assert_eq!(self.verdicts(id).0, &Verdict::Unimplemented, "{id}");
        }
    }
}

/// Runs `ids` against `server` through the library, with wstest's own timers.
async fn run(server: &NodeServer, ids: &[&str]) -> Findings {
    let (_stop, stop_rx) = watch::channel(false);
    let options = RunOptions {
        target: server.target(),
        settings: Settings::default(),
        jobs: 4,
    };
    let observer: Arc<dyn Observer> = Arc::new(|_: &CaseRun, _: usize, _: usize| {});
    let results = tokio::time::timeout(
        GUARD,
        runner::run(selected(ids), options, observer, stop_rx),
    )
    .await
    .expect("the run stalled");
    assert!(!results.interrupted);
    let run = results.to_run("tutorial", "tutorial");
    let report = RunReport::new(&run, None, Policy::Strict).unwrap();
    let text = render_report(&report, Format::Text, RenderOptions { color: false });
    let cases = results
        .cases
        .into_iter()
        .map(|c| (c.detail.id.clone(), c))
        .collect();
    Findings { cases, text }
}

/// Small messages pass; 126+ bytes, fragments, UTF-8 and pings do not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn naive_fails_long_fragmented_and_invalid_text_and_passes_small_messages() {
    let Some(server) = NodeServer::start("naive6455.js") else {
        return;
    };
    let small = ["1.1.1", "1.1.2", "1.2.1", "1.2.2"];
    // 126, 127 and 128 bytes: a 16-bit length the server reads as a 7-bit one.
    let long = ["1.1.3", "1.1.4", "1.1.5", "1.2.3", "1.2.4", "1.2.5"];
    let fragmented = ["5.3", "5.4", "6.2.2"];
    let invalid_utf8 = ["6.3.1", "6.8.1", "6.12.1"];
    let ping = ["2.1", "2.2"];
    // 426 with the version it speaks, for a version it does not: it answers 400.
    let handshake = ["100.2.1"];
    let hixie = ["105.1.1", "105.2.1"];
    let ids: Vec<&str> = [
        &small[..],
        &long,
        &fragmented,
        &invalid_utf8,
        &ping,
        &handshake,
        &hixie,
    ]
    .concat();
    let findings = run(&server, &ids).await;
    findings.assert_ok(&small);
    findings.assert_fail(&long);
    findings.assert_fail(&fragmented);
    findings.assert_fail(&invalid_utf8);
    findings.assert_fail(&ping);
    findings.assert_fail(&handshake);
    findings.assert_unimplemented(&hixie);

    // The report names the rule and shows the broken length: the echo of 126 bytes
    // carries 126 in its 7-bit length, so its payload is read as a 16-bit length.
    let text = &findings.text;
    assert!(
        text.contains("Messages of 126 bytes or more (16- and 64-bit lengths) (RFC 6455 §5.2)"),
        "{text}"
    );
    assert!(text.contains("read as a text frame header (FIN) announcing a 16-bit length of"));
    assert!(text.contains("Sent: text frame (126 bytes, 16-bit length)"));
    assert!(text.contains("The pong never came back — 2 cases: 2.1–2.2"));
}

/// The framing sections and split delivery pass; UTF-8 and close codes do not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn careful_passes_the_framing_sections_and_fails_utf8_and_close_codes() {
    let Some(server) = NodeServer::start("careful6455.js") else {
        return;
    };
    let framing = ids_under(&["1.", "2.", "3.", "4.", "5."]);
    assert_eq!(framing.len(), 64);
    let valid_utf8 = ["6.2.1", "6.2.2", "6.2.3", "6.2.4", "6.5.1", "6.5.5"];
    let closing = [
        "7.1.1", "7.1.2", "7.1.3", "7.1.4", "7.1.5", "7.3.1", "7.3.3", "7.3.4", "7.3.5", "7.3.6",
        "7.7.1", "7.7.13",
    ];
    // Large messages, many fragments, a frame in 64-byte writes, 1000 round trips.
    let large = ["9.1.1", "9.2.1", "9.3.1", "9.5.1", "9.7.1", "10.1.1"];
    let handshake = [
        "100.1.1", "100.2.1", "100.3.1", "100.4.1", "100.6.1", "100.7.1",
    ];
    // Autobahn's cases one byte per write and at random split points, and a 2^63-byte
    // length claim.
    let split_and_limits = [
        "104.1.1.1.6",
        "104.1.5.6",
        "104.2.1.2.8",
        "104.2.5.15",
        "103.1.1",
    ];
    let more_ok = [
        &valid_utf8[..],
        &closing,
        &large,
        &handshake,
        &split_and_limits,
    ]
    .concat();
    let invalid_utf8 = ["6.3.1", "6.4.1", "6.12.1", "102.1.1", "104.1.6.3.1"];
    let close_codes = ["7.5.1", "7.9.1", "7.9.5"];
    // Two Sec-WebSocket-Key fields are one invalid key; Node's parser joins them.
    let duplicate_key = ["100.1.5"];
    let hixie = ["105.1.1"];
    let ids: Vec<&str> = [
        &framing[..],
        &more_ok,
        &invalid_utf8,
        &close_codes,
        &duplicate_key,
        &hixie,
    ]
    .concat();
    let findings = run(&server, &ids).await;
    findings.assert_ok(&framing);
    findings.assert_ok(&more_ok);
    findings.assert_fail(&invalid_utf8);
    findings.assert_fail(&close_codes);
    findings.assert_fail(&duplicate_key);
    findings.assert_unimplemented(&hixie);

    let text = &findings.text;
    assert!(
        text.contains("The server echoed the suite's close code instead of answering with 1002 (or no code) — 2 cases: 7.9.1, 7.9.5"),
        "{text}"
    );
    assert!(text
        .contains("Invalid UTF-8 in a text message fails the connection (1007) (RFC 6455 §8.1)"));
}

/// The legacy section: handshake answer, framing and closing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hixie76_passes_the_legacy_section() {
    let Some(server) = NodeServer::start("hixie76.js") else {
        return;
    };
    let legacy = ids_under(&["105."]);
    assert!(legacy.len() >= 10, "{legacy:?}");
    let findings = run(&server, &legacy).await;
    findings.assert_ok(&legacy);
}
