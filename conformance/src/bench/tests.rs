//! The bench loop against in-memory servers on tokio's paused clock: time moves only
//! when every task waits on a timer, so latencies and message counts are exact and no
//! test waits for real time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::mpsc;
use tokio::time::Instant;
use wsspec_codec::connection::{Config, Connection, Event};
use wsspec_codec::frame::{Frame, Opcode, Role};
use wsspec_codec::handshake::{accept_response, RequestParser};
use wsspec_codec::message::Message;
use wsspec_codec::Limits;

use super::connection::open;
use super::*;

/// When the test server sends the echo of a message that arrived at `arrival`
/// (`None`: never).
type Release = Arc<dyn Fn(Instant, &Message) -> Option<Reply> + Send + Sync>;

enum Reply {
    /// Echo it at this time.
    EchoAt(Instant),
    /// Send this message instead, now.
    Other(Message),
    /// Close the connection with 1001, now.
    Close,
    /// Send these bytes as they are, now.
    Raw(Vec<u8>),
}

/// A server on the other end of an in-memory pipe: answers the handshake, then for each
/// message does what `release` says; answers a close and then closes TCP.
/// With a `pause`, it sleeps that long after each read: a server that reads slowly, so
/// the paused clock moves while a client writes as fast as it can.
fn spawn_slow_server(stream: DuplexStream, release: Release, pause: Duration) {
    tokio::spawn(async move {
        let (mut reader, mut writer) = tokio::io::split(stream);
        let mut parser = RequestParser::new(&Limits::default());
        let mut buf = vec![0u8; 64 << 10];
        let (request, rest) = loop {
            let n = reader.read(&mut buf).await.unwrap();
            assert!(n > 0, "client went away during the handshake");
            if let Some(done) = parser.feed(&buf[..n]).unwrap() {
                break done;
            }
        };
        writer
            .write_all(&accept_response(&request, None, None, &[]))
            .await
            .unwrap();
        let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Vec<u8>, bool)>();
        tokio::spawn(async move {
            while let Some((at, bytes, last)) = rx.recv().await {
                tokio::time::sleep_until(at).await;
                if writer.write_all(&bytes).await.is_err() || last {
                    let _ = writer.shutdown().await;
                    return;
                }
            }
        });
        let mut conn = Connection::new(Role::Server, Config::default());
        conn.receive_data(&rest);
        loop {
            while let Some(event) = conn.next_event() {
                let now = Instant::now();
                match event {
                    Event::Message(m) => match release(now, &m) {
                        Some(Reply::EchoAt(at)) => {
                            let opcode = if m.is_binary() {
                                Opcode::Binary
                            } else {
                                Opcode::Text
                            };
                            let mut bytes = Vec::new();
                            Frame::new(opcode, m.as_bytes()).encode(&mut bytes);
                            let _ = tx.send((at, bytes, false));
                        }
                        Some(Reply::Other(other)) => {
                            conn.send_message(&other).unwrap();
                        }
                        Some(Reply::Close) => {
                            conn.close(Some(wsspec_codec::CloseCode::GOING_AWAY), "bye");
                        }
                        Some(Reply::Raw(bytes)) => {
                            let _ = tx.send((now, bytes, false));
                        }
                        None => {}
                    },
                    Event::Close(_) => {
                        let _ = tx.send((now, conn.data_to_send(), true));
                        return;
                    }
                    _ => {}
                }
            }
            if conn.has_data_to_send() {
                let _ = tx.send((Instant::now(), conn.data_to_send(), false));
            }
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => conn.receive_data(&buf[..n]),
            }
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
    });
}

/// Opens `n` connections to servers that answer as `release` says, and runs `plan`.
async fn bench(n: u32, plan: &BenchPlan, release: Release) -> BenchReport {
    slow_bench(n, plan, release, Duration::ZERO).await
}

