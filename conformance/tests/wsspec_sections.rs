//! wsspec's own sections against servers that are wrong in one way each, on real
//! sockets on 127.0.0.1: each fault makes the cases that check its rule fail, with the
//! expectation and what the server actually did in the report (`wsspecExpected`,
//! `wsspecActual`), and the reference echo server passes the same cases.
//!
//! The servers are small: a head reader, an answer (right or wrong), then either the
//! codec's [`Connection`] echoing (via the reference server's driver) or a deliberately
//! naive frame loop. Every run sits inside an outer timeout, so a hang shows as a
//! failure; nothing here asserts on elapsed time.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use wsspec::catalog::{self, Case, Peer, Suite};
use wsspec::runner::{self, CaseRun, RunOptions, Settings, Target};
use wsspec_autobahn::echo::{serve, EchoOptions};
use wsspec_autobahn::io::{drive, Timeouts};
use wsspec_codec::connection::{Config, Connection};
use wsspec_codec::decode::{FrameDecoder, FrameEvent};
use wsspec_codec::deflate::{negotiate_server, PerMessageDeflate, ServerDeflatePolicy};
use wsspec_codec::frame::{Frame, Opcode, Role, RSV1};
use wsspec_codec::handshake::{
    accept_key, accept_response, is_hixie76_request, reject_response, HeadBuffer, Request,
    RequestHead,
};
use wsspec_codec::hixie76::{AcceptOptions, Progress, ServerHandshake};
use wsspec_codec::Limits;
use wsspec_reports::{CaseDetail, Verdict};

/// The outer guard of every run.
const GUARD: Duration = Duration::from_secs(120);

/// How a test server departs from the RFC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// None: a correct server with the codec's default limits (a 64 MiB message).
    Correct,
    /// Answers 101 to any request head, valid or not.
    UpgradesAnyRequest,
    /// Refuses a version it does not speak with a plain 400: no 426, no
    /// `Sec-WebSocket-Version`.
    No426,
    /// Closes without answering a refused head that more octets followed in the same
    /// read (python-websockets 17.4 does, after an internal assertion fails).
    SilentOnTrailingOctets,
    /// Never answers a head longer than 8 KiB; reads on.
    HangsOnBigHeads,
    /// Expects the whole head in its first read.
    HeadInOneRead,
    /// Selects the subprotocol `chat` whatever was offered.
    AlwaysChat,
    /// Accepts the client's `Sec-WebSocket-Extensions` exactly as offered.
    EchoesExtensions,
    /// After the handshake: buffers whole frames, checks UTF-8 only once a message
    /// ends, has no size limit, answers no ping, answers every close with 1000.
    Naive,
    /// Like [`Fault::Naive`], but answers pings, and drops TCP (no close frame) at the
    /// 60th, as Node `ws` does past its `maxPendingAutoPongs`.
    DropsOnPingFlood,
    /// Agrees to permessage-deflate, inflates without limit (counting, not keeping),
    /// and answers each message with "inflated N octets".
    InflatesWithoutLimit,
    /// Speaks draft-76 with a wrong challenge response.
    WrongChallenge,
}

/// A server on a free loopback port, one task per connection.
async fn start<F, Fut>(serve_one: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(serve_one(stream));
        }
    });
    addr
}

async fn start_faulty(fault: Fault) -> SocketAddr {
    start(move |stream| faulty(stream, fault)).await
}

/// The reference echo server with these limits.
async fn start_echo(max_message: usize) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut options = EchoOptions::default();
    options.limits.max_message = max_message;
    tokio::spawn(serve(listener, options));
    addr
}

