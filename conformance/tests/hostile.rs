//! `wsspec run` against hostile servers: a peer that refuses, stalls, lies, floods or
//! hangs must not stall, crash or exhaust the run. Every selected case still gets a
//! verdict that says what went wrong, the process exits with the documented status
//! (0 pass, 1 failures, 2 usage errors), and what a case records stays within the
//! runner's caps (10 000 events, 20 000 wire-log rows).
//!
//! Each scenario is a small tokio server on 127.0.0.1:0 with a task per connection. The
//! tests drive the runner through the library (1 s open timeout, 2 s case timers) or
//! through the binary (`--timeout 2 -q`). Every run sits inside a generous outer
//! timeout, so a regression that hangs shows as a failure instead of a stuck test;
//! nothing here asserts on elapsed time.

use std::fs::File;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use wsspec::catalog::{self, Case};
use wsspec::runner::{self, CaseRun, Observer, RunOptions, RunResults, Settings, Target};
use wsspec_codec::deflate::{DeflateConfig, PerMessageDeflate};
use wsspec_codec::frame::{Frame, FrameHeader, Opcode, Role, RSV1};
use wsspec_codec::handshake::{accept_key, accept_response, Request, RequestParser};
use wsspec_codec::Limits;
use wsspec_reports::Verdict;

/// The outer guard of every run: far beyond what any scenario needs.
const GUARD: Duration = Duration::from_secs(60);

/// The runner's caps (runner/fuzzer.rs `MAX_EVENTS`, runner/record.rs
/// `MAX_WIRELOG_ROWS`).
const MAX_EVENTS: usize = 10_000;
const MAX_WIRELOG_ROWS: usize = 20_000;

/// How much a flooding server writes at most, if the suite keeps reading that long.
const FLOOD_BYTES: u64 = 1 << 30;

/// A peak resident set far above what a run of a few cases needs (tens of MiB), far
/// below what keeping a flood would cost.
const MAX_PEAK_RSS_KIB: u64 = 256 << 10;

/// The cases most scenarios select: a plain echo, a ping, the two timing-sensitive
/// kinds (fixed waits) and a section 9 echo-length case.
const FIVE: [&str; 5] = ["1.1.1", "2.1", "5.19", "6.4.1", "9.1.1"];

const NEVER_OPENED: &str = "The WebSocket opening handshake was never completed!";

// ------------------------------------------------------------------ hostile servers

/// A server on a free loopback port that hands every connection to `act`, each on its
/// own task. Dropping it stops accepting; open connections live until the test's
/// runtime ends.
struct Hostile {
    addr: SocketAddr,
    accept: JoinHandle<()>,
}

impl Hostile {
    async fn start<F, Fut>(act: F) -> Hostile
    where
        F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(act(stream));
            }
        });
        Hostile { addr, accept }
    }

    fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }

    fn target(&self) -> Target {
        target_at(self.addr)
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

fn target_at(addr: SocketAddr) -> Target {
    Target {
        host: addr.ip().to_string(),
        port: addr.port(),
        resource: "/".to_owned(),
    }
}

/// Reads the client's opening handshake; `None` if it never arrives whole.
async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut parser = RequestParser::new(&Limits::default());
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        if let Some((request, _)) = parser.feed(&buf[..n]).ok()? {
            return Some(request);
        }
    }
}

/// The correct `101` answer to `request`, with a `Server` header naming the agent.
fn answer(request: &Request) -> Vec<u8> {
    accept_response(request, None, None, &[("Server", "hostile")])
}

/// Completes the opening handshake correctly; `false` if the client went away first.
async fn handshake(stream: &mut TcpStream) -> bool {
    match read_request(stream).await {
        Some(request) => stream.write_all(&answer(&request)).await.is_ok(),
        None => false,
    }
}

/// Keeps the connection open, reading nothing and writing nothing, until the test ends.
async fn hold(stream: TcpStream) {
    let _open = stream;
    std::future::pending::<()>().await;
}

/// Reads and discards everything until the client goes away.
async fn drain(mut reader: impl AsyncRead + Unpin) {
    let mut buf = vec![0u8; 64 << 10];
    while matches!(reader.read(&mut buf).await, Ok(n) if n > 0) {}
}

/// A handshake, then `bytes`, then reading everything and never closing.
async fn handshake_then(mut stream: TcpStream, bytes: Vec<u8>) {
    if handshake(&mut stream).await && stream.write_all(&bytes).await.is_ok() {
        drain(stream).await;
    }
}

/// An unmasked server frame.
fn frame(opcode: Opcode, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    Frame::new(opcode, payload).encode(&mut out);
    out
}

/// A frame header announcing `len` payload octets (in the 64-bit form when it needs
/// it), and no payload.
fn header(opcode: Opcode, fin: bool, len: u64) -> Vec<u8> {
    let mut out = Vec::new();
    FrameHeader {
        fin,
        ..FrameHeader::new(opcode, len)
    }
    .encode(&mut out);
    out
}

