//! Section 7: the closing handshake (RFC 6455 §5.5.1, §7.4) — what may follow a close
//! frame, close payload lengths, the reason's UTF-8, valid and invalid status codes
//! (case7_*.py). Every case closes first itself (`closedByMe`); a close code from the
//! peer outside the accepted list fails `behavior` too ([`Post::WrongCodeFails`]).

use super::build::{
    case, close, kill_after, ok, ok_or_non_strict, repeat, secs, send, suite_closes, text,
};
use super::{Case, Post, Step};

const HELLO: &[u8] = b"Hello World!";

/// The suite sends `steps`, then kills the connection after 1 s; nothing must come
/// back, and the peer must close with one of `codes` (cleanly if `require_clean`).
fn closing(
    id: &str,
    description: &str,
    expectation: &str,
    steps: Vec<Step>,
    codes: Vec<u16>,
    require_clean: bool,
) -> Case {
    let mut steps = steps;
    steps.push(kill_after(secs(1)));
    Case {
        steps,
        expected: ok(vec![]),
        expected_close: suite_closes(codes, require_clean),
        // The case closes in its own way; no automatic close once nothing arrived.
        suppress_close: true,
        post: Post::WrongCodeFails,
        ..case(id, description, expectation)
    }
}

/// 7.1: what follows a close frame.
fn after_close() -> Vec<Case> {
    const NORMAL: &str = "Clean close with normal code.";
    let close_1000 = || close(Some(1000), None);
    vec![
        Case {
            steps: vec![send(1, HELLO), kill_after(secs(1))],
            expected: ok(vec![text(HELLO)]),
            post: Post::WrongCodeFails,
            ..case(
                "7.1.1",
                "Send a message followed by a close frame",
                "Echoed message followed by clean close with normal code.",
            )
        },
        closing(
            "7.1.2",
            "Send two close frames",
            "Clean close with normal code. Second close frame ignored.",
            vec![close_1000(), send(8, b"")],
            vec![1000],
            true,
        ),
        closing(
            "7.1.3",
            "Send a ping after close message",
            "Clean close with normal code, no pong.",
            vec![close_1000(), send(9, b"")],
            vec![1000],
            true,
        ),
        closing(
            "7.1.4",
            "Send text message after sending a close frame.",
            "Clean close with normal code. Text message ignored.",
            vec![close_1000(), send(1, HELLO)],
            vec![1000],
            true,
        ),
        closing(
            "7.1.5",
            "Send message fragment1 followed by close then fragment",
            NORMAL,
            vec![
                Step::Frame(super::FrameSpec::new(1, b"fragment1").fin(false)),
                close_1000(),
                send(0, b"fragment2"),
            ],
            vec![1000],
            true,
        ),
        Case {
            expected: ok_or_non_strict(vec![text(HELLO)], vec![]),
            post: Post::InformationalByMatch {
                ok: "Text message was processed before close.",
                non_strict: "Close was processed before text message could be returned.",
            },
            ..closing(
                "7.1.6",
                "Send 256K message followed by close then a ping",
                "Case outcome depends on implementation defined close behavior. Message and \
                 close frame are sent back to back. If the close frame is processed before the \
                 text message write is complete (as can happen in asynchronous processing \
                 models) the close frame is processed first and the text message may not be \
                 received or may only be partially received.",
                vec![
                    send(1, repeat(b"BAsd7&jh23", 256 << 10)),
                    send(1, HELLO),
                    close_1000(),
                    send(9, b""),
                ],
                vec![1000],
                true,
            )
        },
    ]
}

/// 7.3: close payload lengths 0, 1, 2, with a reason, at the 125-octet limit and over.
fn payload_lengths() -> Vec<Case> {
    const NORMAL: &str = "Clean close with normal code.";
    vec![
        closing(
            "7.3.1",
            "Send a close frame with payload length 0 (no close code, no close reason)",
            NORMAL,
            vec![close(None, None)],
            vec![1000],
            true,
        ),
        closing(
            "7.3.2",
            "Send a close frame with payload length 1",
            "Clean close with protocol error or drop TCP.",
            vec![close(None, Some(b"a"))],
            vec![1002],
            false,
        ),
        closing(
            "7.3.3",
            "Send a close frame with payload length 2 (regular close with a code)",
            NORMAL,
            vec![close(Some(1000), None)],
            vec![1000],
            true,
        ),
        closing(
            "7.3.4",
            "Send a close frame with close code and close reason",
            NORMAL,
            vec![close(Some(1000), Some(HELLO))],
            vec![1000],
            true,
        ),
        closing(
            "7.3.5",
            "Send a close frame with close code and close reason of maximum length (123)",
            NORMAL,
            vec![close(Some(1000), Some(&[b'*'; 123]))],
            vec![1000],
            true,
        ),
        closing(
            "7.3.6",
            "Send a close frame with close code and close reason which is too long (124) - \
             total frame payload 126 octets",
            "Clean close with protocol error code or dropped TCP connection.",
            vec![close(Some(1000), Some(&[b'*'; 124]))],
            vec![1002],
            false,
        ),
    ]
}

/// 7.5.1: a reason that is not UTF-8 ("κόσμε" + a UTF-16 surrogate + "edited").
fn invalid_reason() -> Case {
    closing(
        "7.5.1",
        "Send a close frame with invalid UTF8 payload",
        "Clean close with protocol error or invalid utf8 code or dropped TCP.",
        vec![close(
            Some(1000),
            Some(b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited"),
        )],
        vec![1002, 1007],
        false,
    )
}

/// 7.7: valid codes, which the peer may echo.
const VALID_CODES: [u16; 13] = [
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999,
];
/// 7.9: codes that must not appear on the wire (RFC 6455 §7.4.1, §7.4.2).
const INVALID_CODES: [u16; 9] = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999];
/// 7.13: codes outside the registered ranges, whose handling the RFC leaves open.
const UNDEFINED_CODES: [u16; 2] = [5000, 65535];

/// 7.7, 7.9, 7.13: one close frame with each code.
fn codes() -> Vec<Case> {
    let mut cases = Vec::new();
    for (x, code) in (1..).zip(VALID_CODES) {
        cases.push(Case {
            // wstest leaves the automatic close on here; nothing arrives to trigger it.
            suppress_close: false,
            ..closing(
                &format!("7.7.{x}"),
                &format!("Send close with valid close code {code}"),
                "Clean close with normal or echoed code",
                vec![close(Some(code), None)],
                vec![1000, code],
                true,
            )
        });
    }
    for (x, code) in (1..).zip(INVALID_CODES) {
        cases.push(Case {
            suppress_close: false,
            ..closing(
                &format!("7.9.{x}"),
                &format!("Send close with invalid close code {code}"),
                "Clean close with protocol error code or drop TCP",
                vec![close(Some(code), None)],
                vec![1002],
                false,
            )
        });
    }
    for (x, code) in (1..).zip(UNDEFINED_CODES) {
        cases.push(Case {
            post: Post::Informational(Some("Actual events are undefined by the spec.")),
            ..closing(
                &format!("7.13.{x}"),
                &format!("Send close with close code {code}"),
                "Actual events are undefined by the spec.",
                vec![close(Some(code), None)],
                vec![1000, code, 1002],
                false,
            )
        });
    }
    cases
}

pub(super) fn cases() -> Vec<Case> {
    let mut cases = after_close();
    cases.extend(payload_lengths());
    cases.push(invalid_reason());
    cases.extend(codes());
    cases
}
