//! Section 9: limits and performance — big messages (9.1, 9.2), big messages in many
//! fragments (9.3, 9.4) or written in small pieces (9.5, 9.6), and 1000 round trips
//! one at a time (9.7, 9.8). wstest checks only the echo's type and length, and reports
//! the time taken (case9_*.py, case9_7_X.py). The wire log is off while data flows.

use std::time::Duration;

use super::build::{case, close_after, frame, message, ms, repeat, secs};
use super::{Case, Check, Payload, Step};

const KIB: usize = 1 << 10;
const MIB: usize = 1 << 20;

const TEXT_UNIT: &[u8] = b"BAsd7&jh23";
const BINARY_UNIT: &[u8] = b"\x00\xfe\x23\xfa\xf0";

const TEXT_WRONG_TYPE: &str = "Expected text message with payload, but got binary.";
const BINARY_WRONG_TYPE: &str = "Expected binary message with payload, but got text.";
/// case9_4_1.py's text for a text echo of its binary message (sic).
const BINARY_WRONG_TYPE_9_4: &str = "Expected binary message with payload, but got binary.";

/// What the echo of a section 9.1–9.6 case must be, and the time it gets.
struct Echo {
    binary: bool,
    len: usize,
    /// The budget in seconds.
    within: u64,
    wrong_type: &'static str,
}

/// A section 9.1–9.6 case: the wire log off, `send`, a close after the budget; the
/// echo must have the same type and length.
fn echo_case(
    id: String,
    description: String,
    expectation: &str,
    send: Step,
    echo: Echo,
    duration: Duration,
) -> Case {
    Case {
        steps: vec![Step::WireLog(false), send, close_after(secs(echo.within))],
        check: Check::EchoLength {
            binary: echo.binary,
            len: echo.len,
            within: secs(echo.within),
            wrong_type: echo.wrong_type,
        },
        report_time: true,
        expected_duration: duration,
        ..case(&id, description, expectation)
    }
}

/// What wstest measured against its own echo server, for scheduling: about 20 ms per
/// MiB moved plus 21 µs (text) or 28 µs (binary) per frame or TCP write.
fn cost(len: usize, pieces: usize, per_piece_us: u64) -> Duration {
    ms(2 + (len as u64 * 20) / MIB as u64) + Duration::from_micros(pieces as u64 * per_piece_us)
}

/// 9.1 (text) and 9.2 (binary): one frame of 64 KiB … 16 MiB.
fn big_messages() -> Vec<Case> {
    // (size label as wstest prints it, length, budget in s for 9.1, for 9.2)
    let sizes: [(&str, usize, u64, u64); 6] = [
        ("64 * 2**10 (64k)", 64 * KIB, 10, 10),
        ("256 * 2**10 (256k)", 256 * KIB, 10, 10),
        ("1 * 2**20 (1M)", MIB, 100, 10),
        ("4 * 2**20 (4M)", 4 * MIB, 100, 10),
        ("8 * 2**20 (8M)", 8 * MIB, 100, 100),
        ("16 * 2**20 (16M)", 16 * MIB, 100, 100),
    ];
    let mut cases = Vec::new();
    for (x, (label, len, within, _)) in (1..).zip(sizes) {
        cases.push(echo_case(
            format!("9.1.{x}"),
            format!("Send text message message with payload of length {label}."),
            "Receive echo'ed text message (with payload as sent).",
            Step::Frame(frame(1, repeat(TEXT_UNIT, len))),
            Echo {
                binary: false,
                len,
                within,
                wrong_type: TEXT_WRONG_TYPE,
            },
            cost(len, 1, 0),
        ));
    }
    for (x, (label, len, _, within)) in (1..).zip(sizes) {
        // wstest's description of 9.2.5 says 16M for its 8 MiB.
        let label = if x == 5 { "8 * 2**20 (16M)" } else { label };
        cases.push(echo_case(
            format!("9.2.{x}"),
            format!("Send binary message message with payload of length {label}."),
            "Receive echo'ed binary message (with payload as sent).",
            Step::Frame(frame(2, repeat(BINARY_UNIT, len))),
            Echo {
                binary: true,
                len,
                within,
                wrong_type: BINARY_WRONG_TYPE,
            },
            cost(len, 1, 0),
        ));
    }
    cases
}

