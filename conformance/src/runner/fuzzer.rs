//! One case on one connection: the suite as a WebSocket client that behaves like
//! wstest's fuzzing client (autobahn 0.10.9 with `failByDrop` off), or as a server that
//! behaves like its fuzzing server, so the verdicts agree case by case.
//!
//! The two roles share everything but the opening handshake and these rules of
//! autobahn's (AUTOBAHN-CATALOG.md §2): a client masks its frames and expects unmasked
//! ones, a server the reverse; a server drops TCP itself as soon as the closing
//! handshake is done (so it never waits for the peer to, and "dropped by me" is no
//! fault of the peer's), where a client gives the server a second to drop it.
//!
//! The behaviour that decides verdicts, as wstest has it (AUTOBAHN-CATALOG.md §2, §4):
//! - the suite validates everything the peer sends; a violation makes the suite fail
//!   the connection with a close frame (1002, or 1007 for bad UTF-8), which counts as
//!   "closed by me";
//! - a close from the peer is answered with 1000, and the suite waits for the server to
//!   drop TCP (wstest sets no timer for that: the case's own timers, or wsspec's
//!   per-case deadline, end a wait that lasts);
//! - after the answer to a close the suite sent, the server has a second to drop TCP
//!   before the suite drops it ("server did not drop TCP connection (in time)");
//! - a close the suite starts must be answered within a second, else TCP is dropped;
//! - timers: `KillAfter` fails the connection with 1001 "Going Away", `CloseAfter`
//!   sends an empty close;
//! - messages are recorded unless the suite failed the connection, pongs always; pings
//!   are answered while open and not recorded.
//!
//! Nothing here blocks: reading, writing and timers share one task, so a peer that
//! does not read cannot stall the reading, and every wait ends at the case's deadline.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand::Rng;
use serde_json::{json, Number, Value};
use sha1::{Digest, Sha1};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::sleep_until;
use wsspec_codec::decode::{FrameDecoder, FrameEvent};
use wsspec_codec::deflate::{
    negotiate_client_extensions, DeflateConfig, DeflateOffer, PerMessageDeflate,
};
use wsspec_codec::frame::{FrameHeader, Opcode, Role, RSV1};
use wsspec_codec::handshake::{accept_key, ClientRequest, Request, ResponseParser};
use wsspec_codec::mask::apply_mask;
use wsspec_codec::message::{MessageAssembler, Utf8Validator};
use wsspec_codec::Limits;
use wsspec_reports::{CaseDetail, Verdict, WireLogRow};

use super::accept::{accept, parse_offers};
use super::messages::{
    CachedMessage, MessageCache, MessageSet, MessageSetKey, SUITE_DEFLATE_LEVEL,
};
use super::record::Recorder;
use super::split::Splitter;
use super::verdict::{initial, judge, Ending, Outcome};
use crate::catalog::render::bin_log_data;
use crate::catalog::{Case, Check, Event, FrameSpec, Payload, Step};

/// Close codes a peer may send (RFC 6455 §7.4), as autobahn checks them.
const ALLOWED_CLOSE_CODES: [u16; 11] = [
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013,
];

/// The most events a case records; a peer that sends more is failed with 1008.
const MAX_EVENTS: usize = 10_000;

/// Outgoing bytes the suite will queue before it stops answering pings.
const MAX_QUEUED_PONG_BYTES: usize = 1 << 20;

/// Where and how a run connects, and its clocks.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Time for TCP connect plus the opening handshake (wstest: 5 s).
    pub open_timeout: Duration,
    /// Time the peer has to answer a close the suite sent (wstest: 1 s).
    pub close_timeout: Duration,
    /// Time the server has to drop TCP after the closing handshake (wstest: 1 s).
    pub drop_timeout: Duration,
    /// No case timer waits longer than this (`None`: wstest's own budgets, up to
    /// 1000 s in 9.5). Each case's total time is bounded by its timers plus the close
    /// timeouts either way.
    pub max_case_time: Option<Duration>,
    /// Limits on what the peer sends.
    pub limits: Limits,
    /// The `User-Agent` of the opening handshake (as client) or the `Server` header of
    /// the answer (as server).
    pub user_agent: String,
    /// `wss://`: connect over TLS with this client (`None`: plain `ws://`).
    pub tls: Option<wsspec_autobahn::tls::TlsClient>,
    /// As server (`wsspec serve`): serve `wss://` with this certificate (`None`:
    /// plain `ws://`). The TLS handshake counts against the open timeout.
    pub tls_server: Option<wsspec_autobahn::tls::TlsServer>,
    /// The largest message the peer says it accepts (`--peer-max-message`), for the
    /// cases of section 103.2; `None` makes them UNIMPLEMENTED.
    pub peer_max_message: Option<usize>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            open_timeout: Duration::from_secs(5),
            close_timeout: Duration::from_secs(1),
            drop_timeout: Duration::from_secs(1),
            max_case_time: None,
            limits: Limits {
                max_frame: 64 << 20,
                max_message: 64 << 20,
                max_handshake: 64 << 10,
            },
            user_agent: concat!("wsspec/", env!("CARGO_PKG_VERSION")).to_owned(),
            tls: None,
            tls_server: None,
            peer_max_message: None,
        }
    }
}

/// The result of one case.
#[derive(Debug, Clone)]
pub struct CaseRun {
    /// Everything wstest would write about the case (agent left empty).
    pub detail: CaseDetail,
    /// The `Server` header of the peer's handshake answer, if any (the suite as client).
    pub server_header: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    Closing,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    Kill,
    Close,
    Resume,
    CloseHandshake,
    ServerDrop,
}

#[derive(Debug)]
struct Write {
    data: Vec<u8>,
    sync: bool,
}

/// A frame being received.
#[derive(Debug)]
struct RxFrame {
    header: FrameHeader,
    /// The first octets of the payload, for the wire log.
    prefix: Vec<u8>,
    /// A control frame's whole payload.
    control: Vec<u8>,
}

/// Progress of a case judged as it goes.
#[derive(Debug)]
enum Progress {
    None,
    RoundTrips {
        sent: usize,
    },
    Deflate {
        sent: usize,
        /// The shared messages, when the suite compresses each message on its own.
        set: Option<Arc<MessageSet>>,
        /// The message sent last, whose echo is awaited.
        last: Option<Arc<CachedMessage>>,
    },
}

/// Octet and message counts of a connection (wstest's `trafficStats`).
#[derive(Debug, Default, Clone)]
struct Traffic {
    out_wire: u64,
    in_wire: u64,
    out_ws: u64,
    in_ws: u64,
    out_app: u64,
    in_app: u64,
    out_frames: u64,
    in_frames: u64,
    out_messages: u64,
    in_messages: u64,
    preopen_out: u64,
    preopen_in: u64,
}

