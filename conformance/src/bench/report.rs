//! The result of a bench run: counts, throughput, latency percentiles and errors, as a
//! plain table for people and JSON for machines.

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::connection::{latencies, ConnectionStats, Ending, Latencies};
use super::{BenchMode, BenchPlan};

/// The distinct problems kept, with how often each happened.
const MAX_PROBLEMS: usize = 8;

/// The percentiles reported, as (label, quantile).
pub const PERCENTILES: [(&str, f64); 4] = [
    ("p50", 0.50),
    ("p90", 0.90),
    ("p99", 0.99),
    ("p99.9", 0.999),
];

/// Everything a run measured.
#[derive(Debug, Clone)]
pub struct BenchReport {
    /// The URL benchmarked.
    pub target: String,
    /// The plan it ran.
    pub plan: BenchPlan,
    /// Connections that opened.
    pub opened: u32,
    /// Messages sent, over the whole run.
    pub sent: u64,
    /// Messages echoed intact, over the whole run.
    pub echoed: u64,
    /// Messages never echoed (their connection failed first).
    pub unanswered: u64,
    /// Data messages the server sent before our close frame, over the whole run
    /// (echoes included).
    pub received: u64,
    /// Their payload octets.
    pub received_bytes: u64,
    /// Send mode: messages written completely that were due in the measured window.
    pub measured_sent: u64,
    /// Latencies of the messages due in the measured window (nanoseconds), filled in
    /// from the run's [`super::LatencySink`] at the end.
    pub latencies: Latencies,
    /// Connections that could not be opened.
    pub connect_errors: u64,
    /// Connections failed for a broken rule or a wrong echo.
    pub protocol_errors: u64,
    /// Connections ended because an echo or the close did not come in time.
    pub timeouts: u64,
    /// Connections the server closed or dropped while messages were due.
    pub disconnects: u64,
    /// The distinct problems, most frequent first, with their counts.
    pub problems: Vec<(String, u64)>,
}

impl BenchReport {
    /// An empty report for `plan`.
    pub fn new(target: String, plan: &BenchPlan) -> BenchReport {
        BenchReport {
            target,
            plan: plan.clone(),
            opened: 0,
            sent: 0,
            echoed: 0,
            unanswered: 0,
            received: 0,
            received_bytes: 0,
            measured_sent: 0,
            latencies: latencies(plan.timeout),
            connect_errors: 0,
            protocol_errors: 0,
            timeouts: 0,
            disconnects: 0,
            problems: Vec::new(),
        }
    }

    /// Adds one connection's outcome.
    pub fn add(&mut self, stats: &ConnectionStats) {
        self.sent += stats.sent;
        self.echoed += stats.echoed;
        self.unanswered += stats.unanswered;
        self.received += stats.received;
        self.received_bytes += stats.received_bytes;
        if self.plan.mode == BenchMode::Send {
            self.measured_sent += stats.measured;
        }
        let problem = match &stats.ending {
            Ending::Finished => {
                self.opened += 1;
                return;
            }
            Ending::ConnectFailed(why) => {
                self.connect_errors += 1;
                why
            }
            Ending::ProtocolError(why) => {
                self.opened += 1;
                self.protocol_errors += 1;
                why
            }
            Ending::TimedOut(why) => {
                self.opened += 1;
                self.timeouts += 1;
                why
            }
            Ending::Disconnected(why) => {
                self.opened += 1;
                self.disconnects += 1;
                why
            }
        };
        if let Some((_, n)) = self.problems.iter_mut().find(|(p, _)| p == problem) {
            *n += 1;
        } else if self.problems.len() < MAX_PROBLEMS {
            self.problems.push((problem.clone(), 1));
        }
        self.problems.sort_by_key(|p| std::cmp::Reverse(p.1));
    }

    /// Messages due in the measured window and echoed: the histogram's sample count.
    /// In send mode: messages due in the window and written completely.
    pub fn measured(&self) -> u64 {
        match self.plan.mode {
            BenchMode::Echo => self.latencies.len(),
            BenchMode::Send => self.measured_sent,
        }
    }

    /// Connections that failed in any way.
    pub fn errors(&self) -> u64 {
        self.connect_errors + self.protocol_errors + self.timeouts + self.disconnects
    }

    /// Measured messages per second.
    pub fn messages_per_sec(&self) -> f64 {
        self.measured() as f64 / self.plan.duration.as_secs_f64()
    }

    /// Measured payload echoed (send mode: sent) per second, in MB (10^6 octets), one
    /// way.
    pub fn megabytes_per_sec(&self) -> f64 {
        self.messages_per_sec() * self.plan.size as f64 / 1e6
    }

    /// A latency quantile in milliseconds; `None` when nothing was measured (always,
    /// in send mode).
    pub fn latency_ms(&self, quantile: f64) -> Option<f64> {
        (!self.latencies.is_empty())
            .then(|| self.latencies.value_at_quantile(quantile) as f64 / 1e6)
    }

