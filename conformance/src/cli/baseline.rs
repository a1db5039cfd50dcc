//! `wsspec baseline RUN --output expected.json`: the verdicts of a run as a baseline.

use std::path::PathBuf;

use wsspec_reports::{load, Baseline};

use super::{emit, EXIT_PASS};

/// Arguments of `wsspec baseline`.
#[derive(Debug, clap::Args)]
pub struct BaselineArgs {
    /// A report directory, an index.json, or a baseline file (its accept lists are kept).
    #[arg(value_name = "RUN")]
    pub run: PathBuf,
    /// The agent to take (default: the only agent in the run).
    #[arg(long, short = 'a')]
    pub agent: Option<String>,
    /// Where to write the baseline.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
}

/// Runs `wsspec baseline`.
pub fn run(args: &BaselineArgs) -> anyhow::Result<u8> {
    let run = load(&args.run)?;
    let agent = run.agent(args.agent.as_deref())?;
    let baseline = Baseline::from_agent(agent);
    emit(Some(&args.output), &baseline.to_json())?;
    eprintln!(
        "wsspec: wrote a baseline of {} cases to {}",
        baseline.cases.len(),
        args.output.display()
    );
    Ok(EXIT_PASS)
}