/// [`bench`] against servers that pause after each read.
async fn slow_bench(n: u32, plan: &BenchPlan, release: Release, pause: Duration) -> BenchReport {
    let mut opened = Vec::new();
    for _ in 0..n {
        let (mut client, server) = tokio::io::duplex(256 << 10);
        spawn_slow_server(server, Arc::clone(&release), pause);
        let (conn, rest) = open(
            &mut client,
            "test:1",
            "/",
            false,
            plan.limits(),
            plan.timeout,
        )
        .await
        .unwrap();
        opened.push((client, conn, rest));
    }
    measure(
        "ws://test:1".into(),
        opened,
        Vec::new(),
        plan,
        Arc::new(Counters::default()),
    )
    .await
    .unwrap()
}

fn echo_after(delay: Duration) -> Release {
    Arc::new(move |now, _| Some(Reply::EchoAt(now + delay)))
}

/// Echoes at once, except that what arrives in `[from, until)` (after the start) is
/// held until `until`: a server that stalls for a while.
fn stalls(start: Instant, from: Duration, until: Duration) -> Release {
    Arc::new(move |now, _| {
        let t = now - start;
        Some(Reply::EchoAt(if t >= from && t < until {
            start + until
        } else {
            now
        }))
    })
}

fn count_at_least(r: &BenchReport, ms: u64) -> u64 {
    r.latencies
        .iter_recorded()
        .filter(|v| v.value_iterated_to() >= ms * 1_000_000)
        .map(|v| v.count_at_value())
        .sum()
}

#[tokio::test(start_paused = true)]
async fn closed_loop_counts_only_messages_sent_in_the_measured_window() {
    let plan = BenchPlan {
        connections: 2,
        warmup: Duration::from_millis(100),
        duration: Duration::from_secs(1),
        size: 64,
        ..BenchPlan::default()
    };
    let r = bench(2, &plan, echo_after(Duration::from_millis(5))).await;
    assert_eq!(r.errors(), 0, "{:?}", r.problems);
    assert_eq!(r.sent, r.echoed);
    assert_eq!(r.unanswered, 0);
    // Each connection sends at 0, 5, 10, … ms; those sent at 100 ≤ t < 1100 count.
    assert_eq!(r.measured(), 2 * 200);
    assert_eq!(r.sent, 2 * 220);
    // Every echo took exactly 5 ms (within the histogram's three digits).
    assert!(r.latencies.equivalent(r.latencies.min(), 5_000_000));
    assert!(r.latencies.equivalent(r.latencies.max(), 5_000_000));
    assert_eq!(r.messages_per_sec(), 400.0);
}

#[tokio::test(start_paused = true)]
async fn open_loop_sends_on_schedule_whatever_the_echo_delay() {
    let plan = BenchPlan {
        connections: 3,
        warmup: Duration::from_millis(500),
        duration: Duration::from_secs(2),
        rate: Some(300.0),
        size: 20,
        kind: PayloadKind::Text,
        ..BenchPlan::default()
    };
    // Echoes take 50 ms, far longer than the 10 ms between one connection's messages:
    // a closed loop would send 20 per second per connection, the schedule sends 100.
    let r = bench(3, &plan, echo_after(Duration::from_millis(50))).await;
    assert_eq!(r.errors(), 0, "{:?}", r.problems);
    assert_eq!(r.sent, 300 * 5 / 2);
    assert_eq!(r.echoed, r.sent);
    assert_eq!(r.measured(), 600);
    assert!(r.latencies.equivalent(r.latencies.min(), 50_000_000));
    assert!(r.latencies.equivalent(r.latencies.max(), 50_000_000));
}

