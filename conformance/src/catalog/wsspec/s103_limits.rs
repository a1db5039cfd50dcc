//! Section 103: limits and bombs. RFC 6455 §10.4 asks implementations to limit frame
//! and message sizes (after reassembly, and for permessage-deflate after inflating)
//! against denial of service, failing the connection with 1009 (§7.4.1). The peer must
//! fail cleanly — not hang, not die, not allocate what it is told:
//!
//! - 103.1: a frame whose 64-bit length claims 2^63−1 octets (or 2^63, which §5.2
//!   forbids), of which only a little is sent;
//! - 103.2: a message just over the peer's own limit, which the user gives
//!   (`--peer-max-message`) since RFC 6455 has no way to advertise one;
//! - 103.3: a permessage-deflate bomb: 1 MiB on the wire that inflates to 1 GiB;
//! - 103.4: floods of pings and of unsolicited pongs, after which the peer must still
//!   echo a message.

use std::sync::OnceLock;

use wsspec_codec::deflate::{DeflateConfig, DeflateOffer, PerMessageDeflate, EMPTY_BLOCK_TAIL};
use wsspec_codec::frame::Role;

use super::{with_spec, Exec, OverLimit, Rule};
use crate::catalog::build::{case, close_after, kill_after, ms, ok, peer_fails, secs, text, QUICK};
use crate::catalog::{Case, Check, ExpectedClose, FrameSpec, Payload, Post, Step};

/// How many octets of zeros one unit of the deflate bomb inflates to.
pub const BOMB_UNIT_ZEROS: usize = 1 << 20;

/// How many units make the bomb: 1 GiB inflated.
const BOMB_UNITS: usize = 1024;

/// How many pings (or pongs) a flood sends: well under the runner's cap of 10 000
/// recorded events, since each ping should be answered.
const FLOOD: usize = 5000;

/// The message sent after a flood, to be echoed.
const AFTER_FLOOD: &str = "wsspec: still there after the flood?";

/// One unit of the deflate bomb: [`BOMB_UNIT_ZEROS`] zero octets compressed from a fresh
/// context and ended by a sync flush (`00 00 ff ff` kept). Units concatenated are one
/// valid DEFLATE stream (every block is non-final and no back-reference crosses a unit:
/// each starts from an empty window, and zeros only ever refer one octet back, so any
/// window size of RFC 7692 decodes it); a message of `n` units with the last four
/// octets removed is a permessage-deflate payload (§7.2.1) of `n` MiB of zeros.
pub fn deflate_bomb_unit() -> &'static [u8] {
    static UNIT: OnceLock<Vec<u8>> = OnceLock::new();
    UNIT.get_or_init(|| {
        let config = DeflateConfig {
            client_no_context_takeover: true,
            ..DeflateConfig::default()
        };
        let mut out = Vec::new();
        PerMessageDeflate::new(Role::Client, config).compress(&[0; BOMB_UNIT_ZEROS], &mut out);
        out.extend_from_slice(&EMPTY_BLOCK_TAIL);
        out
    })
}

/// The payload of the `index`th ping of 103.4.1: 125 octets (the most a control frame
/// carries) that start with the index, so a pong names the ping it answers in the first
/// octets a report shows.
pub fn ping_flood_payload(index: usize) -> Vec<u8> {
    let mut payload = format!("wsspec ping {index:05} ").into_bytes();
    payload.resize(125, b'.');
    payload
}

/// A 103.2 case with its steps, for a message of `len` octets in `frames` frames
/// (one when `None`): with `echo`, the peer must echo it (type and length checked, as
/// 9.x checks big messages) within a budget that grows with the length; otherwise it
/// must fail the connection with 1009 and the suite closing instead fails the case.
pub fn over_limit_steps(case: &Case, len: usize, echo: bool, frames: Option<usize>) -> Case {
    // Ten seconds, and one more per 10 MiB on the way and back.
    let budget = secs(10 + 2 * (len as u64 / (10 << 20)));
    let fragment_size = frames.map(|n| len.div_ceil(n.max(1)).max(1));
    let send = Step::Message {
        payload: Payload::Repeat { unit: b"*", len },
        binary: true,
        fragment_size,
    };
    let within = format!(
        "{len} octets{}",
        frames.map_or(String::new(), |n| format!(" in {n} frames"))
    );
    let description = format!("{} (The message: {within}.)", case.description);
    if echo {
        Case {
            description,
            steps: vec![Step::WireLog(false), send, close_after(budget)],
            check: Check::EchoLength {
                binary: true,
                len,
                within: budget,
                wrong_type: "Expected binary message with payload, but got text.",
            },
            ..case.clone()
        }
    } else {
        Case {
            description,
            steps: vec![
                Step::WireLog(false),
                send,
                Step::WireLog(true),
                kill_after(budget),
            ],
            expected: ok(vec![]),
            expected_close: peer_must_fail(vec![1009]),
            ..case.clone()
        }
    }
}

