//! permessage-deflate (RFC 7692): negotiation rules, the RFC's payload examples, the
//! inflate limit, and round-trip properties checked against an independent DEFLATE
//! decoder (which also proves the agreed window sizes are respected).

use proptest::prelude::*;
use wsspec_codec::deflate::{
    check_rsv1, negotiate_client, negotiate_client_extensions, negotiate_server, DeflateConfig,
    DeflateError, DeflateOffer, PerMessageDeflate, ServerDeflatePolicy, EMPTY_BLOCK_TAIL,
    INFLATE_STEP,
};
use wsspec_codec::handshake::{parse_extensions, ExtensionOffer};
use wsspec_codec::{CloseCode, Opcode, Role};

// ---------------------------------------------------------------------------------------
// Helpers

fn ext(header: &str) -> ExtensionOffer {
    let mut all = parse_extensions(header).expect("test header parses");
    assert_eq!(all.len(), 1, "{header}");
    all.remove(0)
}

fn server(header: &str) -> Option<(DeflateConfig, String)> {
    server_with(header, &ServerDeflatePolicy::default())
}

fn server_with(header: &str, policy: &ServerDeflatePolicy) -> Option<(DeflateConfig, String)> {
    let offers = parse_extensions(header).expect("test header parses");
    negotiate_server(&offers, policy).map(|(config, response)| (config, response.to_string()))
}

fn client(response: &str, offered: &[DeflateOffer]) -> Result<DeflateConfig, DeflateError> {
    negotiate_client(&ext(response), offered)
}

fn config(snct: bool, cnct: bool, sbits: u8, cbits: u8) -> DeflateConfig {
    DeflateConfig {
        server_no_context_takeover: snct,
        client_no_context_takeover: cnct,
        server_max_window_bits: sbits,
        client_max_window_bits: cbits,
    }
}

/// Inflates one whole message with no limit to speak of.
fn inflate(rx: &mut PerMessageDeflate, payload: &[u8]) -> Result<Vec<u8>, DeflateError> {
    let mut out = Vec::new();
    rx.decompress(payload, &mut out, usize::MAX)?;
    rx.finish_message(&mut out, usize::MAX)?;
    Ok(out)
}

fn deflate(tx: &mut PerMessageDeflate, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    tx.compress(payload, &mut out);
    out
}

/// Deterministic mid-entropy bytes (xorshift), so tests need no RNG.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// JSON-like ASCII with plenty of repetition at short and long distances.
fn text(seed: u64, len: usize) -> Vec<u8> {
    let words = noise(seed, len / 4 + 8);
    let mut s = Vec::with_capacity(len + 64);
    let mut i = 0;
    while s.len() < len {
        let w = words[i % words.len()];
        s.extend_from_slice(
            format!(
                "{{\"id\":{},\"name\":\"user{}\",\"ok\":{}}},",
                w,
                w % 17,
                w % 2 == 0
            )
            .as_bytes(),
        );
        i += 1;
    }
    s.truncate(len);
    s
}

// ---------------------------------------------------------------------------------------
// An independent DEFLATE decoder (RFC 1951), used as the oracle. It decodes bit by bit,
// slowly and simply, and reports the largest back-reference distance and whether any
// block was not a stored block.

struct RefInflate<'a> {
    data: &'a [u8],
    bit: usize,
}

struct Decoded {
    /// `history` followed by the decoded bytes.
    out: Vec<u8>,
    max_distance: usize,
    only_stored_blocks: bool,
}