#[tokio::test(start_paused = true)]
async fn open_loop_shows_a_stall_on_every_message_due_during_it() {
    // 100 msg/s; the server holds everything that arrives between 505 and 1505 ms
    // until 1505 ms. Messages go out a timer tick (1 ms) before they are due, at 9,
    // 19, … ms: the hundred sent at 509 … 1499 ms wait 996, 986, … 6 ms.
    let plan = BenchPlan {
        connections: 1,
        warmup: Duration::ZERO,
        duration: Duration::from_secs(2),
        rate: Some(100.0),
        ..BenchPlan::default()
    };
    let start = Instant::now();
    let r = bench(
        1,
        &plan,
        stalls(
            start,
            Duration::from_millis(505),
            Duration::from_millis(1505),
        ),
    )
    .await;
    assert_eq!(r.errors(), 0, "{:?}", r.problems);
    assert_eq!(r.measured(), 200);
    assert_eq!(count_at_least(&r, 500), 50, "sent at 509..=999 ms");
    assert_eq!(count_at_least(&r, 6), 100, "sent at 509..=1499 ms");
    assert!(
        r.latency_ms(0.99).unwrap() >= 975.0,
        "the third slowest of 200: 976 ms"
    );
}

#[tokio::test(start_paused = true)]
async fn closed_loop_sees_the_same_stall_as_one_slow_message() {
    // The coordinated omission the open loop avoids: waiting for each echo before
    // sending, the closed loop sends nothing during the stall, so it records one slow
    // message where the open loop recorded a hundred.
    let plan = BenchPlan {
        connections: 1,
        warmup: Duration::ZERO,
        duration: Duration::from_secs(2),
        ..BenchPlan::default()
    };
    let start = Instant::now();
    let slow = stalls(
        start,
        Duration::from_millis(505),
        Duration::from_millis(1505),
    );
    let gap = Duration::from_millis(10);
    let release: Release = Arc::new(move |now, m| match slow(now, m) {
        Some(Reply::EchoAt(at)) => Some(Reply::EchoAt(at.max(now + gap))),
        other => other,
    });
    let r = bench(1, &plan, release).await;
    assert_eq!(r.errors(), 0, "{:?}", r.problems);
    assert_eq!(count_at_least(&r, 500), 1);
    assert_eq!(count_at_least(&r, 20), 1);
    // Sent at 0, 10, … 500 ms; at 510 ms (held until 1505); at 1505, 1515, … 1995 ms.
    assert_eq!(r.measured(), 51 + 1 + 50);
}

