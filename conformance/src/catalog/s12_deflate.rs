//! Sections 12 and 13: permessage-deflate (RFC 7692) — 1000 compressed messages one at
//! a time, each echo checked in full (case12_x_x.py). Section 12 sends windows of each
//! of the five data sets with the default offer; section 13 sends the JSON set under
//! seven offers. Both try the same 18 (size, fragment size) pairs.

use std::time::Duration;

use wsspec_codec::deflate::DeflateOffer;

use super::build::{case, secs};
use super::data::DataSet;
use super::{Case, Check, Step};

/// wstest's `MSG_SIZES`: (window length, message count, budget in s, the suite's own
/// fragment size or 0), for 12.j.1 … 12.j.18 and 13.j.1 … 13.j.18.
const MSG_SIZES: [(usize, usize, u64, usize); 18] = [
    (16, 1000, 60, 0),
    (64, 1000, 60, 0),
    (256, 1000, 120, 0),
    (1024, 1000, 240, 0),
    (4096, 1000, 480, 0),
    (8192, 1000, 480, 0),
    (16384, 1000, 480, 0),
    (32768, 1000, 480, 0),
    (65536, 1000, 480, 0),
    (131072, 1000, 480, 0),
    (8192, 1000, 480, 256),
    (16384, 1000, 480, 256),
    (32768, 1000, 480, 256),
    (65536, 1000, 480, 256),
    (131072, 1000, 480, 256),
    (131072, 1000, 480, 1024),
    (131072, 1000, 480, 4096),
    (131072, 1000, 480, 32768),
];

/// Section 13's client offers, as wstest describes them:
/// `(requestNoContextTakeover, requestMaxWindowBits)`, 0 meaning none.
const OFFERS_13: [&[(bool, u8)]; 7] = [
    &[(false, 0)],
    &[(true, 0)],
    &[(false, 9)],
    &[(false, 15)],
    &[(true, 9)],
    &[(true, 15)],
    &[(true, 9), (true, 0), (false, 0)],
];

/// Seconds wstest took against its own deflate testee, summed over the 12 subsections,
/// by size index (AUTOBAHN-CATALOG.md §7).
const SECONDS_BY_SIZE: [f64; 18] = [
    6.6, 6.8, 7.3, 7.8, 10.2, 13.1, 19.1, 31.4, 56.5, 101.4, 15.5, 24.3, 38.8, 71.7, 131.9, 111.4,
    104.0, 102.5,
];
/// Seconds by subsection, 12.1 … 12.5 then 13.1 … 13.7.
const SECONDS_BY_SUBSECTION: [f64; 12] = [
    47.3, 127.2, 163.7, 46.5, 94.2, 42.7, 42.1, 66.3, 43.2, 72.8, 45.3, 69.3,
];

/// A case's share of the measured total: its size's sum split by its subsection's
/// weight (12.3.15 comes out at 25 s, as measured).
fn estimate(subsection: usize, size: usize) -> Duration {
    let total: f64 = SECONDS_BY_SUBSECTION.iter().sum();
    Duration::from_secs_f64(SECONDS_BY_SIZE[size] * SECONDS_BY_SUBSECTION[subsection] / total)
}

/// wstest's `PerMessageDeflateOffer(requestNoContextTakeover, requestMaxWindowBits)`:
/// always `client_no_context_takeover; client_max_window_bits`, plus what it requests.
fn offer((no_context_takeover, max_window_bits): (bool, u8)) -> DeflateOffer {
    let mut offer = DeflateOffer::autobahn_default();
    if no_context_takeover {
        offer = offer.with_server_no_context_takeover();
    }
    if max_window_bits != 0 {
        offer = offer.with_server_max_window_bits(max_window_bits);
    }
    offer
}

/// Python's rendering of the offer list, `[(True, 9), (False, 0)]`.
fn describe(offers: &[(bool, u8)]) -> String {
    let python_bool = |b: bool| if b { "True" } else { "False" };
    let items: Vec<String> = offers
        .iter()
        .map(|&(nct, bits)| format!("({}, {bits})", python_bool(nct)))
        .collect();
    format!("[{}]", items.join(", "))
}

/// The 18 cases of one subsection.
fn subsection(
    section: u8,
    j: usize,
    data: DataSet,
    offers: &[(bool, u8)],
    weight: usize,
) -> Vec<Case> {
    let offer_text = if section == 12 {
        "Use default permessage-deflate offer.".to_owned()
    } else {
        format!(
            "Use permessage-deflate client offers (requestNoContextTakeover, \
             requestMaxWindowBits): {}",
            describe(offers)
        )
    };
    (1..)
        .zip(MSG_SIZES)
        .enumerate()
        .map(|(index, (i, (len, count, within, fragment_size)))| Case {
            offers: offers.iter().copied().map(offer).collect(),
            steps: vec![Step::WireLog(false)],
            check: Check::Deflate {
                data,
                len,
                count,
                fragment_size,
                within: secs(within),
            },
            report_time: true,
            report_compression_ratio: true,
            expected_duration: estimate(weight, index),
            ..case(
                &format!("{section}.{j}.{i}"),
                format!(
                    "Send {count} compressed messages each of payload size {len}, auto-fragment \
                     to {fragment_size} octets. {offer_text}"
                ),
                format!("Receive echo'ed messages (with payload as sent). Timeout case after {within} secs."),
            )
        })
        .collect()
}

pub(super) fn cases() -> Vec<Case> {
    let mut cases = Vec::with_capacity(216);
    for (j, data) in (1..).zip(DataSet::ALL) {
        cases.extend(subsection(12, j, data, &[(false, 0)], j - 1));
    }
    for (j, offers) in (1..).zip(OFFERS_13) {
        cases.extend(subsection(13, j, DataSet::Json, offers, 5 + j - 1));
    }
    cases
}
