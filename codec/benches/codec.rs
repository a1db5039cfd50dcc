//! Speed of the reference codec against baselines measured in the same run (issue #3).
//!
//! - `mask/*`: in-place masking (RFC 6455 §5.3) at 16 B, 1 KiB, 64 KiB and 1 MiB against
//!   `memcpy` of the same buffer (the memory-bandwidth ceiling), the byte-at-a-time
//!   reference and `fastwebsockets::unmask`.
//! - `decode_small_frames/*`: a stream of masked binary frames with 20-byte payloads, as a
//!   server receives them (frames/s); `decode_1mib_frames/*`: a stream of eight masked
//!   1 MiB frames (B/s).
//!   Both sides parse the header, check it, unmask and hand back an owned payload: ours via
//!   [`FrameDecoder::decode`] over the byte slice, tungstenite via its server-role
//!   `WebSocket::read` over a reader of the same bytes (its public `FrameSocket` neither
//!   checks nor unmasks, so it would do less work).
//! - `utf8/*`: [`Utf8Validator::feed`] + `finish` against `std::str::from_utf8`, on ASCII
//!   and on mixed 1–4-byte text.
//!
//! Every pair is first checked to compute the same result, outside the timed loops.
//! Run: `cargo bench -p wsspec-codec --bench codec -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;
use std::io::{self, Read, Write};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tungstenite::protocol::{Role as TungsteniteRole, WebSocket};
use tungstenite::Message;
use wsspec_codec::decode::{Decoded, FrameDecoder};
use wsspec_codec::mask::{apply_mask, apply_mask_reference};
use wsspec_codec::message::Utf8Validator;
use wsspec_codec::{Frame, FrameHeader, Limits, Opcode, Role};

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// Deterministic pseudo-random bytes (xorshift64), so every run measures the same input.
fn pseudo_random_bytes(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

fn bench_mask(c: &mut Criterion) {
    let mut group = c.benchmark_group("mask");
    for size in [16usize, 1 << 10, 64 << 10, 1 << 20] {
        let src = pseudo_random_bytes(size, size as u64 + 1);

        // Same result from all three maskers before anything is timed.
        let mut expected = src.clone();
        apply_mask_reference(&mut expected, KEY, 0);
        let mut ours = src.clone();
        apply_mask(&mut ours, KEY, 0);
        let mut theirs = src.clone();
        fastwebsockets::unmask(&mut theirs, KEY);
        assert_eq!(ours, expected, "wsspec apply_mask at {size} B");
        assert_eq!(theirs, expected, "fastwebsockets::unmask at {size} B");

        group.throughput(Throughput::Bytes(size as u64));
        // Masking in place reads and writes each byte once, as a copy does.
        let mut dst = vec![0u8; size];
        group.bench_with_input(BenchmarkId::new("memcpy", size), &src, |b, src| {
            b.iter(|| {
                dst.copy_from_slice(black_box(src));
                black_box(&mut dst);
            })
        });
        let mut buf = src.clone();
        group.bench_function(BenchmarkId::new("wsspec", size), |b| {
            b.iter(|| apply_mask(black_box(&mut buf), black_box(KEY), 0))
        });
        group.bench_function(BenchmarkId::new("fastwebsockets", size), |b| {
            b.iter(|| fastwebsockets::unmask(black_box(&mut buf), black_box(KEY)))
        });
        group.bench_function(BenchmarkId::new("reference", size), |b| {
            b.iter(|| apply_mask_reference(black_box(&mut buf), black_box(KEY), 0))
        });
    }
    group.finish();
}

/// `count` masked final binary frames with `payload_len`-byte payloads, back to back, and
/// the payloads unmasked.
fn masked_stream(count: usize, payload_len: usize) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut wire = Vec::new();
    let mut payloads = Vec::with_capacity(count);
    for i in 0..count {
        let payload = pseudo_random_bytes(payload_len, i as u64 + 7);
        let key = [i as u8, 0x5a, (i >> 8) as u8, 0xc3];
        let mut header = FrameHeader::new(Opcode::Binary, payload_len as u64);
        header.mask = Some(key);
        Frame {
            header,
            payload: payload.clone(),
        }
        .encode(&mut wire);
        payloads.push(payload);
    }
    (wire, payloads)
}

/// Our side: every whole frame in `wire`, decoded as a server decodes a client's frames.
fn decode_wsspec(wire: &[u8], mut each: impl FnMut(Vec<u8>)) {
    let mut decoder = FrameDecoder::new(Role::Server, Limits::default());
    let mut input = wire;
    while !input.is_empty() {
        match decoder.decode(&mut input) {
            Ok(Decoded::Frame(frame)) => each(frame.payload),
            other => panic!("wsspec decoder: unexpected {other:?}"),
        }
    }
}

