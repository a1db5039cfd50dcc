//! `wsspec run [URL]`: the Autobahn catalog against a server, natively and in parallel.
//! Without a URL the built-in reference echo server is started and tested.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::net::TcpListener;
use tokio::sync::watch;
use wsspec_autobahn::client::WsUrl;
use wsspec_autobahn::echo::{serve, termination_signal, EchoOptions};
use wsspec_reports::{
    load, render_comparison, render_report, write_run, Comparison, Format, Policy, RenderOptions,
    RunReport, Verdict,
};

use super::{
    emit, parse_format, parse_policy, stdout_wants_color, tls_client, EXIT_FAIL, EXIT_PASS,
};
use crate::catalog::{self, CasePattern, Peer, Shard, Suite};
use crate::runner::{self, CaseRun, RunOptions, Settings, Target};

/// Arguments of `wsspec run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The server to test, `ws://HOST:PORT[/PATH]` or `wss://HOST:PORT[/PATH]`. Without
    /// it, the built-in reference echo server is started on a free port and tested.
    #[arg(value_name = "URL")]
    pub url: Option<String>,
    /// Which catalog: autobahn (sections 1-13), wsspec (wsspec's own sections 100-105:
    /// handshake, fail-fast UTF-8, limits and bombs, split delivery, hixie-76) or all.
    #[arg(long, default_value = "autobahn", value_name = "SUITE")]
    pub suite: Suite,
    /// The largest message the server accepts, for the cases of 103.2 (a message just
    /// over it); without it they are UNIMPLEMENTED.
    #[arg(long, value_name = "BYTES")]
    pub peer_max_message: Option<usize>,
    /// Cases to run, as wstest patterns (`6.4.*`, `12.1.1`, `*`); default all.
    #[arg(long, num_args = 1.., value_name = "PATTERN")]
    pub cases: Vec<String>,
    /// Cases to leave out, as wstest patterns.
    #[arg(long, num_args = 1.., value_name = "PATTERN")]
    pub exclude: Vec<String>,
    /// Run only shard I of N of the selected cases (`2/4`): N parts of about equal
    /// expected duration, the same on every machine, for N CI jobs; `wsspec merge`
    /// joins their report directories.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// The report directory (wstest's layout: index.json, one JSON per case, index.html).
    #[arg(long, default_value = "wsspec-report", value_name = "DIR")]
    pub out: PathBuf,
    /// The agent name in the report (default: the server's `Server` header).
    #[arg(long)]
    pub agent: Option<String>,
    /// Cases run at once (default: two per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Cap every case timer at this many seconds (default: wstest's own budgets, which
    /// reach 480 s in 12/13 and 1000 s in 9.5 for a server that never answers). A
    /// lower cap makes a hung server cost less and may fail a slow one that wstest
    /// would pass. Each case ends within its timers plus the close timeouts.
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// Compare with this baseline (or earlier run) and fail on regressions.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Which verdicts pass: strict (OK, INFORMATIONAL) or lenient (also NON-STRICT).
    #[arg(long, default_value = "strict", value_parser = parse_policy)]
    pub policy: Policy,
    /// The summary on standard output: text, md, junit, html or json.
    #[arg(long, short = 'f', default_value = "text", value_parser = parse_format)]
    pub format: Format,
    /// Write the summary to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// No progress output.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// For wss://: also trust the CA certificates in this PEM file (besides the
    /// webpki roots).
    #[arg(long, value_name = "FILE")]
    pub ca: Vec<PathBuf>,
    /// For wss://: accept any server certificate (encrypted, not authenticated).
    #[arg(long)]
    pub insecure: bool,
}

/// The target of a `ws://` or `wss://` URL.
pub fn target_of(url: &str) -> anyhow::Result<Target> {
    let parsed = WsUrl::parse(url)?;
    if parsed.port == 0 {
        return Err(anyhow!("{url:?}: port 0 cannot be connected to"));
    }
    Ok(Target {
        host: parsed.host,
        port: parsed.port,
        resource: if parsed.path.is_empty() {
            "/".to_owned()
        } else {
            parsed.path
        },
    })
}

