//! `wsspec serve`: the suite as a fuzzing server that tests WebSocket clients, speaking
//! wstest's fuzzingserver URLs (`/getCaseCount`, `/runCase?case=N&agent=A`,
//! `/updateReports?agent=A`, `/getCaseInfo`, `/getCaseStatus`) so existing client
//! harnesses work unchanged. Several clients may run at once.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use tokio::net::TcpListener;
use tokio::sync::watch;
use wsspec_autobahn::tls::TlsServer;
use wsspec_reports::{
    load, render_comparison, render_report, Comparison, Format, Policy, RenderOptions, RunReport,
    Verdict,
};

use super::{emit, parse_format, parse_policy, stdout_wants_color, EXIT_FAIL, EXIT_PASS};
use crate::catalog::{self, CasePattern, Peer, Shard, Suite};
use crate::runner::Settings;
use crate::serve::{self, handshake, ServeEvent, ServeOptions, ServedCase, Stop};

/// Arguments of `wsspec serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Where to listen, `HOST:PORT`.
    #[arg(long, default_value = "127.0.0.1:9001", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Cases to serve, as wstest patterns (`6.4.*`, `12.1.1`, `*`); default all of the
    /// suite. `/runCase?case=N` counts over the cases served.
    #[arg(long, num_args = 1.., value_name = "PATTERN")]
    pub cases: Vec<String>,
    /// Cases to leave out, as wstest patterns.
    #[arg(long, num_args = 1.., value_name = "PATTERN")]
    pub exclude: Vec<String>,
    /// Serve only shard I of N of the selected cases (`2/4`), split by expected duration
    /// as `wsspec run --shard` splits its cases, for N CI jobs; `/getCaseCount` counts the
    /// shard's cases. `wsspec merge` joins the N report directories.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// Which cases: autobahn (Autobahn's 517), wsspec (wsspec's own sections that test
    /// clients: 101 the client's opening handshake, 102 fail-fast UTF-8, 103 limits,
    /// 104 split delivery), or all.
    #[arg(long, default_value = "autobahn", value_parser = parse_suite)]
    pub suite: Suite,
    /// The report directory (wstest's layout: index.json with every agent, one JSON per
    /// agent and case, index.html), written on each /updateReports and on exit.
    #[arg(long, default_value = "wsspec-clients-report", value_name = "DIR")]
    pub out: PathBuf,
    /// Cap every case timer at this many seconds (default: wstest's own budgets).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// Exit once /updateReports has written the reports of this many agents (default
    /// 1 when given without a number): for CI, where the client's harness runs the
    /// cases and then asks for the reports.
    #[arg(long, value_name = "AGENTS", num_args = 0..=1, default_missing_value = "1")]
    pub exit_after_report: Option<usize>,
    /// Compare every agent with this baseline (or earlier run) and fail on regressions.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Which verdicts pass: strict (OK, INFORMATIONAL) or lenient (also NON-STRICT).
    #[arg(long, default_value = "strict", value_parser = parse_policy)]
    pub policy: Policy,
    /// The summary on standard output at exit: text, md, junit, html or json.
    #[arg(long, short = 'f', default_value = "text", value_parser = parse_format)]
    pub format: Format,
    /// Write the summary to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// No progress output.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Serve wss:// with this PEM certificate chain (leaf first; needs --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

fn parse_suite(s: &str) -> Result<Suite, String> {
    s.parse()
}

/// The cases of `suite` that test clients, in id order: the catalog's, and section 101
/// unless the suite is Autobahn's alone.
pub fn served_cases(suite: Suite) -> Vec<ServedCase> {
    let mut cases: Vec<ServedCase> = catalog::suite(suite, Some(Peer::Client))
        .iter()
        .map(ServedCase::Catalog)
        .collect();
    if suite != Suite::Autobahn {
        cases.extend(handshake::CASES.iter().map(ServedCase::Handshake));
        cases.sort_by_key(ServedCase::id);
    }
    cases
}

