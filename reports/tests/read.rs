//! Reading real wstest output (tests/fixtures, made by regenerate.sh).

use std::fs;
use std::path::{Path, PathBuf};

use wsspec_reports::{load, CaseId, ReportError, RunKind, Verdict, WireLogRow};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wsspec-reports-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_wstest_directory_reads_into_one_agent_with_details() {
    let run = load(&fixture("ws-current")).unwrap();
    assert_eq!(run.kind, RunKind::Results);
    let agent = run.agent(None).unwrap();
    assert_eq!(agent.agent, "ws");
    assert_eq!(agent.cases.len(), 34);
    assert!(agent.cases.values().all(|c| c.detail.is_some()));
    let case = &agent.cases[&CaseId::from("7.5.1")];
    assert_eq!(
        (&case.behavior, &case.behavior_close),
        (&Verdict::Failed, &Verdict::WrongCode)
    );
    assert_eq!(case.remote_close_code, Some(1000));
    let detail = case.detail.as_ref().unwrap();
    assert_eq!(detail.id, "7.5.1");
    assert_eq!(detail.expected_close_codes(), vec![1002, 1007]);
    assert!(detail
        .wirelog
        .as_ref()
        .unwrap()
        .iter()
        .all(|r| !matches!(r, WireLogRow::Other(_))));
}

#[test]
fn cases_are_in_catalog_order() {
    let run = load(&fixture("echoserver")).unwrap();
    let ids: Vec<&str> = run
        .agent(None)
        .unwrap()
        .cases
        .keys()
        .map(CaseId::as_str)
        .collect();
    let pos = |id: &str| ids.iter().position(|x| *x == id).unwrap();
    assert!(pos("2.5") < pos("2.10"));
    assert!(pos("9.2.2") < pos("10.1.1"));
    assert!(pos("10.1.1") < pos("12.1.1"));
}

#[test]
fn several_agents_in_one_directory_are_kept_apart() {
    let run = load(&fixture("two-agents")).unwrap();
    let names: Vec<&String> = run.agents.keys().collect();
    assert_eq!(names, ["ws-sloppy", "wstest-echoserver"]);
    assert!(matches!(
        run.agent(None),
        Err(ReportError::AmbiguousAgent { .. })
    ));
    // The echo server's per-case files were left out of the fixture: index only.
    let echo = run.agent(Some("wstest-echoserver")).unwrap();
    assert!(echo.cases.values().all(|c| c.detail.is_none()));
    assert_eq!(
        echo.cases[&CaseId::from("3.2")].behavior,
        Verdict::NonStrict
    );
    let sloppy = run.agent(Some("ws-sloppy")).unwrap();
    assert!(sloppy.cases.values().all(|c| c.detail.is_some()));
}

#[test]
fn a_bare_index_json_reads_without_its_directory_listing() {
    let dir = temp_dir("bare-index");
    fs::copy(fixture("echoserver/index.json"), dir.join("index.json")).unwrap();
    let run = load(&dir.join("index.json")).unwrap();
    let agent = run.agent(None).unwrap();
    assert_eq!(agent.cases.len(), 34);
    assert!(
        agent.cases.values().all(|c| c.detail.is_none()),
        "no per-case files beside it"
    );
    assert_eq!(agent.cases[&CaseId::from("6.4.1")].duration_ms, Some(1001));
}

#[test]
fn unknown_verdict_strings_are_kept() {
    let dir = temp_dir("unknown-verdict");
    let text = fs::read_to_string(fixture("ws-base/index.json")).unwrap();
    let text = text.replacen("\"behavior\": \"OK\"", "\"behavior\": \"SOMETHING NEW\"", 1);
    fs::write(dir.join("index.json"), text).unwrap();
    let run = load(&dir).unwrap();
    let case = &run.agent(None).unwrap().cases[&CaseId::from("1.1.1")];
    assert_eq!(case.behavior, Verdict::Other("SOMETHING NEW".into()));
}