/// Reads the request head, answers as `fault` has it, then serves the connection.
async fn faulty(mut stream: TcpStream, fault: Fault) {
    // A server that hangs on big heads never gives up on one.
    let limit = if fault == Fault::HangsOnBigHeads {
        16 << 20
    } else {
        64 << 10
    };
    let mut buffer = HeadBuffer::new(&Limits::uniform(limit));
    let mut chunk = vec![0u8; 64 << 10];
    let (head, rest) = loop {
        let n = match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        match buffer.push(&chunk[..n]) {
            Ok(Some(len)) => {
                let mut raw = buffer.take();
                let rest = raw.split_off(len);
                break (raw, rest);
            }
            Ok(None) if fault == Fault::HeadInOneRead => {
                let _ = stream
                    .write_all(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
                    .await;
                return;
            }
            Ok(None) if fault == Fault::HangsOnBigHeads && buffer.buffered().len() > 8 << 10 => {
                while matches!(stream.read(&mut chunk).await, Ok(n) if n > 0) {}
                return;
            }
            Ok(None) => {}
            Err(e) => {
                let _ = stream.write_all(&reject_response(&e)).await;
                return;
            }
        }
    };
    let Ok(head) = RequestHead::parse(&head) else {
        return;
    };
    if is_hixie76_request(&head) && fault == Fault::WrongChallenge {
        return wrong_challenge(stream, head, rest).await;
    }
    let request = match Request::from_head(head.clone()) {
        Ok(request) => request,
        Err(_) if fault == Fault::UpgradesAnyRequest => {
            let key = head.header("Sec-WebSocket-Key").unwrap_or("");
            let answer = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: \
                 Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
                accept_key(key)
            );
            if stream.write_all(answer.as_bytes()).await.is_ok() {
                echo(stream, &rest).await;
            }
            return;
        }
        Err(_) if fault == Fault::No426 => {
            let _ = stream
                .write_all(
                    b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                )
                .await;
            return;
        }
        Err(_) if fault == Fault::SilentOnTrailingOctets && !rest.is_empty() => return,
        Err(e) => {
            let _ = stream.write_all(&reject_response(&e)).await;
            return;
        }
    };
    let deflate = (fault == Fault::InflatesWithoutLimit)
        .then(|| negotiate_server(&request.extensions, &ServerDeflatePolicy::default()))
        .flatten();
    let offered = request
        .header("Sec-WebSocket-Extensions")
        .map(str::to_owned);
    let extensions = match fault {
        Fault::EchoesExtensions => offered,
        _ => deflate.as_ref().map(|(_, ext)| ext.to_string()),
    };
    let protocol = (fault == Fault::AlwaysChat).then_some("chat");
    let answer = accept_response(&request, protocol, extensions.as_deref(), &[]);
    if stream.write_all(&answer).await.is_err() {
        return;
    }
    match fault {
        Fault::Naive => naive(stream, rest, None).await,
        Fault::DropsOnPingFlood => naive(stream, rest, Some(60)).await,
        Fault::InflatesWithoutLimit => match deflate {
            Some((config, _)) => inflate_without_limit(stream, rest, config).await,
            None => echo(stream, &rest).await,
        },
        _ => echo(stream, &rest).await,
    }
}

/// Echoes with the codec's connection, as the reference server does.
async fn echo(mut stream: TcpStream, rest: &[u8]) {
    let mut conn = Connection::new(Role::Server, Config::default());
    let _ = drive(
        &mut stream,
        &mut conn,
        rest,
        Timeouts::default(),
        |conn, message| {
            let _ = conn.send_message(&message);
        },
    )
    .await;
}

/// An unmasked server frame.
fn frame(opcode: Opcode, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    Frame::new(opcode, payload).encode(&mut out);
    out
}

fn close_frame(code: u16) -> Vec<u8> {
    frame(Opcode::Close, &code.to_be_bytes())
}

/// [`Fault::Naive`]'s frame loop; with `ping_limit`, pings are answered until that
/// many arrived, then TCP is dropped.
async fn naive(mut stream: TcpStream, rest: Vec<u8>, ping_limit: Option<usize>) {
    let mut pings = 0;
    let unlimited = Limits {
        max_frame: u64::MAX,
        max_message: usize::MAX,
        max_handshake: 64 << 10,
    };
    let mut decoder = FrameDecoder::new(Role::Server, unlimited);
    let (mut payload, mut message, mut text) = (Vec::new(), Vec::new(), false);
    let mut input = rest;
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        let mut data = input.as_slice();
        loop {
            let event = match decoder.next_event(&mut data) {
                Ok(Some(event)) => event,
                Ok(None) => break,
                Err(_) => {
                    let _ = stream.write_all(&close_frame(1002)).await;
                    return;
                }
            };
            match event {
                FrameEvent::Header(_) => payload.clear(),
                FrameEvent::Payload(chunk) => chunk.unmask_into(&mut payload),
                FrameEvent::End(header) => match header.opcode {
                    Opcode::Close => {
                        let _ = stream.write_all(&close_frame(1000)).await;
                        let _ = stream.shutdown().await;
                        return;
                    }
                    Opcode::Ping => {
                        let Some(limit) = ping_limit else { continue };
                        pings += 1;
                        if pings >= limit {
                            return;
                        }
                        if stream
                            .write_all(&frame(Opcode::Pong, &payload))
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                    Opcode::Pong => {}
                    opcode => {
                        if opcode != Opcode::Continuation {
                            text = opcode == Opcode::Text;
                        }
                        message.extend_from_slice(&payload);
                        if header.fin {
                            let whole = std::mem::take(&mut message);
                            if text && std::str::from_utf8(&whole).is_err() {
                                let _ = stream.write_all(&close_frame(1007)).await;
                                let _ = stream.shutdown().await;
                                return;
                            }
                            let kind = if text { Opcode::Text } else { Opcode::Binary };
                            if stream.write_all(&frame(kind, &whole)).await.is_err() {
                                return;
                            }
                        }
                    }
                },
            }
        }
        let n = match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        input = chunk[..n].to_vec();
    }
}

