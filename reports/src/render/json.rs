//! JSON: the report or comparison as data, for other tools.

use serde_json::{json, Map, Value};

use crate::compare::{Change, Comparison};
use crate::detail::CaseDetail;
use crate::summary::{Counts, RunReport};

fn counts(c: &Counts) -> Value {
    let by_outcome: Map<String, Value> = c
        .by_outcome
        .iter()
        .map(|(v, n)| (v.as_str().to_owned(), json!(n)))
        .collect();
    json!({"total": c.total, "passing": c.passing, "byOutcome": by_outcome})
}

/// The detail fields a reader of a failing case wants (not the wire log or statistics).
fn detail_summary(d: &CaseDetail) -> Value {
    json!({
        "description": d.description,
        "expectation": d.expectation,
        "expected": d.expected,
        "received": d.received,
        "result": d.result,
        "expectedClose": d.expected_close,
        "resultClose": d.result_close,
        "localCloseCode": d.local_close_code,
        "localCloseReason": d.local_close_reason,
        "remoteCloseCode": d.remote_close_code,
        "remoteCloseReason": d.remote_close_reason,
        "wasClean": d.was_clean,
        "wasNotCleanReason": d.was_not_clean_reason,
    })
}

fn pretty(value: &Value) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".to_owned());
    s.push('\n');
    s
}

/// A report on one run.
pub fn report(report: &RunReport) -> String {
    let agents: Vec<Value> = report
        .agents
        .iter()
        .map(|a| {
            let sections: Vec<Value> = a
                .sections
                .iter()
                .map(|s| json!({"section": s.section, "title": s.title, "counts": counts(&s.counts)}))
                .collect();
            let cases: Vec<Value> = a
                .cases
                .iter()
                .map(|c| {
                    let r = &c.result;
                    let mut v = json!({
                        "id": c.id,
                        "behavior": r.behavior,
                        "behaviorClose": r.behavior_close,
                        "outcome": r.outcome(),
                        "passes": c.passes,
                        "durationMs": r.duration_ms,
                        "remoteCloseCode": r.remote_close_code,
                    });
                    if !r.accept.is_empty() {
                        v["accept"] = json!(r.accept);
                    }
                    if *r.outcome() != crate::verdict::Verdict::Ok {
                        if let Some(d) = &r.detail {
                            v["detail"] = detail_summary(d);
                        }
                    }
                    v
                })
                .collect();
            let mut agent = json!({"agent": a.agent, "totals": counts(&a.totals), "sections": sections, "cases": cases});
            if let Some(i) = a.incomplete {
                agent["incomplete"] = json!({"completed": a.cases.len(), "selected": i.selected});
            }
            agent
        })
        .collect();
    let mut value = json!({
        "run": report.label,
        "policy": report.policy,
        "passed": report.passed(),
        "agents": agents,
    });
    let notices = report.incomplete_notices();
    if !notices.is_empty() {
        value["incomplete"] = json!(notices);
    }
    pretty(&value)
}

/// A comparison of two runs.
pub fn comparison(cmp: &Comparison) -> String {
    let mut value = serde_json::to_value(cmp).unwrap_or(Value::Null);
    let change_counts: Map<String, Value> = Change::ALL
        .iter()
        .map(|c| (c.as_str().to_owned(), json!(cmp.count(*c))))
        .collect();
    if let Some(obj) = value.as_object_mut() {
        obj.insert("passed".into(), json!(cmp.passed()));
        obj.insert("counts".into(), Value::Object(change_counts));
        if let Some(notice) = cmp.incomplete_notice() {
            obj.insert("incomplete".into(), json!([notice]));
        }
    }
    if let Some(cases) = value.get_mut("cases").and_then(Value::as_array_mut) {
        for (v, c) in cases.iter_mut().zip(&cmp.cases) {
            if c.change.fails_gate() {
                if let Some(d) = &c.detail {
                    v["detail"] = detail_summary(d);
                }
            }
        }
    }
    pretty(&value)
}