    /// The largest latency in milliseconds; `None` when nothing was measured.
    pub fn max_latency_ms(&self) -> Option<f64> {
        (!self.latencies.is_empty()).then(|| self.latencies.max() as f64 / 1e6)
    }

    fn pacing_text(&self) -> String {
        match (self.plan.rate, self.plan.mode) {
            (None, BenchMode::Echo) => {
                "closed loop (each connection waits for its echo)".to_owned()
            }
            (None, BenchMode::Send) => {
                "closed loop (each connection writes whenever its socket takes more)".to_owned()
            }
            (Some(rate), _) => format!("open loop at {rate} msg/s in total"),
        }
    }

    /// The plain table printed on standard output.
    pub fn to_table(&self) -> String {
        let p = &self.plan;
        let mut rows: Vec<(String, String)> = vec![
            ("target".into(), self.target.clone()),
            (
                "connections".into(),
                format!("{} ({} opened)", p.connections, self.opened),
            ),
            (
                "messages".into(),
                format!(
                    "{} B {}{}",
                    p.size,
                    p.kind.name(),
                    if p.deflate {
                        ", permessage-deflate offered"
                    } else {
                        ""
                    }
                ),
            ),
            (
                "mode".into(),
                match p.mode {
                    BenchMode::Echo => "echo (each echo awaited and checked)".to_owned(),
                    BenchMode::Send => {
                        "send (as fast as the socket takes them, replies discarded)".to_owned()
                    }
                },
            ),
            ("pacing".into(), self.pacing_text()),
            (
                "time".into(),
                format!(
                    "{} s measured after {} s warm-up",
                    p.duration.as_secs_f64(),
                    p.warmup.as_secs_f64()
                ),
            ),
            (
                "measured".into(),
                match p.mode {
                    BenchMode::Echo => format!(
                        "{} messages ({} sent, {} echoed, {} unanswered in the whole run)",
                        self.measured(),
                        self.sent,
                        self.echoed,
                        self.unanswered
                    ),
                    BenchMode::Send => format!(
                        "{} messages sent ({} sent, {} received of {} B in the whole run)",
                        self.measured(),
                        self.sent,
                        self.received,
                        self.received_bytes
                    ),
                },
            ),
            (
                "throughput".into(),
                format!(
                    "{:.1} msg/s, {:.2} MB/s{}",
                    self.messages_per_sec(),
                    self.megabytes_per_sec(),
                    if p.mode == BenchMode::Send {
                        " sent"
                    } else {
                        ""
                    }
                ),
            ),
        ];
        let latency = |v: Option<f64>| match p.mode {
            BenchMode::Echo => ms(v),
            BenchMode::Send => "n/a".to_owned(),
        };
        for (label, q) in PERCENTILES {
            rows.push((format!("latency {label}"), latency(self.latency_ms(q))));
        }
        rows.push(("latency max".into(), latency(self.max_latency_ms())));
        rows.push((
            "errors".into(),
            format!(
                "connect {}, protocol {}, timeouts {}, disconnects {}",
                self.connect_errors, self.protocol_errors, self.timeouts, self.disconnects
            ),
        ));
        for (problem, n) in &self.problems {
            rows.push(("".into(), format!("{n} × {problem}")));
        }
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let mut out = String::new();
        for (k, v) in rows {
            let _ = writeln!(out, "{k:width$}  {v}");
        }
        out
    }

    /// The machine-readable form (`--json`).
    pub fn to_json(&self) -> Value {
        let p = &self.plan;
        let mut latency = serde_json::Map::new();
        for (label, q) in PERCENTILES {
            latency.insert(label.to_owned(), json!(self.latency_ms(q)));
        }
        latency.insert("max".into(), json!(self.max_latency_ms()));
        latency.insert(
            "mean".into(),
            json!((!self.latencies.is_empty()).then(|| self.latencies.mean() / 1e6)),
        );
        let latency = match p.mode {
            BenchMode::Echo => Value::Object(latency),
            BenchMode::Send => Value::Null,
        };
        json!({
            "target": self.target,
            "mode": p.mode.name(),
            "connections": p.connections,
            "connections_opened": self.opened,
            "size": p.size,
            "payload": p.kind.name(),
            "deflate": p.deflate,
            "pacing": if p.rate.is_some() { "open-loop" } else { "closed-loop" },
            "rate": p.rate,
            "warmup_s": p.warmup.as_secs_f64(),
            "duration_s": p.duration.as_secs_f64(),
            "timeout_s": p.timeout.as_secs_f64(),
            "sent": self.sent,
            "echoed": self.echoed,
            "unanswered": self.unanswered,
            "received": self.received,
            "received_bytes": self.received_bytes,
            "measured": self.measured(),
            "messages_per_s": self.messages_per_sec(),
            "mb_per_s": self.megabytes_per_sec(),
            "latency_ms": latency,
            "errors": {
                "connect": self.connect_errors,
                "protocol": self.protocol_errors,
                "timeouts": self.timeouts,
                "disconnects": self.disconnects,
            },
            "problems": self.problems.iter()
                .map(|(what, count)| json!({"what": what, "count": count}))
                .collect::<Vec<_>>(),
        })
    }
}