impl Traffic {
    fn to_json(&self) -> Value {
        let ratio = |ws: u64, app: u64| {
            if app == 0 {
                Value::Null
            } else {
                json!(ws as f64 / app as f64)
            }
        };
        let overhead = |wire: u64, ws: u64| {
            if ws == 0 {
                Value::Null
            } else {
                json!((wire as f64 - ws as f64) / ws as f64)
            }
        };
        json!({
            "incomingCompressionRatio": ratio(self.in_ws, self.in_app),
            "incomingOctetsAppLevel": self.in_app,
            "incomingOctetsWebSocketLevel": self.in_ws,
            "incomingOctetsWireLevel": self.in_wire,
            "incomingWebSocketFrames": self.in_frames,
            "incomingWebSocketMessages": self.in_messages,
            "incomingWebSocketOverhead": overhead(self.in_wire, self.in_ws),
            "outgoingCompressionRatio": ratio(self.out_ws, self.out_app),
            "outgoingOctetsAppLevel": self.out_app,
            "outgoingOctetsWebSocketLevel": self.out_ws,
            "outgoingOctetsWireLevel": self.out_wire,
            "outgoingWebSocketFrames": self.out_frames,
            "outgoingWebSocketMessages": self.out_messages,
            "outgoingWebSocketOverhead": overhead(self.out_wire, self.out_ws),
            "preopenIncomingOctetsWireLevel": self.preopen_in,
            "preopenOutgoingOctetsWireLevel": self.preopen_out,
        })
    }
}

/// The suite's side of one case's connection.
struct Fuzzer<'a> {
    case: &'a Case,
    /// The suite's role: `Client` testing a server, `Server` testing a client.
    role: Role,
    /// Write what is queued before closing TCP (autobahn's `dropConnection(abort=False)`,
    /// which a server uses after answering the peer's close).
    linger: bool,
    settings: &'a Settings,
    cache: &'a MessageCache,
    state: State,
    rec: Recorder,
    out: VecDeque<Write>,
    queued: usize,
    received: Vec<Event>,
    outcome: Outcome,
    closed_by_me: bool,
    failed_by_me: bool,
    dropped_by_me: bool,
    was_clean: bool,
    was_not_clean_reason: Option<String>,
    was_close_handshake_timeout: bool,
    was_server_connection_drop_timeout: bool,
    local_close_code: Option<u16>,
    local_close_reason: Option<Vec<u8>>,
    remote_close_code: Option<u16>,
    remote_close_reason: Option<String>,
    timers: Vec<(Instant, Timer)>,
    hard_deadline: Instant,
    /// How long the case may take in all.
    limit: Duration,
    next_step: usize,
    /// The [`Step::Wait`] being waited on.
    waiting: Option<(bool, Option<&'static str>)>,
    /// Mask (as client) and offset of the frame begun by [`Step::FrameStart`].
    open_frame: Option<(Option<[u8; 4]>, usize)>,
    decoder: FrameDecoder,
    assembler: MessageAssembler,
    deflate: Option<PerMessageDeflate>,
    deflate_config: Option<DeflateConfig>,
    compressed_in_message: bool,
    rx_frame: Option<RxFrame>,
    progress: Progress,
    traffic: Traffic,
    traffic_snapshot: Option<Value>,
}

fn seconds(d: Duration) -> Number {
    if d.subsec_nanos() == 0 {
        Number::from(d.as_secs())
    } else {
        Number::from_f64(d.as_secs_f64()).unwrap_or_else(|| Number::from(0))
    }
}

