//! An interrupted run: `index.json` marks it under the agent (`wsspecIncomplete`), the
//! mark survives a write and a read and a merge, every format says "INCOMPLETE RUN: n
//! of m cases" before anything else, and an incomplete run passes no gate.

use std::collections::BTreeMap;

use serde_json::Value;
use wsspec_reports::{
    index_json, load, merge_runs, render_comparison, render_report, write_run, AgentRun, CaseId,
    CaseResult, Comparison, Format, Incomplete, Policy, RenderOptions, Run, RunKind, RunReport,
    Verdict, INCOMPLETE_KEY,
};

const NOTICE: &str = "INCOMPLETE RUN: 2 of 5 cases";

fn agent(name: &str, ids: &[&str], selected: Option<usize>) -> AgentRun {
    let cases: BTreeMap<CaseId, CaseResult> = ids
        .iter()
        .map(|id| {
            let mut result = CaseResult::new(Verdict::Ok, Verdict::Ok);
            result.duration_ms = Some(3);
            (CaseId::from(*id), result)
        })
        .collect();
    let mut agent = AgentRun::new(name, cases);
    agent.incomplete = selected.map(|selected| Incomplete { selected });
    agent
}

fn run_of(agent: AgentRun) -> Run {
    Run {
        label: "interrupted".to_owned(),
        kind: RunKind::Results,
        agents: [(agent.agent.clone(), agent)].into_iter().collect(),
    }
}

fn interrupted() -> Run {
    run_of(agent("srv", &["1.1.1", "2.1"], Some(5)))
}

#[test]
fn index_json_marks_the_run_under_the_agent() {
    let index: Value = serde_json::from_str(&index_json(&interrupted())).unwrap();
    let marker = &index["srv"][INCOMPLETE_KEY];
    assert_eq!(marker["completed"], 2);
    assert_eq!(marker["selected"], 5);
    // The cases are wstest's entries, unchanged.
    assert_eq!(index["srv"]["1.1.1"]["behavior"], "OK");
}

#[test]
fn a_complete_run_has_no_marker() {
    let complete = run_of(agent("srv", &["1.1.1", "2.1"], None));
    assert!(!index_json(&complete).contains(INCOMPLETE_KEY));
}

#[test]
fn the_marker_survives_a_write_and_a_read() {
    let dir = tempdir();
    write_run(dir.path(), &interrupted()).unwrap();
    let read = load(dir.path()).unwrap();
    let srv = &read.agents["srv"];
    assert_eq!(srv.incomplete, Some(Incomplete { selected: 5 }));
    let ids: Vec<&str> = srv.cases.keys().map(CaseId::as_str).collect();
    assert_eq!(ids, ["1.1.1", "2.1"], "the marker is not read as a case");
}

#[test]
fn every_format_says_so_first() {
    let report = RunReport::new(&interrupted(), None, Policy::Strict).unwrap();
    let text = render_report(&report, Format::Text, RenderOptions { color: false });
    assert_eq!(text.lines().next(), Some(NOTICE));
    let md = render_report(&report, Format::Markdown, RenderOptions::default());
    assert!(
        md.lines()
            .next()
            .unwrap()
            .starts_with(&format!("> **{NOTICE}**")),
        "{md}"
    );
    let html = render_report(&report, Format::Html, RenderOptions::default());
    let banner = html.find(NOTICE).expect("the HTML says so");
    assert!(
        banner < html.find("<h2>").unwrap(),
        "before the first heading"
    );
    let junit = render_report(&report, Format::Junit, RenderOptions::default());
    assert_eq!(
        junit.lines().nth(1),
        Some(format!("<!-- {NOTICE} -->").as_str())
    );
    assert!(junit.contains("name=\"wsspec.incomplete\""), "{junit}");
    let json: Value = serde_json::from_str(&render_report(
        &report,
        Format::Json,
        RenderOptions::default(),
    ))
    .unwrap();
    assert_eq!(json["incomplete"][0], NOTICE);
    assert_eq!(json["agents"][0]["incomplete"]["selected"], 5);
    assert_eq!(json["passed"], false);
}

#[test]
fn an_incomplete_run_passes_no_gate_even_when_every_case_passed() {
    let report = RunReport::new(&interrupted(), None, Policy::Lenient).unwrap();
    assert!(report.agents[0].cases.iter().all(|c| c.passes));
    assert!(!report.passed());
    assert_eq!(report.exit_code(), 1);
    let complete = run_of(agent("srv", &["1.1.1", "2.1"], None));
    assert!(RunReport::new(&complete, None, Policy::Strict)
        .unwrap()
        .passed());
}

#[test]
fn a_comparison_with_an_incomplete_current_run_says_so_first() {
    let base = run_of(agent("srv", &["1.1.1", "2.1", "2.2", "2.3", "2.4"], None));
    let cmp = Comparison::of_runs(&base, &interrupted(), None, Policy::Strict).unwrap();
    assert_eq!(cmp.incomplete_notice().as_deref(), Some(NOTICE));
    for format in [Format::Text, Format::Markdown] {
        let out = render_comparison(&cmp, format, RenderOptions::default());
        assert!(
            out.lines().next().unwrap().contains(NOTICE),
            "{format}: {out}"
        );
    }
    let json = render_comparison(&cmp, Format::Json, RenderOptions::default());
    assert!(json.contains(NOTICE), "{json}");
}

#[test]
fn merging_an_incomplete_shard_keeps_the_run_incomplete() {
    let done = run_of(agent("srv", &["1.1.1", "1.1.2"], None));
    let cut = run_of(agent("srv", &["2.1"], Some(3)));
    let merged = merge_runs(&[done.clone(), cut], "merged").unwrap();
    let srv = &merged.agents["srv"];
    assert_eq!(srv.cases.len(), 3);
    assert_eq!(srv.incomplete, Some(Incomplete { selected: 5 }));
    let whole = merge_runs(&[done], "merged").unwrap();
    assert_eq!(whole.agents["srv"].incomplete, None);
}

fn tempdir() -> TempDir {
    TempDir::new()
}

/// A directory under the system's temporary directory, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "wsspec-incomplete-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
