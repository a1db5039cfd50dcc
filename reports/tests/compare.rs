//! Comparisons of real runs: the Node `ws` server before and after it stopped validating
//! UTF-8 and got a 64 KiB message limit and no permessage-deflate.

use std::fs;
use std::path::{Path, PathBuf};

use wsspec_reports::{load, Baseline, Change, Comparison, Policy, ReportError, Verdict};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn ids(cmp: &Comparison, change: Change) -> Vec<String> {
    cmp.with_change(change).map(|c| c.id.to_string()).collect()
}

#[test]
fn the_sloppy_server_regresses_on_utf8_limits_and_deflate() {
    let base = load(&fixture("ws-base")).unwrap();
    let current = load(&fixture("ws-current")).unwrap();
    let cmp = Comparison::of_runs(&base, &current, None, Policy::Strict).unwrap();
    assert_eq!(
        ids(&cmp, Change::Regression),
        [
            "6.3.1", "6.4.1", "6.8.1", "6.12.1", "6.20.1", "7.5.1", "9.1.2", "9.2.2", "12.1.1",
            "13.1.1"
        ]
    );
    assert_eq!(cmp.count(Change::Missing), 0);
    assert_eq!(cmp.count(Change::New), 0);
    assert!(!cmp.passed());
    assert_eq!(cmp.exit_code(), 1);
    // 6.4.1 was NON-STRICT (failing under strict) and got worse.
    let c641 = cmp.cases.iter().find(|c| c.id.as_str() == "6.4.1").unwrap();
    assert!(c641.why.contains("got worse"), "{}", c641.why);
    assert!(
        c641.detail.is_some(),
        "the current run's details travel with the case"
    );
}

#[test]
fn the_reverse_comparison_is_all_fixes_and_changes() {
    let base = load(&fixture("ws-current")).unwrap();
    let current = load(&fixture("ws-base")).unwrap();
    let cmp = Comparison::of_runs(&base, &current, None, Policy::Lenient).unwrap();
    assert_eq!(
        ids(&cmp, Change::Fix),
        ["6.3.1", "6.4.1", "6.8.1", "6.12.1", "6.20.1", "7.5.1", "9.1.2", "9.2.2"]
    );
    // UNIMPLEMENTED passed in the base (it said so itself); OK now is a change within passing.
    assert_eq!(ids(&cmp, Change::Changed), ["12.1.1", "13.1.1"]);
    assert!(cmp.passed());
}

#[test]
fn durations_are_compared_per_case_and_in_total() {
    let base = load(&fixture("ws-base")).unwrap();
    let current = load(&fixture("ws-current")).unwrap();
    let cmp = Comparison::of_runs(&base, &current, None, Policy::Strict).unwrap();
    let base_total: u64 = base
        .agent(None)
        .unwrap()
        .cases
        .values()
        .filter_map(|c| c.duration_ms)
        .sum();
    assert_eq!(cmp.base_total_ms, Some(base_total));
    assert!(cmp.duration_changes.len() <= 10);
    let deltas: Vec<u64> = cmp
        .duration_changes
        .iter()
        .map(|d| d.delta_ms.unsigned_abs())
        .collect();
    assert!(deltas.windows(2).all(|w| w[0] >= w[1]), "{deltas:?}");
    assert!(cmp
        .duration_changes
        .iter()
        .all(|d| d.current_ms as i64 - d.base_ms as i64 == d.delta_ms));
}

#[test]
fn a_run_compared_with_its_own_baseline_is_unchanged() {
    let run = load(&fixture("echoserver")).unwrap();
    let dir = std::env::temp_dir().join(format!("wsspec-compare-baseline-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join("expected.json");
    fs::write(
        &path,
        Baseline::from_agent(run.agent(None).unwrap()).to_json(),
    )
    .unwrap();
    let baseline = load(&path).unwrap();
    let cmp = Comparison::of_runs(&baseline, &run, None, Policy::Strict).unwrap();
    assert_eq!(cmp.count(Change::Unchanged), 34);
    assert!(
        cmp.passed(),
        "NON-STRICT in both is unchanged; UNIMPLEMENTED passes because the baseline says so"
    );
    assert!(
        cmp.duration_changes.is_empty(),
        "a baseline has no durations"
    );
}

#[test]
fn a_baseline_accept_list_turns_a_regression_into_a_pass() {
    let current = load(&fixture("ws-current")).unwrap();
    let base = load(&fixture("ws-base")).unwrap();
    let mut baseline = Baseline::from_agent(base.agent(None).unwrap());
    for case in baseline.cases.values_mut() {
        case.accept = vec![Verdict::Failed, Verdict::WrongCode, Verdict::Unimplemented];
    }
    let dir = std::env::temp_dir().join(format!("wsspec-compare-accept-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join("expected.json");
    fs::write(&path, baseline.to_json()).unwrap();
    let cmp = Comparison::of_runs(&load(&path).unwrap(), &current, None, Policy::Strict).unwrap();
    assert_eq!(
        cmp.count(Change::Regression),
        0,
        "{:?}",
        ids(&cmp, Change::Regression)
    );
    assert!(cmp.passed());
}

#[test]
fn the_agent_is_found_by_name_on_the_side_with_several() {
    let single = load(&fixture("echoserver")).unwrap();
    let two = load(&fixture("two-agents")).unwrap();
    let cmp = Comparison::of_runs(&single, &two, None, Policy::Strict).unwrap();
    assert_eq!(cmp.current_agent, "wstest-echoserver");
    assert!(cmp.passed());
    let err = Comparison::of_runs(&single, &two, Some("ws-sloppy"), Policy::Strict).unwrap_err();
    assert!(matches!(err, ReportError::AgentNotFound { .. }), "{err}");
}

#[test]
fn cases_missing_from_the_current_run_fail_the_gate() {
    let base = load(&fixture("ws-base")).unwrap();
    let mut current = base.clone();
    let agent = current.agents.get_mut("ws").unwrap();
    agent.cases.retain(|id, _| id.section() != "9");
    let cmp = Comparison::of_runs(&base, &current, None, Policy::Strict).unwrap();
    assert_eq!(ids(&cmp, Change::Missing), ["9.1.1", "9.1.2", "9.2.2"]);
    assert!(!cmp.passed());
    let reverse = Comparison::of_runs(&current, &base, None, Policy::Strict).unwrap();
    assert_eq!(ids(&reverse, Change::New), ["9.1.1", "9.1.2", "9.2.2"]);
    assert!(reverse.passed());
}
