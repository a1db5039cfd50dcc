//! Size limits, checked before any buffer is sized from a length read off the wire.

/// The limits one connection enforces. Passed in, never global.
///
/// The defaults are generous enough for the Autobahn catalog (its largest message is
/// 16 MiB, sent as one frame in 9.1.6 / 9.2.6) and small enough that a peer cannot make
/// us reserve gigabytes by claiming a huge length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest payload of a single frame we accept (bytes).
    pub max_frame: u64,
    /// Largest assembled message we accept (bytes, after decompression).
    pub max_message: usize,
    /// Largest opening handshake (request or response head) we buffer (bytes).
    pub max_handshake: usize,
}

impl Limits {
    /// Default largest frame payload: 64 MiB.
    pub const DEFAULT_MAX_FRAME: u64 = 64 << 20;
    /// Default largest message: 64 MiB.
    pub const DEFAULT_MAX_MESSAGE: usize = 64 << 20;
    /// Default largest handshake head: 16 KiB.
    pub const DEFAULT_MAX_HANDSHAKE: usize = 16 << 10;

    /// Limits with every field set to the same byte count; handy for tests and fuzzing.
    pub fn uniform(bytes: usize) -> Self {
        Limits {
            max_frame: bytes as u64,
            max_message: bytes,
            max_handshake: bytes,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame: Self::DEFAULT_MAX_FRAME,
            max_message: Self::DEFAULT_MAX_MESSAGE,
            max_handshake: Self::DEFAULT_MAX_HANDSHAKE,
        }
    }
}
