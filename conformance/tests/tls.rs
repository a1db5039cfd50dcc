//! `wsspec run wss://…`: the native suite over TLS against the reference echo server
//! with a certificate made at test time (rcgen). Over TLS the verdicts equal those over
//! plain TCP; `--ca` adds a trusted root; an untrusted certificate is a clear per-case
//! error (and a clear exit-2 line from the binary's probe); `--insecure` skips
//! verification with one warning line; a plain server on a `wss://` URL cannot hang a
//! case. And a peer that only ever pings cannot keep a case alive past its timeout.

#[path = "../../autobahn/tests/support/certs.rs"]
mod certs;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use certs::TestPki;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use wsspec::catalog::{self, Case, CasePattern};
use wsspec::runner::{self, CaseRun, Observer, RunOptions, RunResults, Settings, Target};
use wsspec_autobahn::echo::{serve, EchoOptions};
use wsspec_autobahn::tls::{ClientTrust, TlsClient, TlsServer};
use wsspec_codec::frame::{Frame, Opcode};
use wsspec_codec::handshake::{accept_response, RequestParser};
use wsspec_codec::Limits;
use wsspec_reports::Verdict;

/// The outer guard of every run: far beyond what any scenario needs.
const GUARD: Duration = Duration::from_secs(120);

/// Sections that exercise every kind of step (framing, pings, reserved bits, opcodes,
/// fragmentation with its timed waits, UTF-8, close handling, a big message, the
/// misc case and one permessage-deflate case) without the minutes sections 9, 12
/// and 13 take in full.
const SUBSET: [&str; 11] = [
    "1.*", "2.*", "3.*", "4.*", "5.*", "6.1.*", "6.4.*", "7.*", "9.1.1", "10.*", "12.1.1",
];

async fn start_echo(tls: Option<&TestPki>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let options = EchoOptions {
        tls: tls.map(|pki| TlsServer::from_pem_files(&pki.cert, &pki.key).unwrap()),
        ..EchoOptions::default()
    };
    tokio::spawn(serve(listener, options));
    addr
}

fn target(addr: SocketAddr) -> Target {
    Target {
        host: addr.ip().to_string(),
        port: addr.port(),
        resource: "/".to_owned(),
    }
}

fn trusting(pki: &TestPki) -> TlsClient {
    TlsClient::new(&ClientTrust {
        extra_roots: vec![pki.ca.clone()],
        insecure: false,
    })
    .unwrap()
}

fn selected(patterns: &[&str]) -> Vec<(usize, &'static Case)> {
    let all = catalog::autobahn();
    let include: Vec<CasePattern> = patterns.iter().map(|p| CasePattern::new(*p)).collect();
    catalog::select(all, &include, &[])
        .unwrap()
        .into_iter()
        .map(|case| {
            let i = all.iter().position(|c| c.id == case.id).unwrap();
            (i + 1, case)
        })
        .collect()
}

async fn run_lib(target: Target, patterns: &[&str], settings: Settings) -> RunResults {
    let (_stop, stop_rx) = watch::channel(false);
    let options = RunOptions {
        target,
        settings,
        jobs: 4,
    };
    let observer: Arc<dyn Observer> = Arc::new(|_: &CaseRun, _: usize, _: usize| {});
    let results = tokio::time::timeout(
        GUARD,
        runner::run(selected(patterns), options, observer, stop_rx),
    )
    .await
    .expect("the run stalled past the guard");
    assert!(!results.interrupted);
    results
}

fn verdicts(results: &RunResults) -> Vec<(String, Verdict, Verdict)> {
    results
        .cases
        .iter()
        .map(|c| {
            let d = &c.detail;
            (d.id.clone(), d.behavior.clone(), d.behavior_close.clone())
        })
        .collect()
}

fn result(run: &CaseRun) -> &str {
    run.detail.result.as_deref().unwrap_or("")
}

// ------------------------------------------------------------------ the library

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_suite_over_tls_gives_the_verdicts_it_gives_over_tcp() {
    let pki = TestPki::new();
    let plain = start_echo(None).await;
    let secure = start_echo(Some(&pki)).await;
    let over_tcp = run_lib(target(plain), &SUBSET, Settings::default()).await;
    let over_tls = run_lib(
        target(secure),
        &SUBSET,
        Settings {
            tls: Some(trusting(&pki)),
            ..Settings::default()
        },
    )
    .await;
    assert!(over_tls.cases.len() > 100, "{} cases", over_tls.cases.len());
    assert_eq!(verdicts(&over_tls), verdicts(&over_tcp));
    // And they are the reference server's verdicts: nothing failed.
    for (id, behavior, close) in verdicts(&over_tls) {
        assert!(
            matches!(
                behavior,
                Verdict::Ok | Verdict::NonStrict | Verdict::Informational
            ),
            "{id}: {behavior}"
        );
        assert!(
            matches!(close, Verdict::Ok | Verdict::Informational),
            "{id}: {close}"
        );
    }
}

#[tokio::test]
async fn an_untrusted_certificate_fails_each_case_saying_so() {
    let pki = TestPki::new();
    let addr = start_echo(Some(&pki)).await;
    let webpki_only = TlsClient::new(&ClientTrust::default()).unwrap();
    let settings = Settings {
        tls: Some(webpki_only),
        ..Settings::default()
    };
    let results = run_lib(target(addr), &["1.1.1", "2.1"], settings).await;
    for run in &results.cases {
        assert_eq!(run.detail.behavior, Verdict::Failed, "{}", run.detail.id);
        assert!(
            result(run).starts_with("TLS: certificate not trusted for 127.0.0.1: "),
            "{}: {}",
            run.detail.id,
            result(run)
        );
        assert_eq!(
            run.detail.was_not_clean_reason.as_deref(),
            Some(result(run))
        );
    }
}

