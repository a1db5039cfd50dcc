//! `split_stream`: the same bytes cut into arbitrary reads must decode to exactly what
//! one read of the whole buffer decodes to — the same frames, the same error, the same
//! count of missing bytes and the same partial frame at the end.
//!
//! Layout: `flags` (bits 0–4 as in [`crate::frame_decode`]), a chunk plan
//! ([`crate::input::Reader::plan`]), then the wire bytes.

use crate::frame_decode::{config, decode_frames, decoder, stream_frames};
use crate::input::{ChunkPlan, Reader};

/// The target.
pub fn run(data: &[u8]) {
    let mut r = Reader::new(data);
    let flags = r.byte();
    let plan = r.plan();
    let wire = r.rest();
    let (_, cfg) = config(flags);
    let whole = [wire];
    let pieces = plan.split(wire);

    let mut a = decoder(&cfg);
    let mut b = decoder(&cfg);
    let expected = decode_frames(&mut a, &whole);
    assert_eq!(
        decode_frames(&mut b, &pieces),
        expected,
        "decode: split reads disagree with one read"
    );
    assert_eq!(a.is_between_frames(), b.is_between_frames());
    assert_eq!(a.bytes_needed(), b.bytes_needed());
    assert_eq!(a.partial(), b.partial(), "partial frame differs");

    let mut c = decoder(&cfg);
    let mut d = decoder(&cfg);
    let streamed = stream_frames(&mut c, &whole);
    assert_eq!(streamed, expected, "next_event disagrees with decode");
    assert_eq!(
        stream_frames(&mut d, &pieces),
        streamed,
        "next_event: split reads disagree with one read"
    );
    assert_eq!(c.bytes_needed(), d.bytes_needed());

    // The extreme split, but only where it stays cheap.
    if wire.len() <= 4096 {
        let one_byte_each = ChunkPlan::new(&[0]).split(wire);
        let mut e = decoder(&cfg);
        assert_eq!(
            decode_frames(&mut e, &one_byte_each),
            expected,
            "decode: one byte per read disagrees with one read"
        );
    }
}