/// Runs `wsspec run`.
pub fn run(args: &RunArgs) -> anyhow::Result<u8> {
    let include: Vec<CasePattern> = args.cases.iter().map(CasePattern::new).collect();
    let exclude: Vec<CasePattern> = args.exclude.iter().map(CasePattern::new).collect();
    let catalog = catalog::suite(args.suite, Some(Peer::Server));
    let selected = catalog::select(catalog, &include, &exclude)?;
    if selected.is_empty() {
        return Err(anyhow!("--exclude leaves no case to run"));
    }
    let selected = match args.shard {
        Some(shard) => shard.select(&selected)?,
        None => selected,
    };
    let indexed: Vec<(usize, &'static catalog::Case)> = selected
        .into_iter()
        .map(|case| {
            let index = catalog
                .iter()
                .position(|c| c.id == case.id)
                .map_or(0, |i| i + 1);
            (index, case)
        })
        .collect();
    let target = args.url.as_deref().map(target_of).transpose()?;
    if args.timeout == Some(0) {
        return Err(anyhow!("--timeout must be at least 1 second"));
    }
    let secure = (args.url.as_deref().map(WsUrl::parse).transpose()?).is_some_and(|u| u.secure);
    let settings = Settings {
        max_case_time: args.timeout.map(Duration::from_secs),
        tls: tls_client(secure, &args.ca, args.insecure)?,
        // The built-in echo server's limit is known.
        peer_max_message: args.peer_max_message.or_else(|| {
            args.url
                .is_none()
                .then(|| builtin_echo_options(args.suite).limits.max_message)
        }),
        ..Settings::default()
    };
    let scheme = if settings.tls.is_some() { "wss" } else { "ws" };
    let jobs = args.jobs.unwrap_or_else(runner::default_jobs).max(1);

    let runtime = super::runtime()?;
    let baseline = args.baseline.as_deref().map(load).transpose()?;
    let (results, agent) = runtime.block_on(async {
        let (target, builtin) = match target {
            Some(target) => (target, false),
            None => (
                start_builtin_echo(builtin_echo_options(args.suite)).await?,
                true,
            ),
        };
        if !args.quiet {
            let what = if builtin {
                format!("the built-in echo server at ws://{}", target.host_header())
            } else {
                format!("{scheme}://{}{}", target.host_header(), target.resource)
            };
            eprintln!(
                "wsspec: running {} cases against {what}, {jobs} at a time",
                indexed.len()
            );
        }
        if !builtin {
            runner::probe(&target, &settings)
                .await
                .map_err(|e| anyhow!(e))?;
        }
        let (stop_tx, stop_rx) = watch::channel(false);
        tokio::spawn(async move {
            if termination_signal().await.is_ok() {
                eprintln!("\nwsspec: interrupted; writing the report of the cases that completed");
                let _ = stop_tx.send(true);
            }
        });
        let progress = Progress::new(indexed.len(), args.quiet);
        let observer = Arc::clone(&progress);
        let options = RunOptions {
            target,
            settings,
            jobs,
        };
        let results = runner::run(
            indexed,
            options,
            Arc::new(move |run: &CaseRun, done: usize, total: usize| {
                observer.case_done(run, done, total)
            }),
            stop_rx,
        )
        .await;
        progress.finish();
        let agent = results.agent_name(args.agent.as_deref());
        anyhow::Ok((results, agent))
    })?;

    let run = results.to_run(&agent, &args.out.display().to_string());
    write_report(&args.out, &run, args.policy)?;
    let color = args.format == Format::Text && args.output.is_none() && stdout_wants_color();
    let options = RenderOptions { color };
    let passed = match &baseline {
        Some(base) => {
            let mut cmp = Comparison::of_runs(base, &run, Some(&agent), args.policy)?;
            // A run of selected (or interrupted) cases is compared on those cases only.
            if !args.cases.is_empty()
                || !args.exclude.is_empty()
                || args.shard.is_some()
                || results.interrupted
            {
                cmp.drop_missing();
            }
            emit(
                args.output.as_deref(),
                &render_comparison(&cmp, args.format, options),
            )?;
            cmp.passed()
        }
        None => {
            let report = RunReport::new(&run, Some(&agent), args.policy)?;
            emit(
                args.output.as_deref(),
                &render_report(&report, args.format, options),
            )?;
            report.passed()
        }
    };
    if results.interrupted {
        eprintln!(
            "wsspec: INCOMPLETE RUN: {} of {} cases completed in {:.1} s; partial report in {}",
            results.cases.len(),
            results.selected,
            results.elapsed.as_secs_f64(),
            args.out.display(),
        );
    } else if !args.quiet {
        eprintln!(
            "wsspec: {} cases in {:.1} s; report in {}",
            results.cases.len(),
            results.elapsed.as_secs_f64(),
            args.out.display(),
        );
    }
    Ok(if passed && !results.interrupted {
        EXIT_PASS
    } else {
        EXIT_FAIL
    })
}

/// Writes the report directory: wstest's layout plus wsspec's self-contained
/// `index.html`.
pub fn write_report(dir: &Path, run: &wsspec_reports::Run, policy: Policy) -> anyhow::Result<()> {
    write_run(dir, run).with_context(|| format!("cannot write the report to {}", dir.display()))?;
    let report = RunReport::new(run, None, policy)?;
    let html = render_report(&report, Format::Html, RenderOptions { color: false });
    let path = dir.join("index.html");
    std::fs::write(&path, html).with_context(|| format!("cannot write {}", path.display()))
}

/// The built-in echo server's options: the defaults, except that for wsspec's own
/// sections alone its message limit is 1 MiB (none of them needs more; Autobahn's 9.x
/// sends 16 MiB), which 103.2 then tests without moving 64 MiB messages.
fn builtin_echo_options(suite: Suite) -> EchoOptions {
    let mut options = EchoOptions::default();
    if suite == Suite::Wsspec {
        options.limits.max_message = 1 << 20;
        options.limits.max_frame = 1 << 20;
    }
    options
}

/// Starts the reference echo server on a free loopback port, in this runtime.
async fn start_builtin_echo(options: EchoOptions) -> anyhow::Result<Target> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot start the built-in echo server")?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        if let Err(e) = serve(listener, options).await {
            eprintln!("wsspec: the built-in echo server stopped: {e}");
        }
    });
    Ok(Target {
        host: "127.0.0.1".to_owned(),
        port,
        resource: "/".to_owned(),
    })
}

/// Progress: a bar on a terminal; otherwise a line per case that does not pass and
/// a count every 10 %.
struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl Progress {
    fn new(total: usize, quiet: bool) -> Arc<Progress> {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar
        });
        Arc::new(Progress { bar, quiet })
    }

    fn case_done(&self, run: &CaseRun, done: usize, total: usize) {
        if self.quiet {
            return;
        }
        let d = &run.detail;
        let bad = !matches!(
            d.behavior,
            Verdict::Ok | Verdict::Informational | Verdict::Unimplemented
        ) || !matches!(d.behavior_close, Verdict::Ok | Verdict::Informational);
        let line = bad.then(|| {
            format!(
                "{} {}/{}: {}",
                d.id,
                d.behavior,
                d.behavior_close,
                d.result.as_deref().unwrap_or("")
            )
        });
        match &self.bar {
            Some(bar) => {
                if let Some(line) = line {
                    bar.println(line);
                }
                bar.set_message(d.id.clone());
                bar.set_position(done as u64);
            }
            None => {
                if let Some(line) = line {
                    eprintln!("{line}");
                }
                let step = (total / 10).max(1);
                if done % step == 0 || done == total {
                    eprintln!("wsspec: {done}/{total} cases done");
                }
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
