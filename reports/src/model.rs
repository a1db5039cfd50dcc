//! One model of a run: agent → case → verdicts, duration, close code, details.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::case_id::CaseId;
use crate::detail::CaseDetail;
use crate::error::ReportError;
use crate::verdict::Verdict;

/// Where a run was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunKind {
    /// A wstest or wsspec report directory, or its `index.json`.
    Results,
    /// A baseline file (verdicts only).
    Baseline,
}

/// The results of one run, for one or more agents.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// A name for the run in messages and reports (usually the path given).
    pub label: String,
    /// What the run was read from.
    pub kind: RunKind,
    /// The agents (implementations tested), by name.
    pub agents: BTreeMap<String, AgentRun>,
}

/// One agent's results.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AgentRun {
    /// The agent's name as in `index.json`.
    pub agent: String,
    /// The cases, in catalog order.
    pub cases: BTreeMap<CaseId, CaseResult>,
    /// Set when the run stopped (was interrupted) before every selected case completed.
    pub incomplete: Option<Incomplete>,
}

/// An incomplete run: `index.json` says so under the agent, in the key
/// [`INCOMPLETE_KEY`], which wstest never writes and Autobahn tooling that looks up
/// case ids does not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Incomplete {
    /// The cases the run was to run; the agent's `cases` are those that completed.
    pub selected: usize,
}

/// The key under an agent in `index.json` that marks an incomplete run:
/// `"wsspecIncomplete": {"completed": N, "selected": M}`.
pub const INCOMPLETE_KEY: &str = "wsspecIncomplete";

impl AgentRun {
    /// A complete run of `agent` with these cases.
    pub fn new(agent: impl Into<String>, cases: BTreeMap<CaseId, CaseResult>) -> AgentRun {
        AgentRun {
            agent: agent.into(),
            cases,
            incomplete: None,
        }
    }

    /// "INCOMPLETE RUN: n of m cases" when the run was incomplete.
    pub fn incomplete_notice(&self) -> Option<String> {
        self.incomplete
            .map(|i| incomplete_notice(self.cases.len(), i.selected))
    }
}

/// The line every format puts at the top of an incomplete run's report.
pub fn incomplete_notice(completed: usize, selected: usize) -> String {
    format!("INCOMPLETE RUN: {completed} of {selected} cases")
}

/// One case's result.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseResult {
    /// The data-exchange verdict.
    pub behavior: Verdict,
    /// The closing-handshake verdict.
    pub behavior_close: Verdict,
    /// Milliseconds, when known (baselines carry none).
    pub duration_ms: Option<u64>,
    /// The close code the peer sent, if any.
    pub remote_close_code: Option<u16>,
    /// The per-case file named by `index.json` (`reportfile`), if any.
    pub report_file: Option<String>,
    /// Verdicts a baseline accepts for this case besides those its policy passes.
    pub accept: Vec<Verdict>,
    /// The per-case details, when the per-case file was there.
    pub detail: Option<Box<CaseDetail>>,
}

impl CaseResult {
    /// A result with just the two verdicts.
    pub fn new(behavior: Verdict, behavior_close: Verdict) -> CaseResult {
        CaseResult {
            behavior,
            behavior_close,
            duration_ms: None,
            remote_close_code: None,
            report_file: None,
            accept: Vec::new(),
            detail: None,
        }
    }

    /// One verdict for the case: the worse of the two by [`Verdict::severity`]
    /// (`behavior` on a tie). `(OK, WRONG CODE)` is `WRONG CODE`; `(UNIMPLEMENTED, OK)` is
    /// `UNIMPLEMENTED`. Reports count and colour cases by it.
    pub fn outcome(&self) -> &Verdict {
        if self.behavior_close.severity() > self.behavior.severity() {
            &self.behavior_close
        } else {
            &self.behavior
        }
    }
}

impl Run {
    /// The agents' names, comma-separated, for messages.
    pub fn agent_names(&self) -> String {
        self.agents.keys().cloned().collect::<Vec<_>>().join(", ")
    }

    /// Picks one agent: the one named, or the only one there is.
    ///
    /// A baseline written without an agent name matches any name asked for.
    pub fn agent(&self, name: Option<&str>) -> Result<&AgentRun, ReportError> {
        match name {
            Some(name) => {
                if let Some(agent) = self.agents.get(name) {
                    return Ok(agent);
                }
                match (self.kind, self.agents.values().next(), self.agents.len()) {
                    (RunKind::Baseline, Some(only), 1) if only.agent.is_empty() => Ok(only),
                    _ => Err(ReportError::AgentNotFound {
                        agent: name.to_owned(),
                        run: self.label.clone(),
                        available: self.agent_names(),
                    }),
                }
            }
            None => {
                let mut agents = self.agents.values();
                match (agents.next(), agents.next()) {
                    (Some(only), None) => Ok(only),
                    _ => Err(ReportError::AmbiguousAgent {
                        run: self.label.clone(),
                        available: self.agent_names(),
                    }),
                }
            }
        }
    }
}
