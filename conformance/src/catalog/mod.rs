//! The case catalog: the 517 cases of the Autobahn|Testsuite (sections 1–7, 9, 10, 12,
//! 13), with the same ids in the same order, the same descriptions and the same
//! expectations as wstest 25.10.1.
//!
//! A case is data: what to send when the connection opens ([`Step`]s, in order, some of
//! them waits and timers), what the peer is expected to say ([`Expected`]), how the
//! connection is expected to end ([`ExpectedClose`]), and for the few cases that judge
//! the peer as they go (sections 9, 12, 13) a [`Check`]. The runner executes the steps
//! and applies wstest's verdict rules; nothing here does I/O.
//!
//! Large payloads are described, not stored ([`Payload::Repeat`]), so the catalog costs
//! a few hundred kilobytes however many 16 MiB messages section 9 sends.

use std::sync::OnceLock;
use std::time::Duration;

use wsspec_codec::deflate::DeflateOffer;
pub use wsspec_reports::CaseId;

mod build;
pub mod data;
mod pattern;
pub mod render;
mod s10_misc;
mod s12_deflate;
mod s1_framing;
mod s2_pings;
mod s3_reserved_bits;
mod s4_opcodes;
mod s5_fragmentation;
mod s6_utf8;
mod s7_close;
mod s9_limits;
pub mod shard;
pub mod wsspec;

pub use pattern::{select, CasePattern, PatternError};
pub use shard::{Shard, ShardError};
pub use wsspec::Peer;

/// One case of the catalog.
#[derive(Debug, Clone)]
pub struct Case {
    /// The id, `"6.4.1"`.
    pub id: CaseId,
    /// wstest's description, verbatim (it may contain HTML and newlines, and its typos).
    pub description: String,
    /// wstest's expectation text, verbatim.
    pub expectation: String,
    /// The `permessage-deflate` offers of the opening handshake, in order, joined by
    /// `", "` in one `Sec-WebSocket-Extensions` header (sections 12 and 13); empty for
    /// every other case.
    ///
    /// Testing a client, the suite is the server and answers with wstest's accept
    /// functions, which mirror these offers: for each offer in turn, as
    /// `(server_no_context_takeover, server_max_window_bits)` = `(nct, bits)`, accept
    /// the first client offer that allows it, granting what that offer requests and
    /// answering `client_no_context_takeover` when `nct` and
    /// `client_max_window_bits=bits` when `bits` is given (which needs a client offer
    /// carrying `client_max_window_bits`). 12.x and 13.1 accept the first offer as it
    /// is; 13.7 tries (true, 9), then (true, none), then (false, none).
    pub offers: Vec<DeflateOffer>,
    /// What the suite does once the connection is open, in order.
    pub steps: Vec<Step>,
    /// The acceptable event sequences, by verdict (empty for cases judged by [`Check`]).
    pub expected: Expected,
    /// How the connection must end.
    pub expected_close: ExpectedClose,
    /// Don't send the automatic close once the received events match (wstest's
    /// `suppressClose`: the case closes in its own, deliberately odd, way).
    pub suppress_close: bool,
    /// How the case is judged.
    pub check: Check,
    /// Rules applied after the verdicts (section 7).
    pub post: Post,
    /// The case reports its duration as a performance figure (wstest's `reportTime`).
    pub report_time: bool,
    /// The case reports a compression ratio (wstest's `reportCompressionRatio`).
    pub report_compression_ratio: bool,
    /// The case's outcome depends on timing, so it must not share the machine with
    /// other cases while it runs: a fixed wait races the peer's reaction (5.19, 5.20,
    /// 6.4.x). Cases whose only timers are budgets a conformant peer beats by a wide
    /// margin (kill/close timers, the 10–1000 s budgets of sections 9, 12 and 13) are
    /// not: a delay of a few hundred milliseconds cannot change their verdict.
    pub timing_sensitive: bool,
    /// About how long the case takes against a conformant peer, for scheduling (longest
    /// first) and shards.
    pub expected_duration: Duration,
    /// What a case of wsspec's own sections (100–105) adds: its RFC rule, what a
    /// conformant peer does, how it runs. `None` for Autobahn's cases.
    pub wsspec: Option<wsspec::Spec>,
}

