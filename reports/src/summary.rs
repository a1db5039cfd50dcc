//! The summary of one run: verdict counts per section and the cases that are not OK.

use serde::Serialize;

use crate::case_id::{section_title, CaseId};
use crate::error::ReportError;
use crate::model::{incomplete_notice, AgentRun, CaseResult, Incomplete, Run, RunKind};
use crate::policy::Policy;
use crate::verdict::Verdict;

/// How many cases had each outcome ([`CaseResult::outcome`]).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Counts {
    /// Cases in total.
    pub total: usize,
    /// Cases that pass under the policy.
    pub passing: usize,
    /// Cases per outcome verdict, known verdicts first in [`Verdict::KNOWN`] order, then
    /// unknown strings alphabetically; verdicts with no case are left out.
    pub by_outcome: Vec<(Verdict, usize)>,
}

impl Counts {
    fn of<'a>(cases: impl Iterator<Item = (&'a CaseResult, bool)>) -> Counts {
        let mut counts = Counts::default();
        let mut others: Vec<(Verdict, usize)> = Vec::new();
        let mut known = [0usize; Verdict::KNOWN.len()];
        for (case, passes) in cases {
            counts.total += 1;
            counts.passing += usize::from(passes);
            let outcome = case.outcome();
            match Verdict::KNOWN.iter().position(|v| v == outcome) {
                Some(i) => known[i] += 1,
                None => match others.iter_mut().find(|(v, _)| v == outcome) {
                    Some((_, n)) => *n += 1,
                    None => others.push((outcome.clone(), 1)),
                },
            }
        }
        others.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        counts.by_outcome = Verdict::KNOWN
            .iter()
            .zip(known)
            .filter(|(_, n)| *n > 0)
            .map(|(v, n)| (v.clone(), n))
            .chain(others)
            .collect();
        counts
    }

    /// The number of cases with outcome `verdict`.
    pub fn get(&self, verdict: &Verdict) -> usize {
        self.by_outcome
            .iter()
            .find(|(v, _)| v == verdict)
            .map_or(0, |(_, n)| *n)
    }
}

/// One section's counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SectionSummary {
    /// The section (`"6"`).
    pub section: String,
    /// Autobahn's title for it, if it has one.
    pub title: Option<&'static str>,
    /// The counts.
    pub counts: Counts,
}

/// One case in a report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportCase {
    /// The case.
    pub id: CaseId,
    /// Its result (with details when they were read).
    pub result: CaseResult,
    /// Whether it passes under the policy.
    pub passes: bool,
}

/// One agent's part of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentReport {
    /// The agent.
    pub agent: String,
    /// Counts over all cases.
    pub totals: Counts,
    /// Counts per section, in catalog order.
    pub sections: Vec<SectionSummary>,
    /// Every case, in catalog order.
    pub cases: Vec<ReportCase>,
    /// Set when the run stopped before every selected case completed.
    pub incomplete: Option<Incomplete>,
}

impl AgentReport {
    /// Summarises one agent's results under `policy`. A baseline's own `accept` lists
    /// and `UNIMPLEMENTED` verdicts count as passing when the run is a baseline.
    pub fn new(agent: &AgentRun, policy: Policy, kind: RunKind) -> AgentReport {
        let cases: Vec<ReportCase> = agent
            .cases
            .iter()
            .map(|(id, result)| {
                let expectation = (kind == RunKind::Baseline).then_some(result);
                ReportCase {
                    id: id.clone(),
                    result: result.clone(),
                    passes: policy.case_passes(result, expectation),
                }
            })
            .collect();
        let mut sections: Vec<SectionSummary> = Vec::new();
        for case in &cases {
            let section = case.id.section();
            if sections.last().map(|s| s.section.as_str()) != Some(section) {
                let members = cases.iter().filter(|c| c.id.section() == section);
                sections.push(SectionSummary {
                    section: section.to_owned(),
                    title: section_title(section),
                    counts: Counts::of(members.map(|c| (&c.result, c.passes))),
                });
            }
        }
        AgentReport {
            agent: agent.agent.clone(),
            totals: Counts::of(cases.iter().map(|c| (&c.result, c.passes))),
            sections,
            cases,
            incomplete: agent.incomplete,
        }
    }

