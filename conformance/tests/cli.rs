//! The `wsspec` binary: exit statuses, one-line errors, output files.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../reports/tests/fixtures")
        .join(name)
}

fn wsspec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wsspec"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A usage or input error: status 2, one line on stderr, nothing on stdout, no panic.
fn assert_input_error(out: &Output, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.starts_with("wsspec: error: "), "{err}");
    assert!(err.contains(needle), "{err:?} should mention {needle:?}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn compare_exits_1_on_regressions() {
    let out = wsspec(&["compare", p(&fixture("ws-base")), p(&fixture("ws-current"))]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Regressions (10)"), "{text}");
    assert!(!text.contains('\x1b'), "no colour when not a terminal");
}

#[test]
fn compare_exits_0_when_nothing_regressed() {
    let out = wsspec(&[
        "compare",
        p(&fixture("ws-current")),
        p(&fixture("ws-base")),
        "--policy",
        "lenient",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn compare_exits_1_on_missing_cases() {
    let dir = tempfile::tempdir().unwrap();
    let index = fs::read_to_string(fixture("ws-base/index.json")).unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&index).unwrap();
    value["ws"]
        .as_object_mut()
        .unwrap()
        .remove("9.1.1")
        .unwrap();
    fs::write(dir.path().join("index.json"), value.to_string()).unwrap();
    let out = wsspec(&[
        "compare",
        p(&fixture("ws-base")),
        p(dir.path()),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\"missing\": 1"), "{text}");
}

#[test]
fn baseline_then_compare_passes_and_the_baseline_is_stable() {
    let dir = tempfile::tempdir().unwrap();
    let expected = dir.path().join("expected.json");
    let out = wsspec(&[
        "baseline",
        p(&fixture("echoserver")),
        "--output",
        p(&expected),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = fs::read_to_string(&expected).unwrap();
    assert!(
        text.contains("\"3.2\": {\"behavior\": \"NON-STRICT\", \"behaviorClose\": \"OK\"}"),
        "{text}"
    );
    assert!(!text.contains("duration"));
    // A baseline of a baseline is the same file.
    let again = dir.path().join("again.json");
    assert_eq!(
        wsspec(&["baseline", p(&expected), "-o", p(&again)])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(fs::read_to_string(&again).unwrap(), text);
    // The run passes against its own baseline, under strict too (NON-STRICT unchanged).
    let out = wsspec(&["compare", p(&expected), p(&fixture("echoserver"))]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // A bare index.json works on either side too.
    let index = fixture("echoserver").join("index.json");
    assert_eq!(
        wsspec(&["compare", p(&index), p(&expected)]).status.code(),
        Some(0)
    );
    assert_eq!(
        wsspec(&["compare", p(&expected), p(&index)]).status.code(),
        Some(0)
    );
    // …and the same baseline picks its agent out of a two-agent directory.
    let out = wsspec(&["compare", p(&expected), p(&fixture("two-agents"))]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn report_exits_1_when_cases_fail_and_0_with_exit_zero() {
    assert_eq!(
        wsspec(&["report", p(&fixture("ws-current"))]).status.code(),
        Some(1)
    );
    assert_eq!(
        wsspec(&["report", p(&fixture("ws-current")), "--exit-zero"])
            .status
            .code(),
        Some(0)
    );
    let base = wsspec(&[
        "report",
        p(&fixture("ws-base")),
        "--policy",
        "lenient",
        "--format",
        "md",
    ]);
    assert_eq!(
        base.status.code(),
        Some(0),
        "every ws-base case passes leniently"
    );
}

#[test]
fn report_writes_every_format_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    for (format, marker) in [
        ("text", "Cases not OK"),
        ("md", "| Section |"),
        ("junit", "<testsuites"),
        ("html", "<!DOCTYPE html>"),
        ("json", "\"agents\""),
    ] {
        let file = dir.path().join(format!("out.{format}"));
        let out = wsspec(&[
            "report",
            p(&fixture("ws-current")),
            "-f",
            format,
            "-o",
            p(&file),
            "--exit-zero",
        ]);
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{format}: written to the file only");
        assert!(
            fs::read_to_string(&file).unwrap().contains(marker),
            "{format}"
        );
        assert!(
            stderr(&out).contains("24 of 34 cases pass"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn report_on_one_agent_of_two() {
    let out = wsspec(&[
        "report",
        p(&fixture("two-agents")),
        "--agent",
        "wstest-echoserver",
        "--policy",
        "lenient",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("wstest-echoserver") && !text.contains("ws-sloppy"),
        "{text}"
    );
    // UNIMPLEMENTED fails without a baseline that says so.
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_missing_path_is_an_input_error() {
    assert_input_error(
        &wsspec(&["report", "/nonexistent/run"]),
        "/nonexistent/run: no such file or directory",
    );
}

#[test]
fn invalid_json_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("index.json"), "{\"ws\": ").unwrap();
    assert_input_error(&wsspec(&["report", p(dir.path())]), "invalid JSON");
}

#[test]
fn an_empty_directory_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    assert_input_error(
        &wsspec(&["compare", p(dir.path()), p(&fixture("ws-base"))]),
        "directory is empty",
    );
}

#[test]
fn an_absent_agent_is_an_input_error() {
    assert_input_error(
        &wsspec(&["report", p(&fixture("ws-base")), "--agent", "nginx"]),
        "agent \"nginx\" is not in",
    );
    assert_input_error(
        &wsspec(&["baseline", p(&fixture("two-agents")), "-o", "/dev/null"]),
        "choose one with --agent",
    );
}

#[test]
fn disjoint_runs_are_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("index.json"),
        r#"{"ws": {"99.1": {"behavior": "OK", "behaviorClose": "OK"}}}"#,
    )
    .unwrap();
    assert_input_error(
        &wsspec(&["compare", p(&fixture("ws-base")), p(dir.path())]),
        "no case in common",
    );
}

#[test]
fn usage_errors_exit_2_on_one_line() {
    assert_input_error(&wsspec(&["compare", p(&fixture("ws-base"))]), "<CURRENT>");
    assert_input_error(
        &wsspec(&["report", p(&fixture("ws-base")), "--format", "pdf"]),
        "unknown format \"pdf\"",
    );
    assert_input_error(
        &wsspec(&["report", p(&fixture("ws-base")), "--policy", "loose"]),
        "unknown policy",
    );
    assert_input_error(&wsspec(&["frobnicate"]), "frobnicate");
    assert_input_error(&wsspec(&["baseline", p(&fixture("ws-base"))]), "--output");
}

#[test]
fn help_exits_0() {
    let out = wsspec(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for sub in ["report", "compare", "baseline"] {
        assert!(text.contains(sub), "{text}");
    }
}

#[test]
fn an_unwritable_output_is_an_input_error() {
    assert_input_error(
        &wsspec(&[
            "report",
            p(&fixture("ws-base")),
            "-o",
            "/nonexistent/dir/out.txt",
        ]),
        "cannot write /nonexistent/dir/out.txt",
    );
}
