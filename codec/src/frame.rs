//! Frame header layout (RFC 6455 §5.2): opcodes, header parse and encode.
//!
//! Parsing here is purely structural — it reads the bits and says how long the header
//! is. Whether a header is *acceptable* (masking direction, reserved bits, control frame
//! rules, size limits) is decided by [`crate::decode::FrameDecoder`], so that the suite
//! can still describe a frame a peer should not have sent.

use std::fmt;

/// Which end of the connection an endpoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Opened the connection; masks every frame it sends (RFC 6455 §5.3).
    Client,
    /// Accepted the connection; never masks (RFC 6455 §5.1).
    Server,
}

impl Role {
    /// The role at the other end.
    pub fn peer(self) -> Role {
        match self {
            Role::Client => Role::Server,
            Role::Server => Role::Client,
        }
    }
}

/// The 4-bit frame opcode (RFC 6455 §5.2, §11.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Opcode {
    /// 0x0: continues a fragmented message.
    Continuation,
    /// 0x1: first frame of a text message.
    Text,
    /// 0x2: first frame of a binary message.
    Binary,
    /// 0x8: connection close.
    Close,
    /// 0x9: ping.
    Ping,
    /// 0xA: pong.
    Pong,
    /// 0x3–0x7 (data) and 0xB–0xF (control): reserved for future use.
    Reserved(u8),
}

impl Opcode {
    /// Control opcodes have the high bit of the nibble set (§5.5).
    pub fn is_control(self) -> bool {
        u8::from(self) & 0x8 != 0
    }

    /// Whether the RFC leaves this opcode undefined (§5.2: 0x3–0x7, 0xB–0xF).
    pub fn is_reserved(self) -> bool {
        matches!(self, Opcode::Reserved(_))
    }
}

impl From<u8> for Opcode {
    /// Takes the low four bits.
    fn from(bits: u8) -> Self {
        match bits & 0x0f {
            0x0 => Opcode::Continuation,
            0x1 => Opcode::Text,
            0x2 => Opcode::Binary,
            0x8 => Opcode::Close,
            0x9 => Opcode::Ping,
            0xa => Opcode::Pong,
            other => Opcode::Reserved(other),
        }
    }
}

impl From<Opcode> for u8 {
    fn from(op: Opcode) -> u8 {
        match op {
            Opcode::Continuation => 0x0,
            Opcode::Text => 0x1,
            Opcode::Binary => 0x2,
            Opcode::Close => 0x8,
            Opcode::Ping => 0x9,
            Opcode::Pong => 0xa,
            Opcode::Reserved(bits) => bits & 0x0f,
        }
    }
}

impl fmt::Display for Opcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Opcode::Continuation => f.write_str("continuation"),
            Opcode::Text => f.write_str("text"),
            Opcode::Binary => f.write_str("binary"),
            Opcode::Close => f.write_str("close"),
            Opcode::Ping => f.write_str("ping"),
            Opcode::Pong => f.write_str("pong"),
            Opcode::Reserved(bits) => write!(f, "reserved opcode 0x{bits:x}"),
        }
    }
}

/// RSV1: set on the first frame of a permessage-deflate compressed message (RFC 7692 §6).
pub const RSV1: u8 = 0b100;
/// RSV2: no meaning without an extension.
pub const RSV2: u8 = 0b010;
/// RSV3: no meaning without an extension.
pub const RSV3: u8 = 0b001;

/// How the payload length is written in an encoded header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LengthForm {
    /// The shortest form, as RFC 6455 §5.2 requires of senders.
    #[default]
    Minimal,
    /// The 16-bit extended form (126), even for lengths < 126. Lengths that do not fit
    /// in 16 bits fall back to the 64-bit form.
    Extended16,
    /// The 64-bit extended form (127), even for short lengths. The value is written as
    /// given, so a length with the most significant bit set can be produced on purpose.
    Extended64,
}

