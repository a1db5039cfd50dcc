//! Section 101: the client's opening handshake (RFC 6455 §4.1, RFC 7692 §7), which
//! Autobahn never tests. The suite answers the client's handshake wrongly on purpose —
//! a wrong `Sec-WebSocket-Accept`, missing `Upgrade`/`Connection` tokens, a status other
//! than 101, a subprotocol or extension the client did not offer, a permessage-deflate
//! answer no client may accept — and the client must fail the connection.
//!
//! The connection is never established, so failing it means closing TCP (RFC 6455
//! §7.1.7) without a single data frame. To see whether the client took the answer for
//! an open connection anyway, the suite sends a text message right after the answer, as
//! any server of the fuzzing protocol would, and waits [`VERDICT_WAIT`]:
//!
//! | the client… | behavior | behaviorClose |
//! |---|---|---|
//! | closes TCP without sending a data frame | OK | OK |
//! | sends a data frame (echoes the message) | FAILED | by who closes |
//! | sends octets that are not a frame | FAILED | by who closes |
//! | keeps the connection open | FAILED | FAILED |
//!
//! A close frame before closing TCP is not a data frame: OK, with a note in the result.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sha1::{Digest, Sha1};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wsspec_codec::decode::{FrameDecoder, FrameEvent};
use wsspec_codec::frame::{FrameHeader, Opcode, Role, RSV1};
use wsspec_codec::handshake::{accept_key, Request};
use wsspec_codec::Limits;
use wsspec_reports::{CaseDetail, Verdict, WSSPEC_ACTUAL, WSSPEC_EXPECTED, WSSPEC_RFC};

use crate::catalog::render::ascii_log_data;
use crate::catalog::CaseId;
use crate::runner::fuzzer::Stream;
use crate::runner::record::Recorder;
use crate::runner::{CaseRun, Opening, Settings};

/// How long the client has, after the answer, to fail the connection.
pub const VERDICT_WAIT: Duration = Duration::from_secs(2);

/// The text message sent after the answer, which only a client that took the answer for
/// an open connection would see (and echo).
pub const PROBE: &str = "wsspec 101 probe: this connection was never established";

/// The most octets read from a client in one of these cases.
const MAX_READ: usize = 1 << 20;

/// One case of section 101.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeCase {
    /// The id, `"101.1.1"`.
    pub id: &'static str,
    /// What the suite does.
    pub description: &'static str,
    /// What a conformant client does.
    pub expectation: &'static str,
    /// The rule checked.
    pub rfc: &'static str,
    /// The answer to the client's handshake.
    pub answer: Answer,
}

