//! Baselines: the verdicts a project expects, checked in beside its CI.
//!
//! ```json
//! {
//!   "format": "wsspec-baseline/1",
//!   "agent": "MyServer",
//!   "cases": {
//!     "1.1.1": {"behavior": "OK", "behaviorClose": "OK"},
//!     "6.4.1": {"behavior": "NON-STRICT", "behaviorClose": "OK", "accept": ["NON-STRICT"]}
//!   }
//! }
//! ```
//!
//! `format` and `agent` are optional when reading; `accept` lists verdicts that pass for
//! that case whatever the policy. Cases are written in catalog order, one per line, so a
//! diff of two baselines shows exactly the cases that changed.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::case_id::CaseId;
use crate::error::ReportError;
use crate::model::{AgentRun, CaseResult, Run, RunKind};
use crate::read::verdict_field;
use crate::verdict::Verdict;

/// The `format` value written into baselines.
pub const BASELINE_FORMAT: &str = "wsspec-baseline/1";

/// Expected verdicts for one agent.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Baseline {
    /// The agent the baseline was taken from, if recorded.
    pub agent: Option<String>,
    /// Expected verdicts by case.
    pub cases: BTreeMap<CaseId, BaselineCase>,
}

/// One case of a baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct BaselineCase {
    /// Expected `behavior`.
    pub behavior: Verdict,
    /// Expected `behaviorClose`.
    pub behavior_close: Verdict,
    /// Verdicts accepted for this case besides those the policy passes.
    pub accept: Vec<Verdict>,
}

impl Baseline {
    /// A baseline from one agent's results (keeping `accept` lists the results carry).
    pub fn from_agent(agent: &AgentRun) -> Baseline {
        Baseline {
            agent: (!agent.agent.is_empty()).then(|| agent.agent.clone()),
            cases: agent
                .cases
                .iter()
                .map(|(id, r)| {
                    let case = BaselineCase {
                        behavior: r.behavior.clone(),
                        behavior_close: r.behavior_close.clone(),
                        accept: r.accept.clone(),
                    };
                    (id.clone(), case)
                })
                .collect(),
        }
    }

    /// Whether a parsed JSON document is a baseline rather than an `index.json`: it has
    /// the baseline `format`, or a `cases` object next to nothing but `agent`/`format`
    /// strings whose entries carry no `reportfile`.
    pub fn looks_like(value: &Value) -> bool {
        let Some(top) = value.as_object() else {
            return false;
        };
        if let Some(Value::String(format)) = top.get("format") {
            return format.starts_with("wsspec-baseline");
        }
        let Some(Value::Object(cases)) = top.get("cases") else {
            return false;
        };
        let others_are_strings = top
            .iter()
            .all(|(k, v)| k == "cases" || (k == "agent" && v.is_string()));
        others_are_strings
            && cases
                .values()
                .all(|c| c.get("reportfile").is_none() && c.get("duration").is_none())
    }

    /// Parses a baseline document.
    pub fn from_value(path: &Path, value: &Value) -> Result<Baseline, ReportError> {
        let err = |message: String| ReportError::Format {
            path: path.to_owned(),
            message,
        };
        let top = value
            .as_object()
            .ok_or_else(|| err("a baseline must be a JSON object".into()))?;
        if let Some(format) = top.get("format") {
            if format.as_str() != Some(BASELINE_FORMAT) {
                return Err(err(format!(
                    "unsupported baseline format {format}; this wsspec reads {BASELINE_FORMAT:?}"
                )));
            }
        }
        let agent = match top.get("agent") {
            None | Some(Value::Null) => None,
            Some(Value::String(a)) => Some(a.clone()),
            Some(other) => {
                return Err(err(format!("baseline agent must be a string, not {other}")))
            }
        };
        let cases = top.get("cases").and_then(Value::as_object).ok_or_else(|| {
            err("a baseline needs a \"cases\" object mapping case id → verdicts".into())
        })?;
        let mut baseline = Baseline {
            agent,
            cases: BTreeMap::new(),
        };
        for (id, entry) in cases {
            let case = parse_case(entry).map_err(|m| err(format!("case {id}: {m}")))?;
            baseline.cases.insert(CaseId::new(id.as_str()), case);
        }
        if baseline.cases.is_empty() {
            return Err(ReportError::NoResults {
                path: path.to_owned(),
            });
        }
        Ok(baseline)
    }

    /// The baseline as a one-agent [`Run`] (without durations or details).
    pub fn into_run(self, label: String) -> Run {
        let name = self.agent.clone().unwrap_or_default();
        let cases = self
            .cases
            .into_iter()
            .map(|(id, case)| {
                let mut result = CaseResult::new(case.behavior, case.behavior_close);
                result.accept = case.accept;
                (id, result)
            })
            .collect();
        let mut agents = BTreeMap::new();
        agents.insert(name.clone(), AgentRun::new(name, cases));
        Run {
            label,
            kind: RunKind::Baseline,
            agents,
        }
    }