#[tokio::test]
async fn a_plain_server_on_a_tls_connection_fails_each_case_at_the_open_timeout() {
    let pki = TestPki::new();
    // The plain server reads the TLS hello as the start of an HTTP head and waits.
    let addr = start_echo(None).await;
    let settings = Settings {
        open_timeout: Duration::from_secs(1),
        tls: Some(trusting(&pki)),
        ..Settings::default()
    };
    let results = run_lib(target(addr), &["1.1.1"], settings).await;
    let run = &results.cases[0];
    assert_eq!(run.detail.behavior, Verdict::Failed);
    assert!(result(run).starts_with("TLS: "), "{}", result(run));
}

// ------------------------------------------------------------------ the binary

fn wsspec(args: &[&str], out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wsspec"))
        .arg("run")
        .args(args)
        .args(["--timeout", "2", "-q", "--out"])
        .arg(out)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Runs the binary off the test's runtime threads, so the in-process server keeps
/// serving while it runs.
async fn wsspec_async(args: Vec<String>, out: &Path) -> Output {
    let out = out.to_owned();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        wsspec(&args, &out)
    })
    .await
    .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_wss_with_ca_passes_and_without_it_exits_2_with_one_line() {
    let pki = TestPki::new();
    let addr = start_echo(Some(&pki)).await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("wss://127.0.0.1:{}/", addr.port());
    let ca = pki.ca.to_str().unwrap().to_owned();

    let out = dir.path().join("trusted");
    let args = vec![url.clone(), "--cases".into(), "1.1.1".into(), "2.1".into()];
    let mut with_ca = args.clone();
    with_ca.extend(["--ca".to_owned(), ca]);
    let done = wsspec_async(with_ca, &out).await;
    assert_eq!(done.status.code(), Some(0), "{}", stderr(&done));
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("index.json")).unwrap()).unwrap();
    let agent = index.as_object().unwrap().values().next().unwrap();
    assert_eq!(agent["1.1.1"]["behavior"], "OK");
    assert_eq!(agent["2.1"]["behavior"], "OK");

    let refused = wsspec_async(args.clone(), &dir.path().join("untrusted")).await;
    let err = stderr(&refused);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(
        err.starts_with("wsspec: error: TLS: certificate not trusted for 127.0.0.1: "),
        "{err}"
    );

    let mut insecure = args;
    insecure.push("--insecure".into());
    let done = wsspec_async(insecure, &dir.path().join("insecure")).await;
    let err = stderr(&done);
    assert_eq!(done.status.code(), Some(0), "{err}");
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        ["wsspec: warning: --insecure: the server's certificate is not verified"]
    );
}

#[test]
fn ca_and_insecure_on_a_ws_url_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = wsspec(&["ws://127.0.0.1:9/", "--insecure"], &dir.path().join("r"));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("apply to wss:// URLs only"), "{err}");
}

// ------------------------------------------------------------------ keepalive abuse

/// A server that answers the handshake and then sends a ping every 10 ms forever,
/// reading (and counting the pongs of) everything the suite sends, never echoing and
/// never closing. Pings are activity, but not the activity any case waits for: every
/// case still ends at its own timers and the close timeouts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_only_ever_pings_cannot_keep_a_case_alive() {
    let pongs = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&pongs);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(ping_forever(stream, Arc::clone(&counter)));
        }
    });
    let settings = Settings {
        open_timeout: Duration::from_secs(1),
        max_case_time: Some(Duration::from_secs(2)),
        ..Settings::default()
    };
    // An echo case, a ping case and one whose wait would otherwise last 100 s.
    let results = run_lib(target(addr), &["1.1.1", "2.1", "9.1.1"], settings).await;
    assert_eq!(results.cases.len(), 3, "every case ended and has a verdict");
    for run in &results.cases {
        let d = &run.detail;
        assert_eq!(d.behavior, Verdict::Failed, "{}: {:?}", d.id, d.result);
        assert_eq!(d.was_clean, Some(false), "{}", d.id);
        let pings = d
            .rx_frame_stats
            .as_ref()
            .and_then(|s| s.get(&9).copied())
            .unwrap_or(0);
        assert!(pings > 10, "{}: only {pings} pings arrived", d.id);
    }
    assert!(
        pongs.load(Ordering::Relaxed) > 0,
        "the suite answered the pings"
    );
}

async fn ping_forever(mut stream: TcpStream, pongs: Arc<AtomicU64>) {
    let mut parser = RequestParser::new(&Limits::default());
    let mut buf = [0u8; 4096];
    let request = loop {
        let Ok(n) = stream.read(&mut buf).await else {
            return;
        };
        if n == 0 {
            return;
        }
        match parser.feed(&buf[..n]) {
            Ok(Some((request, _))) => break request,
            Ok(None) => {}
            Err(_) => return,
        }
    };
    let answer = accept_response(&request, None, None, &[("Server", "pinger")]);
    if stream.write_all(&answer).await.is_err() {
        return;
    }
    let (mut reader, mut writer) = stream.into_split();
    tokio::spawn(async move {
        // Client frames are masked: a pong is 0x8A then 0x80 | length.
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf).await {
            if n == 0 {
                return;
            }
            let seen = buf[..n]
                .windows(2)
                .filter(|w| w[0] == 0x8A && w[1] & 0x80 != 0);
            pongs.fetch_add(seen.count() as u64, Ordering::Relaxed);
        }
    });
    let mut ping = Vec::new();
    Frame::new(Opcode::Ping, b"still here?".as_slice()).encode(&mut ping);
    loop {
        if writer.write_all(&ping).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