/// The bytes a client sent, as a stream tungstenite's `WebSocket` can own; nothing is
/// ever written back in these benches (no pings, no close), and writes are discarded.
struct Inbound<'a>(&'a [u8]);

impl Read for Inbound<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Inbound<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// tungstenite's side: `count` binary messages read by a server-role `WebSocket`.
fn decode_tungstenite(wire: &[u8], count: usize, mut each: impl FnMut(tungstenite::Bytes)) {
    let mut socket = WebSocket::from_raw_socket(Inbound(wire), TungsteniteRole::Server, None);
    for _ in 0..count {
        match socket.read() {
            Ok(Message::Binary(payload)) => each(payload),
            other => panic!("tungstenite: unexpected {other:?}"),
        }
    }
}

fn check_decoders_agree(wire: &[u8], payloads: &[Vec<u8>]) {
    let mut ours = Vec::new();
    decode_wsspec(wire, |p| ours.push(p));
    let mut theirs = Vec::new();
    decode_tungstenite(wire, payloads.len(), |p| theirs.push(p.to_vec()));
    assert_eq!(ours, payloads, "wsspec decoded payloads");
    assert_eq!(theirs, payloads, "tungstenite decoded payloads");
}

fn bench_decode(c: &mut Criterion) {
    const SMALL_FRAMES: usize = 10_000;
    let (wire, payloads) = masked_stream(SMALL_FRAMES, 20);
    check_decoders_agree(&wire, &payloads);
    let mut group = c.benchmark_group("decode_small_frames");
    group.throughput(Throughput::Elements(SMALL_FRAMES as u64));
    group.bench_function("wsspec", |b| {
        b.iter(|| decode_wsspec(black_box(&wire), |p| drop(black_box(p))))
    });
    group.bench_function("tungstenite", |b| {
        b.iter(|| decode_tungstenite(black_box(&wire), SMALL_FRAMES, |p| drop(black_box(p))))
    });
    group.finish();

    const BIG_FRAMES: usize = 8;
    let (wire, payloads) = masked_stream(BIG_FRAMES, 1 << 20);
    check_decoders_agree(&wire, &payloads);
    let mut group = c.benchmark_group("decode_1mib_frames");
    group.throughput(Throughput::Bytes((BIG_FRAMES << 20) as u64));
    group.bench_function("wsspec", |b| {
        b.iter(|| decode_wsspec(black_box(&wire), |p| drop(black_box(p))))
    });
    group.bench_function("tungstenite", |b| {
        b.iter(|| decode_tungstenite(black_box(&wire), BIG_FRAMES, |p| drop(black_box(p))))
    });
    group.finish();
}

/// About `len` bytes of text mixing 1-, 2-, 3- and 4-byte UTF-8 sequences.
fn mixed_text(len: usize) -> String {
    const WORDS: [&str; 8] = [
        "hello ",
        "Grüße ",
        "καλημέρα ",
        "こんにちは ",
        "Привет ",
        "🦀🚀 ",
        "naïve café ",
        "中文字符 ",
    ];
    let mut text = String::with_capacity(len + 32);
    let mut i = 0usize;
    while text.len() < len {
        text.push_str(WORDS[(i * 5 + i / 8) % WORDS.len()]);
        i += 1;
    }
    text
}

fn validate_wsspec(bytes: &[u8]) -> bool {
    let mut validator = Utf8Validator::new();
    validator.feed(bytes).is_ok() && validator.finish().is_ok()
}

fn bench_utf8(c: &mut Criterion) {
    const LEN: usize = 64 << 10;
    let ascii: String = pseudo_random_bytes(LEN, 3)
        .into_iter()
        .map(|b| char::from(b' ' + b % 95))
        .collect();
    let mixed = mixed_text(LEN);
    let mut group = c.benchmark_group("utf8");
    for (name, text) in [("ascii", ascii), ("mixed", mixed)] {
        let bytes = text.into_bytes();
        assert!(validate_wsspec(&bytes) && std::str::from_utf8(&bytes).is_ok());
        let mut broken = bytes.clone();
        broken[bytes.len() / 2] = 0xff;
        assert!(!validate_wsspec(&broken) && std::str::from_utf8(&broken).is_err());

        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::new("wsspec", name), &bytes, |b, bytes| {
            b.iter(|| validate_wsspec(black_box(bytes)))
        });
        group.bench_with_input(BenchmarkId::new("std", name), &bytes, |b, bytes| {
            b.iter(|| std::str::from_utf8(black_box(bytes)).is_ok())
        });
    }
    group.finish();
}

criterion_group!(benches, bench_mask, bench_decode, bench_utf8);
criterion_main!(benches);
