//! The `wsspec` command line: clap-derived subcommands, each implemented in its own
//! module. New subcommands (`run`, `serve`, `echo`, `cases`, …) are added as a variant
//! of [`Command`] and a module here.

use std::fs;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use wsspec_autobahn::tls::{ClientTrust, TlsClient};
use wsspec_reports::{Format, Policy};

pub mod baseline;
pub mod bench;
pub mod cases;
pub mod compare;
pub mod echo;
pub mod merge;
pub mod report;
pub mod run;
pub mod serve;

/// Exit status: everything passed.
pub const EXIT_PASS: u8 = 0;
/// Exit status: a case failed under the policy, regressed, or went missing.
pub const EXIT_FAIL: u8 = 1;
/// Exit status: bad usage or unreadable input.
pub const EXIT_USAGE: u8 = 2;

/// WebSocket conformance: the Autobahn catalog, natively and in parallel; reports and
/// comparisons of Autobahn-format results.
#[derive(Debug, Parser)]
#[command(name = "wsspec", version, about, long_about = None)]
pub struct Cli {
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Test a WebSocket server with the Autobahn catalog (without a URL: the built-in
    /// reference echo server); write a report; exit 1 if a case fails or regresses.
    Run(run::RunArgs),
    /// Test WebSocket clients: serve the catalog as wstest's fuzzing server does
    /// (/getCaseCount, /runCase, /updateReports, …), to several clients at once; write a
    /// report; exit 1 if a case fails or regresses.
    Serve(serve::ServeArgs),
    /// List the catalog's cases.
    Cases(cases::CasesArgs),
    /// Run the reference echo server.
    Echo(echo::EchoArgs),
    /// Summarise a run: verdict counts per section and every case that is not OK.
    Report(report::ReportArgs),
    /// Compare a run with a base run or baseline; exit 1 on any regression or missing case.
    Compare(compare::CompareArgs),
    /// Write a baseline (expected verdicts per case) from a run.
    Baseline(baseline::BaselineArgs),
    /// Load-test an echo server: messages per second and latency percentiles.
    Bench(bench::BenchArgs),
    /// Merge report directories (the shards of a run, runs of other agents) into one.
    Merge(merge::MergeArgs),
}

/// Runs a parsed command line and returns the exit status.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Cases(args) => cases::run(&args),
        Command::Echo(args) => echo::run(&args),
        Command::Report(args) => report::run(&args),
        Command::Compare(args) => compare::run(&args),
        Command::Baseline(args) => baseline::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Merge(args) => merge::run(&args),
    }
}

/// An error and its causes on one line.
pub fn one_line(e: &anyhow::Error) -> String {
    let text = format!("{e:#}");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Prints a clap error (or help/version) and returns its exit status: 0 for help and
/// version, [`EXIT_USAGE`] for usage errors, with the error on one line.
pub fn exit_for_clap_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::from(EXIT_PASS)
            }
        }
        _ => {
            let rendered = e.render().to_string();
            let first: Vec<&str> = rendered
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .collect();
            let message = first.join(" ");
            let message = message
                .trim_start_matches("error:")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            eprintln!("wsspec: error: {message} (see wsspec --help)");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// The async runtime of the commands that do network I/O.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Parses `--format`.
pub fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

/// Parses `--policy`.
pub fn parse_policy(s: &str) -> Result<Policy, String> {
    s.parse()
}

/// Whether terminal text should be coloured: writing to a terminal, and `NO_COLOR` unset.
pub fn stdout_wants_color() -> bool {
    std::io::stdout().is_terminal()
        && !matches!(std::env::var_os("NO_COLOR"), Some(v) if !v.is_empty())
}

/// Writes rendered output to `output`, or to standard output.
pub fn emit(output: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                // A closed pipe (`wsspec report … | head`) is not an error worth reporting.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("cannot write to standard output"),
            }
        }
    }
}

/// Output options shared by `report` and `compare`.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs {
    /// Output format: text, md, junit, html or json.
    #[arg(long, short = 'f', default_value = "text", value_parser = parse_format)]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The TLS client a command connects with, from its `--ca` and `--insecure`: `None`
/// for a `ws://` URL (where either flag is a usage error), and the one warning line
/// `--insecure` earns.
pub(crate) fn tls_client(
    secure: bool,
    ca: &[PathBuf],
    insecure: bool,
) -> anyhow::Result<Option<TlsClient>> {
    if !secure {
        if !ca.is_empty() || insecure {
            anyhow::bail!("--ca and --insecure apply to wss:// URLs only");
        }
        return Ok(None);
    }
    if insecure {
        eprintln!("wsspec: warning: --insecure: the server's certificate is not verified");
    }
    let trust = ClientTrust {
        extra_roots: ca.to_vec(),
        insecure,
    };
    Ok(Some(TlsClient::new(&trust)?))
}
