//! `--shard` and `wsspec merge`, end to end through the binary: a selection of the
//! catalog run against the built-in echo server unsharded and as three shards, the
//! shards merged, and the merged report equal to the unsharded one.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// A few sections, about two seconds against the echo server: framing, pings,
/// reserved bits, opcodes, closing, and a few permessage-deflate cases. No case whose
/// verdict races a fixed wait (5.19, 5.20, 6.4.x), so the runs agree on a busy machine.
const CASES: &[&str] = &[
    "1.*", "2.*", "3.*", "4.*", "7.*", "12.1.1", "12.1.2", "13.1.1",
];

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

fn run_cases(out: &Path, shard: Option<&str>) {
    let mut args = vec!["run", "--quiet", "--out", p(out), "--cases"];
    args.extend_from_slice(CASES);
    if let Some(shard) = shard {
        args.extend(["--shard", shard]);
    }
    let run = wsspec(&args);
    assert_eq!(run.status.code(), Some(0), "{args:?}: {}", stderr(&run));
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// The per-case files of a report directory, by name.
fn case_files(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".json") && name != "index.json")
        .collect()
}

/// `index.json` without durations.
fn index_without_durations(dir: &Path) -> Value {
    let mut index = read_json(&dir.join("index.json"));
    for cases in index.as_object_mut().unwrap().values_mut() {
        for entry in cases.as_object_mut().unwrap().values_mut() {
            entry.as_object_mut().unwrap().remove("duration");
        }
    }
    index
}

/// A per-case file without what differs between any two runs of the same case: the
/// duration and start time, and what comes from randomness or from how TCP happened
/// to split the peer's bytes — the handshake (a random `Sec-WebSocket-Key`), the masks
/// of the frames sent, the raw octets written and read, and the read sizes. What was
/// sent and received as frames, the events, the verdicts and their reasons, the close
/// codes and the case's position in the catalog stay.
fn detail_without_run_noise(path: &Path) -> Value {
    let mut detail = read_json(path);
    let fields = detail.as_object_mut().unwrap();
    for key in [
        "duration",
        "started",
        "httpRequest",
        "httpResponse",
        "rxOctetStats",
    ] {
        assert!(fields.remove(key).is_some(), "{}: no {key}", path.display());
    }
    if let Some(Value::Array(rows)) = fields.get_mut("wirelog") {
        rows.retain(|row| !matches!(row[0].as_str(), Some("TO" | "RO")));
        for row in rows.iter_mut() {
            if row[0] == "TF" {
                row[5] = Value::Null; // the mask
            }
        }
    }
    detail
}

#[test]
fn three_merged_shards_equal_the_unsharded_run() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    run_cases(&whole, None);
    let shards: Vec<_> = (1..=3)
        .map(|i| {
            let out = dir.path().join(format!("shard-{i}"));
            run_cases(&out, Some(&format!("{i}/3")));
            out
        })
        .collect();

    // The shards are disjoint, non-empty and together the whole selection.
    let mut seen = BTreeSet::new();
    for shard in &shards {
        let files = case_files(shard);
        assert!(!files.is_empty());
        for name in files {
            assert!(seen.insert(name.clone()), "{name} is in two shards");
        }
    }
    assert_eq!(seen, case_files(&whole));

    let merged = dir.path().join("merged");
    let mut args = vec!["merge"];
    args.extend(shards.iter().map(|s| p(s)));
    args.extend(["--out", p(&merged)]);
    let out = wsspec(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("{} cases of wsspec-echo/", seen.len())));

    // The merged directory is a report directory like `wsspec run` writes…
    let html = fs::read_to_string(merged.join("index.html")).unwrap();
    assert!(html.contains("1.1.1") && html.contains("13.1.1"));
    assert_eq!(case_files(&merged), case_files(&whole));
    // …its per-case files are the shards' files unchanged…
    for shard in &shards {
        for name in case_files(shard) {
            assert_eq!(
                fs::read(shard.join(&name)).unwrap(),
                fs::read(merged.join(&name)).unwrap(),
                "{name}"
            );
        }
    }
    // …and its results equal the unsharded run's.
    assert_eq!(
        index_without_durations(&merged),
        index_without_durations(&whole)
    );
    for name in case_files(&whole) {
        assert_eq!(
            detail_without_run_noise(&merged.join(&name)),
            detail_without_run_noise(&whole.join(&name)),
            "{name}"
        );
    }

    // `report` and `compare` read it: every case passes, nothing is missing either way.
    let report = wsspec(&["report", p(&merged)]);
    assert_eq!(report.status.code(), Some(0), "{}", stderr(&report));
    for (base, current) in [(&whole, &merged), (&merged, &whole)] {
        let compare = wsspec(&["compare", p(base), p(current)]);
        assert_eq!(compare.status.code(), Some(0), "{}", stderr(&compare));
    }

    // Merging a shard with a changed copy of itself is refused, naming both.
    let changed = dir.path().join("changed");
    fs::create_dir(&changed).unwrap();
    let mut index = read_json(&shards[0].join("index.json"));
    let agent = index.as_object().unwrap().keys().next().unwrap().clone();
    let first = index[&agent]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    index[&agent][&first]["behavior"] = "FAILED".into();
    fs::write(changed.join("index.json"), index.to_string()).unwrap();
    let out = wsspec(&[
        "merge",
        p(&shards[0]),
        p(&changed),
        "--out",
        p(&dir.path().join("conflict")),
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(p(&shards[0])) && err.contains(p(&changed)),
        "{err}"
    );
    assert!(err.contains(&format!("case {first} of agent")), "{err}");
    assert!(!dir.path().join("conflict").exists());
}

