//! Property tests for the "for all inputs" claims of the codec: frame round trips,
//! masking symmetry, split-chunk parsing and incremental UTF-8 validation.

use proptest::prelude::*;
use wsspec_codec::decode::{Decoded, FrameDecoder, FrameError};
use wsspec_codec::frame::{Frame, FrameHeader, Opcode, Role};
use wsspec_codec::mask::{apply_mask, apply_mask_reference};
use wsspec_codec::message::Utf8Validator;
use wsspec_codec::Limits;

/// A frame that a sender in `role` may legally send: data frames of any size, control
/// frames final and ≤ 125 bytes, masked iff sent by a client.
fn valid_frame(sender: Role) -> impl Strategy<Value = Frame> {
    let data = (
        prop_oneof![
            Just(Opcode::Text),
            Just(Opcode::Binary),
            Just(Opcode::Continuation)
        ],
        any::<bool>(),
        prop::collection::vec(any::<u8>(), 0..300),
    );
    let control = (
        prop_oneof![Just(Opcode::Ping), Just(Opcode::Pong), Just(Opcode::Close)],
        Just(true),
        prop::collection::vec(any::<u8>(), 0..=125),
    );
    let big = (
        Just(Opcode::Binary),
        any::<bool>(),
        prop::sample::select(vec![125usize, 126, 127, 65535, 65536, 70000])
            .prop_map(|n| vec![0xab; n]),
    );
    (
        prop_oneof![4 => data, 2 => control, 1 => big],
        any::<[u8; 4]>(),
    )
        .prop_map(move |((opcode, fin, payload), key)| Frame {
            header: FrameHeader {
                fin,
                rsv: 0,
                opcode,
                mask: (sender == Role::Client).then_some(key),
                payload_len: payload.len() as u64,
            },
            payload,
        })
}

/// Arbitrary bytes: mostly invalid headers, some valid ones with odd lengths.
fn arbitrary_stream() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..400)
}

/// Decodes `chunks` in order and returns every frame and the error, if any.
fn decode_all(role: Role, limits: Limits, chunks: &[&[u8]]) -> (Vec<Frame>, Option<FrameError>) {
    let mut dec = FrameDecoder::new(role, limits);
    let mut frames = Vec::new();
    for chunk in chunks {
        let mut input = *chunk;
        loop {
            match dec.decode(&mut input) {
                Ok(Decoded::Frame(f)) => frames.push(f),
                Ok(Decoded::NeedMore(_)) => break,
                Err(e) => return (frames, Some(e)),
            }
        }
    }
    (frames, None)
}

