//! `frame_decode`: arbitrary bytes into the streaming decoder, both roles, small limits,
//! checked against the whole-buffer [`crate::model`].
//!
//! Layout: `flags`, then the wire bytes. `flags` bit 0: receiving role (0 server, so
//! the bytes are a client's masked frames; 1 client); bits 1–3: the frame limit
//! ([`crate::input::MAX_FRAME`]); bit 4: RSV1 allowed (permessage-deflate agreed);
//! bits 5–7: read size (0 = one read, else 1, 2, 3, 7, 13, 64, 255 bytes per read).

use wsspec_codec::decode::{Decoded, FrameDecoder, FrameError, FrameEvent};
use wsspec_codec::frame::{Frame, FrameHeader, Role, RSV1};

use crate::input::{frame_limits, ChunkPlan, Reader};
use crate::model::{self, Ending, ModelConfig};

const READ_SIZES: [u8; 8] = [0, 0, 1, 2, 6, 12, 63, 254];

/// The receiver configuration a flags byte selects.
pub fn config(flags: u8) -> (Role, ModelConfig) {
    let role = if flags & 1 == 0 {
        Role::Server
    } else {
        Role::Client
    };
    let limits = frame_limits(flags >> 1);
    let allowed_rsv = if flags & 0x10 != 0 { RSV1 } else { 0 };
    (
        role,
        ModelConfig {
            role,
            max_frame: limits.max_frame,
            allowed_rsv,
        },
    )
}

/// A decoder for that configuration.
pub fn decoder(cfg: &ModelConfig) -> FrameDecoder {
    let mut limits = frame_limits(0);
    limits.max_frame = cfg.max_frame;
    let mut dec = FrameDecoder::new(cfg.role, limits);
    dec.set_allowed_rsv(cfg.allowed_rsv);
    dec
}

/// Streams `pieces` through `next_event`, rebuilding frames and checking the event
/// sequence: a header, payload pieces that are never empty, contiguous and masked with
/// the header's key, then the end of the same header.
pub fn stream_frames(dec: &mut FrameDecoder, pieces: &[&[u8]]) -> (Vec<Frame>, Ending) {
    let mut frames = Vec::new();
    let mut current: Option<(FrameHeader, Vec<u8>)> = None;
    for piece in pieces {
        let mut input = *piece;
        loop {
            let before = input.len();
            match dec.next_event(&mut input) {
                Ok(None) => {
                    assert!(input.is_empty(), "Ok(None) with {} bytes left", input.len());
                    break;
                }
                Ok(Some(FrameEvent::Header(h))) => {
                    assert!(current.is_none(), "header {h:?} inside a frame");
                    current = Some((h, Vec::new()));
                }
                Ok(Some(FrameEvent::Payload(chunk))) => {
                    let (h, payload) = current.as_mut().expect("payload outside a frame");
                    assert!(!chunk.data.is_empty(), "empty payload chunk");
                    assert_eq!(chunk.mask, h.mask);
                    assert_eq!(chunk.offset, payload.len() as u64, "non-contiguous chunk");
                    assert_eq!(before - input.len(), chunk.data.len());
                    chunk.unmask_into(payload);
                    assert!(payload.len() as u64 <= h.payload_len, "payload overran");
                }
                Ok(Some(FrameEvent::End(h))) => {
                    let (header, payload) = current.take().expect("end outside a frame");
                    assert_eq!(h, header);
                    assert_eq!(payload.len() as u64, h.payload_len);
                    frames.push(Frame { header, payload });
                }
                Err(e) => {
                    check_stays_failed(dec, &e);
                    return (frames, Ending::Error(e));
                }
            }
        }
    }
    (frames, Ending::NeedMore(dec.bytes_needed().max(1)))
}

/// Once failed, a decoder returns the same error whatever it is given.
pub fn check_stays_failed(dec: &mut FrameDecoder, err: &FrameError) {
    let mut empty: &[u8] = &[];
    assert_eq!(dec.next_event(&mut empty).as_ref().err(), Some(err));
    let mut more: &[u8] = &[0x81, 0x00];
    assert_eq!(dec.decode(&mut more).as_ref().err(), Some(err));
}

/// Decodes `pieces` with [`FrameDecoder::decode`] (whole frames).
pub fn decode_frames(dec: &mut FrameDecoder, pieces: &[&[u8]]) -> (Vec<Frame>, Ending) {
    let mut frames = Vec::new();
    let mut last_need = 2;
    for piece in pieces {
        let mut input = *piece;
        loop {
            match dec.decode(&mut input) {
                Ok(Decoded::Frame(f)) => {
                    assert_eq!(f.payload.len() as u64, f.header.payload_len);
                    frames.push(f);
                }
                Ok(Decoded::NeedMore(n)) => {
                    assert!(input.is_empty(), "NeedMore with input left");
                    last_need = n;
                    break;
                }
                Err(e) => {
                    check_stays_failed(dec, &e);
                    return (frames, Ending::Error(e));
                }
            }
        }
    }
    (frames, Ending::NeedMore(last_need))
}

/// The target.
pub fn run(data: &[u8]) {
    let mut r = Reader::new(data);
    let flags = r.byte();
    let wire = r.rest();
    let (_, cfg) = config(flags);
    let read = READ_SIZES[usize::from(flags >> 5)];
    let sizes = [read];
    let plan = if flags >> 5 < 2 {
        ChunkPlan::default()
    } else {
        ChunkPlan::new(&sizes)
    };
    let pieces = plan.split(wire);

    let expected = model::decode_all(&cfg, wire);
    let streamed = stream_frames(&mut decoder(&cfg), &pieces);
    assert_eq!(streamed, expected, "next_event disagrees with the model");
    let decoded = decode_frames(&mut decoder(&cfg), &pieces);
    assert_eq!(decoded, expected, "decode disagrees with the model");
}
