//! Errors: each names the input that was wrong and how.

use std::io;
use std::path::PathBuf;

/// Why a run could not be read, written or compared.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The path does not exist.
    #[error("{}: no such file or directory", path.display())]
    NotFound {
        /// The path given.
        path: PathBuf,
    },
    /// Reading or writing failed.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        error: io::Error,
    },
    /// A directory holds nothing at all.
    #[error("{}: directory is empty (expected a wstest or wsspec report directory with an index.json)", path.display())]
    EmptyDirectory {
        /// The directory.
        path: PathBuf,
    },
    /// A directory holds files, but no `index.json`.
    #[error("{}: no index.json in this directory (expected a wstest or wsspec report directory)", path.display())]
    NoIndex {
        /// The directory.
        path: PathBuf,
    },
    /// A file is too large to be a report.
    #[error("{}: {size} bytes is more than the {limit}-byte limit for a report file", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A file is not valid JSON.
    #[error("{}: invalid JSON: {error}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The parse error.
        error: serde_json::Error,
    },
    /// A file is JSON but not in the expected shape.
    #[error("{}: {message}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The input holds no case results.
    #[error("{}: holds no case results", path.display())]
    NoResults {
        /// The input.
        path: PathBuf,
    },
    /// An agent asked for is not in the run.
    #[error("agent {agent:?} is not in {run} (agents: {available})")]
    AgentNotFound {
        /// The agent asked for.
        agent: String,
        /// The run's label.
        run: String,
        /// The agents it has, comma-separated.
        available: String,
    },
    /// A run has several agents and none was chosen.
    #[error("{run} holds several agents ({available}); choose one with --agent")]
    AmbiguousAgent {
        /// The run's label.
        run: String,
        /// The agents it has, comma-separated.
        available: String,
    },
    /// Two runs share no case: comparing them says nothing.
    #[error("{base} and {current} have no case in common; nothing to compare")]
    DisjointRuns {
        /// The base run's label.
        base: String,
        /// The current run's label.
        current: String,
    },
    /// Two inputs of a merge hold different results for the same case of one agent.
    #[error("{first} and {second} both hold case {case} of agent {agent:?}, with different results ({difference}); merge disjoint shards, or runs of different agents")]
    MergeConflict {
        /// The agent.
        agent: String,
        /// The case id.
        case: String,
        /// The label of the input read first.
        first: String,
        /// The label of the input read second.
        second: String,
        /// How the two results differ.
        difference: String,
    },
    /// A baseline given to a merge.
    #[error("{run}: a baseline holds expected verdicts, not results; merge report directories")]
    MergeBaseline {
        /// The baseline's label.
        run: String,
    },
    /// A merge of no runs.
    #[error("nothing to merge: give at least one report directory")]
    NothingToMerge,
}
