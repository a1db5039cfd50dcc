//! Section 5: fragmentation (RFC 6455 §5.4) — control frames are never fragmented,
//! control frames may come between fragments, continuation frames need a message to
//! continue, and a fragmented message is echoed whole (case5_*.py).

use super::build::{
    case, close_after, frame, kill_after, ok, ok_or_non_strict, peer_fails, pong, secs, text,
};
use super::{Case, FrameSpec, Step};

const EXPECT_NOTHING_TO_CONTINUE: &str =
    "The connection is failed immediately, since there is no message to continue.";
const EXPECT_ECHO: &str = "Message is processed and echo'ed back to us.";
const EXPECT_PONG_THEN_ECHO: &str = "A pong is received, then the message is echo'ed back to us.";

/// How the frames of a case are written: together, one write each, or octet by octet.
#[derive(Clone, Copy)]
enum Writes {
    Together,
    Sync,
    Octets,
}

impl Writes {
    fn apply(self, spec: FrameSpec) -> Step {
        Step::Frame(match self {
            Writes::Together => spec,
            Writes::Sync => spec.sync(),
            Writes::Octets => spec.chop(1),
        })
    }
}

/// The peer must fail the connection on these frames; nothing comes back.
fn must_fail(id: &str, description: &str, expectation: &str, frames: Vec<Step>) -> Case {
    let mut steps = frames;
    steps.push(kill_after(secs(1)));
    Case {
        steps,
        expected: ok(vec![]),
        expected_close: peer_fails(1002),
        ..case(id, description, expectation)
    }
}

/// "fragment1" + "fragment2" as text, with a ping between them if `ping`, echoed.
fn two_fragments(id: &str, description: &str, writes: Writes, ping: bool) -> Case {
    let mut steps = vec![writes.apply(frame(1, b"fragment1").fin(false))];
    let mut expected = Vec::new();
    if ping {
        steps.push(writes.apply(frame(9, b"ping payload")));
        expected.push(pong(b"ping payload"));
    }
    steps.push(writes.apply(frame(0, b"fragment2")));
    steps.push(close_after(secs(1)));
    expected.push(text(b"fragment1fragment2"));
    let expectation = if ping {
        EXPECT_PONG_THEN_ECHO
    } else {
        EXPECT_ECHO
    };
    Case {
        steps,
        expected: ok(expected),
        ..case(id, description, expectation)
    }
}

/// A continuation frame (final or not) with nothing to continue, then a text message.
fn orphan_continuation(id: &str, fin: bool, writes: Writes) -> Case {
    let how = match writes {
        Writes::Together => "one chop",
        Writes::Sync => "per-frame chops",
        Writes::Octets => "octet-wise chops",
    };
    let description = format!(
        "Send unfragmented Text Message after Continuation Frame with FIN = {fin}, where there \
         is nothing to continue, sent in {how}."
    );
    must_fail(
        id,
        &description,
        EXPECT_NOTHING_TO_CONTINUE,
        vec![
            writes.apply(frame(0, b"non-continuation payload").fin(fin)),
            writes.apply(frame(1, b"Hello, world!")),
        ],
    )
}

/// Twice: a continuation frame (final if `first_fin`) with nothing to continue, then
/// a text message in two fragments.
fn repeated_orphan(id: &str, description: &str, first_fin: bool) -> Case {
    let round = [
        Step::Frame(frame(0, b"fragment1").fin(first_fin)),
        Step::Frame(frame(1, b"fragment2").fin(false)),
        Step::Frame(frame(0, b"fragment3")),
    ];
    must_fail(
        id,
        description,
        EXPECT_NOTHING_TO_CONTINUE,
        [round.clone(), round].concat(),
    )
}

/// 5.19/5.20: fragments and pings across a 1 s pause, everything legal.
fn across_a_pause(id: &str, description: &str, expectation: &str, writes: Writes) -> Case {
    let steps = vec![
        writes.apply(frame(1, b"fragment1").fin(false)),
        writes.apply(frame(0, b"fragment2").fin(false)),
        writes.apply(frame(9, b"pongme 1!")),
        Step::Wait {
            delay: secs(1),
            tag: None,
            record: false,
        },
        writes.apply(frame(0, b"fragment3").fin(false)),
        writes.apply(frame(0, b"fragment4").fin(false)),
        writes.apply(frame(9, b"pongme 2!")),
        writes.apply(frame(0, b"fragment5")),
        close_after(secs(1)),
    ];
    Case {
        steps,
        expected: ok(vec![
            pong(b"pongme 1!"),
            pong(b"pongme 2!"),
            text(b"fragment1fragment2fragment3fragment4fragment5"),
        ]),
        timing_sensitive: true,
        expected_duration: secs(1) + super::build::QUICK,
        ..case(id, description, expectation)
    }
}

