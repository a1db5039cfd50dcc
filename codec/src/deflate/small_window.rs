//! A DEFLATE (RFC 1951) compressor for the small LZ77 windows RFC 7692 allows.
//!
//! zlib cannot compress with a 256-byte window at all, and its descendants (zlib-ng,
//! zlib-rs) keep a hash table of 64 K entries whatever the window: with a 512-byte
//! window that table is slid — every entry rewritten — after every 512 input octets,
//! which costs more than the compression itself. This compressor is built for windows
//! of 2^8 ..= 2^[`MAX_BITS`] octets instead: a hash table sized to the window, greedy
//! matching, one block of fixed Huffman codes (§3.2.6) per message, and the sync flush
//! RFC 7692 §7.2.1 asks for. It trades a little ratio for speed, as zlib's level 1
//! does, and it never emits a distance larger than the window, which is the rule a
//! peer with a small window depends on (§7.1.2).

/// The largest window (in bits) this compressor is used for.
pub(crate) const MAX_BITS: u8 = 12;

const MIN_MATCH: usize = 4;
/// The most octets one stored block holds (LEN is 16 bits).
const STORED_MAX: usize = 0xffff;
const MAX_MATCH: usize = 258;
const HASH_BITS: u32 = 13;

/// Literal/length symbol `s` in the fixed code (§3.2.6): the code, bit-reversed so it
/// can be written least significant bit first, and its length.
const fn fixed_code(s: usize) -> (u32, u32) {
    let (code, len) = match s {
        0..=143 => (0x30 + s, 8),
        144..=255 => (0x190 + s - 144, 9),
        256..=279 => (s - 256, 7),
        _ => (0xc0 + s - 280, 8),
    };
    (reverse(code as u32, len), len)
}

const fn reverse(code: u32, len: u32) -> u32 {
    code.reverse_bits() >> (32 - len)
}

const LEN_BASE: [usize; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEN_EXTRA: [u32; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [usize; 26] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145,
];
const DIST_EXTRA: [u32; 26] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11,
];

/// Bits to write, least significant first, and how many.
#[derive(Clone, Copy)]
struct Code {
    bits: u32,
    len: u32,
}

static LITERALS: [Code; 257] = {
    let mut table = [Code { bits: 0, len: 0 }; 257];
    let mut s = 0;
    while s < 257 {
        let (bits, len) = fixed_code(s);
        table[s] = Code { bits, len };
        s += 1;
    }
    table
};

/// Length `n` (3..=258) as its symbol's code followed by the extra bits.
static LENGTHS: [Code; MAX_MATCH + 1] = {
    let mut table = [Code { bits: 0, len: 0 }; MAX_MATCH + 1];
    let mut i = 0;
    while i < 29 {
        let (code, code_len) = fixed_code(257 + i);
        let last = if i == 28 {
            258
        } else {
            LEN_BASE[i] + (1 << LEN_EXTRA[i]) - 1
        };
        let mut n = LEN_BASE[i];
        while n <= last {
            // 258 has its own symbol (285); 227 + 31 would otherwise reach it too.
            if !(n == 258 && i == 27) {
                let extra = (n - LEN_BASE[i]) as u32;
                table[n] = Code {
                    bits: code | extra << code_len,
                    len: code_len + LEN_EXTRA[i],
                };
            }
            n += 1;
        }
        i += 1;
    }
    table
};

/// Distance `d` (1..=2^MAX_BITS) as its 5-bit code followed by the extra bits.
static DISTANCES: [Code; (1 << MAX_BITS) + 1] = {
    let mut table = [Code { bits: 0, len: 0 }; (1 << MAX_BITS) + 1];
    let mut i = 0;
    while i < 26 {
        let code = reverse(i as u32, 5);
        let mut d = DIST_BASE[i];
        while d < DIST_BASE[i] + (1 << DIST_EXTRA[i]) && d <= 1 << MAX_BITS {
            table[d] = Code {
                bits: code | ((d - DIST_BASE[i]) as u32) << 5,
                len: 5 + DIST_EXTRA[i],
            };
            d += 1;
        }
        i += 1;
    }
    table
};

/// Appends bits least significant first (RFC 1951 §3.1.1).
struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    len: u32,
}