    /// The cases whose outcome is not `OK`, in catalog order.
    pub fn not_ok(&self) -> impl Iterator<Item = &ReportCase> {
        self.cases
            .iter()
            .filter(|c| *c.result.outcome() != Verdict::Ok)
    }

    /// The cases whose outcome is `UNIMPLEMENTED` (listed by id only in text and
    /// Markdown: their details all say the extension was not negotiated).
    pub fn unimplemented(&self) -> impl Iterator<Item = &ReportCase> {
        self.cases
            .iter()
            .filter(|c| *c.result.outcome() == Verdict::Unimplemented)
    }
}

/// A report on one run (one or all of its agents) under a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    /// The run's label.
    pub label: String,
    /// The policy applied.
    pub policy: Policy,
    /// The agents reported on.
    pub agents: Vec<AgentReport>,
}

impl RunReport {
    /// Summarises `run`: the agent named, or every agent when `agent` is `None`.
    pub fn new(run: &Run, agent: Option<&str>, policy: Policy) -> Result<RunReport, ReportError> {
        let agents = match agent {
            Some(name) => vec![AgentReport::new(run.agent(Some(name))?, policy, run.kind)],
            None => run
                .agents
                .values()
                .map(|a| AgentReport::new(a, policy, run.kind))
                .collect(),
        };
        Ok(RunReport {
            label: run.label.clone(),
            policy,
            agents,
        })
    }

    /// Whether every case of every agent passes under the policy, and every run
    /// completed (an interrupted run passes no gate).
    pub fn passed(&self) -> bool {
        self.agents
            .iter()
            .all(|a| a.incomplete.is_none() && a.cases.iter().all(|c| c.passes))
    }

    /// "INCOMPLETE RUN: n of m cases" for each agent whose run was interrupted (with
    /// the agent's name when the report has several): every format puts these first.
    pub fn incomplete_notices(&self) -> Vec<String> {
        self.agents
            .iter()
            .filter_map(|a| {
                let notice = incomplete_notice(a.cases.len(), a.incomplete?.selected);
                Some(if self.agents.len() > 1 {
                    format!("{notice} (agent {})", a.agent)
                } else {
                    notice
                })
            })
            .collect()
    }

    /// The process exit status: 0 when every case passes, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        if self.passed() {
            0
        } else {
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn agent(cases: &[(&str, &str, &str)]) -> AgentRun {
        let cases: BTreeMap<CaseId, CaseResult> = cases
            .iter()
            .map(|(id, b, c)| {
                (
                    CaseId::from(*id),
                    CaseResult::new(Verdict::parse(b), Verdict::parse(c)),
                )
            })
            .collect();
        AgentRun::new("a", cases)
    }

    #[test]
    fn counts_are_per_section_by_outcome() {
        let report = AgentReport::new(
            &agent(&[
                ("1.1.1", "OK", "OK"),
                ("1.1.2", "OK", "WRONG CODE"),
                ("2.1", "NON-STRICT", "OK"),
                ("2.2", "MYSTERY", "OK"),
                ("10.1.1", "FAILED", "FAILED"),
            ]),
            Policy::Lenient,
            RunKind::Results,
        );
        let sections: Vec<&str> = report.sections.iter().map(|s| s.section.as_str()).collect();
        assert_eq!(sections, ["1", "2", "10"]);
        assert_eq!(report.sections[0].counts.get(&Verdict::WrongCode), 1);
        assert_eq!(report.sections[0].counts.passing, 1);
        assert_eq!(
            report.sections[1].counts.passing, 1,
            "NON-STRICT passes under lenient"
        );
        assert_eq!(report.sections[1].counts.get(&Verdict::parse("MYSTERY")), 1);
        assert_eq!(report.totals.total, 5);
        assert_eq!(report.totals.passing, 2);
        let not_ok: Vec<&str> = report.not_ok().map(|c| c.id.as_str()).collect();
        assert_eq!(not_ok, ["1.1.2", "2.1", "2.2", "10.1.1"]);
    }

    #[test]
    fn unimplemented_fails_a_results_report_but_not_a_baseline_report() {
        let a = agent(&[("12.1.1", "UNIMPLEMENTED", "OK")]);
        assert_eq!(
            AgentReport::new(&a, Policy::Lenient, RunKind::Results)
                .totals
                .passing,
            0
        );
        assert_eq!(
            AgentReport::new(&a, Policy::Lenient, RunKind::Baseline)
                .totals
                .passing,
            1
        );
    }
}
