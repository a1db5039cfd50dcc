//! The writer reproduces wstest's files byte for byte.

use std::fs;
use std::path::{Path, PathBuf};

use wsspec_reports::read::replace_lone_surrogates;
use wsspec_reports::{case_detail_json, index_json, load, write_run, CaseDetail};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The original text as this crate can hold it: wstest's lone surrogates become U+FFFD.
fn normalised(path: &Path) -> String {
    let bytes = fs::read(path).unwrap();
    String::from_utf8(replace_lone_surrogates(&bytes).into_owned()).unwrap()
}

#[test]
fn every_per_case_fixture_is_rewritten_byte_for_byte() {
    let mut checked = 0;
    for run in ["echoserver", "ws-base", "ws-current", "two-agents"] {
        for entry in fs::read_dir(fixture(run)).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().unwrap() == "index.json" {
                continue;
            }
            let original = normalised(&path);
            let detail: CaseDetail = serde_json::from_str(&original).unwrap();
            assert_eq!(case_detail_json(&detail), original, "{}", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 100, "only {checked} files checked");
}

#[test]
fn index_json_is_rewritten_byte_for_byte() {
    for run in ["echoserver", "ws-base", "ws-current", "two-agents"] {
        let loaded = load(&fixture(run)).unwrap();
        assert_eq!(
            index_json(&loaded),
            fs::read_to_string(fixture(run).join("index.json")).unwrap(),
            "{run}"
        );
    }
}

#[test]
fn a_written_run_reads_back_the_same() {
    let dir = std::env::temp_dir().join(format!("wsspec-reports-write-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let run = load(&fixture("two-agents")).unwrap();
    write_run(&dir, &run).unwrap();
    let back = load(&dir).unwrap();
    assert_eq!(
        back.agents.keys().collect::<Vec<_>>(),
        run.agents.keys().collect::<Vec<_>>()
    );
    for (name, agent) in &run.agents {
        let other = &back.agents[name];
        for (id, case) in &agent.cases {
            let again = &other.cases[id];
            assert_eq!(
                (&again.behavior, &again.behavior_close),
                (&case.behavior, &case.behavior_close)
            );
            assert_eq!(again.duration_ms, case.duration_ms);
            assert_eq!(again.remote_close_code, case.remote_close_code);
            // Every written case has a per-case file, made from the index when the run had none.
            let detail = again
                .detail
                .as_ref()
                .expect("a per-case file for every case");
            assert_eq!(detail.id, id.as_str());
            if let Some(original) = &case.detail {
                assert_eq!(detail, original);
            }
        }
    }
    assert!(dir.join("wstest_echoserver_case_12_1_1.json").is_file());
    assert!(dir.join("ws_sloppy_case_12_1_1.json").is_file());
}
