//! The binaries under real signals: `wsspec echo` on SIGTERM closes every connection
//! with 1001 and exits 0; `wsspec run` on SIGINT writes the report of the cases that
//! completed, marked incomplete, says where it is, and exits 1.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wsspec_autobahn::echo::{serve_connection, EchoOptions};
use wsspec_autobahn::io::SHUTDOWN_REASON;
use wsspec_codec::connection::{Config, Connection, Event};
use wsspec_codec::handshake::{ClientRequest, ResponseParser};
use wsspec_codec::{CloseCode, Limits, Role};

const GUARD: Duration = Duration::from_secs(60);

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Reads `stderr` lines on a thread; each arrives on the channel.
fn lines(stderr: ChildStderr) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

fn wait_for_line(rx: &mpsc::Receiver<String>, what: impl Fn(&str) -> bool) -> String {
    loop {
        let line = rx
            .recv_timeout(GUARD)
            .expect("the expected line never came");
        if what(&line) {
            return line;
        }
    }
}

fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    for _ in 0..(GUARD.as_millis() / 20) {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    panic!("the process did not exit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_on_sigterm_sends_1001_to_open_connections_and_exits_0() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wsspec"))
        .args(["echo", "--listen", "127.0.0.1:0", "--grace", "5"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = lines(child.stderr.take().unwrap());
    let line = wait_for_line(&rx, |l| l.contains("listening on ws://"));
    let addr = line.rsplit("ws://").next().unwrap().to_owned();

    let mut stream = TcpStream::connect(&addr).await.unwrap();
    let request = ClientRequest::new(addr.clone(), "/");
    stream.write_all(&request.to_bytes()).await.unwrap();
    let mut parser = ResponseParser::new(&request, &Limits::default());
    let mut buf = [0u8; 4096];
    let rest = loop {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0);
        if let Some((_, rest)) = parser.feed(&buf[..n]).unwrap() {
            break rest;
        }
    };
    let mut conn = Connection::new(Role::Client, Config::default());
    conn.receive_data(&rest);

    signal(&child, "TERM");
    let close = tokio::time::timeout(GUARD, async {
        loop {
            while let Some(event) = conn.next_event() {
                if let Event::Close(close) = event {
                    return close;
                }
            }
            // Pongs for the keepalive ping, then our close reply.
            let _ = stream.write_all(&conn.data_to_send()).await;
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed without a close frame");
            conn.receive_data(&buf[..n]);
        }
    })
    .await
    .unwrap();
    assert_eq!(close.code, Some(CloseCode::GOING_AWAY));
    assert_eq!(close.reason, SHUTDOWN_REASON);
    stream.write_all(&conn.data_to_send()).await.unwrap();
    let status = tokio::task::spawn_blocking(move || wait_exit(&mut child))
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let stopped = wait_for_line(&rx, |l| l.contains("echo server stopped"));
    assert!(
        stopped.contains("(1 connections were open, 0 dropped"),
        "{stopped}"
    );
}

/// Serves the first `echoing` connections as the reference echo server does and
/// holds every later one without answering its handshake.
async fn echo_then_hang(echoing: usize) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut served = 0;
        while let Ok((stream, _)) = listener.accept().await {
            served += 1;
            if served <= echoing {
                tokio::spawn(async move {
                    let _ = serve_connection(stream, &EchoOptions::default(), None).await;
                });
            } else {
                tokio::spawn(async move {
                    let _open = stream;
                    std::future::pending::<()>().await;
                });
            }
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_on_sigint_writes_the_completed_cases_marked_incomplete() {
    // The probe, then three cases, are echoed.
    let addr = echo_then_hang(4).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let cases = [
        "1.1.1", "1.1.2", "1.1.3", "1.1.4", "1.1.5", "1.1.6", "1.1.7", "1.1.8",
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_wsspec"))
        .arg("run")
        .arg(format!("ws://{addr}/"))
        .arg("--cases")
        .args(cases)
        .args(["-j", "1", "--timeout", "30", "--out"])
        .arg(&out)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = lines(child.stderr.take().unwrap());
    // Without a terminal the progress is a line per case here (every 10 % of 8).
    wait_for_line(&rx, |l| l == "wsspec: 3/8 cases done");
    signal(&child, "INT");
    let mut stdout = child.stdout.take().unwrap();
    let status = tokio::task::spawn_blocking(move || wait_exit(&mut child))
        .await
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let last = wait_for_line(&rx, |l| l.contains("INCOMPLETE RUN"));
    assert!(
        last.contains(&format!("partial report in {}", out.display())),
        "{last}"
    );

    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("index.json")).unwrap()).unwrap();
    let agent = index.as_object().unwrap().values().next().unwrap();
    let marker = &agent["wsspecIncomplete"];
    let completed = marker["completed"].as_u64().unwrap();
    assert_eq!(marker["selected"], 8);
    assert!((3..8).contains(&completed), "{marker}");
    // Every case that completed is there, with its per-case file.
    assert_eq!(agent.as_object().unwrap().len() as u64, completed + 1);
    assert_eq!(agent["1.1.1"]["behavior"], "OK");
    let file = agent["1.1.1"]["reportfile"].as_str().unwrap();
    assert!(out.join(file).is_file());

    let mut summary = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut summary).unwrap();
    assert_eq!(
        summary.lines().next(),
        Some(format!("INCOMPLETE RUN: {completed} of 8 cases").as_str()),
        "{summary}"
    );
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains(&format!("INCOMPLETE RUN: {completed} of 8 cases")));
}
