//! Comparing two runs of one agent (or a run against a baseline).

use std::collections::BTreeSet;

use serde::Serialize;

use crate::case_id::CaseId;
use crate::detail::CaseDetail;
use crate::error::ReportError;
use crate::model::{incomplete_notice, AgentRun, CaseResult, Incomplete, Run, RunKind};
use crate::policy::Policy;
use crate::verdict::Verdict;

/// How many per-case duration changes a comparison keeps.
pub const DURATION_CHANGES_KEPT: usize = 10;

/// What happened to one case between the base and the current run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// Passed under the policy before and not now, or failed before and now fails worse.
    Regression,
    /// In the base run, not in the current one.
    Missing,
    /// Failed under the policy before, passes now.
    Fix,
    /// Verdicts differ but the case passes (or fails) as before, and no worse.
    Changed,
    /// In the current run, not in the base one.
    New,
    /// Same verdicts.
    Unchanged,
}

impl Change {
    /// All changes, in the order reports list them.
    pub const ALL: [Change; 6] = [
        Change::Regression,
        Change::Missing,
        Change::Fix,
        Change::Changed,
        Change::New,
        Change::Unchanged,
    ];

    /// The change as reports name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Regression => "regression",
            Change::Missing => "missing",
            Change::Fix => "fix",
            Change::Changed => "changed",
            Change::New => "new",
            Change::Unchanged => "unchanged",
        }
    }

    /// Whether this change fails the gate.
    pub fn fails_gate(self) -> bool {
        matches!(self, Change::Regression | Change::Missing)
    }
}

/// One side of a compared case.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Side {
    /// `behavior`.
    pub behavior: Verdict,
    /// `behaviorClose`.
    pub behavior_close: Verdict,
    /// Milliseconds, when known.
    pub duration_ms: Option<u64>,
    /// The peer's close code.
    pub remote_close_code: Option<u16>,
    /// Whether this side passes under the policy (judged against the base side).
    pub passes: bool,
}

impl Side {
    fn new(result: &CaseResult, passes: bool) -> Side {
        Side {
            behavior: result.behavior.clone(),
            behavior_close: result.behavior_close.clone(),
            duration_ms: result.duration_ms,
            remote_close_code: result.remote_close_code,
            passes,
        }
    }

    /// `behavior / behaviorClose`.
    pub fn verdicts(&self) -> String {
        format!("{} / {}", self.behavior, self.behavior_close)
    }

    /// The worse of the two verdicts (see [`CaseResult::outcome`]).
    pub fn outcome(&self) -> &Verdict {
        if self.behavior_close.severity() > self.behavior.severity() {
            &self.behavior_close
        } else {
            &self.behavior
        }
    }
}

/// One case of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseChange {
    /// The case.
    pub id: CaseId,
    /// What happened to it.
    pub change: Change,
    /// The base side, unless the case is new.
    pub base: Option<Side>,
    /// The current side, unless the case is missing.
    pub current: Option<Side>,
    /// Why the case was classified so, in a sentence.
    pub why: String,
    /// The current run's details for the case (the base's when missing), if present.
    #[serde(skip)]
    pub detail: Option<Box<CaseDetail>>,
}

impl CaseChange {
    /// The side a reader looks at (current, or base for a missing case) as a
    /// [`CaseResult`] carrying the case's details.
    pub fn shown_result(&self) -> Option<CaseResult> {
        let side = self.current.as_ref().or(self.base.as_ref())?;
        let mut result = CaseResult::new(side.behavior.clone(), side.behavior_close.clone());
        result.duration_ms = side.duration_ms;
        result.remote_close_code = side.remote_close_code;
        result.detail = self.detail.clone();
        Some(result)
    }
}

/// A case whose duration changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DurationChange {
    /// The case.
    pub id: CaseId,
    /// Base milliseconds.
    pub base_ms: u64,
    /// Current milliseconds.
    pub current_ms: u64,
    /// `current - base`.
    pub delta_ms: i64,
}

