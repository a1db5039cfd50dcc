//! Shards: the selected cases split into `n` parts of about equal expected duration, so
//! that `n` CI jobs running one part each finish together.
//!
//! The split is a pure function of the selected cases (in catalog order) and their
//! [`Case::expected_duration`]: every machine that runs the same wsspec with the same
//! selection computes the same parts, so `--shard 1/4` … `--shard 4/4` on four machines
//! run every selected case exactly once. It is greedy list scheduling, longest case
//! first: each case goes to the shard with the least expected time so far (ties: the
//! shard with fewer cases, then the lower number), and cases of equal duration are
//! taken in catalog order. That bounds the imbalance: no shard is expected to take
//! longer than any other by more than the longest single case.

use std::cmp::Reverse;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use thiserror::Error;

use super::Case;

/// One shard of a run: part `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: usize,
    count: usize,
}

/// A shard that does not exist, or one that would get no case.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ShardError {
    /// Not `I/N` with two numbers.
    #[error("shard {0:?} is not I/N (e.g. 2/4: the second of four shards)")]
    Malformed(String),
    /// `I/0`.
    #[error("shard {0:?}: the number of shards must be at least 1")]
    NoShards(String),
    /// `0/N`.
    #[error("shard {0:?}: shards are numbered from 1")]
    ZeroIndex(String),
    /// `I/N` with `I > N`.
    #[error("shard {text:?}: there are only {count} shards")]
    IndexTooLarge {
        /// The shard as given.
        text: String,
        /// `N`.
        count: usize,
    },
    /// More shards than selected cases: some shard would run nothing.
    #[error(
        "{count} shards for {cases} selected cases: some shard would run nothing (use N ≤ {cases})"
    )]
    MoreShardsThanCases {
        /// `N`.
        count: usize,
        /// The number of selected cases.
        cases: usize,
    },
}

impl Shard {
    /// Part `index` (1-based) of `count`.
    pub fn new(index: usize, count: usize) -> Result<Shard, ShardError> {
        let text = format!("{index}/{count}");
        if count == 0 {
            Err(ShardError::NoShards(text))
        } else if index == 0 {
            Err(ShardError::ZeroIndex(text))
        } else if index > count {
            Err(ShardError::IndexTooLarge { text, count })
        } else {
            Ok(Shard { index, count })
        }
    }

    /// The shard's number, from 1.
    pub fn index(self) -> usize {
        self.index
    }

    /// How many shards there are.
    pub fn count(self) -> usize {
        self.count
    }

    /// This shard's part of `selected` (the selected cases in catalog order), in
    /// catalog order. Every shard of a selection of at least `count` cases gets at
    /// least one case; a smaller selection is an error rather than an empty run.
    pub fn select<'a>(self, selected: &[&'a Case]) -> Result<Vec<&'a Case>, ShardError> {
        self.pick(selected, |case| case.expected_duration)
    }

    /// [`Shard::select`] for any list of cases in catalog order (e.g. what `wsspec
    /// serve` serves), each weighed by `duration`.
    pub fn pick<T: Clone>(
        self,
        items: &[T],
        duration: impl Fn(&T) -> Duration,
    ) -> Result<Vec<T>, ShardError> {
        if items.len() < self.count {
            return Err(ShardError::MoreShardsThanCases {
                count: self.count,
                cases: items.len(),
            });
        }
        let durations: Vec<Duration> = items.iter().map(duration).collect();
        Ok(assign(&durations, self.count)
            .into_iter()
            .zip(items)
            .filter(|(shard, _)| *shard == self.index - 1)
            .map(|(_, item)| item.clone())
            .collect())
    }
}

impl FromStr for Shard {
    type Err = ShardError;

