//! Section 104: split delivery. TCP delivers a byte stream, not writes (RFC 9293 §2.2),
//! so a peer must assemble frames (and the opening handshake) from reads of any size.
//! `104.1.<id>` replays Autobahn case `<id>` with every octet the suite writes in a TCP
//! write of its own; `104.2.<id>` with writes of 1–64 octets cut at points drawn from a
//! generator seeded with the case id. The expectations and verdict rules are the
//! Autobahn case's.
//!
//! The data cases of sections 1–7 and 10 are replayed. Left out: the cases whose
//! verdict depends on timing (5.19, 5.20, 6.4.x: one-octet writes stretch the time
//! their fixed waits race against, so their verdicts would measure the suite's pace,
//! not the peer), section 9 (one-octet writes of 16 MiB messages measure nothing but
//! system calls; 9.5/9.6 already write in small pieces) and sections 12/13 (a thousand
//! messages each, already judged on reassembly).

use std::time::Duration;

use super::{with_spec, Exec, Split};
use crate::catalog::{autobahn, Case, CaseId, Step};

/// The largest piece of a random split.
const RANDOM_MAX: usize = 64;

/// Section 104, in id order.
pub(super) fn cases() -> Vec<Case> {
    let replayed: Vec<&Case> = autobahn().iter().filter(|c| replayed(c)).collect();
    let mut cases = Vec::with_capacity(2 * replayed.len());
    for case in &replayed {
        cases.push(split_case(case, 1, Split::EveryOctet));
    }
    for case in &replayed {
        let split = Split::Random {
            seed: seed_of(case.id.as_str()),
            max: RANDOM_MAX,
        };
        cases.push(split_case(case, 2, split));
    }
    cases
}

/// Whether an Autobahn case is replayed (see the module docs).
fn replayed(case: &Case) -> bool {
    let section: u32 = case.id.section().parse().unwrap_or(0);
    matches!(section, 1..=7 | 10) && !case.timing_sensitive
}

/// FNV-1a of the id: a seed that differs per case and never changes.
fn seed_of(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// About how many octets a case writes, for its expected duration.
fn octets_written(case: &Case) -> usize {
    case.steps
        .iter()
        .map(|step| match step {
            Step::Frame(spec) => spec.payload.len() + 14,
            Step::Message { payload, .. } => payload.len() + 14,
            Step::Close { reason, .. } => reason.as_ref().map_or(0, Vec::len) + 8,
            Step::FrameStart { .. } => 14,
            Step::FrameData(data) => data.len(),
            _ => 0,
        })
        .sum::<usize>()
        + 250
}

fn split_case(autobahn: &Case, kind: u8, split: Split) -> Case {
    let how = match split {
        Split::EveryOctet => "every octet the suite writes (the opening handshake included) \
                              in a TCP write of its own"
            .to_owned(),
        Split::Random { seed, max } => format!(
            "what the suite writes (the opening handshake included) cut into TCP writes of 1 \
             to {max} octets at random points (seed {seed:#018x})"
        ),
    };
    let description = format!(
        "Autobahn case {} with {how}.<br><br>{}",
        autobahn.id, autobahn.description
    );
    // Measured against the built-in echo server (release build): 65 535 octets take
    // about 0.7 s one per write, and 22 ms in writes of up to 64.
    let per_octet = match split {
        Split::EveryOctet => Duration::from_micros(10),
        Split::Random { .. } => Duration::from_nanos(300),
    };
    let expected_duration =
        autobahn.expected_duration + per_octet * octets_written(autobahn) as u32;
    let expected = format!(
        "what Autobahn case {} expects: {}",
        autobahn.id,
        super::plain(&autobahn.expectation)
    );
    with_spec(
        Case {
            id: CaseId::new(format!("104.{kind}.{}", autobahn.id)),
            description,
            expected_duration,
            ..autobahn.clone()
        },
        "RFC 6455 §5.2, RFC 9293 §2.2",
        expected,
        Exec::Split(split),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_differ_per_case_and_are_stable() {
        assert_ne!(seed_of("1.1.1"), seed_of("1.1.2"));
        assert_eq!(seed_of(""), 0xcbf2_9ce4_8422_2325);
    }

    #[test]
    fn big_payloads_cost_more() {
        let small = autobahn()
            .iter()
            .find(|c| c.id.as_str() == "1.1.1")
            .unwrap();
        let big = autobahn()
            .iter()
            .find(|c| c.id.as_str() == "1.1.6")
            .unwrap();
        assert!(octets_written(big) > octets_written(small) + 60_000);
    }
}
