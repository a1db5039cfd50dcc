//! The checks behind the cargo-fuzz targets over `wsspec-codec`.
//!
//! Each target binary in `fuzz_targets/` is one line: it hands libFuzzer's bytes to
//! `<target>::run`. Keeping the checks in this library lets `cargo test` (stable) replay
//! every committed corpus file through them without libFuzzer (see `tests/replay.rs`).
//!
//! The targets are differential wherever there is something to compare against: a
//! whole buffer against the same bytes in pieces, the codec's decoder against a
//! straightforward whole-buffer model of RFC 6455 §5.2 ([`model`]), incremental UTF-8
//! against `std::str::from_utf8`, what was encoded against what decodes. Inputs that
//! start with a flags byte use the layouts documented in each module, so seeds extracted
//! from wire logs (see `scripts/autobahn_corpus.py`) are meaningful as they are.

pub mod input;
pub mod model;

pub mod connection;
pub mod frame_decode;
pub mod handshake;
pub mod hixie76;
pub mod inflate;
pub mod roundtrip;
pub mod split_stream;
pub mod utf8_stream;

/// The names of every target, in the order `smoke.sh` runs them.
pub const TARGETS: [&str; 8] = [
    "frame_decode",
    "split_stream",
    "roundtrip",
    "utf8_stream",
    "connection",
    "handshake",
    "inflate",
    "hixie76",
];

/// Runs the target called `name` on `data`; `false` if there is no such target.
pub fn run_target(name: &str, data: &[u8]) -> bool {
    match name {
        "frame_decode" => frame_decode::run(data),
        "split_stream" => split_stream::run(data),
        "roundtrip" => roundtrip::run(data),
        "utf8_stream" => utf8_stream::run(data),
        "connection" => connection::run(data),
        "handshake" => handshake::run(data),
        "inflate" => inflate::run(data),
        "hixie76" => hixie76::run(data),
        _ => return false,
    }
    true
}