/// Writes `unit` over and over, up to [`FLOOD_BYTES`], until the client goes away;
/// counts what it wrote in `sent`.
async fn flood(mut writer: impl tokio::io::AsyncWrite + Unpin, unit: &[u8], sent: &AtomicU64) {
    let chunk = unit.repeat((64 << 10) / unit.len());
    while sent.load(Ordering::Relaxed) < FLOOD_BYTES {
        if writer.write_all(&chunk).await.is_err() {
            return;
        }
        sent.fetch_add(chunk.len() as u64, Ordering::Relaxed);
    }
}

// ------------------------------------------------------------------ running the suite

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Library settings: wstest's 1 s close and drop timeouts, a 1 s open timeout and 2 s
/// case timers, so a stalling peer costs a few seconds.
fn quick() -> Settings {
    Settings {
        open_timeout: secs(1),
        max_case_time: Some(secs(2)),
        ..Settings::default()
    }
}

/// The cases `ids` with their 1-based catalog positions.
fn selected(ids: &[&str]) -> Vec<(usize, &'static Case)> {
    let all = catalog::autobahn();
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

/// Runs `ids` against `target` through the library, inside the guard, and checks that
/// every case got a result, in the order given.
async fn run_lib(target: Target, ids: &[&str], settings: Settings) -> RunResults {
    let (_stop, stop_rx) = watch::channel(false);
    let options = RunOptions {
        target,
        settings,
        jobs: 4,
    };
    let observer: Arc<dyn Observer> = Arc::new(|_: &CaseRun, _: usize, _: usize| {});
    let results = tokio::time::timeout(
        GUARD,
        runner::run(selected(ids), options, observer, stop_rx),
    )
    .await
    .expect("the run stalled: still going after the 60 s guard");
    assert!(!results.interrupted, "the run says it was interrupted");
    let got: Vec<&str> = results.cases.iter().map(|c| c.detail.id.as_str()).collect();
    assert_eq!(got, ids, "every selected case has a result");
    results
}

/// What a run of the binary left behind.
struct CliRun {
    status: ExitStatus,
    stderr: String,
    stdout: String,
    /// The report directory.
    out: PathBuf,
    /// The child's peak resident set (Linux), sampled until it exited.
    peak_rss_kib: Option<u64>,
    _dir: tempfile::TempDir,
}

impl CliRun {
    /// index.json's only agent: case id → entry.
    fn index(&self) -> serde_json::Map<String, Value> {
        let index: Value = read_json(&self.out.join("index.json"));
        let agents = index.as_object().expect("index.json is an object");
        assert_eq!(agents.len(), 1, "one agent in index.json: {index}");
        agents.values().next().unwrap().as_object().unwrap().clone()
    }

    /// The per-case JSON of `id`, through index.json's `reportfile`.
    fn case(&self, id: &str) -> Value {
        let index = self.index();
        let entry = index
            .get(id)
            .unwrap_or_else(|| panic!("{id} is missing from index.json"));
        let file = entry["reportfile"].as_str().expect("a reportfile");
        read_json(&self.out.join(file))
    }

    /// Asserts that index.json holds exactly `ids`, each with both verdicts.
    fn assert_every_case(&self, ids: &[&str]) {
        let index = self.index();
        let mut got: Vec<&str> = index.keys().map(String::as_str).collect();
        let mut want = ids.to_vec();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "index.json lists every selected case");
        for (id, entry) in &index {
            for key in ["behavior", "behaviorClose"] {
                let verdict = entry[key].as_str().unwrap_or("");
                assert!(
                    !verdict.is_empty(),
                    "{id} has no {key} in index.json: {entry}"
                );
            }
        }
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The peak resident set of process `pid` so far, in KiB; `None` off Linux or once the
/// process has exited.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
    line.trim().trim_end_matches("kB").trim().parse().ok()
}

/// Runs `wsspec run [URL] --cases … --timeout 2 -q` with the report, standard output
/// and standard error in a temporary directory. The child is polled, not waited on,
/// so the in-process server keeps serving; it is killed (and the test failed) if it
/// outlives the guard.
async fn run_cli(url: Option<&str>, cases: &[&str]) -> CliRun {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let (stdout_path, stderr_path) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_wsspec"));
    command.arg("run");
    if let Some(url) = url {
        command.arg(url);
    }
    command
        .arg("--cases")
        .args(cases)
        .args(["--timeout", "2", "-q", "--out"])
        .arg(&out)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).unwrap())
        .stderr(File::create(&stderr_path).unwrap());
    let mut child = command.spawn().expect("the wsspec binary starts");
    let pid = child.id();
    let mut peak = None;
    let waiting = async {
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            peak = peak_rss_kib(pid).or(peak);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let status = match tokio::time::timeout(GUARD, waiting).await {
        Ok(status) => status,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("wsspec run stalled: still going after the 60 s guard");
        }
    };
    let stdout = std::fs::read_to_string(&stdout_path).unwrap();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap();
    assert!(!stderr.contains("panicked"), "wsspec panicked: {stderr}");
    CliRun {
        status,
        stderr,
        stdout,
        out,
        peak_rss_kib: peak,
        _dir: dir,
    }
}

// ------------------------------------------------------------------ verdict checks

fn result(run: &CaseRun) -> &str {
    run.detail.result.as_deref().unwrap_or("")
}

