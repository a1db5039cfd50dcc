//! Section 102: fail-fast UTF-8 where Autobahn stops (RFC 6455 §8.1: an endpoint that
//! finds a byte stream is not valid UTF-8 fails the connection).
//!
//! 102.1: Autobahn's 6.4.1/6.4.2 put the invalid octets in a later *whole* frame, and
//! 6.4.3/6.4.4 in a frame being received, but always the *first* one. Here the first
//! frame is valid and complete; the invalid octet arrives in a continuation frame
//! whose header announces more than is sent, so the frame is still incomplete when
//! the suite waits. A fail-fast peer fails the connection (1007) during that wait (OK);
//! one that validates a continuation frame only once it is complete fails after the
//! rest arrives (NON-STRICT); one that never fails FAILS.
//!
//! 102.2: close reasons that are not UTF-8 in ways 7.5.1 (one encoded surrogate) does
//! not try: a sequence cut at the end of the reason, an overlong encoding, a code
//! point above U+10FFFF, a lone continuation octet; and a valid 123-octet reason ending
//! in a 4-octet character, which must be accepted.

use super::{with_spec, Exec};
use crate::catalog::build::{
    case, close, kill_after, ms, ok, ok_or_non_strict, peer_fails_invalid_utf8, secs, suite_closes,
    QUICK,
};
use crate::catalog::{Case, Event, FrameSpec, Post, Step};

/// Section 102, in id order.
pub(super) fn cases() -> Vec<Case> {
    let mut cases = later_frames();
    cases.extend(close_reasons());
    cases
}

/// 102.1: the invalid octet in a continuation frame that has not completed.
fn later_frames() -> Vec<Case> {
    // (id, what, the first frame, the octets of the second frame sent before the
    // wait). The second frame announces 16 more octets than that, sent after it.
    let vectors: [(&str, &str, &[u8], &[u8]); 5] = [
        (
            "102.1.1",
            "an octet that is never valid (0xff)",
            b"Hello-",
            b"\xce\xba\xff",
        ),
        (
            "102.1.2",
            "a sequence begun at the end of the first frame (0xe2) and broken by the \
             continuation frame's first octet (0x28)",
            b"Hello-\xe2",
            b"\x28",
        ),
        (
            "102.1.3",
            "a code point above U+10FFFF (0xf4 0x90), invalid at its second octet",
            b"Hello-",
            b"\xf4\x90",
        ),
        (
            "102.1.4",
            "an encoded UTF-16 surrogate (0xed 0xa0), invalid at its second octet",
            b"Hello-",
            b"\xed\xa0",
        ),
        (
            "102.1.5",
            "an overlong encoding (0xc0), invalid at its first octet",
            b"Hello-",
            b"\xc0",
        ),
    ];
    let wait = |tag| Step::Wait {
        delay: secs(1),
        tag: Some(tag),
        record: true,
    };
    vectors
        .into_iter()
        .map(|(id, what, first, invalid)| {
            let rest = [b'*'; 16];
            let steps = vec![
                Step::Frame(FrameSpec::new(1, first).fin(false)),
                wait("A"),
                Step::FrameStart {
                    opcode: 0,
                    fin: true,
                    len: (invalid.len() + rest.len()) as u64,
                },
                Step::FrameData(invalid.to_vec()),
                wait("B"),
                Step::FrameData(rest.to_vec()),
                kill_after(secs(1)),
            ];
            let description = format!(
                "Send a text message in two frames. The first is valid and complete; then \
                 wait. The second (a final continuation frame) announces {} octets, of \
                 which the suite sends the first {}, containing {what}; then wait, then \
                 send the remaining 16.",
                invalid.len() + rest.len(),
                invalid.len()
            );
            let expected = "the peer fails the connection (1007) as soon as the invalid octet \
                            arrives, before the continuation frame completes";
            with_spec(
                Case {
                    steps,
                    expected: ok_or_non_strict(
                        vec![Event::Timeout("A")],
                        vec![Event::Timeout("A"), Event::Timeout("B")],
                    ),
                    expected_close: peer_fails_invalid_utf8(),
                    timing_sensitive: true,
                    expected_duration: secs(2) + QUICK,
                    ..case(id, description, expected)
                },
                "RFC 6455 §8.1, §5.6",
                expected,
                Exec::Steps,
            )
        })
        .collect()
}

/// 102.2: close reasons that are not UTF-8, and one that is.
fn close_reasons() -> Vec<Case> {
    let invalid: [(&str, &str, &[u8]); 4] = [
        (
            "102.2.1",
            "ends with a 3-octet sequence cut after its second octet",
            b"Goodbye \xe2\x82",
        ),
        (
            "102.2.2",
            "holds an overlong encoding of '/' (0xc0 0xaf)",
            b"Good\xc0\xafbye",
        ),
        (
            "102.2.3",
            "holds a code point above U+10FFFF (0xf4 0x90 0x80 0x80)",
            b"Good\xf4\x90\x80\x80bye",
        ),
        (
            "102.2.4",
            "holds a lone continuation octet (0x80)",
            b"Good\x80bye",
        ),
    ];
    let expected = "the peer answers the close with 1007 or 1002 (or drops TCP): the reason \
                    is not UTF-8";
    let mut cases: Vec<Case> = invalid
        .into_iter()
        .map(|(id, what, reason)| {
            with_spec(
                Case {
                    steps: vec![close(Some(1000), Some(reason)), kill_after(secs(1))],
                    expected: ok(vec![]),
                    expected_close: suite_closes(vec![1002, 1007], false),
                    post: Post::WrongCodeFails,
                    ..case(
                        id,
                        format!("Send a close frame with code 1000 whose reason {what}."),
                        expected,
                    )
                },
                "RFC 6455 §5.5.1, §8.1",
                expected,
                Exec::Steps,
            )
        })
        .collect();
    // 119 ASCII octets and U+1F600 (4 octets): 123, the most a reason can hold next to
    // the 2-octet code in a 125-octet control frame.
    let mut reason = vec![b'a'; 119];
    reason.extend_from_slice("\u{1F600}".as_bytes());
    let expected_valid = "the peer answers the close with 1000: the reason is valid UTF-8";
    cases.push(with_spec(
        Case {
            steps: vec![close(Some(1000), Some(&reason)), kill_after(secs(1))],
            expected: ok(vec![]),
            expected_close: suite_closes(vec![1000], true),
            post: Post::WrongCodeFails,
            expected_duration: ms(5),
            ..case(
                "102.2.5",
                "Send a close frame with code 1000 and a 123-octet reason (the most a close \
                 frame holds) that ends in a 4-octet character (U+1F600).",
                expected_valid,
            )
        },
        "RFC 6455 §5.5, §5.5.1",
        expected_valid,
        Exec::Steps,
    ));
    cases
}
