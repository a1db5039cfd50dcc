//! `--suite` on the command line: `wsspec cases` lists each suite, and `wsspec run
//! --suite wsspec` against the built-in reference echo server passes every case of
//! wsspec's own sections (exit 0) and writes their RFC rules into the report.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn wsspec(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wsspec"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn cases_lists_each_suite() {
    let count = |suite: &str| {
        let out = wsspec(&["cases", "--suite", suite]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = stdout(&out);
        let last = text.lines().last().unwrap().to_owned();
        last.trim_end_matches(" cases").parse::<usize>().unwrap()
    };
    let (autobahn, ours, all) = (count("autobahn"), count("wsspec"), count("all"));
    assert_eq!(autobahn, 517);
    assert!(ours > 500, "{ours}");
    assert_eq!(all, autobahn + ours);
    // The default is Autobahn's catalog.
    let out = wsspec(&["cases", "100.*"]);
    assert_eq!(out.status.code(), Some(2));
    let out = wsspec(&["cases", "--suite", "wsspec", "100.2.*"]);
    assert!(stdout(&out).starts_with("100.2.1 "), "{}", stdout(&out));
}

#[test]
fn an_unknown_suite_is_a_usage_error() {
    let out = wsspec(&["run", "--suite", "bogus"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("autobahn, wsspec, all"), "{err}");
}

#[test]
fn the_reference_echo_server_passes_wsspecs_own_sections() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("report");
    let out_dir = out_dir.to_str().unwrap();
    let out = wsspec(&["run", "--suite", "wsspec", "-q", "--out", out_dir]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let index: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(out_dir).join("index.json")).unwrap(),
    )
    .unwrap();
    let (_, cases) = index.as_object().unwrap().iter().next().unwrap();
    let cases = cases.as_object().unwrap();
    assert!(cases
        .keys()
        .all(|id| id.split('.').next().unwrap().parse::<u32>().unwrap() >= 100));
    for section in ["100.", "102.", "103.", "104.", "105."] {
        assert!(cases.keys().any(|id| id.starts_with(section)), "{section}");
    }
    let limit = &cases["103.2.2"];
    assert_eq!(
        limit["behavior"], "OK",
        "the built-in server's limit is known"
    );
    let file = Path::new(out_dir).join(limit["reportfile"].as_str().unwrap());
    let detail: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    assert_eq!(detail["wsspecRfc"], "RFC 6455 §10.4, §7.4.1");
    assert!(
        detail.get("wsspecActual").is_none(),
        "an OK case has no actual text"
    );
}