/// A case whose connection never opened: FAILED twice, `result` and
/// `wasNotCleanReason` saying what the server did.
fn assert_never_opened(run: &CaseRun, says: &str) {
    let d = &run.detail;
    assert_eq!(d.behavior, Verdict::Failed, "{}: {:?}", d.id, d.result);
    assert_eq!(d.behavior_close, Verdict::Failed, "{}", d.id);
    assert!(
        result(run).contains(says),
        "{}: result {:?} should say {says:?}",
        d.id,
        d.result
    );
    assert_eq!(d.result_close.as_deref(), Some(NEVER_OPENED), "{}", d.id);
    assert_eq!(d.was_not_clean_reason.as_deref(), d.result.as_deref());
    assert_eq!(d.was_clean, Some(false));
    assert_eq!(d.received, Some(Value::Array(Vec::new())));
}

/// A case in which the suite failed the connection with `code` because of what the
/// server sent: the close frame's reason says why, and the server never answered it.
fn assert_failed_by_suite(run: &CaseRun, code: u16, why: &str) {
    let d = &run.detail;
    assert_eq!(d.behavior, Verdict::Failed, "{}: {:?}", d.id, d.result);
    assert_ne!(d.behavior_close, Verdict::Ok, "{}", d.id);
    assert_eq!(d.failed_by_me, Some(true), "{}", d.id);
    assert_eq!(d.closed_by_me, Some(true), "{}", d.id);
    assert_eq!(
        d.local_close_code,
        Some(code),
        "{}: {:?}",
        d.id,
        d.local_close_reason
    );
    let reason = d.local_close_reason.as_deref().unwrap_or("");
    assert!(
        reason.contains(why),
        "{}: close reason {reason:?} should say {why:?}",
        d.id
    );
    assert_eq!(d.was_clean, Some(false), "{}", d.id);
}

// ------------------------------------------------------------------ the binary

#[tokio::test]
async fn nothing_listening_exits_2_with_one_clear_line() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("ws://127.0.0.1:{port}/");
    let run = run_cli(Some(&url), &FIVE).await;
    assert_eq!(run.status.code(), Some(2), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "one line: {:?}", run.stderr);
    let line = run.stderr.trim_end();
    assert!(
        line.starts_with(&format!(
            "wsspec: error: cannot connect to 127.0.0.1:{port}: "
        )),
        "{line:?}"
    );
    assert!(line.to_lowercase().contains("refused"), "{line:?}");
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        !run.out.join("index.json").exists(),
        "no report of a run that never started"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_stops_listening_after_the_probe_fails_every_case() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    // The first connection is the reachability probe; after it, nothing listens.
    tokio::spawn(async move {
        if let Ok((probe, _)) = listener.accept().await {
            drop(listener);
            drop(probe);
        }
    });
    let run = run_cli(Some(&url), &FIVE).await;
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    run.assert_every_case(&FIVE);
    for id in FIVE {
        let case = run.case(id);
        assert_eq!(case["behavior"], "FAILED", "{id}: {case}");
        assert_eq!(case["behaviorClose"], "FAILED", "{id}");
        assert_eq!(case["resultClose"], NEVER_OPENED, "{id}");
        // A case that connected before the listener closed is reset instead of refused.
        let result = case["result"].as_str().unwrap();
        assert!(
            [
                "cannot connect to",
                "reading the handshake answer failed",
                "cannot send the opening handshake",
                "the server closed the connection before answering"
            ]
            .iter()
            .any(|s| result.starts_with(s)),
            "{id}: {result:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_the_handshake_fails_every_case_after_the_open_timeout() {
    let server = Hostile::start(|stream| async move { drain(stream).await }).await;
    // These three run in one phase, so the run costs one 5 s open timeout.
    let ids = ["1.1.1", "2.1", "9.1.1"];
    let run = run_cli(Some(&server.url()), &ids).await;
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    run.assert_every_case(&ids);
    for id in ids {
        let case = run.case(id);
        assert_eq!(case["behavior"], "FAILED", "{id}: {case}");
        assert_eq!(case["behaviorClose"], "FAILED", "{id}");
        assert_eq!(
            case["result"], "the server did not complete the opening handshake within 5 s",
            "{id}"
        );
        assert_eq!(case["resultClose"], NEVER_OPENED, "{id}");
        assert_eq!(case["httpResponse"], "?", "{id}");
    }
    assert_eq!(run.index()["1.1.1"]["remoteCloseCode"], Value::Null);
}

/// A frame header claiming 2^63 payload octets: the most significant bit of a 64-bit
/// length must be 0 (RFC 6455 §5.2), so the suite fails the connection with 1002.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_claiming_2_pow_63_octets_is_failed_with_1002() {
    let server =
        Hostile::start(|stream| handshake_then(stream, header(Opcode::Binary, true, 1 << 63)))
            .await;
    let run = run_cli(Some(&server.url()), &FIVE).await;
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    run.assert_every_case(&FIVE);
    for id in FIVE {
        let case = run.case(id);
        assert_eq!(case["behavior"], "FAILED", "{id}: {case}");
        assert_ne!(case["behaviorClose"], "OK", "{id}");
        assert_eq!(case["agent"], "hostile", "{id}");
        assert_eq!(case["failedByMe"], true, "{id}");
        assert_eq!(case["localCloseCode"], 1002, "{id}");
        let reason = case["localCloseReason"].as_str().unwrap();
        assert!(reason.contains("most significant bit"), "{id}: {reason:?}");
        assert!(reason.contains("RFC 6455 §5.2"), "{id}: {reason:?}");
        assert_eq!(case["wasClean"], false, "{id}");
        // The server reads but never answers the close, so the suite drops TCP: when
        // the close timeout fires, or (1.1.1) when the case's kill timer fires first.
        assert_eq!(case["droppedByMe"], true, "{id}");
        if id != "1.1.1" {
            assert_eq!(case["wasCloseHandshakeTimeout"], true, "{id}");
            assert_eq!(
                case["wasNotCleanReason"], "peer did not respond (in time) in closing handshake",
                "{id}"
            );
        }
        assert_eq!(case["received"], Value::Array(Vec::new()), "{id}");
    }
}

