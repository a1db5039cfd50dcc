//! Reading a run: a wstest/wsspec report directory, a bare `index.json`, or a baseline.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::baseline::Baseline;
use crate::case_id::CaseId;
use crate::detail::CaseDetail;
use crate::error::ReportError;
use crate::model::{AgentRun, CaseResult, Incomplete, Run, RunKind, INCOMPLETE_KEY};
use crate::verdict::Verdict;
use crate::write::case_report_file_name;

/// The largest file read as a report. A full wstest run's biggest per-case file is well
/// under a megabyte (wire-log payloads are cut to 64 bytes); 64 MiB leaves room.
pub const MAX_REPORT_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a run from `path`: a report directory (`index.json` + per-case files), an
/// `index.json` (per-case files beside it are used when present), or a baseline file.
pub fn load(path: &Path) -> Result<Run, ReportError> {
    let meta = fs::metadata(path).map_err(|e| io_error(path, e))?;
    if meta.is_dir() {
        let index = path.join("index.json");
        if !index.is_file() {
            let mut entries = fs::read_dir(path).map_err(|e| io_error(path, e))?;
            return Err(if entries.next().is_none() {
                ReportError::EmptyDirectory {
                    path: path.to_owned(),
                }
            } else {
                ReportError::NoIndex {
                    path: path.to_owned(),
                }
            });
        }
        let value = read_json(&index)?;
        let mut run = parse_index(&index, &value, label(path))?;
        load_details(path, &mut run)?;
        Ok(run)
    } else {
        let value = read_json(path)?;
        if Baseline::looks_like(&value) {
            let baseline = Baseline::from_value(path, &value)?;
            return Ok(baseline.into_run(label(path)));
        }
        let mut run = parse_index(path, &value, label(path))?;
        if let Some(dir) = path.parent() {
            load_details(dir, &mut run)?;
        }
        Ok(run)
    }
}

fn label(path: &Path) -> String {
    path.display().to_string()
}

fn io_error(path: &Path, source: std::io::Error) -> ReportError {
    if source.kind() == std::io::ErrorKind::NotFound {
        ReportError::NotFound {
            path: path.to_owned(),
        }
    } else {
        ReportError::Io {
            path: path.to_owned(),
            error: source,
        }
    }
}

