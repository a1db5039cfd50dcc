//! A deliberately plain model of frame decoding (RFC 6455 §5.2–§5.5) to compare the
//! streaming [`wsspec_codec::decode::FrameDecoder`] against.
//!
//! It sees the whole buffer at once, indexes it directly, unmasks byte by byte, and
//! applies the receiver's rules in the order the codec documents them (opcode, reserved
//! bits, masking direction, control frame rules, the 64-bit length's top bit, the frame
//! limit), so for any input both must agree on every frame, on the first error, and on
//! how many bytes are still missing at the end.

use wsspec_codec::decode::FrameError;
use wsspec_codec::frame::{Frame, FrameHeader, Opcode, Role, RSV1};

/// What the receiving endpoint accepts.
#[derive(Debug, Clone, Copy)]
pub struct ModelConfig {
    /// The receiving endpoint's role.
    pub role: Role,
    /// Largest payload accepted.
    pub max_frame: u64,
    /// RSV bits a negotiated extension defines (on the first frame of a data message).
    pub allowed_rsv: u8,
}

/// How decoding the whole buffer ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// A header broke a rule.
    Error(FrameError),
    /// The buffer ended; at least this many more bytes are needed (≥ 1).
    NeedMore(usize),
}

fn read_be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

/// The first rule `h` breaks for a receiver configured as `cfg`, if any.
pub fn first_violation(cfg: &ModelConfig, h: &FrameHeader) -> Option<FrameError> {
    let opcode = h.opcode;
    if matches!(u8::from(opcode), 0x3..=0x7 | 0xb..=0xf) {
        return Some(FrameError::ReservedOpcode(opcode));
    }
    let starts_data_message = matches!(opcode, Opcode::Text | Opcode::Binary);
    let rsv1_misplaced = h.rsv & RSV1 != 0 && cfg.allowed_rsv & RSV1 != 0 && !starts_data_message;
    if rsv1_misplaced {
        return Some(FrameError::Rsv1OnNonFirstFrame(opcode));
    }
    let undefined_bits = h.rsv & !cfg.allowed_rsv != 0;
    if undefined_bits || (h.rsv != 0 && !starts_data_message) {
        return Some(FrameError::ReservedBits { opcode, rsv: h.rsv });
    }
    if cfg.role == Role::Server && h.mask.is_none() {
        return Some(FrameError::UnmaskedFrameFromClient(opcode));
    }
    if cfg.role == Role::Client && h.mask.is_some() {
        return Some(FrameError::MaskedFrameFromServer(opcode));
    }
    if u8::from(opcode) >= 0x8 {
        if !h.fin {
            return Some(FrameError::FragmentedControlFrame(opcode));
        }
        if h.payload_len > 125 {
            return Some(FrameError::ControlFrameTooLong {
                opcode,
                len: h.payload_len,
            });
        }
    }
    if h.payload_len >= 1 << 63 {
        return Some(FrameError::LengthMsbSet(h.payload_len));
    }
    if h.payload_len > cfg.max_frame {
        return Some(FrameError::FrameTooLarge {
            len: h.payload_len,
            max: cfg.max_frame,
        });
    }
    None
}

/// Decodes every frame in `buf` and says how decoding ended.
pub fn decode_all(cfg: &ModelConfig, buf: &[u8]) -> (Vec<Frame>, Ending) {
    let mut frames = Vec::new();
    let mut at = 0;
    loop {
        let rest = &buf[at..];
        if rest.len() < 2 {
            return (frames, Ending::NeedMore(2 - rest.len()));
        }
        let masked = rest[1] & 0x80 != 0;
        let len7 = rest[1] & 0x7f;
        let ext = match len7 {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        let header_len = 2 + ext + if masked { 4 } else { 0 };
        if rest.len() < header_len {
            return (frames, Ending::NeedMore(header_len - rest.len()));
        }
        let payload_len = if ext == 0 {
            u64::from(len7)
        } else {
            read_be(&rest[2..2 + ext])
        };
        let mask = masked.then(|| {
            let k = &rest[2 + ext..6 + ext];
            [k[0], k[1], k[2], k[3]]
        });
        let header = FrameHeader {
            fin: rest[0] & 0x80 != 0,
            rsv: (rest[0] >> 4) & 0b111,
            opcode: Opcode::from(rest[0] & 0x0f),
            mask,
            payload_len,
        };
        if let Some(err) = first_violation(cfg, &header) {
            return (frames, Ending::Error(err));
        }
        let body = &rest[header_len..];
        // `payload_len` ≤ max_frame here, which the targets keep small.
        let need = payload_len as usize;
        if body.len() < need {
            return (frames, Ending::NeedMore(need - body.len()));
        }
        let payload = body[..need]
            .iter()
            .enumerate()
            .map(|(i, &b)| match mask {
                Some(k) => b ^ k[i % 4],
                None => b,
            })
            .collect();
        frames.push(Frame { header, payload });
        at += header_len + need;
    }
}