/// 2^62 octets is a legal length, but far beyond the 64 MiB frame limit: 1009, and
/// nothing of that size is ever allocated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_claiming_2_pow_62_octets_is_failed_with_1009() {
    let server =
        Hostile::start(|stream| handshake_then(stream, header(Opcode::Binary, true, 1 << 62)))
            .await;
    let ids = ["1.1.1", "2.1", "9.1.1"];
    let run = run_cli(Some(&server.url()), &ids).await;
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    run.assert_every_case(&ids);
    for id in ids {
        let case = run.case(id);
        assert_eq!(case["behavior"], "FAILED", "{id}: {case}");
        assert_eq!(case["failedByMe"], true, "{id}");
        assert_eq!(case["localCloseCode"], 1009, "{id}");
        let reason = case["localCloseReason"].as_str().unwrap();
        assert!(
            reason.contains(&format!("{}-byte frame exceeds the", 1u64 << 62)),
            "{id}: {reason:?}"
        );
    }
    if let Some(peak) = run.peak_rss_kib {
        assert!(peak < MAX_PEAK_RSS_KIB, "peak RSS {peak} KiB");
    }
}

/// The server floods 125-octet pings (up to 1 GiB) and never reads a pong. The suite
/// stops answering once 1 MiB of pongs is queued, its kill timer still fires, the
/// close it then sends is stuck behind the pongs, and the close timeout drops TCP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ping_flood_that_never_reads_the_pongs_ends_with_bounded_records_and_memory() {
    let sent = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&sent);
    let server = Hostile::start(move |mut stream| {
        let sent = Arc::clone(&counter);
        async move {
            if handshake(&mut stream).await {
                flood(stream, &frame(Opcode::Ping, &[0x5a; 125]), &sent).await;
            }
        }
    })
    .await;
    let ids = ["1.1.1", "2.1"];
    let run = run_cli(Some(&server.url()), &ids).await;
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    run.assert_every_case(&ids);
    for id in ids {
        let case = run.case(id);
        assert_eq!(case["behavior"], "FAILED", "{id}: {case}");
        assert_eq!(case["wasClean"], false, "{id}");
        let received = case["received"].as_array().unwrap().len();
        let rows = case["wirelog"].as_array().unwrap().len();
        assert!(received <= MAX_EVENTS, "{id}: {received} events");
        assert!(rows <= MAX_WIRELOG_ROWS, "{id}: {rows} wire-log rows");
        // The flood went past the caps, so the caps are what kept the records small.
        let pings = case["rxFrameStats"]["9"].as_u64().unwrap_or(0);
        assert!(
            pings > MAX_WIRELOG_ROWS as u64,
            "{id}: only {pings} pings arrived"
        );
    }
    assert_peak_rss(&run);
    eprintln!(
        "ping flood: {} MiB written by the server, peak RSS {:?} KiB",
        sent.load(Ordering::Relaxed) >> 20,
        run.peak_rss_kib
    );
}

/// The server floods tiny text messages (up to 1 GiB) and reads what the suite sends.
/// After 10 000 recorded events the suite fails the connection with 1008.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_flood_is_failed_with_1008_at_the_event_cap() {
    let sent = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&sent);
    let server = Hostile::start(move |mut stream| {
        let sent = Arc::clone(&counter);
        async move {
            if handshake(&mut stream).await {
                let (reader, writer) = stream.into_split();
                tokio::spawn(drain(reader));
                flood(writer, &frame(Opcode::Text, b"flood"), &sent).await;
            }
        }
    })
    .await;
    let ids = ["1.1.1", "2.1"];
    let run = run_cli(Some(&server.url()), &ids).await;
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    run.assert_every_case(&ids);
    for id in ids {
        let case = run.case(id);
        assert_eq!(case["behavior"], "FAILED", "{id}: {case}");
        assert_eq!(case["failedByMe"], true, "{id}");
        assert_eq!(case["localCloseCode"], 1008, "{id}");
        let reason = case["localCloseReason"].as_str().unwrap();
        assert!(
            reason.contains("more messages and pongs than any case expects"),
            "{reason:?}"
        );
        let received = case["received"].as_array().unwrap();
        assert_eq!(received.len(), MAX_EVENTS, "{id}: the cap is what tripped");
        assert_eq!(received[0], serde_json::json!(["message", "flood", false]));
        let rows = case["wirelog"].as_array().unwrap().len();
        assert!(rows <= MAX_WIRELOG_ROWS, "{id}: {rows} wire-log rows");
    }
    assert_peak_rss(&run);
}

