//! Section 2: pings and pongs (RFC 6455 §5.5.2, §5.5.3) — a pong echoes the ping's
//! payload, control payloads are at most 125 octets, unsolicited pongs are ignored
//! (case2_*.py).

use super::build::{
    case, close, close_after, frame, kill_after, ok, peer_fails, pong, repeat, secs, send,
};
use super::{Case, Step};

const PING: u8 = 9;
const PONG: u8 = 10;

const EXPECT_PONG_ECHO: &str =
    "Pong with payload echo'ed is sent in reply to Ping. Clean close with normal code.";
const EXPECT_PONGS: &str = "Pongs for our Pings with all the payloads. Note: This is not \
                            required by the Spec .. but we check for this behaviour anyway. \
                            Clean close with normal code.";

/// A ping with `payload` answered by its pong, then a close if the pong is late.
fn ping_case(id: &str, description: &str, expectation: &str, payload: &[u8]) -> Case {
    Case {
        steps: vec![send(PING, payload), close_after(secs(1))],
        expected: ok(vec![pong(payload)]),
        ..case(id, description, expectation)
    }
}

/// Ten pings "payload-0" … "payload-9", each written in `chop`-octet pieces if given.
fn ten_pings(id: &str, description: &str, chop: Option<usize>) -> Case {
    let payloads: Vec<String> = (0..10).map(|i| format!("payload-{i}")).collect();
    let mut steps: Vec<Step> = payloads
        .iter()
        .map(|payload| {
            let spec = frame(PING, payload.as_str());
            Step::Frame(match chop {
                Some(size) => spec.chop(size),
                None => spec,
            })
        })
        .collect();
    steps.push(close_after(secs(3)));
    Case {
        steps,
        expected: ok(payloads.iter().map(|p| pong(p.as_str())).collect()),
        ..case(id, description, EXPECT_PONGS)
    }
}

pub(super) fn cases() -> Vec<Case> {
    vec![
        ping_case(
            "2.1",
            "Send ping without payload.",
            "Pong (with empty payload) is sent in reply to Ping. Clean close with normal code.",
            b"",
        ),
        ping_case(
            "2.2",
            "Send ping with small text payload.",
            EXPECT_PONG_ECHO,
            b"Hello, world!",
        ),
        ping_case(
            "2.3",
            "Send ping with small binary (non UTF-8) payload.",
            EXPECT_PONG_ECHO,
            b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff",
        ),
        ping_case(
            "2.4",
            "Send ping with binary payload of 125 octets.",
            EXPECT_PONG_ECHO,
            &[0xfe; 125],
        ),
        Case {
            steps: vec![send(PING, repeat(b"\xfe", 126)), kill_after(secs(1))],
            expected: ok(vec![]),
            expected_close: peer_fails(1002),
            ..case(
                "2.5",
                "Send ping with binary payload of 126 octets.",
                "Connection is failed immediately (1002/Protocol Error), since control frames \
                 are only allowed to have payload up to and including 125 octets..",
            )
        },
        Case {
            steps: vec![
                Step::Frame(frame(PING, repeat(b"\xfe", 125)).chop(1)),
                close_after(secs(2)),
            ],
            expected: ok(vec![pong(repeat(b"\xfe", 125))]),
            ..case(
                "2.6",
                "Send ping with binary payload of 125 octets, send in octet-wise chops.",
                "Pong with payload echo'ed is sent in reply to Ping. Implementations must be \
                 TCP clean. Clean close with normal code.",
            )
        },
        Case {
            steps: vec![
                send(PONG, b""),
                close(Some(1000), None),
                close_after(secs(1)),
            ],
            expected: ok(vec![]),
            ..case(
                "2.7",
                "Send unsolicited pong without payload. Verify nothing is received. Clean \
                 close with normal code.",
                "Nothing.",
            )
        },
        Case {
            steps: vec![
                send(PONG, b"unsolicited pong payload"),
                close(Some(1000), None),
                close_after(secs(1)),
            ],
            expected: ok(vec![]),
            ..case(
                "2.8",
                "Send unsolicited pong with payload. Verify nothing is received. Clean close \
                 with normal code.",
                "Nothing.",
            )
        },
        Case {
            steps: vec![
                send(PONG, b"unsolicited pong payload"),
                send(PING, b"ping payload"),
                close_after(secs(1)),
            ],
            expected: ok(vec![pong(b"ping payload")]),
            ..case(
                "2.9",
                "Send unsolicited pong with payload. Send ping with payload. Verify pong for \
                 ping is received.",
                "Nothing in reply to own Pong, but Pong with payload echo'ed in reply to Ping. \
                 Clean close with normal code.",
            )
        },
        ten_pings("2.10", "Send 10 Pings with payload.", None),
        ten_pings(
            "2.11",
            "Send 10 Pings with payload. Send out octets in octet-wise chops.",
            Some(1),
        ),
    ]
}
