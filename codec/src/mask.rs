//! Payload masking (RFC 6455 §5.3): `out[i] = in[i] ^ key[(offset + i) % 4]`.
//!
//! The fast path XORs 32 bytes at a time with a mask word built from the key rotated to
//! the start offset; LLVM turns the fixed-size inner loop into vector instructions, so
//! no `unsafe` is needed. [`apply_mask_reference`] is the byte-at-a-time definition the
//! property tests compare against.

/// The key rotated so that byte 0 of the returned key applies to payload byte `offset`.
/// A rotate of one `u32` rather than of a 4-byte slice, which is not folded into a
/// register and costs more than masking a short payload.
#[inline]
fn rotated(key: [u8; 4], offset: usize) -> [u8; 4] {
    u32::from_le_bytes(key)
        .rotate_right(8 * (offset % 4) as u32)
        .to_le_bytes()
}

/// Masks (or unmasks: the operation is its own inverse) `buf` in place, as payload bytes
/// starting at position `offset` of the frame.
#[inline]
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let k = rotated(key, offset);
    let short = u32::from_ne_bytes(k);
    let word = u64::from(short) | (u64::from(short) << 32);
    let mut blocks = buf.chunks_exact_mut(32);
    for block in &mut blocks {
        for lane in block.chunks_exact_mut(8) {
            let v = u64::from_ne_bytes(lane.try_into().expect("8-byte lane"));
            lane.copy_from_slice(&(v ^ word).to_ne_bytes());
        }
    }
    // Blocks and words are whole key periods, so each tail starts at key[0]. Short
    // payloads (most control and chat frames) live entirely in these tails.
    let mut words = blocks.into_remainder().chunks_exact_mut(4);
    for w in &mut words {
        let v = u32::from_ne_bytes(w.try_into().expect("4-byte word"));
        w.copy_from_slice(&(v ^ short).to_ne_bytes());
    }
    for (b, m) in words.into_remainder().iter_mut().zip(k) {
        *b ^= m;
    }
}

/// Appends `src` masked with `key` (as payload bytes starting at `offset`) to `dst`: the
/// copy and the XOR in one pass, for the decoder's receive path.
#[inline]
pub fn extend_masked(dst: &mut Vec<u8>, src: &[u8], key: [u8; 4], offset: usize) {
    let start = dst.len();
    dst.extend_from_slice(src);
    apply_mask(&mut dst[start..], key, offset);
}

/// The byte-at-a-time definition from RFC 6455 §5.3. Used by tests and benchmarks only.
pub fn apply_mask_reference(buf: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b ^= key[(offset + i) % 4];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_5_7_masked_hello() {
        let mut payload = *b"Hello";
        apply_mask(&mut payload, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(payload, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    }

    #[test]
    fn masking_from_an_offset_continues_the_key_rotation() {
        let key = [1, 2, 3, 4];
        let mut whole: Vec<u8> = (0..100).collect();
        let mut parts = whole.clone();
        apply_mask(&mut whole, key, 0);
        let (a, b) = parts.split_at_mut(37);
        apply_mask(a, key, 0);
        apply_mask(b, key, 37);
        assert_eq!(whole, parts);
    }
}
