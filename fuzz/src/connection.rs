//! `connection`: an arbitrary interleaving of peer bytes (raw, or frames built by a
//! peer-side encoder, possibly compressed), read in arbitrary pieces, local sends,
//! closes, end of file and event draining drives one [`Connection`]. After every step
//! the invariants of RFC 6455 §5–§7 hold:
//!
//! - nothing is reported after the peer's close but the end of the transport, nothing at
//!   all after the end of the transport, and after a protocol error only the peer's
//!   close reply and the end of the transport; each of these at most once;
//! - messages stay within the message limit, control payloads within 125 bytes;
//! - sends succeed until our close frame is queued (or the transport ended) and fail
//!   after; the state only moves forward, and so does "close the transport";
//! - everything written re-parses, with the opposite role, as valid frames: masked iff
//!   we are a client, control frames final and short, the close frame last and with a
//!   code that may be sent (§7.4); and a peer [`Connection`] fed all of it reports no
//!   protocol error and receives exactly the messages we sent.

use arbitrary::{Arbitrary, Unstructured};
use wsspec_codec::close::CloseCode;
use wsspec_codec::connection::{Config, Connection, Event, SendError, State};
use wsspec_codec::decode::{Decoded, FrameDecoder};
use wsspec_codec::deflate::{DeflateConfig, PerMessageDeflate};
use wsspec_codec::frame::{Frame, FrameHeader, Opcode, Role, RSV1};
use wsspec_codec::message::Message;
use wsspec_codec::{CloseFrame, Limits};

use crate::input::{ChunkPlan, MAX_FRAME, MAX_MESSAGE};

#[derive(Debug, Arbitrary)]
struct Case {
    client: bool,
    frame_limit: u8,
    message_limit: u8,
    deflate: Option<(bool, bool, u8, u8)>,
    read_size: u8,
    ops: Vec<Op>,
}

#[derive(Debug, Arbitrary)]
enum Op {
    PeerBytes(Vec<u8>),
    PeerFrame(PeerFrame),
    SendText(String),
    SendBinary(Vec<u8>),
    SendTextFragments { text: String, cuts: Vec<u8> },
    SendFragment { data: Vec<u8>, fin: bool },
    SendPing(Vec<u8>),
    SendPong(Vec<u8>),
    Close { code: Option<u8>, reason: String },
    Eof,
    Drain(u8),
}

#[derive(Debug, Arbitrary)]
struct PeerFrame {
    opcode: u8,
    fin: bool,
    rsv: u8,
    wrong_mask: bool,
    compress: bool,
    key: [u8; 4],
    close_code: u16,
    payload: Vec<u8>,
}

/// Codes an application may send (RFC 6455 §7.4, IANA registry).
const SENDABLE_CODES: [u16; 14] = [
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999,
];

/// Checks a send's outcome against whether sending is still allowed.
fn expect_send(allowed: bool, result: Result<(), SendError>) {
    match (allowed, result) {
        (true, Ok(())) | (false, Err(SendError::AfterClose(_))) => {}
        (allowed, other) => panic!("send allowed={allowed} returned {other:?}"),
    }
}

struct Harness {
    conn: Connection,
    role: Role,
    limits: Limits,
    deflate: Option<DeflateConfig>,
    /// The peer's compressor, for compressed peer frames.
    peer_deflate: Option<PerMessageDeflate>,
    read_size: u8,
    /// Everything the connection wrote.
    written: Vec<u8>,
    /// Messages we sent completely, in order.
    sent: Vec<Message>,
    /// Binary fragments of a message in progress.
    fragments: Option<Vec<u8>>,
    // What has been reported so far.
    saw_close: bool,
    saw_eof: bool,
    saw_error: bool,
    /// `receive_eof` was called.
    eof_fed: bool,
    state: State,
    close_transport: bool,
}

fn state_rank(s: State) -> u8 {
    match s {
        State::Open => 0,
        State::Closing => 1,
        State::Closed => 2,
    }
}

