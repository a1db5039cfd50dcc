//! When each message is due: the closed loop (send when the previous echo is back) or
//! an open-loop schedule at a fixed total rate.
//!
//! The open loop is what makes latency honest under load: a message is due at a fixed
//! time whether or not the server kept up, and its latency is counted from that
//! *intended* time. A server that stalls for a second therefore shows a second of
//! latency on every message that fell due during the stall, instead of one slow sample
//! (the "coordinated omission" of a closed loop, which waits politely before sending
//! the next message and so never measures the queue it would have found).

use std::time::Duration;

/// How messages are paced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pacing {
    /// Each connection sends a message, waits for its echo, and sends the next.
    ClosedLoop,
    /// Messages are due at fixed times, `rate` per second over all connections.
    OpenLoop(OpenLoop),
}

/// A fixed-rate schedule shared by `connections` connections.
///
/// The messages of the whole run are numbered 0, 1, 2, … in the order they fall due;
/// message `g` is due `g / rate` seconds after the start and belongs to connection
/// `g mod connections`. So the connections take turns, each sending at `rate /
/// connections` per second, evenly offset from one another, and the due time of every
/// message is computed from its number, not by adding up intervals, so it never drifts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpenLoop {
    rate: f64,
    connections: u32,
}

/// Why an open-loop schedule cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    /// The rate is not a number from [`OpenLoop::MIN_RATE`] to [`OpenLoop::MAX_RATE`].
    #[error("the rate must be from 0.001 to 1000000000 messages per second, not {0}")]
    BadRate(f64),
    /// No connections to send on.
    #[error("an open-loop schedule needs at least one connection")]
    NoConnections,
}

impl OpenLoop {
    /// The lowest rate: one message in 1000 s keeps every due time within `Instant`'s
    /// range for any run length the command line accepts.
    pub const MIN_RATE: f64 = 1e-3;
    /// The highest rate.
    pub const MAX_RATE: f64 = 1e9;

    /// `rate` messages per second in total over `connections` connections.
    pub fn new(rate: f64, connections: u32) -> Result<OpenLoop, ScheduleError> {
        if !(Self::MIN_RATE..=Self::MAX_RATE).contains(&rate) {
            return Err(ScheduleError::BadRate(rate));
        }
        if connections == 0 {
            return Err(ScheduleError::NoConnections);
        }
        Ok(OpenLoop { rate, connections })
    }

    /// The total rate, messages per second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// When the `k`-th message (0-based) of `connection` is due, after the start.
    pub fn due(&self, connection: u32, k: u64) -> Duration {
        let global = u128::from(k) * u128::from(self.connections) + u128::from(connection);
        // f64 holds every nanosecond count below 2^53 (104 days) exactly enough.
        Duration::from_secs_f64(global as f64 / self.rate)
    }

    /// How many messages of `connection` fall due before `end` (after the start): the
    /// number it sends in a run that stops scheduling at `end`.
    pub fn count_before(&self, connection: u32, end: Duration) -> u64 {
        // A first guess from the rate, then corrected with `due` itself so the answer
        // agrees with it exactly despite rounding.
        let per_connection = self.rate / f64::from(self.connections);
        let mut k = (end.as_secs_f64() * per_connection).floor().max(0.0) as u64;
        while k > 0 && self.due(connection, k - 1) >= end {
            k -= 1;
        }
        while self.due(connection, k) < end {
            k += 1;
        }
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_loop_rejects_a_rate_that_is_not_positive() {
        assert_eq!(OpenLoop::new(0.0, 1), Err(ScheduleError::BadRate(0.0)));
        assert_eq!(OpenLoop::new(-5.0, 1), Err(ScheduleError::BadRate(-5.0)));
        assert!(OpenLoop::new(f64::NAN, 1).is_err());
        assert!(OpenLoop::new(f64::INFINITY, 1).is_err());
        assert!(
            OpenLoop::new(1e-300, 1).is_err(),
            "due times would overflow"
        );
        assert!(OpenLoop::new(1e300, 1).is_err());
        assert_eq!(OpenLoop::new(10.0, 0), Err(ScheduleError::NoConnections));
    }

    #[test]
    fn open_loop_spaces_one_connection_at_the_rate() {
        let s = OpenLoop::new(100.0, 1).unwrap();
        assert_eq!(s.due(0, 0), Duration::ZERO);
        assert_eq!(s.due(0, 1), Duration::from_millis(10));
        assert_eq!(s.due(0, 250), Duration::from_millis(2500));
    }

    #[test]
    fn open_loop_interleaves_connections_evenly() {
        // 1000/s over 4 connections: connection c sends at c ms, c+4 ms, c+8 ms, …
        let s = OpenLoop::new(1000.0, 4).unwrap();
        let mut all: Vec<Duration> = (0..4)
            .flat_map(|c| (0..50).map(move |k| s.due(c, k)))
            .collect();
        all.sort();
        for (g, due) in all.iter().enumerate() {
            assert_eq!(*due, Duration::from_millis(g as u64), "message {g}");
        }
        assert_eq!(s.due(3, 2), Duration::from_millis(11));
    }

    #[test]
    fn open_loop_due_times_do_not_drift_over_a_long_run() {
        // 3 per second is not a whole number of nanoseconds apart; adding up intervals
        // would drift, computing each due time from its number does not.
        let s = OpenLoop::new(3.0, 1).unwrap();
        assert_eq!(s.due(0, 3 * 86_400), Duration::from_secs(86_400));
        for k in 0..10_000u64 {
            assert!(s.due(0, k + 1) > s.due(0, k));
        }
    }

    #[test]
    fn open_loop_count_before_agrees_with_due() {
        for (rate, connections) in [(100.0, 1), (1000.0, 7), (3.0, 2), (0.5, 3), (12345.6, 100)] {
            let s = OpenLoop::new(rate, connections).unwrap();
            for end_ms in [0u64, 1, 999, 1000, 1001, 2500, 10_000] {
                let end = Duration::from_millis(end_ms);
                let mut total = 0;
                for c in 0..connections {
                    let n = s.count_before(c, end);
                    assert!(n == 0 || s.due(c, n - 1) < end, "{rate} {c} {end_ms}");
                    assert!(s.due(c, n) >= end, "{rate} {c} {end_ms}");
                    total += n;
                }
                // Over all connections: every global number g with g / rate < end.
                let expected = (0u64..).take_while(|g| (*g as f64 / rate) < end.as_secs_f64());
                assert_eq!(total, expected.count() as u64, "{rate}/s, {end_ms} ms");
            }
        }
    }
}
