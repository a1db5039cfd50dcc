//! `wsspec serve` on real sockets: the reference testee client runs a subset of the
//! catalog against it and gets the verdicts it gets from wstest's fuzzing server; two
//! clients run at once; hostile clients get verdicts and stall nothing; the
//! fuzzingserver URLs answer as wstest's do; section 101's wrong answers fail a client
//! that accepts them and pass one that refuses them.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use wsspec::catalog::{self, CasePattern, Suite};
use wsspec::cli::serve::served_cases;
use wsspec::runner::Settings;
use wsspec::serve::{self, handshake, ServeOptions, Served, ServedCase, Stop};
use wsspec_autobahn::client::{run_all, ClientOptions, WsUrl};
use wsspec_autobahn::io::Timeouts;
use wsspec_codec::decode::{FrameDecoder, FrameEvent};
use wsspec_codec::frame::{FrameHeader, Opcode, Role};
use wsspec_codec::handshake::{ClientRequest, ResponseParser};
use wsspec_codec::mask::apply_mask;
use wsspec_codec::Limits;
use wsspec_reports::{Policy, Verdict};

/// The served cases matching `patterns`, from the suite `suite`.
fn cases(suite: &str, patterns: &[&str]) -> Vec<ServedCase> {
    let include: Vec<CasePattern> = patterns.iter().copied().map(CasePattern::new).collect();
    let suite: Suite = suite.parse().unwrap();
    serve::select(&served_cases(suite), &include, &[]).expect("valid patterns")
}

struct Server {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<Served>,
}

impl Server {
    async fn start(cases: Vec<ServedCase>, out: &Path, exit_after: Option<usize>) -> Server {
        Server::start_with(cases, out, exit_after, Settings::default()).await
    }

    async fn start_with(
        cases: Vec<ServedCase>,
        out: &Path,
        exit_after: Option<usize>,
        settings: Settings,
    ) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let options = ServeOptions {
            cases,
            settings,
            out: out.to_path_buf(),
            policy: Policy::Strict,
            exit_after_reports: exit_after,
        };
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(serve::serve(
            listener,
            options,
            Arc::new(|_: &_| {}),
            stop_rx,
        ));
        Server { addr, stop, task }
    }

    async fn finish(self) -> Served {
        tokio::time::timeout(Duration::from_secs(60), self.task)
            .await
            .expect("the server stops")
            .expect("the server task does not panic")
    }

    async fn interrupt(self) -> Served {
        let _ = self.stop.send(true);
        self.finish().await
    }
}

fn testee(addr: SocketAddr, agent: &str) -> ClientOptions {
    ClientOptions {
        url: WsUrl::parse(&format!("ws://{addr}")).unwrap(),
        agent: agent.to_owned(),
        deflate: true,
        limits: Limits::default(),
        timeouts: Timeouts::default(),
        connect_timeout: Duration::from_secs(5),
        tls: None,
    }
}

/// agent → case id → (behavior, behaviorClose), from the report's index.json (without
/// the incomplete-run mark an interrupted session leaves beside the cases).
fn index(dir: &Path) -> BTreeMap<String, BTreeMap<String, (String, String)>> {
    let text = std::fs::read_to_string(dir.join("index.json")).expect("index.json written");
    let json: Value = serde_json::from_str(&text).unwrap();
    json.as_object()
        .unwrap()
        .iter()
        .map(|(agent, cases)| {
            let cases = cases
                .as_object()
                .unwrap()
                .iter()
                .filter(|(id, _)| id.as_str() != wsspec_reports::INCOMPLETE_KEY)
                .map(|(id, r)| {
                    let v = |k: &str| r[k].as_str().unwrap().to_owned();
                    (id.clone(), (v("behavior"), v("behaviorClose")))
                })
                .collect();
            (agent.clone(), cases)
        })
        .collect()
}

fn verdicts(pairs: &[(&str, &str, &str)]) -> BTreeMap<String, (String, String)> {
    pairs
        .iter()
        .map(|(id, b, c)| (id.to_string(), (b.to_string(), c.to_string())))
        .collect()
}

/// The cases the reference client runs in these tests, and its verdicts from wstest's
/// fuzzing server (autobahn/expected/client.json).
const SUBSET: [&str; 12] = [
    "1.1.1", "1.2.8", "2.5", "2.10", "3.1", "4.2.1", "5.1", "6.2.1", "7.1.6", "7.7.1", "9.1.1",
    "13.7.3",
];

