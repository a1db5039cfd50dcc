//! Reading the fuzzer's bytes: a flags byte, a chunk plan, the rest as wire bytes.
//!
//! Every byte layout is total: any input (even an empty one) means something, so the
//! fuzzer never wastes time on inputs a target rejects up front.

use wsspec_codec::Limits;

/// Reads the front of a fuzz input; reading past the end yields zeroes / nothing.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over the whole input.
    pub fn new(data: &'a [u8]) -> Self {
        Reader { rest: data }
    }

    /// The next byte, or 0 once the input is used up.
    pub fn byte(&mut self) -> u8 {
        match self.rest.split_first() {
            Some((&b, rest)) => {
                self.rest = rest;
                b
            }
            None => 0,
        }
    }

    /// Up to `n` bytes.
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (taken, rest) = self.rest.split_at(n.min(self.rest.len()));
        self.rest = rest;
        taken
    }

    /// A chunk plan: one count byte (mod 17), then that many size bytes.
    pub fn plan(&mut self) -> ChunkPlan<'a> {
        let k = usize::from(self.byte() % 17);
        ChunkPlan {
            sizes: self.bytes(k),
        }
    }

    /// Everything not read yet.
    pub fn rest(self) -> &'a [u8] {
        self.rest
    }
}

/// How a buffer is cut into the reads a peer delivers: the sizes cycle (size byte
/// `b` means `b + 1` bytes); no sizes means one read of the whole buffer.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChunkPlan<'a> {
    sizes: &'a [u8],
}

impl<'a> ChunkPlan<'a> {
    /// A plan from explicit size bytes.
    pub fn new(sizes: &'a [u8]) -> Self {
        ChunkPlan { sizes }
    }

    /// Cuts `data` into pieces; never returns an empty piece (an empty `data` gives one
    /// empty piece, so a decoder is still called once).
    pub fn split<'d>(&self, data: &'d [u8]) -> Vec<&'d [u8]> {
        if self.sizes.is_empty() || data.is_empty() {
            return vec![data];
        }
        let mut pieces = Vec::new();
        let mut rest = data;
        let mut i = 0;
        while !rest.is_empty() {
            let n = (usize::from(self.sizes[i % self.sizes.len()]) + 1).min(rest.len());
            let (piece, tail) = rest.split_at(n);
            pieces.push(piece);
            rest = tail;
            i += 1;
        }
        pieces
    }
}

/// Frame size limits the decoding targets pick from: the edges of the 7-bit, 16-bit and
/// 64-bit length forms and of the control frame limit, all small enough that a payload
/// buffer sized from a claimed length would trip libFuzzer's malloc limit long before
/// the limit itself stops it.
pub const MAX_FRAME: [u64; 8] = [0, 1, 2, 125, 126, 1000, 65535, 65536];

/// Message size limits (bytes after decompression).
pub const MAX_MESSAGE: [usize; 8] = [0, 1, 10, 125, 1000, 4096, 65536, 1 << 20];

/// Handshake head limits.
pub const MAX_HANDSHAKE: [usize; 4] = [64, 256, 2048, 16 << 10];

/// Limits with the frame limit picked by `frame_idx` and a message limit of 1 MiB.
pub fn frame_limits(frame_idx: u8) -> Limits {
    Limits {
        max_frame: MAX_FRAME[usize::from(frame_idx) % MAX_FRAME.len()],
        max_message: 1 << 20,
        max_handshake: 16 << 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_sizes_cycle_and_cover_the_data() {
        let data: Vec<u8> = (0..10).collect();
        let pieces = ChunkPlan::new(&[0, 2]).split(&data);
        let lens: Vec<usize> = pieces.iter().map(|p| p.len()).collect();
        assert_eq!(lens, [1, 3, 1, 3, 1, 1]);
        assert_eq!(pieces.concat(), data);
    }

    #[test]
    fn empty_plan_is_one_read() {
        assert_eq!(ChunkPlan::default().split(b"abc"), [b"abc"]);
        assert_eq!(ChunkPlan::new(&[3]).split(b""), [b""]);
    }

    #[test]
    fn reader_is_total() {
        let mut r = Reader::new(&[2, 5, 6, 7]);
        let plan = r.plan();
        assert_eq!(plan.sizes, [5, 6]);
        assert_eq!(r.byte(), 7);
        assert_eq!(r.byte(), 0);
        assert!(r.rest().is_empty());
    }
}
