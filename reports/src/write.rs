//! Writing a run in wstest's layout: `index.json` plus one `<agent>_case_<id>.json` per
//! case, in wstest's JSON style (see [`crate::pyjson`]), so that existing Autobahn
//! tooling and `wsspec report` read it alike.

use std::fs;
use std::path::Path;

use serde_json::{Map, Value};

use crate::case_id::CaseId;
use crate::detail::CaseDetail;
use crate::error::ReportError;
use crate::model::{AgentRun, CaseResult, Run, INCOMPLETE_KEY};
use crate::pyjson::to_python_json;

/// wstest's file-name form of an agent: lower-cased, every character outside
/// `[a-z0-9]` turned into a space, trimmed, spaces turned into `_` (runs are not
/// collapsed: `"AutobahnPython/0.10.9"` → `autobahnpython_0_10_9`).
pub fn agent_file_stem(agent: &str) -> String {
    let spaced: String = agent
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                ' '
            }
        })
        .collect();
    spaced.trim().replace(' ', "_")
}

/// The per-case report file name: `<agent stem>_case_<id with _ for .>.json`.
pub fn case_report_file_name(agent: &str, id: &CaseId) -> String {
    format!("{}_case_{}.json", agent_file_stem(agent), id.file_stem())
}

/// `index.json` for `run`, as wstest writes it.
pub fn index_json(run: &Run) -> String {
    let mut agents = Map::new();
    for (name, agent) in &run.agents {
        let mut cases = Map::new();
        for (id, result) in &agent.cases {
            let mut entry = Map::new();
            entry.insert("behavior".into(), result.behavior.as_str().into());
            entry.insert(
                "behaviorClose".into(),
                result.behavior_close.as_str().into(),
            );
            entry.insert(
                "duration".into(),
                result.duration_ms.map_or(Value::Null, Value::from),
            );
            entry.insert(
                "remoteCloseCode".into(),
                result.remote_close_code.map_or(Value::Null, Value::from),
            );
            entry.insert("reportfile".into(), case_report_file_name(name, id).into());
            cases.insert(id.to_string(), Value::Object(entry));
        }
        if let Some(incomplete) = agent.incomplete {
            let mut marker = Map::new();
            marker.insert("completed".into(), agent.cases.len().into());
            marker.insert("selected".into(), incomplete.selected.into());
            cases.insert(INCOMPLETE_KEY.into(), Value::Object(marker));
        }
        agents.insert(name.clone(), Value::Object(cases));
    }
    to_python_json(&Value::Object(agents))
}

/// The per-case detail as wstest writes it: all 39 keys (null where unknown), plus any
/// unknown fields the detail carries.
pub fn case_detail_json(detail: &CaseDetail) -> String {
    let value = serde_json::to_value(detail).unwrap_or(Value::Null);
    to_python_json(&value)
}

/// The detail written for a case: its own, or one made from the index entry when the
/// run has none (so `reportfile` never points at a missing file).
fn detail_for(agent: &str, id: &CaseId, result: &CaseResult) -> CaseDetail {
    match &result.detail {
        Some(detail) => (**detail).clone(),
        None => CaseDetail {
            agent: agent.to_owned(),
            id: id.to_string(),
            behavior: result.behavior.clone(),
            behavior_close: result.behavior_close.clone(),
            duration: result.duration_ms,
            remote_close_code: result.remote_close_code,
            ..CaseDetail::default()
        },
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), ReportError> {
    fs::write(path, text).map_err(|error| ReportError::Io {
        path: path.to_owned(),
        error,
    })
}

/// Writes one agent's cases and returns nothing; `index.json` is written by [`write_run`].
fn write_agent(dir: &Path, agent: &AgentRun) -> Result<(), ReportError> {
    for (id, result) in &agent.cases {
        let detail = detail_for(&agent.agent, id, result);
        write_file(
            &dir.join(case_report_file_name(&agent.agent, id)),
            &case_detail_json(&detail),
        )?;
    }
    Ok(())
}

/// Writes `run` into `dir` (created if needed) in wstest's layout.
pub fn write_run(dir: &Path, run: &Run) -> Result<(), ReportError> {
    fs::create_dir_all(dir).map_err(|error| ReportError::Io {
        path: dir.to_owned(),
        error,
    })?;
    for agent in run.agents.values() {
        write_agent(dir, agent)?;
    }
    write_file(&dir.join("index.json"), &index_json(run))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_names_are_mangled_like_wstest() {
        assert_eq!(
            agent_file_stem("AutobahnPython/0.10.9"),
            "autobahnpython_0_10_9"
        );
        assert_eq!(agent_file_stem("wstest-echoserver"), "wstest_echoserver");
        assert_eq!(agent_file_stem("  My  Server! "), "my__server");
        assert_eq!(agent_file_stem("Ünïcode"), "n_code");
    }

    #[test]
    fn case_file_names_use_underscores() {
        assert_eq!(
            case_report_file_name("ws", &CaseId::from("6.4.1")),
            "ws_case_6_4_1.json"
        );
    }
}
