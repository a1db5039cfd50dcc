//! wsspec's own sections: what the Autobahn|Testsuite never checks. Their ids start at
//! 100, so they never collide with Autobahn's (1–13) and still sort and parse like
//! them:
//!
//! - `100.*` the opening handshake, server under test (RFC 6455 §4.2);
//! - `101.*` the opening handshake, client under test (RFC 6455 §4.1; `wsspec serve`);
//! - `102.*` fail-fast UTF-8 where Autobahn stops: an invalid byte in a later
//!   continuation frame before that frame completes, invalid close reasons;
//! - `103.*` limits and bombs: a 2^63-octet length claim, a message just over the
//!   peer's limit, a permessage-deflate bomb, a ping flood;
//! - `104.*` split delivery: Autobahn's data cases with every write cut into one-octet
//!   (`104.1.<id>`) or seeded random (`104.2.<id>`) pieces;
//! - `105.*` hixie-76, the legacy draft-76 protocol: handshake answer, framing, closing.
//!
//! A case is a [`Case`] like Autobahn's, with a [`Spec`]: the RFC rule it checks, what a
//! conformant peer does (the "expected …" of an h2spec-style failure) and how it runs
//! ([`Exec`]). Cases run by the fuzzer ([`Exec::Steps`], [`Exec::Split`], …) are judged
//! by wstest's rules from their [`Case::expected`] lists; the handshake and hixie-76
//! cases have executors of their own, because they need raw control of the HTTP bytes.
//! Nothing here does I/O.

use std::time::Duration;

use wsspec_codec::deflate::DeflateOffer;

use super::Case;

mod s100_handshake;
mod s102_utf8;
mod s103_limits;
mod s104_split;
mod s105_hixie76;

pub use s103_limits::{deflate_bomb_unit, over_limit_steps, ping_flood_payload, BOMB_UNIT_ZEROS};

/// What a case of wsspec's own sections adds to a [`Case`].
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// The rule the case checks, e.g. "RFC 6455 §4.2.1 item 5".
    pub rfc: &'static str,
    /// What a conformant peer does, as one sentence ("expected …" when the case fails).
    pub expected: String,
    /// How the case runs.
    pub exec: Exec,
}

/// How a case of wsspec's own sections runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Exec {
    /// The fuzzer runs the case's steps and judges them as it judges Autobahn's
    /// (sections 102, 103.1, 103.4).
    Steps,
    /// Like [`Exec::Steps`], every octet the suite writes — the opening handshake
    /// included — cut into pieces, each its own TCP write (section 104).
    Split(Split),
    /// The steps are made when the run starts, from the peer's message limit the user
    /// gives (`--peer-max-message`): RFC 6455 has no way for a peer to advertise one.
    /// Without it the case is UNIMPLEMENTED (103.2).
    OverLimit(OverLimit),
    /// Like [`Exec::Steps`], but the case needs permessage-deflate: UNIMPLEMENTED when
    /// the peer does not agree to the case's offers, as Autobahn's 12.x/13.x (103.3).
    NeedsDeflate,
    /// A raw opening handshake to a server (section 100).
    Handshake(HandshakeCase),
    /// A draft-76 connection to a server (section 105).
    Hixie76(Hixie76Case),
}

/// How the suite cuts what it writes into TCP writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// One octet per write.
    EveryOctet,
    /// Pieces of 1 to `max` octets, drawn from a generator seeded with `seed` (so a run
    /// can be repeated exactly).
    Random {
        /// The generator's seed.
        seed: u64,
        /// The largest piece.
        max: usize,
    },
}

/// 103.2: a message of the peer's limit plus `over` octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverLimit {
    /// Octets beyond the limit: 0 sends exactly the limit (which must be echoed).
    pub over: u64,
    /// Send the message in this many frames (each under the limit) rather than one.
    pub frames: Option<usize>,
}

/// A raw opening handshake (section 100): the request as written, how it is written,
/// and the answer a conformant server gives.
#[derive(Debug, Clone, PartialEq)]
pub struct HandshakeCase {
    /// The request head, CRLF CRLF included; `{resource}` and `{host}` stand for the
    /// target's request target and `Host` value.
    pub request: String,
    /// Headers appended to the head before its blank line (oversized heads).
    pub filler: Option<Filler>,
    /// How the request is cut into TCP writes (`None`: one write).
    pub split: Option<Split>,
    /// The answer a conformant server gives.
    pub answer: Answer,
    /// The permessage-deflate offers of the request a server may accept (the valid
    /// ones); accepting anything else fails (RFC 7692 §7).
    pub deflate: Vec<DeflateOffer>,
}

/// Headers appended to a request head: `X-Wsspec-Filler-<n>: <value_len octets>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filler {
    /// How many.
    pub headers: usize,
    /// The length of each value.
    pub value_len: usize,
}

/// The answer a conformant server gives to a raw opening handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// No upgrade: an HTTP error status (4xx or 5xx: RFC 6455 §4.2.1 asks for "an
    /// appropriate error code (such as 400 Bad Request)"), preferably `status`,
    /// carrying `header` (name, value token) when given.
    Refuse {
        /// The status the RFC names, if it names one.
        status: Option<u16>,
        /// A header the refusal must carry.
        header: Option<(&'static str, &'static str)>,
        /// The head is oversized but otherwise valid: upgrading is NON-STRICT rather
        /// than FAILED (a server may process what it wishes to), and a refusal should
        /// be a 4xx (RFC 7230 §3.2.5).
        lenient: bool,
    },
    /// A valid `101` (RFC 6455 §4.1's client checks all pass), then the text message
    /// the suite sends is echoed and the closing handshake completes. With
    /// `may_refuse`, refusing is acceptable too (NON-STRICT): a server may decline a
    /// connection it does not want (§4.2.2 item 4).
    Upgrade {
        /// Refusing is acceptable.
        may_refuse: bool,
    },
}

