//! Streaming frame decoder (RFC 6455 §5.2–§5.5).
//!
//! Input arrives in chunks of any size: one byte at a time, many frames at once, a header
//! split anywhere. Two ways to read it:
//!
//! - [`FrameDecoder::next_event`] streams: a frame's header, then its payload in the pieces
//!   that arrived (borrowed from the input, still masked), then its end. Nothing is
//!   buffered but a partial header (at most 14 bytes), so a connection can copy and unmask
//!   each piece straight into the message it belongs to and judge it as it arrives.
//! - [`FrameDecoder::decode`] returns whole frames, or how many more bytes it needs.
//!
//! Every header is checked against the role rules and the [`Limits`] before a single
//! payload byte is accepted, so a claimed length is never used to size a buffer unchecked.

use crate::close::CloseCode;
use crate::frame::{Frame, FrameHeader, HeaderParse, Opcode, Role, RSV1};
use crate::limits::Limits;
use crate::mask;

/// Why a frame header is unacceptable. Each variant names the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// RFC 6455 §5.1: a client masks every frame it sends to the server.
    #[error("unmasked {0} frame from a client: clients must mask every frame (RFC 6455 §5.1)")]
    UnmaskedFrameFromClient(Opcode),
    /// RFC 6455 §5.1: a server never masks frames it sends to the client.
    #[error("masked {0} frame from a server: servers must not mask frames (RFC 6455 §5.1)")]
    MaskedFrameFromServer(Opcode),
    /// RFC 6455 §5.2: opcodes 0x3–0x7 and 0xB–0xF are reserved.
    #[error("{0} received: reserved opcodes must fail the connection (RFC 6455 §5.2)")]
    ReservedOpcode(Opcode),
    /// RFC 6455 §5.2: RSV bits must be 0 unless an extension defines them.
    #[error("{opcode} frame with RSV bits {rsv:03b} set that no negotiated extension defines (RFC 6455 §5.2)")]
    ReservedBits {
        /// The frame's opcode.
        opcode: Opcode,
        /// The RSV bits as a 3-bit value (RSV1 = 0b100).
        rsv: u8,
    },
    /// RFC 7692 §6.1: only the first frame of a message carries the "compressed" bit.
    #[error("RSV1 set on a {0} frame: only the first frame of a compressed message may set it (RFC 7692 §6.1)")]
    Rsv1OnNonFirstFrame(Opcode),
    /// RFC 6455 §5.5: control frames must not be fragmented.
    #[error(
        "fragmented {0} frame (FIN = 0): control frames must not be fragmented (RFC 6455 §5.5)"
    )]
    FragmentedControlFrame(Opcode),
    /// RFC 6455 §5.5: control frames carry at most 125 bytes of payload.
    #[error("{opcode} frame with a {len}-byte payload: control frames carry at most 125 bytes (RFC 6455 §5.5)")]
    ControlFrameTooLong {
        /// The control frame's opcode.
        opcode: Opcode,
        /// The payload length it announced.
        len: u64,
    },
    /// RFC 6455 §5.2: the most significant bit of a 64-bit length must be 0.
    #[error("64-bit payload length {0:#x} has its most significant bit set (RFC 6455 §5.2)")]
    LengthMsbSet(u64),
    /// The frame is larger than this endpoint accepts (RFC 6455 §7.4.1, code 1009).
    #[error("{len}-byte frame exceeds the {max}-byte frame limit")]
    FrameTooLarge {
        /// The payload length the frame announced.
        len: u64,
        /// The configured limit.
        max: u64,
    },
}

impl FrameError {
    /// The close code with which the connection is failed for this error.
    pub fn close_code(&self) -> CloseCode {
        match self {
            FrameError::FrameTooLarge { .. } => CloseCode::MESSAGE_TOO_BIG,
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }
}

/// A piece of a frame's payload as it arrived, still masked if the frame is masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadChunk<'a> {
    /// The bytes, as on the wire.
    pub data: &'a [u8],
    /// The frame's masking key.
    pub mask: Option<[u8; 4]>,
    /// Position of `data[0]` within the frame's payload.
    pub offset: u64,
}

impl PayloadChunk<'_> {
    /// Appends the unmasked bytes to `out`.
    pub fn unmask_into(&self, out: &mut Vec<u8>) {
        match self.mask {
            Some(key) => mask::extend_masked(out, self.data, key, (self.offset % 4) as usize),
            None => out.extend_from_slice(self.data),
        }
    }
}