/// The fields of a frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// Final fragment of a message.
    pub fin: bool,
    /// The three reserved bits as a 3-bit value: RSV1 = 4, RSV2 = 2, RSV3 = 1 (the
    /// numbering Autobahn uses).
    pub rsv: u8,
    /// The opcode.
    pub opcode: Opcode,
    /// The masking key, if the mask bit is set.
    pub mask: Option<[u8; 4]>,
    /// The payload length as written on the wire.
    pub payload_len: u64,
}

/// Outcome of [`FrameHeader::parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderParse {
    /// A complete header and the number of bytes it occupies (2–14).
    Complete(FrameHeader, usize),
    /// At least this many more bytes are needed to read the header.
    NeedMore(usize),
}

impl FrameHeader {
    /// A final, unmasked, RSV-free header.
    pub fn new(opcode: Opcode, payload_len: u64) -> Self {
        FrameHeader {
            fin: true,
            rsv: 0,
            opcode,
            mask: None,
            payload_len,
        }
    }

    /// Reads a header from the start of `buf`. Never fails: every bit pattern is a
    /// header; whether it is an acceptable one is the decoder's decision.
    pub fn parse(buf: &[u8]) -> HeaderParse {
        if buf.len() < 2 {
            return HeaderParse::NeedMore(2 - buf.len());
        }
        let (b0, b1) = (buf[0], buf[1]);
        let masked = b1 & 0x80 != 0;
        let (len_bytes, short_len) = match b1 & 0x7f {
            126 => (2, None),
            127 => (8, None),
            n => (0, Some(u64::from(n))),
        };
        let header_len = 2 + len_bytes + if masked { 4 } else { 0 };
        if buf.len() < header_len {
            return HeaderParse::NeedMore(header_len - buf.len());
        }
        let payload_len = match short_len {
            Some(n) => n,
            None if len_bytes == 2 => u64::from(u16::from_be_bytes([buf[2], buf[3]])),
            None => u64::from_be_bytes(buf[2..10].try_into().expect("8 bytes checked above")),
        };
        let mask = masked.then(|| {
            let at = 2 + len_bytes;
            [buf[at], buf[at + 1], buf[at + 2], buf[at + 3]]
        });
        HeaderParse::Complete(
            FrameHeader {
                fin: b0 & 0x80 != 0,
                rsv: (b0 >> 4) & 0x7,
                opcode: Opcode::from(b0),
                mask,
                payload_len,
            },
            header_len,
        )
    }

    /// Length of the encoded header in the given form.
    pub fn encoded_len(&self, form: LengthForm) -> usize {
        let len_bytes = match Self::length_code(self.payload_len, form) {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        2 + len_bytes + if self.mask.is_some() { 4 } else { 0 }
    }

    fn length_code(len: u64, form: LengthForm) -> u8 {
        match form {
            LengthForm::Minimal if len < 126 => len as u8,
            LengthForm::Minimal | LengthForm::Extended16 if len <= 0xffff => 126,
            _ => 127,
        }
    }

    /// Appends the header in its minimal form (RFC 6455 §5.2).
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.encode_with(LengthForm::Minimal, out)
    }

    /// Appends the header with the length written in `form`. Nothing is validated:
    /// reserved opcodes, RSV bits, oversized control frames and 64-bit lengths with the
    /// most significant bit set are all written as asked.
    pub fn encode_with(&self, form: LengthForm, out: &mut Vec<u8>) {
        let b0 = (u8::from(self.fin) << 7) | ((self.rsv & 0x7) << 4) | u8::from(self.opcode);
        let code = Self::length_code(self.payload_len, form);
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        out.push(b0);
        out.push(mask_bit | code);
        match code {
            126 => out.extend_from_slice(&(self.payload_len as u16).to_be_bytes()),
            127 => out.extend_from_slice(&self.payload_len.to_be_bytes()),
            _ => {}
        }
        if let Some(key) = self.mask {
            out.extend_from_slice(&key);
        }
    }
}

/// A whole frame with its payload unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The header as received (or to be sent); `payload_len` equals `payload.len()`.
    pub header: FrameHeader,
    /// The payload, unmasked.
    pub payload: Vec<u8>,
}

impl Frame {
    /// A final frame carrying `payload`, unmasked, no RSV bits.
    pub fn new(opcode: Opcode, payload: impl Into<Vec<u8>>) -> Self {
        let payload = payload.into();
        Frame {
            header: FrameHeader::new(opcode, payload.len() as u64),
            payload,
        }
    }

