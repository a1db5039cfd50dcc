//! Snapshots of every renderer, for a report and a comparison of real wstest output.

use std::path::Path;

use wsspec_reports::render::markdown::MAX_MARKDOWN_BYTES;
use wsspec_reports::{
    load, render_comparison, render_report, AgentRun, CaseId, CaseResult, Comparison, Format,
    Policy, RenderOptions, RunReport, Verdict,
};

/// Fixture paths relative to the crate, so labels in the output are stable.
fn run(name: &str) -> wsspec_reports::Run {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    load(&Path::new("tests/fixtures").join(name)).unwrap()
}

fn report() -> RunReport {
    RunReport::new(&run("ws-current"), None, Policy::Strict).unwrap()
}

fn comparison() -> Comparison {
    Comparison::of_runs(&run("ws-base"), &run("ws-current"), None, Policy::Strict).unwrap()
}

const PLAIN: RenderOptions = RenderOptions { color: false };

#[test]
fn text_report() {
    insta::assert_snapshot!(render_report(&report(), Format::Text, PLAIN));
}

#[test]
fn text_report_for_two_agents_without_details() {
    let report = RunReport::new(&run("two-agents"), None, Policy::Lenient).unwrap();
    insta::assert_snapshot!(render_report(&report, Format::Text, PLAIN));
}

#[test]
fn text_comparison() {
    insta::assert_snapshot!(render_comparison(&comparison(), Format::Text, PLAIN));
}

#[test]
fn text_colour_only_when_asked() {
    let plain = render_report(&report(), Format::Text, PLAIN);
    let coloured = render_report(&report(), Format::Text, RenderOptions { color: true });
    assert!(!plain.contains('\x1b'));
    assert!(coloured.contains("\x1b[31mFAILED\x1b[0m"));
}

#[test]
fn markdown_report() {
    insta::assert_snapshot!(render_report(&report(), Format::Markdown, PLAIN));
}

#[test]
fn markdown_comparison() {
    insta::assert_snapshot!(render_comparison(&comparison(), Format::Markdown, PLAIN));
}

#[test]
fn junit_report() {
    insta::assert_snapshot!(render_report(&report(), Format::Junit, PLAIN));
}

#[test]
fn junit_comparison() {
    insta::assert_snapshot!(render_comparison(&comparison(), Format::Junit, PLAIN));
}

#[test]
fn json_report() {
    insta::assert_snapshot!(render_report(&report(), Format::Json, PLAIN));
}

#[test]
fn json_comparison() {
    insta::assert_snapshot!(render_comparison(&comparison(), Format::Json, PLAIN));
}

#[test]
fn html_report() {
    insta::assert_snapshot!(render_report(&report(), Format::Html, PLAIN));
}

#[test]
fn html_comparison() {
    insta::assert_snapshot!(render_comparison(&comparison(), Format::Html, PLAIN));
}

#[test]
fn html_is_self_contained() {
    for html in [
        render_report(&report(), Format::Html, PLAIN),
        render_comparison(&comparison(), Format::Html, PLAIN),
    ] {
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "no network references"
        );
        assert!(
            !html.contains("<link") && !html.contains("src="),
            "no external resources"
        );
        assert!(html.contains("<style>") && html.contains("<script>"));
    }
}

#[test]
fn html_escapes_what_the_peer_sent() {
    let mut agent = AgentRun {
        agent: "<script>alert(1)</script>".into(),
        ..AgentRun::default()
    };
    agent.cases.insert(
        CaseId::from("1.1.1"),
        CaseResult::new(Verdict::parse("<b>odd</b>"), Verdict::Ok),
    );
    let run = wsspec_reports::Run {
        label: "x\"><img>".into(),
        kind: wsspec_reports::RunKind::Results,
        agents: [(agent.agent.clone(), agent)].into(),
    };
    let html = render_report(
        &RunReport::new(&run, None, Policy::Strict).unwrap(),
        Format::Html,
        PLAIN,
    );
    assert!(!html.contains("<script>alert"), "agent name escaped");
    assert!(!html.contains("<b>odd</b>") && !html.contains("<img>"));
    assert!(html.contains("&lt;b&gt;odd&lt;/b&gt;"));
}

