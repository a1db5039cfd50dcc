//! The messages a bench sends, and the check that an echo is the message it answers.
//!
//! Every message is the same template with its sequence number stamped over the first
//! (up to) eight octets as lowercase hex digits, so an echo that comes back out of
//! order, truncated or altered is caught, and text stays valid UTF-8 (RFC 6455 §5.6).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wsspec_codec::message::Message;

/// Text or binary messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadKind {
    /// Opcode 0x1, printable ASCII.
    Text,
    /// Opcode 0x2, pseudo-random octets (incompressible, so `--deflate` measures the
    /// cost of compression without its benefit).
    Binary,
}

impl PayloadKind {
    /// `"text"` or `"binary"`.
    pub fn name(self) -> &'static str {
        match self {
            PayloadKind::Text => "text",
            PayloadKind::Binary => "binary",
        }
    }
}

/// Octets of the sequence stamp (eight hex digits of the low 32 bits).
const STAMP_LEN: usize = 8;

/// One message template; a sequence number turns it into a message.
#[derive(Debug, Clone)]
pub struct Payload {
    kind: PayloadKind,
    template: Vec<u8>,
}

impl Payload {
    /// A template of `size` octets.
    pub fn new(kind: PayloadKind, size: usize) -> Payload {
        let template = match kind {
            PayloadKind::Text => (0..size)
                .map(|i| b"abcdefghijklmnopqrstuvwxyz0123456789"[i % 36])
                .collect(),
            PayloadKind::Binary => {
                let mut bytes = vec![0u8; size];
                StdRng::seed_from_u64(0x5753_5350_4543).fill(&mut bytes[..]);
                bytes
            }
        };
        Payload { kind, template }
    }

    /// Text or binary.
    pub fn kind(&self) -> PayloadKind {
        self.kind
    }

    /// Octets per message.
    pub fn len(&self) -> usize {
        self.template.len()
    }

    /// Whether messages are empty.
    pub fn is_empty(&self) -> bool {
        self.template.is_empty()
    }

    /// Writes message `seq` into `buf` (reused between messages to save allocations).
    pub fn fill(&self, seq: u64, buf: &mut Vec<u8>) {
        if buf.len() != self.template.len() {
            buf.clear();
            buf.extend_from_slice(&self.template);
        }
        let stamp = stamp(seq);
        let n = STAMP_LEN.min(buf.len());
        buf[..n].copy_from_slice(&stamp[STAMP_LEN - n..]);
    }

    /// Whether `message` is exactly message `seq`: same type, same octets.
    pub fn is_echo_of(&self, seq: u64, message: &Message) -> bool {
        if message.is_binary() != (self.kind == PayloadKind::Binary) {
            return false;
        }
        let bytes = message.as_bytes();
        if bytes.len() != self.template.len() {
            return false;
        }
        let stamp = stamp(seq);
        let n = STAMP_LEN.min(bytes.len());
        bytes[..n] == stamp[STAMP_LEN - n..] && bytes[n..] == self.template[n..]
    }
}

fn stamp(seq: u64) -> [u8; STAMP_LEN] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; STAMP_LEN];
    let low = seq as u32;
    for (i, o) in out.iter_mut().enumerate() {
        *o = HEX[((low >> (4 * (STAMP_LEN - 1 - i))) & 0xf) as usize];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(p: &Payload, seq: u64) -> Message {
        let mut buf = Vec::new();
        p.fill(seq, &mut buf);
        match p.kind() {
            PayloadKind::Text => Message::Text(String::from_utf8(buf).unwrap()),
            PayloadKind::Binary => Message::Binary(buf),
        }
    }

    #[test]
    fn messages_have_the_size_asked_for() {
        for size in [0, 1, 7, 8, 9, 20, 16 << 10] {
            for kind in [PayloadKind::Text, PayloadKind::Binary] {
                let p = Payload::new(kind, size);
                assert_eq!(message(&p, 12345).as_bytes().len(), size);
            }
        }
    }

    #[test]
    fn text_messages_are_valid_utf8_rfc6455_5_6() {
        let p = Payload::new(PayloadKind::Text, 100);
        let mut buf = Vec::new();
        for seq in [0, 1, 0xdead_beef, u64::MAX] {
            p.fill(seq, &mut buf);
            assert!(std::str::from_utf8(&buf).is_ok());
        }
        assert_eq!(&buf[..8], b"ffffffff");
    }

    #[test]
    fn an_echo_matches_only_its_own_message() {
        let p = Payload::new(PayloadKind::Binary, 64);
        let m7 = message(&p, 7);
        assert!(p.is_echo_of(7, &m7));
        assert!(!p.is_echo_of(8, &m7), "out of order");
        let mut altered = m7.as_bytes().to_vec();
        altered[40] ^= 1;
        assert!(!p.is_echo_of(7, &Message::Binary(altered)), "altered");
        let truncated = m7.as_bytes()[..63].to_vec();
        assert!(!p.is_echo_of(7, &Message::Binary(truncated)), "truncated");
        let as_text = Message::Text(String::from_utf8_lossy(m7.as_bytes()).into_owned());
        assert!(!p.is_echo_of(7, &as_text), "wrong opcode");
    }

    #[test]
    fn short_messages_carry_the_low_digits_of_the_stamp() {
        let p = Payload::new(PayloadKind::Text, 2);
        assert_eq!(message(&p, 0x1234).as_bytes(), b"34");
        assert!(p.is_echo_of(0x1234, &message(&p, 0x1234)));
        assert!(!p.is_echo_of(0x1235, &message(&p, 0x1234)));
        let empty = Payload::new(PayloadKind::Binary, 0);
        assert!(empty.is_echo_of(3, &Message::Binary(Vec::new())));
    }
}