fn assert_peak_rss(run: &CliRun) {
    if cfg!(target_os = "linux") {
        let peak = run.peak_rss_kib.expect("the child's VmHWM was sampled");
        assert!(
            peak < MAX_PEAK_RSS_KIB,
            "peak RSS {peak} KiB, bound {MAX_PEAK_RSS_KIB} KiB"
        );
    }
}

/// The control: a conforming server (the built-in echo server) passes, exit 0, so the
/// failures above are the servers' doing.
#[tokio::test]
async fn a_conforming_server_passes_with_exit_0() {
    let ids = ["1.1.1", "2.1"];
    let run = run_cli(None, &ids).await;
    assert_eq!(run.status.code(), Some(0), "{}{}", run.stderr, run.stdout);
    run.assert_every_case(&ids);
    for (id, entry) in run.index() {
        assert_eq!(entry["behavior"], "OK", "{id}");
        assert_eq!(entry["behaviorClose"], "OK", "{id}");
    }
}

// ------------------------------------------------------------------ the library

#[tokio::test]
async fn a_refused_connection_fails_each_case_saying_so() {
    let addr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let results = run_lib(target_at(addr), &FIVE, quick()).await;
    for run in &results.cases {
        assert_never_opened(run, &format!("cannot connect to {addr}: "));
    }
}

#[tokio::test]
async fn a_server_that_neither_reads_nor_answers_fails_each_case_at_the_open_timeout() {
    let server = Hostile::start(hold).await;
    let results = run_lib(server.target(), &FIVE, quick()).await;
    for run in &results.cases {
        assert_never_opened(
            run,
            "the server did not complete the opening handshake within 1 s",
        );
    }
}

#[tokio::test]
async fn a_server_that_closes_at_once_fails_each_case_saying_so() {
    let server = Hostile::start(|stream| async move { drop(stream) }).await;
    let results = run_lib(server.target(), &FIVE, quick()).await;
    for run in &results.cases {
        // The close may arrive as an end of stream or, had the request not been read,
        // as a reset.
        let said = result(run);
        assert!(
            said == "the server closed the connection before answering the opening handshake"
                || said.starts_with("reading the handshake answer failed: ")
                || said.starts_with("cannot send the opening handshake: "),
            "{said:?}"
        );
        assert_never_opened(run, "");
    }
}

#[tokio::test]
async fn garbage_instead_of_an_http_answer_fails_each_case_naming_the_problem() {
    let server = Hostile::start(|mut stream| async move {
        if read_request(&mut stream).await.is_some() {
            let _ = stream
                .write_all(b"\x00\xffSSH-2.0-OpenSSH_9.6 \xc3\x28\r\n\r\n")
                .await;
            drain(stream).await;
        }
    })
    .await;
    let results = run_lib(server.target(), &["1.1.1", "2.1"], quick()).await;
    for run in &results.cases {
        assert_never_opened(run, "invalid opening handshake answer: malformed HTTP head");
    }
}

#[tokio::test]
async fn an_endless_http_head_is_cut_off_at_the_handshake_limit() {
    let sent = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&sent);
    let server = Hostile::start(move |mut stream| {
        let sent = Arc::clone(&counter);
        async move {
            if read_request(&mut stream).await.is_some() {
                let (reader, mut writer) = stream.into_split();
                tokio::spawn(drain(reader));
                if writer
                    .write_all(b"HTTP/1.1 101 Switching Protocols\r\nX-Pad: ")
                    .await
                    .is_ok()
                {
                    flood(writer, b"a", &sent).await;
                }
            }
        }
    })
    .await;
    let results = run_lib(server.target(), &["1.1.1", "2.1"], quick()).await;
    let limit = quick().limits.max_handshake;
    for run in &results.cases {
        assert_never_opened(
            run,
            &format!(
                "invalid opening handshake answer: opening handshake head exceeds {limit} bytes"
            ),
        );
    }
}

#[tokio::test]
async fn a_non_101_status_fails_each_case_naming_the_status() {
    for (status, says) in [
        (
            "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found",
            "server answered 404 Not Found instead of 101 Switching Protocols",
        ),
        (
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            "server answered 200 OK instead of 101 Switching Protocols",
        ),
    ] {
        let server = Hostile::start(move |mut stream| async move {
            if read_request(&mut stream).await.is_some() {
                let _ = stream.write_all(status.as_bytes()).await;
                drain(stream).await;
            }
        })
        .await;
        let results = run_lib(server.target(), &["1.1.1", "9.1.1"], quick()).await;
        for run in &results.cases {
            assert_never_opened(run, says);
        }
    }
}

