//! Small constructors shared by the section modules, so that a case reads as a few
//! lines of data.

use std::time::Duration;

use super::{Case, CaseId, Check, Event, Expected, ExpectedClose, FrameSpec, Payload, Post, Step};

/// What a case costs against a conformant peer when nothing in it waits: a round trip
/// or two on loopback (wstest measured 0–25 ms for each such case).
pub(super) const QUICK: Duration = Duration::from_millis(5);

/// A case with wstest's defaults: no steps, no expectation, the usual clean close by
/// the suite, judged by its events. Sections override fields with `..case(…)`.
pub(super) fn case(
    id: &str,
    description: impl Into<String>,
    expectation: impl Into<String>,
) -> Case {
    Case {
        id: CaseId::new(id),
        description: description.into(),
        expectation: expectation.into(),
        offers: Vec::new(),
        steps: Vec::new(),
        expected: Expected::none(),
        expected_close: ExpectedClose::normal(),
        suppress_close: false,
        check: Check::Events,
        post: Post::None,
        report_time: false,
        report_compression_ratio: false,
        timing_sensitive: false,
        expected_duration: QUICK,
        wsspec: None,
    }
}

/// `n` seconds.
pub(super) fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// `n` milliseconds.
pub(super) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// `unit` repeated to `len` octets (wstest's `payload_len`, or `"*" * len`).
pub(super) fn repeat(unit: &'static [u8], len: usize) -> Payload {
    Payload::Repeat { unit, len }
}

/// A final frame with this opcode and payload.
pub(super) fn frame(opcode: u8, payload: impl Into<Payload>) -> FrameSpec {
    FrameSpec::new(opcode, payload)
}

/// `sendFrame` of a final frame with this opcode and payload.
pub(super) fn send(opcode: u8, payload: impl Into<Payload>) -> Step {
    Step::Frame(frame(opcode, payload))
}

/// `sendMessage` of a text (`binary == false`) or binary message.
pub(super) fn message(
    payload: impl Into<Payload>,
    binary: bool,
    fragment_size: Option<usize>,
) -> Step {
    Step::Message {
        payload: payload.into(),
        binary,
        fragment_size,
    }
}

/// `sendCloseFrame(code, reason)` (also what `sendClose` comes down to).
pub(super) fn close(code: Option<u16>, reason: Option<&[u8]>) -> Step {
    Step::Close {
        code,
        reason: reason.map(<[u8]>::to_vec),
    }
}

/// `killAfter(delay)`.
pub(super) fn kill_after(delay: Duration) -> Step {
    Step::KillAfter(delay)
}

/// `closeAfter(delay)`.
pub(super) fn close_after(delay: Duration) -> Step {
    Step::CloseAfter(delay)
}

/// The event of a text message echoed with this payload.
pub(super) fn text(payload: impl Into<Payload>) -> Event {
    Event::Message {
        payload: payload.into().to_vec(),
        binary: false,
    }
}

/// The event of a binary message echoed with this payload.
pub(super) fn binary(payload: impl Into<Payload>) -> Event {
    Event::Message {
        payload: payload.into().to_vec(),
        binary: true,
    }
}

/// The event of a pong with this payload.
pub(super) fn pong(payload: impl Into<Payload>) -> Event {
    Event::Pong(payload.into().to_vec())
}

/// Only this sequence is OK.
pub(super) fn ok(events: Vec<Event>) -> Expected {
    Expected::ok(events)
}

/// `ok` is OK, `non_strict` NON-STRICT.
pub(super) fn ok_or_non_strict(ok: Vec<Event>, non_strict: Vec<Event>) -> Expected {
    Expected::ok_or_non_strict(ok, non_strict)
}

/// The peer must fail the connection (with `code`, none, or a TCP drop); the suite's
/// own kill timer closing instead only costs `behaviorClose`.
pub(super) fn peer_fails(code: u16) -> ExpectedClose {
    ExpectedClose::peer_fails(code)
}

/// The peer must fail the connection with 1007 (or none, or a TCP drop), and the
/// suite closing instead fails `behavior` too: the peer missed the invalid UTF-8.
pub(super) fn peer_fails_invalid_utf8() -> ExpectedClose {
    ExpectedClose {
        wrong_endpoint_is_fatal: true,
        ..ExpectedClose::peer_fails(1007)
    }
}

/// The suite closes; the peer may answer with any of `codes`; `require_clean` as given.
pub(super) fn suite_closes(codes: Vec<u16>, require_clean: bool) -> ExpectedClose {
    ExpectedClose {
        closed_by_me: true,
        codes,
        require_clean,
        wrong_endpoint_is_fatal: false,
    }
}

/// Lowercase hex, as Python's `binascii.b2a_hex`.
pub(super) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}
