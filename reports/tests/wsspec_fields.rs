//! wsspec's own sections (100–105) add `wsspecRfc`, `wsspecExpected` and
//! `wsspecActual` to a per-case JSON; every renderer shows them for a case that is not
//! OK, h2spec's way ("expected … / actual …"), and the fields survive a write and read.

use wsspec_reports::{
    case_detail_json, render_report, write_run, AgentRun, CaseDetail, CaseId, CaseResult, Format,
    Policy, RenderOptions, Run, RunKind, RunReport, Verdict, WSSPEC_ACTUAL, WSSPEC_EXPECTED,
    WSSPEC_RFC,
};

const RFC: &str = "RFC 6455 §4.4";
const EXPECTED: &str = "a 426 answer carrying Sec-WebSocket-Version: 13";
const ACTUAL: &str = "400 Bad Request without Sec-WebSocket-Version";

fn run() -> Run {
    let mut detail = CaseDetail {
        agent: "srv".to_owned(),
        id: "100.2.1".to_owned(),
        behavior: Verdict::Failed,
        behavior_close: Verdict::Ok,
        description: Some("Offer Sec-WebSocket-Version: 8.".to_owned()),
        result: Some("refused without the version header".to_owned()),
        ..CaseDetail::default()
    };
    for (key, value) in [
        (WSSPEC_RFC, RFC),
        (WSSPEC_EXPECTED, EXPECTED),
        (WSSPEC_ACTUAL, ACTUAL),
    ] {
        detail.extra.insert(key.to_owned(), value.into());
    }
    let mut result = CaseResult::new(Verdict::Failed, Verdict::Ok);
    result.detail = Some(Box::new(detail));
    let mut agent = AgentRun::new("srv", Default::default());
    agent.cases.insert(CaseId::from("100.2.1"), result);
    Run {
        label: "wsspec".to_owned(),
        kind: RunKind::Results,
        agents: [("srv".to_owned(), agent)].into_iter().collect(),
    }
}

fn rendered(format: Format) -> String {
    let report = RunReport::new(&run(), None, Policy::Strict).unwrap();
    render_report(&report, format, RenderOptions { color: false })
}

#[test]
fn every_renderer_shows_the_rule_expected_and_actual() {
    for format in [Format::Text, Format::Markdown, Format::Html, Format::Junit] {
        let out = rendered(format);
        for needle in [RFC, EXPECTED, ACTUAL] {
            assert!(out.contains(needle), "{format:?} lacks {needle:?}:\n{out}");
        }
    }
}

#[test]
fn the_junit_failure_message_says_expected_and_actual() {
    let out = rendered(Format::Junit);
    let message = format!("expected {EXPECTED} / actual {ACTUAL} ({RFC})");
    let line = out
        .lines()
        .find(|l| l.contains("<failure"))
        .expect("a failure element");
    assert!(line.contains(&message), "{line}");
}

#[test]
fn the_section_title_names_wsspecs_section() {
    assert!(rendered(Format::Text).contains("Opening Handshake (server)"));
}

#[test]
fn the_fields_survive_a_write_and_a_read() {
    let dir = std::env::temp_dir().join(format!("wsspec-fields-{}", std::process::id()));
    write_run(&dir, &run()).unwrap();
    let back = wsspec_reports::load(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    let back = back.unwrap();
    let detail = back.agents["srv"].cases[&CaseId::from("100.2.1")]
        .detail
        .clone()
        .unwrap();
    assert_eq!(detail.wsspec_rfc(), Some(RFC));
    assert_eq!(detail.wsspec_expected(), Some(EXPECTED));
    assert_eq!(detail.wsspec_actual(), Some(ACTUAL));
    let json = case_detail_json(&detail);
    assert!(json.contains("\"wsspecActual\": "), "{json}");
}
