//! `wsspec bench URL`: a load generator for WebSocket echo servers — messages per
//! second and round-trip latency percentiles, closed loop or open loop at a fixed rate;
//! with `--mode send`, messages and megabytes per second sent, echoes not awaited.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use wsspec_autobahn::client::WsUrl;
use wsspec_codec::Limits;

use crate::bench::{self, BenchMode, BenchPlan, Counters, PayloadKind};

/// `--mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModeArg {
    /// Await and check every echo; latency is the round trip.
    Echo,
    /// Send as fast as the socket takes messages (or at --rate), discard replies.
    Send,
}

/// Arguments of `wsspec bench`.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("kind").args(["binary", "text"]))]
pub struct BenchArgs {
    /// The echo server, `ws://HOST:PORT[/PATH]` or `wss://…`.
    pub url: String,
    /// Connections, opened before the clock starts.
    #[arg(long, short = 'c', default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=50_000))]
    pub connections: u32,
    /// Measured seconds.
    #[arg(long, short = 'd', default_value_t = 10.0, value_name = "SECS")]
    pub duration: f64,
    /// Seconds of warm-up before measuring (sent, echoed, not counted).
    #[arg(long, default_value_t = 1.0, value_name = "SECS")]
    pub warmup: f64,
    /// Octets per message.
    #[arg(long, short = 's', default_value_t = 20, value_name = "BYTES")]
    pub size: usize,
    /// Binary messages (the default).
    #[arg(long)]
    pub binary: bool,
    /// Text messages.
    #[arg(long)]
    pub text: bool,
    /// Offer permessage-deflate.
    #[arg(long)]
    pub deflate: bool,
    /// Open loop: this many messages per second over all connections, latency counted
    /// from when each message was due. Without it, each connection sends its next
    /// message when the last echo is back.
    #[arg(long, value_name = "MSGS_PER_SEC")]
    pub rate: Option<f64>,
    /// `echo`: each message's echo is awaited and checked, latency is the round trip.
    /// `send`: messages are written as fast as the socket takes them (or at --rate),
    /// replies are read and discarded; messages and MB per second sent, no latency.
    #[arg(long, value_enum, default_value_t = ModeArg::Echo)]
    pub mode: ModeArg,
    /// The limit of every wait: connect, handshake, each echo (in send mode: the socket
    /// taking our data), the close.
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    pub timeout: f64,
    /// Also write the results as JSON to FILE (`-`: standard output, instead of the
    /// table).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// For wss://: also trust the CA certificates in this PEM file (besides the
    /// webpki roots).
    #[arg(long, value_name = "FILE")]
    pub ca: Vec<PathBuf>,
    /// For wss://: accept any server certificate (encrypted, not authenticated).
    #[arg(long)]
    pub insecure: bool,
}

fn seconds(name: &str, value: f64, zero_ok: bool) -> anyhow::Result<Duration> {
    if !value.is_finite() || value < 0.0 || (!zero_ok && value == 0.0) || value > 1e6 {
        bail!(
            "--{name} must be a number of seconds {} 1000000, not {value}",
            if zero_ok {
                "from 0 to"
            } else {
                "above 0 and up to"
            }
        );
    }
    Ok(Duration::from_secs_f64(value))
}

impl BenchArgs {
    /// The plan these arguments describe.
    pub fn plan(&self) -> anyhow::Result<BenchPlan> {
        if self.size > Limits::DEFAULT_MAX_MESSAGE {
            bail!(
                "--size {} is larger than the {} bytes a message may have",
                self.size,
                Limits::DEFAULT_MAX_MESSAGE
            );
        }
        if let Some(rate) = self.rate {
            bench::OpenLoop::new(rate, self.connections).context("--rate")?;
        }
        Ok(BenchPlan {
            connections: self.connections,
            warmup: seconds("warmup", self.warmup, true)?,
            duration: seconds("duration", self.duration, false)?,
            size: self.size,
            kind: if self.text {
                PayloadKind::Text
            } else {
                PayloadKind::Binary
            },
            deflate: self.deflate,
            rate: self.rate,
            timeout: seconds("timeout", self.timeout, false)?,
            mode: match self.mode {
                ModeArg::Echo => BenchMode::Echo,
                ModeArg::Send => BenchMode::Send,
            },
        })
    }
}

/// Runs `wsspec bench`. Exit status 0 when every connection finished cleanly with all
/// its messages echoed, 1 when any failed or timed out, 2 for usage errors or when no
/// connection could be opened.
pub fn run(args: &BenchArgs) -> anyhow::Result<u8> {
    let plan = args.plan()?;
    let url = WsUrl::parse(&args.url)?;
    let tls = super::tls_client(url.secure, &args.ca, args.insecure)?;
    let counters = Arc::new(Counters::default());
    let runtime = super::runtime()?;
    let report = runtime.block_on(async {
        let progress = std::io::stderr()
            .is_terminal()
            .then(|| tokio::spawn(show_progress(Arc::clone(&counters), plan.clone())));
        let result = bench::run(&url, tls, &plan, counters).await;
        if let Some(task) = progress {
            task.abort();
            eprint!("\r\x1b[2K");
        }
        result
    })?;
    let json = report.to_json();
    match args.json.as_deref() {
        Some(path) if path.as_os_str() == "-" => {
            super::emit(None, &format!("{json:#}\n"))?;
        }
        Some(path) => {
            super::emit(None, &report.to_table())?;
            std::fs::write(path, format!("{json:#}\n"))
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => super::emit(None, &report.to_table())?,
    }
    Ok(if report.errors() == 0 && report.unanswered == 0 {
        super::EXIT_PASS
    } else {
        super::EXIT_FAIL
    })
}

/// One line on the terminal, rewritten each second: where the run is and the echo rate
/// (send mode: the send rate) of the last second.
async fn show_progress(counters: Arc<Counters>, plan: BenchPlan) {
    let total = plan.warmup + plan.duration;
    let started = tokio::time::Instant::now();
    let mut last = 0;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    loop {
        tick.tick().await;
        let done = match plan.mode {
            BenchMode::Echo => counters.echoed(),
            BenchMode::Send => counters.sent(),
        };
        let elapsed = started.elapsed();
        let phase = if elapsed < plan.warmup {
            "warming up"
        } else if elapsed < total {
            "measuring"
        } else {
            "draining"
        };
        eprint!(
            "\r\x1b[2Kwsspec bench: {phase}, {:.0}/{:.0} s, {} msg/s",
            elapsed.as_secs_f64().min(total.as_secs_f64()),
            total.as_secs_f64(),
            done - last
        );
        last = done;
    }
}