/// Runs `wsspec serve`.
pub fn run(args: &ServeArgs) -> anyhow::Result<u8> {
    let include: Vec<CasePattern> = args.cases.iter().map(CasePattern::new).collect();
    let exclude: Vec<CasePattern> = args.exclude.iter().map(CasePattern::new).collect();
    let cases = serve::select(&served_cases(args.suite), &include, &exclude)?;
    if cases.is_empty() {
        return Err(anyhow!("--exclude leaves no case to serve"));
    }
    let cases = match args.shard {
        Some(shard) => shard.pick(&cases, |case| match case {
            ServedCase::Catalog(case) => case.expected_duration,
            // A handshake answered wrongly: one exchange.
            ServedCase::Handshake(_) => Duration::from_millis(5),
        })?,
        None => cases,
    };
    if args.timeout == Some(0) {
        return Err(anyhow!("--timeout must be at least 1 second"));
    }
    if args.exit_after_report == Some(0) {
        return Err(anyhow!("--exit-after-report needs at least 1 agent"));
    }
    let baseline = args.baseline.as_deref().map(load).transpose()?;
    let tls_server = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsServer::from_pem_files(cert, key)?),
        _ => None,
    };
    let scheme = if tls_server.is_some() { "wss" } else { "ws" };
    let settings = Settings {
        max_case_time: args.timeout.map(Duration::from_secs),
        tls_server,
        ..Settings::default()
    };
    let count = cases.len();
    let options = ServeOptions {
        cases,
        settings,
        out: args.out.clone(),
        policy: args.policy,
        exit_after_reports: args.exit_after_report,
    };

    let runtime = super::runtime()?;
    let served = runtime.block_on(async {
        let listener = TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let local = listener.local_addr()?;
        if !args.quiet {
            let until = match args.exit_after_report {
                Some(1) => " until one agent's reports are written".to_owned(),
                Some(n) => format!(" until {n} agents' reports are written"),
                None => String::new(),
            };
            eprintln!(
                "wsspec: serving {count} cases to clients at {scheme}://{local}{until}; \
                 reports in {}",
                args.out.display()
            );
        }
        let (stop_tx, stop_rx) = watch::channel(false);
        let quiet = args.quiet;
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                if !quiet {
                    eprintln!(
                        "\nwsspec: interrupted; writing the report of the cases that completed"
                    );
                }
                let _ = stop_tx.send(true);
            }
        });
        let observer: serve::Observer = Arc::new(move |event: &ServeEvent<'_>| {
            if !quiet {
                progress(event)
            }
        });
        anyhow::Ok(serve::serve(listener, options, observer, stop_rx).await)
    })?;

    if let Some(error) = &served.report_error {
        return Err(anyhow!("{error}"));
    }
    if served.agents.is_empty() {
        eprintln!("wsspec: no client completed a case; nothing to report");
        return Ok(EXIT_FAIL);
    }
    let run = served.to_run(&args.out.display().to_string());
    let color = args.format == Format::Text && args.output.is_none() && stdout_wants_color();
    let options = RenderOptions { color };
    let passed = match &baseline {
        Some(base) => {
            let mut rendered = Vec::new();
            let mut passed = true;
            for agent in run.agents.keys() {
                let mut cmp = Comparison::of_runs(base, &run, Some(agent), args.policy)?;
                // A client runs the cases it asks for: compare those only.
                cmp.drop_missing();
                passed &= cmp.passed();
                rendered.push(render_comparison(&cmp, args.format, options));
            }
            emit(args.output.as_deref(), &rendered.join("\n"))?;
            passed
        }
        None => {
            let report = RunReport::new(&run, None, args.policy)?;
            emit(
                args.output.as_deref(),
                &render_report(&report, args.format, options),
            )?;
            report.passed()
        }
    };
    let interrupted = served.stop == Stop::Interrupted;
    if !args.quiet {
        let cases: usize = served.agents.values().map(Vec::len).sum();
        eprintln!(
            "wsspec: {cases} cases for {} agent(s); report in {}{}",
            served.agents.len(),
            args.out.display(),
            if interrupted {
                " (incomplete: interrupted)"
            } else {
                ""
            }
        );
    }
    Ok(if passed && !interrupted {
        EXIT_PASS
    } else {
        EXIT_FAIL
    })
}

/// One line per case that does not pass, per refused request and per report written.
fn progress(event: &ServeEvent<'_>) {
    match event {
        ServeEvent::CaseDone { agent, run } => {
            let d = &run.detail;
            let bad = !matches!(
                d.behavior,
                Verdict::Ok | Verdict::Informational | Verdict::Unimplemented
            ) || !matches!(d.behavior_close, Verdict::Ok | Verdict::Informational);
            if bad {
                eprintln!(
                    "{agent} {} {}/{}: {}",
                    d.id,
                    d.behavior,
                    d.behavior_close,
                    d.result.as_deref().unwrap_or("")
                );
            }
        }
        ServeEvent::ReportsWritten { agents } => {
            eprintln!("wsspec: reports written for {}", agents.join(", "))
        }
        ServeEvent::ReportFailed { error } => eprintln!("wsspec: {error}"),
        ServeEvent::Refused { target, reason } => {
            eprintln!("wsspec: refused {target}: {reason}")
        }
    }
}