    /// The baseline file's text: stable order, one case per line, trailing newline.
    pub fn to_json(&self) -> String {
        let quote = |s: &str| Value::String(s.to_owned()).to_string();
        let mut out = String::from("{\n");
        out.push_str(&format!("  \"format\": {},\n", quote(BASELINE_FORMAT)));
        if let Some(agent) = &self.agent {
            out.push_str(&format!("  \"agent\": {},\n", quote(agent)));
        }
        out.push_str("  \"cases\": {");
        for (i, (id, case)) in self.cases.iter().enumerate() {
            out.push_str(if i == 0 { "\n" } else { ",\n" });
            out.push_str(&format!(
                "    {}: {{\"behavior\": {}, \"behaviorClose\": {}",
                quote(id.as_str()),
                quote(case.behavior.as_str()),
                quote(case.behavior_close.as_str())
            ));
            if !case.accept.is_empty() {
                let accept: Vec<String> = case.accept.iter().map(|v| quote(v.as_str())).collect();
                out.push_str(&format!(", \"accept\": [{}]", accept.join(", ")));
            }
            out.push('}');
        }
        out.push_str(if self.cases.is_empty() {
            "}\n}\n"
        } else {
            "\n  }\n}\n"
        });
        out
    }
}

fn parse_case(entry: &Value) -> Result<BaselineCase, String> {
    let entry = entry
        .as_object()
        .ok_or("expected an object with behavior and behaviorClose")?;
    let accept = match entry.get("accept") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(Verdict::parse)
                    .ok_or_else(|| format!("accept entries must be verdict strings, not {v}"))
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(format!("accept must be a list of verdicts, not {other}")),
    };
    Ok(BaselineCase {
        behavior: verdict_field(entry, "behavior")?,
        behavior_close: verdict_field(entry, "behaviorClose")?,
        accept,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Baseline {
        let mut cases = BTreeMap::new();
        cases.insert(
            CaseId::from("2.10"),
            BaselineCase {
                behavior: Verdict::Ok,
                behavior_close: Verdict::Ok,
                accept: vec![],
            },
        );
        cases.insert(
            CaseId::from("2.9"),
            BaselineCase {
                behavior: Verdict::NonStrict,
                behavior_close: Verdict::Ok,
                accept: vec![Verdict::NonStrict],
            },
        );
        Baseline {
            agent: Some("ws".into()),
            cases,
        }
    }

    #[test]
    fn baseline_text_is_stable_and_in_catalog_order() {
        let text = sample().to_json();
        assert_eq!(
            text,
            "{\n  \"format\": \"wsspec-baseline/1\",\n  \"agent\": \"ws\",\n  \"cases\": {\n    \"2.9\": {\"behavior\": \"NON-STRICT\", \"behaviorClose\": \"OK\", \"accept\": [\"NON-STRICT\"]},\n    \"2.10\": {\"behavior\": \"OK\", \"behaviorClose\": \"OK\"}\n  }\n}\n"
        );
    }

    #[test]
    fn baseline_round_trips_through_its_text() {
        let value: Value = serde_json::from_str(&sample().to_json()).unwrap();
        assert!(Baseline::looks_like(&value));
        assert_eq!(
            Baseline::from_value(Path::new("b.json"), &value).unwrap(),
            sample()
        );
    }

    #[test]
    fn an_index_json_is_not_a_baseline() {
        let index = json!({"cases": {"1.1.1": {"behavior": "OK", "behaviorClose": "OK", "duration": 1, "reportfile": "x"}}});
        assert!(!Baseline::looks_like(&index));
        let hand_written = json!({"cases": {"1.1.1": {"behavior": "OK", "behaviorClose": "OK"}}});
        assert!(Baseline::looks_like(&hand_written));
    }

    #[test]
    fn an_unknown_baseline_format_is_refused() {
        let value = json!({"format": "wsspec-baseline/9", "cases": {"1.1.1": {"behavior": "OK", "behaviorClose": "OK"}}});
        let err = Baseline::from_value(Path::new("b.json"), &value).unwrap_err();
        assert!(
            err.to_string().contains("unsupported baseline format"),
            "{err}"
        );
    }

    #[test]
    fn a_malformed_accept_list_is_refused() {
        let value = json!({"cases": {"1.1.1": {"behavior": "OK", "behaviorClose": "OK", "accept": "NON-STRICT"}}});
        let err = Baseline::from_value(Path::new("b.json"), &value).unwrap_err();
        assert!(
            err.to_string()
                .contains("case 1.1.1: accept must be a list"),
            "{err}"
        );
    }
}