/// One thing the suite does, in order, once the connection is open.
///
/// Frames are written as wstest writes them: a client frame is masked with a fresh
/// random key; `chop`/`sync` decide how the bytes are split into TCP writes.
///
/// The state a step needs follows wstest: [`Step::Frame`] is written whatever the
/// closing state (7.1.x send frames after their own close frame), while
/// [`Step::Message`], [`Step::FrameStart`], [`Step::FrameData`] and [`Step::Close`] do
/// nothing unless the connection is open (autobahn's `sendMessage`, `beginMessage`,
/// `sendMessageFrameData` and `sendCloseFrame` return early otherwise).
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Send one frame exactly as described, valid or not (wstest's `sendFrame`).
    Frame(FrameSpec),
    /// Send a message, fragmented into frames of at most `fragment_size` octets when
    /// given (wstest's `sendMessage`, with its quirk: a payload that is an exact
    /// multiple of the fragment size ends with an extra empty final continuation
    /// frame). Compressed when permessage-deflate was agreed.
    Message {
        /// The payload.
        payload: Payload,
        /// Binary (opcode 2) or text (opcode 1).
        binary: bool,
        /// The largest frame payload; `None` sends one frame.
        fragment_size: Option<usize>,
    },
    /// Start a close handshake: send a close frame with this code and reason and enter
    /// the closing state (wstest's `sendCloseFrame`, which sends any code, even invalid
    /// ones). The suite then expects the peer's close within the close timeout.
    Close {
        /// The status code, if any.
        code: Option<u16>,
        /// The reason octets (not necessarily UTF-8), if any.
        reason: Option<Vec<u8>>,
    },
    /// Write the header of a frame announcing `len` payload octets; its payload follows
    /// in [`Step::FrameData`] steps (wstest's `beginMessage`/`beginMessageFrame`, which
    /// always write FIN = 0; the message then ends with wstest's `endMessage`, an empty
    /// final continuation frame, which the catalog lists as its own [`Step::Frame`]).
    FrameStart {
        /// The opcode.
        opcode: u8,
        /// The FIN bit.
        fin: bool,
        /// The announced payload length.
        len: u64,
    },
    /// Write the next payload octets of the frame begun by [`Step::FrameStart`], masked
    /// where the mask has got to (wstest's `sendMessageFrameData`).
    FrameData(Vec<u8>),
    /// Wait, then go on with the remaining steps (wstest's `continueLater`). Once the
    /// wait is over the remaining steps are dropped if the connection is closed by
    /// then. With `record` (6.4.x) they are also dropped while it is closing, and an
    /// event `("timeout", tag)` is recorded before going on, which the expectation may
    /// list ("the peer had not failed yet"). Without `record` (5.19, 5.20) the steps go
    /// on while closing too, as wstest's `part2` checks nothing.
    Wait {
        /// How long.
        delay: Duration,
        /// The tag written in the wire log (`["CT", delay, tag]`).
        tag: Option<&'static str>,
        /// Record `("timeout", tag)` when the wait ends with the connection open.
        record: bool,
    },
    /// After `delay`, fail the connection if it is not closed yet: close 1001 "Going
    /// Away", or drop TCP if a close was already sent (wstest's `killAfter`). Does not
    /// wait; the steps go on at once.
    KillAfter(Duration),
    /// After `delay`, start a close handshake with an empty close frame if the
    /// connection is not closed yet (wstest's `closeAfter`). Does not wait.
    CloseAfter(Duration),
    /// Turn the wire log off or on (wstest's `enableWirelog`; logged as `["WLM", on]`).
    ///
    /// Cases judged by [`Check::EchoLength`] (9.1–9.6) switch it silently: wstest
    /// assigns `createWirelog` there instead of calling `enableWirelog`, so no `WLM` row
    /// is written, neither here nor when the log is switched back on at the echo.
    WireLog(bool),
}