#[test]
fn bad_inputs_are_errors_that_name_the_problem() {
    let missing = load(Path::new("/nonexistent/wsspec/run")).unwrap_err();
    assert!(matches!(missing, ReportError::NotFound { .. }), "{missing}");

    let empty = temp_dir("empty");
    assert!(matches!(
        load(&empty).unwrap_err(),
        ReportError::EmptyDirectory { .. }
    ));

    let no_index = temp_dir("no-index");
    fs::write(no_index.join("notes.txt"), "x").unwrap();
    assert!(matches!(
        load(&no_index).unwrap_err(),
        ReportError::NoIndex { .. }
    ));

    let invalid = temp_dir("invalid-json");
    fs::write(invalid.join("index.json"), "{\"ws\": {").unwrap();
    let err = load(&invalid).unwrap_err();
    assert!(matches!(err, ReportError::Json { .. }), "{err}");
    assert!(
        err.to_string().contains("index.json: invalid JSON"),
        "{err}"
    );

    let wrong_shape = temp_dir("wrong-shape");
    fs::write(
        wrong_shape.join("index.json"),
        "{\"ws\": {\"1.1.1\": {\"behavior\": 3}}}",
    )
    .unwrap();
    let err = load(&wrong_shape).unwrap_err().to_string();
    assert!(
        err.contains("agent \"ws\", case 1.1.1: behavior must be a string"),
        "{err}"
    );

    let no_results = temp_dir("no-results");
    fs::write(no_results.join("index.json"), "{}").unwrap();
    assert!(matches!(
        load(&no_results).unwrap_err(),
        ReportError::NoResults { .. }
    ));

    let not_object = temp_dir("not-object");
    fs::write(not_object.join("index.json"), "[1, 2]").unwrap();
    assert!(matches!(
        load(&not_object).unwrap_err(),
        ReportError::Format { .. }
    ));
}

#[test]
fn a_broken_per_case_file_is_an_error_naming_it() {
    let dir = temp_dir("broken-case-file");
    fs::copy(fixture("ws-base/index.json"), dir.join("index.json")).unwrap();
    fs::write(dir.join("ws_case_1_1_1.json"), "{\"duration\": \"slow\"}").unwrap();
    let err = load(&dir).unwrap_err().to_string();
    assert!(
        err.contains("ws_case_1_1_1.json") && err.contains("duration"),
        "{err}"
    );
}

#[test]
fn a_reportfile_outside_the_directory_is_not_followed() {
    let dir = temp_dir("reportfile-escape");
    let outside = temp_dir("reportfile-outside");
    fs::write(
        outside.join("secret.json"),
        "{\"description\": \"outside\"}",
    )
    .unwrap();
    let index = format!(
        "{{\"a\": {{\"1.1.1\": {{\"behavior\": \"OK\", \"behaviorClose\": \"OK\", \"reportfile\": \"../{}/secret.json\"}}}}}}",
        outside.file_name().unwrap().to_str().unwrap()
    );
    fs::write(dir.join("index.json"), index).unwrap();
    let run = load(&dir).unwrap();
    assert!(run.agent(None).unwrap().cases[&CaseId::from("1.1.1")]
        .detail
        .is_none());
}

#[test]
fn a_baseline_file_reads_as_a_baseline_run() {
    let dir = temp_dir("baseline");
    let path = dir.join("expected.json");
    fs::write(
        &path,
        r#"{"agent": "ws", "cases": {"1.1.1": {"behavior": "OK", "behaviorClose": "OK"},
            "12.1.1": {"behavior": "UNIMPLEMENTED", "behaviorClose": "OK", "accept": ["OK"]}}}"#,
    )
    .unwrap();
    let run = load(&path).unwrap();
    assert_eq!(run.kind, RunKind::Baseline);
    let agent = run.agent(Some("ws")).unwrap();
    assert_eq!(
        agent.cases[&CaseId::from("12.1.1")].accept,
        vec![Verdict::Ok]
    );
    assert!(agent.cases.values().all(|c| c.duration_ms.is_none()));
}
