//! `wsspec bench` against real sockets on 127.0.0.1: the reference echo server, a
//! server that stalls, and the command line's output and exit statuses. Short runs;
//! nothing here asserts how fast anything was.

#[path = "../../autobahn/tests/support/certs.rs"]
mod certs;

use std::net::SocketAddr;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wsspec::bench::{self, BenchMode, BenchPlan, Counters, PayloadKind};
use wsspec_autobahn::client::WsUrl;
use wsspec_autobahn::echo::{serve, EchoOptions};
use wsspec_autobahn::tls::{ClientTrust, TlsClient, TlsServer};
use wsspec_codec::handshake::{accept_response, RequestParser};
use wsspec_codec::Limits;

/// Starts the reference echo server on a free loopback port in its own runtime.
fn echo_server(deflate: bool) -> SocketAddr {
    echo_server_with(deflate, None)
}

fn echo_server_with(deflate: bool, tls: Option<TlsServer>) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let options = EchoOptions {
                deflate,
                tls,
                ..EchoOptions::default()
            };
            serve(listener, options).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

fn url(addr: SocketAddr) -> WsUrl {
    WsUrl::parse(&format!("ws://{addr}")).unwrap()
}

fn short_plan() -> BenchPlan {
    BenchPlan {
        connections: 4,
        warmup: Duration::from_millis(100),
        duration: Duration::from_millis(400),
        size: 100,
        timeout: Duration::from_secs(10),
        ..BenchPlan::default()
    }
}

#[tokio::test]
async fn closed_loop_against_the_echo_server_gets_every_message_back() {
    let addr = echo_server(false);
    let counters = Arc::new(Counters::default());
    let r = bench::run(&url(addr), None, &short_plan(), Arc::clone(&counters))
        .await
        .unwrap();
    assert_eq!(r.errors(), 0, "{:?}", r.problems);
    assert_eq!(r.opened, 4);
    assert!(r.sent > 0);
    assert_eq!(r.echoed, r.sent, "every message came back");
    assert_eq!(r.unanswered, 0);
    assert_eq!(counters.echoed(), r.echoed);
    assert!(r.measured() > 0 && r.measured() <= r.echoed);
    assert_eq!(r.latencies.len(), r.measured());
    let j = r.to_json();
    assert_eq!(j["measured"], r.measured());
    assert_eq!(j["pacing"], "closed-loop");
}

#[tokio::test]
async fn open_loop_against_the_echo_server_sends_exactly_the_schedule() {
    // 200 msg/s for 0.5 s (no warm-up): messages 0 … 99 are due, and each is sent,
    // echoed and measured, however the machine is loaded (within the timeout).
    let addr = echo_server(false);
    let plan = BenchPlan {
        connections: 3,
        warmup: Duration::ZERO,
        duration: Duration::from_millis(500),
        rate: Some(200.0),
        kind: PayloadKind::Text,
        size: 1000,
        ..short_plan()
    };
    let r = bench::run(&url(addr), None, &plan, Arc::new(Counters::default()))
        .await
        .unwrap();
    assert_eq!(r.errors(), 0, "{:?}", r.problems);
    assert_eq!(r.sent, 100);
    assert_eq!(r.echoed, 100);
    assert_eq!(r.measured(), 100);
    assert_eq!(r.messages_per_sec(), 200.0);
}

#[tokio::test]
async fn deflate_is_offered_and_large_messages_round_trip() {
    let addr = echo_server(true);
    let plan = BenchPlan {
        connections: 1,
        size: 1 << 20,
        deflate: true,
        ..short_plan()
    };
    let r = bench::run(&url(addr), None, &plan, Arc::new(Counters::default()))
        .await
        .unwrap();
    assert_eq!(r.errors(), 0, "{:?}", r.problems);
    assert!(r.echoed > 0);
    assert_eq!(r.echoed, r.sent);
}

