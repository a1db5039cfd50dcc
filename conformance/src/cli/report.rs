//! `wsspec report RUN`: verdict counts per section and every case that is not OK.

use std::path::PathBuf;

use wsspec_reports::{load, render_report, Format, Policy, RenderOptions, RunReport};

use super::{emit, parse_policy, stdout_wants_color, OutputArgs, EXIT_FAIL, EXIT_PASS};

/// Arguments of `wsspec report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A wstest/wsspec report directory, its index.json, or a baseline file.
    #[arg(value_name = "RUN")]
    pub run: PathBuf,
    /// Report on this agent only (default: every agent in the run).
    #[arg(long, short = 'a')]
    pub agent: Option<String>,
    /// Which verdicts pass: strict (OK, INFORMATIONAL) or lenient (also NON-STRICT).
    #[arg(long, default_value = "strict", value_parser = parse_policy)]
    pub policy: Policy,
    /// Exit 0 even when cases fail under the policy.
    #[arg(long)]
    pub exit_zero: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Runs `wsspec report`.
pub fn run(args: &ReportArgs) -> anyhow::Result<u8> {
    let run = load(&args.run)?;
    let report = RunReport::new(&run, args.agent.as_deref(), args.policy)?;
    let color =
        args.output.format == Format::Text && args.output.output.is_none() && stdout_wants_color();
    let text = render_report(&report, args.output.format, RenderOptions { color });
    emit(args.output.output.as_deref(), &text)?;
    if let Some(path) = &args.output.output {
        let (pass, total) = report.agents.iter().fold((0, 0), |(p, t), a| {
            (p + a.totals.passing, t + a.totals.total)
        });
        eprintln!(
            "wsspec: {pass} of {total} cases pass ({} policy); wrote {}",
            report.policy,
            path.display()
        );
    }
    Ok(if report.passed() || args.exit_zero {
        EXIT_PASS
    } else {
        EXIT_FAIL
    })
}