/// One frame to send, valid or not.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameSpec {
    /// The opcode, reserved ones included (0–15).
    pub opcode: u8,
    /// The payload.
    pub payload: Payload,
    /// The FIN bit.
    pub fin: bool,
    /// The three RSV bits as a number 0–7 (RSV1 is 4).
    pub rsv: u8,
    /// Split the frame's octets into TCP writes of this size.
    pub chop: Option<usize>,
    /// Write the frame on its own (a separate TCP write, after the earlier ones left).
    pub sync: bool,
}

impl FrameSpec {
    /// A final frame with no RSV bits, written in one go.
    pub fn new(opcode: u8, payload: impl Into<Payload>) -> FrameSpec {
        FrameSpec {
            opcode,
            payload: payload.into(),
            fin: true,
            rsv: 0,
            chop: None,
            sync: false,
        }
    }

    /// The same frame with the FIN bit as given.
    pub fn fin(mut self, fin: bool) -> FrameSpec {
        self.fin = fin;
        self
    }

    /// The same frame with these RSV bits.
    pub fn rsv(mut self, rsv: u8) -> FrameSpec {
        self.rsv = rsv;
        self
    }

    /// The same frame written in `chop`-octet pieces.
    pub fn chop(mut self, chop: usize) -> FrameSpec {
        self.chop = Some(chop);
        self
    }

    /// The same frame written as its own TCP write.
    pub fn sync(mut self) -> FrameSpec {
        self.sync = true;
        self
    }
}

/// A payload: literal octets, or a unit repeated to a length (made when the case runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// These octets.
    Bytes(Vec<u8>),
    /// `unit` repeated (the last repetition cut short) to `len` octets.
    Repeat {
        /// The repeated octets (not empty).
        unit: &'static [u8],
        /// The total length.
        len: usize,
    },
}

impl Payload {
    /// The payload's length in octets.
    pub fn len(&self) -> usize {
        match self {
            Payload::Bytes(bytes) => bytes.len(),
            Payload::Repeat { len, .. } => *len,
        }
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The octets.
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            Payload::Bytes(bytes) => bytes.clone(),
            Payload::Repeat { unit, len } => unit.iter().copied().cycle().take(*len).collect(),
        }
    }
}

impl From<&[u8]> for Payload {
    fn from(bytes: &[u8]) -> Payload {
        Payload::Bytes(bytes.to_vec())
    }
}

impl From<Vec<u8>> for Payload {
    fn from(bytes: Vec<u8>) -> Payload {
        Payload::Bytes(bytes)
    }
}

impl From<&str> for Payload {
    fn from(text: &str) -> Payload {
        Payload::Bytes(text.as_bytes().to_vec())
    }
}

impl<const N: usize> From<&[u8; N]> for Payload {
    fn from(bytes: &[u8; N]) -> Payload {
        Payload::Bytes(bytes.to_vec())
    }
}

/// Something the peer did that a case records, in arrival order (wstest's `received`).
///
/// Pings from the peer are answered but not recorded (wstest records only messages and
/// pongs, and the timeouts a case injects).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A complete message.
    Message {
        /// The payload (decompressed).
        payload: Vec<u8>,
        /// Binary or text.
        binary: bool,
    },
    /// A pong.
    Pong(Vec<u8>),
    /// A [`Step::Wait`] with `record` ended with the connection still open.
    Timeout(&'static str),
}

/// The acceptable event sequences, by verdict, in the order they are tried: `OK` first,
/// then `NON-STRICT`. The first exact match decides `behavior`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expected {
    /// The strict outcome(s).
    pub ok: Option<Vec<Event>>,
    /// An acceptable but not preferred outcome.
    pub non_strict: Option<Vec<Event>>,
}

impl Expected {
    /// Only this sequence is OK.
    pub fn ok(events: Vec<Event>) -> Expected {
        Expected {
            ok: Some(events),
            non_strict: None,
        }
    }

    /// `ok` is OK, `non_strict` is NON-STRICT.
    pub fn ok_or_non_strict(ok: Vec<Event>, non_strict: Vec<Event>) -> Expected {
        Expected {
            ok: Some(ok),
            non_strict: Some(non_strict),
        }
    }

    /// No expectation (the case judges with a [`Check`]).
    pub fn none() -> Expected {
        Expected::default()
    }