    /// `I/N`, e.g. `2/4`.
    fn from_str(text: &str) -> Result<Shard, ShardError> {
        let malformed = || ShardError::Malformed(text.to_owned());
        let (index, count) = text.split_once('/').ok_or_else(malformed)?;
        let number = |s: &str| {
            let s = s.trim();
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(malformed());
            }
            s.parse::<usize>().map_err(|_| malformed())
        };
        Shard::new(number(index)?, number(count)?)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The shard (0-based) of each case, for cases with these expected durations, in
/// catalog order, split `count` ways (`count` ≥ 1).
///
/// Longest first (catalog order among equals), each onto the shard with the least
/// expected time so far, then the fewest cases, then the lowest number. When the
/// last case placed on the busiest shard went there, that shard was the least busy,
/// so at the end the busiest exceeds the least busy by at most that case's duration.
pub fn assign(durations: &[Duration], count: usize) -> Vec<usize> {
    let count = count.max(1);
    let mut order: Vec<usize> = (0..durations.len()).collect();
    order.sort_by_key(|&i| (Reverse(durations[i]), i));
    let mut load = vec![(Duration::ZERO, 0usize); count];
    let mut shard_of = vec![0; durations.len()];
    for i in order {
        let shard = (0..count).min_by_key(|&s| (load[s], s)).unwrap_or_default();
        load[shard].0 += durations[i];
        load[shard].1 += 1;
        shard_of[i] = shard;
    }
    shard_of
}

/// The expected time of each shard (0-based) for an assignment made by [`assign`].
pub fn loads(durations: &[Duration], shard_of: &[usize], count: usize) -> Vec<Duration> {
    let mut load = vec![Duration::ZERO; count.max(1)];
    for (duration, &shard) in durations.iter().zip(shard_of) {
        load[shard] += *duration;
    }
    load
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;
    use crate::catalog::{self, CasePattern};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn shard(text: &str) -> Result<Shard, ShardError> {
        text.parse()
    }

    #[test]
    fn shards_parse_as_index_over_count() {
        assert_eq!(shard("2/4"), Ok(Shard { index: 2, count: 4 }));
        assert_eq!(shard("1/1"), Ok(Shard { index: 1, count: 1 }));
        assert_eq!(shard("3/4").unwrap().to_string(), "3/4");
    }

    #[test]
    fn shard_zero_of_n_is_an_error() {
        assert_eq!(shard("0/4"), Err(ShardError::ZeroIndex("0/4".into())));
    }

    #[test]
    fn a_shard_past_the_count_is_an_error() {
        assert_eq!(
            shard("5/4"),
            Err(ShardError::IndexTooLarge {
                text: "5/4".into(),
                count: 4
            })
        );
    }

    #[test]
    fn zero_shards_is_an_error() {
        assert_eq!(shard("1/0"), Err(ShardError::NoShards("1/0".into())));
        assert_eq!(shard("0/0"), Err(ShardError::NoShards("0/0".into())));
    }

    #[test]
    fn malformed_shards_are_errors() {
        for text in [
            "", "2", "2/", "/4", "a/4", "2/b", "-1/4", "2/4/1", "1.5/4", "+1/4",
        ] {
            assert_eq!(
                shard(text),
                Err(ShardError::Malformed(text.into())),
                "{text:?}"
            );
        }
        // Larger than usize: malformed, not a panic.
        assert!(matches!(
            shard("1/99999999999999999999999"),
            Err(ShardError::Malformed(_))
        ));
    }

    #[test]
    fn longest_cases_go_first_each_to_the_least_loaded_shard() {
        // 9 → shard 0; 7 → shard 1; 5 → shard 1 (7 < 9), now 12; 3 → shard 0 (9 < 12),
        // now 12; 1 → shard 0 (12 = 12 and two cases each: the lower number).
        let durations = [ms(3), ms(9), ms(1), ms(7), ms(5)];
        assert_eq!(assign(&durations, 2), vec![0, 0, 0, 1, 1]);
    }

    #[test]
    fn equal_durations_are_dealt_in_catalog_order_round_robin() {
        let durations = [ms(5); 7];
        assert_eq!(assign(&durations, 3), vec![0, 1, 2, 0, 1, 2, 0]);
    }

    #[test]
    fn zero_durations_still_spread_over_every_shard() {
        let durations = [Duration::ZERO; 4];
        assert_eq!(assign(&durations, 4), vec![0, 1, 2, 3]);
    }

    #[test]
    fn one_shard_takes_everything() {
        let durations = [ms(1), ms(2), ms(3)];
        assert_eq!(assign(&durations, 1), vec![0, 0, 0]);
    }

    /// For random duration lists and shard counts: every case lands in exactly one
    /// shard, the same input gives the same shards, and the busiest shard exceeds the
    /// least busy by at most the longest case.
    #[test]
    fn partition_is_deterministic_complete_and_balanced_within_the_longest_case() {
        let mut rng = StdRng::seed_from_u64(0x5eed_5a4d);
        for _ in 0..500 {
            let len = rng.gen_range(0..200);
            let durations: Vec<Duration> = (0..len)
                .map(|_| match rng.gen_range(0..4) {
                    0 => Duration::ZERO,
                    1 => ms(5),
                    _ => Duration::from_micros(rng.gen_range(0..30_000_000)),
                })
                .collect();
            let count = rng.gen_range(1..12);
            let shard_of = assign(&durations, count);
            assert_eq!(shard_of.len(), durations.len());
            assert!(shard_of.iter().all(|&s| s < count));
            assert_eq!(assign(&durations, count), shard_of, "deterministic");
            let load = loads(&durations, &shard_of, count);
            let longest = durations.iter().max().copied().unwrap_or_default();
            let (min, max) = (load.iter().min().unwrap(), load.iter().max().unwrap());
            assert!(
                *max - *min <= longest,
                "{count} shards of {durations:?}: loads {load:?}"
            );
            if len >= count {
                for s in 0..count {
                    assert!(shard_of.contains(&s), "shard {s} of {count} is empty");
                }
            }
        }
    }

    /// The same over the real catalog: the shards of `1/n` … `n/n` are disjoint, cover
    /// the selection, keep catalog order and are balanced within its longest case.
    #[test]
    fn shards_of_the_catalog_cover_every_selected_case_exactly_once() {
        let selections: [&[&str]; 3] = [&[], &["1.*", "2.*", "5.*", "9.*"], &["12.*", "13.*"]];
        for patterns in selections {
            let include: Vec<CasePattern> = patterns.iter().map(|p| CasePattern::new(*p)).collect();
            let selected = catalog::select(catalog::autobahn(), &include, &[]).unwrap();
            let longest = selected.iter().map(|c| c.expected_duration).max().unwrap();
            for count in 1..=8 {
                let mut seen: Vec<&str> = Vec::new();
                let mut load = Vec::new();
                for index in 1..=count {
                    let part = Shard::new(index, count).unwrap().select(&selected).unwrap();
                    assert!(!part.is_empty());
                    let positions: Vec<usize> = part
                        .iter()
                        .map(|c| selected.iter().position(|s| s.id == c.id).unwrap())
                        .collect();
                    assert!(positions.windows(2).all(|w| w[0] < w[1]), "catalog order");
                    load.push(part.iter().map(|c| c.expected_duration).sum::<Duration>());
                    seen.extend(part.iter().map(|c| c.id.as_str()));
                }
                let mut all: Vec<&str> = selected.iter().map(|c| c.id.as_str()).collect();
                all.sort_unstable();
                seen.sort_unstable();
                assert_eq!(seen, all, "{count} shards of {patterns:?}");
                let spread = *load.iter().max().unwrap() - *load.iter().min().unwrap();
                assert!(spread <= longest, "{count} shards: {load:?}");
            }
        }
    }

    #[test]
    fn more_shards_than_selected_cases_is_an_error() {
        let selected =
            catalog::select(catalog::autobahn(), &[CasePattern::new("1.1.*")], &[]).unwrap();
        let err = Shard::new(1, selected.len() + 1)
            .unwrap()
            .select(&selected)
            .unwrap_err();
        assert_eq!(
            err,
            ShardError::MoreShardsThanCases {
                count: selected.len() + 1,
                cases: selected.len()
            }
        );
    }
}