/// How the answer to the client's handshake is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `Sec-WebSocket-Accept` computed from another key.
    AcceptOfAnotherKey,
    /// No `Sec-WebSocket-Accept`.
    NoAccept,
    /// The client's own `Sec-WebSocket-Key` as `Sec-WebSocket-Accept`.
    KeyAsAccept,
    /// The SHA-1 of the key without the RFC's GUID.
    AcceptWithoutGuid,
    /// No `Upgrade` header.
    NoUpgrade,
    /// `Upgrade: h2c`.
    UpgradeNotWebSocket,
    /// No `Connection` header.
    NoConnection,
    /// `Connection: keep-alive`.
    ConnectionNotUpgrade,
    /// This status instead of 101, with every WebSocket header right.
    Status(u16, &'static str),
    /// A `Sec-WebSocket-Protocol` the client did not offer.
    UnofferedProtocol,
    /// An extension the client did not offer.
    UnofferedExtension,
    /// `permessage-deflate` with this (invalid) parameter list.
    Deflate(&'static str),
}

const ACCEPT: &str = "RFC 6455 §4.1 (the client's check of Sec-WebSocket-Accept)";
const UPGRADE: &str = "RFC 6455 §4.1 (the client's check of Upgrade)";
const CONNECTION: &str = "RFC 6455 §4.1 (the client's check of Connection)";
const STATUS: &str = "RFC 6455 §4.1 (only a 101 answer completes the handshake)";
const EXPECT_FAIL: &str = "The client fails the WebSocket connection: it closes TCP without \
                           sending a data frame (RFC 6455 §4.1, §7.1.7).";

/// Section 101, in id order.
pub static CASES: [HandshakeCase; 16] = [
    HandshakeCase {
        id: "101.1.1",
        description: "Answer with a Sec-WebSocket-Accept computed from another key.",
        expectation: EXPECT_FAIL,
        rfc: ACCEPT,
        answer: Answer::AcceptOfAnotherKey,
    },
    HandshakeCase {
        id: "101.1.2",
        description: "Answer without Sec-WebSocket-Accept.",
        expectation: EXPECT_FAIL,
        rfc: ACCEPT,
        answer: Answer::NoAccept,
    },
    HandshakeCase {
        id: "101.1.3",
        description: "Answer with the client's own Sec-WebSocket-Key as Sec-WebSocket-Accept.",
        expectation: EXPECT_FAIL,
        rfc: ACCEPT,
        answer: Answer::KeyAsAccept,
    },
    HandshakeCase {
        id: "101.1.4",
        description: "Answer with a Sec-WebSocket-Accept hashed from the key alone, without \
                      the GUID 258EAFA5-E914-47DA-95CA-C5AB0DC85B11.",
        expectation: EXPECT_FAIL,
        rfc: ACCEPT,
        answer: Answer::AcceptWithoutGuid,
    },
    HandshakeCase {
        id: "101.2.1",
        description: "Answer without an Upgrade header.",
        expectation: EXPECT_FAIL,
        rfc: UPGRADE,
        answer: Answer::NoUpgrade,
    },
    HandshakeCase {
        id: "101.2.2",
        description: "Answer with Upgrade: h2c.",
        expectation: EXPECT_FAIL,
        rfc: UPGRADE,
        answer: Answer::UpgradeNotWebSocket,
    },
    HandshakeCase {
        id: "101.2.3",
        description: "Answer without a Connection header.",
        expectation: EXPECT_FAIL,
        rfc: CONNECTION,
        answer: Answer::NoConnection,
    },
    HandshakeCase {
        id: "101.2.4",
        description: "Answer with Connection: keep-alive (no upgrade token).",
        expectation: EXPECT_FAIL,
        rfc: CONNECTION,
        answer: Answer::ConnectionNotUpgrade,
    },
    HandshakeCase {
        id: "101.3.1",
        description: "Answer 200 OK, with every WebSocket header right.",
        expectation: EXPECT_FAIL,
        rfc: STATUS,
        answer: Answer::Status(200, "OK"),
    },
    HandshakeCase {
        id: "101.3.2",
        description: "Answer 400 Bad Request, with every WebSocket header right.",
        expectation: EXPECT_FAIL,
        rfc: STATUS,
        answer: Answer::Status(400, "Bad Request"),
    },
    HandshakeCase {
        id: "101.4.1",
        description: "Answer with a Sec-WebSocket-Protocol the client did not offer.",
        expectation: EXPECT_FAIL,
        rfc: "RFC 6455 §4.1 (the client's check of Sec-WebSocket-Protocol)",
        answer: Answer::UnofferedProtocol,
    },
    HandshakeCase {
        id: "101.5.1",
        description: "Answer with an extension the client did not offer \
                      (x-wsspec-unrequested).",
        expectation: EXPECT_FAIL,
        rfc: "RFC 6455 §4.1 (the client's check of Sec-WebSocket-Extensions), §9.1",
        answer: Answer::UnofferedExtension,
    },
    HandshakeCase {
        id: "101.5.2",
        description: "Answer permessage-deflate with a parameter not defined for a \
                      response (x_wsspec_unknown).",
        expectation: EXPECT_FAIL,
        rfc: "RFC 7692 §7 (a parameter not defined for use in a response)",
        answer: Answer::Deflate("; x_wsspec_unknown"),
    },
    HandshakeCase {
        id: "101.5.3",
        description: "Answer permessage-deflate with server_max_window_bits=16.",
        expectation: EXPECT_FAIL,
        rfc: "RFC 7692 §7, §7.1.2.1 (a parameter with an invalid value)",
        answer: Answer::Deflate("; server_max_window_bits=16"),
    },
    HandshakeCase {
        id: "101.5.4",
        description: "Answer permessage-deflate with server_no_context_takeover twice.",
        expectation: EXPECT_FAIL,
        rfc: "RFC 7692 §7 (multiple parameters with the same name)",
        answer: Answer::Deflate("; server_no_context_takeover; server_no_context_takeover"),
    },
    HandshakeCase {
        id: "101.5.5",
        description: "Answer permessage-deflate twice in Sec-WebSocket-Extensions.",
        expectation: EXPECT_FAIL,
        rfc: "RFC 7692 §5 (two accepted extensions that both use RSV1)",
        answer: Answer::Deflate(", permessage-deflate"),
    },
];

/// The case with this id, if section 101 has it.
pub fn find(id: &str) -> Option<&'static HandshakeCase> {
    CASES.iter().find(|c| c.id == id)
}