/// A draft-76 connection (section 105).
#[derive(Debug, Clone, PartialEq)]
pub struct Hixie76Case {
    /// The keys of the handshake.
    pub keys: HixieKeys,
    /// Write `key3` (the 8 octets after the head) as a write of its own, a moment
    /// after the head.
    pub key3_apart: bool,
    /// What the suite sends once the handshake is done, each a write of its own.
    pub send: Vec<HixieFrame>,
    /// Cut the frames' octets into pieces (`None`: each frame one write).
    pub split: Option<Split>,
    /// What a conformant server does.
    pub expect: HixieExpect,
}

/// The keys of a draft-76 handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HixieKeys {
    /// The draft's worked example (§1.3): its answer is `8jKS'y:G*Co,Wxa-`.
    DraftExample,
    /// Keys made by the draft's algorithm (§4.1 steps 16–26) from this seed.
    Seeded(u64),
    /// These `Sec-WebSocket-Key1`/`Key2` values, written as given (invalid ones).
    Raw {
        /// `Sec-WebSocket-Key1`.
        key1: &'static str,
        /// `Sec-WebSocket-Key2`.
        key2: &'static str,
    },
}

/// A draft-76 frame the suite sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HixieFrame {
    /// `0x00`, the UTF-8 text, `0xFF`.
    Text(&'static str),
    /// These octets as they are.
    Raw(Vec<u8>),
    /// `0xFF 0x00`: the suite starts the closing handshake.
    Close,
}

/// What a draft-76 server does with a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HixieExpect {
    /// Answers the handshake (101 with the right origin, location and MD5 challenge
    /// response), echoes these texts in order, and answers the suite's `0xFF 0x00`
    /// with its own before closing TCP.
    Echo(Vec<&'static str>),
    /// Aborts the handshake: no 101. A server that does not speak draft-76 at all
    /// (a handshake with valid keys is not answered either) makes the case
    /// UNIMPLEMENTED.
    Abort,
}

/// A rule applied after wstest's verdict rules, for a case wstest's event lists
/// cannot express.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// 103.4.1: `count` pings were sent in one burst (payloads from
    /// [`ping_flood_payload`]), then a text message. Each pong must answer one of
    /// them, in order, and the last ping must be answered (RFC 6455 §5.5.3 lets a
    /// peer answer only the most recent of several pings); then the echo of the
    /// message is OK. A peer may instead fail the connection on a flood (RFC 6455
    /// §10.4's limits): with a close frame (e.g. 1008) that is NON-STRICT; by dropping
    /// TCP, without the close frame §7.1.7 asks for, NON-STRICT with an UNCLEAN close.
    /// A peer that neither answers nor fails FAILS.
    PingFlood {
        /// How many pings.
        count: usize,
    },
}

/// The implementation a case tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Peer {
    /// A server (`wsspec run`).
    Server,
    /// A client (`wsspec serve`).
    Client,
}

impl Case {
    /// The wsspec part of a case of wsspec's own sections; `None` for Autobahn's.
    pub fn spec(&self) -> Option<&Spec> {
        self.wsspec.as_ref()
    }

    /// Whether the case can test `peer`. Autobahn's cases test both; the handshake and
    /// hixie-76 sections test servers. (Section 101, the client's handshake, is not in
    /// this catalog: `wsspec serve` answers with it, see `serve/handshake.rs`.) Cases whose steps are made
    /// or judged around the fuzzer ([`Exec::OverLimit`], [`Exec::NeedsDeflate`]) run
    /// against servers only, for now.
    pub fn tests(&self, peer: Peer) -> bool {
        match self.spec().map(|s| &s.exec) {
            None | Some(Exec::Steps) | Some(Exec::Split(_)) => true,
            Some(
                Exec::OverLimit(_) | Exec::NeedsDeflate | Exec::Handshake(_) | Exec::Hixie76(_),
            ) => peer == Peer::Server,
        }
    }

    /// How the suite cuts its writes, for [`Exec::Split`] cases.
    pub fn split(&self) -> Option<Split> {
        match self.spec()?.exec {
            Exec::Split(split) => Some(split),
            _ => None,
        }
    }
}

/// wsspec's own sections (100, 102–105), in id order.
pub fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(s100_handshake::cases());
    cases.extend(s102_utf8::cases());
    cases.extend(s103_limits::cases());
    cases.extend(s104_split::cases());
    cases.extend(s105_hixie76::cases());
    cases
}

/// A case of wsspec's own sections: `base` (an Autobahn-shaped case built with the
/// usual constructors) with its rule, expectation and executor.
fn with_spec(base: Case, rfc: &'static str, expected: impl Into<String>, exec: Exec) -> Case {
    Case {
        wsspec: Some(Spec {
            rfc,
            expected: expected.into(),
            exec,
        }),
        ..base
    }
}

/// Text without HTML tags, whitespace collapsed (wstest's descriptions and
/// expectations are HTML fragments).
pub fn plain(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What a handshake or hixie-76 case costs against a conformant peer.
const HANDSHAKE: Duration = Duration::from_millis(10);
