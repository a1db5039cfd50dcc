//! Split delivery (section 104, and the split requests of 100.6 and 105): the octets
//! the suite writes, cut into pieces that each go out as a TCP write of their own.
//!
//! With `TCP_NODELAY` each piece leaves as its own segment, and the suite yields to the
//! runtime between pieces, so a peer reading promptly sees them one read at a time; a
//! peer reading slowly may still get several in one read — TCP promises nothing about
//! boundaries, which is the point.

use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::catalog::wsspec::Split;

/// Where the next cut falls. Deterministic: the same [`Split`] cuts the same stream at
/// the same points, however the writes it is given are grouped.
#[derive(Debug, Clone)]
pub struct Splitter {
    split: Split,
    /// The generator's state (splitmix64).
    state: u64,
    /// Octets left in the current piece (0: draw the next piece).
    left: usize,
}

impl Splitter {
    /// A splitter at the start of a stream.
    pub fn new(split: Split) -> Splitter {
        let state = match split {
            Split::EveryOctet => 0,
            Split::Random { seed, .. } => seed,
        };
        Splitter {
            split,
            state,
            left: 0,
        }
    }

    /// How many of the next `available` octets the next write may take: the rest of the
    /// current piece, at most.
    pub fn piece(&mut self, available: usize) -> usize {
        if self.left == 0 {
            self.left = self.draw();
        }
        self.left.min(available)
    }

    /// `n` octets (no more than [`Splitter::piece`] allowed) were written; whether the
    /// piece is complete.
    pub fn wrote(&mut self, n: usize) -> bool {
        self.left = self.left.saturating_sub(n);
        self.left == 0
    }

    fn draw(&mut self) -> usize {
        match self.split {
            Split::EveryOctet => 1,
            Split::Random { max, .. } => {
                // splitmix64: small, and the same on every platform and version.
                self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = self.state;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                z ^= z >> 31;
                1 + (z % max.max(1) as u64) as usize
            }
        }
    }
}

/// Writes all of `data`, piece by piece, each flushed and followed by a yield.
pub async fn write_all<W: AsyncWrite + Unpin>(
    writer: &mut W,
    mut data: &[u8],
    splitter: &mut Splitter,
) -> std::io::Result<()> {
    while !data.is_empty() {
        let n = splitter.piece(data.len());
        writer.write_all(&data[..n]).await?;
        splitter.wrote(n);
        data = &data[n..];
        writer.flush().await?;
        tokio::task::yield_now().await;
    }
    Ok(())
}

/// The pieces `split` cuts `len` octets into, in order (for tests and reports).
pub fn pieces(split: Split, len: usize) -> Vec<usize> {
    let mut splitter = Splitter::new(split);
    let mut left = len;
    let mut out = Vec::new();
    while left > 0 {
        let n = splitter.piece(left);
        splitter.wrote(n);
        out.push(n);
        left -= n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_octet_is_a_piece_of_its_own() {
        assert_eq!(pieces(Split::EveryOctet, 4), [1, 1, 1, 1]);
    }

    #[test]
    fn random_pieces_stay_within_bounds_and_cover_the_stream() {
        let split = Split::Random { seed: 7, max: 16 };
        let cut = pieces(split, 10_000);
        assert_eq!(cut.iter().sum::<usize>(), 10_000);
        assert!(cut.iter().all(|&n| (1..=16).contains(&n)));
        assert!(cut.iter().any(|&n| n > 1), "not all one-octet pieces");
    }

    #[test]
    fn the_same_seed_cuts_at_the_same_points() {
        let split = Split::Random { seed: 42, max: 64 };
        assert_eq!(pieces(split, 5000), pieces(split, 5000));
        assert_ne!(
            pieces(split, 5000),
            pieces(Split::Random { seed: 43, max: 64 }, 5000)
        );
    }

    #[test]
    fn the_cut_points_do_not_depend_on_how_writes_are_grouped() {
        let split = Split::Random { seed: 9, max: 8 };
        let ends = |cut: Vec<usize>| -> Vec<usize> {
            cut.iter()
                .scan(0, |at, n| {
                    *at += n;
                    Some(*at)
                })
                .filter(|&at| at < 100)
                .collect()
        };
        // The same 100 octets offered as one write, and as writes of 3.
        let whole = ends(pieces(split, 100));
        let mut splitter = Splitter::new(split);
        let (mut written, mut grouped) = (0, Vec::new());
        while written < 100 {
            let mut group = 3.min(100 - written);
            while group > 0 {
                let n = splitter.piece(group);
                written += n;
                group -= n;
                if splitter.wrote(n) && written < 100 {
                    grouped.push(written);
                }
            }
        }
        assert_eq!(grouped, whole);
    }

    #[tokio::test]
    async fn write_all_writes_everything_in_order() {
        let (mut a, mut b) = tokio::io::duplex(64);
        let data: Vec<u8> = (0..=255).collect();
        let mut splitter = Splitter::new(Split::Random { seed: 1, max: 5 });
        let writer = async {
            write_all(&mut a, &data, &mut splitter).await.unwrap();
            drop(a);
        };
        let reader = async {
            let mut got = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut b, &mut got)
                .await
                .unwrap();
            got
        };
        let ((), got) = tokio::join!(writer, reader);
        assert_eq!(got, data);
    }
}