pub(super) fn cases() -> Vec<Case> {
    use Writes::{Octets, Sync, Together};
    const CONTROL_FRAGMENTED: &str =
        "Connection is failed immediately, since control message MUST NOT be fragmented.";
    vec![
        must_fail(
            "5.1",
            "Send Ping fragmented into 2 fragments.",
            CONTROL_FRAGMENTED,
            vec![
                Step::Frame(frame(9, b"fragment1").fin(false)),
                Step::Frame(frame(0, b"fragment2")),
            ],
        ),
        must_fail(
            "5.2",
            "Send Pong fragmented into 2 fragments.",
            CONTROL_FRAGMENTED,
            vec![
                Step::Frame(frame(10, b"fragment1").fin(false)),
                Step::Frame(frame(0, b"fragment2")),
            ],
        ),
        two_fragments(
            "5.3",
            "Send text Message fragmented into 2 fragments.",
            Together,
            false,
        ),
        two_fragments(
            "5.4",
            "Send text Message fragmented into 2 fragments, octets are sent in frame-wise chops.",
            Sync,
            false,
        ),
        two_fragments(
            "5.5",
            "Send text Message fragmented into 2 fragments, octets are sent in octet-wise chops.",
            Octets,
            false,
        ),
        two_fragments(
            "5.6",
            "Send text Message fragmented into 2 fragments, one ping with payload in-between.",
            Together,
            true,
        ),
        two_fragments(
            "5.7",
            "Send text Message fragmented into 2 fragments, one ping with payload in-between. \
             Octets are sent in frame-wise chops.",
            Sync,
            true,
        ),
        two_fragments(
            "5.8",
            "Send text Message fragmented into 2 fragments, one ping with payload in-between. \
             Octets are sent in octet-wise chops.",
            Octets,
            true,
        ),
        orphan_continuation("5.9", true, Together),
        orphan_continuation("5.10", true, Sync),
        orphan_continuation("5.11", true, Octets),
        orphan_continuation("5.12", false, Together),
        orphan_continuation("5.13", false, Sync),
        orphan_continuation("5.14", false, Octets),
        Case {
            expected: ok_or_non_strict(vec![text(b"fragment1fragment2")], vec![]),
            ..must_fail(
                "5.15",
                "Send text Message fragmented into 2 fragments, then Continuation Frame with \
                 FIN = false where there is nothing to continue, then unfragmented Text \
                 Message, all sent in one chop.",
                EXPECT_NOTHING_TO_CONTINUE,
                vec![
                    Step::Frame(frame(1, b"fragment1").fin(false)),
                    Step::Frame(frame(0, b"fragment2")),
                    Step::Frame(frame(0, b"fragment3").fin(false)),
                    Step::Frame(frame(1, b"fragment4")),
                ],
            )
        },
        repeated_orphan(
            "5.16",
            "Repeated 2x: Continuation Frame with FIN = false (where there is nothing to \
             continue), then text Message fragmented into 2 fragments.",
            false,
        ),
        repeated_orphan(
            "5.17",
            "Repeated 2x: Continuation Frame with FIN = true (where there is nothing to \
             continue), then text Message fragmented into 2 fragments.",
            true,
        ),
        must_fail(
            "5.18",
            "Send text Message fragmented into 2 fragments, with both frame opcodes set to \
             text, sent in one chop.",
            "The connection is failed immediately, since all data frames after the initial \
             data frame must have opcode 0.",
            vec![
                Step::Frame(frame(1, b"fragment1").fin(false)),
                Step::Frame(frame(1, b"fragment2")),
            ],
        ),
        across_a_pause(
            "5.19",
            "A fragmented text message is sent in multiple frames. After\n   sending the first \
             2 frames of the text message, a Ping is sent. Then we wait 1s,\n   then we send 2 \
             more text fragments, another Ping and then the final text fragment.\n   \
             Everything is legal.",
            "The peer immediately answers the first Ping before\n   it has received the last \
             text message fragment. The peer pong's back the Ping's\n   payload exactly, and \
             echo's the payload of the fragmented message back to us.",
            Together,
        ),
        across_a_pause(
            "5.20",
            "Same as Case 5.19, but send all frames with SYNC = True.\n   Note, this does not \
             change the octets sent in any way, only how the stream\n   is chopped up on the \
             wire.",
            "Same as Case 5.19. Implementations must be agnostic to how\n   octet stream is \
             chopped up on wire (must be TCP clean).",
            Sync,
        ),
    ]
}