/// 9.3 (text) and 9.4 (binary): 4 MiB sent with `sendMessage` in fragments of 64 octets
/// … 4 MiB.
fn fragmented() -> Vec<Case> {
    let fragments: [(&str, usize); 9] = [
        ("64", 64),
        ("256", 256),
        ("1k", KIB),
        ("4k", 4 * KIB),
        ("16k", 16 * KIB),
        ("64k", 64 * KIB),
        ("256k", 256 * KIB),
        ("1M", MIB),
        ("4M", 4 * MIB),
    ];
    let len = 4 * MIB;
    let mut cases = Vec::new();
    for (x, (label, size)) in (1..).zip(fragments) {
        // wstest's description of 9.3.9 says 8M for its 4 MiB.
        let total = if x == 9 { "(8M)" } else { "(4M)" };
        cases.push(echo_case(
            format!("9.3.{x}"),
            format!(
                "Send fragmented text message message with message payload of length 4 * 2**20 \
                 {total}. Sent out in fragments of {label}."
            ),
            "Receive echo'ed text message (with payload as sent).",
            message(repeat(b"*", len), false, Some(size)),
            Echo {
                binary: false,
                len,
                within: 100,
                wrong_type: TEXT_WRONG_TYPE,
            },
            cost(len, len / size, 21),
        ));
    }
    for (x, (label, size)) in (1..).zip(fragments) {
        // 9.4.1 sends 0xfe octets, the others '*' (case9_4_2.py onwards).
        let unit: &'static [u8] = if x == 1 { b"\xfe" } else { b"*" };
        cases.push(echo_case(
            format!("9.4.{x}"),
            format!(
                "Send fragmented binary message message with message payload of length 4 * \
                 2**20 (4M). Sent out in fragments of {label}."
            ),
            "Receive echo'ed binary message (with payload as sent).",
            message(repeat(unit, len), true, Some(size)),
            Echo {
                binary: true,
                len,
                within: 100,
                wrong_type: BINARY_WRONG_TYPE_9_4,
            },
            cost(len, len / size, 28),
        ));
    }
    cases
}

/// 9.5 (text) and 9.6 (binary): one 1 MiB frame written in pieces of 64 … 2048 octets.
fn chopped() -> Vec<Case> {
    let chops = [64, 128, 256, 512, 1024, 2048];
    let len = MIB;
    let mut cases = Vec::new();
    for (x, chop) in (1..).zip(chops) {
        cases.push(echo_case(
            format!("9.5.{x}"),
            format!(
                "Send text message message with payload of length 1 * 2**20 (1M). Sent out data \
                 in chops of {chop} octets."
            ),
            "Receive echo'ed text message (with payload as sent).",
            Step::Frame(frame(1, repeat(TEXT_UNIT, len)).chop(chop)),
            Echo {
                binary: false,
                len,
                within: 1000,
                wrong_type: TEXT_WRONG_TYPE,
            },
            cost(len, len / chop, 45),
        ));
    }
    for (x, chop) in (1..).zip(chops) {
        // wstest's expectations of 9.6.2–9.6.6 say "text" for their binary echo.
        let kind = if x == 1 { "binary" } else { "text" };
        cases.push(echo_case(
            format!("9.6.{x}"),
            format!(
                "Send binary message message with payload of length 1 * 2**20 (1M). Sent out data \
                 in chops of {chop} octets."
            ),
            &format!("Receive echo'ed {kind} message (with payload as sent)."),
            Step::Frame(frame(2, repeat(BINARY_UNIT, len)).chop(chop)),
            Echo {
                binary: true,
                len,
                within: 1000,
                wrong_type: BINARY_WRONG_TYPE,
            },
            cost(len, len / chop, 33),
        ));
    }
    cases
}

/// 9.7 (text) and 9.8 (binary): 1000 messages of 0 … 4096 octets, one at a time.
fn round_trips() -> Vec<Case> {
    // (length, budget in s); wstest measured 226–503 ms per case on its echo server.
    let sizes: [(usize, u64); 6] = [
        (0, 60),
        (16, 60),
        (64, 60),
        (256, 120),
        (1024, 240),
        (4096, 480),
    ];
    let count = 1000;
    let mut cases = Vec::new();
    for (sub, kind, binary, unit) in [(7, "text", false, b"*"), (8, "binary", true, b"\xfe")] {
        for (x, (len, within)) in (1..).zip(sizes) {
            cases.push(Case {
                steps: vec![Step::WireLog(false), close_after(secs(within))],
                check: Check::RoundTrips {
                    count,
                    payload: Payload::Repeat { unit, len },
                    binary,
                    within: secs(within),
                },
                report_time: true,
                expected_duration: ms(220 + len as u64 * 70 / 1000),
                ..case(
                    &format!("9.{sub}.{x}"),
                    format!(
                        "Send {count} {kind} messages of payload size {len} to measure \
                         implementation/network RTT (round trip time) / latency."
                    ),
                    format!(
                        "Receive echo'ed {kind} messages (with payload as sent). Timeout case \
                         after {within} secs."
                    ),
                )
            });
        }
    }
    cases
}

pub(super) fn cases() -> Vec<Case> {
    let mut cases = big_messages();
    cases.extend(fragmented());
    cases.extend(chopped());
    cases.extend(round_trips());
    cases
}