fn subset_verdicts() -> BTreeMap<String, (String, String)> {
    let mut expected = verdicts(&[("7.1.6", "INFORMATIONAL", "INFORMATIONAL")]);
    for id in SUBSET {
        expected
            .entry(id.to_owned())
            .or_insert(("OK".to_owned(), "OK".to_owned()));
    }
    expected
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_client_gets_wstests_verdicts() {
    let out = tempfile::tempdir().unwrap();
    let server = Server::start(cases("autobahn", &SUBSET), out.path(), Some(1)).await;
    let count = run_all(&testee(server.addr, "testee")).await.unwrap();
    assert_eq!(count as usize, SUBSET.len());
    let served = server.finish().await;
    assert_eq!(served.stop, Stop::ReportsWritten);
    let report = index(out.path());
    assert_eq!(report.keys().collect::<Vec<_>>(), vec!["testee"]);
    assert_eq!(report["testee"], subset_verdicts());
    // The per-case details are wstest's, as server.
    let detail: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("testee_case_13_7_3.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(detail["isServer"], Value::Bool(true));
    assert_eq!(detail["case"], Value::from(12));
    assert_eq!(detail["droppedByMe"], Value::Bool(true));
    let response = detail["httpResponse"].as_str().unwrap();
    assert!(
        response.contains("Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; client_max_window_bits=9\r\n"),
        "{response}"
    );
    // Server frames are unmasked: wstest logs their mask as null.
    let first_tx = detail["wirelog"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row[0] == "TF")
        .cloned();
    if let Some(row) = first_tx {
        assert_eq!(row[5], Value::Null);
    }
    assert!(out.path().join("index.html").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_run_at_once_and_are_reported_apart() {
    let out = tempfile::tempdir().unwrap();
    let server = Server::start(cases("autobahn", &SUBSET), out.path(), Some(2)).await;
    let (client_a, client_b) = (
        testee(server.addr, "client-a"),
        testee(server.addr, "client-b"),
    );
    let (a, b) = tokio::join!(run_all(&client_a), run_all(&client_b));
    assert_eq!((a.unwrap(), b.unwrap()), (12, 12));
    let served = server.finish().await;
    assert_eq!(served.stop, Stop::ReportsWritten);
    let report = index(out.path());
    assert_eq!(report.len(), 2);
    assert_eq!(report["client-a"], subset_verdicts());
    assert_eq!(report["client-b"], subset_verdicts());
    assert!(out.path().join("client_a_case_1_1_1.json").exists());
    assert!(out.path().join("client_b_case_1_1_1.json").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wsspecs_own_sections_run_against_clients_too() {
    let out = tempfile::tempdir().unwrap();
    let picked = cases(
        "wsspec",
        &[
            "102.1.1",
            "102.2.2",
            "103.1.2",
            "103.4.1",
            "104.1.1.1.1",
            "104.2.5.3",
        ],
    );
    assert_eq!(picked.len(), 6);
    let server = Server::start(picked, out.path(), Some(1)).await;
    run_all(&testee(server.addr, "testee")).await.unwrap();
    let served = server.finish().await;
    let report = index(out.path());
    for (id, verdicts) in &report["testee"] {
        assert_eq!(verdicts.0, "OK", "{id}: {verdicts:?}");
        assert_eq!(verdicts.1, "OK", "{id}: {verdicts:?}");
    }
    // Every case of wsspec's sections names its rule.
    for run in &served.agents["testee"] {
        assert!(run.detail.wsspec_rfc().is_some(), "{}", run.detail.id);
    }
}

// ------------------------------------------------------------------ a raw client

/// A connection the test drives by hand.
struct Raw {
    stream: TcpStream,
    decoder: FrameDecoder,
    buffered: Vec<u8>,
}

/// What the server sent on a connection, in order, until it closed.
#[derive(Debug, Default)]
struct Seen {
    status: Option<u16>,
    texts: Vec<String>,
    close: Option<u16>,
}

impl Raw {
    /// Connects and sends the opening handshake for `path`; returns the raw connection
    /// and the server's answer head (or the HTTP status of a refusal).
    async fn open(addr: SocketAddr, path: &str) -> (Raw, Result<(), u16>) {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let request = ClientRequest::new(addr.to_string(), path);
        stream.write_all(&request.to_bytes()).await.unwrap();
        let mut parser = ResponseParser::new(&request, &Limits::default());
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
                .await
                .expect("an answer within 10 s")
                .unwrap();
            assert!(n > 0, "the server closed before answering {path}");
            head.extend_from_slice(&buf[..n]);
            match parser.feed(&buf[..n]) {
                Ok(Some((_, rest))) => {
                    let raw = Raw {
                        stream,
                        decoder: FrameDecoder::new(Role::Client, Limits::default()),
                        buffered: rest,
                    };
                    return (raw, Ok(()));
                }
                Ok(None) => {}
                Err(_) => {
                    let text = String::from_utf8_lossy(&head);
                    let status = text
                        .split_whitespace()
                        .nth(1)
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0);
                    let raw = Raw {
                        stream,
                        decoder: FrameDecoder::new(Role::Client, Limits::default()),
                        buffered: Vec::new(),
                    };
                    return (raw, Err(status));
                }
            }
        }
    }

    /// The next complete frame from the server (opcode, payload), or `None` at the end
    /// of TCP.
    async fn next_frame(&mut self) -> Option<(Opcode, Vec<u8>)> {
        let mut payload = Vec::new();
        let mut buf = vec![0u8; 4096];
        loop {
            let data = std::mem::take(&mut self.buffered);
            let mut slice = data.as_slice();
            while let Ok(Some(event)) = self.decoder.next_event(&mut slice) {
                match event {
                    FrameEvent::Header(_) => payload.clear(),
                    FrameEvent::Payload(chunk) => payload.extend_from_slice(chunk.data),
                    FrameEvent::End(header) => {
                        self.buffered = slice.to_vec();
                        return Some((header.opcode, payload));
                    }
                }
            }
            let read = tokio::time::timeout(Duration::from_secs(30), self.stream.read(&mut buf));
            let n = match read.await {
                Ok(Ok(n)) => n,
                Ok(Err(_)) => 0,
                Err(_) => panic!("the server neither closed nor sent anything for 30 s"),
            };
            if n == 0 {
                return None;
            }
            self.buffered.extend_from_slice(&buf[..n]);
        }
    }

    /// Reads frames until the server's close (answered) or the end of TCP.
    async fn read_all(&mut self) -> Seen {
        let mut seen = Seen::default();
        while let Some((opcode, payload)) = self.next_frame().await {
            match opcode {
                Opcode::Text => seen.texts.push(String::from_utf8(payload).unwrap()),
                Opcode::Close => {
                    seen.close = payload.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]]));
                    self.send(Opcode::Close, &payload).await;
                    break;
                }
                _ => {}
            }
        }
        seen
    }

    async fn send(&mut self, opcode: Opcode, payload: &[u8]) {
        let key = [1, 2, 3, 4];
        let mut bytes = Vec::new();
        FrameHeader {
            fin: true,
            rsv: 0,
            opcode,
            mask: Some(key),
            payload_len: payload.len() as u64,
        }
        .encode(&mut bytes);
        let start = bytes.len();
        bytes.extend_from_slice(payload);
        apply_mask(&mut bytes[start..], key, 0);
        let _ = self.stream.write_all(&bytes).await;
    }
}