impl BitWriter<'_> {
    #[inline(always)]
    fn put(&mut self, code: Code) {
        self.acc |= u64::from(code.bits) << self.len;
        self.len += code.len;
        if self.len >= 32 {
            self.out.extend_from_slice(&(self.acc as u32).to_le_bytes());
            self.acc >>= 32;
            self.len -= 32;
        }
    }

    /// Pads with zero bits to the next octet boundary and writes what is pending.
    fn align(mut self) {
        while self.len > 0 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.len = self.len.saturating_sub(8);
        }
    }
}

/// The compressor of one endpoint with a window of 2^8 ..= 2^[`MAX_BITS`] octets.
#[derive(Debug)]
pub(crate) struct SmallWindowDeflater {
    window: usize,
    /// The last `window` octets sent, when the context is kept between messages.
    history: Vec<u8>,
    /// `history` followed by the message being compressed.
    buf: Vec<u8>,
    /// Position + 1 of the last occurrence of each 4-octet hash; 0 for none.
    head: Vec<u32>,
}

impl SmallWindowDeflater {
    pub(crate) fn new(window_bits: u8) -> Self {
        debug_assert!((8..=MAX_BITS).contains(&window_bits));
        SmallWindowDeflater {
            window: 1 << window_bits.clamp(8, MAX_BITS),
            history: Vec::new(),
            buf: Vec::new(),
            head: vec![0; 1 << HASH_BITS],
        }
    }

    /// Forgets earlier messages (no context takeover).
    pub(crate) fn reset(&mut self) {
        self.history.clear();
    }

    /// Compresses one message, appending raw DEFLATE ended by a sync flush without its
    /// `00 00 ff ff` (RFC 7692 §7.2.1). Earlier messages since the last
    /// [`reset`](Self::reset) may be referred to, never farther back than the window.
    pub(crate) fn compress(&mut self, payload: &[u8], out: &mut Vec<u8>) {
        let start = out.len();
        self.compress_fixed(payload, out);
        // Data that does not compress grows under fixed codes (9 bits for half the
        // octet values); stored blocks cost 5 octets per 64 KiB, as zlib would send.
        let stored = payload.len() + payload.len().div_ceil(STORED_MAX).max(1) * 5 + 1;
        if out.len() - start > stored {
            out.truncate(start);
            for chunk in payload.chunks(STORED_MAX) {
                // BFINAL = 0, BTYPE = 00, padded: one zero octet; then LEN and NLEN.
                let len = chunk.len() as u16;
                out.push(0);
                out.extend_from_slice(&len.to_le_bytes());
                out.extend_from_slice(&(!len).to_le_bytes());
                out.extend_from_slice(chunk);
            }
            // The sync flush's empty stored block, less its stripped LEN/NLEN.
            out.push(0);
        }
    }

    /// One block of fixed Huffman codes and the sync flush.
    fn compress_fixed(&mut self, payload: &[u8], out: &mut Vec<u8>) {
        self.buf.clear();
        self.buf.extend_from_slice(&self.history);
        self.buf.extend_from_slice(payload);
        self.head.fill(0);
        let buf = &self.buf[..];
        let head = &mut self.head[..];
        let start = self.history.len();
        // Fixed codes take at most 9 bits a literal; a little more for the headers.
        out.reserve(payload.len() + payload.len() / 8 + 16);
        let mut w = BitWriter {
            out,
            acc: 0,
            len: 0,
        };
        // BFINAL = 0, BTYPE = 01 (fixed Huffman codes).
        w.put(Code {
            bits: 0b010,
            len: 3,
        });
        let last_hashed = buf.len().saturating_sub(MIN_MATCH - 1);
        for i in 0..start.min(last_hashed) {
            head[hash(buf, i)] = i as u32 + 1;
        }
        let mut i = start;
        while i < buf.len() {
            if i < last_hashed {
                let h = hash(buf, i);
                let candidate = head[h] as usize;
                head[h] = i as u32 + 1;
                if candidate != 0 && i - (candidate - 1) <= self.window {
                    let from = candidate - 1;
                    let len = match_length(buf, from, i);
                    if len >= MIN_MATCH {
                        w.put(LENGTHS[len]);
                        w.put(DISTANCES[i - from]);
                        // Only the match's last position is hashed, as zlib's fastest
                        // level does: the ratio barely changes, the speed does.
                        let end = i + len;
                        if end - 1 < last_hashed {
                            head[hash(buf, end - 1)] = end as u32;
                        }
                        i = end;
                        continue;
                    }
                }
            }
            w.put(LITERALS[usize::from(buf[i])]);
            i += 1;
        }
        w.put(LITERALS[256]);
        // The sync flush: an empty stored block (BFINAL = 0, BTYPE = 00), padded to an
        // octet; its LEN/NLEN, `00 00 ff ff`, is what RFC 7692 strips.
        w.put(Code { bits: 0, len: 3 });
        w.align();
        let keep = self.buf.len().min(self.window);
        self.history.clear();
        self.history
            .extend_from_slice(&self.buf[self.buf.len() - keep..]);
    }
}