/// Splits `bytes` at the given (sorted, deduplicated, in-range) cut points.
fn split_at_points<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.sort_unstable();
    points.dedup();
    let mut out = Vec::new();
    let mut start = 0;
    for p in points {
        out.push(&bytes[start..p]);
        start = p;
    }
    out.push(&bytes[start..]);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn encoded_frames_decode_to_themselves_in_both_roles(
        sender in prop_oneof![Just(Role::Client), Just(Role::Server)],
        frames in prop::collection::vec(valid_frame(Role::Client), 1..6),
    ) {
        // Re-mask per the sender's role.
        let frames: Vec<Frame> = frames
            .into_iter()
            .map(|mut f| {
                if sender == Role::Server {
                    f.header.mask = None;
                }
                f
            })
            .collect();
        let mut wire = Vec::new();
        for f in &frames {
            f.encode(&mut wire);
        }
        let (decoded, err) = decode_all(sender.peer(), Limits::default(), &[&wire]);
        prop_assert_eq!(err, None);
        prop_assert_eq!(decoded, frames);
    }

    #[test]
    fn fast_mask_equals_reference_for_any_key(
        data in prop::collection::vec(any::<u8>(), 0..600),
        key in any::<[u8; 4]>(),
        start in 0usize..8,
        offset in 0usize..8,
    ) {
        let start = start.min(data.len());
        let mut fast = data.clone();
        let mut slow = data;
        apply_mask(&mut fast[start..], key, offset);
        apply_mask_reference(&mut slow[start..], key, offset);
        prop_assert_eq!(fast, slow);
    }

    #[test]
    fn masking_twice_is_the_identity(
        data in prop::collection::vec(any::<u8>(), 0..2000),
        key in any::<[u8; 4]>(),
        offset in 0usize..8,
    ) {
        let mut buf = data.clone();
        apply_mask(&mut buf, key, offset);
        apply_mask(&mut buf, key, offset);
        prop_assert_eq!(buf, data);
    }

    #[test]
    fn split_stream_decodes_like_the_whole_stream(
        role in prop_oneof![Just(Role::Client), Just(Role::Server)],
        frames in prop::collection::vec(valid_frame(Role::Client), 0..5),
        garbage in arbitrary_stream(),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
        max in prop::sample::select(vec![100usize, 1000, 1 << 20]),
    ) {
        let mut wire = Vec::new();
        for mut f in frames {
            if role == Role::Client {
                f.header.mask = None;
            }
            f.encode(&mut wire);
        }
        wire.extend_from_slice(&garbage);
        let limits = Limits::uniform(max);
        let whole = decode_all(role, limits, &[&wire]);
        let pieces = split_at_points(&wire, &cuts);
        prop_assert_eq!(&decode_all(role, limits, &pieces), &whole);
        let bytes: Vec<&[u8]> = wire.chunks(1).collect();
        prop_assert_eq!(&decode_all(role, limits, &bytes), &whole);
    }

    #[test]
    fn incremental_utf8_accepts_iff_std_accepts_and_rejects_in_the_piece_with_the_bad_byte(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64),
            ".{0,40}".prop_map(|s: String| s.into_bytes()),
            (".{0,20}", any::<u8>(), ".{0,20}").prop_map(|(a, b, c): (String, u8, String)| {
                let mut v = a.into_bytes();
                v.push(b);
                v.extend(c.into_bytes());
                v
            }),
        ],
        cuts in prop::collection::vec(any::<usize>(), 0..10),
    ) {
        // The oracle: the first byte after which no valid UTF-8 can start this way.
        let first_bad = (0..bytes.len()).find(|&i| {
            matches!(std::str::from_utf8(&bytes[..=i]), Err(e) if e.error_len().is_some())
        });
        let mut v = Utf8Validator::new();
        let mut fed = 0;
        let mut failed_in = None;
        for piece in split_at_points(&bytes, &cuts) {
            let before = fed;
            fed += piece.len();
            if v.feed(piece).is_err() {
                failed_in = Some(before..fed);
                break;
            }
        }
        match first_bad {
            // Rejected in exactly the piece that carried the first impossible byte.
            Some(i) => {
                let range = failed_in.expect("invalid input accepted");
                prop_assert!(range.contains(&i), "bad byte {} but failed in {:?}", i, range);
            }
            None => {
                prop_assert!(failed_in.is_none());
                prop_assert_eq!(v.finish().is_ok(), std::str::from_utf8(&bytes).is_ok());
            }
        }
    }
}

#[test]
fn fast_mask_equals_reference_for_every_length_offset_and_start() {
    let source: Vec<u8> = (0..4096 + 8).map(|i| (i * 31 + 7) as u8).collect();
    for key in [
        [0, 0, 0, 0],
        [0x37, 0xfa, 0x21, 0x3d],
        [0xff, 1, 0x80, 0x7f],
    ] {
        for len in 0..=4096 {
            for start in 0..8 {
                let mut fast = source[..len + start].to_vec();
                let mut slow = fast.clone();
                apply_mask(&mut fast[start..], key, start);
                apply_mask_reference(&mut slow[start..], key, start);
                assert_eq!(fast, slow, "len {len} start {start} key {key:?}");
            }
        }
    }
}