impl<'a> Fuzzer<'a> {
    fn new(
        case: &'a Case,
        settings: &'a Settings,
        cache: &'a MessageCache,
        deflate: Option<DeflateConfig>,
        role: Role,
    ) -> Fuzzer<'a> {
        let mut decoder = FrameDecoder::new(role, settings.limits);
        if deflate.is_some() {
            decoder.set_allowed_rsv(RSV1);
        }
        let limit = case_budget(case, settings.max_case_time)
            + settings.close_timeout
            + settings.drop_timeout
            + Duration::from_secs(2);
        let hard_deadline = Instant::now() + limit;
        Fuzzer {
            case,
            role,
            linger: false,
            settings,
            cache,
            state: State::Open,
            rec: Recorder::new(),
            out: VecDeque::new(),
            queued: 0,
            received: Vec::new(),
            outcome: initial(),
            closed_by_me: false,
            failed_by_me: false,
            dropped_by_me: false,
            was_clean: false,
            was_not_clean_reason: None,
            was_close_handshake_timeout: false,
            was_server_connection_drop_timeout: false,
            local_close_code: None,
            local_close_reason: None,
            remote_close_code: None,
            remote_close_reason: None,
            timers: Vec::new(),
            hard_deadline,
            limit,
            next_step: 0,
            waiting: None,
            open_frame: None,
            decoder,
            assembler: MessageAssembler::new(settings.limits.max_message),
            deflate: deflate
                .map(|config| PerMessageDeflate::new(role, config).with_level(SUITE_DEFLATE_LEVEL)),
            deflate_config: deflate,
            compressed_in_message: false,
            rx_frame: None,
            progress: Progress::None,
            traffic: Traffic::default(),
            traffic_snapshot: None,
        }
    }

    fn capped(&self, d: Duration) -> Duration {
        self.settings.max_case_time.map_or(d, |cap| d.min(cap))
    }

    fn schedule(&mut self, delay: Duration, timer: Timer) {
        let at = Instant::now() + self.capped(delay);
        self.timers.push((at, timer));
    }

    fn next_deadline(&self) -> Instant {
        self.timers
            .iter()
            .map(|(at, _)| *at)
            .min()
            .map_or(self.hard_deadline, |at| at.min(self.hard_deadline))
    }

    // ---------------------------------------------------------------- sending

    fn queue(&mut self, data: Vec<u8>, sync: bool) {
        if self.state == State::Closed {
            return;
        }
        self.rec.tx_octets(&data, sync);
        self.traffic.out_wire += data.len() as u64;
        self.queued += data.len();
        // Plain writes coalesce, as in wstest's transport buffer: a message of many
        // frames goes out in few system calls. `sync` writes stay on their own.
        match self.out.back_mut() {
            Some(last) if !sync && !last.sync => last.data.extend_from_slice(&data),
            _ => self.out.push_back(Write { data, sync }),
        }
    }

    /// A fresh masking key for a frame the suite sends as client; none as server.
    fn frame_mask(&self) -> Option<[u8; 4]> {
        (self.role == Role::Client).then(|| rand::thread_rng().gen())
    }

    /// Sends one frame as wstest's `sendFrame` does: masked with a fresh key (as
    /// client), written in one piece, as its own write (`sync`), or in `chop`-octet
    /// writes.
    #[allow(clippy::too_many_arguments)]
    fn send_frame(
        &mut self,
        opcode: u8,
        payload: &[u8],
        fin: bool,
        rsv: u8,
        repeat: Option<(&[u8], u64)>,
        chop: Option<usize>,
        sync: bool,
    ) {
        if self.state == State::Closed {
            return;
        }
        let key = self.frame_mask();
        let header = FrameHeader {
            fin,
            rsv,
            opcode: Opcode::from(opcode),
            mask: key,
            payload_len: payload.len() as u64,
        };
        let (logged, logged_len) = match repeat {
            Some((unit, len)) => (unit, Some(len)),
            None => (payload, None),
        };
        self.rec.tx_frame(
            opcode,
            fin,
            rsv,
            key,
            logged,
            logged_len,
            chop,
            sync || chop.is_some(),
        );
        self.traffic.out_frames += 1;
        let mut bytes = Vec::with_capacity(payload.len() + 14);
        header.encode(&mut bytes);
        let start = bytes.len();
        bytes.extend_from_slice(payload);
        if let Some(key) = key {
            apply_mask(&mut bytes[start..], key, 0);
        }
        match chop {
            Some(size) if size > 0 => {
                for piece in bytes.chunks(size) {
                    self.queue(piece.to_vec(), true);
                }
            }
            _ => self.queue(bytes, sync),
        }
    }

    fn send_spec(&mut self, spec: &FrameSpec) {
        let payload = spec.payload.to_vec();
        let repeat = match &spec.payload {
            Payload::Repeat { unit, len } => Some((*unit, *len as u64)),
            Payload::Bytes(_) => None,
        };
        if spec.opcode <= 2 {
            self.traffic.out_ws += payload.len() as u64;
            self.traffic.out_app += payload.len() as u64;
        }
        self.send_frame(
            spec.opcode,
            &payload,
            spec.fin,
            spec.rsv,
            repeat,
            spec.chop,
            spec.sync,
        );
    }

    /// Sends a message as wstest's `sendMessage` does: compressed when deflate was
    /// agreed, then cut into `fragment_size` pieces (an exact multiple ends with an
    /// empty final frame, as wstest's loop does).
    fn send_message(
        &mut self,
        plain: &[u8],
        binary: bool,
        fragment_size: Option<usize>,
        precompressed: Option<&[u8]>,
    ) {
        let opcode = if binary { 2 } else { 1 };
        self.traffic.out_messages += 1;
        self.traffic.out_app += plain.len() as u64;
        let compressed;
        let (payload, rsv) = match (&mut self.deflate, precompressed) {
            (Some(_), Some(ready)) => (ready, 4),
            (Some(deflate), None) => {
                let mut out = Vec::new();
                deflate.compress(plain, &mut out);
                compressed = out;
                (compressed.as_slice(), 4)
            }
            (None, _) => (plain, 0),
        };
        self.traffic.out_ws += payload.len() as u64;
        match fragment_size {
            Some(size) if size > 0 && payload.len() > size => {
                let n = payload.len();
                let mut i = 0;
                let mut first = true;
                loop {
                    let mut j = i + size;
                    let done = j > n;
                    if done {
                        j = n;
                    }
                    let (op, frame_rsv) = if first { (opcode, rsv) } else { (0, 0) };
                    self.send_frame(op, &payload[i..j], done, frame_rsv, None, None, false);
                    first = false;
                    i += size;
                    if done {
                        break;
                    }
                }
            }
            _ => self.send_frame(opcode, payload, true, rsv, None, None, false),
        }
    }

    /// wstest's `sendCloseFrame`: only while open; enters the closing state.
    fn send_close_frame(&mut self, code: Option<u16>, reason: Option<Vec<u8>>, is_reply: bool) {
        if self.state != State::Open {
            return;
        }
        let mut payload = Vec::new();
        if let Some(code) = code {
            payload.extend_from_slice(&code.to_be_bytes());
        }
        if let Some(reason) = &reason {
            payload.extend_from_slice(reason);
        }
        self.send_frame(8, &payload, true, 0, None, None, false);
        self.state = State::Closing;
        self.closed_by_me = !is_reply;
        self.local_close_code = code;
        self.local_close_reason = reason;
        if self.closed_by_me {
            self.schedule(self.settings.close_timeout, Timer::CloseHandshake);
        }
    }

    /// wstest's `failConnection`: a close frame with the code while open, else drop.
    fn fail_connection(&mut self, code: u16, reason: &str) {
        if self.state == State::Closed {
            return;
        }
        self.failed_by_me = true;
        if self.state == State::Open {
            let mut reason = reason.as_bytes().to_vec();
            reason.truncate(123);
            self.send_close_frame(Some(code), Some(reason), false);
        } else {
            self.linger = true;
            self.drop_connection();
        }
    }

    fn drop_connection(&mut self) {
        if self.state != State::Closed {
            self.dropped_by_me = true;
            self.state = State::Closed;
        }
    }

    // ---------------------------------------------------------------- steps

    /// Runs steps until a wait, the end, or the connection closing.
    fn run_steps(&mut self) {
        let steps = &self.case.steps;
        while self.waiting.is_none() && self.next_step < steps.len() && self.state != State::Closed
        {
            let step = &steps[self.next_step];
            self.next_step += 1;
            match step {
                Step::Frame(spec) => self.send_spec(spec),
                Step::Message {
                    payload,
                    binary,
                    fragment_size,
                } => {
                    let plain = payload.to_vec();
                    self.send_message(&plain, *binary, *fragment_size, None);
                }
                Step::Close { code, reason } => self.send_close_frame(*code, reason.clone(), false),
                Step::FrameStart { opcode, fin, len } => {
                    let key = self.frame_mask();
                    let header = FrameHeader {
                        fin: *fin,
                        rsv: 0,
                        opcode: Opcode::from(*opcode),
                        mask: key,
                        payload_len: *len,
                    };
                    let mut bytes = Vec::new();
                    header.encode(&mut bytes);
                    self.rec
                        .tx_frame(*opcode, *fin, 0, key, &[], Some(*len), None, false);
                    self.traffic.out_frames += 1;
                    self.open_frame = Some((key, 0));
                    self.queue(bytes, false);
                }
                Step::FrameData(data) => {
                    let (key, offset) = self.open_frame.unwrap_or((None, 0));
                    let mut bytes = data.clone();
                    if let Some(key) = key {
                        apply_mask(&mut bytes, key, offset % 4);
                    }
                    self.open_frame = Some((key, offset + data.len()));
                    self.queue(bytes, false);
                }
                Step::Wait { delay, tag, record } => {
                    self.rec.push(WireLogRow::ContinueLater {
                        delay: seconds(*delay),
                        tag: tag.map_or(Value::Null, |t| Value::String(t.to_owned())),
                    });
                    self.waiting = Some((*record, *tag));
                    self.schedule(*delay, Timer::Resume);
                }
                Step::KillAfter(delay) => {
                    self.rec.push(WireLogRow::KillAfter {
                        delay: seconds(*delay),
                    });
                    self.schedule(*delay, Timer::Kill);
                }
                Step::CloseAfter(delay) => {
                    self.rec.push(WireLogRow::CloseAfter {
                        delay: seconds(*delay),
                    });
                    self.schedule(*delay, Timer::Close);
                }
                // 9.1–9.6 switch the log without a `WLM` row (see `Step::WireLog`).
                Step::WireLog(on) if matches!(self.case.check, Check::EchoLength { .. }) => {
                    self.rec.enabled = *on
                }
                Step::WireLog(on) => self.rec.set_enabled(*on),
            }
        }
    }

    /// The case starts: its steps, and the first message of a judged-as-it-goes case.
    fn open(&mut self) {
        match &self.case.check {
            Check::Deflate { within, .. } => {
                self.run_steps();
                if self.deflate.is_none() {
                    self.outcome.behavior = Verdict::Unimplemented;
                    self.send_close_frame(Some(1000), None, false);
                } else {
                    self.outcome.behavior = Verdict::Failed;
                    self.outcome.result = format!(
                        "Case did not finish within {} seconds.",
                        self.capped(*within).as_secs()
                    );
                    self.rec.push(WireLogRow::CloseAfter {
                        delay: seconds(*within),
                    });
                    self.schedule(*within, Timer::Close);
                    self.progress = Progress::Deflate {
                        sent: 0,
                        set: None,
                        last: None,
                    };
                    self.send_next_deflate();
                }
            }
            Check::RoundTrips { within, .. } => {
                self.run_steps();
                self.outcome.result = format!(
                    "Case did not finish within {} seconds.",
                    self.capped(*within).as_secs()
                );
                self.progress = Progress::RoundTrips { sent: 0 };
                self.send_next_round_trip();
            }
            Check::EchoLength { within, .. } => {
                self.outcome.result = format!(
                    "Did not receive message within {} seconds.",
                    self.capped(*within).as_secs()
                );
                self.run_steps();
            }
            Check::Events | Check::SentFrames { .. } => self.run_steps(),
        }
    }

    fn send_next_round_trip(&mut self) {
        if let (
            Check::RoundTrips {
                payload, binary, ..
            },
            Progress::RoundTrips { sent },
        ) = (&self.case.check, &mut self.progress)
        {
            *sent += 1;
            let spec = FrameSpec::new(if *binary { 2 } else { 1 }, payload.clone());
            self.send_spec(&spec);
        }
    }

    fn send_next_deflate(&mut self) {
        let Check::Deflate {
            data,
            len,
            count,
            fragment_size,
            ..
        } = &self.case.check
        else {
            return;
        };
        // The suite's own side of the agreement: only messages compressed each on its
        // own (no context takeover) are the same in every case and can be shared.
        let (no_context_takeover, window_bits) = match (self.deflate_config, self.role) {
            (None, _) => (true, 15),
            (Some(c), Role::Client) => (c.client_no_context_takeover, c.client_max_window_bits),
            (Some(c), Role::Server) => (c.server_no_context_takeover, c.server_max_window_bits),
        };
        let Progress::Deflate { sent, set, last } = &mut self.progress else {
            return;
        };
        let k = *sent;
        let message = if no_context_takeover {
            let set = set.get_or_insert_with(|| {
                let key = MessageSetKey {
                    data: *data,
                    len: *len,
                    window_bits,
                };
                self.cache.acquire(key, *count)
            });
            set.get(k)
        } else {
            Arc::new(CachedMessage {
                plain: data.window(*len, k),
                compressed: Vec::new(),
            })
        };
        *sent += 1;
        *last = Some(Arc::clone(&message));
        let binary = !data.is_text();
        // wstest's autoFragmentSize: 0 sends each message as one frame.
        let fragment_size = (*fragment_size > 0).then_some(*fragment_size);
        let precompressed = no_context_takeover.then_some(message.compressed.as_slice());
        self.send_message(&message.plain, binary, fragment_size, precompressed);
    }

    // ---------------------------------------------------------------- timers

    fn fire_timers(&mut self, now: Instant) {
        if now >= self.hard_deadline && self.state != State::Closed {
            self.was_clean = false;
            self.was_not_clean_reason = Some(format!(
                "wsspec: the case did not end within its time limit ({} s: its timers and the close timeouts)",
                self.limit.as_secs()
            ));
            self.drop_connection();
            return;
        }
        let mut due: Vec<Timer> = Vec::new();
        self.timers.retain(|(at, timer)| {
            if *at <= now {
                due.push(*timer);
                false
            } else {
                true
            }
        });
        for timer in due {
            if self.state == State::Closed {
                return;
            }
            match timer {
                Timer::Kill => {
                    self.rec.push(WireLogRow::KillFired);
                    self.fail_connection(1001, "Going Away");
                }
                Timer::Close => {
                    self.rec.push(WireLogRow::CloseFired);
                    self.send_close_frame(None, None, false);
                }
                Timer::Resume => {
                    if let Some((record, tag)) = self.waiting.take() {
                        self.rec.push(WireLogRow::ContinueLaterFired {
                            tag: tag.map_or(Value::Null, |t| Value::String(t.to_owned())),
                        });
                        if record {
                            if self.state != State::Open {
                                self.next_step = self.case.steps.len();
                                continue;
                            }
                            self.received.push(Event::Timeout(tag.unwrap_or("")));
                        }
                        self.run_steps();
                    }
                }
                Timer::CloseHandshake => {
                    self.was_clean = false;
                    self.was_not_clean_reason =
                        Some("peer did not respond (in time) in closing handshake".to_owned());
                    self.was_close_handshake_timeout = true;
                    self.drop_connection();
                }
                Timer::ServerDrop => {
                    self.was_clean = false;
                    self.was_not_clean_reason =
                        Some("server did not drop TCP connection (in time)".to_owned());
                    self.was_server_connection_drop_timeout = true;
                    self.drop_connection();
                }
            }
        }
    }

    // ---------------------------------------------------------------- receiving

    fn receive(&mut self, mut data: &[u8]) {
        self.rec.rx_octets(data);
        self.traffic.in_wire += data.len() as u64;
        while self.state != State::Closed {
            let event = match self.decoder.next_event(&mut data) {
                Ok(Some(event)) => event,
                Ok(None) => return,
                Err(e) => {
                    self.fail_connection(e.close_code().0, &e.to_string());
                    return;
                }
            };
            let result = match event {
                FrameEvent::Header(header) => self.frame_begin(header),
                // Server frames are unmasked; a masked one (a protocol error the
                // decoder reports) never gets here.
                FrameEvent::Payload(chunk) if chunk.mask.is_none() => self.frame_data(chunk.data),
                FrameEvent::Payload(chunk) => {
                    let mut plain = Vec::with_capacity(chunk.data.len());
                    chunk.unmask_into(&mut plain);
                    self.frame_data(&plain)
                }
                FrameEvent::End(_) => self.frame_end(),
            };
            if let Err((code, reason)) = result {
                self.fail_connection(code, &reason);
                return;
            }
        }
    }

    fn frame_begin(&mut self, header: FrameHeader) -> Result<(), (u16, String)> {
        let opcode = u8::from(header.opcode);
        if opcode == 8 && header.payload_len == 1 {
            return Err((
                1002,
                "received close control frame with payload len 1".to_owned(),
            ));
        }
        if !header.opcode.is_control() {
            if header.rsv & RSV1 != 0 && self.assembler.in_message() {
                return Err((
                    1002,
                    "received continuation data frame with compress bit set [permessage-deflate]"
                        .to_owned(),
                ));
            }
            let starts = !self.assembler.in_message();
            self.assembler
                .begin_frame(&header)
                .map_err(|e| (e.close_code().0, e.to_string()))?;
            if starts {
                self.compressed_in_message = header.rsv & RSV1 != 0 && self.deflate.is_some();
                self.traffic.in_messages += 1;
            }
            self.traffic.in_ws += header.payload_len;
        } else if header.rsv != 0 {
            return Err((
                1002,
                "received compressed control frame [permessage-deflate]".to_owned(),
            ));
        }
        self.traffic.in_frames += 1;
        self.rx_frame = Some(RxFrame {
            header,
            prefix: Vec::new(),
            control: Vec::new(),
        });
        Ok(())
    }

    /// Inflates the next piece of a compressed message (`None`: its end) into the
    /// message being assembled, which checks its size and UTF-8.
    fn inflate(&mut self, piece: Option<&[u8]>) -> Result<(), (u16, String)> {
        let deflate = self
            .deflate
            .as_mut()
            .expect("compressed only with deflate agreed");
        // Straight into the message, under the limit of the whole message.
        self.assembler
            .push_with(|message, limit| match piece {
                Some(data) => deflate.decompress(data, message, limit),
                None => deflate.finish_message(message, limit),
            })
            .map_err(|e| (e.close_code().0, e.to_string()))?
            .map_err(|e| (e.close_code().0, e.to_string()))
    }

    fn frame_data(&mut self, plain: &[u8]) -> Result<(), (u16, String)> {
        let Some(frame) = &mut self.rx_frame else {
            return Ok(());
        };
        if frame.prefix.len() < 64 {
            let take = (64 - frame.prefix.len()).min(plain.len());
            frame.prefix.extend_from_slice(&plain[..take]);
        }
        if frame.header.opcode.is_control() {
            frame.control.extend_from_slice(plain);
            return Ok(());
        }
        if self.compressed_in_message {
            self.inflate(Some(plain))
        } else {
            self.assembler
                .push(plain)
                .map_err(|e| (e.close_code().0, e.to_string()))
        }
    }

    fn frame_end(&mut self) -> Result<(), (u16, String)> {
        let Some(frame) = self.rx_frame.take() else {
            return Ok(());
        };
        let header = frame.header;
        self.rec.rx_frame(
            u8::from(header.opcode),
            header.fin,
            header.rsv,
            header.mask,
            header.payload_len,
            &frame.prefix,
        );
        match header.opcode {
            Opcode::Close => self.on_close_frame(&frame.control),
            Opcode::Ping => {
                if self.state == State::Open && self.queued < MAX_QUEUED_PONG_BYTES {
                    self.send_frame(10, &frame.control, true, 0, None, None, false);
                }
                Ok(())
            }
            Opcode::Pong => {
                self.record(Event::Pong(frame.control));
                Ok(())
            }
            _ => {
                if header.fin && self.compressed_in_message {
                    self.inflate(None)?;
                }
                let message = self
                    .assembler
                    .end_frame()
                    .map_err(|e| (e.close_code().0, e.to_string()))?;
                if let Some(message) = message {
                    self.traffic.in_app += message.as_bytes().len() as u64;
                    if !self.failed_by_me {
                        let binary = message.is_binary();
                        let payload = match message {
                            wsspec_codec::message::Message::Text(t) => t.into_bytes(),
                            wsspec_codec::message::Message::Binary(b) => b,
                        };
                        self.on_message(payload, binary);
                    }
                }
                Ok(())
            }
        }
    }

    fn record(&mut self, event: Event) {
        if self.received.len() >= MAX_EVENTS {
            self.fail_connection(
                1008,
                "wsspec: the peer sent more messages and pongs than any case expects",
            );
            return;
        }
        self.received.push(event);
        if matches!(self.case.check, Check::Events | Check::SentFrames { .. }) {
            self.finish_when_done();
        }
    }

    /// wstest's `finishWhenDone`: close once what was received equals every expected
    /// list, if the suite is to close and the case does not close on its own.
    fn finish_when_done(&mut self) {
        let expected = &self.case.expected;
        for list in [expected.ok.as_ref(), expected.non_strict.as_ref()]
            .into_iter()
            .flatten()
        {
            if list.as_slice() != self.received.as_slice() {
                return;
            }
        }
        let close = &self.case.expected_close;
        if close.closed_by_me && !self.case.suppress_close {
            self.send_close_frame(close.codes.first().copied(), None, false);
        }
    }

    fn on_message(&mut self, payload: Vec<u8>, binary: bool) {
        match &self.case.check {
            Check::Events | Check::SentFrames { .. } => {
                self.record(Event::Message { payload, binary })
            }
            Check::EchoLength {
                binary: want_binary,
                len,
                wrong_type,
                ..
            } => {
                let kind = if *want_binary { "binary" } else { "text" };
                if binary != *want_binary {
                    self.outcome.result = (*wrong_type).to_owned();
                } else if payload.len() != *len {
                    self.outcome.result = format!(
                        "Expected {kind} message with payload of length {len}, but got {}.",
                        payload.len()
                    );
                } else {
                    self.outcome.behavior = Verdict::Ok;
                    self.outcome.result =
                        format!("Received {kind} message of length {}.", payload.len());
                }
                self.rec.enabled = true;
                self.send_close_frame(Some(1000), None, false);
            }
            Check::RoundTrips {
                count,
                payload: sent,
                binary: want_binary,
                ..
            } => {
                let sent_so_far = match self.progress {
                    Progress::RoundTrips { sent } => sent,
                    _ => 0,
                };
                if binary != *want_binary || payload.len() != sent.len() {
                    self.outcome.behavior = Verdict::Failed;
                    self.outcome.result = format!(
                        "Echo'ed message type or length differs from what I sent (got binary = {}, payload length = {}).",
                        python_bool(binary),
                        payload.len()
                    );
                    self.rec.set_enabled(true);
                    self.send_close_frame(Some(1000), None, false);
                } else if sent_so_far < *count {
                    self.send_next_round_trip();
                } else {
                    self.outcome.behavior = Verdict::Ok;
                    self.outcome.result = "Ok, received all echo'ed messages in time.".to_owned();
                    self.rec.set_enabled(true);
                    self.send_close_frame(Some(1000), None, false);
                }
            }
            Check::Deflate {
                data, len, count, ..
            } => {
                let (sent, expected) = match &self.progress {
                    Progress::Deflate {
                        sent,
                        last: Some(last),
                        ..
                    } => (*sent, Arc::clone(last)),
                    _ => return,
                };
                let want_binary = !data.is_text();
                let failure = if binary != want_binary {
                    Some(format!(
                        "Echo'ed message type differs from what I sent (got binary {}, expected binary {}).",
                        python_bool(binary),
                        python_bool(want_binary)
                    ))
                } else if payload.as_slice() != &*expected.plain {
                    let got_len = if want_binary {
                        payload.len()
                    } else {
                        String::from_utf8_lossy(&payload).chars().count()
                    };
                    if got_len != *len {
                        Some(format!(
                            "Echo'ed message length differs from what I sent (got length {got_len}, expected length {len})."
                        ))
                    } else {
                        Some(format!(
                            "Echo'ed message contents differs from what I sent (got SHA1 {}, expected SHA1 {}).",
                            sha1_hex(&payload),
                            sha1_hex(&expected.plain)
                        ))
                    }
                } else {
                    None
                };
                if let Some(text) = failure {
                    self.outcome.behavior = Verdict::Failed;
                    self.outcome.result = text;
                    self.rec.set_enabled(true);
                    self.send_close_frame(Some(1000), None, false);
                } else if sent < *count {
                    self.send_next_deflate();
                } else {
                    self.outcome.behavior = Verdict::Ok;
                    self.outcome.result = "Ok, received all echo'ed messages in time.".to_owned();
                    self.traffic_snapshot = Some(self.traffic.to_json());
                    self.rec.set_enabled(true);
                    self.send_close_frame(Some(1000), None, false);
                }
            }
        }
    }

    /// autobahn's `onCloseFrame`.
    fn on_close_frame(&mut self, payload: &[u8]) -> Result<(), (u16, String)> {
        let code = (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
        self.remote_close_code = code;
        if let Some(code) = code {
            let allowed = (3000..=4999).contains(&code) || ALLOWED_CLOSE_CODES.contains(&code);
            if !allowed {
                self.fail_connection(1002, &format!("invalid close code {code}"));
            }
        }
        if payload.len() > 2 {
            let reason = &payload[2..];
            let mut validator = Utf8Validator::new();
            if validator
                .feed(reason)
                .and_then(|()| validator.finish())
                .is_err()
            {
                self.fail_connection(1007, "invalid close reason (non-UTF-8 payload)");
            }
            self.remote_close_reason = Some(String::from_utf8_lossy(reason).into_owned());
        }
        match self.state {
            State::Closing => {
                self.timers.retain(|(_, t)| *t != Timer::CloseHandshake);
                self.was_clean = true;
                match self.role {
                    Role::Client => self.schedule(self.settings.drop_timeout, Timer::ServerDrop),
                    // The answer to the suite's close: a server drops TCP at once.
                    Role::Server => self.drop_connection(),
                }
            }
            State::Open => {
                self.was_clean = true;
                self.send_close_frame(Some(1000), None, true);
                if self.role == Role::Server {
                    // The peer started the close: answer, then drop TCP once the answer
                    // is written.
                    self.linger = true;
                    self.drop_connection();
                }
            }
            State::Closed => self.was_clean = false,
        }
        Ok(())
    }

    /// TCP ended (the peer closed it, or it broke).
    fn connection_lost(&mut self) {
        if self.state != State::Closed {
            self.state = State::Closed;
        }
        if !self.was_clean && !self.dropped_by_me && self.was_not_clean_reason.is_none() {
            self.was_not_clean_reason = Some(
                "peer dropped the TCP connection without previous WebSocket closing handshake"
                    .to_owned(),
            );
        }
    }
}

