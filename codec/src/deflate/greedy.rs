//! DEFLATE (RFC 1951) at zlib's level 1, written for what permessage-deflate asks.
//!
//! zlib cannot compress with a 256-byte window at all, and its descendants (zlib-ng,
//! zlib-rs) keep a hash table of 64 K entries whatever the window: with a 512-byte
//! window that table is slid — every entry rewritten — after every 512 input octets,
//! which costs more than the compression itself. And at any window their fastest
//! level hashes every octet of data that does not compress, then sends it in fixed
//! codes that make it longer. This compressor is greedy with one hash probe per
//! position, like zlib's fastest level, but:
//!
//! - the hash table holds stream positions, so keeping the context between messages
//!   costs nothing (entries older than the window are simply not used), and
//!   forgetting it ([`GreedyDeflater::reset`]) is a counter moved, not a table cleared;
//! - after 32 positions in a row without a match it probes only every second
//!   position, then every third, and so on (up to every [`MAX_STEP`]th): data that
//!   does not compress is crossed quickly, and a match found starts the count again;
//! - a message that would grow under fixed codes goes out in stored blocks instead;
//! - it never emits a distance larger than the window, the rule a peer with a small
//!   window depends on (RFC 7692 §7.1.2);
//! - it writes one block of fixed Huffman codes (§3.2.6) per message and the sync
//!   flush RFC 7692 §7.2.1 asks for.