#[tokio::test]
async fn a_wrong_sec_websocket_accept_fails_each_case_naming_the_header() {
    let wrong = accept_key("not the key the suite sent");
    let expected_wrong = wrong.clone();
    let server = Hostile::start(move |mut stream| {
        let wrong = wrong.clone();
        async move {
            if read_request(&mut stream).await.is_some() {
                let head = format!(
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                     Connection: Upgrade\r\nSec-WebSocket-Accept: {wrong}\r\n\r\n"
                );
                let _ = stream.write_all(head.as_bytes()).await;
                // And frames the suite must never take for an echo.
                let _ = stream.write_all(&frame(Opcode::Text, b"")).await;
                drain(stream).await;
            }
        }
    })
    .await;
    let results = run_lib(server.target(), &["1.1.1", "2.1"], quick()).await;
    for run in &results.cases {
        assert_never_opened(
            run,
            "invalid opening handshake answer: Sec-WebSocket-Accept: ",
        );
        assert!(
            result(run).contains(&expected_wrong),
            "{:?}",
            run.detail.result
        );
    }
}

/// A correct answer, one octet a second: the open timeout ends it.
#[tokio::test]
async fn a_handshake_answer_trickled_a_byte_a_second_times_out() {
    let server = Hostile::start(|mut stream| async move {
        if let Some(request) = read_request(&mut stream).await {
            for byte in answer(&request) {
                if stream.write_all(&[byte]).await.is_err() {
                    return;
                }
                tokio::time::sleep(secs(1)).await;
            }
        }
    })
    .await;
    let results = run_lib(server.target(), &["1.1.1", "2.1"], quick()).await;
    for run in &results.cases {
        assert_never_opened(
            run,
            "the server did not complete the opening handshake within 1 s",
        );
    }
}

/// After a correct handshake, an echo trickled a byte a second and nothing read: the
/// kill timer fails the connection, the close goes unanswered, the suite drops TCP.
#[tokio::test]
async fn frames_trickled_a_byte_a_second_cannot_hold_a_case_open() {
    let server = Hostile::start(|mut stream| async move {
        if handshake(&mut stream).await {
            for byte in frame(Opcode::Text, b"Hello, world") {
                if stream.write_all(&[byte]).await.is_err() {
                    return;
                }
                tokio::time::sleep(secs(1)).await;
            }
            hold(stream).await;
        }
    })
    .await;
    let results = run_lib(server.target(), &["1.1.1"], quick()).await;
    let d = &results.cases[0].detail;
    assert_failed_by_suite(&results.cases[0], 1001, "Going Away");
    assert_eq!(
        d.result.as_deref(),
        Some("Actual events differ from any expected.")
    );
    assert_eq!(d.was_close_handshake_timeout, Some(true));
    assert_eq!(d.dropped_by_me, Some(true));
    assert_eq!(
        d.was_not_clean_reason.as_deref(),
        Some("peer did not respond (in time) in closing handshake")
    );
}

/// A correct handshake, then nothing: the server never reads (so a 16 MiB message
/// cannot be written) and never closes. Each case's own timer ends it, then the close
/// timeout.
#[tokio::test]
async fn a_server_that_answers_then_hangs_cannot_hold_a_case_open() {
    let server = Hostile::start(|mut stream| async move {
        if handshake(&mut stream).await {
            hold(stream).await;
        }
    })
    .await;
    let results = run_lib(server.target(), &["1.1.1", "9.1.6"], quick()).await;
    let [echo, big] = &results.cases[..] else {
        unreachable!()
    };
    assert_failed_by_suite(echo, 1001, "Going Away");
    assert_eq!(echo.detail.was_close_handshake_timeout, Some(true));
    // 9.1.6's close timer (100 s, capped at 2) sends a close without a code.
    let d = &big.detail;
    assert_eq!(d.behavior, Verdict::Failed);
    assert_eq!(
        d.result.as_deref(),
        Some("Did not receive message within 2 seconds.")
    );
    assert_eq!(d.closed_by_me, Some(true));
    assert_eq!(d.local_close_code, None);
    assert_eq!(d.was_close_handshake_timeout, Some(true));
    assert_eq!(d.dropped_by_me, Some(true));
    assert_eq!(d.was_clean, Some(false));
}

/// Frames no server may send, each on its own connection: the suite fails each with
/// the close code the RFC asks for and a reason naming the rule.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_frames_are_failed_with_the_code_and_rule_they_break() {
    let variants: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "reserved opcode",
            vec![0x8b, 0x00],
            1002,
            "reserved opcode 0xb",
        ),
        ("RSV bits", vec![0xf1, 0x00], 1002, "RSV bits 111"),
        (
            "masked frame",
            vec![0x81, 0x81, 1, 2, 3, 4, b'x' ^ 1],
            1002,
            "masked text frame from a server",
        ),
        (
            "126-octet ping",
            [&[0x89, 0x7e, 0x00, 0x7e][..], &[0u8; 126]].concat(),
            1002,
            "control frames carry at most 125 bytes",
        ),
        (
            "fragmented ping",
            vec![0x09, 0x00],
            1002,
            "control frames must not be fragmented",
        ),
        (
            "orphan continuation",
            vec![0x80, 0x01, b'x'],
            1002,
            "continuation frame without a message in progress",
        ),
        (
            "invalid UTF-8",
            vec![0x81, 0x02, 0xc3, 0x28],
            1007,
            "invalid UTF-8",
        ),
        (
            "close payload of 1 octet",
            vec![0x88, 0x01, 0x03],
            1002,
            "close control frame with payload len 1",
        ),
    ];
    let mut runs = Vec::new();
    for (name, bytes, code, why) in variants {
        runs.push(tokio::spawn(async move {
            let server = Hostile::start(move |stream| handshake_then(stream, bytes.clone())).await;
            let results = run_lib(server.target(), &["1.1.1"], quick()).await;
            (name, code, why, results)
        }));
    }
    for handle in runs {
        let (name, code, why, results) = handle.await.unwrap();
        let run = &results.cases[0];
        assert_eq!(
            run.detail.local_close_code,
            Some(code),
            "{name}: {:?}",
            run.detail.local_close_reason
        );
        assert_failed_by_suite(run, code, why);
        assert_eq!(
            run.detail.received,
            Some(Value::Array(Vec::new())),
            "{name}"
        );
    }
}