#[inline(always)]
fn hash(buf: &[u8], i: usize) -> usize {
    let v = u32::from_le_bytes(buf[i..i + 4].try_into().expect("4 octets"));
    (v.wrapping_mul(0x9e37_79b1) >> (32 - HASH_BITS)) as usize
}

/// How many octets at `at` repeat those at `from` (`from < at`), up to 258; the copy
/// may overlap, as DEFLATE allows.
#[inline(always)]
fn match_length(buf: &[u8], from: usize, at: usize) -> usize {
    let max = (buf.len() - at).min(MAX_MATCH);
    let mut n = 0;
    while n + 8 <= max {
        let a = u64::from_le_bytes(buf[from + n..from + n + 8].try_into().unwrap());
        let b = u64::from_le_bytes(buf[at + n..at + n + 8].try_into().unwrap());
        let diff = a ^ b;
        if diff != 0 {
            return n + (diff.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    while n < max && buf[from + n] == buf[at + n] {
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_codes_are_the_rfc1951_3_2_6_table() {
        // 'A' (65) is 0x30 + 65 = 0b0111_0001 on 8 bits, written MSB first.
        assert_eq!(LITERALS[65].len, 8);
        assert_eq!(LITERALS[65].bits, reverse(0x71, 8));
        assert_eq!(LITERALS[200].len, 9);
        assert_eq!(LITERALS[256].bits, 0);
        assert_eq!(LITERALS[256].len, 7);
        // Length 258 is symbol 285 (8 bits, no extra); 257 is 227 + 30 under symbol 284.
        assert_eq!(LENGTHS[258].len, 8);
        assert_eq!(LENGTHS[258].bits, reverse(0xc5, 8));
        assert_eq!(LENGTHS[257].len, 8 + 5);
        // Distance 2048 is code 21 (base 1537, 9 extra bits = 511).
        assert_eq!(DISTANCES[2048].len, 5 + 9);
        assert_eq!(DISTANCES[2048].bits, reverse(21, 5) | 511 << 5);
    }

    #[test]
    fn every_length_and_distance_has_a_code() {
        assert!(LENGTHS[3..].iter().all(|c| c.len > 0));
        assert!(DISTANCES[1..].iter().all(|c| c.len >= 5));
    }

    fn inflate(bits: u8, payload: &[u8]) -> Vec<u8> {
        let mut data = payload.to_vec();
        data.extend_from_slice(&[0, 0, 0xff, 0xff]);
        let mut d = flate2::Decompress::new_with_window_bits(false, bits.max(9));
        let mut out = Vec::with_capacity(1 << 20);
        d.decompress_vec(&data, &mut out, flate2::FlushDecompress::Sync)
            .unwrap();
        out
    }

    #[test]
    fn incompressible_data_goes_out_in_stored_blocks() {
        // A xorshift stream: no 4-octet repeats to speak of.
        let mut x = 0x1234_5678_9abc_def0u64;
        let noise: Vec<u8> = (0..70_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let mut deflater = SmallWindowDeflater::new(9);
        let mut out = Vec::new();
        deflater.compress(&noise, &mut out);
        assert_eq!(out.len(), noise.len() + 2 * 5 + 1);
        assert_eq!(inflate(9, &out), noise);
    }

    #[test]
    fn an_empty_message_is_a_valid_stream() {
        let mut deflater = SmallWindowDeflater::new(8);
        let mut out = Vec::new();
        deflater.compress(b"", &mut out);
        assert!(out.len() <= 2);
        assert_eq!(inflate(8, &out), b"");
    }

    #[test]
    fn match_length_stops_at_the_first_difference_and_at_258() {
        let buf = b"abcdefghijabcdefghiXabcdefghijabcdefghij";
        assert_eq!(match_length(buf, 0, 10), 9);
        let run = vec![7u8; 600];
        assert_eq!(match_length(&run, 0, 1), 258);
        assert_eq!(match_length(&run, 0, 590), 10);
    }
}
