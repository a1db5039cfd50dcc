//! `utf8_stream`: incremental UTF-8 validation over arbitrary fragmentation agrees with
//! `std::str::from_utf8` — on the verdict, on the offset of the first bad sequence, and
//! on *when* it is reported: fail-fast means at the first piece after which the bytes so
//! far can no longer begin any valid UTF-8 (RFC 6455 §8.1), never earlier or later.
//!
//! Checked twice: on [`Utf8Validator`] fed piece by piece, and on a text message in
//! [`MessageAssembler`] whose frames are those pieces (each frame further split into two
//! pushes), with a message limit that may cut it short (1009 before 1007 only when the
//! limit is hit first).
//!
//! Layout: `flags` (bits 0–2: message limit index into [`crate::input::MAX_MESSAGE`],
//! 7 = unlimited), a chunk plan, then the bytes.

use wsspec_codec::frame::{FrameHeader, Opcode};
use wsspec_codec::message::{Message, MessageAssembler, MessageError, Utf8Error, Utf8Validator};

use crate::input::{Reader, MAX_MESSAGE};

/// Whether `bytes` can still be the start of valid UTF-8.
fn valid_prefix(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

/// The index of the piece at which a fail-fast validator must fail, if any piece.
fn failing_piece(pieces: &[&[u8]]) -> Option<usize> {
    let mut seen = 0;
    let all: Vec<u8> = pieces.concat();
    pieces.iter().position(|p| {
        seen += p.len();
        !valid_prefix(&all[..seen])
    })
}

fn check_validator(data: &[u8], pieces: &[&[u8]], verdict: &Result<&str, std::str::Utf8Error>) {
    let must_fail_at = failing_piece(pieces);
    let mut v = Utf8Validator::new();
    for (i, piece) in pieces.iter().enumerate() {
        match v.feed(piece) {
            Ok(()) => assert!(
                must_fail_at.is_none_or(|at| i < at),
                "piece {i} accepted after the stream became invalid"
            ),
            Err(e) => {
                assert_eq!(Some(i), must_fail_at, "failed at the wrong piece");
                let std_err = verdict.as_ref().expect_err("std accepts what failed");
                assert_eq!(e.offset, std_err.valid_up_to(), "error offset");
                return;
            }
        }
    }
    match (v.finish(), verdict) {
        (Ok(()), Ok(_)) => {}
        (Err(e), Err(std_err)) => {
            // Only a truncated sequence at the very end is left to `finish`.
            assert!(
                std_err.error_len().is_none(),
                "{data:?}: invalid byte missed"
            );
            assert_eq!(e.offset, std_err.valid_up_to());
        }
        (got, want) => panic!("finish said {got:?}, std says {want:?}"),
    }
}

fn check_assembler(pieces: &[&[u8]], max: usize, verdict: &Result<&str, std::str::Utf8Error>) {
    let must_fail_at = failing_piece(pieces);
    let mut asm = MessageAssembler::new(max);
    let mut total = 0usize;
    let last = pieces.len() - 1;
    for (i, piece) in pieces.iter().enumerate() {
        let opcode = if i == 0 {
            Opcode::Text
        } else {
            Opcode::Continuation
        };
        let header = FrameHeader {
            fin: i == last,
            ..FrameHeader::new(opcode, piece.len() as u64)
        };
        asm.begin_frame(&header).expect("a valid fragment sequence");
        let (a, b) = piece.split_at(piece.len() / 2);
        for half in [a, b] {
            let result = asm.push(half);
            let over = total + half.len() > max;
            match result {
                Err(MessageError::MessageTooBig { max: m }) => {
                    assert!(over, "1009 below the limit");
                    assert_eq!(m, max);
                    return;
                }
                Err(MessageError::InvalidUtf8(Utf8Error { offset })) => {
                    assert!(!over, "1007 where the limit was hit first");
                    assert_eq!(Some(i), must_fail_at, "1007 at the wrong frame");
                    let std_err = verdict.as_ref().expect_err("std accepts it");
                    assert_eq!(offset, std_err.valid_up_to());
                    return;
                }
                Err(other) => panic!("unexpected {other:?}"),
                Ok(()) => assert!(!over, "message grew past the limit"),
            }
            total += half.len();
        }
        assert!(
            must_fail_at.is_none_or(|at| i < at),
            "frame {i} accepted after the text became invalid"
        );
        match asm.end_frame() {
            Ok(None) => assert!(i < last),
            Ok(Some(Message::Text(text))) => {
                assert_eq!(i, last);
                assert_eq!(Ok(text.as_str()), *verdict);
            }
            Ok(Some(Message::Binary(_))) => panic!("text message came out binary"),
            Err(MessageError::InvalidUtf8(Utf8Error { offset })) => {
                assert_eq!(i, last, "incomplete sequence reported before the end");
                let std_err = verdict.as_ref().expect_err("std accepts it");
                assert!(std_err.error_len().is_none());
                assert_eq!(offset, std_err.valid_up_to());
            }
            Err(other) => panic!("unexpected {other:?} at the end of a frame"),
        }
    }
    assert!(!asm.in_message());
}

/// The target.
pub fn run(data: &[u8]) {
    let mut r = Reader::new(data);
    let flags = r.byte();
    let plan = r.plan();
    let text = r.rest();
    let pieces = plan.split(text);
    let verdict = std::str::from_utf8(text);
    check_validator(text, &pieces, &verdict);
    let max = match flags & 7 {
        7 => usize::MAX,
        i => MAX_MESSAGE[usize::from(i)],
    };
    check_assembler(&pieces, max, &verdict);
}