/// A fragmented message that never ends: the message limit, not memory, ends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_fragmented_message_is_failed_with_1009_at_the_message_limit() {
    let server = Hostile::start(|mut stream| async move {
        if handshake(&mut stream).await {
            let (reader, mut writer) = stream.into_split();
            tokio::spawn(drain(reader));
            let chunk = vec![0xfe; 60 << 10];
            let mut first = header(Opcode::Binary, false, chunk.len() as u64);
            first.extend_from_slice(&chunk);
            if writer.write_all(&first).await.is_err() {
                return;
            }
            let mut next = header(Opcode::Continuation, false, chunk.len() as u64);
            next.extend_from_slice(&chunk);
            let sent = AtomicU64::new(0);
            flood(writer, &next, &sent).await;
        }
    })
    .await;
    let mut settings = quick();
    settings.limits.max_message = 1 << 20;
    let results = run_lib(server.target(), &["1.1.1"], settings).await;
    assert_failed_by_suite(
        &results.cases[0],
        1009,
        "message exceeds the 1048576-byte message limit",
    );
}

/// A permessage-deflate message that inflates to 4 MiB of zeros from a few KiB: the
/// inflate limit (1 MiB here) fails it with 1009 before the memory is spent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decompression_bomb_is_failed_with_1009_at_the_message_limit() {
    let mut bomb = Vec::new();
    PerMessageDeflate::new(Role::Server, DeflateConfig::default())
        .compress(&vec![0; 4 << 20], &mut bomb);
    assert!(bomb.len() < 64 << 10, "{} octets compressed", bomb.len());
    let mut message = Vec::new();
    FrameHeader {
        rsv: RSV1,
        ..FrameHeader::new(Opcode::Binary, bomb.len() as u64)
    }
    .encode(&mut message);
    message.extend_from_slice(&bomb);
    let server = Hostile::start(move |mut stream| {
        let message = message.clone();
        async move {
            if let Some(request) = read_request(&mut stream).await {
                let accept = accept_response(&request, None, Some("permessage-deflate"), &[]);
                if stream.write_all(&accept).await.is_ok()
                    && stream.write_all(&message).await.is_ok()
                {
                    drain(stream).await;
                }
            }
        }
    })
    .await;
    let mut settings = quick();
    settings.limits.max_message = 1 << 20;
    let results = run_lib(server.target(), &["12.1.1"], settings).await;
    assert_failed_by_suite(&results.cases[0], 1009, "exceeds the 1048576-byte");
}

/// A frame cut off by the server closing TCP: the peer dropped the connection.
#[tokio::test]
async fn a_server_that_closes_mid_frame_is_reported_as_dropping_the_connection() {
    let server = Hostile::start(|mut stream| async move {
        if handshake(&mut stream).await {
            let mut partial = header(Opcode::Text, true, 1000);
            partial.extend_from_slice(b"only ten..");
            let _ = stream.write_all(&partial).await;
            // Close after the suite's frame has been read, so the close is a FIN.
            let mut buf = [0u8; 256];
            let _ = tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buf)).await;
        }
    })
    .await;
    let results = run_lib(server.target(), &["1.1.1", "2.1"], quick()).await;
    for run in &results.cases {
        let d = &run.detail;
        assert_eq!(d.behavior, Verdict::Failed, "{}", d.id);
        assert_eq!(d.behavior_close, Verdict::Failed, "{}", d.id);
        assert_eq!(
            d.result_close.as_deref(),
            Some("The connection was failed by the wrong endpoint"),
            "{}",
            d.id
        );
        assert_eq!(d.closed_by_me, Some(false), "{}", d.id);
        assert_eq!(d.dropped_by_me, Some(false), "{}", d.id);
        assert_eq!(d.was_clean, Some(false), "{}", d.id);
        assert_eq!(
            d.was_not_clean_reason.as_deref(),
            Some("peer dropped the TCP connection without previous WebSocket closing handshake"),
            "{}",
            d.id
        );
    }
}