const LEN_BASE: [usize; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEN_EXTRA: [u32; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [usize; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u32; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

/// A canonical Huffman code: how many codes of each length, and the symbols in order.
struct Huffman {
    counts: [u16; 16],
    symbols: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Huffman {
        let mut counts = [0u16; 16];
        for &l in lengths {
            counts[l as usize] += 1;
        }
        counts[0] = 0;
        let mut symbols = Vec::new();
        for len in 1..16u8 {
            for (sym, &l) in lengths.iter().enumerate() {
                if l == len {
                    symbols.push(sym as u16);
                }
            }
        }
        Huffman { counts, symbols }
    }
}

impl<'a> RefInflate<'a> {
    fn bits(&mut self, n: u32) -> Result<usize, String> {
        let mut v = 0;
        for i in 0..n {
            let byte = *self
                .data
                .get(self.bit / 8)
                .ok_or("unexpected end of data")?;
            v |= (((byte >> (self.bit % 8)) & 1) as usize) << i;
            self.bit += 1;
        }
        Ok(v)
    }

    fn decode(&mut self, h: &Huffman) -> Result<usize, String> {
        // Canonical codes: within a length, codes are consecutive and start where the
        // previous length's codes ended, shifted left by one.
        let (mut code, mut first, mut index) = (0usize, 0usize, 0usize);
        for len in 1..16 {
            code |= self.bits(1)?;
            let count = h.counts[len] as usize;
            if code < first + count {
                return Ok(h.symbols[index + code - first] as usize);
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        Err("invalid Huffman code".into())
    }

    /// Decodes blocks until the data ends at a byte boundary after a stored block (as a
    /// permessage-deflate payload plus `00 00 ff ff` does) or a final block ends.
    fn run(data: &'a [u8], history: &[u8]) -> Result<Decoded, String> {
        let mut r = RefInflate { data, bit: 0 };
        let mut out = history.to_vec();
        let (mut max_distance, mut only_stored_blocks) = (0, true);
        loop {
            let last = r.bits(1)? == 1;
            match r.bits(2)? {
                0 => {
                    r.bit = r.bit.div_ceil(8) * 8;
                    let len = r.bits(16)?;
                    let nlen = r.bits(16)?;
                    if len != !nlen & 0xffff {
                        return Err("stored block LEN/NLEN mismatch".into());
                    }
                    for _ in 0..len {
                        out.push(r.bits(8)? as u8);
                    }
                }
                kind @ (1 | 2) => {
                    only_stored_blocks = false;
                    let (lit, dist) = if kind == 1 {
                        let mut l = [8u8; 288];
                        l[144..256].fill(9);
                        l[256..280].fill(7);
                        (Huffman::new(&l), Huffman::new(&[5u8; 30]))
                    } else {
                        r.dynamic_tables()?
                    };
                    loop {
                        let sym = r.decode(&lit)?;
                        match sym {
                            0..=255 => out.push(sym as u8),
                            256 => break,
                            257..=285 => {
                                let i = sym - 257;
                                let len = LEN_BASE[i] + r.bits(LEN_EXTRA[i])?;
                                let d = r.decode(&dist)?;
                                if d >= 30 {
                                    return Err("invalid distance code".into());
                                }
                                let distance = DIST_BASE[d] + r.bits(DIST_EXTRA[d])?;
                                if distance > out.len() {
                                    return Err("distance before start of data".into());
                                }
                                max_distance = max_distance.max(distance);
                                for _ in 0..len {
                                    out.push(out[out.len() - distance]);
                                }
                            }
                            _ => return Err("invalid literal/length code".into()),
                        }
                    }
                }
                _ => return Err("reserved block type".into()),
            }
            if last || (r.bit % 8 == 0 && r.bit == data.len() * 8) {
                break;
            }
        }
        Ok(Decoded {
            out,
            max_distance,
            only_stored_blocks,
        })
    }

    fn dynamic_tables(&mut self) -> Result<(Huffman, Huffman), String> {
        let hlit = self.bits(5)? + 257;
        let hdist = self.bits(5)? + 1;
        let hclen = self.bits(4)? + 4;
        const ORDER: [usize; 19] = [
            16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
        ];
        let mut cl = [0u8; 19];
        for &i in &ORDER[..hclen] {
            cl[i] = self.bits(3)? as u8;
        }
        let clh = Huffman::new(&cl);
        let mut lengths = Vec::with_capacity(hlit + hdist);
        while lengths.len() < hlit + hdist {
            match self.decode(&clh)? {
                sym @ 0..=15 => lengths.push(sym as u8),
                16 => {
                    let prev = *lengths.last().ok_or("repeat with no previous length")?;
                    let n = 3 + self.bits(2)?;
                    lengths.resize(lengths.len() + n, prev);
                }
                17 => {
                    let n = 3 + self.bits(3)?;
                    lengths.resize(lengths.len() + n, 0);
                }
                _ => {
                    let n = 11 + self.bits(7)?;
                    lengths.resize(lengths.len() + n, 0);
                }
            }
        }
        if lengths.len() != hlit + hdist {
            return Err("code lengths overrun".into());
        }
        Ok((
            Huffman::new(&lengths[..hlit]),
            Huffman::new(&lengths[hlit..]),
        ))
    }
}

/// Decodes a compressed message the way a receiver does (payload + `00 00 ff ff`).
fn reference_inflate(payload: &[u8], history: &[u8]) -> Result<Decoded, String> {
    let mut data = payload.to_vec();
    data.extend_from_slice(&EMPTY_BLOCK_TAIL);
    RefInflate::run(&data, history)
}

#[test]
fn reference_decoder_agrees_with_rfc7692_7_2_3_1_example() {
    let d = reference_inflate(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], &[]).unwrap();
    assert_eq!(d.out, b"Hello");
    assert!(!d.only_stored_blocks);
}

// ---------------------------------------------------------------------------------------
// Negotiation: the offers Autobahn's section 13 sends (AUTOBAHN-CATALOG §1.10)

const AB_BASE: &str = "permessage-deflate; client_no_context_takeover; client_max_window_bits";

#[test]
fn autobahn_offers_are_built_exactly() {
    let base = DeflateOffer::autobahn_default();
    let cases = [
        (base, String::new()),
        (
            base.with_server_no_context_takeover(),
            "; server_no_context_takeover".into(),
        ),
        (
            base.with_server_max_window_bits(9),
            "; server_max_window_bits=9".into(),
        ),
        (
            base.with_server_max_window_bits(15),
            "; server_max_window_bits=15".into(),
        ),
        (
            base.with_server_no_context_takeover()
                .with_server_max_window_bits(9),
            "; server_no_context_takeover; server_max_window_bits=9".into(),
        ),
    ];
    for (offer, suffix) in cases {
        let expected = format!("{AB_BASE}{suffix}");
        assert_eq!(offer.to_extension().to_string(), expected);
        assert_eq!(DeflateOffer::parse(&ext(&expected)), Ok(offer));
    }
}

#[test]
fn rfc7692_5_1_autobahn_13_offers_accepted_by_default_policy() {
    let cases = [
        ("", "permessage-deflate", config(false, false, 15, 15)),
        (
            "; server_no_context_takeover",
            "permessage-deflate; server_no_context_takeover",
            config(true, false, 15, 15),
        ),
        (
            "; server_max_window_bits=9",
            "permessage-deflate; server_max_window_bits=9",
            config(false, false, 9, 15),
        ),
        (
            "; server_max_window_bits=15",
            "permessage-deflate; server_max_window_bits=15",
            config(false, false, 15, 15),
        ),
        (
            "; server_no_context_takeover; server_max_window_bits=9",
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=9",
            config(true, false, 9, 15),
        ),
        (
            "; server_no_context_takeover; server_max_window_bits=15",
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=15",
            config(true, false, 15, 15),
        ),
    ];
    for (suffix, response, agreed) in cases {
        let header = format!("{AB_BASE}{suffix}");
        let (cfg, resp) = server(&header).expect("offer accepted");
        assert_eq!(resp, response, "{header}");
        assert_eq!(cfg, agreed, "{header}");
        // The client side agrees, adding its own client_no_context_takeover promise.
        let offer = DeflateOffer::parse(&ext(&header)).unwrap();
        let client_cfg = client(&resp, &[offer]).unwrap();
        assert_eq!(
            client_cfg,
            DeflateConfig {
                client_no_context_takeover: true,
                ..agreed
            }
        );
    }
}

#[test]
fn rfc7692_5_1_first_acceptable_of_three_offers_wins_autobahn_13_7() {
    let header = format!(
        "{AB_BASE}; server_no_context_takeover; server_max_window_bits=9, \
         {AB_BASE}; server_no_context_takeover, {AB_BASE}"
    );
    let (cfg, resp) = server(&header).unwrap();
    assert_eq!(
        resp,
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=9"
    );
    assert_eq!(cfg, config(true, false, 9, 15));

    // A policy refusing server_no_context_takeover skips to the third offer.
    let policy = ServerDeflatePolicy {
        accept_server_no_context_takeover: false,
        ..Default::default()
    };
    let (cfg, resp) = server_with(&header, &policy).unwrap();
    assert_eq!(resp, "permessage-deflate");
    assert_eq!(cfg, config(false, false, 15, 15));

    // The client accepts that answer as one to the third offer it made.
    let offers: Vec<DeflateOffer> = parse_extensions(&header)
        .unwrap()
        .iter()
        .map(|e| DeflateOffer::parse(e).unwrap())
        .collect();
    assert_eq!(
        client("permessage-deflate", &offers),
        Ok(config(false, true, 15, 15))
    );
}

// ---------------------------------------------------------------------------------------
// Negotiation: the server declines invalid offers (§7) and takes the next one

#[test]
fn rfc7692_7_server_declines_offer_with_unknown_parameter() {
    assert_eq!(server("permessage-deflate; foo"), None);
    assert_eq!(
        DeflateOffer::parse(&ext("permessage-deflate; foo=1")),
        Err(DeflateError::UnknownParameter("foo".into()))
    );
    let (_, resp) = server("permessage-deflate; foo, permessage-deflate").unwrap();
    assert_eq!(resp, "permessage-deflate");
}

#[test]
fn rfc7692_7_server_declines_offer_with_duplicate_parameter() {
    for dup in [
        "server_no_context_takeover; server_no_context_takeover",
        "client_no_context_takeover; client_no_context_takeover",
        "server_max_window_bits=10; server_max_window_bits=10",
        "client_max_window_bits; client_max_window_bits=10",
    ] {
        let header = format!("permessage-deflate; {dup}");
        assert_eq!(server(&header), None, "{header}");
        assert!(matches!(
            DeflateOffer::parse(&ext(&header)),
            Err(DeflateError::DuplicateParameter(_))
        ));
    }
}

#[test]
fn rfc7692_7_1_1_context_takeover_parameters_take_no_value() {
    for header in [
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; client_no_context_takeover=\"x\"",
    ] {
        assert!(matches!(
            DeflateOffer::parse(&ext(header)),
            Err(DeflateError::UnexpectedValue { .. })
        ));
        assert_eq!(server(header), None, "{header}");
    }
}

#[test]
fn rfc7692_7_1_2_window_bits_are_8_to_15_without_leading_zeroes() {
    for bad in ["7", "16", "0", "08", "015", "+9", "9a", "-9", "255", "1000"] {
        for name in ["server_max_window_bits", "client_max_window_bits"] {
            let header = format!("permessage-deflate; {name}={bad}");
            assert_eq!(
                DeflateOffer::parse(&ext(&header)),
                Err(DeflateError::InvalidWindowBits {
                    name: name.into(),
                    value: Some(bad.into())
                }),
                "{header}"
            );
            assert_eq!(server(&header), None, "{header}");
        }
    }
    for good in 8..=15u8 {
        let header = format!("permessage-deflate; client_max_window_bits={good}");
        assert_eq!(
            DeflateOffer::parse(&ext(&header)).map(|o| o.client_max_window_bits()),
            Ok(Some(Some(good)))
        );
    }
}

#[test]
fn rfc7692_7_1_2_1_server_max_window_bits_needs_a_value() {
    assert_eq!(
        DeflateOffer::parse(&ext("permessage-deflate; server_max_window_bits")),
        Err(DeflateError::InvalidWindowBits {
            name: "server_max_window_bits".into(),
            value: None
        })
    );
}

#[test]
fn rfc6455_9_1_quoted_parameter_values_are_accepted() {
    let (cfg, resp) =
        server("permessage-deflate; server_max_window_bits=\"10\"; client_max_window_bits=\"12\"")
            .unwrap();
    assert_eq!(
        resp,
        "permessage-deflate; server_max_window_bits=10; client_max_window_bits=12"
    );
    assert_eq!(cfg, config(false, false, 10, 12));
    let offer = DeflateOffer::new()
        .with_server_max_window_bits(10)
        .with_client_max_window_bits(Some(12));
    assert_eq!(
        client("permessage-deflate; server_max_window_bits=\"9\"", &[offer]),
        Ok(config(false, false, 9, 12))
    );
}

#[test]
fn rfc7692_5_1_other_extensions_are_skipped() {
    let (_, resp) =
        server("x-webkit-deflate-frame, permessage-deflate; client_max_window_bits").unwrap();
    assert_eq!(resp, "permessage-deflate");
    assert_eq!(server("x-webkit-deflate-frame"), None);
    assert_eq!(
        DeflateOffer::parse(&ext("x-webkit-deflate-frame")),
        Err(DeflateError::NotPermessageDeflate(
            "x-webkit-deflate-frame".into()
        ))
    );
}

// ---------------------------------------------------------------------------------------
// Negotiation: server policy

#[test]
fn rfc7692_7_1_2_1_server_answers_same_or_smaller_window() {
    let policy = ServerDeflatePolicy {
        server_max_window_bits: 10,
        ..Default::default()
    };
    let answer = |h: &str| server_with(h, &policy).unwrap().1;
    assert_eq!(
        answer("permessage-deflate"),
        "permessage-deflate; server_max_window_bits=10"
    );
    assert_eq!(
        answer("permessage-deflate; server_max_window_bits=12"),
        "permessage-deflate; server_max_window_bits=10"
    );
    assert_eq!(
        answer("permessage-deflate; server_max_window_bits=9"),
        "permessage-deflate; server_max_window_bits=9"
    );
}

#[test]
fn rfc7692_7_1_2_1_server_declines_window_bits_8_by_default() {
    assert_eq!(server("permessage-deflate; server_max_window_bits=8"), None);
    let (cfg, resp) =
        server("permessage-deflate; server_max_window_bits=8, permessage-deflate").unwrap();
    assert_eq!(resp, "permessage-deflate");
    assert_eq!(cfg.server_max_window_bits, 15);

    let policy = ServerDeflatePolicy {
        accept_server_max_window_bits_8: true,
        ..Default::default()
    };
    let (cfg, resp) = server_with("permessage-deflate; server_max_window_bits=8", &policy).unwrap();
    assert_eq!(resp, "permessage-deflate; server_max_window_bits=8");
    assert_eq!(cfg.server_max_window_bits, 8);
}

#[test]
fn rfc7692_7_1_1_server_policy_context_takeover() {
    let policy = ServerDeflatePolicy {
        server_no_context_takeover: true,
        request_client_no_context_takeover: true,
        ..Default::default()
    };
    let (cfg, resp) = server_with("permessage-deflate", &policy).unwrap();
    assert_eq!(
        resp,
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
    );
    assert_eq!(cfg, config(true, true, 15, 15));
    // §7.1.1.1/§7.1.1.2: both may appear in a response without being offered.
    assert_eq!(
        client(&resp, &[DeflateOffer::new()]),
        Ok(config(true, true, 15, 15))
    );
}

#[test]
fn rfc7692_7_1_2_2_server_limits_client_window_only_when_offered() {
    let policy = ServerDeflatePolicy {
        client_max_window_bits: Some(10),
        ..Default::default()
    };
    let answer = |h: &str| server_with(h, &policy).unwrap();
    // Not offered: the response must not carry it, and the client may use 15 bits.
    assert_eq!(
        answer("permessage-deflate"),
        (config(false, false, 15, 15), "permessage-deflate".into())
    );
    assert_eq!(
        answer("permessage-deflate; client_max_window_bits"),
        (
            config(false, false, 15, 10),
            "permessage-deflate; client_max_window_bits=10".into()
        )
    );
    assert_eq!(
        answer("permessage-deflate; client_max_window_bits=9").1,
        "permessage-deflate; client_max_window_bits=9"
    );
    // Default policy: the client's hint is echoed, a bare parameter is not answered.
    assert_eq!(
        server("permessage-deflate; client_max_window_bits=11")
            .unwrap()
            .1,
        "permessage-deflate; client_max_window_bits=11"
    );
    assert_eq!(
        server("permessage-deflate; client_max_window_bits")
            .unwrap()
            .1,
        "permessage-deflate"
    );
}

// ---------------------------------------------------------------------------------------
// Negotiation: the client validates the response (§7 → fail the connection)

#[test]
fn rfc7692_7_client_rejects_unknown_or_duplicate_response_parameters() {
    let offer = [DeflateOffer::autobahn_default()];
    assert_eq!(
        client("permessage-deflate; foo", &offer),
        Err(DeflateError::UnknownParameter("foo".into()))
    );
    assert_eq!(
        client(
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            &offer
        ),
        Err(DeflateError::DuplicateParameter(
            "server_no_context_takeover".into()
        ))
    );
    assert!(matches!(
        client("permessage-deflate; server_max_window_bits=16", &offer),
        Err(DeflateError::InvalidWindowBits { .. })
    ));
    assert!(matches!(
        client("permessage-deflate; client_no_context_takeover=1", &offer),
        Err(DeflateError::UnexpectedValue { .. })
    ));
}

#[test]
fn rfc7692_7_1_2_2_client_max_window_bits_in_response_needs_a_value() {
    assert_eq!(
        client(
            "permessage-deflate; client_max_window_bits",
            &[DeflateOffer::autobahn_default()]
        ),
        Err(DeflateError::InvalidWindowBits {
            name: "client_max_window_bits".into(),
            value: None
        })
    );
}

#[test]
fn rfc7692_7_1_2_2_client_rejects_client_max_window_bits_not_offered() {
    assert_eq!(
        client(
            "permessage-deflate; client_max_window_bits=10",
            &[DeflateOffer::new()]
        ),
        Err(DeflateError::ClientMaxWindowBitsNotOffered)
    );
    assert_eq!(
        client(
            "permessage-deflate; client_max_window_bits=10",
            &[DeflateOffer::autobahn_default()]
        ),
        Ok(config(false, true, 15, 10))
    );
}

#[test]
fn rfc7692_7_1_2_2_client_rejects_client_window_larger_than_offered() {
    let offer = [DeflateOffer::new().with_client_max_window_bits(Some(10))];
    assert_eq!(
        client("permessage-deflate; client_max_window_bits=11", &offer),
        Err(DeflateError::ClientMaxWindowBitsTooLarge {
            offered: 10,
            response: 11
        })
    );
    assert_eq!(
        client("permessage-deflate; client_max_window_bits=9", &offer),
        Ok(config(false, false, 15, 9))
    );
    // Without the parameter in the response the client keeps to its own hint.
    assert_eq!(
        client("permessage-deflate", &offer),
        Ok(config(false, false, 15, 10))
    );
}

#[test]
fn rfc7692_7_1_2_1_client_rejects_server_window_larger_than_requested() {
    let offer = [DeflateOffer::new().with_server_max_window_bits(10)];
    assert_eq!(
        client("permessage-deflate; server_max_window_bits=11", &offer),
        Err(DeflateError::ServerMaxWindowBitsTooLarge {
            offered: 10,
            response: 11
        })
    );
    assert_eq!(
        client("permessage-deflate", &offer),
        Err(DeflateError::ServerMaxWindowBitsMissing { offered: 10 })
    );
    assert_eq!(
        client("permessage-deflate; server_max_window_bits=8", &offer),
        Ok(config(false, false, 8, 15))
    );
    // Not requested: the server may still announce any valid window.
    assert_eq!(
        client(
            "permessage-deflate; server_max_window_bits=12",
            &[DeflateOffer::new()]
        ),
        Ok(config(false, false, 12, 15))
    );
}

#[test]
fn rfc7692_7_1_1_1_client_rejects_missing_server_no_context_takeover() {
    let offer = [DeflateOffer::new().with_server_no_context_takeover()];
    assert_eq!(
        client("permessage-deflate", &offer),
        Err(DeflateError::ServerNoContextTakeoverMissing)
    );
    assert_eq!(
        client("permessage-deflate; server_no_context_takeover", &offer),
        Ok(config(true, false, 15, 15))
    );
}

#[test]
fn rfc7692_7_client_matches_response_against_any_offer() {
    let offers = [
        DeflateOffer::new()
            .with_server_no_context_takeover()
            .with_server_max_window_bits(9),
        DeflateOffer::new()
            .with_server_max_window_bits(10)
            .with_client_max_window_bits(None),
    ];
    // Fits only the second offer.
    assert_eq!(
        client(
            "permessage-deflate; server_max_window_bits=10; client_max_window_bits=12",
            &offers
        ),
        Ok(config(false, false, 10, 12))
    );
    // Fits neither (the second asked for at most 10 bits): the error is the one
    // against the first offer.
    assert_eq!(
        client("permessage-deflate; server_max_window_bits=12", &offers),
        Err(DeflateError::ServerNoContextTakeoverMissing)
    );
    assert_eq!(
        client(
            "permessage-deflate; server_max_window_bits=12",
            &offers[1..]
        ),
        Err(DeflateError::ServerMaxWindowBitsTooLarge {
            offered: 10,
            response: 12
        })
    );
}

#[test]
fn rfc6455_9_1_client_rejects_response_it_did_not_offer() {
    assert_eq!(
        client("permessage-deflate", &[]),
        Err(DeflateError::NotOffered)
    );
    assert_eq!(
        negotiate_client(&ext("x-foo"), &[DeflateOffer::new()]),
        Err(DeflateError::NotPermessageDeflate("x-foo".into()))
    );
}

#[test]
fn rfc7692_5_1_response_holds_at_most_one_permessage_deflate() {
    let offered = [DeflateOffer::new()];
    let parse = |h: &str| parse_extensions(h).unwrap();
    assert_eq!(
        negotiate_client_extensions(&parse("x-foo"), &offered),
        Ok(None)
    );
    assert_eq!(
        negotiate_client_extensions(&parse("x-foo, permessage-deflate"), &offered),
        Ok(Some(DeflateConfig::default()))
    );
    assert_eq!(
        negotiate_client_extensions(&parse("permessage-deflate, permessage-deflate"), &offered),
        Err(DeflateError::MultipleResponses)
    );
}

#[test]
fn negotiation_errors_fail_with_protocol_error() {
    for e in [
        DeflateError::UnknownParameter("x".into()),
        DeflateError::ServerNoContextTakeoverMissing,
        DeflateError::MultipleResponses,
        DeflateError::NotOffered,
    ] {
        assert_eq!(e.close_code(), CloseCode::PROTOCOL_ERROR, "{e}");
        assert!(e.to_string().contains("RFC"), "{e}");
    }
}

// ---------------------------------------------------------------------------------------
// RSV1 (§6.1)

#[test]
fn rfc7692_6_1_rsv1_only_on_first_frame_of_data_message() {
    assert_eq!(check_rsv1(Opcode::Text, true, true), Ok(true));
    assert_eq!(check_rsv1(Opcode::Binary, true, true), Ok(true));
    for op in [
        Opcode::Continuation,
        Opcode::Ping,
        Opcode::Pong,
        Opcode::Close,
    ] {
        let err = check_rsv1(op, true, true).unwrap_err();
        assert_eq!(err, DeflateError::Rsv1NotOnMessageStart(op));
        assert_eq!(err.close_code(), CloseCode::PROTOCOL_ERROR);
        assert_eq!(check_rsv1(op, false, true), Ok(false));
    }
    assert_eq!(check_rsv1(Opcode::Text, false, true), Ok(false));
}

#[test]
fn rfc6455_5_2_rsv1_without_extension_is_an_error() {
    assert_eq!(
        check_rsv1(Opcode::Text, true, false),
        Err(DeflateError::Rsv1WithoutExtension(Opcode::Text))
    );
    assert_eq!(check_rsv1(Opcode::Text, false, false), Ok(false));
}

// ---------------------------------------------------------------------------------------
// Payload: the RFC's examples (§7.2.3)

fn receiver() -> PerMessageDeflate {
    PerMessageDeflate::new(Role::Server, DeflateConfig::default())
}

#[test]
fn rfc7692_7_2_3_1_hello_in_one_compressed_block() {
    let payload = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    assert_eq!(inflate(&mut receiver(), &payload).unwrap(), b"Hello");
    let mut tx = PerMessageDeflate::new(Role::Client, DeflateConfig::default());
    assert_eq!(deflate(&mut tx, b"Hello"), payload);
}

#[test]
fn rfc7692_7_2_3_2_sharing_the_lz77_window() {
    let mut rx = receiver();
    let first = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    let second = [0xf2, 0x00, 0x11, 0x00, 0x00];
    assert_eq!(inflate(&mut rx, &first).unwrap(), b"Hello");
    assert_eq!(inflate(&mut rx, &second).unwrap(), b"Hello");

    // The second message refers back into the first, so a peer that agreed to
    // no context takeover must not be decoded with a shared window.
    let mut rx = PerMessageDeflate::new(Role::Server, config(false, true, 15, 15));
    assert_eq!(inflate(&mut rx, &first).unwrap(), b"Hello");
    let err = inflate(&mut rx, &second).unwrap_err();
    assert!(matches!(err, DeflateError::CorruptData(_)), "{err}");
    assert_eq!(err.close_code(), CloseCode::PROTOCOL_ERROR);
}

#[test]
fn rfc7692_7_2_3_3_block_with_no_compression() {
    let payload = [
        0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
    ];
    assert_eq!(inflate(&mut receiver(), &payload).unwrap(), b"Hello");
}

#[test]
fn rfc7692_7_2_3_4_block_with_bfinal_set() {
    let mut rx = receiver();
    let payload = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
    assert_eq!(inflate(&mut rx, &payload).unwrap(), b"Hello");
    // Without the trailing 00, and again: a final block ends the stream, so each
    // message starts a new one and decodes on its own.
    assert_eq!(inflate(&mut rx, &payload[..7]).unwrap(), b"Hello");
    assert_eq!(inflate(&mut rx, &payload).unwrap(), b"Hello");
    // A normal message after them still decodes.
    let normal = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    assert_eq!(inflate(&mut rx, &normal).unwrap(), b"Hello");
}

#[test]
fn rfc7692_7_2_3_5_two_blocks_in_one_message() {
    let payload = [
        0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00,
    ];
    assert_eq!(inflate(&mut receiver(), &payload).unwrap(), b"Hello");
    // The same message split into two frames at the block boundary.
    let mut rx = receiver();
    let mut out = Vec::new();
    rx.decompress(&payload[..8], &mut out, 100).unwrap();
    rx.decompress(&payload[8..], &mut out, 100).unwrap();
    rx.finish_message(&mut out, 100).unwrap();
    assert_eq!(out, b"Hello");
}

#[test]
fn rfc7692_7_2_3_6_empty_message_is_a_single_zero_octet() {
    let mut tx = PerMessageDeflate::new(Role::Client, DeflateConfig::default());
    assert_eq!(deflate(&mut tx, b""), [0x00]);
    let mut rx = receiver();
    assert_eq!(inflate(&mut rx, &[0x00]).unwrap(), b"");
    // An empty payload (not produced by zlib, but harmless) is an empty message and
    // leaves a shared window usable for the next message.
    assert_eq!(inflate(&mut rx, &[]).unwrap(), b"");
    let msg = deflate(&mut tx, b"Hello, Hello, Hello");
    assert_eq!(inflate(&mut rx, &msg).unwrap(), b"Hello, Hello, Hello");
}

#[test]
fn rfc7692_7_2_2_reserved_block_type_is_corrupt_data() {
    // BFINAL=0, BTYPE=11 (reserved).
    let err = inflate(&mut receiver(), &[0x06, 0x00]).unwrap_err();
    assert!(matches!(err, DeflateError::CorruptData(_)), "{err}");
    assert!(err.to_string().contains("RFC 7692 §7.2.2"));
    assert_eq!(err.close_code(), CloseCode::PROTOCOL_ERROR);
}

// ---------------------------------------------------------------------------------------
// Payload: context takeover and window bits really take effect

#[test]
fn rfc7692_7_1_1_context_takeover_shrinks_repeated_messages() {
    let msg = noise(7, 2000);
    let mut shared = PerMessageDeflate::new(Role::Client, config(false, false, 15, 15));
    let first = deflate(&mut shared, &msg);
    let second = deflate(&mut shared, &msg);
    assert!(
        first.len() > 1900,
        "noise barely compresses: {}",
        first.len()
    );
    assert!(
        second.len() < 100,
        "second copy refers back: {}",
        second.len()
    );

    let mut reset = PerMessageDeflate::new(Role::Client, config(false, true, 15, 15));
    let first = deflate(&mut reset, &msg);
    let second = deflate(&mut reset, &msg);
    assert_eq!(
        first, second,
        "no context takeover: each message stands alone"
    );
}

#[test]
fn rfc7692_7_1_2_window_bits_bound_back_references() {
    // A 600-byte block repeated: with a window of 2^bits < 600 it cannot be referenced.
    let block = noise(3, 600);
    let msg = block.repeat(4);
    for bits in 8..=15u8 {
        let mut tx = PerMessageDeflate::new(Role::Server, config(false, false, bits, 15));
        let payload = deflate(&mut tx, &msg);
        let d = reference_inflate(&payload, &[]).unwrap();
        assert_eq!(d.out, msg);
        assert!(
            d.max_distance <= 1 << bits,
            "bits {bits}: {}",
            d.max_distance
        );
        if bits >= 10 {
            assert!(payload.len() < 1000, "bits {bits}: repeats found");
        }
        if bits <= 12 {
            // wsspec's own small-window compressor: noise goes out as stored blocks
            // rather than grow under fixed Huffman codes.
            assert!(
                payload.len() <= msg.len() + 8,
                "bits {bits}: {}",
                payload.len()
            );
        }
    }
}

#[test]
fn rfc7692_7_1_2_2_client_told_window_8_still_compresses_within_256_octets() {
    let offer = DeflateOffer::autobahn_default();
    let cfg = client("permessage-deflate; client_max_window_bits=8", &[offer]).unwrap();
    assert_eq!(cfg.client_max_window_bits, 8);
    let mut tx = PerMessageDeflate::new(Role::Client, cfg).with_level(9);
    let mut rx = PerMessageDeflate::new(Role::Server, cfg);
    for seed in 0..3 {
        let msg = text(seed, 5000);
        let payload = deflate(&mut tx, &msg);
        let d = reference_inflate(&payload, &[]).unwrap();
        assert!(!d.only_stored_blocks);
        assert!(d.max_distance <= 256, "distance {}", d.max_distance);
        assert!(
            payload.len() < msg.len() * 3 / 4,
            "text compresses: {} of {}",
            payload.len(),
            msg.len()
        );
        assert_eq!(d.out, msg);
        assert_eq!(inflate(&mut rx, &payload).unwrap(), msg);
    }
}

#[test]
fn compression_level_is_applied() {
    let msg = text(11, 20_000);
    let level0 = deflate(
        &mut PerMessageDeflate::new(Role::Client, DeflateConfig::default()).with_level(0),
        &msg,
    );
    let level9 = deflate(
        &mut PerMessageDeflate::new(Role::Client, DeflateConfig::default()).with_level(9),
        &msg,
    );
    assert!(level0.len() > msg.len(), "stored: {}", level0.len());
    assert!(level9.len() < msg.len() / 3, "level 9: {}", level9.len());
    assert!(reference_inflate(&level0, &[]).unwrap().only_stored_blocks);
}

// ---------------------------------------------------------------------------------------
// Payload: bounded inflate (decompression bombs)

const LIMIT: usize = 64 << 10;

fn bomb() -> Vec<u8> {
    let mut tx = PerMessageDeflate::new(Role::Client, DeflateConfig::default());
    deflate(&mut tx, &vec![0u8; 1 << 20])
}

#[test]
fn rfc6455_10_4_bomb_fails_with_message_too_big_within_one_step() {
    let payload = bomb();
    assert!(
        payload.len() < 2048,
        "1 MiB of zeros: {} bytes",
        payload.len()
    );
    let mut rx = receiver();
    let mut out = Vec::new();
    let err = rx.decompress(&payload, &mut out, LIMIT).unwrap_err();
    assert_eq!(err, DeflateError::MessageTooBig { limit: LIMIT });
    assert_eq!(err.close_code(), CloseCode::MESSAGE_TOO_BIG);
    assert!(out.len() <= LIMIT);
    assert!(
        out.capacity() <= LIMIT + INFLATE_STEP,
        "capacity {} for limit {LIMIT}",
        out.capacity()
    );
}

#[test]
fn rfc6455_10_4_bomb_fed_in_pieces_fails_the_same_way() {
    let payload = bomb();
    let mut rx = receiver();
    let mut out = Vec::new();
    let mut result = Ok(());
    for piece in payload.chunks(7) {
        result = rx.decompress(piece, &mut out, LIMIT);
        assert!(out.len() <= LIMIT);
        assert!(out.capacity() <= LIMIT + INFLATE_STEP);
        if result.is_err() {
            break;
        }
    }
    if result.is_ok() {
        result = rx.finish_message(&mut out, LIMIT);
    }
    assert_eq!(result, Err(DeflateError::MessageTooBig { limit: LIMIT }));
}

#[test]
fn rfc6455_10_4_bomb_into_a_roomy_buffer_stops_within_one_step() {
    // The caller's buffer already has far more room than the limit: the inflater must
    // not fill it before noticing.
    let mut rx = receiver();
    let mut out = Vec::with_capacity(8 << 20);
    let err = rx.decompress(&bomb(), &mut out, LIMIT).unwrap_err();
    assert_eq!(err, DeflateError::MessageTooBig { limit: LIMIT });
    assert!(out.len() <= LIMIT);
    assert_eq!(out.capacity(), 8 << 20, "no reallocation");
}

#[test]
fn rfc6455_10_4_limit_is_exact() {
    let msg = text(5, 100_000);
    let mut tx = PerMessageDeflate::new(Role::Client, config(false, true, 15, 15));
    let payload = deflate(&mut tx, &msg);
    for limit in [msg.len(), msg.len() + 1] {
        let mut out = Vec::new();
        let mut rx = receiver();
        rx.decompress(&payload, &mut out, limit).unwrap();
        rx.finish_message(&mut out, limit).unwrap();
        assert_eq!(out, msg);
    }
    let mut out = Vec::new();
    let mut rx = receiver();
    let result = rx
        .decompress(&payload, &mut out, msg.len() - 1)
        .and_then(|()| rx.finish_message(&mut out, msg.len() - 1));
    assert_eq!(
        result,
        Err(DeflateError::MessageTooBig {
            limit: msg.len() - 1
        })
    );
    assert_eq!(out.len(), msg.len() - 1);
}

// ---------------------------------------------------------------------------------------
// Round trips: every parameter combination, exhaustively, then random ones

/// Sends `msgs` from `sender` to its peer under `cfg`, checking every message against
/// the reference decoder (content, and back-references within the agreed window) and
/// against our own decompressor fed in `pieces`-sized chunks (0 = an empty chunk).
fn round_trip(
    cfg: DeflateConfig,
    sender: Role,
    level: u32,
    msgs: &[Vec<u8>],
    pieces: &[usize],
) -> Result<(), TestCaseError> {
    let mut tx = PerMessageDeflate::new(sender, cfg).with_level(level);
    let mut rx = PerMessageDeflate::new(sender.peer(), cfg);
    let (no_takeover, bits) = match sender {
        Role::Server => (cfg.server_no_context_takeover, cfg.server_max_window_bits),
        Role::Client => (cfg.client_no_context_takeover, cfg.client_max_window_bits),
    };
    let mut history: Vec<u8> = Vec::new();
    for msg in msgs {
        let payload = deflate(&mut tx, msg);
        if no_takeover {
            history.clear();
        }
        let d = reference_inflate(&payload, &history).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&d.out[history.len()..], &msg[..]);
        prop_assert!(
            d.max_distance <= 1 << bits,
            "window {} used {}",
            bits,
            d.max_distance
        );
        history = d.out;
        let keep = history.len().saturating_sub(1 << 15);
        history.drain(..keep);

        let mut out = Vec::new();
        let mut rest = &payload[..];
        for &n in pieces {
            let (piece, tail) = rest.split_at(n.min(rest.len()));
            rx.decompress(piece, &mut out, usize::MAX)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            rest = tail;
        }
        rx.decompress(rest, &mut out, usize::MAX)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        rx.finish_message(&mut out, usize::MAX)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&out, msg);
    }
    Ok(())
}

#[test]
fn round_trip_every_parameter_combination_both_directions() {
    let block = noise(9, 700);
    let msgs = vec![
        text(1, 3000),
        block.repeat(3),
        Vec::new(),
        text(1, 3000),
        noise(2, 500),
        block.clone(),
    ];
    let bits = 8..=15u8;
    for snct in [false, true] {
        for cnct in [false, true] {
            for sbits in bits.clone() {
                for cbits in bits.clone() {
                    let cfg = config(snct, cnct, sbits, cbits);
                    for sender in [Role::Client, Role::Server] {
                        round_trip(cfg, sender, 6, &msgs, &[1, 0, 100, 3])
                            .unwrap_or_else(|e| panic!("{cfg:?} from {sender:?}: {e}"));
                    }
                }
            }
        }
    }
}

fn message() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        // Incompressible.
        prop::collection::vec(any::<u8>(), 0..800),
        // Text-like: a small alphabet, many short matches.
        prop::collection::vec(
            prop::sample::select(b"{}\":, abcdeftrue0123".to_vec()),
            0..4000
        ),
        // A random block repeated: matches at a distance of the block length, which
        // small windows must not use.
        (prop::collection::vec(any::<u8>(), 1..1500), 1usize..4).prop_map(|(b, n)| b.repeat(n)),
    ]
}