/// One step of the streaming decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameEvent<'a> {
    /// A valid header; its payload follows.
    Header(FrameHeader),
    /// Payload bytes of the current frame (never empty).
    Payload(PayloadChunk<'a>),
    /// The current frame is complete.
    End(FrameHeader),
}

/// Outcome of [`FrameDecoder::decode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A whole frame, payload unmasked.
    Frame(Frame),
    /// All input was consumed; at least this many more bytes are needed.
    NeedMore(usize),
}

#[derive(Debug, Clone)]
enum State {
    Header { buf: [u8; 14], len: usize },
    Payload { header: FrameHeader, offset: u64 },
    Failed(FrameError),
}

/// Streaming decoder for the frames one endpoint receives.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    role: Role,
    limits: Limits,
    allowed_rsv: u8,
    state: State,
    /// Payload collected by [`FrameDecoder::decode`] for the frame in progress.
    collected: Vec<u8>,
}

impl FrameDecoder {
    /// A decoder for an endpoint of `role` (frames come from the peer role).
    pub fn new(role: Role, limits: Limits) -> Self {
        FrameDecoder {
            role,
            limits,
            allowed_rsv: 0,
            state: State::Header {
                buf: [0; 14],
                len: 0,
            },
            collected: Vec::new(),
        }
    }

    /// Permits RSV bits that a negotiated extension defines on the first frame of a data
    /// message (permessage-deflate: [`RSV1`]).
    pub fn set_allowed_rsv(&mut self, rsv: u8) {
        self.allowed_rsv = rsv & 0x7;
    }

    /// The endpoint role this decoder decodes for.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Whether the decoder sits between frames (no partial header or payload).
    pub fn is_between_frames(&self) -> bool {
        matches!(self.state, State::Header { len: 0, .. })
    }

    /// How many more bytes the current header or payload needs, at least.
    pub fn bytes_needed(&self) -> usize {
        match &self.state {
            State::Header { buf, len } => match FrameHeader::parse(&buf[..*len]) {
                HeaderParse::NeedMore(n) => n,
                HeaderParse::Complete(..) => 0,
            },
            State::Payload { header, offset } => {
                usize::try_from(header.payload_len - offset).unwrap_or(usize::MAX)
            }
            State::Failed(_) => 0,
        }
    }

    /// Validates a complete header against the role, extension and size rules.
    fn check(&self, h: &FrameHeader) -> Result<(), FrameError> {
        if h.opcode.is_reserved() {
            return Err(FrameError::ReservedOpcode(h.opcode));
        }
        if h.rsv != 0 {
            let first_data_frame = matches!(h.opcode, Opcode::Text | Opcode::Binary);
            if !first_data_frame && h.rsv & RSV1 != 0 && self.allowed_rsv & RSV1 != 0 {
                return Err(FrameError::Rsv1OnNonFirstFrame(h.opcode));
            }
            if !first_data_frame || h.rsv & !self.allowed_rsv != 0 {
                return Err(FrameError::ReservedBits {
                    opcode: h.opcode,
                    rsv: h.rsv,
                });
            }
        }
        match (self.role, h.mask.is_some()) {
            (Role::Server, false) => return Err(FrameError::UnmaskedFrameFromClient(h.opcode)),
            (Role::Client, true) => return Err(FrameError::MaskedFrameFromServer(h.opcode)),
            _ => {}
        }
        if h.opcode.is_control() {
            if !h.fin {
                return Err(FrameError::FragmentedControlFrame(h.opcode));
            }
            if h.payload_len > 125 {
                return Err(FrameError::ControlFrameTooLong {
                    opcode: h.opcode,
                    len: h.payload_len,
                });
            }
        }
        if h.payload_len >> 63 != 0 {
            return Err(FrameError::LengthMsbSet(h.payload_len));
        }
        if h.payload_len > self.limits.max_frame {
            return Err(FrameError::FrameTooLarge {
                len: h.payload_len,
                max: self.limits.max_frame,
            });
        }
        Ok(())
    }