#[tokio::test]
async fn wss_against_the_echo_server_over_tls() {
    let pki = certs::TestPki::new();
    let addr = echo_server_with(
        false,
        Some(TlsServer::from_pem_files(&pki.cert, &pki.key).unwrap()),
    );
    let url = WsUrl::parse(&format!("wss://{addr}")).unwrap();
    let trusting = TlsClient::new(&ClientTrust {
        extra_roots: vec![pki.ca.clone()],
        insecure: false,
    })
    .unwrap();
    let r = bench::run(
        &url,
        Some(trusting),
        &short_plan(),
        Arc::new(Counters::default()),
    )
    .await
    .unwrap();
    assert_eq!(r.errors(), 0, "{:?}", r.problems);
    assert!(r.echoed > 0);
    assert_eq!(r.echoed, r.sent);
    assert!(r.target.starts_with("wss://"), "{}", r.target);

    // Without the test CA the certificate is not trusted: every connection fails with
    // the TLS layer's one-line reason.
    let default_roots = TlsClient::new(&ClientTrust::default()).unwrap();
    let err = bench::run(
        &url,
        Some(default_roots),
        &short_plan(),
        Arc::new(Counters::default()),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("TLS: certificate not trusted"), "{err}");
}

/// A server that completes the handshake and then neither reads nor writes.
async fn stalled_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut parser = RequestParser::new(&Limits::default());
            let mut buf = [0u8; 4096];
            let request = loop {
                let n = stream.read(&mut buf).await.unwrap();
                if let Some((request, _)) = parser.feed(&buf[..n]).unwrap() {
                    break request;
                }
            };
            stream
                .write_all(&accept_response(&request, None, None, &[]))
                .await
                .unwrap();
            held.push(stream);
        }
    });
    addr
}

#[tokio::test]
async fn a_stalled_server_gives_timeouts_not_a_hang() {
    let addr = stalled_server().await;
    for rate in [None, Some(1000.0)] {
        let plan = BenchPlan {
            connections: 2,
            size: 256 << 10,
            rate,
            timeout: Duration::from_millis(500),
            ..short_plan()
        };
        let r = bench::run(&url(addr), None, &plan, Arc::new(Counters::default()))
            .await
            .unwrap();
        assert_eq!(r.timeouts, 2, "{rate:?}: {:?}", r.problems);
        assert_eq!(r.echoed, 0);
        assert_eq!(r.measured(), 0);
        assert!(r.unanswered > 0);
    }
}

#[tokio::test]
async fn send_mode_against_the_echo_server_sends_and_discards_the_echoes() {
    let addr = echo_server(false);
    let plan = BenchPlan {
        mode: BenchMode::Send,
        ..short_plan()
    };
    let counters = Arc::new(Counters::default());
    let r = bench::run(&url(addr), None, &plan, Arc::clone(&counters))
        .await
        .unwrap();
    assert_eq!(r.errors(), 0, "{:?}", r.problems);
    assert_eq!(r.opened, 4);
    assert!(r.sent > 0);
    assert_eq!(counters.sent(), r.sent);
    assert!(r.measured() > 0 && r.measured() <= r.sent);
    // The echo server echoes; what came back before our close frames was read.
    assert!(r.received > 0 && r.received <= r.sent);
    assert_eq!(r.received_bytes, r.received * 100);
    assert_eq!((r.echoed, r.unanswered), (0, 0));
    assert!(r.latencies.is_empty());
    let j = r.to_json();
    assert_eq!(j["mode"], "send");
    assert!(j["latency_ms"].is_null());
}

#[tokio::test]
async fn send_mode_against_a_stalled_server_times_out() {
    let addr = stalled_server().await;
    let plan = BenchPlan {
        connections: 2,
        size: 256 << 10,
        timeout: Duration::from_millis(500),
        mode: BenchMode::Send,
        ..short_plan()
    };
    let r = bench::run(&url(addr), None, &plan, Arc::new(Counters::default()))
        .await
        .unwrap();
    assert_eq!(r.timeouts, 2, "{:?}", r.problems);
    assert!(r.problems[0].0.contains("took none of our data"));
}