/// Opens `path` and returns everything the server sent, or its refusal status.
async fn fetch(addr: SocketAddr, path: &str) -> Result<Seen, u16> {
    let (mut raw, answer) = Raw::open(addr, path).await;
    answer?;
    let mut seen = raw.read_all().await;
    seen.status = Some(101);
    Ok(seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fuzzingserver_urls_answer_as_wstests_do() {
    let out = tempfile::tempdir().unwrap();
    let server = Server::start(cases("all", &["1.1.1", "2.1", "101.1.1"]), out.path(), None).await;
    let addr = server.addr;

    let count = fetch(addr, "/getCaseCount").await.unwrap();
    assert_eq!(count.texts, vec!["3"]);
    assert_eq!(count.close, Some(1000));

    let info = fetch(addr, "/getCaseInfo?case=2").await.unwrap();
    assert_eq!(
        info.texts,
        vec![r#"{"id": "2.1", "description": "Send ping without payload."}"#]
    );
    let info = fetch(addr, "/getCaseInfo?casetuple=101.1.1").await.unwrap();
    assert_eq!(
        info.texts,
        vec![
            r#"{"id": "101.1.1", "description": "Answer with a Sec-WebSocket-Accept computed from another key."}"#
        ]
    );

    // Asked before the case has run, the status comes once it has.
    let status = tokio::spawn(fetch(addr, "/getCaseStatus?case=1&agent=raw"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !status.is_finished(),
        "no result yet: the status request waits"
    );
    let (mut raw, answer) = Raw::open(addr, "/runCase?case=1&agent=raw").await;
    answer.unwrap();
    // 1.1.1 sends an empty text message: echo it, then answer the close.
    assert_eq!(raw.next_frame().await, Some((Opcode::Text, Vec::new())));
    raw.send(Opcode::Text, b"").await;
    let seen = raw.read_all().await;
    assert_eq!(seen.close, Some(1000));
    let status = tokio::time::timeout(Duration::from_secs(10), status)
        .await
        .expect("the status once the case ran")
        .unwrap()
        .unwrap();
    assert_eq!(status.texts, vec![r#"{"behavior": "OK"}"#]);
    // And at once when the result is there.
    let again = fetch(addr, "/getCaseStatus?casetuple=1.1.1&agent=raw")
        .await
        .unwrap();
    assert_eq!(again.texts, vec![r#"{"behavior": "OK"}"#]);

    // What wstest refuses is refused, saying why; unknown paths are not found.
    assert_eq!(
        fetch(addr, "/runCase?case=4&agent=raw").await.unwrap_err(),
        400
    );
    assert_eq!(fetch(addr, "/runCase?case=1").await.unwrap_err(), 400);
    assert_eq!(fetch(addr, "/updateReports").await.unwrap_err(), 400);
    assert_eq!(fetch(addr, "/chat").await.unwrap_err(), 404);

    let update = fetch(addr, "/updateReports?agent=raw").await.unwrap();
    assert!(update.texts.is_empty());
    assert_eq!(update.close, Some(1000));
    assert_eq!(index(out.path())["raw"], verdicts(&[("1.1.1", "OK", "OK")]));
    // /stopServer stops it.
    let _ = fetch(addr, "/stopServer").await;
    let served = server.finish().await;
    assert_eq!(served.stop, Stop::Requested);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_clients_get_verdicts_and_stall_nothing() {
    let out = tempfile::tempdir().unwrap();
    let settings = Settings {
        open_timeout: Duration::from_secs(1),
        ..Settings::default()
    };
    let server = Server::start_with(
        cases("autobahn", &["1.1.1", "1.1.2", "2.1"]),
        out.path(),
        None,
        settings,
    )
    .await;
    let addr = server.addr;

    // Connections that never send a request, or send garbage, or an endless head.
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    let mut garbage = TcpStream::connect(addr).await.unwrap();
    garbage
        .write_all(b"\x00\xff garbage\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), garbage.read_to_end(&mut answer)).await;
    assert!(
        answer.starts_with(b"HTTP/1.1 4"),
        "a request that is no handshake gets a 4xx: {:?}",
        String::from_utf8_lossy(&answer)
    );
    let mut endless = TcpStream::connect(addr).await.unwrap();
    let flood = tokio::spawn(async move {
        let line = b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
        let _ = endless
            .write_all(b"GET /runCase?case=1&agent=x HTTP/1.1\r\n")
            .await;
        for _ in 0..100_000 {
            if endless.write_all(line).await.is_err() {
                return true;
            }
        }
        false
    });

    // A client that answers the handshake, then sends garbage and never closes.
    let (mut rude, answer) = Raw::open(addr, "/runCase?case=1&agent=rude").await;
    answer.unwrap();
    rude.stream
        .write_all(b"\x12\x34\x56 not a frame at all")
        .await
        .unwrap();
    // A client that never reads, never echoes and never closes.
    let (silent, answer) = Raw::open(addr, "/runCase?case=3&agent=silent").await;
    answer.unwrap();

    // Meanwhile a well-behaved client runs every case.
    let count = tokio::time::timeout(Duration::from_secs(30), run_all(&testee(addr, "polite")))
        .await
        .expect("the polite client is not stalled")
        .unwrap();
    assert_eq!(count, 3);
    assert!(
        tokio::time::timeout(Duration::from_secs(10), flood)
            .await
            .unwrap()
            .unwrap(),
        "an endless request head is cut off"
    );

    // The hostile ones get verdicts too, within their case's time limit.
    let rude_status = tokio::time::timeout(
        Duration::from_secs(30),
        fetch(addr, "/getCaseStatus?case=1&agent=rude"),
    )
    .await
    .expect("the rude client's case ends")
    .unwrap();
    assert_eq!(rude_status.texts, vec![r#"{"behavior": "FAILED"}"#]);
    let silent_status = tokio::time::timeout(
        Duration::from_secs(30),
        fetch(addr, "/getCaseStatus?case=3&agent=silent"),
    )
    .await
    .expect("the silent client's case ends")
    .unwrap();
    assert_eq!(silent_status.texts, vec![r#"{"behavior": "FAILED"}"#]);
    drop((idle, silent, rude));

    let served = server.interrupt().await;
    assert_eq!(served.stop, Stop::Interrupted);
    // Interrupted, the server still wrote what completed.
    let report = index(out.path());
    assert_eq!(
        report["polite"],
        verdicts(&[
            ("1.1.1", "OK", "OK"),
            ("1.1.2", "OK", "OK"),
            ("2.1", "OK", "OK")
        ])
    );
    assert_eq!(report["rude"]["1.1.1"].0, "FAILED");
    // No pong and no answer to the suite's close: FAILED, and not clean.
    assert_eq!(report["silent"]["2.1"], ("FAILED".into(), "UNCLEAN".into()));
}

// ------------------------------------------------------------------ section 101

/// A client of section 101: checks the answer as RFC 6455 §4.1 says (conformant), or
/// takes any answer for an open connection and echoes what it gets (broken).
async fn client_101(addr: SocketAddr, case: usize, agent: &str, conformant: bool) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut request = ClientRequest::new(
        addr.to_string(),
        format!("/runCase?case={case}&agent={agent}"),
    );
    request
        .extensions
        .push(wsspec_codec::deflate::DeflateOffer::new().to_extension());
    stream.write_all(&request.to_bytes()).await.unwrap();
    let mut parser = ResponseParser::new(&request, &Limits::default());
    let mut buf = [0u8; 4096];
    let mut received = Vec::new();
    let rest = loop {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0);
        received.extend_from_slice(&buf[..n]);
        if !conformant {
            if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                break received[end + 4..].to_vec();
            }
            continue;
        }
        match parser.feed(&buf[..n]) {
            Ok(Some((response, rest))) => {
                // The codec leaves extensions to the client (RFC 6455 §9.1).
                let offered = [wsspec_codec::deflate::DeflateOffer::new()];
                let bad = response
                    .extensions
                    .iter()
                    .any(|e| e.name != "permessage-deflate")
                    || wsspec_codec::deflate::negotiate_client_extensions(
                        &response.extensions,
                        &offered,
                    )
                    .is_err();
                if bad {
                    return;
                }
                break rest;
            }
            Ok(None) => {}
            // Fail the connection: close TCP, send nothing.
            Err(_) => return,
        }
    };
    assert!(!conformant, "every answer of section 101 is wrong");
    // The broken client echoes the probe, then answers the close.
    let mut raw = Raw {
        stream,
        decoder: FrameDecoder::new(Role::Client, Limits::default()),
        buffered: rest,
    };
    if let Some((Opcode::Text, payload)) = raw.next_frame().await {
        raw.send(Opcode::Text, &payload).await;
        let _ = raw.read_all().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn section_101_passes_a_client_that_fails_the_connection_and_fails_one_that_does_not() {
    let out = tempfile::tempdir().unwrap();
    let served_cases = cases("wsspec", &["101.*"]);
    let n = served_cases.len();
    assert_eq!(n, handshake::CASES.len());
    let server = Server::start(served_cases, out.path(), None).await;
    for case in 1..=n {
        client_101(server.addr, case, "good", true).await;
    }
    for case in [1, 9, 11, 13] {
        client_101(server.addr, case, "bad", false).await;
    }
    let _ = fetch(server.addr, "/updateReports?agent=good")
        .await
        .unwrap();
    let served = server.interrupt().await;
    let report = index(out.path());
    for id in handshake::CASES.iter().map(|c| c.id) {
        assert_eq!(
            report["good"][id],
            ("OK".to_owned(), "OK".to_owned()),
            "{id}: a client that closes TCP at once passes"
        );
    }
    let bad = &report["bad"];
    assert_eq!(bad.len(), 4);
    for (id, verdicts) in bad {
        assert_eq!(verdicts.0, "FAILED", "{id}: a client that echoes fails");
    }
    // The report says which rule, what was expected and what happened.
    let run = &served.agents["bad"][0].detail;
    assert_eq!(run.behavior, Verdict::Failed);
    assert_eq!(
        run.wsspec_rfc(),
        Some("RFC 6455 §4.1 (the client's check of Sec-WebSocket-Accept)")
    );
    assert!(run.wsspec_expected().unwrap().contains("closes TCP"));
    assert!(
        run.wsspec_actual().unwrap().contains("sent a text frame"),
        "{:?}",
        run.wsspec_actual()
    );
    let good = &served.agents["good"][0].detail;
    assert_eq!(good.wsspec_actual(), None);
    assert!(good.wsspec_rfc().is_some());
    // The catalog is unchanged by serving: the same Autobahn case count.
    assert_eq!(catalog::autobahn().len(), 517);
}

// ------------------------------------------------------------------ the command

/// Starts `wsspec serve ARGS --listen 127.0.0.1:0` and returns the child and the address
/// it says it listens on.
fn spawn_command(args: &[&str]) -> (std::process::Child, SocketAddr) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wsspec"))
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    // "wsspec: serving N cases to clients at ws://127.0.0.1:PORT …"
    let addr = line
        .split("ws://")
        .nth(1)
        .and_then(|rest| rest.split([';', ' ']).next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .parse()
        .unwrap();
    // Keep draining so the child never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    (child, addr)
}

/// Waits (at most 60 s) for the command to exit; its status.
async fn exit_status(mut child: std::process::Child) -> i32 {
    tokio::task::spawn_blocking(move || {
        for _ in 0..600 {
            if let Some(status) = child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        panic!("wsspec serve did not exit within 60 s of the report");
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_exits_after_the_report_with_the_gates_status() {
    // A client that passes: exit 0.
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    let (child, addr) = spawn_command(&[
        "--cases",
        "1.1.1",
        "2.1",
        "--out",
        dir,
        "--exit-after-report",
    ]);
    assert_eq!(run_all(&testee(addr, "testee")).await.unwrap(), 2);
    assert_eq!(exit_status(child).await, 0);
    assert_eq!(
        index(out.path())["testee"],
        verdicts(&[("1.1.1", "OK", "OK"), ("2.1", "OK", "OK")])
    );

    // A client that does not echo: exit 1, and the report says why.
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    let (child, addr) = spawn_command(&["--cases", "1.1.1", "--out", dir, "--exit-after-report"]);
    let (mut raw, answer) = Raw::open(addr, "/runCase?case=1&agent=mute").await;
    answer.unwrap();
    let _ = raw.read_all().await;
    fetch(addr, "/updateReports?agent=mute").await.unwrap();
    assert_eq!(exit_status(child).await, 1);
    assert_eq!(index(out.path())["mute"]["1.1.1"].0, "FAILED");

    // A usage error: exit 2.
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_wsspec"))
        .args(["serve", "--cases", "99.99"])
        .output()
        .unwrap()
        .status;
    assert_eq!(status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_session_marks_the_agents_that_did_not_finish() {
    let out = tempfile::tempdir().unwrap();
    let server = Server::start(cases("autobahn", &SUBSET), out.path(), None).await;
    assert_eq!(
        run_all(&testee(server.addr, "whole")).await.unwrap() as usize,
        SUBSET.len()
    );
    // One case of twelve, by a client that echoes nothing: it gets a verdict, then the
    // session is interrupted.
    fetch(server.addr, "/runCase?case=1&agent=part")
        .await
        .expect("case 1 is served");
    // getCaseStatus answers once the verdict is recorded.
    let status = tokio::time::timeout(
        Duration::from_secs(30),
        fetch(server.addr, "/getCaseStatus?case=1&agent=part"),
    )
    .await
    .expect("the case ends")
    .unwrap();
    assert_eq!(status.texts.len(), 1);
    let served = server.interrupt().await;
    assert_eq!(served.stop, Stop::Interrupted);
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("index.json")).unwrap())
            .unwrap();
    assert_eq!(
        index["part"]["wsspecIncomplete"],
        serde_json::json!({"completed": 1, "selected": 12})
    );
    assert!(index["part"]["1.1.1"]["behavior"].is_string());
    assert!(index["whole"].get("wsspecIncomplete").is_none());
    assert_eq!(index["whole"].as_object().unwrap().len(), SUBSET.len());
}
