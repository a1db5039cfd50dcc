//! Section 3: reserved bits — RSV1–3 must be 0 unless an extension gives them a
//! meaning, else the peer fails the connection (RFC 6455 §5.2). All cases expect a
//! 1002 from the peer within 1 s (case3_*.py).

use super::build::{case, frame, kill_after, ok, ok_or_non_strict, peer_fails, secs, text};
use super::{Case, FrameSpec, Step};

const HELLO: &[u8] = b"Hello, world!";

const EXPECT_ECHO_THEN_FAIL: &str = "Echo for first message is received, but then connection \
     is failed immediately, since RSV must be 0, when no extension defining RSV meaning has \
     been negotiated. The Pong is not received.";
const EXPECT_FAIL: &str = "The connection is failed immediately, since RSV must be 0.";

/// One frame with reserved bits set; nothing must come back.
fn single(id: &str, description: &str, expectation: &str, spec: FrameSpec) -> Case {
    Case {
        steps: vec![Step::Frame(spec), kill_after(secs(1))],
        expected: ok(vec![]),
        expected_close: peer_fails(1002),
        ..case(id, description, expectation)
    }
}

/// A valid text message, the same with `rsv` set, then a ping, each frame written as
/// `style` says: the first is echoed (OK) or not (NON-STRICT), the ping never answered.
fn echo_then_rsv(id: &str, description: &str, rsv: u8, style: fn(FrameSpec) -> FrameSpec) -> Case {
    Case {
        steps: vec![
            Step::Frame(style(frame(1, HELLO))),
            Step::Frame(style(frame(1, HELLO).rsv(rsv))),
            Step::Frame(style(frame(9, b""))),
            kill_after(secs(1)),
        ],
        expected: ok_or_non_strict(vec![text(HELLO)], vec![]),
        expected_close: peer_fails(1002),
        ..case(id, description, EXPECT_ECHO_THEN_FAIL)
    }
}

pub(super) fn cases() -> Vec<Case> {
    vec![
        single(
            "3.1",
            "Send small text message with <b>RSV = 1</b>.",
            "The connection is failed immediately (1002/protocol error), since RSV must be 0, \
             when no extension defining RSV meaning has been negotiated.",
            frame(1, HELLO).rsv(1),
        ),
        echo_then_rsv(
            "3.2",
            "Send small text message, then send again with <b>RSV = 2</b>, then send Ping.",
            2,
            |spec| spec,
        ),
        echo_then_rsv(
            "3.3",
            "Send small text message, then send again with <b>RSV = 3</b>, then send Ping. \
             Octets are sent in frame-wise chops. Octets are sent in octet-wise chops.",
            3,
            FrameSpec::sync,
        ),
        echo_then_rsv(
            "3.4",
            "Send small text message, then send again with <b>RSV = 4</b>, then send Ping. \
             Octets are sent in octet-wise chops.",
            4,
            |spec| spec.chop(1),
        ),
        single(
            "3.5",
            "Send small binary message with <b>RSV = 5</b>.",
            EXPECT_FAIL,
            frame(2, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff").rsv(5),
        ),
        // The description says Ping, but wstest sends a binary frame.
        single(
            "3.6",
            "Send Ping with <b>RSV = 6</b>.",
            EXPECT_FAIL,
            frame(2, HELLO).rsv(6),
        ),
        single(
            "3.7",
            "Send Close with <b>RSV = 7</b>.",
            EXPECT_FAIL,
            frame(8, b"").rsv(7),
        ),
    ]
}
