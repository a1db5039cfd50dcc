//! `inflate`: permessage-deflate (RFC 7692 §7.2) under arbitrary agreed parameters.
//!
//! Two modes, chosen by bit 0 of the first byte:
//!
//! - **decode** (0): arbitrary bytes as the payload of two consecutive compressed
//!   messages, inflated under a message limit. The output never exceeds the limit and
//!   its buffer never grows past one byte beyond it (a decompression bomb is an error,
//!   not an allocation); one read and arbitrary pieces agree on success and, when they
//!   succeed or both stop at the limit, on every output byte.
//!   Layout: `flags` (bits 1–3 the limit, [`crate::input::MAX_MESSAGE`]; bit 4 the
//!   receiving role), `params` (bit 0 server_no_context_takeover, bit 1
//!   client_no_context_takeover, bits 2–4 / 5–7 server / client window bits − 8), a
//!   chunk plan, then the compressed bytes.
//! - **round trip** (1): messages built with `arbitrary` are compressed by one side and
//!   inflated, in arbitrary pieces, by the other: each comes back unchanged, or, when
//!   larger than the limit, is refused with "message too big".

use arbitrary::{Arbitrary, Unstructured};
use wsspec_codec::deflate::{DeflateConfig, DeflateError, PerMessageDeflate};
use wsspec_codec::frame::Role;

use crate::input::{ChunkPlan, Reader, MAX_MESSAGE};

fn config(params: u8) -> DeflateConfig {
    DeflateConfig {
        server_no_context_takeover: params & 1 != 0,
        client_no_context_takeover: params & 2 != 0,
        server_max_window_bits: 8 + ((params >> 2) & 7),
        client_max_window_bits: 8 + (params >> 5),
    }
}

/// Inflates one message from `pieces`, checking the bound after every call.
fn inflate_message(
    d: &mut PerMessageDeflate,
    pieces: &[&[u8]],
    max: usize,
) -> (Result<(), DeflateError>, Vec<u8>) {
    let mut out = Vec::new();
    let mut result = Ok(());
    for piece in pieces {
        result = d.decompress(piece, &mut out, max);
        check_bound(&out, max);
        if result.is_err() {
            return (result, out);
        }
    }
    if result.is_ok() {
        result = d.finish_message(&mut out, max);
        check_bound(&out, max);
    }
    (result, out)
}

fn check_bound(out: &[u8], max: usize) {
    assert!(
        out.len() <= max,
        "inflated {} bytes past the {max}-byte limit",
        out.len()
    );
}

fn check_capacity(out: &Vec<u8>, max: usize) {
    assert!(
        out.capacity() <= max.saturating_add(1),
        "output buffer grew to {} bytes under a {max}-byte limit",
        out.capacity()
    );
}

fn decode_mode(data: &[u8]) {
    let mut r = Reader::new(data);
    let flags = r.byte();
    let params = r.byte();
    let plan = r.plan();
    let compressed = r.rest();
    let max = MAX_MESSAGE[usize::from(flags >> 1) & 7];
    let role = if flags & 0x10 == 0 {
        Role::Server
    } else {
        Role::Client
    };
    let cfg = config(params);
    let mut whole = PerMessageDeflate::new(role, cfg);
    let mut split = PerMessageDeflate::new(role, cfg);
    let pieces = plan.split(compressed);
    // Two messages: the second inflates with whatever context the first left.
    for _ in 0..2 {
        let (a, out_a) = inflate_message(&mut whole, &[compressed], max);
        let (b, out_b) = inflate_message(&mut split, &pieces, max);
        check_capacity(&out_a, max);
        check_capacity(&out_b, max);
        assert_eq!(a.is_ok(), b.is_ok(), "one read: {a:?}; in pieces: {b:?}");
        let too_big =
            |r: &Result<(), DeflateError>| matches!(r, Err(DeflateError::MessageTooBig { .. }));
        if a.is_ok() || (too_big(&a) && too_big(&b)) {
            assert_eq!(out_a, out_b, "one read and pieces inflate differently");
        }
        if a.is_err() || b.is_err() {
            // The state after an error is undefined (the connection is failed).
            return;
        }
    }
}

#[derive(Debug, Arbitrary)]
struct RoundTrip {
    sender_is_client: bool,
    params: u8,
    level: u8,
    limit: u8,
    messages: Vec<(Vec<u8>, Vec<u8>)>,
}

fn round_trip_mode(data: &[u8]) {
    let Ok(case) = RoundTrip::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let sender = if case.sender_is_client {
        Role::Client
    } else {
        Role::Server
    };
    let cfg = config(case.params);
    let max = MAX_MESSAGE[usize::from(case.limit) % MAX_MESSAGE.len()];
    let mut tx = PerMessageDeflate::new(sender, cfg).with_level(u32::from(case.level % 10));
    let mut rx = PerMessageDeflate::new(sender.peer(), cfg);
    for (message, cuts) in &case.messages {
        let mut compressed = Vec::new();
        tx.compress(message, &mut compressed);
        let pieces = ChunkPlan::new(cuts).split(&compressed);
        let (result, out) = inflate_message(&mut rx, &pieces, max);
        if message.len() <= max {
            assert_eq!(result, Ok(()), "a compressed message failed to inflate");
            assert_eq!(out, *message, "message did not survive compression");
        } else {
            assert_eq!(result, Err(DeflateError::MessageTooBig { limit: max }));
            assert_eq!(
                out,
                message[..max],
                "the inflated prefix is not the message's"
            );
            return;
        }
    }
}

/// The target.
pub fn run(data: &[u8]) {
    match data.first() {
        Some(b) if b & 1 == 1 => round_trip_mode(&data[1..]),
        _ => decode_mode(data),
    }
}