#[test]
fn junit_is_one_suite_per_section_and_one_case_per_id() {
    let xml = render_report(&report(), Format::Junit, PLAIN);
    assert_eq!(xml.matches("<testsuite ").count(), 11);
    assert_eq!(xml.matches("<testcase ").count(), 34);
    assert_eq!(xml.matches("<failure ").count(), 10);
}

#[test]
fn markdown_stays_under_the_comment_limit() {
    // Every catalog-sized case regressing, each with a long description.
    let mut base = AgentRun {
        agent: "big".into(),
        ..AgentRun::default()
    };
    let mut current = base.clone();
    for i in 0..2000 {
        let id = CaseId::new(format!("6.{}.{}", i / 50, i % 50));
        base.cases
            .insert(id.clone(), CaseResult::new(Verdict::Ok, Verdict::Ok));
        let mut failed = CaseResult::new(Verdict::Failed, Verdict::Unclean);
        failed.detail = Some(Box::new(wsspec_reports::CaseDetail {
            description: Some("A long description of what the case sends. ".repeat(20)),
            ..Default::default()
        }));
        current.cases.insert(id, failed);
    }
    let cmp = Comparison::of_agents(&base, &current, Policy::Strict);
    let md = render_comparison(&cmp, Format::Markdown, PLAIN);
    assert!(md.len() <= MAX_MARKDOWN_BYTES, "{}", md.len());
    assert!(md.contains("**Truncated:**"));
    assert!(md.starts_with("## ❌ wsspec: 2000 regressions, 0 missing"));
}

/// Forty cases broken by one bug read as one finding: the cause once, every id, and
/// only the first few cases in full (text and Markdown; HTML has them all).
#[test]
fn cases_sharing_a_cause_are_listed_once_under_it() {
    let mut agent = AgentRun {
        agent: "srv".into(),
        ..AgentRun::default()
    };
    for i in 1..=40 {
        let mut failed = CaseResult::new(Verdict::Ok, Verdict::Failed);
        // A server that ignores invalid UTF-8: the suite's timer closes the connection.
        failed.detail = Some(Box::new(
            serde_json::from_value(serde_json::json!({
                "id": format!("6.12.{i}"),
                "received": [],
                "expected": {"OK": []},
                "expectedClose": {"closeCode": [1007], "closedByMe": false, "requireClean": false},
                "closedByMe": true, "failedByMe": true,
                "localCloseCode": 1001, "localCloseReason": "Going Away",
                "resultClose": "The connection was failed by the wrong endpoint"
            }))
            .unwrap(),
        ));
        agent.cases.insert(CaseId::new(format!("6.12.{i}")), failed);
    }
    let run = wsspec_reports::Run {
        label: "x".into(),
        kind: wsspec_reports::RunKind::Results,
        agents: [(agent.agent.clone(), agent)].into(),
    };
    let report = RunReport::new(&run, None, Policy::Strict).unwrap();
    let cause = "The server did not fail the connection; the suite had to close it";
    let text = render_report(&report, Format::Text, PLAIN);
    assert_eq!(text.matches(cause).count(), 1, "{text}");
    assert!(text.contains("40 cases: 6.12.1–6.12.40"), "{text}");
    assert!(text
        .contains("Invalid UTF-8 in a text message fails the connection (1007) (RFC 6455 §8.1)"));
    assert_eq!(text.matches("Actual:").count(), 3);
    assert!(text.contains("… and 37 more like these"));
    let md = render_report(&report, Format::Markdown, PLAIN);
    assert_eq!(
        md.matches(cause).count(),
        2,
        "the table row and the section: {md}"
    );
    assert_eq!(md.matches("- **Actual:**").count(), 3);
    let html = render_report(&report, Format::Html, PLAIN);
    assert_eq!(html.matches("<dt>What happened</dt>").count(), 40);
}
