//! wsspec-reports: WebSocket conformance results as data.
//!
//! Reads the Autobahn|Testsuite report layout (`index.json` + one JSON per case) that
//! both wstest and wsspec write, baselines, and bare `index.json` files into one model
//! ([`Run`] → [`AgentRun`] → [`CaseResult`]); writes runs back in exactly wstest's
//! layout and JSON style; compares two runs under a gate [`Policy`]; and renders a run or
//! a comparison as terminal text, Markdown, JUnit XML, a self-contained HTML page or JSON;
//! and merges the runs of several shards or agents into one ([`merge_runs`]).
//!
//! This crate depends on no other wsspec crate.

pub mod baseline;
pub mod case_id;
pub mod compare;
pub mod detail;
pub mod error;
pub mod merge;
pub mod model;
pub mod policy;
pub mod pyjson;
pub mod read;
pub mod render;
pub mod summary;
pub mod verdict;
pub mod write;

pub use baseline::{Baseline, BaselineCase, BASELINE_FORMAT};
pub use case_id::CaseId;
pub use compare::{CaseChange, Change, Comparison, DurationChange, Side};
pub use detail::{CaseDetail, Stats, WireLogRow, WSSPEC_ACTUAL, WSSPEC_EXPECTED, WSSPEC_RFC};
pub use error::ReportError;
pub use merge::merge_runs;
pub use model::{
    incomplete_notice, AgentRun, CaseResult, Incomplete, Run, RunKind, INCOMPLETE_KEY,
};
pub use policy::Policy;
pub use read::load;
pub use render::{render_comparison, render_report, Format, RenderOptions};
pub use summary::{AgentReport, Counts, ReportCase, RunReport, SectionSummary};
pub use verdict::Verdict;
pub use write::{agent_file_stem, case_detail_json, case_report_file_name, index_json, write_run};