/// How long a case's own timers can keep it going: its waits in sequence plus the
/// longest timer or budget, each timer capped at `cap`.
pub fn case_budget(case: &Case, cap: Option<Duration>) -> Duration {
    let capped = |d: Duration| cap.map_or(d, |c| d.min(c));
    let mut waits = Duration::ZERO;
    let mut longest = Duration::ZERO;
    for step in &case.steps {
        match step {
            Step::Wait { delay, .. } => waits += capped(*delay),
            Step::KillAfter(d) | Step::CloseAfter(d) => longest = longest.max(capped(*d)),
            _ => {}
        }
    }
    if let Check::EchoLength { within, .. }
    | Check::RoundTrips { within, .. }
    | Check::Deflate { within, .. } = &case.check
    {
        longest = longest.max(capped(*within));
    }
    waits + longest
}

fn python_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

fn sha1_hex(data: &[u8]) -> String {
    Sha1::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Now as wstest writes it: `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC).
pub fn utc_now() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 to a civil date (proleptic Gregorian).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        now.subsec_millis()
    )
}

/// Where a case connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Host name or address (no brackets).
    pub host: String,
    /// Port.
    pub port: u16,
    /// The request target (`/` at least).
    pub resource: String,
}

impl Target {
    /// The `Host` header value.
    pub fn host_header(&self) -> String {
        wsspec_codec::handshake::host_header(&self.host, self.port)
    }
}

/// A connected stream the case runs over.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

enum Wake {
    Read(std::io::Result<usize>),
    Wrote(std::io::Result<usize>),
    Timer,
}

/// Runs `case` over `stream` (already connected to `target`). `started` is the UTC time
/// of the TCP connect; `index` the case's 1-based position in the catalog.
pub async fn run_case<S: Stream>(
    stream: S,
    case: &Case,
    index: usize,
    target: &Target,
    settings: &Settings,
    cache: &MessageCache,
    started: String,
) -> CaseRun {
    let (mut reader, mut writer) = tokio::io::split(stream);
    let mut rec = Recorder::new();
    let mut request = ClientRequest::new(target.host_header(), target.resource.clone());
    request
        .extra_headers
        .push(("User-Agent".into(), settings.user_agent.clone()));
    request.extensions = case.offers.iter().map(DeflateOffer::to_extension).collect();
    let request_bytes = request.to_bytes();
    let http_request = String::from_utf8_lossy(&request_bytes).into_owned();
    let mut traffic = Traffic {
        preopen_out: request_bytes.len() as u64,
        ..Traffic::default()
    };
    rec.tx_octets(&request_bytes, false);

    // The opening handshake, bounded by the open timeout.
    let handshake = async {
        match case.split() {
            Some(split) => {
                super::split::write_all(&mut writer, &request_bytes, &mut Splitter::new(split))
                    .await
            }
            None => writer.write_all(&request_bytes).await,
        }
        .map_err(|e| format!("cannot send the opening handshake: {e}"))?;
        let mut parser = ResponseParser::new(&request, &settings.limits);
        let mut buf = vec![0u8; 4096];
        let mut raw = Vec::new();
        loop {
            let n = reader
                .read(&mut buf)
                .await
                .map_err(|e| format!("reading the handshake answer failed: {e}"))?;
            if n == 0 {
                return Err(
                    "the server closed the connection before answering the opening handshake"
                        .to_owned(),
                );
            }
            rec.rx_octets(&buf[..n]);
            traffic.preopen_in += n as u64;
            raw.extend_from_slice(&buf[..n]);
            match parser.feed(&buf[..n]) {
                Ok(Some((response, rest))) => return Ok((response, rest)),
                Ok(None) => {}
                Err(e) => return Err(format!("invalid opening handshake answer: {e}")),
            }
        }
    };
    let (answer, timed_out) = match tokio::time::timeout(settings.open_timeout, handshake).await {
        Ok(result) => (result, false),
        Err(_) => (
            Err(format!(
                "the server did not complete the opening handshake within {} s",
                settings.open_timeout.as_secs()
            )),
            true,
        ),
    };
    let (response, rest) = match answer {
        Ok(answer) => answer,
        Err(problem) => {
            let mut run = never_open(case, index, started, http_request, rec, problem);
            run.detail.was_open_handshake_timeout = Some(timed_out);
            return run;
        }
    };
    let server_header = response.header("Server").map(str::to_owned);
    let http_response = String::from_utf8_lossy(&response.raw).into_owned();
    let deflate = if case.offers.is_empty() {
        None
    } else {
        match negotiate_client_extensions(&response.extensions, &case.offers) {
            Ok(config) => config,
            Err(e) => {
                return never_open(
                    case,
                    index,
                    started,
                    http_request,
                    rec,
                    format!("the server's permessage-deflate answer is unacceptable: {e}"),
                )
            }
        }
    };

    let mut fuzzer = Fuzzer::new(case, settings, cache, deflate, Role::Client);
    fuzzer.rec = rec;
    fuzzer.traffic = traffic;
    let duration = drive(&mut fuzzer, &mut reader, &mut writer, &rest).await;
    drop(reader);
    finish(
        fuzzer,
        index,
        started,
        http_request,
        http_response,
        duration,
        server_header,
    )
}

/// Runs an open connection: the case's steps, then reading, writing and timers until
/// the connection is closed. Returns the time from the open to the end (wstest's
/// `duration`); the socket is shut down on return.
async fn drive<R, W>(
    fuzzer: &mut Fuzzer<'_>,
    reader: &mut R,
    writer: &mut W,
    rest: &[u8],
) -> Duration
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let opened = Instant::now();
    fuzzer.open();
    if !rest.is_empty() {
        fuzzer.receive(rest);
    }
    let mut buf = vec![0u8; 64 * 1024];
    let mut writing: Option<(Write, usize)> = None;
    // Section 104: every write cut into pieces, each a write of its own.
    let mut splitter = fuzzer.case.split().map(Splitter::new);
    while fuzzer.state != State::Closed {
        if writing.is_none() {
            if let Some(next) = fuzzer.out.pop_front() {
                fuzzer.queued -= next.data.len();
                writing = Some((next, 0));
            }
        }
        let deadline = fuzzer.next_deadline();
        let wake = {
            let chunk: &[u8] = writing.as_ref().map_or(&[], |(w, at)| &w.data[*at..]);
            let chunk = match &mut splitter {
                Some(splitter) if !chunk.is_empty() => &chunk[..splitter.piece(chunk.len())],
                _ => chunk,
            };
            tokio::select! {
                r = reader.read(&mut buf) => Wake::Read(r),
                w = writer.write(chunk), if !chunk.is_empty() => Wake::Wrote(w),
                _ = sleep_until(deadline.into()) => Wake::Timer,
            }
        };
        match wake {
            Wake::Read(Ok(0)) | Wake::Read(Err(_)) | Wake::Wrote(Err(_)) => {
                fuzzer.connection_lost()
            }
            Wake::Read(Ok(n)) => fuzzer.receive(&buf[..n]),
            Wake::Wrote(Ok(n)) => {
                if splitter.as_mut().is_some_and(|s| s.wrote(n)) {
                    let _ = writer.flush().await;
                    tokio::task::yield_now().await;
                }
                if let Some((w, at)) = &mut writing {
                    *at += n;
                    if *at >= w.data.len() {
                        let sync = w.sync;
                        writing = None;
                        if sync {
                            let _ = writer.flush().await;
                            pause_after_sync_write().await;
                        }
                    }
                }
            }
            Wake::Timer => fuzzer.fire_timers(Instant::now()),
        }
    }
    if fuzzer.linger {
        // What was queued before the drop still goes out, within the close timeout.
        let pending: Vec<u8> = writing
            .map(|(w, at)| w.data[at..].to_vec())
            .into_iter()
            .chain(fuzzer.out.drain(..).map(|w| w.data))
            .flatten()
            .collect();
        let _ =
            tokio::time::timeout(fuzzer.settings.close_timeout, writer.write_all(&pending)).await;
    }
    let _ = tokio::time::timeout(Duration::from_millis(100), writer.shutdown()).await;
    let duration = opened.elapsed();
    if let Progress::Deflate { set: Some(set), .. } = &fuzzer.progress {
        fuzzer.cache.release(set.key());
    }
    duration
}

/// A client's opening handshake, as the suite (the server) read it.
#[derive(Debug, Clone)]
pub struct Opening {
    /// The request, valid by RFC 6455 §4.2.1.
    pub request: Request,
    /// The octets read so far, one entry per read (for the wire log and statistics).
    pub reads: Vec<Vec<u8>>,
    /// The octets read after the request head (the client's first frames).
    pub rest: Vec<u8>,
    /// When the request arrived (UTC), wstest's `started` as server.
    pub started: String,
}

/// Runs `case` as the server, over `stream` from the client whose opening handshake is
/// `opening`: answers it as wstest's fuzzing server does (permessage-deflate accepted by
/// the case's rule, [`super::accept`]), then runs the case. `index` is the case's
/// 1-based position in the served list.
pub async fn serve_case<S: Stream>(
    stream: S,
    opening: Opening,
    case: &Case,
    index: usize,
    settings: &Settings,
    cache: &MessageCache,
) -> CaseRun {
    let (mut reader, mut writer) = tokio::io::split(stream);
    let Opening {
        request,
        reads,
        rest,
        started,
    } = opening;
    let mut rec = Recorder::new();
    let mut traffic = Traffic::default();
    for chunk in &reads {
        rec.rx_octets(chunk);
        traffic.preopen_in += chunk.len() as u64;
    }
    let http_request = String::from_utf8_lossy(&request.raw).into_owned();
    let accepted = match parse_offers(&request.extensions) {
        Ok(offers) => accept(case, &offers),
        Err(reason) => {
            // wstest fails the opening handshake, whatever the case.
            let answer = format!("HTTP/1.1 400 {reason}\r\n\r\n").into_bytes();
            rec.tx_octets(&answer, false);
            let _ = tokio::time::timeout(settings.close_timeout, writer.write_all(&answer)).await;
            let _ = tokio::time::timeout(Duration::from_millis(100), writer.shutdown()).await;
            let mut run = never_open(case, index, started, http_request, rec, reason);
            run.detail.is_server = Some(true);
            return run;
        }
    };
    let mut response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nServer: {}\r\nUpgrade: WebSocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n",
        settings.user_agent,
        accept_key(&request.key)
    );
    if let Some(accepted) = &accepted {
        response.push_str(&format!(
            "Sec-WebSocket-Extensions: {}\r\n",
            accepted.response
        ));
    }
    response.push_str("\r\n");
    rec.tx_octets(response.as_bytes(), false);
    traffic.preopen_out += response.len() as u64;
    // Section 104 cuts the answer too, as it cuts the request as client.
    let answer = async {
        match case.split() {
            Some(split) => {
                super::split::write_all(&mut writer, response.as_bytes(), &mut Splitter::new(split))
                    .await
            }
            None => writer.write_all(response.as_bytes()).await,
        }
    };
    let sent = tokio::time::timeout(settings.open_timeout, answer);
    if !matches!(sent.await, Ok(Ok(()))) {
        let mut run = never_open(
            case,
            index,
            started,
            http_request,
            rec,
            "cannot send the opening handshake answer".to_owned(),
        );
        run.detail.is_server = Some(true);
        return run;
    }
    let mut fuzzer = Fuzzer::new(
        case,
        settings,
        cache,
        accepted.map(|a| a.config),
        Role::Server,
    );
    fuzzer.rec = rec;
    fuzzer.traffic = traffic;
    let duration = drive(&mut fuzzer, &mut reader, &mut writer, &rest).await;
    drop(reader);
    finish(
        fuzzer,
        index,
        started,
        http_request,
        response,
        duration,
        None,
    )
}

/// The gap after a write of its own (`sync`, `chop`). wstest returns to its event loop
/// between such writes, which takes tens of microseconds; without a gap, a peer reads
/// several "separate" writes at once, and servers that do not answer a message before
/// reading on (python-websockets in 3.4, 4.1.5, 4.2.5) answer differently.
const SYNC_WRITE_GAP: Duration = Duration::from_micros(50);

async fn pause_after_sync_write() {
    // Tokio's timers tick in milliseconds; yield until the gap has passed.
    let until = Instant::now() + SYNC_WRITE_GAP;
    loop {
        tokio::task::yield_now().await;
        if Instant::now() >= until {
            break;
        }
    }
}

/// The record of a case whose connection never opened.
fn never_open(
    case: &Case,
    index: usize,
    started: String,
    http_request: String,
    rec: Recorder,
    problem: String,
) -> CaseRun {
    let ending = Ending::default();
    let mut outcome = judge(case, &[], &ending, initial(), (0, 0));
    outcome.result = problem.clone();
    let (rows, _) = rec.into_rows();
    let mut detail = base_detail(case, index, started, outcome);
    detail.duration = Some(0);
    detail.http_request = Some(http_request);
    detail.http_response = Some("?".to_owned());
    detail.was_not_clean_reason = Some(problem);
    detail.was_open_handshake_timeout = Some(false);
    detail.closed_by_me = Some(false);
    detail.dropped_by_me = Some(true);
    detail.failed_by_me = Some(false);
    detail.was_clean = Some(false);
    detail.received = Some(Value::Array(Vec::new()));
    detail.wirelog = Some(rows);
    CaseRun {
        detail,
        server_header: None,
    }
}

fn base_detail(case: &Case, index: usize, started: String, outcome: Outcome) -> CaseDetail {
    CaseDetail {
        id: case.id.to_string(),
        case: Some(index as u64),
        behavior: outcome.behavior,
        behavior_close: outcome.behavior_close,
        description: Some(case.description.clone()),
        expectation: Some(case.expectation.clone()),
        expected: Some(case.expected.to_json()),
        expected_close: Some(case.expected_close.to_json()),
        result: Some(outcome.result),
        result_close: Some(outcome.result_close),
        started: Some(started),
        is_server: Some(false),
        create_stats: Some(true),
        report_time: Some(case.report_time),
        report_compression_ratio: Some(case.report_compression_ratio),
        ..CaseDetail::default()
    }
}

fn finish(
    fuzzer: Fuzzer<'_>,
    index: usize,
    started: String,
    http_request: String,
    http_response: String,
    duration: Duration,
    server_header: Option<String>,
) -> CaseRun {
    let ending = Ending {
        was_open: true,
        closed_by_me: fuzzer.closed_by_me,
        was_clean: fuzzer.was_clean,
        dropped_by_me: fuzzer.dropped_by_me,
        remote_close_code: fuzzer.remote_close_code,
        suite_is_server: fuzzer.role == Role::Server,
    };
    let tx_text = fuzzer.rec.tx_frames.get(&1).copied().unwrap_or(0);
    let tx_continuation = fuzzer.rec.tx_frames.get(&0).copied().unwrap_or(0);
    let outcome = judge(
        fuzzer.case,
        &fuzzer.received,
        &ending,
        fuzzer.outcome.clone(),
        (tx_text, tx_continuation),
    );
    let received = Value::Array(fuzzer.received.iter().map(Event::to_json).collect());
    let local_close_reason =
        fuzzer
            .local_close_reason
            .as_ref()
            .map(|reason| match std::str::from_utf8(reason) {
                Ok(text) => text.to_owned(),
                // 7.5.1 sends an invalid reason on purpose; wstest reports it as hex.
                Err(_) => bin_log_data(reason),
            });
    let create_wirelog = fuzzer.rec.enabled;
    let is_server = fuzzer.role == Role::Server;
    let Fuzzer {
        case,
        rec,
        closed_by_me,
        failed_by_me,
        dropped_by_me,
        was_clean,
        was_not_clean_reason,
        was_close_handshake_timeout,
        was_server_connection_drop_timeout,
        local_close_code,
        remote_close_code,
        remote_close_reason,
        traffic_snapshot,
        ..
    } = fuzzer;
    let (rx_frames, tx_frames, rx_octets, tx_octets) = (
        rec.rx_frames.clone(),
        rec.tx_frames.clone(),
        rec.rx_octets.clone(),
        rec.tx_octets.clone(),
    );
    let (rows, dropped_rows) = rec.into_rows();
    let mut detail = base_detail(case, index, started, outcome);
    detail.duration = Some(duration.as_millis() as u64);
    detail.is_server = Some(is_server);
    detail.received = Some(received);
    detail.http_request = Some(http_request);
    detail.http_response = Some(http_response);
    detail.closed_by_me = Some(closed_by_me);
    detail.failed_by_me = Some(failed_by_me);
    detail.dropped_by_me = Some(dropped_by_me);
    detail.was_clean = Some(was_clean);
    detail.was_not_clean_reason = was_not_clean_reason;
    detail.was_close_handshake_timeout = Some(was_close_handshake_timeout);
    detail.was_server_connection_drop_timeout = Some(was_server_connection_drop_timeout);
    detail.was_open_handshake_timeout = Some(false);
    detail.local_close_code = local_close_code;
    detail.local_close_reason = local_close_reason;
    detail.remote_close_code = remote_close_code;
    detail.remote_close_reason = remote_close_reason;
    detail.create_wirelog = Some(create_wirelog);
    detail.rx_frame_stats = Some(rx_frames);
    detail.tx_frame_stats = Some(tx_frames);
    detail.rx_octet_stats = Some(rx_octets);
    detail.tx_octet_stats = Some(tx_octets);
    detail.traffic_stats = traffic_snapshot;
    detail.wirelog = Some(rows);
    if dropped_rows > 0 {
        // Not a wstest field: how many rows past the cap were counted but not kept.
        detail
            .extra
            .insert("wsspecWirelogRowsDropped".to_owned(), dropped_rows.into());
    }
    CaseRun {
        detail,
        server_header,
    }
}

/// The record of a case whose TCP connection could not be made.
pub fn connect_failed(case: &Case, index: usize, started: String, problem: String) -> CaseRun {
    never_open(
        case,
        index,
        started,
        "?".to_owned(),
        Recorder::new(),
        problem,
    )
}
