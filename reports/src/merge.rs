//! Merging runs: the report directories of the shards of one run (`wsspec run --shard
//! I/N`), and runs of other agents, into one run that is written, read, reported on and
//! compared like any other.
//!
//! A merge only ever adds: an agent's cases are the union of that agent's cases in every
//! input, kept exactly as they were read. The same case of the same agent in two inputs
//! is allowed only when both hold the same result (the same directory given twice, or
//! shards that overlap by accident but agree); otherwise the merge is refused, naming
//! both inputs, rather than silently keeping one of them.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use crate::error::ReportError;
use crate::model::{AgentRun, CaseResult, Incomplete, Run, RunKind};
use crate::write::case_report_file_name;

/// Merges `runs` (each labelled by where it was read from) into one run labelled
/// `label`.
///
/// Baselines are refused (they hold verdicts, not results), and so is the same (agent,
/// case) with different results in two runs ([`ReportError::MergeConflict`], naming
/// both). Identical duplicates are kept once. Each case keeps its details; its
/// `reportfile` is set to the name [`crate::write_run`] writes it under.
pub fn merge_runs(runs: &[Run], label: &str) -> Result<Run, ReportError> {
    if runs.is_empty() {
        return Err(ReportError::NothingToMerge);
    }
    let mut agents: BTreeMap<String, AgentRun> = BTreeMap::new();
    // Where each (agent, case) came from, for the conflict message.
    let mut origin: BTreeMap<(String, String), usize> = BTreeMap::new();
    // Cases an incomplete input did not complete, per agent.
    let mut missing: BTreeMap<String, usize> = BTreeMap::new();
    for (input, run) in runs.iter().enumerate() {
        if run.kind == RunKind::Baseline {
            return Err(ReportError::MergeBaseline {
                run: run.label.clone(),
            });
        }
        for (name, agent) in &run.agents {
            let merged = agents
                .entry(name.clone())
                .or_insert_with(|| AgentRun::new(agent.agent.clone(), BTreeMap::new()));
            // A merge with an incomplete input is incomplete: it was to run what every
            // input selected.
            if let Some(i) = agent.incomplete {
                *missing.entry(name.clone()).or_default() +=
                    i.selected.saturating_sub(agent.cases.len());
            }
            for (id, result) in &agent.cases {
                let mut result = result.clone();
                result.report_file = Some(case_report_file_name(&agent.agent, id));
                match merged.cases.entry(id.clone()) {
                    Entry::Vacant(slot) => {
                        slot.insert(result);
                        origin.insert((name.clone(), id.to_string()), input);
                    }
                    Entry::Occupied(slot) => {
                        if !same_result(slot.get(), &result) {
                            let first = origin[&(name.clone(), id.to_string())];
                            return Err(ReportError::MergeConflict {
                                agent: name.clone(),
                                case: id.to_string(),
                                first: runs[first].label.clone(),
                                second: run.label.clone(),
                                difference: difference(slot.get(), &result),
                            });
                        }
                    }
                }
            }
        }
    }
    for (name, missing) in missing {
        if let Some(agent) = agents.get_mut(&name) {
            agent.incomplete = Some(Incomplete {
                selected: agent.cases.len() + missing,
            });
        }
    }
    Ok(Run {
        label: label.to_owned(),
        kind: RunKind::Results,
        agents,
    })
}

/// The same result, whatever file it was read from.
fn same_result(a: &CaseResult, b: &CaseResult) -> bool {
    let unnamed = |r: &CaseResult| CaseResult {
        report_file: None,
        ..r.clone()
    };
    unnamed(a) == unnamed(b)
}

