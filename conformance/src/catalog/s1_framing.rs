//! Section 1: framing — one unfragmented text (1.1) or binary (1.2) message of each
//! length class of RFC 6455 §5.2 (7-bit, 16-bit and 64-bit lengths and their edges),
//! echoed back (case1_1_*.py, case1_2_*.py).

use super::build::{binary, case, frame, kill_after, ok, repeat, secs, text};
use super::{Case, Step};

/// The payload lengths of x = 1..8; x = 8 repeats 65536 written in 997-octet pieces.
const LENGTHS: [usize; 8] = [0, 125, 126, 127, 128, 65535, 65536, 65536];

pub(super) fn cases() -> Vec<Case> {
    let mut cases = Vec::with_capacity(16);
    for (sub, kind, opcode, unit) in [(1, "text", 1, b"*"), (2, "binary", 2, b"\xfe")] {
        for (x, len) in (1..).zip(LENGTHS) {
            let payload = repeat(unit, len);
            let mut spec = frame(opcode, payload.clone());
            let description = if len == 0 {
                format!("Send {kind} message with payload 0.")
            } else if x == 8 {
                spec = spec.chop(997);
                format!(
                    "Send {kind} message message with payload of length {len}. \
                     Sent out data in chops of 997 octets."
                )
            } else {
                format!("Send {kind} message message with payload of length {len}.")
            };
            let echo = if len == 0 {
                "with empty payload"
            } else {
                "with payload as sent"
            };
            let expectation =
                format!("Receive echo'ed {kind} message ({echo}). Clean close with normal code.");
            let event = if opcode == 1 {
                text(payload)
            } else {
                binary(payload)
            };
            // The big ones (16- and 64-bit lengths) get 10 s, the rest 1 s.
            let kill = if x <= 5 { secs(1) } else { secs(10) };
            cases.push(Case {
                steps: vec![Step::Frame(spec), kill_after(kill)],
                expected: ok(vec![event]),
                ..case(&format!("1.{sub}.{x}"), description, expectation)
            });
        }
    }
    cases
}