impl HandshakeCase {
    /// The id as a report key.
    pub fn case_id(&self) -> CaseId {
        CaseId::new(self.id)
    }

    /// The answer to `request`, head only.
    pub fn response(&self, request: &Request, server: &str) -> String {
        let good_accept = accept_key(&request.key);
        let mut status = "101 Switching Protocols".to_owned();
        let mut upgrade = Some("websocket".to_owned());
        let mut connection = Some("Upgrade".to_owned());
        let mut accept = Some(good_accept);
        let mut extra: Vec<String> = Vec::new();
        match self.answer {
            Answer::AcceptOfAnotherKey => accept = Some(accept_key("dGhlIHNhbXBsZSBub25jZQ==")),
            Answer::NoAccept => accept = None,
            Answer::KeyAsAccept => accept = Some(request.key.clone()),
            Answer::AcceptWithoutGuid => accept = Some(base64_sha1(request.key.as_bytes())),
            Answer::NoUpgrade => upgrade = None,
            Answer::UpgradeNotWebSocket => upgrade = Some("h2c".to_owned()),
            Answer::NoConnection => connection = None,
            Answer::ConnectionNotUpgrade => connection = Some("keep-alive".to_owned()),
            Answer::Status(code, phrase) => {
                status = format!("{code} {phrase}");
                extra.push("Content-Length: 0".to_owned());
            }
            Answer::UnofferedProtocol => {
                let mut name = "x-wsspec-unrequested".to_owned();
                while request.protocols.contains(&name) {
                    name.push('-');
                }
                extra.push(format!("Sec-WebSocket-Protocol: {name}"));
            }
            Answer::UnofferedExtension => {
                extra.push("Sec-WebSocket-Extensions: x-wsspec-unrequested".to_owned())
            }
            Answer::Deflate(params) => extra.push(format!(
                "Sec-WebSocket-Extensions: permessage-deflate{params}"
            )),
        }
        // Never the client's key itself when the answer is meant to be another key.
        if self.answer == Answer::AcceptOfAnotherKey
            && accept.as_deref() == Some(accept_key(&request.key).as_str())
        {
            accept = Some(accept_key("AQIDBAUGBwgJCgsMDQ4PEA=="));
        }
        let mut head = format!("HTTP/1.1 {status}\r\nServer: {server}\r\n");
        if let Some(v) = upgrade {
            head.push_str(&format!("Upgrade: {v}\r\n"));
        }
        if let Some(v) = connection {
            head.push_str(&format!("Connection: {v}\r\n"));
        }
        if let Some(v) = accept {
            head.push_str(&format!("Sec-WebSocket-Accept: {v}\r\n"));
        }
        for line in extra {
            head.push_str(&line);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        head
    }
}

fn base64_sha1(data: &[u8]) -> String {
    // accept_key appends the GUID; hash the bare key with the same base64 alphabet.
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let digest = Sha1::digest(data);
    let mut out = String::new();
    for chunk in digest.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// What the client did after the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reaction {
    /// It closed TCP; `control` lists the control frames it sent before.
    Closed { control: Vec<u8> },
    /// It sent a data frame (opcode, RSV bits, first octets of its payload).
    Data {
        opcode: u8,
        rsv: u8,
        payload: Vec<u8>,
    },
    /// It sent octets that are not a valid frame.
    Garbage(String),
    /// It kept the connection open.
    Silent,
}

/// Runs section-101 `case` over `stream`, whose opening handshake `opening` has been
/// read; `index` is the case's 1-based position in the served list.
pub async fn run_case<S: Stream>(
    mut stream: S,
    opening: Opening,
    case: &HandshakeCase,
    index: usize,
    settings: &Settings,
) -> CaseRun {
    let mut rec = Recorder::new();
    for chunk in &opening.reads {
        rec.rx_octets(chunk);
    }
    let response = case.response(&opening.request, &settings.user_agent);
    let mut probe = Vec::with_capacity(PROBE.len() + 2);
    FrameHeader {
        fin: true,
        rsv: 0,
        opcode: Opcode::Text,
        mask: None,
        payload_len: PROBE.len() as u64,
    }
    .encode(&mut probe);
    probe.extend_from_slice(PROBE.as_bytes());
    rec.tx_octets(response.as_bytes(), false);
    rec.tx_frame(1, true, 0, None, PROBE.as_bytes(), None, None, false);
    rec.tx_octets(&probe, false);
    let opened = Instant::now();
    let mut bytes = response.clone().into_bytes();
    bytes.extend_from_slice(&probe);
    let written = tokio::time::timeout(settings.close_timeout, stream.write_all(&bytes)).await;
    let reaction = match written {
        // A client that has already closed could not take the write.
        Ok(Err(_)) => Reaction::Closed {
            control: Vec::new(),
        },
        _ => watch(&mut stream, &opening.rest, &mut rec, &settings.limits).await,
    };
    let dropped_by_me = !matches!(reaction, Reaction::Closed { .. });
    let _ = tokio::time::timeout(Duration::from_millis(100), stream.shutdown()).await;
    drop(stream);
    judge(
        case,
        index,
        opening.started,
        String::from_utf8_lossy(&opening.request.raw).into_owned(),
        response,
        reaction,
        dropped_by_me,
        opened.elapsed(),
        rec,
    )
}

/// Reads what the client does for [`VERDICT_WAIT`], until it closes, sends a data frame
/// or sends something that is not a frame.
async fn watch<S: Stream>(
    stream: &mut S,
    rest: &[u8],
    rec: &mut Recorder,
    limits: &Limits,
) -> Reaction {
    let mut decoder = FrameDecoder::new(Role::Server, *limits);
    // A client that took a deflate answer for agreed may compress its echo: that is a
    // data frame all the same.
    decoder.set_allowed_rsv(RSV1);
    let mut control = Vec::new();
    let deadline = tokio::time::Instant::now() + VERDICT_WAIT;
    let mut buf = vec![0u8; 16 * 1024];
    let mut total = 0usize;
    let mut pending = rest.to_vec();
    loop {
        if !pending.is_empty() {
            rec.rx_octets(&pending);
            let mut data = pending.as_slice();
            let mut payload = Vec::new();
            loop {
                match decoder.next_event(&mut data) {
                    Ok(None) => break,
                    Ok(Some(FrameEvent::Header(_))) => payload.clear(),
                    Ok(Some(FrameEvent::Payload(chunk))) => {
                        if payload.len() < 64 {
                            let mut plain = Vec::new();
                            chunk.unmask_into(&mut plain);
                            payload.extend_from_slice(&plain[..plain.len().min(64)]);
                        }
                    }
                    Ok(Some(FrameEvent::End(header))) => {
                        let opcode = u8::from(header.opcode);
                        rec.rx_frame(
                            opcode,
                            header.fin,
                            header.rsv,
                            header.mask,
                            header.payload_len,
                            &payload,
                        );
                        if header.opcode.is_control() {
                            control.push(opcode);
                        } else {
                            return Reaction::Data {
                                opcode,
                                rsv: header.rsv,
                                payload,
                            };
                        }
                    }
                    Err(e) => return Reaction::Garbage(e.to_string()),
                }
            }
            pending.clear();
        }
        let read = tokio::time::timeout_at(deadline, stream.read(&mut buf)).await;
        match read {
            Err(_) => return Reaction::Silent,
            Ok(Ok(0)) | Ok(Err(_)) => return Reaction::Closed { control },
            Ok(Ok(n)) => {
                total += n;
                if total > MAX_READ {
                    return Reaction::Garbage(format!(
                        "more than {MAX_READ} octets without a complete frame"
                    ));
                }
                pending.extend_from_slice(&buf[..n]);
            }
        }
    }
}

fn opcode_name(opcode: u8) -> &'static str {
    match opcode {
        0 => "continuation",
        1 => "text",
        2 => "binary",
        8 => "close",
        9 => "ping",
        10 => "pong",
        _ => "reserved-opcode",
    }
}