impl Harness {
    fn new(case: &Case) -> Harness {
        let role = if case.client {
            Role::Client
        } else {
            Role::Server
        };
        let limits = Limits {
            max_frame: MAX_FRAME[usize::from(case.frame_limit) % MAX_FRAME.len()],
            max_message: MAX_MESSAGE[usize::from(case.message_limit) % MAX_MESSAGE.len()],
            max_handshake: 1024,
        };
        let deflate = case.deflate.map(|(snct, cnct, sb, cb)| DeflateConfig {
            server_no_context_takeover: snct,
            client_no_context_takeover: cnct,
            server_max_window_bits: 8 + sb % 8,
            client_max_window_bits: 8 + cb % 8,
        });
        let config = Config {
            limits,
            deflate,
            deflate_level: Some(1),
        };
        Harness {
            conn: Connection::new(role, config).with_mask_source(Box::new(|| [0x5a, 1, 0xff, 7])),
            role,
            limits,
            deflate,
            peer_deflate: deflate.map(|c| PerMessageDeflate::new(role.peer(), c).with_level(1)),
            read_size: case.read_size,
            written: Vec::new(),
            sent: Vec::new(),
            fragments: None,
            saw_close: false,
            saw_eof: false,
            saw_error: false,
            eof_fed: false,
            state: State::Open,
            close_transport: false,
        }
    }

    fn can_send(&self) -> bool {
        self.conn.close_sent().is_none() && !self.eof_fed
    }

    fn peer_frame(&mut self, f: &PeerFrame) -> Vec<u8> {
        let opcode = Opcode::from(f.opcode);
        let mut payload = f.payload.clone();
        let mut rsv = f.rsv & 0b111 & if f.rsv & 0x80 != 0 { 0b111 } else { 0 };
        if opcode == Opcode::Close && f.rsv & 0x40 == 0 {
            // Mostly well-formed close payloads: a code, then (possibly invalid) reason.
            let mut body = f.close_code.to_be_bytes().to_vec();
            body.extend_from_slice(&payload[..payload.len().min(123)]);
            payload = body;
        }
        if let (true, Some(d), Opcode::Text | Opcode::Binary) =
            (f.compress, self.peer_deflate.as_mut(), opcode)
        {
            let mut compressed = Vec::new();
            d.compress(&payload, &mut compressed);
            payload = compressed;
            rsv |= RSV1;
        }
        let masked = (self.role == Role::Server) != f.wrong_mask;
        let frame = Frame {
            header: FrameHeader {
                fin: f.fin || opcode.is_control() && f.rsv & 0x20 == 0,
                rsv,
                opcode,
                mask: masked.then_some(f.key),
                payload_len: payload.len() as u64,
            },
            payload,
        };
        let mut wire = Vec::new();
        frame.encode(&mut wire);
        wire
    }

    fn receive(&mut self, bytes: &[u8]) {
        for piece in ChunkPlan::new(&[self.read_size]).split(bytes) {
            self.conn.receive_data(piece);
        }
    }

    fn step(&mut self, op: &Op) {
        let allowed = self.can_send();
        match op {
            Op::PeerBytes(bytes) => self.receive(bytes),
            Op::PeerFrame(f) => {
                let wire = self.peer_frame(f);
                self.receive(&wire);
            }
            Op::SendText(text) if self.fragments.is_none() => {
                expect_send(allowed, self.conn.send_text(text));
                if allowed {
                    self.sent.push(Message::Text(text.clone()));
                }
            }
            Op::SendBinary(data) if self.fragments.is_none() => {
                expect_send(allowed, self.conn.send_binary(data));
                if allowed {
                    self.sent.push(Message::Binary(data.clone()));
                }
            }
            Op::SendTextFragments { text, cuts } if self.fragments.is_none() => {
                let pieces = ChunkPlan::new(cuts).split(text.as_bytes());
                let last = pieces.len() - 1;
                for (i, piece) in pieces.iter().enumerate() {
                    let op = if i == 0 {
                        Opcode::Text
                    } else {
                        Opcode::Continuation
                    };
                    expect_send(allowed, self.conn.send_fragment(op, piece, i == last));
                }
                if allowed {
                    self.sent.push(Message::Text(text.clone()));
                }
            }
            Op::SendFragment { data, fin } => {
                let op = if self.fragments.is_some() {
                    Opcode::Continuation
                } else {
                    Opcode::Binary
                };
                expect_send(allowed, self.conn.send_fragment(op, data, *fin));
                if allowed {
                    let mut so_far = self.fragments.take().unwrap_or_default();
                    so_far.extend_from_slice(data);
                    if *fin {
                        self.sent.push(Message::Binary(so_far));
                    } else {
                        self.fragments = Some(so_far);
                    }
                }
            }
            Op::SendText(_) | Op::SendBinary(_) | Op::SendTextFragments { .. } => {
                // Would interleave with our fragmented message (§5.4): not a valid send.
            }
            Op::SendPing(p) => {
                let p = &p[..p.len().min(125)];
                expect_send(allowed, self.conn.send_ping(p));
            }
            Op::SendPong(p) => {
                let p = &p[..p.len().min(125)];
                expect_send(allowed, self.conn.send_pong(p));
                if p.len() < 125 {
                    let long = [0u8; 126];
                    let err = self.conn.send_pong(&long).expect_err("126-byte pong");
                    assert!(matches!(
                        err,
                        SendError::ControlPayloadTooLong { .. } | SendError::AfterClose(_)
                    ));
                }
            }
            Op::Close { code, reason } => {
                let code = code.map(|i| CloseCode(SENDABLE_CODES[usize::from(i) % 14]));
                self.conn.close(code, reason);
                assert!(self.conn.close_sent().is_some() || self.eof_fed);
                self.fragments = None;
            }
            Op::Eof => {
                self.eof_fed = true;
                self.conn.receive_eof();
                assert_eq!(self.conn.state(), State::Closed);
                assert!(self.conn.should_close_transport());
            }
            Op::Drain(n) => {
                for _ in 0..*n {
                    let Some(event) = self.conn.next_event() else {
                        break;
                    };
                    self.check_event(event);
                }
            }
        }
        self.written.extend(self.conn.data_to_send());
        self.check_progress();
    }