    /// Appends the encoded frame (header, then the payload masked if the header has a
    /// key) in minimal length form.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut header = self.header;
        header.payload_len = self.payload.len() as u64;
        header.encode(out);
        let start = out.len();
        out.extend_from_slice(&self.payload);
        if let Some(key) = header.mask {
            crate::mask::apply_mask(&mut out[start..], key, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_complete(buf: &[u8]) -> (FrameHeader, usize) {
        match FrameHeader::parse(buf) {
            HeaderParse::Complete(h, n) => (h, n),
            HeaderParse::NeedMore(n) => panic!("needs {n} more bytes"),
        }
    }

    #[test]
    fn rfc6455_5_7_unmasked_hello_header() {
        let (h, n) = parse_complete(&[0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
        assert_eq!(n, 2);
        assert_eq!(h, FrameHeader::new(Opcode::Text, 5));
    }

    #[test]
    fn rfc6455_5_7_masked_hello_header() {
        let (h, n) = parse_complete(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f]);
        assert_eq!(n, 6);
        assert_eq!(h.mask, Some([0x37, 0xfa, 0x21, 0x3d]));
        assert_eq!(h.payload_len, 5);
    }

    #[test]
    fn rfc6455_5_7_256_byte_binary_uses_16_bit_length() {
        let mut out = Vec::new();
        FrameHeader::new(Opcode::Binary, 256).encode(&mut out);
        assert_eq!(out, [0x82, 0x7e, 0x01, 0x00]);
    }

    #[test]
    fn rfc6455_5_7_64kib_binary_uses_64_bit_length() {
        let mut out = Vec::new();
        FrameHeader::new(Opcode::Binary, 65536).encode(&mut out);
        assert_eq!(out, [0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00]);
    }

    #[test]
    fn rfc6455_5_2_minimal_length_boundaries() {
        for (len, header_len) in [(125, 2), (126, 4), (65535, 4), (65536, 10)] {
            let h = FrameHeader::new(Opcode::Binary, len);
            let mut out = Vec::new();
            h.encode(&mut out);
            assert_eq!(out.len(), header_len, "length {len}");
            assert_eq!(parse_complete(&out), (h, header_len));
        }
    }

    #[test]
    fn header_split_anywhere_reports_bytes_needed() {
        let mut h = FrameHeader::new(Opcode::Binary, 70000);
        h.mask = Some([1, 2, 3, 4]);
        let mut out = Vec::new();
        h.encode(&mut out);
        assert_eq!(out.len(), 14);
        assert_eq!(FrameHeader::parse(&out[..0]), HeaderParse::NeedMore(2));
        assert_eq!(FrameHeader::parse(&out[..1]), HeaderParse::NeedMore(1));
        for cut in 2..14 {
            assert_eq!(
                FrameHeader::parse(&out[..cut]),
                HeaderParse::NeedMore(14 - cut)
            );
        }
        assert_eq!(parse_complete(&out), (h, 14));
    }

    #[test]
    fn invalid_headers_can_be_encoded_on_purpose() {
        let h = FrameHeader {
            fin: false,
            rsv: 7,
            opcode: Opcode::Reserved(0xb),
            mask: None,
            payload_len: 1 << 63,
        };
        let mut out = Vec::new();
        h.encode_with(LengthForm::Extended64, &mut out);
        assert_eq!(out, [0x7b, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(parse_complete(&out).0, h);

        let mut out = Vec::new();
        FrameHeader::new(Opcode::Text, 5).encode_with(LengthForm::Extended16, &mut out);
        assert_eq!(out, [0x81, 126, 0, 5]);
    }

    #[test]
    fn opcode_conversions_round_trip() {
        for bits in 0u8..16 {
            let op = Opcode::from(bits);
            assert_eq!(u8::from(op), bits);
            assert_eq!(op.is_control(), bits >= 8);
            assert_eq!(op.is_reserved(), matches!(bits, 3..=7 | 0xb..=0xf));
        }
    }
}