/// Section 103, in id order.
pub(super) fn cases() -> Vec<Case> {
    let mut cases = claims();
    cases.extend(over_limit());
    cases.extend(bombs());
    cases.extend(floods());
    cases
}

/// The peer must fail with one of `codes` (or drop TCP) and the suite closing instead
/// fails `behavior` too: the peer went on waiting for what it was told would come.
fn peer_must_fail(codes: Vec<u16>) -> ExpectedClose {
    ExpectedClose {
        codes,
        wrong_endpoint_is_fatal: true,
        ..peer_fails(0)
    }
}

/// 103.1: huge length claims.
fn claims() -> Vec<Case> {
    const MAX: u64 = (1 << 63) - 1;
    let start = |opcode, len| Step::FrameStart {
        opcode,
        fin: true,
        len,
    };
    let some_payload = || Step::FrameData(vec![b'*'; 1024]);
    let too_big = "the peer fails the connection with 1009 (message too big) on reading the \
                   length, without waiting for the payload or reserving memory for it";
    let claim = |id: &str,
                 description: &str,
                 rfc: &'static str,
                 expected: &str,
                 steps: Vec<Step>,
                 codes: Vec<u16>| {
        with_spec(
            Case {
                steps,
                expected: ok(vec![]),
                expected_close: peer_must_fail(codes),
                expected_duration: QUICK,
                ..case(id, description, expected)
            },
            rfc,
            expected,
            Exec::Steps,
        )
    };
    vec![
        claim(
            "103.1.1",
            "Send a binary frame header claiming 2^63-1 payload octets (the largest length \
             RFC 6455 allows), then 1 KiB of the payload, and nothing more.",
            "RFC 6455 §10.4, §7.4.1",
            too_big,
            vec![start(2, MAX), some_payload(), kill_after(secs(2))],
            vec![1009],
        ),
        claim(
            "103.1.2",
            "Send a binary frame header claiming 2^63 payload octets: the most significant \
             bit of the 64-bit length is set, which RFC 6455 forbids; then 1 KiB.",
            "RFC 6455 §5.2",
            "the peer fails the connection with 1002 (protocol error; 1009 is tolerated) on \
             reading the length",
            vec![start(2, 1 << 63), some_payload(), kill_after(secs(2))],
            vec![1002, 1009],
        ),
        claim(
            "103.1.3",
            "Send the first frame of a text message (\"Hello\", not final), then a final \
             continuation frame claiming 2^63-1 payload octets, then 1 KiB of it.",
            "RFC 6455 §10.4, §7.4.1",
            too_big,
            vec![
                Step::Frame(FrameSpec::new(1, "Hello").fin(false)),
                start(0, MAX),
                some_payload(),
                kill_after(secs(2)),
            ],
            vec![1009],
        ),
        claim(
            "103.1.4",
            "Send a ping whose header claims 2^63-1 payload octets in the 64-bit form, then \
             1 KiB of it.",
            "RFC 6455 §5.5",
            "the peer fails the connection with 1002 (protocol error: a control frame \
             carries at most 125 octets; 1009 is tolerated) on reading the length",
            vec![start(9, MAX), some_payload(), kill_after(secs(2))],
            vec![1002, 1009],
        ),
    ]
}

/// 103.2: the peer's own limit, plus one. The steps are made when the run starts.
fn over_limit() -> Vec<Case> {
    let over = "the peer fails the connection with 1009 (message too big)";
    let limit = |id: &str, description: &str, expected: &str, over_by, frames| {
        with_spec(
            Case {
                expected_duration: ms(50),
                ..case(id, description, expected)
            },
            "RFC 6455 §10.4, §7.4.1",
            expected,
            Exec::OverLimit(OverLimit {
                over: over_by,
                frames,
            }),
        )
    };
    vec![
        limit(
            "103.2.1",
            "Send a binary message of exactly the peer's message limit (given with \
             --peer-max-message), in one frame.",
            "the peer echoes the message: it is within the limit",
            0,
            None,
        ),
        limit(
            "103.2.2",
            "Send a binary message of the peer's message limit plus one octet, in one frame.",
            over,
            1,
            None,
        ),
        limit(
            "103.2.3",
            "Send a binary message of the peer's message limit plus one octet, in two \
             frames, each within the limit.",
            over,
            1,
            Some(2),
        ),
    ]
}