/// A comparison of two runs of one agent under a policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Comparison {
    /// The base run's label.
    pub base: String,
    /// The current run's label.
    pub current: String,
    /// The agent compared in the base run (empty for an anonymous baseline).
    pub base_agent: String,
    /// The agent compared in the current run.
    pub current_agent: String,
    /// The policy applied.
    pub policy: Policy,
    /// Every case of either run, in catalog order.
    pub cases: Vec<CaseChange>,
    /// Sum of the base run's durations, if it has any.
    pub base_total_ms: Option<u64>,
    /// Sum of the current run's durations, if it has any.
    pub current_total_ms: Option<u64>,
    /// The biggest per-case duration changes (at most [`DURATION_CHANGES_KEPT`]).
    pub duration_changes: Vec<DurationChange>,
    /// Set when the current run stopped before every selected case completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_incomplete: Option<Incomplete>,
}

fn pick_agents<'a>(
    base: &'a Run,
    current: &'a Run,
    agent: Option<&str>,
) -> Result<(&'a AgentRun, &'a AgentRun), ReportError> {
    if let Some(name) = agent {
        return Ok((base.agent(Some(name))?, current.agent(Some(name))?));
    }
    // Without a name, a side with one agent names the agent for the other side.
    match (base.agent(None), current.agent(None)) {
        (Ok(b), Ok(c)) => Ok((b, c)),
        (Ok(b), Err(e)) if !b.agent.is_empty() => {
            Ok((b, current.agent(Some(&b.agent)).map_err(|_| e)?))
        }
        (Err(e), Ok(c)) if !c.agent.is_empty() => {
            Ok((base.agent(Some(&c.agent)).map_err(|_| e)?, c))
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

impl Comparison {
    /// Compares `current` with `base` for `agent` (or the only agent there is).
    pub fn of_runs(
        base: &Run,
        current: &Run,
        agent: Option<&str>,
        policy: Policy,
    ) -> Result<Comparison, ReportError> {
        let (b, c) = pick_agents(base, current, agent)?;
        let mut comparison = Comparison::of_agents(b, c, policy);
        comparison.base = base.label.clone();
        comparison.current = current.label.clone();
        if !comparison
            .cases
            .iter()
            .any(|c| c.base.is_some() && c.current.is_some())
        {
            return Err(ReportError::DisjointRuns {
                base: base.label.clone(),
                current: current.label.clone(),
            });
        }
        if base.kind == RunKind::Baseline {
            // A baseline has no durations: there is nothing to compare them with.
            comparison.duration_changes.clear();
        }
        Ok(comparison)
    }

    /// Compares two agents' results. Labels are empty; [`Comparison::of_runs`] fills them.
    pub fn of_agents(base: &AgentRun, current: &AgentRun, policy: Policy) -> Comparison {
        let ids: BTreeSet<&CaseId> = base.cases.keys().chain(current.cases.keys()).collect();
        let mut cases = Vec::with_capacity(ids.len());
        let mut durations = Vec::new();
        for id in ids {
            let (b, c) = (base.cases.get(id), current.cases.get(id));
            cases.extend(classify(id, b, c, policy));
            if let (Some(b), Some(c)) = (b, c) {
                if let (Some(bd), Some(cd)) = (b.duration_ms, c.duration_ms) {
                    let delta = cd as i64 - bd as i64;
                    if delta != 0 {
                        durations.push(DurationChange {
                            id: id.clone(),
                            base_ms: bd,
                            current_ms: cd,
                            delta_ms: delta,
                        });
                    }
                }
            }
        }
        durations.sort_by(|x, y| {
            y.delta_ms
                .unsigned_abs()
                .cmp(&x.delta_ms.unsigned_abs())
                .then_with(|| x.id.cmp(&y.id))
        });
        durations.truncate(DURATION_CHANGES_KEPT);
        Comparison {
            base: String::new(),
            current: String::new(),
            base_agent: base.agent.clone(),
            current_agent: current.agent.clone(),
            policy,
            cases,
            base_total_ms: total_ms(base),
            current_total_ms: total_ms(current),
            duration_changes: durations,
            current_incomplete: current.incomplete,
        }
    }

    /// "INCOMPLETE RUN: n of m cases" when the current run was interrupted: every
    /// format puts it first.
    pub fn incomplete_notice(&self) -> Option<String> {
        let selected = self.current_incomplete?.selected;
        let completed = self.cases.iter().filter(|c| c.current.is_some()).count();
        Some(incomplete_notice(completed, selected))
    }

    /// How many cases had `change`.
    pub fn count(&self, change: Change) -> usize {
        self.cases.iter().filter(|c| c.change == change).count()
    }

    /// The cases with `change`.
    pub fn with_change(&self, change: Change) -> impl Iterator<Item = &CaseChange> {
        self.cases.iter().filter(move |c| c.change == change)
    }

    /// Whether the gate passes: nothing regressed and nothing is missing.
    pub fn passed(&self) -> bool {
        !self.cases.iter().any(|c| c.change.fails_gate())
    }

    /// Leaves out the cases of the base that the current run did not run (a run of
    /// selected cases against a full baseline), and returns how many there were.
    /// Durations are not recomputed: they cover the cases of each run.
    pub fn drop_missing(&mut self) -> usize {
        let before = self.cases.len();
        self.cases.retain(|case| case.change != Change::Missing);
        before - self.cases.len()
    }

    /// The process exit status for this comparison: 0 passed, 1 failed.
    pub fn exit_code(&self) -> i32 {
        if self.passed() {
            0
        } else {
            1
        }
    }
}

fn total_ms(agent: &AgentRun) -> Option<u64> {
    let mut durations = agent
        .cases
        .values()
        .filter_map(|c| c.duration_ms)
        .peekable();
    durations.peek()?;
    Some(durations.sum())
}

fn detail_of(result: &CaseResult) -> Option<Box<CaseDetail>> {
    result.detail.clone()
}

fn classify(
    id: &CaseId,
    base: Option<&CaseResult>,
    current: Option<&CaseResult>,
    policy: Policy,
) -> Option<CaseChange> {
    let make =
        |change, base: Option<Side>, current: Option<Side>, why: String, detail| CaseChange {
            id: id.clone(),
            change,
            base,
            current,
            why,
            detail,
        };
    Some(match (base, current) {
        (None, None) => return None,
        (Some(b), None) => {
            let side = Side::new(b, policy.case_passes(b, Some(b)));
            let why = format!(
                "in the base run ({}), not in the current run",
                side.verdicts()
            );
            make(Change::Missing, Some(side), None, why, detail_of(b))
        }
        (None, Some(c)) => {
            let side = Side::new(c, policy.case_passes(c, None));
            let why = format!("not in the base run; now {}", side.verdicts());
            make(Change::New, None, Some(side), why, detail_of(c))
        }
        (Some(b), Some(c)) => {
            let base_side = Side::new(b, policy.case_passes(b, Some(b)));
            let current_side = Side::new(c, policy.case_passes(c, Some(b)));
            let (was, now) = (base_side.verdicts(), current_side.verdicts());
            let same = b.behavior == c.behavior && b.behavior_close == c.behavior_close;
            let worse = c.behavior.severity() > b.behavior.severity()
                || c.behavior_close.severity() > b.behavior_close.severity();
            let (change, why) = match (base_side.passes, current_side.passes) {
                _ if same => (Change::Unchanged, format!("{now} in both runs")),
                (true, false) => (
                    Change::Regression,
                    format!("passed before ({was}), fails now ({now}) under the {policy} policy"),
                ),
                (false, true) => (
                    Change::Fix,
                    format!("failed before ({was}), passes now ({now}) under the {policy} policy"),
                ),
                (false, false) if worse => (
                    Change::Regression,
                    format!("verdict got worse: {was} → {now} (fails under the {policy} policy)"),
                ),
                (false, false) => (
                    Change::Changed,
                    format!("{was} → {now}; fails under the {policy} policy as before"),
                ),
                (true, true) => (
                    Change::Changed,
                    format!("{was} → {now}; passes under the {policy} policy as before"),
                ),
            };
            make(
                change,
                Some(base_side),
                Some(current_side),
                why,
                detail_of(c),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn agent(name: &str, cases: &[(&str, &str, &str, Option<u64>)]) -> AgentRun {
        let mut map = BTreeMap::new();
        for (id, b, c, d) in cases {
            let mut result = CaseResult::new(Verdict::parse(b), Verdict::parse(c));
            result.duration_ms = *d;
            map.insert(CaseId::from(*id), result);
        }
        AgentRun::new(name, map)
    }

    fn change_of(cmp: &Comparison, id: &str) -> Change {
        cmp.cases
            .iter()
            .find(|c| c.id.as_str() == id)
            .unwrap()
            .change
    }

    #[test]
    fn a_case_that_stops_passing_is_a_regression() {
        let cmp = Comparison::of_agents(
            &agent("a", &[("1.1.1", "OK", "OK", None)]),
            &agent("a", &[("1.1.1", "FAILED", "OK", None)]),
            Policy::Strict,
        );
        assert_eq!(change_of(&cmp, "1.1.1"), Change::Regression);
        assert!(!cmp.passed());
        assert_eq!(cmp.exit_code(), 1);
    }

    #[test]
    fn a_failing_case_that_gets_worse_is_a_regression() {
        let cmp = Comparison::of_agents(
            &agent("a", &[("6.4.1", "NON-STRICT", "OK", None)]),
            &agent("a", &[("6.4.1", "FAILED", "FAILED", None)]),
            Policy::Strict,
        );
        assert_eq!(change_of(&cmp, "6.4.1"), Change::Regression);
        assert!(
            cmp.cases[0].why.contains("got worse"),
            "{}",
            cmp.cases[0].why
        );
    }

    #[test]
    fn a_close_verdict_that_gets_worse_is_a_regression() {
        let cmp = Comparison::of_agents(
            &agent("a", &[("7.9.1", "OK", "OK", None)]),
            &agent("a", &[("7.9.1", "OK", "WRONG CODE", None)]),
            Policy::Lenient,
        );
        assert_eq!(change_of(&cmp, "7.9.1"), Change::Regression);
    }

    #[test]
    fn a_case_that_starts_passing_is_a_fix() {
        let cmp = Comparison::of_agents(
            &agent("a", &[("3.2", "FAILED", "OK", None)]),
            &agent("a", &[("3.2", "OK", "OK", None)]),
            Policy::Strict,
        );
        assert_eq!(change_of(&cmp, "3.2"), Change::Fix);
        assert!(cmp.passed());
    }

    #[test]
    fn non_strict_to_ok_under_lenient_is_another_change() {
        let cmp = Comparison::of_agents(
            &agent("a", &[("3.2", "NON-STRICT", "OK", None)]),
            &agent("a", &[("3.2", "OK", "OK", None)]),
            Policy::Lenient,
        );
        assert_eq!(change_of(&cmp, "3.2"), Change::Changed);
        assert_eq!(cmp.exit_code(), 0);
    }

    #[test]
    fn non_strict_to_ok_under_strict_is_a_fix() {
        let cmp = Comparison::of_agents(
            &agent("a", &[("3.2", "NON-STRICT", "OK", None)]),
            &agent("a", &[("3.2", "OK", "OK", None)]),
            Policy::Strict,
        );
        assert_eq!(change_of(&cmp, "3.2"), Change::Fix);
    }

    #[test]
    fn ok_to_non_strict_is_a_regression_under_strict_only() {
        let base = agent("a", &[("3.2", "OK", "OK", None)]);
        let current = agent("a", &[("3.2", "NON-STRICT", "OK", None)]);
        assert_eq!(
            change_of(
                &Comparison::of_agents(&base, &current, Policy::Strict),
                "3.2"
            ),
            Change::Regression
        );
        assert_eq!(
            change_of(
                &Comparison::of_agents(&base, &current, Policy::Lenient),
                "3.2"
            ),
            Change::Changed
        );
    }

    #[test]
    fn a_failing_case_that_improves_but_still_fails_is_another_change() {
        let cmp = Comparison::of_agents(
            &agent("a", &[("5.1", "FAILED", "FAILED", None)]),
            &agent("a", &[("5.1", "NON-STRICT", "OK", None)]),
            Policy::Strict,
        );
        assert_eq!(change_of(&cmp, "5.1"), Change::Changed);
        assert!(cmp.passed());
    }

    #[test]
    fn cases_only_in_one_run_are_new_or_missing() {
        let cmp = Comparison::of_agents(
            &agent(
                "a",
                &[("1.1.1", "OK", "OK", None), ("1.1.2", "OK", "OK", None)],
            ),
            &agent(
                "a",
                &[("1.1.1", "OK", "OK", None), ("1.1.3", "FAILED", "OK", None)],
            ),
            Policy::Strict,
        );
        assert_eq!(change_of(&cmp, "1.1.1"), Change::Unchanged);
        assert_eq!(change_of(&cmp, "1.1.2"), Change::Missing);
        assert_eq!(change_of(&cmp, "1.1.3"), Change::New);
        assert!(!cmp.passed(), "a missing case fails the gate");
        assert_eq!(cmp.count(Change::New), 1);
    }

    #[test]
    fn a_new_failing_case_does_not_fail_the_gate() {
        let cmp = Comparison::of_agents(
            &agent("a", &[("1.1.1", "OK", "OK", None)]),
            &agent(
                "a",
                &[("1.1.1", "OK", "OK", None), ("1.1.3", "FAILED", "OK", None)],
            ),
            Policy::Strict,
        );
        assert!(cmp.passed());
    }

    #[test]
    fn unimplemented_in_both_runs_is_unchanged_and_passes() {
        let cmp = Comparison::of_agents(
            &agent("a", &[("12.1.1", "UNIMPLEMENTED", "OK", None)]),
            &agent("a", &[("12.1.1", "UNIMPLEMENTED", "OK", None)]),
            Policy::Strict,
        );
        assert_eq!(change_of(&cmp, "12.1.1"), Change::Unchanged);
        assert!(cmp.cases[0].current.as_ref().unwrap().passes);
    }

    #[test]
    fn losing_an_extension_is_a_regression() {
        let cmp = Comparison::of_agents(
            &agent("a", &[("12.1.1", "OK", "OK", None)]),
            &agent("a", &[("12.1.1", "UNIMPLEMENTED", "OK", None)]),
            Policy::Lenient,
        );
        assert_eq!(change_of(&cmp, "12.1.1"), Change::Regression);
    }

    #[test]
    fn gaining_an_extension_is_a_fix() {
        let cmp = Comparison::of_agents(
            &agent("a", &[("12.1.1", "UNIMPLEMENTED", "OK", None)]),
            &agent("a", &[("12.1.1", "OK", "OK", None)]),
            Policy::Strict,
        );
        // UNIMPLEMENTED passed in the base (it says so itself), so this is a change within passing.
        assert_eq!(change_of(&cmp, "12.1.1"), Change::Changed);
    }

    #[test]
    fn the_ten_biggest_duration_changes_are_kept_largest_first() {
        let base: Vec<(String, u64)> = (1..=12).map(|i| (format!("9.1.{i}"), 100)).collect();
        let current: Vec<(String, u64)> = (1..=12)
            .map(|i| (format!("9.1.{i}"), 100 + i * 10))
            .collect();
        let to_agent = |v: &Vec<(String, u64)>| {
            let rows: Vec<(&str, &str, &str, Option<u64>)> = v
                .iter()
                .map(|(id, d)| (id.as_str(), "OK", "OK", Some(*d)))
                .collect();
            agent("a", &rows)
        };
        let cmp = Comparison::of_agents(&to_agent(&base), &to_agent(&current), Policy::Strict);
        assert_eq!(cmp.duration_changes.len(), DURATION_CHANGES_KEPT);
        assert_eq!(cmp.duration_changes[0].id.as_str(), "9.1.12");
        assert_eq!(cmp.duration_changes[0].delta_ms, 120);
        assert_eq!(cmp.base_total_ms, Some(1200));
        assert_eq!(cmp.current_total_ms, Some(1200 + 780));
    }

    #[test]
    fn disjoint_runs_are_refused() {
        let base = Run {
            label: "base".into(),
            kind: RunKind::Results,
            agents: [("a".to_owned(), agent("a", &[("1.1.1", "OK", "OK", None)]))].into(),
        };
        let current = Run {
            label: "current".into(),
            kind: RunKind::Results,
            agents: [("a".to_owned(), agent("a", &[("2.1", "OK", "OK", None)]))].into(),
        };
        let err = Comparison::of_runs(&base, &current, None, Policy::Strict).unwrap_err();
        assert!(matches!(err, ReportError::DisjointRuns { .. }), "{err}");
    }
}