#[tokio::test(start_paused = true)]
async fn a_server_that_never_echoes_times_out_instead_of_hanging() {
    let plan = BenchPlan {
        connections: 2,
        timeout: Duration::from_secs(3),
        ..BenchPlan::default()
    };
    let start = Instant::now();
    let r = bench(2, &plan, Arc::new(|_, _| None)).await;
    assert_eq!(r.timeouts, 2);
    assert_eq!(r.sent, 2, "one message each, then the wait for its echo");
    assert_eq!(r.unanswered, 2);
    assert_eq!(r.measured(), 0);
    assert!(r.problems[0].0.contains("no echo of message 0 within 3 s"));
    assert_eq!(Instant::now() - start, Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn a_server_that_stops_reading_times_out_while_writes_are_blocked() {
    // 1 MiB messages into a 256 KiB pipe to a server that never reads past the
    // handshake: our write blocks; the echo timeout still ends the connection.
    let plan = BenchPlan {
        connections: 1,
        size: 1 << 20,
        rate: Some(1000.0),
        timeout: Duration::from_secs(2),
        ..BenchPlan::default()
    };
    let (mut client, server) = tokio::io::duplex(256 << 10);
    tokio::spawn(async move {
        let (mut reader, mut writer) = tokio::io::split(server);
        let mut parser = RequestParser::new(&Limits::default());
        let mut buf = [0u8; 4096];
        let request = loop {
            let n = reader.read(&mut buf).await.unwrap();
            if let Some((request, _)) = parser.feed(&buf[..n]).unwrap() {
                break request;
            }
        };
        writer
            .write_all(&accept_response(&request, None, None, &[]))
            .await
            .unwrap();
        std::future::pending::<()>().await;
        drop((reader, writer));
    });
    let (conn, rest) = open(&mut client, "t:1", "/", false, plan.limits(), plan.timeout)
        .await
        .unwrap();
    let r = measure(
        "ws://t:1".into(),
        vec![(client, conn, rest)],
        Vec::new(),
        &plan,
        Arc::new(Counters::default()),
    )
    .await
    .unwrap();
    assert_eq!(r.timeouts, 1, "{:?}", r.problems);
    assert_eq!(r.echoed, 0);
    assert!(r.sent >= 1);
}

#[tokio::test(start_paused = true)]
async fn a_wrong_echo_is_a_protocol_error() {
    let plan = BenchPlan {
        connections: 1,
        ..BenchPlan::default()
    };
    let r = bench(
        1,
        &plan,
        Arc::new(|_, _| Some(Reply::Other(Message::Binary(b"not what you sent".to_vec())))),
    )
    .await;
    assert_eq!(r.protocol_errors, 1);
    assert!(
        r.problems[0].0.contains("echo of message 0 differs"),
        "{:?}",
        r.problems
    );
}

#[tokio::test(start_paused = true)]
async fn a_server_that_closes_mid_run_is_a_disconnect() {
    let plan = BenchPlan {
        connections: 1,
        ..BenchPlan::default()
    };
    let r = bench(1, &plan, Arc::new(|_, _| Some(Reply::Close))).await;
    assert_eq!(r.disconnects, 1, "{:?}", r.problems);
    assert!(
        r.problems[0].0.contains("close code 1001"),
        "{:?}",
        r.problems
    );
}

#[tokio::test(start_paused = true)]
async fn a_handshake_that_never_completes_times_out() {
    let (mut client, _server) = tokio::io::duplex(4096);
    let err = open(
        &mut client,
        "t:1",
        "/",
        false,
        Limits::default(),
        Duration::from_secs(4),
    )
    .await
    .unwrap_err();
    assert!(err.contains("within 4 s"), "{err}");
}

#[test]
fn plans_that_measure_nothing_are_refused() {
    for plan in [
        BenchPlan {
            connections: 0,
            ..BenchPlan::default()
        },
        BenchPlan {
            duration: Duration::ZERO,
            ..BenchPlan::default()
        },
        BenchPlan {
            timeout: Duration::ZERO,
            ..BenchPlan::default()
        },
        BenchPlan {
            rate: Some(0.0),
            ..BenchPlan::default()
        },
    ] {
        assert!(check(&plan).is_err(), "{plan:?}");
    }
}

/// Counts the messages the servers receive into `count`, and answers as `then` says.
fn counting(count: Arc<AtomicU64>, then: Release) -> Release {
    Arc::new(move |now, m| {
        count.fetch_add(1, Ordering::Relaxed);
        then(now, m)
    })
}

#[tokio::test(start_paused = true)]
async fn send_mode_open_loop_sends_exactly_the_schedule_and_discards_the_echoes() {
    let plan = BenchPlan {
        connections: 3,
        warmup: Duration::from_millis(500),
        duration: Duration::from_secs(2),
        rate: Some(300.0),
        size: 40,
        mode: BenchMode::Send,
        ..BenchPlan::default()
    };
    let arrived = Arc::new(AtomicU64::new(0));
    let release = counting(Arc::clone(&arrived), echo_after(Duration::from_millis(45)));
    let r = bench(3, &plan, release).await;
    assert_eq!(r.errors(), 0, "{:?}", r.problems);
    assert_eq!(r.sent, 300 * 5 / 2);
    assert_eq!(
        arrived.load(Ordering::Relaxed),
        r.sent,
        "the servers got them all"
    );
    assert_eq!(r.measured(), 600, "due in the 2 s after the warm-up");
    assert_eq!(r.messages_per_sec(), 300.0);
    // Each connection sends its messages 0 … 249 10 ms apart and its close frame right
    // after the last; the echoes of its last five (sent less than 45 ms before the
    // close) arrive after it and are dropped unread (RFC 6455 §1.4).
    assert_eq!((r.received, r.received_bytes), (3 * 245, 3 * 245 * 40));
    assert_eq!((r.echoed, r.unanswered), (0, 0));
    assert!(r.latencies.is_empty());
    assert_eq!(r.latency_ms(0.5), None);
}

#[tokio::test(start_paused = true)]
async fn send_mode_closed_loop_does_not_wait_for_echoes_that_never_come() {
    // The servers never echo and read 64 KiB a millisecond: echo mode would send one
    // message each and time out; send mode keeps writing, and the servers receive
    // exactly the messages it counts as sent.
    let plan = BenchPlan {
        connections: 2,
        warmup: Duration::from_millis(20),
        duration: Duration::from_millis(100),
        size: 1000,
        timeout: Duration::from_secs(1),
        mode: BenchMode::Send,
        ..BenchPlan::default()
    };
    let arrived = Arc::new(AtomicU64::new(0));
    let release = counting(Arc::clone(&arrived), Arc::new(|_, _| None));
    let r = slow_bench(2, &plan, release, Duration::from_millis(1)).await;
    assert_eq!(r.errors(), 0, "{:?}", r.problems);
    assert_eq!(arrived.load(Ordering::Relaxed), r.sent);
    // 120 ms at 65 messages of 1006 octets per millisecond and server, give or take
    // what the pipes hold.
    assert!(r.sent > 2 * 120 * 60, "{}", r.sent);
    assert!(r.measured() > 0 && r.measured() < r.sent);
    assert_eq!((r.received, r.echoed, r.unanswered), (0, 0, 0));
}

#[tokio::test(start_paused = true)]
async fn send_mode_against_a_server_that_never_reads_times_out_instead_of_hanging() {
    // The 256 KiB pipe takes 10 082 whole frames of 26 octets (2 header, 4 mask, 20
    // payload) and then nothing more.
    let plan = BenchPlan {
        connections: 1,
        timeout: Duration::from_secs(2),
        mode: BenchMode::Send,
        ..BenchPlan::default()
    };
    let (mut client, server) = tokio::io::duplex(256 << 10);
    tokio::spawn(async move {
        let (mut reader, mut writer) = tokio::io::split(server);
        let mut parser = RequestParser::new(&Limits::default());
        let mut buf = [0u8; 4096];
        let request = loop {
            let n = reader.read(&mut buf).await.unwrap();
            if let Some((request, _)) = parser.feed(&buf[..n]).unwrap() {
                break request;
            }
        };
        writer
            .write_all(&accept_response(&request, None, None, &[]))
            .await
            .unwrap();
        std::future::pending::<()>().await;
        drop((reader, writer));
    });
    let (conn, rest) = open(&mut client, "t:1", "/", false, plan.limits(), plan.timeout)
        .await
        .unwrap();
    let start = Instant::now();
    let r = measure(
        "ws://t:1".into(),
        vec![(client, conn, rest)],
        Vec::new(),
        &plan,
        Arc::new(Counters::default()),
    )
    .await
    .unwrap();
    assert_eq!(r.timeouts, 1, "{:?}", r.problems);
    assert!(
        r.problems[0].0.contains("took none of our data for 2 s"),
        "{:?}",
        r.problems
    );
    assert_eq!(r.sent, (256 << 10) / 26);
    assert_eq!(Instant::now() - start, Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn send_mode_still_decodes_what_comes_back_and_fails_on_a_reserved_opcode() {
    // RFC 6455 §5.2: opcode 0x3 is reserved; a frame with it fails the connection.
    let plan = BenchPlan {
        connections: 1,
        rate: Some(100.0),
        mode: BenchMode::Send,
        ..BenchPlan::default()
    };
    let r = bench(
        1,
        &plan,
        Arc::new(|_, _| Some(Reply::Raw(vec![0x83, 0x00]))),
    )
    .await;
    assert_eq!(r.protocol_errors, 1, "{:?}", r.problems);
    assert_eq!(r.errors(), 1);
}