#[tokio::test]
async fn nothing_listening_is_an_error_naming_the_target() {
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let err = bench::run(
        &url(addr),
        None,
        &short_plan(),
        Arc::new(Counters::default()),
    )
    .await
    .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("cannot open any connection"), "{text}");
    assert!(text.contains(&addr.to_string()), "{text}");
}

fn wsspec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wsspec"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn cli_prints_the_table_and_writes_json() {
    let addr = echo_server(false);
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("bench.json");
    let out = wsspec(&[
        "bench",
        &format!("ws://{addr}"),
        "--connections",
        "2",
        "--duration",
        "0.3",
        "--warmup",
        "0.1",
        "--size",
        "64",
        "--text",
        "--json",
        json_path.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    for row in [
        "throughput",
        "latency p50",
        "latency p90",
        "latency p99 ",
        "latency p99.9",
        "latency max",
        "connect 0, protocol 0, timeouts 0, disconnects 0",
        "64 B text",
    ] {
        assert!(stdout.contains(row), "{row:?} missing from\n{stdout}");
    }
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    for field in [
        "target",
        "connections",
        "size",
        "payload",
        "pacing",
        "sent",
        "echoed",
        "measured",
        "messages_per_s",
        "mb_per_s",
        "latency_ms",
        "errors",
    ] {
        assert!(!j[field].is_null(), "{field} missing from {j}");
    }
    for p in ["p50", "p90", "p99", "p99.9", "max"] {
        assert!(
            j["latency_ms"][p].as_f64().is_some(),
            "{p} missing from {j}"
        );
    }
    assert_eq!(j["payload"], "text");
    assert_eq!(j["connections"], 2);
    assert_eq!(j["sent"], j["echoed"]);
    assert!(j["measured"].as_u64().unwrap() > 0);
}

#[test]
fn cli_json_to_stdout_replaces_the_table() {
    let addr = echo_server(false);
    let out = wsspec(&[
        "bench",
        &format!("ws://{addr}"),
        "-c",
        "1",
        "-d",
        "0.2",
        "--warmup",
        "0",
        "--rate",
        "50",
        "--json",
        "-",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["pacing"], "open-loop");
    assert_eq!(j["measured"], 10);
}

#[test]
fn cli_send_mode_exits_0_and_reports_no_latency() {
    let addr = echo_server(false);
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("bench.json");
    let out = wsspec(&[
        "bench",
        &format!("ws://{addr}"),
        "--mode",
        "send",
        "-c",
        "2",
        "-d",
        "0.3",
        "--warmup",
        "0.1",
        "--json",
        json_path.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("MB/s sent"), "{stdout}");
    assert!(stdout.contains("latency p99.9  n/a"), "{stdout}");
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(j["mode"], "send");
    assert!(j["sent"].as_u64().unwrap() > 0, "{j}");
    assert!(j["measured"].as_u64().unwrap() > 0, "{j}");
    assert!(j["latency_ms"].is_null(), "{j}");
}

#[test]
fn cli_usage_errors_exit_2_on_one_line() {
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let nothing_there = format!("ws://{addr}");
    for (args, needle) in [
        (
            vec!["bench", "ws://127.0.0.1:1", "--duration", "0"],
            "--duration",
        ),
        (vec!["bench", "ws://127.0.0.1:1", "--rate=0"], "--rate"),
        (vec!["bench", "http://x"], "is not a ws://"),
        (
            vec!["bench", "ws://127.0.0.1:1", "--mode", "flood"],
            "invalid value 'flood'",
        ),
        (
            vec!["bench", "ws://127.0.0.1:1", "--text", "--binary"],
            "cannot be used with",
        ),
        (vec!["bench", &nothing_there], "cannot open any connection"),
    ] {
        let out = wsspec(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
}