    /// Whether there is no list at all.
    pub fn is_empty(&self) -> bool {
        self.ok.is_none() && self.non_strict.is_none()
    }
}

/// How the connection is expected to end (wstest's `expectedClose`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedClose {
    /// The suite is the one to start the closing handshake (or to fail the connection).
    pub closed_by_me: bool,
    /// The close codes accepted from the peer (a close without a code is always
    /// accepted). The first is the code the suite sends when it closes on its own.
    pub codes: Vec<u16>,
    /// The connection must end cleanly (close frames both ways, then TCP closed).
    pub require_clean: bool,
    /// Closed by the wrong side makes `behavior` FAILED too (wstest's
    /// `closedByWrongEndpointIsFatal`), for cases where the peer must fail.
    pub wrong_endpoint_is_fatal: bool,
}

impl ExpectedClose {
    /// wstest's usual ending: the suite closes with 1000 and expects a clean close.
    pub fn normal() -> ExpectedClose {
        ExpectedClose {
            closed_by_me: true,
            codes: vec![1000],
            require_clean: true,
            wrong_endpoint_is_fatal: false,
        }
    }

    /// The peer must fail the connection, with `code` (or none, or by dropping TCP).
    pub fn peer_fails(code: u16) -> ExpectedClose {
        ExpectedClose {
            closed_by_me: false,
            codes: vec![code],
            require_clean: false,
            wrong_endpoint_is_fatal: false,
        }
    }
}

/// How a case is judged, besides its [`Expected`] lists.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// Compare the received events with [`Case::expected`] when the connection ends
    /// (and close as soon as they match every list, unless suppressed).
    Events,
    /// Section 9.1–9.6: `behavior` starts FAILED with "Did not receive message within
    /// N seconds."; a message received must have this type and length (the content is
    /// not checked) to make it OK, and any message received makes the suite close with
    /// 1000. wstest judges every message that arrives: the result text follows the
    /// last one, but a wrong one never sets `behavior` back from OK to FAILED. Without
    /// a message before the [`Step::CloseAfter`] timer fires, FAILED.
    EchoLength {
        /// Binary or text.
        binary: bool,
        /// The length in octets.
        len: usize,
        /// The time budget, for the result text ("Did not receive message within N
        /// seconds.").
        within: Duration,
        /// The result text when the echo has the other type, verbatim: "Expected text
        /// message with payload, but got binary." and its binary twin, except that
        /// 9.4.x say "Expected binary message with payload, but got binary." (sic).
        wrong_type: &'static str,
    },
    /// Section 9.7/9.8: `count` messages sent one at a time as single frames, each
    /// after the echo of the previous one, each echo checked for type and length; then
    /// close with 1000. The [`Step::CloseAfter`] budget is a step before the first send.
    RoundTrips {
        /// How many.
        count: usize,
        /// The payload of each.
        payload: Payload,
        /// Binary or text.
        binary: bool,
        /// The time budget ("Case did not finish within N seconds.").
        within: Duration,
    },
    /// Sections 12/13: without an agreed permessage-deflate, UNIMPLEMENTED and close
    /// with 1000 at once; else start a [`Step::CloseAfter`]-like timer of `within` (it
    /// is not a step: wstest starts it only once deflate is known to be agreed) and
    /// send `count` messages one at a time, the next after the echo of the previous
    /// one, each the next `len`-unit window of the data set (cycling, see
    /// [`data::DataSet::window`]), each echo checked for type, length (in units) and
    /// SHA-1; then close with 1000. The suite compresses each message, then splits the
    /// compressed payload at `fragment_size` like [`Step::Message`] (0: not at all;
    /// wstest's `autoFragmentSize`).
    Deflate {
        /// The data set.
        data: data::DataSet,
        /// Window length: octets for binary sets, code points for text sets.
        len: usize,
        /// How many messages.
        count: usize,
        /// The suite's own fragment size; 0 sends each message as one frame.
        fragment_size: usize,
        /// The time budget ("Case did not finish within N seconds.").
        within: Duration,
    },
    /// Section 10.1.1: like [`Check::Events`], and the suite's own transmitted frames
    /// must number `text` text frames and `continuation` continuation frames, else
    /// FAILED with "Frames transmitted {0: C, 1: T} does not match what we expected
    /// {0: 50, 1: 1}." (Python's dict rendering, continuation first).
    SentFrames {
        /// Text frames (opcode 1) the suite must have sent.
        text: u64,
        /// Continuation frames (opcode 0) the suite must have sent.
        continuation: u64,
    },
}