    fn fail(&mut self, err: FrameError) -> Result<Option<FrameEvent<'static>>, FrameError> {
        self.state = State::Failed(err.clone());
        Err(err)
    }

    /// Reads the next event from `input`, advancing it past the bytes used. `Ok(None)`
    /// means `input` is exhausted and more bytes are needed. After an error the decoder
    /// stays failed and returns the same error.
    pub fn next_event<'a>(
        &mut self,
        input: &mut &'a [u8],
    ) -> Result<Option<FrameEvent<'a>>, FrameError> {
        match &mut self.state {
            State::Failed(err) => Err(err.clone()),
            State::Payload { header, offset } => {
                let header = *header;
                let remaining = header.payload_len - *offset;
                if remaining == 0 {
                    self.state = State::Header {
                        buf: [0; 14],
                        len: 0,
                    };
                    return Ok(Some(FrameEvent::End(header)));
                }
                if input.is_empty() {
                    return Ok(None);
                }
                let n = usize::try_from(remaining).map_or(input.len(), |r| r.min(input.len()));
                let (data, rest) = input.split_at(n);
                *input = rest;
                let chunk = PayloadChunk {
                    data,
                    mask: header.mask,
                    offset: *offset,
                };
                *offset += n as u64;
                Ok(Some(FrameEvent::Payload(chunk)))
            }
            State::Header { buf, len } => {
                // Fast path: a whole header at the front of the input, nothing buffered.
                let parsed = if *len == 0 {
                    match FrameHeader::parse(input) {
                        HeaderParse::Complete(h, n) => {
                            *input = &input[n..];
                            Some(h)
                        }
                        HeaderParse::NeedMore(_) => None,
                    }
                } else {
                    None
                };
                let header = match parsed {
                    Some(h) => h,
                    None => loop {
                        match FrameHeader::parse(&buf[..*len]) {
                            HeaderParse::Complete(h, _) => break h,
                            HeaderParse::NeedMore(need) => {
                                if input.is_empty() {
                                    return Ok(None);
                                }
                                let n = need.min(input.len());
                                buf[*len..*len + n].copy_from_slice(&input[..n]);
                                *len += n;
                                *input = &input[n..];
                            }
                        }
                    },
                };
                if let Err(err) = self.check(&header) {
                    return self.fail(err).map(|_| None);
                }
                self.state = State::Payload { header, offset: 0 };
                Ok(Some(FrameEvent::Header(header)))
            }
        }
    }

    /// Decodes from `input` until a whole frame is complete or the input runs out,
    /// advancing `input` past the bytes used.
    pub fn decode(&mut self, input: &mut &[u8]) -> Result<Decoded, FrameError> {
        // Fast path: a whole frame at the front of the input, nothing buffered. Same
        // checks, one exact allocation, no trip through the event states.
        if self.is_between_frames() {
            if let HeaderParse::Complete(header, n) = FrameHeader::parse(input) {
                let whole = usize::try_from(header.payload_len)
                    .ok()
                    .filter(|&len| len <= input.len() - n);
                if let Some(len) = whole {
                    if let Err(err) = self.check(&header) {
                        self.state = State::Failed(err.clone());
                        return Err(err);
                    }
                    let (payload, rest) = input[n..].split_at(len);
                    let mut out = Vec::with_capacity(len);
                    PayloadChunk {
                        data: payload,
                        mask: header.mask,
                        offset: 0,
                    }
                    .unmask_into(&mut out);
                    *input = rest;
                    return Ok(Decoded::Frame(Frame {
                        header,
                        payload: out,
                    }));
                }
            }
        }
        loop {
            match self.next_event(input)? {
                None => return Ok(Decoded::NeedMore(self.bytes_needed().max(1))),
                Some(FrameEvent::Header(h)) => {
                    self.collected.clear();
                    // Reserve what is already here, never the claimed length.
                    let have = input.len().min(h.payload_len as usize);
                    self.collected.reserve(have);
                }
                Some(FrameEvent::Payload(chunk)) => chunk.unmask_into(&mut self.collected),
                Some(FrameEvent::End(header)) => {
                    return Ok(Decoded::Frame(Frame {
                        header,
                        payload: std::mem::take(&mut self.collected),
                    }))
                }
            }
        }
    }

    /// The frame [`FrameDecoder::decode`] is in the middle of, with the payload received
    /// so far (unmasked): lets a caller judge a frame before it completes.
    pub fn partial(&self) -> Option<(&FrameHeader, &[u8])> {
        match &self.state {
            State::Payload { header, .. } => Some((header, &self.collected)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> FrameDecoder {
        FrameDecoder::new(Role::Server, Limits::default())
    }

    fn client() -> FrameDecoder {
        FrameDecoder::new(Role::Client, Limits::default())
    }

    fn decode_one(dec: &mut FrameDecoder, mut bytes: &[u8]) -> Result<Decoded, FrameError> {
        dec.decode(&mut bytes)
    }

    fn frame(dec: &mut FrameDecoder, bytes: &[u8]) -> Frame {
        match decode_one(dec, bytes) {
            Ok(Decoded::Frame(f)) => f,
            other => panic!("expected a frame, got {other:?}"),
        }
    }

    #[test]
    fn rfc6455_5_7_unmasked_hello_to_a_client() {
        let f = frame(&mut client(), &[0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
        assert_eq!(f, Frame::new(Opcode::Text, "Hello"));
    }

    #[test]
    fn rfc6455_5_7_masked_hello_to_a_server() {
        let f = frame(
            &mut server(),
            &[
                0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
            ],
        );
        assert_eq!(f.payload, b"Hello");
        assert_eq!(f.header.mask, Some([0x37, 0xfa, 0x21, 0x3d]));
    }

    #[test]
    fn rfc6455_5_7_fragmented_hel_lo() {
        let mut dec = client();
        let mut input: &[u8] = &[0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f];
        let Decoded::Frame(a) = dec.decode(&mut input).unwrap() else {
            panic!()
        };
        let Decoded::Frame(b) = dec.decode(&mut input).unwrap() else {
            panic!()
        };
        assert!(!a.header.fin && a.header.opcode == Opcode::Text && a.payload == b"Hel");
        assert!(b.header.fin && b.header.opcode == Opcode::Continuation && b.payload == b"lo");
        assert_eq!(dec.decode(&mut input), Ok(Decoded::NeedMore(2)));
    }

    #[test]
    fn rfc6455_5_7_ping_with_hello() {
        let f = frame(&mut client(), &[0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
        assert_eq!(f, Frame::new(Opcode::Ping, "Hello"));
    }

    #[test]
    fn rfc6455_5_7_256_bytes_binary_in_one_frame() {
        let mut bytes = vec![0x82, 0x7e, 0x01, 0x00];
        bytes.extend(std::iter::repeat(7).take(256));
        assert_eq!(frame(&mut client(), &bytes).payload.len(), 256);
    }

    #[test]
    fn rfc6455_5_7_64kib_binary_in_one_frame() {
        let mut bytes = vec![0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00];
        bytes.extend(std::iter::repeat(7).take(65536));
        assert_eq!(frame(&mut client(), &bytes).payload.len(), 65536);
    }

    #[test]
    fn rfc6455_5_1_server_fails_on_unmasked_client_frame() {
        let err = decode_one(&mut server(), &[0x81, 0x00]).unwrap_err();
        assert_eq!(err, FrameError::UnmaskedFrameFromClient(Opcode::Text));
        assert_eq!(err.close_code(), CloseCode::PROTOCOL_ERROR);
    }

    #[test]
    fn rfc6455_5_1_client_fails_on_masked_server_frame() {
        let err = decode_one(&mut client(), &[0x81, 0x80, 1, 2, 3, 4]).unwrap_err();
        assert_eq!(err, FrameError::MaskedFrameFromServer(Opcode::Text));
    }

    #[test]
    fn rfc6455_5_2_rsv_bits_without_extension_fail() {
        for rsv in 1..8u8 {
            let err = decode_one(&mut client(), &[0x81 | (rsv << 4), 0x00]).unwrap_err();
            assert!(
                matches!(err, FrameError::ReservedBits { .. }),
                "rsv {rsv}: {err}"
            );
        }
    }

    #[test]
    fn rfc7692_6_1_rsv1_allowed_only_on_first_data_frame() {
        let mut dec = client();
        dec.set_allowed_rsv(RSV1);
        assert!(matches!(
            decode_one(&mut dec, &[0xc1, 0x00]),
            Ok(Decoded::Frame(_))
        ));
        let err = decode_one(&mut dec, &[0xc0, 0x00]).unwrap_err();
        assert_eq!(err, FrameError::Rsv1OnNonFirstFrame(Opcode::Continuation));
        let mut dec = client();
        dec.set_allowed_rsv(RSV1);
        let err = decode_one(&mut dec, &[0xc9, 0x00]).unwrap_err();
        assert_eq!(err, FrameError::Rsv1OnNonFirstFrame(Opcode::Ping));
        let mut dec = client();
        dec.set_allowed_rsv(RSV1);
        assert!(matches!(
            decode_one(&mut dec, &[0xa1, 0x00]),
            Err(FrameError::ReservedBits { rsv: 2, .. })
        ));
    }

    #[test]
    fn rfc6455_5_2_reserved_opcodes_fail() {
        for op in [3u8, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf] {
            let err = decode_one(&mut client(), &[0x80 | op, 0x00]).unwrap_err();
            assert_eq!(err, FrameError::ReservedOpcode(Opcode::Reserved(op)));
        }
    }

    #[test]
    fn rfc6455_5_5_control_frame_over_125_bytes_fails() {
        let err = decode_one(&mut client(), &[0x89, 0x7e, 0x00, 0x7e]).unwrap_err();
        assert_eq!(
            err,
            FrameError::ControlFrameTooLong {
                opcode: Opcode::Ping,
                len: 126
            }
        );
    }

    #[test]
    fn rfc6455_5_5_fragmented_control_frame_fails() {
        let err = decode_one(&mut client(), &[0x09, 0x00]).unwrap_err();
        assert_eq!(err, FrameError::FragmentedControlFrame(Opcode::Ping));
    }

    #[test]
    fn rfc6455_5_2_length_with_msb_set_fails_before_any_allocation() {
        let err = decode_one(&mut client(), &[0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0]).unwrap_err();
        assert_eq!(err, FrameError::LengthMsbSet(1 << 63));
    }

    #[test]
    fn frame_over_limit_fails_with_1009_before_payload_arrives() {
        let mut dec = FrameDecoder::new(Role::Client, Limits::uniform(1000));
        let err = decode_one(&mut dec, &[0x82, 0x7e, 0x03, 0xe9]).unwrap_err();
        assert_eq!(
            err,
            FrameError::FrameTooLarge {
                len: 1001,
                max: 1000
            }
        );
        assert_eq!(err.close_code(), CloseCode::MESSAGE_TOO_BIG);
    }

    #[test]
    fn decoder_stays_failed_after_an_error() {
        let mut dec = client();
        let err = decode_one(&mut dec, &[0x83, 0x00]).unwrap_err();
        assert_eq!(decode_one(&mut dec, &[0x81, 0x00]), Err(err));
    }

    #[test]
    fn one_byte_at_a_time_reports_what_is_needed() {
        let mut bytes = vec![0x82, 0xfe, 0x01, 0x00, 9, 8, 7, 6];
        let mut payload: Vec<u8> = (0..=255).collect();
        mask::apply_mask(&mut payload, [9, 8, 7, 6], 0);
        bytes.extend_from_slice(&payload);
        let mut dec = server();
        for (i, b) in bytes.iter().enumerate() {
            let mut one: &[u8] = std::slice::from_ref(b);
            match dec.decode(&mut one).unwrap() {
                Decoded::NeedMore(n) => {
                    assert!(i + 1 < bytes.len());
                    assert!((1..bytes.len() - i).contains(&n), "byte {i}: needs {n}");
                }
                Decoded::Frame(f) => {
                    assert_eq!(i + 1, bytes.len());
                    assert_eq!(f.payload, (0..=255).collect::<Vec<u8>>());
                }
            }
        }
    }

    #[test]
    fn partial_exposes_the_unmasked_payload_received_so_far() {
        let mut dec = client();
        let mut input: &[u8] = &[0x81, 0x05, b'H', b'e'];
        assert_eq!(dec.decode(&mut input), Ok(Decoded::NeedMore(3)));
        let (h, so_far) = dec.partial().unwrap();
        assert_eq!((h.opcode, so_far), (Opcode::Text, &b"He"[..]));
    }

    #[test]
    fn streaming_events_borrow_payload_from_the_input() {
        let mut dec = server();
        let mut input: &[u8] = &[0x82, 0x83, 1, 2, 3, 4, 1 ^ 10, 2 ^ 20];
        let h = match dec.next_event(&mut input).unwrap() {
            Some(FrameEvent::Header(h)) => h,
            other => panic!("{other:?}"),
        };
        assert_eq!(h.payload_len, 3);
        let Some(FrameEvent::Payload(chunk)) = dec.next_event(&mut input).unwrap() else {
            panic!()
        };
        let mut out = Vec::new();
        chunk.unmask_into(&mut out);
        assert_eq!(out, [10, 20]);
        assert_eq!(dec.next_event(&mut input), Ok(None));
        let mut rest: &[u8] = &[3 ^ 30];
        let Some(FrameEvent::Payload(chunk)) = dec.next_event(&mut rest).unwrap() else {
            panic!()
        };
        assert_eq!(chunk.offset, 2);
        chunk.unmask_into(&mut out);
        assert_eq!(out, [10, 20, 30]);
        assert!(matches!(
            dec.next_event(&mut rest),
            Ok(Some(FrameEvent::End(_)))
        ));
        assert!(dec.is_between_frames());
    }
}