#[test]
fn cases_shows_the_cases_each_shard_runs() {
    let ids = |args: &[&str]| -> Vec<String> {
        let out = wsspec(args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    };
    let all = ids(&[
        "cases",
        "--ids",
        "1.*",
        "9.*",
        "12.2.*",
        "--exclude",
        "9.8.*",
    ]);
    assert!(all.iter().all(|id| !id.starts_with("9.8.")));
    let mut union = Vec::new();
    for i in 1..=4 {
        let shard = format!("{i}/4");
        let part = ids(&[
            "cases",
            "--ids",
            "1.*",
            "9.*",
            "12.2.*",
            "--exclude",
            "9.8.*",
            "--shard",
            &shard,
        ]);
        assert!(!part.is_empty());
        union.extend(part);
    }
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(sorted(union), sorted(all));

    let listing = wsspec(&["cases", "1.1.*", "--shard", "2/3"]);
    let text = String::from_utf8(listing.stdout).unwrap();
    let last = text.lines().last().unwrap();
    assert!(last.contains("cases (shard 2/3, expected "), "{last}");
}

#[test]
fn impossible_shards_are_usage_errors() {
    for (args, needle) in [
        (&["run", "--shard", "0/3"][..], "numbered from 1"),
        (&["run", "--shard", "4/3"][..], "only 3 shards"),
        (&["run", "--shard", "1/0"][..], "at least 1"),
        (&["run", "--shard", "two/3"][..], "is not I/N"),
        (&["cases", "--shard", "0/2"][..], "numbered from 1"),
        (
            &["run", "--cases", "1.1.1", "--shard", "1/2"][..],
            "use N ≤ 1",
        ),
    ] {
        let out = wsspec(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
}

/// `wsspec serve --exit-after-report` in a child process, on a free port; the reference
/// testee client runs every case it serves and asks for the reports; returns once the
/// server has exited, with its exit status.
fn serve_to_the_testee_client(out: &Path, patterns: &[&str], shard: Option<&str>) -> i32 {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let mut args = vec![
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--exit-after-report",
        "--out",
        p(out),
        "--cases",
    ];
    args.extend_from_slice(patterns);
    if let Some(shard) = shard {
        args.extend(["--shard", shard]);
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_wsspec"))
        .args(&args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    // "wsspec: serving N cases to clients at ws://127.0.0.1:PORT until …"
    let mut line = String::new();
    let url = loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "serve said nothing"
        );
        if let Some(at) = line.find("ws://") {
            break line[at..]
                .split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches(';')
                .to_owned();
        }
    };
    let drain = std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    let options = wsspec_autobahn::client::ClientOptions {
        url: wsspec_autobahn::client::WsUrl::parse(&url).unwrap(),
        agent: "testee".to_owned(),
        deflate: true,
        limits: wsspec_codec::Limits::default(),
        timeouts: wsspec_autobahn::io::Timeouts::default(),
        connect_timeout: std::time::Duration::from_secs(5),
        tls: None,
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(wsspec_autobahn::client::run_all(&options))
        .unwrap();
    let status = child.wait().unwrap();
    let _ = drain.join();
    status.code().unwrap()
}

/// case id → (behavior, behaviorClose, remoteCloseCode) of the one agent of a report.
fn verdicts(dir: &Path) -> Vec<(String, Value, Value, Value)> {
    let index = read_json(&dir.join("index.json"));
    let (_, cases) = index.as_object().unwrap().iter().next().unwrap();
    cases
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, r)| {
            (
                id.clone(),
                r["behavior"].clone(),
                r["behaviorClose"].clone(),
                r["remoteCloseCode"].clone(),
            )
        })
        .collect()
}

#[test]
fn serve_shards_merged_give_the_unsharded_verdicts() {
    const CLIENT_CASES: &[&str] = &["1.1.*", "2.*", "5.1", "7.1.*", "12.1.1"];
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    assert_eq!(serve_to_the_testee_client(&whole, CLIENT_CASES, None), 0);
    let mut args = vec!["merge".to_owned()];
    let mut seen = BTreeSet::new();
    for i in 1..=3 {
        let out = dir.path().join(format!("shard-{i}"));
        let shard = format!("{i}/3");
        assert_eq!(
            serve_to_the_testee_client(&out, CLIENT_CASES, Some(&shard)),
            0
        );
        let ids: Vec<String> = verdicts(&out).into_iter().map(|v| v.0).collect();
        assert!(!ids.is_empty(), "shard {shard} served nothing");
        for id in ids {
            assert!(seen.insert(id.clone()), "{id} served by two shards");
        }
        args.push(p(&out).to_owned());
    }
    let merged = dir.path().join("merged");
    args.extend(["--out".to_owned(), p(&merged).to_owned()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = wsspec(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(verdicts(&merged), verdicts(&whole));
    assert_eq!(seen.len(), verdicts(&whole).len());
}