const MIN_MATCH: usize = 4;
/// The most octets one stored block holds (LEN is 16 bits).
const STORED_MAX: usize = 0xffff;
const MAX_MATCH: usize = 258;
/// Probing every `MAX_STEP`th position at most while nothing matches.
pub(crate) const MAX_STEP: usize = 16;
/// Misses in a row before the probe step grows by one.
const MISSES_PER_STEP: u32 = 5;
/// How often (in input octets) the fixed-code output is checked against the input:
/// once it is longer, the message goes out stored without compressing the rest.
const CHECK_EVERY: usize = 4 << 10;
/// Trim the kept context back to the window once the buffer is this many windows long.
const TRIM_AT_WINDOWS: usize = 4;

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
const DIST_BASE: [usize; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u32; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
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

/// The distance code of `d - 1` (0-based, as zlib counts): entries 0..256 for
/// distances up to 256, then one entry per 128 distances (every code from 257 on
/// starts at a multiple of 128 plus one).
static DIST_CODE: [u8; 512] = {
    let mut table = [0u8; 512];
    let mut c = 0;
    while c < 30 {
        let mut d0 = DIST_BASE[c] - 1;
        let end = DIST_BASE[c] - 1 + (1 << DIST_EXTRA[c]);
        while d0 < end {
            if d0 < 256 {
                table[d0] = c as u8;
            } else {
                table[256 + (d0 >> 7)] = c as u8;
            }
            d0 += 1;
        }
        c += 1;
    }
    table
};

/// Distance `d` (1..=32768) as its 5-bit code followed by the extra bits.
#[inline(always)]
fn distance_code(d: usize) -> Code {
    let d0 = d - 1;
    let c = usize::from(if d0 < 256 {
        DIST_CODE[d0]
    } else {
        DIST_CODE[256 + (d0 >> 7)]
    });
    Code {
        bits: reverse(c as u32, 5) | ((d - DIST_BASE[c]) as u32) << 5,
        len: 5 + DIST_EXTRA[c],
    }
}

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

/// The compressor of one endpoint, for any window RFC 7692 allows (2^8..=2^15).
#[derive(Debug)]
pub(crate) struct GreedyDeflater {
    window: usize,
    /// `32 -` the bits of a hash.
    hash_shift: u32,
    /// Whether messages may refer to earlier ones (no `*_no_context_takeover`).
    keep_context: bool,
    /// The context kept from earlier messages (at least the last `window` octets
    /// sent, unless reset), then the message being compressed. Only when the
    /// context is kept: otherwise the message is compressed where it is.
    buf: Vec<u8>,
    /// The stream position of `buf[0]`, counted from when `head` was last cleared.
    origin: usize,
    /// Stream position + 1 of the last occurrence of each 4-octet hash; 0 for none.
    /// Positions before `origin` are forgotten context.
    head: Vec<u32>,
}

impl GreedyDeflater {
    /// A compressor for `2^window_bits` octets; with `keep_context` false every
    /// message stands alone, as if [`reset`](Self::reset) after each.
    pub(crate) fn new(window_bits: u8, keep_context: bool) -> Self {
        debug_assert!((8..=15).contains(&window_bits));
        let window_bits = window_bits.clamp(8, 15);
        // A table of twice the window's entries; no fewer than 8 K, so a small window
        // still finds its repeats.
        let hash_bits = (u32::from(window_bits) + 1).max(13);
        GreedyDeflater {
            window: 1 << window_bits,
            hash_shift: 32 - hash_bits,
            keep_context,
            buf: Vec::new(),
            origin: 0,
            head: vec![0; 1 << hash_bits],
        }
    }

    /// Forgets earlier messages (no context takeover).
    pub(crate) fn reset(&mut self) {
        self.origin += self.buf.len();
        self.buf.clear();
    }

    /// Compresses one message, appending raw DEFLATE ended by a sync flush without its
    /// `00 00 ff ff` (RFC 7692 §7.2.1). Earlier messages since the last
    /// [`reset`](Self::reset) may be referred to, never farther back than the window.
    pub(crate) fn compress(&mut self, payload: &[u8], out: &mut Vec<u8>) {
        if self.origin + self.buf.len() + payload.len() >= u32::MAX as usize {
            // Positions are kept in 32 bits: after 4 GiB, start counting again.
            self.head.fill(0);
            self.origin = 0;
        }
        let start = out.len();
        let (data, from): (&[u8], usize) = if self.keep_context {
            self.buf.extend_from_slice(payload);
            (&self.buf, self.buf.len() - payload.len())
        } else {
            (payload, 0)
        };
        let mut matcher = Matcher {
            head: &mut self.head,
            origin: self.origin,
            window: self.window,
            shift: self.hash_shift,
        };
        let fixed = data.len() < u32::MAX as usize && compress_fixed(data, from, &mut matcher, out);
        if !self.keep_context {
            self.origin += payload.len();
        }
        // Data that does not compress grows under fixed codes (9 bits for half the
        // octet values); stored blocks cost 5 octets per 64 KiB, as zlib would send.
        let stored = payload.len() + payload.len().div_ceil(STORED_MAX).max(1) * 5 + 1;
        if !fixed || out.len() - start > stored {
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
        // Keep the last window (what the peer's inflater keeps too), trimming only now
        // and then so small messages do not move the window each time.
        if self.buf.len() >= TRIM_AT_WINDOWS * self.window {
            let drop = self.buf.len() - self.window;
            self.buf.drain(..drop);
            self.origin += drop;
        }
    }
}

/// The match finder's state for one message.
struct Matcher<'a> {
    head: &'a mut [u32],
    /// The stream position of the buffer's first octet.
    origin: usize,
    window: usize,
    shift: u32,
}

/// One block of fixed Huffman codes for `buf[start..]` (`buf[..start]` being the
/// context) and the sync flush; false (with `out` to be truncated) as soon as the
/// codes are longer than the input.
fn compress_fixed(buf: &[u8], start: usize, m: &mut Matcher<'_>, out: &mut Vec<u8>) -> bool {
    let head = &mut m.head[..];
    let (origin, window, shift) = (m.origin, m.window, m.shift);
    // Fixed codes take at most 9 bits a literal; a little more for the headers.
    let payload = buf.len() - start;
    out.reserve(payload + payload / 8 + 16);
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
    let out_start = w.out.len();
    let mut misses = 0u32;
    let mut i = start;
    let mut check_at = start + CHECK_EVERY;
    while i < last_hashed {
        if i >= check_at {
            if w.out.len() - out_start > i - start {
                return false;
            }
            check_at = i + CHECK_EVERY;
        }
        let h = hash(buf, i, shift);
        let candidate = head[h] as usize;
        head[h] = (origin + i + 1) as u32;
        if candidate > origin {
            let from = candidate - 1 - origin;
            if i - from <= window {
                let len = match_length(buf, from, i);
                if len >= MIN_MATCH {
                    let (l, d) = (LENGTHS[len], distance_code(i - from));
                    // At most 13 + 18 bits: one write.
                    w.put(Code {
                        bits: l.bits | d.bits << l.len,
                        len: l.len + d.len,
                    });
                    // Only the match's last position is hashed, as zlib's fastest
                    // level does: the ratio barely changes, the speed does.
                    let end = i + len;
                    if end - 1 < last_hashed {
                        head[hash(buf, end - 1, shift)] = (origin + end) as u32;
                    }
                    i = end;
                    misses = 0;
                    continue;
                }
            }
        }
        let step = (1 + (misses >> MISSES_PER_STEP) as usize).min(MAX_STEP);
        misses += 1;
        let end = (i + step).min(buf.len());
        for &octet in &buf[i..end] {
            w.put(LITERALS[usize::from(octet)]);
        }
        i = end;
    }
    for &octet in &buf[i.min(buf.len())..] {
        w.put(LITERALS[usize::from(octet)]);
    }
    w.put(LITERALS[256]);
    // The sync flush: an empty stored block (BFINAL = 0, BTYPE = 00), padded to an
    // octet; its LEN/NLEN, `00 00 ff ff`, is what RFC 7692 strips.
    w.put(Code { bits: 0, len: 3 });
    w.align();
    true
}

#[inline(always)]
fn hash(buf: &[u8], i: usize, shift: u32) -> usize {
    let v = u32::from_le_bytes(buf[i..i + 4].try_into().expect("4 octets"));
    (v.wrapping_mul(0x9e37_79b1) >> shift) as usize
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
        assert_eq!(distance_code(2048).len, 5 + 9);
        assert_eq!(distance_code(2048).bits, reverse(21, 5) | 511 << 5);
        // 32768 is the last of code 29 (base 24577, 13 extra bits all ones).
        assert_eq!(distance_code(32768).len, 5 + 13);
        assert_eq!(distance_code(32768).bits, reverse(29, 5) | 8191 << 5);
    }

    #[test]
    fn every_length_and_distance_has_a_code() {
        assert!(LENGTHS[3..].iter().all(|c| c.len > 0));
        // Every distance maps to the code whose range holds it (§3.2.5).
        for d in 1..=32768usize {
            let c = (0..30).rev().find(|&c| DIST_BASE[c] <= d).unwrap();
            let code = distance_code(d);
            assert_eq!(code.len, 5 + DIST_EXTRA[c], "distance {d}");
            assert_eq!(code.bits & 31, reverse(c as u32, 5), "distance {d}");
            assert_eq!((code.bits >> 5) as usize, d - DIST_BASE[c], "distance {d}");
        }
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

    /// A xorshift stream: no 4-octet repeats to speak of.
    fn noise(seed: u64, len: usize) -> Vec<u8> {
        let mut x = seed;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    #[test]
    fn incompressible_data_goes_out_in_stored_blocks() {
        let noise = noise(0x1234_5678_9abc_def0, 70_000);
        let mut deflater = GreedyDeflater::new(9, true);
        let mut out = Vec::new();
        deflater.compress(&noise, &mut out);
        assert_eq!(out.len(), noise.len() + 2 * 5 + 1);
        assert_eq!(inflate(9, &out), noise);
    }

    #[test]
    fn an_empty_message_is_a_valid_stream() {
        let mut deflater = GreedyDeflater::new(8, true);
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

    /// Text with repeats near and far: words from a small vocabulary, so matches
    /// occur at every distance up to the window and beyond.
    fn prose(seed: u64, len: usize) -> Vec<u8> {
        const WORDS: [&str; 12] = [
            "frame ", "mask ", "octet ", "deflate ", "window ", "close ", "ping ", "pong ",
            "text ", "binary ", "opcode ", "payload ",
        ];
        let mut x = seed | 1;
        let mut out = Vec::with_capacity(len + 16);
        while out.len() < len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            out.extend_from_slice(WORDS[(x % 12) as usize].as_bytes());
            if x % 7 == 0 {
                out.extend_from_slice(&x.to_le_bytes()[..3]);
            }
        }
        out.truncate(len);
        out
    }

    #[test]
    fn a_kept_context_spans_messages_and_survives_trimming() {
        for bits in [8u8, 9, 12, 15] {
            let mut deflater = GreedyDeflater::new(bits, true);
            let mut inflater = flate2::Decompress::new_with_window_bits(false, bits.max(9));
            let mut total_in = 0;
            let mut total_out = 0;
            // Enough messages of assorted sizes to trim the buffer several times.
            for (k, len) in [0usize, 17, 5000, 70_000, 3, 40_000, 1, 200_000, 999]
                .into_iter()
                .cycle()
                .take(40)
                .enumerate()
            {
                let message = prose(k as u64 + 1, len);
                let mut out = Vec::new();
                deflater.compress(&message, &mut out);
                total_in += message.len();
                total_out += out.len();
                out.extend_from_slice(&[0, 0, 0xff, 0xff]);
                let mut back = Vec::with_capacity(message.len() + 64);
                inflater
                    .decompress_vec(&out, &mut back, flate2::FlushDecompress::Sync)
                    .unwrap();
                assert_eq!(back, message, "window bits {bits}, message {k}");
            }
            assert!(
                total_out * 2 < total_in,
                "window bits {bits}: {total_out} of {total_in}"
            );
        }
    }

    #[test]
    fn after_a_reset_a_message_stands_alone() {
        let mut deflater = GreedyDeflater::new(15, true);
        let message = prose(7, 3000);
        let mut first = Vec::new();
        deflater.compress(&message, &mut first);
        deflater.reset();
        let mut second = Vec::new();
        deflater.compress(&message, &mut second);
        // The same octets as from a fresh compressor: nothing refers back.
        assert_eq!(first, second);
        assert_eq!(inflate(15, &second), message);
    }

    #[test]
    fn without_context_each_message_is_what_a_reset_compressor_makes() {
        let mut standalone = GreedyDeflater::new(12, false);
        let mut reset = GreedyDeflater::new(12, true);
        for (k, len) in [100usize, 9000, 0, 70_000, 5].into_iter().enumerate() {
            let message = prose(k as u64 + 3, len);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            standalone.compress(&message, &mut a);
            reset.compress(&message, &mut b);
            reset.reset();
            assert_eq!(a, b, "message {k}");
            assert_eq!(inflate(12, &a), message);
        }
        assert!(standalone.buf.is_empty());
    }

    #[test]
    fn a_repeat_of_the_previous_message_is_a_reference_to_it() {
        // Noise: nothing repeats inside it, so only the kept context can shorten it.
        // (Shorter than CHECK_EVERY, so it is all compressed before going out stored.)
        let noise = noise(0x0123_4567_89ab_cdef, 4000);
        let mut deflater = GreedyDeflater::new(15, true);
        let mut first = Vec::new();
        deflater.compress(&noise, &mut first);
        assert!(first.len() > noise.len(), "stored: {}", first.len());
        let mut again = Vec::new();
        deflater.compress(&noise, &mut again);
        assert!(again.len() < noise.len() / 10, "{} octets", again.len());
        let mut inflater = flate2::Decompress::new_with_window_bits(false, 15);
        let mut back = Vec::with_capacity(10_000);
        for part in [first, again] {
            let mut data = part;
            data.extend_from_slice(&[0, 0, 0xff, 0xff]);
            inflater
                .decompress_vec(&data, &mut back, flate2::FlushDecompress::Sync)
                .unwrap();
        }
        assert_eq!(back[..4000], noise[..]);
        assert_eq!(back[4000..], noise[..]);
    }
}
