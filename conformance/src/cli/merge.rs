//! `wsspec merge DIR… --out DIR`: the report directories of the shards of a run (`wsspec
//! run --shard I/N`), or runs of other agents, merged into one report directory —
//! `index.json`, one JSON per case and `index.html`, as `wsspec run` writes them — that
//! `wsspec report` and `wsspec compare` read like any other.

use std::path::PathBuf;

use wsspec_reports::{load, merge_runs, Policy};

use super::{parse_policy, EXIT_PASS};

/// Arguments of `wsspec merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The report directories (or their index.json) to merge: the shards of one run,
    /// runs of other agents, or both. The same case of the same agent in two of them
    /// is an error unless both hold the same result.
    #[arg(value_name = "DIR", required = true, num_args = 1..)]
    pub inputs: Vec<PathBuf>,
    /// The merged report directory (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The policy the merged index.html judges cases by: strict or lenient.
    #[arg(long, default_value = "strict", value_parser = parse_policy)]
    pub policy: Policy,
}

/// Runs `wsspec merge`: exit 0 when merged, 2 on unreadable inputs or a conflict.
pub fn run(args: &MergeArgs) -> anyhow::Result<u8> {
    let runs = args
        .inputs
        .iter()
        .map(|path| load(path))
        .collect::<Result<Vec<_>, _>>()?;
    let merged = merge_runs(&runs, &args.out.display().to_string())?;
    super::run::write_report(&args.out, &merged, args.policy)?;
    let counts: Vec<String> = merged
        .agents
        .values()
        .map(|agent| format!("{} cases of {}", agent.cases.len(), agent.agent))
        .collect();
    eprintln!(
        "wsspec: merged {} report directories into {}: {}",
        runs.len(),
        args.out.display(),
        counts.join(", ")
    );
    Ok(EXIT_PASS)
}