/// [`Fault::InflatesWithoutLimit`]'s frame loop: compressed messages are inflated in
/// small pieces into a counter.
async fn inflate_without_limit(
    mut stream: TcpStream,
    rest: Vec<u8>,
    config: wsspec_codec::deflate::DeflateConfig,
) {
    let mut decoder = FrameDecoder::new(Role::Server, Limits::uniform(usize::MAX));
    decoder.set_allowed_rsv(RSV1);
    let mut deflate = PerMessageDeflate::new(Role::Server, config);
    let (mut inflated, mut out, mut plain) = (0u64, Vec::new(), Vec::new());
    let mut input = rest;
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        let mut data = input.as_slice();
        loop {
            let event = match decoder.next_event(&mut data) {
                Ok(Some(event)) => event,
                Ok(None) => break,
                Err(_) => return,
            };
            match event {
                FrameEvent::Header(_) => {}
                FrameEvent::Payload(chunk) => {
                    plain.clear();
                    chunk.unmask_into(&mut plain);
                    for piece in plain.chunks(512) {
                        out.clear();
                        if deflate.decompress(piece, &mut out, 8 << 20).is_err() {
                            return;
                        }
                        inflated += out.len() as u64;
                    }
                }
                FrameEvent::End(header) if header.opcode == Opcode::Close => {
                    let _ = stream.write_all(&close_frame(1000)).await;
                    return;
                }
                FrameEvent::End(header) if header.fin && !header.opcode.is_control() => {
                    out.clear();
                    if deflate.finish_message(&mut out, 8 << 20).is_err() {
                        return;
                    }
                    inflated += out.len() as u64;
                    let answer = format!("inflated {inflated} octets");
                    inflated = 0;
                    if stream
                        .write_all(&frame(Opcode::Text, answer.as_bytes()))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                FrameEvent::End(_) => {}
            }
        }
        let n = match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        input = chunk[..n].to_vec();
    }
}

/// [`Fault::WrongChallenge`]: a draft-76 answer whose MD5 is off by one bit.
async fn wrong_challenge(mut stream: TcpStream, head: RequestHead, rest: Vec<u8>) {
    let mut handshake = ServerHandshake::new(Limits::default());
    let mut pending = head.raw;
    pending.extend_from_slice(&rest);
    let mut chunk = vec![0u8; 4096];
    let request = loop {
        let mut input = pending.as_slice();
        match handshake.feed(&mut input) {
            Ok(Progress::Complete(request)) => break request,
            Ok(Progress::NeedMore(_)) => {}
            Err(_) => return,
        }
        let n = match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        pending = chunk[..n].to_vec();
    };
    let mut answer = request.response(AcceptOptions::default());
    *answer.last_mut().unwrap() ^= 1;
    if stream.write_all(&answer).await.is_ok() {
        while matches!(stream.read(&mut chunk).await, Ok(n) if n > 0) {}
    }
}

// ------------------------------------------------------------------ running cases

fn target(addr: SocketAddr) -> Target {
    Target {
        host: addr.ip().to_string(),
        port: addr.port(),
        resource: "/".to_owned(),
    }
}

/// Quick clocks: a 1 s open timeout and case timers capped at 3 s.
fn quick() -> Settings {
    Settings {
        open_timeout: Duration::from_secs(1),
        max_case_time: Some(Duration::from_secs(3)),
        ..Settings::default()
    }
}

