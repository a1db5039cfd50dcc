//! Section 4: reserved opcodes — non-control 3–7 (4.1) and control 11–15 (4.2) must
//! make the peer fail the connection (RFC 6455 §5.2). All cases expect a 1002 from
//! the peer within 1 s (case4_*.py).

use super::build::{case, frame, kill_after, ok, ok_or_non_strict, peer_fails, secs, send, text};
use super::{Case, Step};

const HELLO: &[u8] = b"Hello, world!";
const PAYLOAD: &[u8] = b"reserved opcode payload";

const EXPECT_FAIL: &str = "The connection is failed immediately.";
const EXPECT_ECHO_THEN_FAIL: &str = "Echo for first message is received, but then connection \
     is failed immediately, since reserved opcode frame is used. A Pong is not received.";

/// A lone frame with a reserved opcode; nothing must come back.
fn lone(id: &str, description: String, opcode: u8, payload: &[u8]) -> Case {
    Case {
        steps: vec![send(opcode, payload), kill_after(secs(1))],
        expected: ok(vec![]),
        expected_close: peer_fails(1002),
        ..case(id, description, EXPECT_FAIL)
    }
}

/// A text message, a reserved-opcode frame (with `payload`), a ping, each written in
/// `chop`-octet pieces if given: the message is echoed (OK) or not (NON-STRICT).
fn after_message(
    id: &str,
    description: String,
    opcode: u8,
    payload: &[u8],
    chop: Option<usize>,
) -> Case {
    let style = |spec: super::FrameSpec| match chop {
        Some(size) => Step::Frame(spec.chop(size)),
        None => Step::Frame(spec),
    };
    Case {
        steps: vec![
            style(frame(1, HELLO)),
            style(frame(opcode, payload)),
            style(frame(9, b"")),
            kill_after(secs(1)),
        ],
        expected: ok_or_non_strict(vec![text(HELLO)], vec![]),
        expected_close: peer_fails(1002),
        ..case(id, description, EXPECT_ECHO_THEN_FAIL)
    }
}

/// 4.1 (non-control, opcodes 3–7) or 4.2 (control, 11–15).
fn subsection(sub: u8, kind: &str, first: u8) -> Vec<Case> {
    let id = |x: u8| format!("4.{sub}.{x}");
    let op = |x: u8| first + x - 1;
    let reserved = |x: u8| format!("reserved {kind} <b>Opcode = {}</b>", op(x));
    let then_ping = |x: u8, extra: &str| {
        format!(
            "Send small text message, then send frame with {}{extra}, then send Ping.",
            reserved(x)
        )
    };
    let with_payload = " and non-empty payload";
    vec![
        lone(
            &id(1),
            format!("Send frame with {}.", reserved(1)),
            op(1),
            b"",
        ),
        lone(
            &id(2),
            format!("Send frame with {}{with_payload}.", reserved(2)),
            op(2),
            PAYLOAD,
        ),
        after_message(&id(3), then_ping(3, ""), op(3), b"", None),
        after_message(&id(4), then_ping(4, with_payload), op(4), HELLO, None),
        after_message(&id(5), then_ping(5, with_payload), op(5), HELLO, Some(1)),
    ]
}

pub(super) fn cases() -> Vec<Case> {
    let mut cases = subsection(1, "non-control", 3);
    cases.extend(subsection(2, "control", 11));
    cases
}
