//! `wsspec bench`: a WebSocket load generator. N connections send messages of a given
//! size and kind to an echo server and time each echo.
//!
//! By default each connection runs a closed loop (send, wait for the echo, send the
//! next); with a rate, messages are due on a fixed open-loop schedule and latency is
//! counted from the due time, so a server that falls behind shows it as latency
//! ([`schedule`]). Latencies go into one HDR histogram for the run, which connections
//! add to in batches; [`report`] renders the table and the JSON. Framing, masking and the handshakes
//! are the reference codec's; the I/O is tokio's.
//!
//! In send mode ([`BenchMode::Send`]) nothing waits for echoes: each connection writes
//! messages as fast as the socket takes them (or on the open-loop schedule), reads
//! whatever comes back and discards it (after the codec checked its framing), and the
//! report counts what was sent, with no latencies.
//!
//! A run: connect every connection (each within the timeout), start the clock, warm
//! up, measure, stop scheduling, wait for the last echoes, close. Only messages *due*
//! inside the measured window are counted and timed, so the count does not depend on
//! when their echoes arrive.

pub mod connection;
pub mod payload;
pub mod report;
pub mod schedule;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;
use wsspec_autobahn::client::WsUrl;
use wsspec_autobahn::tls::{MaybeTlsStream, TlsClient};
use wsspec_codec::connection::Connection;
use wsspec_codec::Limits;

use crate::runner::{Settings, Target};

pub use connection::{ConnectionStats, Ending, Latencies, LatencySink, Script, Window};
pub use payload::{Payload, PayloadKind};
pub use report::BenchReport;
pub use schedule::{OpenLoop, Pacing, ScheduleError};

/// What is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BenchMode {
    /// Every message's echo is awaited and checked; latency is the round trip.
    #[default]
    Echo,
    /// Messages are written as fast as the socket takes them (closed loop) or on the
    /// schedule (open loop); what the server sends back is read and discarded.
    Send,
}

impl BenchMode {
    /// `echo` or `send`, as on the command line and in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            BenchMode::Echo => "echo",
            BenchMode::Send => "send",
        }
    }
}

/// What a bench run does.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchPlan {
    /// Connections opened at the start.
    pub connections: u32,
    /// Time before measuring starts (messages due then are sent but not counted).
    pub warmup: Duration,
    /// Measured time.
    pub duration: Duration,
    /// Octets per message.
    pub size: usize,
    /// Text or binary.
    pub kind: PayloadKind,
    /// Offer permessage-deflate (RFC 7692).
    pub deflate: bool,
    /// Open loop at this many messages per second over all connections; `None`: each
    /// connection runs a closed loop.
    pub rate: Option<f64>,
    /// The limit of every wait: TCP connect, handshake, each echo (each write making
    /// progress, in send mode), the close.
    pub timeout: Duration,
    /// Echo or send.
    pub mode: BenchMode,
}

impl Default for BenchPlan {
    fn default() -> Self {
        BenchPlan {
            connections: 10,
            warmup: Duration::from_secs(1),
            duration: Duration::from_secs(10),
            size: 20,
            kind: PayloadKind::Binary,
            deflate: false,
            rate: None,
            timeout: Duration::from_secs(10),
            mode: BenchMode::Echo,
        }
    }
}

impl BenchPlan {
    /// Limits on what the server sends: an echo is as large as our message, and
    /// anything larger than that (or the codec's defaults) is an error.
    pub fn limits(&self) -> Limits {
        let mut limits = Limits::default();
        limits.max_message = limits.max_message.max(self.size);
        limits.max_frame = limits.max_frame.max(self.size as u64);
        limits
    }
}

/// Live counters, read by a progress display while the run goes on.
#[derive(Debug, Default)]
pub struct Counters {
    echoed: AtomicU64,
    sent: AtomicU64,
}

impl Counters {
    /// Counts one echo.
    pub fn add_echoed(&self) {
        self.echoed.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one message written completely (send mode).
    pub fn add_sent(&self) {
        self.sent.fetch_add(1, Ordering::Relaxed);
    }

    /// Messages written completely so far, in send mode (warm-up included).
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Echoes so far (warm-up included).
    pub fn echoed(&self) -> u64 {
        self.echoed.load(Ordering::Relaxed)
    }
}

/// Why a run could not start.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BenchError {
    /// The plan asks for nothing to measure.
    #[error("{0}")]
    BadPlan(String),
    /// An open-loop rate that makes no schedule.
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    /// Not one connection could be opened.
    #[error("cannot open any connection to {target}: {first}")]
    NoConnection {
        /// The URL.
        target: String,
        /// Why the first connection failed.
        first: String,
    },
}

/// An open connection: the stream, the codec state, and the bytes that followed the
/// handshake.
pub type Opened<S> = (S, Connection, Vec<u8>);