fn case(id: &str) -> &'static Case {
    catalog::suite(Suite::Wsspec, Some(Peer::Server))
        .iter()
        .find(|c| c.id.as_str() == id)
        .unwrap_or_else(|| panic!("no case {id}"))
}

/// Runs `ids` against `addr` and returns the details by id.
async fn run(addr: SocketAddr, ids: &[&str], settings: Settings) -> HashMap<String, CaseDetail> {
    let cases: Vec<(usize, &'static Case)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (i + 1, case(id)))
        .collect();
    let options = RunOptions {
        target: target(addr),
        settings,
        jobs: 4,
    };
    let (_stop, stop) = watch::channel(false);
    let observer = Arc::new(|_: &CaseRun, _: usize, _: usize| {});
    let results = tokio::time::timeout(GUARD, runner::run(cases, options, observer, stop))
        .await
        .expect("the run ends");
    assert!(!results.interrupted);
    results
        .cases
        .into_iter()
        .map(|run| (run.detail.id.clone(), run.detail))
        .collect()
}

fn text(detail: &CaseDetail, key: &str) -> String {
    detail
        .extra
        .get(key)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned()
}

/// Asserts `id` got `behavior` with the case's own expectation and rule, and an
/// actual text containing `actual`.
fn assert_case(details: &HashMap<String, CaseDetail>, id: &str, behavior: Verdict, actual: &str) {
    let detail = &details[id];
    let spec = case(id).spec().unwrap();
    assert_eq!(
        detail.behavior,
        behavior,
        "{id}: {:?} / {:?}: {}",
        detail.result,
        detail.result_close,
        text(detail, "wsspecActual")
    );
    assert_eq!(text(detail, "wsspecRfc"), spec.rfc, "{id}");
    assert_eq!(text(detail, "wsspecExpected"), spec.expected, "{id}");
    let got = text(detail, "wsspecActual");
    assert!(got.contains(actual), "{id}: {got:?} lacks {actual:?}");
}

/// Asserts every case in `ids` passed (OK or INFORMATIONAL both ways) without the
/// failure fields.
fn assert_pass(details: &HashMap<String, CaseDetail>, ids: &[&str]) {
    for id in ids {
        let detail = &details[*id];
        let passed = |v: &Verdict| matches!(v, Verdict::Ok | Verdict::Informational);
        assert!(
            passed(&detail.behavior) && passed(&detail.behavior_close),
            "{id}: {} / {}: {:?} {:?} {}",
            detail.behavior,
            detail.behavior_close,
            detail.result,
            detail.result_close,
            text(detail, "wsspecActual")
        );
        assert_eq!(text(detail, "wsspecRfc"), case(id).spec().unwrap().rfc);
        assert!(!detail.extra.contains_key("wsspecActual"), "{id}");
    }
}

// ------------------------------------------------------------------ the faults

const KEYS_AND_TOKENS: [&str; 8] = [
    "100.1.1", "100.1.2", "100.1.3", "100.1.4", "100.1.5", "100.3.1", "100.3.4", "100.4.2",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_upgrades_any_request_fails_the_key_and_token_cases() {
    let addr = start_faulty(Fault::UpgradesAnyRequest).await;
    let details = run(addr, &KEYS_AND_TOKENS, quick()).await;
    for id in KEYS_AND_TOKENS {
        assert_case(
            &details,
            id,
            Verdict::Failed,
            "101 Switching Protocols: the server upgraded the connection",
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_426_fails_the_version_cases() {
    let addr = start_faulty(Fault::No426).await;
    let ids = ["100.2.1", "100.2.2", "100.2.3", "100.2.4", "100.1.1"];
    let details = run(addr, &ids, quick()).await;
    for id in ["100.2.1", "100.2.2", "100.2.3"] {
        assert_case(
            &details,
            id,
            Verdict::Failed,
            "400 Bad Request without Sec-WebSocket-Version: 13 (no such field)",
        );
    }
    // A missing version or key needs a 4xx only.
    assert_pass(&details, &["100.2.4", "100.1.1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_hangs_on_a_big_head_fails_without_stalling_the_run() {
    let addr = start_faulty(Fault::HangsOnBigHeads).await;
    let details = run(addr, &["100.5.1", "100.5.2", "100.1.6"], quick()).await;
    for id in ["100.5.1", "100.5.2"] {
        assert_case(
            &details,
            id,
            Verdict::Failed,
            "no HTTP answer within 1 s: the server neither answered nor closed the connection",
        );
        assert_eq!(details[id].behavior_close, Verdict::Failed);
    }
    assert_pass(&details, &["100.1.6"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_wants_the_head_in_one_read_fails_split_requests() {
    let addr = start_faulty(Fault::HeadInOneRead).await;
    let ids = ["100.6.1", "104.1.1.1.1", "100.1.6"];
    let details = run(addr, &ids, quick()).await;
    assert_case(
        &details,
        "100.6.1",
        Verdict::Failed,
        "400 Bad Request: the server refused the handshake",
    );
    // The server refuses after the first octet and closes while the suite still writes.
    assert_case(
        &details,
        "104.1.1.1.1",
        Verdict::Failed,
        "the connection never opened: ",
    );
    // A request in one write is read whole.
    assert_pass(&details, &["100.1.6"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_owes_an_answer_after_trailing_octets_is_non_strict() {
    let addr = start_faulty(Fault::SilentOnTrailingOctets).await;
    let details = run(addr, &["100.6.3", "100.2.4"], quick()).await;
    assert_case(
        &details,
        "100.6.3",
        Verdict::NonStrict,
        "the server closed the connection without an HTTP answer; the RFC asks for an HTTP \
         error status",
    );
    // The same refusal without the trailing octets is answered.
    assert_pass(&details, &["100.2.4"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_that_answer_what_was_not_offered_fail_negotiation() {
    let chat = start_faulty(Fault::AlwaysChat).await;
    let details = run(chat, &["100.7.1", "100.7.2", "100.7.3"], quick()).await;
    for id in ["100.7.1", "100.7.2", "100.7.3"] {
        assert_case(
            &details,
            id,
            Verdict::Failed,
            "the server selected \"chat\", which the client did not offer (RFC 6455 §4.1 \
             client item 6)",
        );
    }
    let echoing = start_faulty(Fault::EchoesExtensions).await;
    let ids = ["100.8.1", "100.8.2", "100.8.3", "100.8.4", "100.8.6"];
    let details = run(echoing, &ids, quick()).await;
    assert_case(
        &details,
        "100.8.1",
        Verdict::Failed,
        "the server accepted the extension x-wsspec-unknown, which no implementation defines",
    );
    for id in ["100.8.2", "100.8.3", "100.8.4"] {
        assert_case(
            &details,
            id,
            Verdict::Failed,
            "though every offer was invalid and had to be declined (RFC 7692 §7)",
        );
    }
    assert_case(&details, "100.8.6", Verdict::Failed, "fits no valid offer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_naive_server_is_late_on_utf8_and_defenceless_against_claims_and_floods() {
    let addr = start_faulty(Fault::Naive).await;
    let ids = [
        "102.1.1", "102.1.2", "102.2.1", "102.2.3", "102.2.5", "103.1.1", "103.1.3", "103.4.1",
    ];
    let details = run(addr, &ids, quick()).await;
    // It fails the connection only once the frame (and the message) is complete.
    for id in ["102.1.1", "102.1.2"] {
        assert_case(
            &details,
            id,
            Verdict::NonStrict,
            "the peer sent nothing by wait A, nothing by wait B; it closed the connection with \
             1007",
        );
    }
    // It answers an invalid close reason with 1000.
    for id in ["102.2.1", "102.2.3"] {
        assert_case(
            &details,
            id,
            Verdict::Failed,
            "the suite closed the connection (1000 ",
        );
        assert_eq!(details[id].behavior_close, Verdict::WrongCode);
        assert_eq!(details[id].remote_close_code, Some(1000));
    }
    assert_pass(&details, &["102.2.5"]);
    // It waits for 2^63 octets; the suite's kill timer has to end the case.
    for id in ["103.1.1", "103.1.3"] {
        assert_case(
            &details,
            id,
            Verdict::Failed,
            "the suite failed the connection (1001 \"Going Away\")",
        );
    }
    // It echoes the message after the flood, but answered no ping.
    assert_case(
        &details,
        "103.4.1",
        Verdict::Failed,
        "0 pongs for 5000 pings, but the last ping (#4999) was not answered",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_drops_tcp_on_a_ping_flood_is_non_strict_and_unclean() {
    let addr = start_faulty(Fault::DropsOnPingFlood).await;
    let details = run(addr, &["103.4.1"], quick()).await;
    // How many of its 59 pongs arrive depends on when its reset does.
    assert_case(
        &details,
        "103.4.1",
        Verdict::NonStrict,
        "the peer dropped TCP after ",
    );
    assert!(text(&details["103.4.1"], "wsspecActual").contains(" pongs for 5000 pings"));
    assert_eq!(details["103.4.1"].behavior_close, Verdict::Unclean);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_inflates_without_limit_fails_the_bomb() {
    let addr = start_faulty(Fault::InflatesWithoutLimit).await;
    let details = run(addr, &["103.3.1"], quick()).await;
    assert_case(
        &details,
        "103.3.1",
        Verdict::Failed,
        "the peer sent text message \"inflated 1073741824 octets\"",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_ignoring_its_own_limit_fails_and_an_unknown_limit_is_unimplemented() {
    // The codec's connection accepts 64 MiB; the user says 1000 octets.
    let addr = start_faulty(Fault::Correct).await;
    let ids = ["103.2.1", "103.2.2", "103.2.3"];
    let told = Settings {
        peer_max_message: Some(1000),
        ..quick()
    };
    let details = run(addr, &ids, told).await;
    assert_pass(&details, &["103.2.1"]);
    for id in ["103.2.2", "103.2.3"] {
        assert_case(
            &details,
            id,
            Verdict::Failed,
            "the peer sent binary message \"****",
        );
        assert!(details[id]
            .description
            .as_deref()
            .unwrap()
            .contains("1001 octets"));
    }
    let details = run(addr, &ids, quick()).await;
    for id in ids {
        assert_case(
            &details,
            id,
            Verdict::Unimplemented,
            "--peer-max-message BYTES",
        );
        assert_eq!(details[id].behavior_close, Verdict::Unimplemented);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hixie76_a_wrong_challenge_fails_and_a_server_without_the_draft_is_unimplemented() {
    let wrong = start_faulty(Fault::WrongChallenge).await;
    let details = run(wrong, &["105.1.1", "105.2.1"], quick()).await;
    for id in ["105.1.1", "105.2.1"] {
        assert_case(
            &details,
            id,
            Verdict::Failed,
            "the server's answer is invalid: challenge response",
        );
    }
    let rfc_only = start_faulty(Fault::Correct).await;
    let ids = ["105.1.1", "105.1.4", "105.2.1", "105.3.1"];
    let details = run(rfc_only, &ids, quick()).await;
    for id in ids {
        assert_case(
            &details,
            id,
            Verdict::Unimplemented,
            "the server does not speak draft-76: to a valid draft-76 handshake, 426 Upgrade \
             Required",
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_echo_server_passes_every_case_the_faults_fail() {
    let addr = start_echo(1 << 16).await;
    let settings = Settings {
        peer_max_message: Some(1 << 16),
        ..quick()
    };
    let mut ids: Vec<&str> = KEYS_AND_TOKENS.to_vec();
    ids.extend([
        "100.1.6",
        "100.2.1",
        "100.2.2",
        "100.2.3",
        "100.2.4",
        "100.3.5",
        "100.3.6",
        "100.5.1",
        "100.5.2",
        "100.6.1",
        "100.6.2",
        "100.6.3",
        "100.7.1",
        "100.7.2",
        "100.7.3",
        "100.8.1",
        "100.8.2",
        "100.8.3",
        "100.8.4",
        "100.8.5",
        "100.8.6",
        "100.8.7",
        "102.1.1",
        "102.1.2",
        "102.1.3",
        "102.1.4",
        "102.1.5",
        "102.2.1",
        "102.2.2",
        "102.2.3",
        "102.2.4",
        "102.2.5",
        "103.1.1",
        "103.1.2",
        "103.1.3",
        "103.1.4",
        "103.2.1",
        "103.2.2",
        "103.2.3",
        "103.3.1",
        "103.3.2",
        "103.4.1",
        "103.4.2",
        "104.1.1.1.1",
        "104.1.5.6",
        "104.2.1.1.6",
        "104.2.6.2.3",
        "105.1.1",
        "105.1.2",
        "105.1.3",
        "105.1.4",
        "105.1.5",
        "105.2.1",
        "105.2.2",
        "105.2.3",
        "105.2.4",
        "105.2.5",
        "105.2.6",
        "105.3.1",
        "105.3.2",
    ]);
    let details = run(addr, &ids, settings).await;
    assert_pass(&details, &ids);
}
