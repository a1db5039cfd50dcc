//! Section 10: miscellaneous — 10.1.1 sends 64 KiB auto-fragmented into 1300-octet
//! frames and checks the suite's own frame counts as well as the echo
//! (case10_1_1.py). It tests the suite's fragmentation as much as the peer.

use super::build::{case, kill_after, message, ok, repeat, secs, text};
use super::{Case, Check};

const LEN: usize = 65536;
const FRAGMENT: usize = 1300;

pub(super) fn cases() -> Vec<Case> {
    vec![Case {
        steps: vec![
            message(repeat(b"*", LEN), false, Some(FRAGMENT)),
            kill_after(secs(10)),
        ],
        expected: ok(vec![text(repeat(b"*", LEN))]),
        // wstest's own arithmetic: LEN / FRAGMENT full frames after the first counted as
        // continuations, and one text frame since LEN % FRAGMENT > 0.
        check: Check::SentFrames {
            text: 1,
            continuation: (LEN / FRAGMENT) as u64,
        },
        ..case(
            "10.1.1",
            format!(
                "Send text message with payload of length {LEN} auto-fragmented with \
                 <b>autoFragmentSize = {FRAGMENT}</b>."
            ),
            "Receive echo'ed text message (with payload as sent and transmitted frame counts as \
             expected). Clean close with normal code.",
        )
    }]
}