#[allow(clippy::too_many_arguments)]
fn judge(
    case: &HandshakeCase,
    index: usize,
    started: String,
    http_request: String,
    http_response: String,
    reaction: Reaction,
    dropped_by_me: bool,
    duration: Duration,
    rec: Recorder,
) -> CaseRun {
    let wait = VERDICT_WAIT.as_secs();
    let (behavior, result, actual, received) = match &reaction {
        Reaction::Closed { control } => {
            let note = if control.is_empty() {
                String::new()
            } else {
                let names: Vec<&str> = control.iter().map(|&o| opcode_name(o)).collect();
                format!(" (it sent {} frames first)", names.join(", "))
            };
            (
                Verdict::Ok,
                format!("The client failed the connection: it closed TCP without sending a data frame{note}."),
                None,
                Vec::new(),
            )
        }
        Reaction::Data {
            opcode,
            rsv,
            payload,
        } => {
            let compressed = if rsv & RSV1 != 0 {
                ", compressed (RSV1)"
            } else {
                ""
            };
            let text = format!(
                "the client took the answer for an open connection and sent a {} frame{compressed} ({})",
                opcode_name(*opcode),
                ascii_log_data(payload)
            );
            let event = match opcode {
                1 | 2 => vec![json!(["message", ascii_log_data(payload), *opcode == 2])],
                _ => Vec::new(),
            };
            (
                Verdict::Failed,
                format!("The client did not fail the connection: {text}."),
                Some(text),
                event,
            )
        }
        Reaction::Garbage(e) => {
            let text = format!("the client sent octets that are not a valid frame ({e})");
            (
                Verdict::Failed,
                format!("The client did not fail the connection: {text}."),
                Some(text),
                Vec::new(),
            )
        }
        Reaction::Silent => {
            let text = format!("the client kept the connection open for {wait} s after the answer");
            (
                Verdict::Failed,
                format!("The client did not fail the connection: {text}."),
                Some(text),
                Vec::new(),
            )
        }
    };
    let (behavior_close, result_close) = if dropped_by_me {
        (
            Verdict::Failed,
            "The connection was failed by the wrong endpoint".to_owned(),
        )
    } else {
        (
            Verdict::Ok,
            "The client closed the TCP connection".to_owned(),
        )
    };
    let (rows, _) = rec.clone().into_rows();
    let mut detail = CaseDetail {
        id: case.id.to_owned(),
        case: Some(index as u64),
        behavior,
        behavior_close,
        description: Some(case.description.to_owned()),
        expectation: Some(case.expectation.to_owned()),
        expected: Some(json!({ "OK": [] })),
        expected_close: Some(json!({
            "closeCode": [],
            "closedByMe": false,
            "requireClean": false,
        })),
        received: Some(Value::Array(received)),
        result: Some(result),
        result_close: Some(result_close),
        duration: Some(duration.as_millis() as u64),
        started: Some(started),
        http_request: Some(http_request),
        http_response: Some(http_response),
        closed_by_me: Some(false),
        dropped_by_me: Some(dropped_by_me),
        failed_by_me: Some(false),
        is_server: Some(true),
        was_clean: Some(false),
        was_not_clean_reason: Some(
            "the opening handshake was answered wrongly on purpose; the connection was never established".to_owned(),
        ),
        was_close_handshake_timeout: Some(false),
        was_open_handshake_timeout: Some(false),
        was_server_connection_drop_timeout: Some(false),
        create_stats: Some(true),
        create_wirelog: Some(true),
        report_time: Some(false),
        report_compression_ratio: Some(false),
        rx_frame_stats: Some(rec.rx_frames.clone()),
        tx_frame_stats: Some(rec.tx_frames.clone()),
        rx_octet_stats: Some(rec.rx_octets.clone()),
        tx_octet_stats: Some(rec.tx_octets.clone()),
        wirelog: Some(rows),
        ..CaseDetail::default()
    };
    detail
        .extra
        .insert(WSSPEC_RFC.to_owned(), Value::String(case.rfc.to_owned()));
    if let Some(actual) = actual {
        detail.extra.insert(
            WSSPEC_EXPECTED.to_owned(),
            Value::String(
                "the client fails the connection: it closes TCP without sending a data frame"
                    .to_owned(),
            ),
        );
        detail
            .extra
            .insert(WSSPEC_ACTUAL.to_owned(), Value::String(actual));
    }
    CaseRun {
        detail,
        server_header: None,
    }
}