/// Pongs nobody asked for, as fast as the server can (with a payload, so that 2.1
/// never sees the pong it expects): recorded up to the cap, then 1008.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pong_flood_is_failed_with_1008_at_the_event_cap() {
    let server = Hostile::start(|mut stream| async move {
        if handshake(&mut stream).await {
            let (reader, writer) = stream.into_split();
            tokio::spawn(drain(reader));
            let sent = AtomicU64::new(0);
            flood(writer, &frame(Opcode::Pong, b"flood"), &sent).await;
        }
    })
    .await;
    let results = run_lib(server.target(), &["1.1.1", "2.1"], quick()).await;
    for run in &results.cases {
        assert_failed_by_suite(run, 1008, "more messages and pongs than any case expects");
        let received = run
            .detail
            .received
            .as_ref()
            .and_then(Value::as_array)
            .unwrap();
        assert_eq!(received.len(), MAX_EVENTS, "{}", run.detail.id);
        let rows = run.detail.wirelog.as_ref().map_or(0, Vec::len);
        assert!(rows <= MAX_WIRELOG_ROWS, "{rows} wire-log rows");
    }
}

/// The server starts the closing handshake, gets the suite's answer, and never drops
/// TCP. 1.1.1's kill timer drops it; 2.1 has only a close timer, which does nothing
/// once closing, so the case's hard deadline ends it.
#[tokio::test]
async fn a_server_that_closes_but_never_drops_tcp_cannot_hold_a_case_open() {
    let close = frame(Opcode::Close, &1000u16.to_be_bytes());
    let server = Hostile::start(move |stream| handshake_then(stream, close.clone())).await;
    let results = run_lib(server.target(), &["1.1.1", "2.1"], quick()).await;
    for run in &results.cases {
        let d = &run.detail;
        assert_eq!(d.behavior, Verdict::Failed, "{}", d.id);
        assert_eq!(d.remote_close_code, Some(1000), "{}", d.id);
        assert_eq!(d.closed_by_me, Some(false), "{}", d.id);
        assert_eq!(d.local_close_code, Some(1000), "{}", d.id);
        assert_eq!(d.dropped_by_me, Some(true), "{}", d.id);
        assert_eq!(
            d.result_close.as_deref(),
            Some("The connection was failed by the wrong endpoint"),
            "{}",
            d.id
        );
    }
    let two_one = &results.cases[1].detail;
    assert_eq!(two_one.was_clean, Some(false));
    assert!(
        two_one
            .was_not_clean_reason
            .as_deref()
            .is_some_and(|r| r.contains("time limit") || r.contains("did not drop")),
        "{:?}",
        two_one.was_not_clean_reason
    );
}

// ------------------------------------------------------------------ known bugs

/// fuzzer.rs `never_open` writes `wasOpenHandshakeTimeout: false` even when the
/// opening handshake did time out; CaseDetail documents the field as "The opening
/// handshake timed out."
#[tokio::test]
async fn an_opening_handshake_timeout_is_recorded_as_one() {
    let server = Hostile::start(hold).await;
    let results = run_lib(server.target(), &["1.1.1"], quick()).await;
    let d = &results.cases[0].detail;
    assert!(result(&results.cases[0]).contains("did not complete the opening handshake"));
    assert_eq!(d.was_open_handshake_timeout, Some(true));
}

/// `runner::run` treats a stop channel whose sender is gone as "stop": each worker's
/// `select!` takes `stop.wait_for(..)`'s `Err` as the stop signal, so every case is
/// abandoned before it connects and the run comes back empty and "interrupted".
#[tokio::test]
async fn a_dropped_stop_sender_does_not_stop_the_run() {
    let server = Hostile::start(|stream| async move { drop(stream) }).await;
    let (stop_tx, stop_rx) = watch::channel(false);
    drop(stop_tx);
    let options = RunOptions {
        target: server.target(),
        settings: quick(),
        jobs: 4,
    };
    let observer: Arc<dyn Observer> = Arc::new(|_: &CaseRun, _: usize, _: usize| {});
    let results = tokio::time::timeout(
        GUARD,
        runner::run(selected(&["1.1.1", "2.1"]), options, observer, stop_rx),
    )
    .await
    .expect("the run stalled");
    assert!(!results.interrupted, "nobody asked the run to stop");
    assert_eq!(results.cases.len(), 2);
}

/// The summary a user reads (text, Markdown, HTML) should say why the suite failed the
/// connection. For a 2^63-octet claim it shows "Result: Actual events differ from any
/// expected." (or, for 9.x, "Did not receive message within 2 seconds.") and "Close:
/// sent 1002, received none; not clean: …": the reason the suite put in its close frame
/// ("64-bit payload length … has its most significant bit set (RFC 6455 §5.2)") is only
/// in the per-case JSON's `localCloseReason`, which no renderer shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_summary_says_why_the_suite_failed_the_connection() {
    let server =
        Hostile::start(|stream| handshake_then(stream, header(Opcode::Binary, true, 1 << 63)))
            .await;
    let run = run_cli(Some(&server.url()), &["2.1", "9.1.1"]).await;
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    assert_eq!(run.case("2.1")["localCloseCode"], 1002);
    assert_eq!(
        run.stdout.matches("most significant bit set").count(),
        2,
        "{}",
        run.stdout
    );
}