/// Reads and parses one JSON file, refusing files over [`MAX_REPORT_FILE_BYTES`].
pub(crate) fn read_json(path: &Path) -> Result<Value, ReportError> {
    let file = fs::File::open(path).map_err(|e| io_error(path, e))?;
    let size = file.metadata().map_err(|e| io_error(path, e))?.len();
    if size > MAX_REPORT_FILE_BYTES {
        return Err(ReportError::TooLarge {
            path: path.to_owned(),
            size,
            limit: MAX_REPORT_FILE_BYTES,
        });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // `take` guards against a file that grows while it is read.
    file.take(MAX_REPORT_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(path, e))?;
    if bytes.len() as u64 > MAX_REPORT_FILE_BYTES {
        return Err(ReportError::TooLarge {
            path: path.to_owned(),
            size: bytes.len() as u64,
            limit: MAX_REPORT_FILE_BYTES,
        });
    }
    let bytes = replace_lone_surrogates(&bytes);
    serde_json::from_slice(&bytes).map_err(|error| ReportError::Json {
        path: path.to_owned(),
        error,
    })
}

fn hex4(bytes: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(bytes.get(..4)?).ok()?;
    u16::from_str_radix(text, 16).ok()
}

/// Replaces `\uXXXX` escapes of unpaired UTF-16 surrogates with `\ufffd`.
///
/// wstest (Python 2) writes invalid UTF-8 it received or sent as lone surrogates
/// (`"\ud800edited"` in the 6.x wire logs); JSON parsers that insist on Unicode scalar
/// values, serde_json among them, refuse those. Everything else is left as it is.
pub fn replace_lone_surrogates(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let suspicious = bytes
        .windows(3)
        .any(|w| w[0] == b'\\' && w[1] == b'u' && matches!(w[2], b'd' | b'D'));
    if !suspicious {
        return std::borrow::Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if !in_string {
            in_string = b == b'"';
            out.push(b);
            i += 1;
            continue;
        }
        match b {
            b'"' => {
                in_string = false;
                out.push(b);
                i += 1;
            }
            b'\\' if bytes.get(i + 1) == Some(&b'u') => {
                let unit = hex4(&bytes[(i + 2).min(bytes.len())..]);
                match unit {
                    Some(high @ 0xd800..=0xdbff) => {
                        let low = (bytes.get(i + 6) == Some(&b'\\')
                            && bytes.get(i + 7) == Some(&b'u'))
                        .then(|| hex4(&bytes[(i + 8).min(bytes.len())..]))
                        .flatten();
                        if matches!(low, Some(0xdc00..=0xdfff)) {
                            out.extend_from_slice(&bytes[i..i + 12]);
                            i += 12;
                        } else {
                            let _ = high;
                            out.extend_from_slice(b"\\ufffd");
                            i += 6;
                        }
                    }
                    Some(0xdc00..=0xdfff) => {
                        out.extend_from_slice(b"\\ufffd");
                        i += 6;
                    }
                    _ => {
                        out.extend_from_slice(&bytes[i..(i + 2).min(bytes.len())]);
                        i += 2;
                    }
                }
            }
            b'\\' => {
                out.extend_from_slice(&bytes[i..(i + 2).min(bytes.len())]);
                i += 2;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

fn format_error(path: &Path, message: String) -> ReportError {
    ReportError::Format {
        path: path.to_owned(),
        message,
    }
}

/// Parses wstest's `index.json`: `{agent: {case id: {behavior, behaviorClose, duration,
/// remoteCloseCode, reportfile}}}`.
pub fn parse_index(path: &Path, value: &Value, label: String) -> Result<Run, ReportError> {
    let agents = value.as_object().ok_or_else(|| {
        format_error(
            path,
            "expected an object mapping agent → case id → result (wstest index.json)".into(),
        )
    })?;
    let mut run = Run {
        label,
        kind: RunKind::Results,
        agents: BTreeMap::new(),
    };
    for (agent, cases) in agents {
        let cases = cases.as_object().ok_or_else(|| {
            format_error(
                path,
                format!("agent {agent:?}: expected an object mapping case id → result"),
            )
        })?;
        let mut agent_run = AgentRun::new(agent.clone(), BTreeMap::new());
        for (id, entry) in cases {
            if id == INCOMPLETE_KEY {
                agent_run.incomplete = Some(parse_incomplete(entry).map_err(|message| {
                    format_error(
                        path,
                        format!("agent {agent:?}, {INCOMPLETE_KEY}: {message}"),
                    )
                })?);
                continue;
            }
            let result = parse_index_entry(entry).map_err(|message| {
                format_error(path, format!("agent {agent:?}, case {id}: {message}"))
            })?;
            agent_run.cases.insert(CaseId::new(id.as_str()), result);
        }
        run.agents.insert(agent.clone(), agent_run);
    }
    if run.agents.values().all(|a| a.cases.is_empty()) {
        return Err(ReportError::NoResults {
            path: path.to_owned(),
        });
    }
    Ok(run)
}

/// `{"completed": N, "selected": M}`; `completed` is informational (the cases
/// present are what completed).
fn parse_incomplete(entry: &Value) -> Result<Incomplete, String> {
    let selected = entry
        .get("selected")
        .and_then(Value::as_u64)
        .ok_or("expected {\"completed\": N, \"selected\": M}")?;
    Ok(Incomplete {
        selected: usize::try_from(selected).map_err(|_| "selected is too large")?,
    })
}

pub(crate) fn verdict_field(entry: &Map<String, Value>, key: &str) -> Result<Verdict, String> {
    match entry.get(key) {
        Some(Value::String(s)) => Ok(Verdict::parse(s)),
        Some(other) => Err(format!("{key} must be a string, not {other}")),
        None => Err(format!("{key} is missing")),
    }
}

fn parse_index_entry(entry: &Value) -> Result<CaseResult, String> {
    let entry = entry
        .as_object()
        .ok_or("expected an object with behavior and behaviorClose")?;
    let mut result = CaseResult::new(
        verdict_field(entry, "behavior")?,
        verdict_field(entry, "behaviorClose")?,
    );
    result.duration_ms = match entry.get("duration") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match (n.as_u64(), n.as_f64()) {
            (Some(ms), _) => Some(ms),
            (None, Some(f)) if f.is_finite() && f >= 0.0 => Some(f.round() as u64),
            _ => return Err(format!("duration {n} is not a number of milliseconds")),
        },
        Some(other) => {
            return Err(format!(
                "duration must be a number of milliseconds, not {other}"
            ))
        }
    };
    result.remote_close_code = match entry.get("remoteCloseCode") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|c| u16::try_from(c).ok())
                .ok_or_else(|| {
                    format!("remoteCloseCode must be a close code (0–65535) or null, not {v}")
                })?,
        ),
    };
    result.report_file = match entry.get("reportfile") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(name.clone()),
        Some(other) => return Err(format!("reportfile must be a file name, not {other}")),
    };
    Ok(result)
}

/// A report-file name from `index.json` is used only if it names a file in the same
/// directory: a crafted index must not make the reader open other paths.
fn safe_file_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains(['/', '\\'])
        && name != "."
        && name != ".."
        && !name.contains('\0')
}

fn load_details(dir: &Path, run: &mut Run) -> Result<(), ReportError> {
    for agent in run.agents.values_mut() {
        for (id, result) in agent.cases.iter_mut() {
            let name = match &result.report_file {
                Some(name) if safe_file_name(name) => name.clone(),
                _ => case_report_file_name(&agent.agent, id),
            };
            let file: PathBuf = dir.join(name);
            if !file.is_file() {
                continue;
            }
            let value = read_json(&file)?;
            let detail: CaseDetail = serde_json::from_value(value)
                .map_err(|e| format_error(&file, format!("not a wstest per-case report: {e}")))?;
            result.detail = Some(Box::new(detail));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(s: &str) -> String {
        String::from_utf8(replace_lone_surrogates(s.as_bytes()).into_owned()).unwrap()
    }

    #[test]
    fn lone_surrogates_from_python_become_replacement_characters() {
        assert_eq!(
            fixed(r#"["\u03ba\ud800edited"]"#),
            r#"["\u03ba\ufffdedited"]"#
        );
        assert_eq!(fixed(r#"["\udc00x"]"#), r#"["\ufffdx"]"#);
        assert_eq!(fixed(r#"["\ud800"]"#), r#"["\ufffd"]"#);
    }

    #[test]
    fn surrogate_pairs_and_escaped_backslashes_are_kept() {
        assert_eq!(fixed(r#"["\ud83d\ude00"]"#), r#"["\ud83d\ude00"]"#);
        assert_eq!(fixed(r#"["\\ud800"]"#), r#"["\\ud800"]"#);
    }

    #[test]
    fn truncated_escapes_do_not_panic() {
        for text in [r#""\u"#, r#""\ud8"#, r#""\ud800\u"#, r#""\ud800\udc"#, "\\"] {
            let _ = replace_lone_surrogates(text.as_bytes());
        }
    }
}
