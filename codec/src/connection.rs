//! The protocol state machine of one connection in one role (RFC 6455 §5–§7).
//!
//! Sans-I/O, in the shape of python-websockets' `protocol.py`: the caller feeds what it
//! read with [`Connection::receive_data`] / [`Connection::receive_eof`], takes events
//! with [`Connection::next_event`], writes out [`Connection::data_to_send`], and closes
//! the transport when [`Connection::should_close_transport`] says so. Pings are answered,
//! the closing handshake is run, and every protocol violation fails the connection with
//! the close code its rule maps to (1002, 1007, 1009).

use std::collections::VecDeque;

use crate::close::{CloseCode, CloseError, CloseFrame};
use crate::decode::{FrameDecoder, FrameError, FrameEvent};
use crate::deflate::{DeflateConfig, DeflateError, PerMessageDeflate};
use crate::frame::{Frame, FrameHeader, Opcode, Role, RSV1};
use crate::limits::Limits;
use crate::message::{Message, MessageAssembler, MessageError};

/// Everything a connection is configured with once the handshake is done.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Size limits.
    pub limits: Limits,
    /// The permessage-deflate parameters agreed in the handshake, if any.
    pub deflate: Option<DeflateConfig>,
    /// Compression level for outgoing messages when deflate was agreed (zlib 0–9).
    pub deflate_level: Option<u32>,
}

/// What the peer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A complete data message.
    Message(Message),
    /// A ping (already answered with a pong unless the connection is closing).
    Ping(Vec<u8>),
    /// A pong.
    Pong(Vec<u8>),
    /// The peer's close frame, valid. If we had not sent one, ours (echoing the code) is
    /// already queued.
    Close(CloseFrame),
    /// The peer broke a rule: a close frame with the mapped code is queued (unless one was
    /// sent before). Only the peer's close reply and the end of the transport follow.
    ProtocolError(ConnectionError),
    /// The transport ended. `clean` is true when the closing handshake completed first.
    Eof {
        /// Whether both close frames were exchanged before the transport ended.
        clean: bool,
    },
}

/// Where the connection is in its life (RFC 6455 §4.1, §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Data may flow both ways.
    Open,
    /// We sent a close frame and wait for the peer's.
    Closing,
    /// Both close frames were exchanged, or the connection failed, or the transport ended.
    Closed,
}