    fn check_event(&mut self, event: Event) {
        assert!(!self.saw_eof, "{event:?} after the end of the transport");
        match &event {
            Event::Eof { clean } => {
                self.saw_eof = true;
                let both = self.conn.close_sent().is_some() && self.conn.close_received().is_some();
                assert_eq!(*clean, both, "clean flag");
                return;
            }
            Event::Close(frame) => {
                assert!(!self.saw_close, "second close event");
                self.saw_close = true;
                assert!(frame.code.is_none_or(|c| c.is_allowed_on_wire()));
                assert_eq!(self.conn.close_received(), Some(frame));
                return;
            }
            _ => {}
        }
        assert!(!self.saw_close, "{event:?} after the peer's close");
        assert!(!self.saw_error, "{event:?} after a protocol error");
        match event {
            Event::ProtocolError(err) => {
                self.saw_error = true;
                assert_eq!(self.conn.error(), Some(&err));
            }
            Event::Message(m) => {
                assert!(
                    m.as_bytes().len() <= self.limits.max_message,
                    "message over the limit"
                );
            }
            Event::Ping(p) | Event::Pong(p) => assert!(p.len() <= 125),
            Event::Close(_) | Event::Eof { .. } => unreachable!("handled above"),
        }
    }

    fn check_progress(&mut self) {
        let state = self.conn.state();
        assert!(
            state_rank(state) >= state_rank(self.state),
            "state went back"
        );
        self.state = state;
        let close = self.conn.should_close_transport();
        assert!(
            close || !self.close_transport,
            "should_close_transport went back"
        );
        self.close_transport = close;
    }

    /// Everything written parses as frames of our role, and a peer receives our messages.
    fn check_output(&self) {
        let mut dec = FrameDecoder::new(self.role.peer(), Limits::default());
        if self.deflate.is_some() {
            dec.set_allowed_rsv(RSV1);
        }
        let mut input = self.written.as_slice();
        let mut closed = false;
        loop {
            match dec.decode(&mut input) {
                Ok(Decoded::Frame(f)) => {
                    assert!(!closed, "frame {:?} after our close frame", f.header);
                    if f.header.opcode == Opcode::Close {
                        closed = true;
                        let frame = CloseFrame::parse(&f.payload);
                        assert!(
                            frame.is_ok(),
                            "we sent an invalid close payload {:?}",
                            f.payload
                        );
                    }
                }
                Ok(Decoded::NeedMore(_)) => {
                    assert!(dec.is_between_frames(), "output ends inside a frame");
                    break;
                }
                Err(e) => panic!("we wrote an invalid frame: {e}"),
            }
        }
        let config = Config {
            limits: Limits::default(),
            deflate: self.deflate,
            deflate_level: None,
        };
        let mut peer = Connection::new(self.role.peer(), config);
        peer.receive_data(&self.written);
        let mut received = Vec::new();
        while let Some(event) = peer.next_event() {
            match event {
                Event::Message(m) => received.push(m),
                Event::ProtocolError(e) => panic!("the peer rejects what we wrote: {e}"),
                _ => {}
            }
        }
        assert_eq!(
            received, self.sent,
            "the peer received other messages than we sent"
        );
    }
}

/// The target.
pub fn run(data: &[u8]) {
    let Ok(case) = Case::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let mut h = Harness::new(&case);
    for op in &case.ops {
        h.step(op);
    }
    h.step(&Op::Drain(u8::MAX));
    while let Some(event) = h.conn.next_event() {
        h.check_event(event);
    }
    h.check_output();
}