/// How two results of one case differ, in a few words.
fn difference(first: &CaseResult, second: &CaseResult) -> String {
    let verdicts = |r: &CaseResult| format!("{} / {}", r.behavior, r.behavior_close);
    if verdicts(first) != verdicts(second) {
        format!(
            "{} in the first, {} in the second",
            verdicts(first),
            verdicts(second)
        )
    } else {
        format!(
            "{} in both, but other details differ (a case run twice?)",
            verdicts(first)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case_id::CaseId;
    use crate::verdict::Verdict;

    fn run(label: &str, agent: &str, cases: &[(&str, Verdict, u64)]) -> Run {
        let cases = cases
            .iter()
            .map(|(id, verdict, ms)| {
                let mut result = CaseResult::new(verdict.clone(), Verdict::Ok);
                result.duration_ms = Some(*ms);
                (CaseId::from(*id), result)
            })
            .collect();
        let mut agents = BTreeMap::new();
        agents.insert(agent.to_owned(), AgentRun::new(agent, cases));
        Run {
            label: label.to_owned(),
            kind: RunKind::Results,
            agents,
        }
    }

    fn ids(run: &Run, agent: &str) -> Vec<String> {
        run.agents[agent]
            .cases
            .keys()
            .map(|id| id.to_string())
            .collect()
    }

    #[test]
    fn shards_of_one_agent_merge_into_the_union_of_their_cases() {
        let a = run(
            "s1",
            "ws",
            &[("1.1.1", Verdict::Ok, 3), ("2.10", Verdict::Ok, 4)],
        );
        let b = run(
            "s2",
            "ws",
            &[("2.9", Verdict::Failed, 5), ("10.1.1", Verdict::Ok, 1)],
        );
        let merged = merge_runs(&[a, b], "out").unwrap();
        assert_eq!(merged.label, "out");
        assert_eq!(merged.kind, RunKind::Results);
        assert_eq!(ids(&merged, "ws"), ["1.1.1", "2.9", "2.10", "10.1.1"]);
        let failed = &merged.agents["ws"].cases[&CaseId::from("2.9")];
        assert_eq!(failed.behavior, Verdict::Failed);
        assert_eq!(failed.duration_ms, Some(5));
        assert_eq!(failed.report_file.as_deref(), Some("ws_case_2_9.json"));
    }

    #[test]
    fn runs_of_other_agents_stay_separate_agents() {
        let a = run("a", "server-a", &[("1.1.1", Verdict::Ok, 1)]);
        let b = run("b", "server-b", &[("1.1.1", Verdict::Failed, 1)]);
        let merged = merge_runs(&[a, b], "out").unwrap();
        assert_eq!(merged.agent_names(), "server-a, server-b");
        assert_eq!(
            merged.agents["server-b"].cases[&CaseId::from("1.1.1")].behavior,
            Verdict::Failed
        );
    }

    #[test]
    fn the_same_case_with_another_verdict_is_a_conflict_naming_both_inputs() {
        let a = run("shards/1", "ws", &[("1.1.1", Verdict::Ok, 1)]);
        let b = run("shards/2", "ws", &[("1.1.1", Verdict::Failed, 1)]);
        let err = merge_runs(&[a, b], "out").unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, ReportError::MergeConflict { .. }), "{text}");
        assert!(
            text.contains("shards/1") && text.contains("shards/2"),
            "{text}"
        );
        assert!(text.contains("1.1.1") && text.contains("\"ws\""), "{text}");
        assert!(
            text.contains("OK / OK in the first, FAILED / OK in the second"),
            "{text}"
        );
    }

    #[test]
    fn the_same_case_with_the_same_verdict_but_other_details_is_a_conflict() {
        let a = run("first", "ws", &[("1.1.1", Verdict::Ok, 1)]);
        let b = run("second", "ws", &[("1.1.1", Verdict::Ok, 2)]);
        let text = merge_runs(&[a, b], "out").unwrap_err().to_string();
        assert!(
            text.contains("OK / OK in both, but other details differ"),
            "{text}"
        );
    }

    #[test]
    fn an_identical_duplicate_is_kept_once() {
        let a = run(
            "dir",
            "ws",
            &[("1.1.1", Verdict::Ok, 1), ("1.1.2", Verdict::Ok, 2)],
        );
        let mut b = a.clone();
        b.label = "dir-again".into();
        // Read from a file of another name: still the same result.
        b.agents
            .get_mut("ws")
            .unwrap()
            .cases
            .values_mut()
            .for_each(|r| {
                r.report_file = Some("elsewhere.json".into());
            });
        let merged = merge_runs(&[a, b], "out").unwrap();
        assert_eq!(ids(&merged, "ws"), ["1.1.1", "1.1.2"]);
    }

    #[test]
    fn baselines_are_not_merged() {
        let mut a = run("expected.json", "ws", &[("1.1.1", Verdict::Ok, 1)]);
        a.kind = RunKind::Baseline;
        let err = merge_runs(&[a], "out").unwrap_err();
        assert!(matches!(err, ReportError::MergeBaseline { .. }));
        assert!(err.to_string().contains("expected.json"));
    }

    #[test]
    fn nothing_to_merge_is_an_error() {
        assert!(matches!(
            merge_runs(&[], "out"),
            Err(ReportError::NothingToMerge)
        ));
    }
}