fn any_config() -> impl Strategy<Value = DeflateConfig> {
    (any::<bool>(), any::<bool>(), 8u8..=15, 8u8..=15)
        .prop_map(|(s, c, sb, cb)| config(s, c, sb, cb))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn compress_then_decompress_in_any_pieces_returns_every_message(
        cfg in any_config(),
        level in 0u32..=9,
        msgs in prop::collection::vec(message(), 1..6),
        pieces in prop::collection::vec(0usize..300, 0..12),
    ) {
        round_trip(cfg, Role::Client, level, &msgs, &pieces)?;
        round_trip(cfg, Role::Server, level, &msgs, &pieces)?;
    }

    #[test]
    fn inflate_succeeds_exactly_when_the_message_fits_the_limit(
        msg in message(),
        slack in -50i64..50,
        piece in 1usize..500,
    ) {
        let mut tx = PerMessageDeflate::new(Role::Server, DeflateConfig::default());
        let payload = deflate(&mut tx, &msg);
        let limit = (msg.len() as i64 + slack).max(0) as usize;
        let mut rx = PerMessageDeflate::new(Role::Client, DeflateConfig::default());
        let mut out = Vec::new();
        let mut result = Ok(());
        for chunk in payload.chunks(piece) {
            result = rx.decompress(chunk, &mut out, limit);
            prop_assert!(out.len() <= limit);
            if result.is_err() {
                break;
            }
        }
        if result.is_ok() {
            result = rx.finish_message(&mut out, limit);
        }
        prop_assert!(out.len() <= limit);
        prop_assert!(out.capacity() <= limit + 1 + INFLATE_STEP);
        if msg.len() <= limit {
            prop_assert_eq!(result, Ok(()));
            prop_assert_eq!(out, msg);
        } else {
            prop_assert_eq!(result, Err(DeflateError::MessageTooBig { limit }));
        }
    }

    #[test]
    fn arbitrary_payload_never_panics_and_stays_within_limit(
        payload in prop::collection::vec(any::<u8>(), 0..400),
        limit in 0usize..5000,
    ) {
        let mut rx = receiver();
        let mut out = Vec::new();
        let _ = rx
            .decompress(&payload, &mut out, limit)
            .and_then(|()| rx.finish_message(&mut out, limit));
        prop_assert!(out.len() <= limit);
    }
}