/// 103.3: permessage-deflate bombs. The offer is Autobahn's (12.x).
fn bombs() -> Vec<Case> {
    let unit = deflate_bomb_unit();
    let whole = Payload::Repeat {
        unit,
        len: BOMB_UNITS * unit.len() - EMPTY_BLOCK_TAIL.len(),
    };
    let compressed = |spec: FrameSpec| Step::Frame(spec.rsv(4));
    let one_frame = vec![compressed(FrameSpec::new(2, whole)), kill_after(secs(10))];
    let mut fragments = vec![compressed(
        FrameSpec::new(
            2,
            Payload::Repeat {
                unit,
                len: unit.len(),
            },
        )
        .fin(false),
    )];
    for _ in 1..BOMB_UNITS - 1 {
        fragments.push(Step::Frame(
            FrameSpec::new(
                0,
                Payload::Repeat {
                    unit,
                    len: unit.len(),
                },
            )
            .fin(false),
        ));
    }
    fragments.push(Step::Frame(FrameSpec::new(
        0,
        Payload::Repeat {
            unit,
            len: unit.len() - EMPTY_BLOCK_TAIL.len(),
        },
    )));
    fragments.push(kill_after(secs(10)));
    let expected = "the peer stops inflating at its message limit and fails the connection \
                    with 1009 (message too big), without echoing, hanging or dying";
    let bomb = |id: &str, description: String, steps| {
        with_spec(
            Case {
                offers: vec![DeflateOffer::autobahn_default()],
                steps,
                expected: ok(vec![]),
                expected_close: peer_must_fail(vec![1009]),
                expected_duration: ms(500),
                ..case(id, description, expected)
            },
            "RFC 6455 §10.4, §7.4.1; RFC 7692 §7.2.2",
            expected,
            Exec::NeedsDeflate,
        )
    };
    let wire = BOMB_UNITS * unit.len() - EMPTY_BLOCK_TAIL.len();
    vec![
        bomb(
            "103.3.1",
            format!(
                "With permessage-deflate agreed, send a compressed binary message of {wire} \
                 octets in one frame that inflates to 1 GiB of zeros."
            ),
            one_frame,
        ),
        bomb(
            "103.3.2",
            format!(
                "With permessage-deflate agreed, send a compressed binary message of {wire} \
                 octets that inflates to 1 GiB of zeros, in {BOMB_UNITS} frames of about {} \
                 octets.",
                unit.len()
            ),
            fragments,
        ),
    ]
}

/// 103.4: floods.
fn floods() -> Vec<Case> {
    let mut pings = vec![Step::WireLog(false)];
    pings.extend((0..FLOOD).map(|i| Step::Frame(FrameSpec::new(9, ping_flood_payload(i)))));
    pings.push(Step::Message {
        payload: AFTER_FLOOD.into(),
        binary: false,
        fragment_size: None,
    });
    pings.push(close_after(secs(10)));
    let ping_expected = "the peer answers the pings (every one, or at least the last: RFC 6455 \
                         §5.5.3), each pong carrying its ping's payload, in order, then echoes \
                         the message";
    let mut pongs = vec![Step::WireLog(false)];
    pongs.extend((0..FLOOD).map(|i| Step::Frame(FrameSpec::new(10, ping_flood_payload(i)))));
    pongs.push(Step::WireLog(true));
    pongs.push(Step::Message {
        payload: AFTER_FLOOD.into(),
        binary: false,
        fragment_size: None,
    });
    pongs.push(kill_after(secs(10)));
    let pong_expected =
        "the peer ignores the unsolicited pongs and echoes the message that follows them";
    vec![
        with_spec(
            Case {
                steps: pings,
                check: Check::EchoLength {
                    binary: false,
                    len: AFTER_FLOOD.len(),
                    within: secs(10),
                    wrong_type: "Expected text message with payload, but got binary.",
                },
                post: Post::Rule(Rule::PingFlood { count: FLOOD }),
                expected_duration: ms(200),
                ..case(
                    "103.4.1",
                    format!("Send {FLOOD} pings of 125 octets in one burst, then a text message."),
                    ping_expected,
                )
            },
            "RFC 6455 §5.5.2, §5.5.3",
            ping_expected,
            Exec::Steps,
        ),
        with_spec(
            Case {
                steps: pongs,
                expected: ok(vec![text(AFTER_FLOOD)]),
                expected_duration: ms(200),
                ..case(
                    "103.4.2",
                    format!(
                        "Send {FLOOD} unsolicited pongs of 125 octets in one burst, then a text \
                         message."
                    ),
                    pong_expected,
                )
            },
            "RFC 6455 §5.5.3",
            pong_expected,
            Exec::Steps,
        ),
    ]
}