/// Rules applied after `behavior` and `behaviorClose` are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Post {
    /// A rule of wsspec's own sections that wstest's lists cannot express.
    Rule(wsspec::Rule),
    /// None.
    None,
    /// Section 7: a WRONG CODE close also makes `behavior` FAILED, with the close result.
    WrongCodeFails,
    /// Both verdicts are INFORMATIONAL (7.13.x), with this result text (or, with
    /// `None`, the result the event comparison gave).
    Informational(Option<&'static str>),
    /// Both verdicts are INFORMATIONAL (7.1.6); the result text is `ok` when the OK
    /// list matched, `non_strict` when the NON-STRICT list did, else the comparison's.
    InformationalByMatch {
        /// The result when the OK list matched.
        ok: &'static str,
        /// The result when the NON-STRICT list matched.
        non_strict: &'static str,
    },
}

/// The whole Autobahn catalog, in wstest's order. Built once.
pub fn autobahn() -> &'static [Case] {
    static CATALOG: OnceLock<Vec<Case>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let mut cases = Vec::with_capacity(517);
        cases.extend(s1_framing::cases());
        cases.extend(s2_pings::cases());
        cases.extend(s3_reserved_bits::cases());
        cases.extend(s4_opcodes::cases());
        cases.extend(s5_fragmentation::cases());
        cases.extend(s6_utf8::cases());
        cases.extend(s7_close::cases());
        cases.extend(s9_limits::cases());
        cases.extend(s10_misc::cases());
        cases.extend(s12_deflate::cases());
        cases
    })
}

/// Which cases a run draws from (`--suite`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Suite {
    /// Autobahn's 517 cases (sections 1–13).
    #[default]
    Autobahn,
    /// wsspec's own sections (100–105).
    Wsspec,
    /// Both, Autobahn's first.
    All,
}

impl Suite {
    /// The names `--suite` takes.
    pub const NAMES: [&'static str; 3] = ["autobahn", "wsspec", "all"];
}

impl std::str::FromStr for Suite {
    type Err = String;

    fn from_str(s: &str) -> Result<Suite, String> {
        match s {
            "autobahn" => Ok(Suite::Autobahn),
            "wsspec" => Ok(Suite::Wsspec),
            "all" => Ok(Suite::All),
            other => Err(format!(
                "unknown suite {other:?}: use {}",
                Suite::NAMES.join(", ")
            )),
        }
    }
}

impl std::fmt::Display for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(Suite::NAMES[*self as usize])
    }
}

/// The cases of `suite` that can test `peer` (every case of the suite when `None`), in
/// id order. Built once each.
pub fn suite(suite: Suite, peer: Option<Peer>) -> &'static [Case] {
    static WSSPEC: OnceLock<Vec<Case>> = OnceLock::new();
    static SUITES: [OnceLock<Vec<Case>>; 6] = [const { OnceLock::new() }; 6];
    let ours = || WSSPEC.get_or_init(wsspec::cases);
    let slot = match peer {
        None => 0,
        Some(Peer::Server) => 1,
        Some(Peer::Client) => 2,
    };
    let tested = move |case: &&Case| peer.map_or(true, |p| case.tests(p));
    match suite {
        Suite::Autobahn => autobahn(),
        Suite::Wsspec if peer.is_none() => ours(),
        Suite::Wsspec => {
            SUITES[slot].get_or_init(|| ours().iter().filter(tested).cloned().collect())
        }
        Suite::All => SUITES[3 + slot].get_or_init(|| {
            autobahn()
                .iter()
                .chain(ours())
                .filter(tested)
                .cloned()
                .collect()
        }),
    }
}

/// The case with this id, if the catalog has it.
pub fn find(id: &str) -> Option<&'static Case> {
    autobahn().iter().find(|case| case.id.as_str() == id)
}