fn ms(v: Option<f64>) -> String {
    v.map_or("-".to_owned(), |v| format!("{v:.3} ms"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// A connection that finished, and its latencies recorded into `report`.
    fn finished(report: &mut BenchReport, latencies_ms: &[u64]) -> ConnectionStats {
        for l in latencies_ms {
            report.latencies.record(l * 1_000_000).unwrap();
        }
        ConnectionStats {
            sent: latencies_ms.len() as u64,
            echoed: latencies_ms.len() as u64,
            measured: latencies_ms.len() as u64,
            ..ConnectionStats::default()
        }
    }

    fn failed(ending: Ending) -> ConnectionStats {
        ConnectionStats {
            ending,
            ..ConnectionStats::default()
        }
    }

    #[test]
    fn merges_connections_and_counts_each_kind_of_error() {
        let plan = BenchPlan {
            duration: Duration::from_secs(2),
            size: 1000,
            ..BenchPlan::default()
        };
        let mut r = BenchReport::new("ws://x:1".into(), &plan);
        let a = finished(&mut r, &[1, 2, 3]);
        r.add(&a);
        let b = finished(&mut r, &[4]);
        r.add(&b);
        let c = finished(&mut r, &[5, 6]);
        r.add(&ConnectionStats {
            sent: 5,
            echoed: 2,
            unanswered: 3,
            ending: Ending::TimedOut("no echo".into()),
            ..c
        });
        r.add(&failed(Ending::ConnectFailed("refused".into())));
        r.add(&failed(Ending::ConnectFailed("refused".into())));
        assert_eq!((r.opened, r.sent, r.echoed, r.unanswered), (3, 9, 6, 3));
        assert_eq!(r.measured(), 6);
        assert_eq!((r.connect_errors, r.timeouts, r.errors()), (2, 1, 3));
        assert_eq!(
            r.problems,
            vec![("refused".to_owned(), 2), ("no echo".to_owned(), 1)]
        );
        assert_eq!(r.messages_per_sec(), 3.0);
        assert_eq!(r.megabytes_per_sec(), 0.003);
        let max = r.max_latency_ms().unwrap();
        assert!((5.99..=6.01).contains(&max), "{max}");
        let p50 = r.latency_ms(0.5).unwrap();
        assert!((2.99..=3.01).contains(&p50), "{p50}");
    }

    #[test]
    fn json_and_table_say_nothing_was_measured_without_inventing_latencies() {
        let mut r = BenchReport::new("ws://x:1".into(), &BenchPlan::default());
        r.add(&failed(Ending::ConnectFailed("refused".into())));
        let j = r.to_json();
        assert_eq!(j["measured"], 0);
        assert!(j["latency_ms"]["p99"].is_null());
        assert_eq!(j["errors"]["connect"], 1);
        assert_eq!(j["problems"][0]["what"], "refused");
        let t = r.to_table();
        assert!(t.contains("latency p99.9  -"), "{t}");
        assert!(t.contains("1 × refused"), "{t}");
    }

    #[test]
    fn send_mode_reports_what_was_sent_and_no_latencies() {
        let plan = BenchPlan {
            duration: Duration::from_secs(2),
            size: 500,
            mode: BenchMode::Send,
            ..BenchPlan::default()
        };
        let mut r = BenchReport::new("ws://x:1".into(), &plan);
        r.add(&ConnectionStats {
            sent: 1200,
            measured: 1000,
            received: 7,
            received_bytes: 3500,
            ..ConnectionStats::default()
        });
        r.add(&ConnectionStats {
            sent: 300,
            measured: 200,
            ending: Ending::TimedOut("the server took none of our data for 10 s".into()),
            ..ConnectionStats::default()
        });
        assert_eq!((r.sent, r.measured(), r.received), (1500, 1200, 7));
        assert_eq!((r.timeouts, r.unanswered), (1, 0));
        assert_eq!(r.messages_per_sec(), 600.0);
        assert_eq!(r.megabytes_per_sec(), 0.3);
        let j = r.to_json();
        assert_eq!(j["mode"], "send");
        assert_eq!(j["measured"], 1200);
        assert_eq!(j["received_bytes"], 3500);
        assert!(j["latency_ms"].is_null(), "{j}");
        let t = r.to_table();
        assert!(t.contains("latency p50    n/a"), "{t}");
        assert!(t.contains("latency max    n/a"), "{t}");
        assert!(t.contains("whenever its socket takes more"), "{t}");
        assert!(t.contains("600.0 msg/s, 0.30 MB/s sent"), "{t}");
        assert!(
            t.contains("1200 messages sent (1500 sent, 7 received"),
            "{t}"
        );
    }
}
