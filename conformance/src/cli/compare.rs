//! `wsspec compare BASE CURRENT`: regressions, fixes, other changes, new and missing
//! cases, and duration changes. Exit 0 when nothing regressed and nothing is missing.

use std::path::PathBuf;

use wsspec_reports::{load, render_comparison, Change, Comparison, Format, Policy, RenderOptions};

use super::{emit, parse_policy, stdout_wants_color, OutputArgs, EXIT_FAIL, EXIT_PASS};

/// Arguments of `wsspec compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The base: a report directory, an index.json, or a baseline file.
    #[arg(value_name = "BASE")]
    pub base: PathBuf,
    /// The current run: a report directory, an index.json, or a baseline file.
    #[arg(value_name = "CURRENT")]
    pub current: PathBuf,
    /// The agent to compare (default: the only agent, or the one a single-agent side names).
    #[arg(long, short = 'a')]
    pub agent: Option<String>,
    /// Which verdicts pass: strict (OK, INFORMATIONAL) or lenient (also NON-STRICT).
    #[arg(long, default_value = "strict", value_parser = parse_policy)]
    pub policy: Policy,
    /// Cases of BASE that CURRENT did not run are listed but do not fail the gate (for a
    /// run of selected cases against a full baseline).
    #[arg(long)]
    pub ignore_missing: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Runs `wsspec compare`.
pub fn run(args: &CompareArgs) -> anyhow::Result<u8> {
    let base = load(&args.base)?;
    let current = load(&args.current)?;
    let mut cmp = Comparison::of_runs(&base, &current, args.agent.as_deref(), args.policy)?;
    if args.ignore_missing {
        let left_out = cmp.drop_missing();
        if left_out > 0 {
            eprintln!("wsspec: {left_out} cases of the base were not run and are left out (--ignore-missing)");
        }
    }
    let color =
        args.output.format == Format::Text && args.output.output.is_none() && stdout_wants_color();
    let text = render_comparison(&cmp, args.output.format, RenderOptions { color });
    emit(args.output.output.as_deref(), &text)?;
    if let Some(path) = &args.output.output {
        eprintln!(
            "wsspec: {} regressions, {} missing, {} fixes ({} policy); wrote {}",
            cmp.count(Change::Regression),
            cmp.count(Change::Missing),
            cmp.count(Change::Fix),
            cmp.policy,
            path.display()
        );
    }
    Ok(if cmp.passed() { EXIT_PASS } else { EXIT_FAIL })
}