#[cfg(test)]
mod tests {
    use wsspec_codec::handshake::{ClientRequest, ResponseParser};

    use super::*;

    fn request() -> (ClientRequest, Request) {
        let client = ClientRequest::with_key(
            "127.0.0.1:9001",
            "/runCase?case=1&agent=a",
            "dGhlIHNhbXBsZSBub25jZQ==",
        );
        let bytes = client.to_bytes();
        let mut parser = wsspec_codec::handshake::RequestParser::new(&Limits::default());
        let (request, _) = parser.feed(&bytes).unwrap().unwrap();
        (client, request)
    }

    #[test]
    fn ids_are_unique_sorted_and_in_section_101() {
        let ids: Vec<CaseId> = CASES.iter().map(HandshakeCase::case_id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(ids, sorted);
        assert!(CASES
            .iter()
            .all(|c| c.id.starts_with("101.") && c.rfc.starts_with("RFC ")));
    }

    #[test]
    fn every_answer_is_one_a_conformant_client_rejects() {
        let (client, request) = request();
        for case in &CASES {
            let answer = case.response(&request, "wsspec/test");
            let mut parser = ResponseParser::new(&client, &Limits::default());
            let parsed = parser.feed(answer.as_bytes());
            let rejected = match parsed {
                Err(_) => true,
                // The codec leaves extension negotiation to the caller (RFC 6455 §9.1).
                Ok(Some((response, _))) => {
                    let offered = [wsspec_codec::deflate::DeflateOffer::new()];
                    let unknown = response
                        .extensions
                        .iter()
                        .any(|e| e.name != "permessage-deflate");
                    unknown
                        || wsspec_codec::deflate::negotiate_client_extensions(
                            &response.extensions,
                            &offered,
                        )
                        .is_err()
                }
                Ok(None) => panic!("{}: the answer head is incomplete", case.id),
            };
            assert!(
                rejected,
                "{}: the codec's client accepts {answer:?}",
                case.id
            );
        }
    }

    #[test]
    fn the_wrong_accept_values_differ_from_the_right_one() {
        let (_, request) = request();
        let right = accept_key(&request.key);
        assert_eq!(right, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(base64_sha1(b"abc"), "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=");
        for id in ["101.1.1", "101.1.3", "101.1.4"] {
            let answer = find(id).unwrap().response(&request, "s");
            assert!(answer.contains("Sec-WebSocket-Accept: "), "{id}");
            assert!(!answer.contains(&right), "{id}");
        }
    }
}