/// Connects `plan.connections` connections to `url` (concurrently; over TLS with `tls`
/// for `wss://`), runs the plan on those that opened, and reports.
pub async fn run(
    url: &WsUrl,
    tls: Option<TlsClient>,
    plan: &BenchPlan,
    counters: Arc<Counters>,
) -> Result<BenchReport, BenchError> {
    check(plan)?;
    let target = display_url(url);
    if url.secure && tls.is_none() {
        return Err(BenchError::BadPlan(format!(
            "{target} needs a TLS client configuration"
        )));
    }
    let endpoint = Arc::new(Target {
        host: url.host.clone(),
        port: url.port,
        resource: if url.path.is_empty() {
            "/".to_owned()
        } else {
            url.path.clone()
        },
    });
    let settings = Arc::new(Settings {
        open_timeout: plan.timeout,
        tls: if url.secure { tls } else { None },
        ..Settings::default()
    });
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..plan.connections {
        let endpoint = Arc::clone(&endpoint);
        let settings = Arc::clone(&settings);
        let plan = plan.clone();
        tasks.spawn(async move { connect(&endpoint, &settings, &plan).await });
    }
    let mut opened = Vec::new();
    let mut failures = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(o)) => opened.push(o),
            Ok(Err(why)) => failures.push(why),
            Err(e) => failures.push(format!("the connecting task failed: {e}")),
        }
    }
    if opened.is_empty() {
        return Err(BenchError::NoConnection {
            target,
            first: failures.into_iter().next().unwrap_or_default(),
        });
    }
    measure(target, opened, failures, plan, counters).await
}

/// Runs the plan on connections that are already open (the rest failed for the reasons
/// in `connect_failures`). The clock starts now.
pub async fn measure<S>(
    target: String,
    opened: Vec<Opened<S>>,
    connect_failures: Vec<String>,
    plan: &BenchPlan,
    counters: Arc<Counters>,
) -> Result<BenchReport, BenchError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    check(plan)?;
    let count = u32::try_from(opened.len()).unwrap_or(u32::MAX);
    let pacing = match plan.rate {
        None => Pacing::ClosedLoop,
        Some(rate) => Pacing::OpenLoop(OpenLoop::new(rate, count.max(1))?),
    };
    let script = Arc::new(Script {
        payload: Payload::new(plan.kind, plan.size),
        pacing,
        timeout: plan.timeout,
        mode: plan.mode,
    });
    let sink = Arc::new(LatencySink::new(plan.timeout));
    let window = Window::new(Instant::now(), plan.warmup, plan.duration);
    let mut tasks = tokio::task::JoinSet::new();
    for (index, (stream, conn, rest)) in (0..count).zip(opened) {
        let script = Arc::clone(&script);
        let counters = Arc::clone(&counters);
        let sink = Arc::clone(&sink);
        tasks.spawn(async move {
            connection::drive(
                stream, conn, &rest, index, &script, window, &counters, &sink,
            )
            .await
        });
    }
    let mut report = BenchReport::new(target, plan);
    for why in connect_failures {
        report.add(&failed_connection(why));
    }
    while let Some(joined) = tasks.join_next().await {
        let stats = joined.unwrap_or_else(|e| ConnectionStats {
            ending: Ending::ProtocolError(format!("the connection's task failed: {e}")),
            ..ConnectionStats::default()
        });
        report.add(&stats);
    }
    report.latencies = sink.histogram();
    Ok(report)
}

fn check(plan: &BenchPlan) -> Result<(), BenchError> {
    if plan.connections == 0 {
        return Err(BenchError::BadPlan(
            "at least one connection is needed".to_owned(),
        ));
    }
    if plan.duration.is_zero() {
        return Err(BenchError::BadPlan(
            "the measured duration must be more than 0 s".to_owned(),
        ));
    }
    if plan.timeout.is_zero() {
        return Err(BenchError::BadPlan(
            "the timeout must be more than 0 s".to_owned(),
        ));
    }
    if plan.size > Limits::DEFAULT_MAX_MESSAGE {
        return Err(BenchError::BadPlan(format!(
            "messages of {} bytes are larger than the {} a message may have",
            plan.size,
            Limits::DEFAULT_MAX_MESSAGE
        )));
    }
    if let Some(rate) = plan.rate {
        OpenLoop::new(rate, plan.connections)?;
    }
    Ok(())
}

fn failed_connection(why: String) -> ConnectionStats {
    ConnectionStats {
        ending: Ending::ConnectFailed(why),
        ..ConnectionStats::default()
    }
}

/// TCP connect and TLS (the runner's, within the timeout), then the opening
/// handshake within the timeout again.
async fn connect(
    target: &Target,
    settings: &Settings,
    plan: &BenchPlan,
) -> Result<Opened<MaybeTlsStream>, String> {
    let mut stream = crate::runner::connect(target, settings).await?;
    let (conn, rest) = connection::open(
        &mut stream,
        &target.host_header(),
        &target.resource,
        plan.deflate,
        plan.limits(),
        plan.timeout,
    )
    .await?;
    Ok((stream, conn, rest))
}

fn display_url(url: &WsUrl) -> String {
    let scheme = if url.secure { "wss" } else { "ws" };
    format!("{scheme}://{}{}", url.host_header(), url.path)
}

#[cfg(test)]
mod tests;