/// A rule the peer broke, from any layer, with the close code it maps to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionError {
    /// Framing (RFC 6455 §5.2–§5.5).
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// Fragmentation, UTF-8 or message size (RFC 6455 §5.4, §8.1).
    #[error(transparent)]
    Message(#[from] MessageError),
    /// Close frame payload (RFC 6455 §5.5.1, §7.4).
    #[error(transparent)]
    Close(#[from] CloseError),
    /// permessage-deflate (RFC 7692).
    #[error(transparent)]
    Deflate(#[from] DeflateError),
}

impl ConnectionError {
    /// The close code with which the connection is failed.
    pub fn close_code(&self) -> CloseCode {
        match self {
            ConnectionError::Frame(e) => e.close_code(),
            ConnectionError::Message(e) => e.close_code(),
            ConnectionError::Close(e) => e.close_code(),
            ConnectionError::Deflate(e) => e.close_code(),
        }
    }
}

/// Why a send was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// RFC 6455 §5.5.1: after sending a close frame, an endpoint sends no more data.
    #[error("cannot send a {0} frame after the close frame (RFC 6455 §5.5.1)")]
    AfterClose(Opcode),
    /// RFC 6455 §5.5: control frames carry at most 125 bytes.
    #[error("{opcode} payload of {len} bytes exceeds 125 bytes (RFC 6455 §5.5)")]
    ControlPayloadTooLong {
        /// The control opcode.
        opcode: Opcode,
        /// The payload length asked for.
        len: usize,
    },
}

/// Source of masking keys for a client's frames (RFC 6455 §5.3: fresh and unpredictable
/// per frame). Injectable so tests can fix the wire bytes.
pub type MaskSource = Box<dyn FnMut() -> [u8; 4] + Send>;

/// The protocol state machine of one connection.
pub struct Connection {
    role: Role,
    decoder: FrameDecoder,
    assembler: MessageAssembler,
    deflate: Option<PerMessageDeflate>,
    /// Control frame being received: header and payload so far (≤ 125 bytes).
    control: Option<(FrameHeader, Vec<u8>)>,
    /// Whether the data frame being received is discarded (it arrived after our close).
    discarding: bool,
    /// A reused buffer for compressed payloads (inflated straight into the message).
    compressed_scratch: Vec<u8>,
    events: VecDeque<Event>,
    /// Input not yet decoded: decoding pauses after each message (see `receive_data`).
    pending: Vec<u8>,
    pending_pos: usize,
    /// The peer sent a close frame, valid or not: it will send nothing more.
    peer_closed: bool,
    out: Vec<u8>,
    state: State,
    close_sent: Option<CloseFrame>,
    close_received: Option<CloseFrame>,
    error: Option<ConnectionError>,
    eof: bool,
    mask_source: MaskSource,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("close_sent", &self.close_sent)
            .field("close_received", &self.close_received)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// A connection in the open state, after a successful handshake.
    pub fn new(role: Role, config: Config) -> Self {
        let mut decoder = FrameDecoder::new(role, config.limits);
        let deflate = config.deflate.map(|c| {
            decoder.set_allowed_rsv(RSV1);
            let d = PerMessageDeflate::new(role, c);
            match config.deflate_level {
                Some(level) => d.with_level(level),
                None => d,
            }
        });
        Connection {
            role,
            decoder,
            assembler: MessageAssembler::new(config.limits.max_message),
            deflate,
            control: None,
            discarding: false,
            compressed_scratch: Vec::new(),
            events: VecDeque::new(),
            pending: Vec::new(),
            pending_pos: 0,
            peer_closed: false,
            out: Vec::new(),
            state: State::Open,
            close_sent: None,
            close_received: None,
            error: None,
            eof: false,
            mask_source: Box::new(rand::random),
        }
    }

    /// Replaces the source of client masking keys (tests use a fixed key).
    pub fn with_mask_source(mut self, source: MaskSource) -> Self {
        self.mask_source = source;
        self
    }

    /// This endpoint's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The close frame we sent, if any.
    pub fn close_sent(&self) -> Option<&CloseFrame> {
        self.close_sent.as_ref()
    }

    /// The close frame the peer sent, if any.
    pub fn close_received(&self) -> Option<&CloseFrame> {
        self.close_received.as_ref()
    }

    /// The rule the peer broke, if the connection failed.
    pub fn error(&self) -> Option<&ConnectionError> {
        self.error.as_ref()
    }

    /// Whether permessage-deflate is active.
    pub fn is_compressing(&self) -> bool {
        self.deflate.is_some()
    }

    /// The next event, if any.
    pub fn next_event(&mut self) -> Option<Event> {
        if self.events.is_empty() && self.pending_pos < self.pending.len() {
            let pending = std::mem::take(&mut self.pending);
            self.pending_pos += self.process(&pending[self.pending_pos..]);
            self.pending = pending;
            if self.pending_pos == self.pending.len() {
                self.pending.clear();
                self.pending_pos = 0;
            }
        }
        self.events.pop_front()
    }

    /// Takes the bytes to write to the transport.
    pub fn data_to_send(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Whether output is waiting to be written.
    pub fn has_data_to_send(&self) -> bool {
        !self.out.is_empty()
    }

    /// Whether the caller should now close the transport (after writing what is queued).
    ///
    /// RFC 6455 §7.1.1: the server closes the TCP connection first, once the closing
    /// handshake is done; a client waits for the server to do so (and closes itself only
    /// after a timeout of its choosing). A failed connection whose framing is broken can
    /// parse nothing more, so it closes at once in either role.
    pub fn should_close_transport(&self) -> bool {
        if self.eof {
            return true;
        }
        match self.state {
            State::Closed => self.role == Role::Server || self.close_received.is_none(),
            State::Closing => matches!(self.error, Some(ConnectionError::Frame(_))),
            State::Open => false,
        }
    }

    /// Feeds bytes read from the transport.
    ///
    /// Decoding pauses after each complete message and resumes in
    /// [`Connection::next_event`], so that whatever the caller sends in answer to a
    /// message (an echo) goes out before the outcome of later frames — a close frame
    /// failing the connection, say. Input that arrived in the same read as a message is
    /// kept until then.
    pub fn receive_data(&mut self, data: &[u8]) {
        if self.pending_pos < self.pending.len() {
            self.pending.extend_from_slice(data);
            return;
        }
        let used = self.process(data);
        if used < data.len() {
            self.pending.clear();
            self.pending.extend_from_slice(&data[used..]);
            self.pending_pos = 0;
        }
    }

    /// Decodes `input` until a message is complete or more input is needed; returns how
    /// many bytes were used.
    fn process(&mut self, data: &[u8]) -> usize {
        let mut input = data;
        // `next_event` also yields the end of a frame whose last byte came earlier, so
        // the loop runs until the decoder asks for more input, not until input is empty.
        while self.state != State::Closed {
            let event = match self.decoder.next_event(&mut input) {
                Ok(Some(event)) => event,
                Ok(None) => break,
                Err(err) => {
                    self.fail(err.into());
                    break;
                }
            };
            let message_done =
                matches!(event, FrameEvent::End(h) if h.fin && !h.opcode.is_control());
            if let Err(err) = self.handle(event) {
                self.fail(err);
            } else if message_done && matches!(self.events.back(), Some(Event::Message(_))) {
                break;
            }
        }
        if self.state == State::Closed {
            // Nothing after the closing handshake (or a failure) is read.
            return data.len();
        }
        data.len() - input.len()
    }

    /// The transport reached end of file.
    pub fn receive_eof(&mut self) {
        if self.eof {
            return;
        }
        self.eof = true;
        let clean = self.close_sent.is_some() && self.close_received.is_some();
        self.state = State::Closed;
        self.events.push_back(Event::Eof { clean });
    }

    fn handle(&mut self, event: FrameEvent<'_>) -> Result<(), ConnectionError> {
        match event {
            FrameEvent::Header(h) if h.opcode.is_control() => {
                self.control = Some((h, Vec::with_capacity(h.payload_len as usize)));
            }
            FrameEvent::Header(h) => {
                // Data after our close frame is read but dropped (RFC 6455 §1.4: the
                // peer may still be sending until it sees our close).
                self.discarding = self.close_sent.is_some();
                if !self.discarding {
                    // RSV1 only gets past the decoder when deflate was agreed.
                    self.assembler.begin_frame(&h)?;
                }
            }
            FrameEvent::Payload(chunk) => {
                if let Some((_, buf)) = &mut self.control {
                    chunk.unmask_into(buf);
                } else if self.discarding {
                    // Dropped: see the header arm.
                } else if self.assembler.is_compressed() {
                    self.compressed_scratch.clear();
                    chunk.unmask_into(&mut self.compressed_scratch);
                    self.inflate_into_message(false)?;
                } else {
                    self.assembler.push_chunk(&chunk)?;
                }
            }
            FrameEvent::End(h) => {
                if let Some((header, payload)) = self.control.take() {
                    self.handle_control(header.opcode, payload)?;
                } else if !self.discarding {
                    if h.fin && self.assembler.is_compressed() {
                        self.inflate_into_message(true)?;
                    }
                    if let Some(message) = self.assembler.end_frame()? {
                        self.events.push_back(Event::Message(message));
                    }
                }
            }
        }
        Ok(())
    }

    /// Inflates `compressed_scratch` (or, at the end of the message, the deflate tail)
    /// and pushes the output into the message being assembled.
    fn inflate_into_message(&mut self, finish: bool) -> Result<(), ConnectionError> {
        let deflate = self
            .deflate
            .as_mut()
            .expect("compressed message implies deflate");
        let compressed = &self.compressed_scratch;
        // Inflated straight into the message, under the limit of the whole message.
        self.assembler.push_with(|message, max| {
            if finish {
                deflate.finish_message(message, max)
            } else {
                deflate.decompress(compressed, message, max)
            }
        })??;
        Ok(())
    }

    fn handle_control(&mut self, opcode: Opcode, payload: Vec<u8>) -> Result<(), ConnectionError> {
        match opcode {
            Opcode::Ping => {
                // RFC 6455 §5.5.2: answer with a pong carrying the same payload, unless
                // we already sent a close frame (§5.5.1: nothing may follow it).
                if self.close_sent.is_none() {
                    self.write_frame(Opcode::Pong, true, 0, &payload);
                }
                // Once the connection failed, only the peer's close reply is reported
                // (see `Event::ProtocolError`; RFC 6455 §7.1.7). Found by fuzzing.
                if self.error.is_none() {
                    self.events.push_back(Event::Ping(payload));
                }
            }
            // RFC 6455 §5.5.3: an unsolicited pong needs no answer.
            Opcode::Pong if self.error.is_none() => self.events.push_back(Event::Pong(payload)),
            Opcode::Pong => {}
            Opcode::Close => {
                // Valid or not, the peer's close frame is the last thing it sends.
                self.peer_closed = true;
                let frame = CloseFrame::parse(&payload)?;
                self.close_received = Some(frame.clone());
                if self.close_sent.is_none() {
                    // RFC 6455 §5.5.1: answer a close with a close, typically echoing
                    // the status code received.
                    let reply = CloseFrame {
                        code: frame.code,
                        reason: String::new(),
                    };
                    self.write_close(reply);
                }
                self.state = State::Closed;
                self.events.push_back(Event::Close(frame));
            }
            _ => unreachable!("only control opcodes reach handle_control"),
        }
        Ok(())
    }

    /// Fails the connection (RFC 6455 §7.1.7): sends a close frame with the code the
    /// broken rule maps to, unless one was already sent, and stops delivering events.
    fn fail(&mut self, err: ConnectionError) {
        if self.error.is_some() {
            return;
        }
        if self.close_sent.is_none() {
            let code = err.close_code();
            self.write_close(CloseFrame::new(code, close_reason(&err)));
        }
        self.state = match err {
            // The stream cannot be parsed any further: nothing more will be understood.
            ConnectionError::Frame(_) => State::Closing,
            // The peer closed (with an invalid close frame, or before our verdict): there
            // is no reply to wait for.
            _ if self.peer_closed => State::Closed,
            _ => State::Closing,
        };
        // Whatever is left of the frame in progress is read but dropped.
        self.discarding = true;
        self.error = Some(err.clone());
        self.events.push_back(Event::ProtocolError(err));
    }

    fn write_close(&mut self, frame: CloseFrame) {
        let payload = frame.to_payload();
        self.write_frame(Opcode::Close, true, 0, &payload);
        self.close_sent = Some(frame);
        if self.state == State::Open {
            self.state = State::Closing;
        }
    }

    /// Encodes one frame into the output, masking it if we are the client.
    fn write_frame(&mut self, opcode: Opcode, fin: bool, rsv: u8, payload: &[u8]) {
        let mask = match self.role {
            Role::Client => Some((self.mask_source)()),
            Role::Server => None,
        };
        let header = FrameHeader {
            fin,
            rsv,
            opcode,
            mask,
            payload_len: payload.len() as u64,
        };
        self.out.reserve(14 + payload.len());
        header.encode(&mut self.out);
        let start = self.out.len();
        self.out.extend_from_slice(payload);
        if let Some(key) = mask {
            crate::mask::apply_mask(&mut self.out[start..], key, 0);
        }
    }

    fn check_can_send(&self, opcode: Opcode) -> Result<(), SendError> {
        if self.close_sent.is_some() || self.eof {
            return Err(SendError::AfterClose(opcode));
        }
        Ok(())
    }

    /// Sends a whole message in one frame (compressed if deflate was agreed).
    pub fn send_message(&mut self, message: &Message) -> Result<(), SendError> {
        let (opcode, bytes) = match message {
            Message::Text(s) => (Opcode::Text, s.as_bytes()),
            Message::Binary(b) => (Opcode::Binary, b.as_slice()),
        };
        self.send_data(opcode, bytes)
    }

    /// Sends a text message.
    pub fn send_text(&mut self, text: &str) -> Result<(), SendError> {
        self.send_data(Opcode::Text, text.as_bytes())
    }

    /// Sends a binary message.
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), SendError> {
        self.send_data(Opcode::Binary, data)
    }

    fn send_data(&mut self, opcode: Opcode, data: &[u8]) -> Result<(), SendError> {
        self.check_can_send(opcode)?;
        match self.deflate.as_mut() {
            Some(deflate) => {
                let mut compressed = std::mem::take(&mut self.compressed_scratch);
                compressed.clear();
                deflate.compress(data, &mut compressed);
                self.write_frame(opcode, true, RSV1, &compressed);
                self.compressed_scratch = compressed;
            }
            None => self.write_frame(opcode, true, 0, data),
        }
        Ok(())
    }

    /// Sends one fragment of a message (RFC 6455 §5.4): the first with `Text`/`Binary`,
    /// the rest with `Continuation`, the last with `fin`. Not compressed.
    pub fn send_fragment(
        &mut self,
        opcode: Opcode,
        payload: &[u8],
        fin: bool,
    ) -> Result<(), SendError> {
        self.check_can_send(opcode)?;
        self.write_frame(opcode, fin, 0, payload);
        Ok(())
    }

    /// Sends a ping.
    pub fn send_ping(&mut self, payload: &[u8]) -> Result<(), SendError> {
        self.send_control(Opcode::Ping, payload)
    }

    /// Sends an (unsolicited) pong.
    pub fn send_pong(&mut self, payload: &[u8]) -> Result<(), SendError> {
        self.send_control(Opcode::Pong, payload)
    }

    fn send_control(&mut self, opcode: Opcode, payload: &[u8]) -> Result<(), SendError> {
        self.check_can_send(opcode)?;
        if payload.len() > 125 {
            return Err(SendError::ControlPayloadTooLong {
                opcode,
                len: payload.len(),
            });
        }
        self.write_frame(opcode, true, 0, payload);
        Ok(())
    }

    /// Starts the closing handshake (RFC 6455 §7.1.2). Does nothing if a close frame was
    /// already sent. The reason is cut to fit the 125-byte control frame limit.
    pub fn close(&mut self, code: Option<CloseCode>, reason: &str) {
        if self.close_sent.is_some() || self.eof {
            return;
        }
        let frame = match code {
            None => CloseFrame::default(),
            Some(code) => CloseFrame::new(code, truncate_utf8(reason, 123)),
        };
        self.write_close(frame);
        if self.close_received.is_some() {
            self.state = State::Closed;
        }
    }

    /// Queues raw bytes as they are, for tests and the suite that must send what no
    /// conforming endpoint would.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    /// Encodes a frame exactly as given (masking it with its own key, if it has one).
    pub fn send_frame_raw(&mut self, frame: &Frame) {
        frame.encode(&mut self.out);
    }
}

/// A close reason naming the broken rule, cut to fit in a close frame.
fn close_reason(err: &ConnectionError) -> String {
    truncate_utf8(&err.to_string(), 123).to_owned()
}

fn truncate_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> Connection {
        Connection::new(Role::Server, Config::default())
    }

    fn client() -> Connection {
        Connection::new(Role::Client, Config::default()).with_mask_source(Box::new(|| [1, 2, 3, 4]))
    }

    /// A frame as a client would send it (masked).
    fn from_client(opcode: Opcode, fin: bool, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        Frame {
            header: FrameHeader {
                fin,
                rsv: 0,
                opcode,
                mask: Some([9, 8, 7, 6]),
                payload_len: payload.len() as u64,
            },
            payload: payload.to_vec(),
        }
        .encode(&mut out);
        out
    }

    fn events(conn: &mut Connection) -> Vec<Event> {
        std::iter::from_fn(|| conn.next_event()).collect()
    }

    /// Decodes what a server wrote (unmasked frames).
    fn server_output(conn: &mut Connection) -> Vec<Frame> {
        let mut dec = FrameDecoder::new(Role::Client, Limits::default());
        let out = conn.data_to_send();
        let mut input = out.as_slice();
        let mut frames = Vec::new();
        while let Ok(crate::decode::Decoded::Frame(f)) = dec.decode(&mut input) {
            frames.push(f);
        }
        frames
    }

    #[test]
    fn rfc6455_5_5_2_ping_is_answered_with_pong_of_same_payload() {
        let mut s = server();
        s.receive_data(&from_client(Opcode::Ping, true, b"Hello"));
        assert_eq!(events(&mut s), [Event::Ping(b"Hello".to_vec())]);
        assert_eq!(server_output(&mut s), [Frame::new(Opcode::Pong, "Hello")]);
    }

    #[test]
    fn rfc6455_5_5_3_unsolicited_pong_is_not_answered() {
        let mut s = server();
        s.receive_data(&from_client(Opcode::Pong, true, b"x"));
        assert_eq!(events(&mut s), [Event::Pong(b"x".to_vec())]);
        assert!(!s.has_data_to_send());
    }

    #[test]
    fn rfc6455_5_4_control_frame_inside_fragmented_message() {
        let mut s = server();
        let mut wire = from_client(Opcode::Text, false, b"fragment1");
        wire.extend(from_client(Opcode::Ping, true, b"ping"));
        wire.extend(from_client(Opcode::Continuation, true, b"fragment2"));
        s.receive_data(&wire);
        assert_eq!(
            events(&mut s),
            [
                Event::Ping(b"ping".to_vec()),
                Event::Message(Message::Text("fragment1fragment2".into()))
            ]
        );
    }

    #[test]
    fn rfc6455_5_5_1_close_is_echoed_and_server_closes_transport() {
        let mut s = server();
        s.receive_data(&from_client(
            Opcode::Close,
            true,
            &CloseFrame::new(3000u16, "bye").to_payload(),
        ));
        assert_eq!(
            events(&mut s),
            [Event::Close(CloseFrame::new(3000u16, "bye"))]
        );
        let reply = server_output(&mut s);
        assert_eq!(reply[0].payload, 3000u16.to_be_bytes());
        assert_eq!(s.state(), State::Closed);
        assert!(s.should_close_transport());
    }

    #[test]
    fn rfc6455_7_1_1_client_waits_for_the_server_to_close_the_transport() {
        let mut c = client();
        c.close(Some(CloseCode::NORMAL), "done");
        assert_eq!(c.state(), State::Closing);
        c.receive_data(&[0x88, 0x02, 0x03, 0xe8]);
        assert_eq!(c.state(), State::Closed);
        assert!(!c.should_close_transport());
        c.receive_eof();
        assert_eq!(events(&mut c).last(), Some(&Event::Eof { clean: true }));
    }

    #[test]
    fn rfc6455_5_5_1_no_data_after_close() {
        let mut c = client();
        c.close(None, "");
        assert_eq!(
            c.send_text("late"),
            Err(SendError::AfterClose(Opcode::Text))
        );
        assert_eq!(c.send_ping(b""), Err(SendError::AfterClose(Opcode::Ping)));
    }

    #[test]
    fn data_received_after_our_close_is_dropped() {
        let mut s = server();
        s.close(Some(CloseCode::NORMAL), "");
        s.receive_data(&from_client(Opcode::Text, true, b"late"));
        s.receive_data(&from_client(Opcode::Close, true, &[0x03, 0xe8]));
        assert_eq!(events(&mut s), [Event::Close(CloseFrame::new(1000u16, ""))]);
    }

    #[test]
    fn rfc6455_7_1_7_protocol_violation_sends_1002_and_stops_events() {
        let mut s = server();
        let mut wire = vec![0x83, 0x80, 0, 0, 0, 0];
        wire.extend(from_client(Opcode::Text, true, b"ignored"));
        s.receive_data(&wire);
        let evs = events(&mut s);
        assert_eq!(evs.len(), 1);
        assert!(
            matches!(&evs[0], Event::ProtocolError(e) if e.close_code() == CloseCode::PROTOCOL_ERROR)
        );
        let out = server_output(&mut s);
        assert_eq!(out[0].header.opcode, Opcode::Close);
        assert_eq!(out[0].payload[..2], 1002u16.to_be_bytes());
        assert!(s.should_close_transport());
    }

    #[test]
    fn rfc6455_8_1_invalid_utf8_fails_with_1007_before_the_frame_ends() {
        let mut s = server();
        // Header announces 21 bytes; only the first 13 (invalid at byte 12) arrive.
        let payload = [
            0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xf4, 0x90, 0x80,
            0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64,
        ];
        let wire = from_client(Opcode::Text, true, &payload);
        s.receive_data(&wire[..6 + 13]);
        let evs = events(&mut s);
        assert!(
            matches!(&evs[..], [Event::ProtocolError(e)] if e.close_code() == CloseCode::INVALID_PAYLOAD),
            "{evs:?}"
        );
        assert_eq!(server_output(&mut s)[0].payload[..2], 1007u16.to_be_bytes());
        // The peer's close reply completes the handshake.
        s.receive_data(&wire[6 + 13..]);
        s.receive_data(&from_client(Opcode::Close, true, &[0x03, 0xef]));
        assert_eq!(s.state(), State::Closed);
    }

    #[test]
    fn rfc6455_5_5_1_invalid_close_payload_fails_the_connection() {
        let mut s = server();
        s.receive_data(&from_client(Opcode::Close, true, b"a"));
        let evs = events(&mut s);
        assert!(
            matches!(&evs[..], [Event::ProtocolError(e)] if e.close_code() == CloseCode::PROTOCOL_ERROR)
        );
    }

    #[test]
    fn answer_to_a_message_goes_out_before_a_later_frame_fails_the_connection() {
        // Autobahn 3.2: a valid message, then a frame with RSV bits, in one read.
        let mut s = server();
        let mut wire = from_client(Opcode::Text, true, b"Hello, world!");
        let mut bad = from_client(Opcode::Text, true, b"Hello, world!");
        bad[0] |= 0x20;
        wire.extend(bad);
        s.receive_data(&wire);
        let Some(Event::Message(m)) = s.next_event() else {
            panic!("message first")
        };
        s.send_message(&m).unwrap();
        assert!(matches!(s.next_event(), Some(Event::ProtocolError(_))));
        let out = server_output(&mut s);
        assert_eq!(out[0], Frame::new(Opcode::Text, "Hello, world!"));
        assert_eq!(out[1].header.opcode, Opcode::Close);
    }

    #[test]
    fn invalid_close_from_the_peer_ends_the_connection_without_waiting() {
        // Autobahn 7.9.x: the peer's close is its last frame even when invalid.
        let mut s = server();
        s.receive_data(&from_client(Opcode::Close, true, &1005u16.to_be_bytes()));
        assert!(matches!(s.next_event(), Some(Event::ProtocolError(_))));
        assert_eq!(s.state(), State::Closed);
        assert!(s.should_close_transport());
    }

    #[test]
    fn client_masks_with_the_injected_key() {
        let mut c = client();
        c.send_text("Hi").unwrap();
        assert_eq!(
            c.data_to_send(),
            [0x81, 0x82, 1, 2, 3, 4, b'H' ^ 1, b'i' ^ 2]
        );
    }

    #[test]
    fn eof_without_close_is_unclean() {
        let mut s = server();
        s.receive_eof();
        assert_eq!(events(&mut s), [Event::Eof { clean: false }]);
        assert_eq!(s.state(), State::Closed);
    }

    #[test]
    fn send_close_truncates_reason_to_the_control_frame_limit() {
        let mut s = server();
        s.close(Some(CloseCode::NORMAL), &"é".repeat(100));
        let frames = server_output(&mut s);
        assert!(frames[0].payload.len() <= 125);
        assert!(CloseFrame::parse(&frames[0].payload).is_ok());
    }
}
