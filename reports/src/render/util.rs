//! Helpers shared by the renderers: turning detail fields into short readable text.

use serde_json::Value;

use crate::case_id::CaseId;
use crate::detail::CaseDetail;
use crate::model::CaseResult;
use crate::summary::Counts;
use crate::verdict::Verdict;

/// The verdicts that occur in any of `counts`, in report order: known verdicts as in
/// [`Verdict::KNOWN`], then unknown strings alphabetically.
pub fn verdict_columns<'a>(counts: impl IntoIterator<Item = &'a Counts>) -> Vec<Verdict> {
    let mut verdicts: Vec<Verdict> = Vec::new();
    for c in counts {
        for (v, _) in &c.by_outcome {
            if !verdicts.contains(v) {
                verdicts.push(v.clone());
            }
        }
    }
    verdicts.sort_by_key(|v| {
        (
            Verdict::KNOWN
                .iter()
                .position(|k| k == v)
                .unwrap_or(usize::MAX),
            v.as_str().to_owned(),
        )
    });
    verdicts
}

/// Text with HTML tags removed, the common entities decoded and whitespace collapsed:
/// wstest's descriptions and expectations are HTML fragments.
pub fn plain(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if in_tag => {}
            _ => out.push(c),
        }
    }
    let decoded = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `s` cut to at most `max` characters, with `…` when cut.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// One received/expected event (`["message", data, isBinary]`, `["pong", data]`, …).
fn event(e: &Value) -> String {
    event_clipped(e, 80)
}

/// One event, its data cut to `max` characters.
pub(crate) fn event_clipped(e: &Value, max: usize) -> String {
    let Some(items) = e.as_array() else {
        return clip(&e.to_string(), max + 40);
    };
    let kind = items.first().and_then(Value::as_str).unwrap_or("?");
    let data = match items.get(1) {
        Some(Value::String(s)) => format!("{:?}", clip(s, max)),
        Some(Value::Null) | None => String::new(),
        Some(other) => clip(&other.to_string(), max),
    };
    match (kind, items.get(2).and_then(Value::as_bool)) {
        ("message", Some(true)) => format!("binary message {data}"),
        ("message", _) => format!("text message {data}"),
        ("timeout", _) => format!("timeout {}", data.trim_matches('"')),
        (kind, _) if data.is_empty() => kind.to_owned(),
        (kind, _) => format!("{kind} {data}"),
    }
}

/// A list of events as one line: `pong "x", text message "y"`, or `nothing`.
pub fn events(list: &Value) -> String {
    match list.as_array() {
        Some(items) if items.is_empty() => "nothing".to_owned(),
        Some(items) => {
            let shown: Vec<String> = items.iter().take(12).map(event).collect();
            let more = items.len().saturating_sub(shown.len());
            if more > 0 {
                format!("{}, … ({more} more)", shown.join(", "))
            } else {
                shown.join(", ")
            }
        }
        None => clip(&list.to_string(), 200),
    }
}

/// The `expected` map as one line: `OK: pong ""; NON-STRICT: nothing`.
pub fn expected(detail: &CaseDetail) -> Option<String> {
    let map = detail.expected.as_ref()?.as_object()?;
    if map.is_empty() {
        return None;
    }
    // OK first, then the others: the order a reader wants.
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort_by_key(|k| (k.as_str() != "OK", k.as_str()));
    Some(
        keys.iter()
            .map(|k| format!("{k}: {}", events(&map[k.as_str()])))
            .collect::<Vec<_>>()
            .join("; "),
    )
}

/// What was received, as one line.
pub fn received(detail: &CaseDetail) -> Option<String> {
    detail.received.as_ref().map(events)
}

fn code(c: Option<u16>) -> String {
    c.map_or_else(|| "none".to_owned(), |c| c.to_string())
}

/// What the case expected of the close, as one line.
pub fn expected_close(detail: &CaseDetail) -> Option<String> {
    let ec = detail.expected_close.as_ref()?.as_object()?;
    let codes = detail.expected_close_codes();
    let codes = if codes.is_empty() {
        "any code".to_owned()
    } else {
        codes
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(" or ")
    };
    let who = match ec.get("closedByMe").and_then(Value::as_bool) {
        Some(true) => "suite closes",
        Some(false) => "peer fails the connection",
        None => "either side closes",
    };
    let clean = if ec.get("requireClean").and_then(Value::as_bool) == Some(true) {
        ", clean close required"
    } else {
        ""
    };
    Some(format!("{who}; close code {codes} (or none){clean}"))
}

/// The close codes and cleanliness actually seen, as one line.
pub fn close_seen(result: &CaseResult) -> String {
    match &result.detail {
        Some(d) => {
            let mut s = format!("sent {}", code(d.local_close_code));
            // Why the suite closed (a rule the peer broke, "Going Away" on a timer).
            if let Some(reason) = d.local_close_reason.as_deref().filter(|r| !r.is_empty()) {
                s.push_str(&format!(" ({:?})", clip(reason, 80)));
            }
            s.push_str(&format!(
                ", received {}",
                code(d.remote_close_code.or(result.remote_close_code))
            ));
            if let Some(reason) = d.remote_close_reason.as_deref().filter(|r| !r.is_empty()) {
                s.push_str(&format!(" ({:?})", clip(reason, 60)));
            }
            match (d.was_clean, d.was_not_clean_reason.as_deref()) {
                (Some(true), _) => s.push_str("; clean"),
                (Some(false), Some(reason)) => s.push_str(&format!("; not clean: {reason}")),
                (Some(false), None) => s.push_str("; not clean"),
                (None, _) => {}
            }
            if d.closed_by_me == Some(true) {
                s.push_str("; suite closed first");
            } else if d.closed_by_me == Some(false) {
                s.push_str("; peer closed first");
            }
            s
        }
        None => format!("received {}", code(result.remote_close_code)),
    }
}

/// Milliseconds as `850 ms` or `2.3 s`.
pub fn ms(ms: u64) -> String {
    if ms < 10_000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

/// A signed millisecond delta: `+120 ms`, `−3.4 s`.
pub fn delta_ms(delta: i64) -> String {
    if delta == 0 {
        return "±0 ms".to_owned();
    }
    let sign = if delta < 0 { "−" } else { "+" };
    format!("{sign}{}", ms(delta.unsigned_abs()))
}

/// A signed count delta: `+2`, `−1`, `0`.
pub fn delta(d: i64) -> String {
    match d {
        0 => "0".to_owned(),
        d if d > 0 => format!("+{d}"),
        d => format!("−{}", d.unsigned_abs()),
    }
}

/// Case ids in compact form: runs of consecutive ids under one parent become a range
/// (`12.1.1–12.1.18, 13.2.4`).
pub fn compact_ids<'a>(ids: impl IntoIterator<Item = &'a CaseId>) -> String {
    fn split(id: &CaseId) -> Option<(&str, u64)> {
        let (parent, last) = id.as_str().rsplit_once('.')?;
        Some((parent, last.parse().ok()?))
    }
    let mut parts: Vec<String> = Vec::new();
    let mut run: Option<(&CaseId, &CaseId)> = None;
    let flush = |run: Option<(&CaseId, &CaseId)>, parts: &mut Vec<String>| {
        if let Some((first, last)) = run {
            parts.push(if first == last {
                first.to_string()
            } else {
                format!("{first}–{last}")
            });
        }
    };
    for id in ids {
        run = match run {
            Some((first, last)) => match (split(last), split(id)) {
                (Some((p, n)), Some((q, m))) if p == q && m == n + 1 => Some((first, id)),
                _ => {
                    flush(Some((first, last)), &mut parts);
                    Some((id, id))
                }
            },
            None => Some((id, id)),
        };
    }
    flush(run, &mut parts);
    parts.join(", ")
}

/// A wsspec-section case's "expected … / actual …" as one line, h2spec's way, with
/// the rule it checks; `None` for Autobahn's cases and passing ones.
pub fn wsspec_expected_actual(detail: &CaseDetail) -> Option<String> {
    let expected = detail.wsspec_expected()?;
    let mut line = format!("expected {expected}");
    if let Some(actual) = detail.wsspec_actual() {
        line.push_str(&format!(" / actual {actual}"));
    }
    if let Some(rfc) = detail.wsspec_rfc() {
        line.push_str(&format!(" ({rfc})"));
    }
    Some(line)
}

/// The lines that say what went wrong: the RFC rule a case of wsspec's own sections
/// cites, then the exchange in words — what a conformant peer does, what this one did
/// (h2spec's "expected … / actual …"), the frames the suite sent and what came back.
/// For a listing under the case's cause, which says why the suite failed the
/// connection, so the lines need not.
pub fn brief_lines(result: &CaseResult) -> Vec<(&'static str, String)> {
    exchange_lines(result, false)
}

fn exchange_lines(result: &CaseResult, why: bool) -> Vec<(&'static str, String)> {
    let mut lines = Vec::new();
    if let Some(d) = &result.detail {
        if let Some(s) = d.wsspec_rfc() {
            lines.push(("RFC", s.to_owned()));
        }
        lines.extend(super::exchange::lines(d, why));
    }
    lines
}

/// The detail lines shown for a case that is not OK: (label, text) pairs — the
/// [`brief_lines`], then what wstest records: the case's description and expectation,
/// the expected and received event lists, the close, and the reasons for the verdicts.
pub fn case_lines(result: &CaseResult) -> Vec<(&'static str, String)> {
    let mut lines = exchange_lines(result, true);
    if let Some(d) = &result.detail {
        if let Some(s) = d.description.as_deref() {
            lines.push(("Description", plain(s)));
        }
        if let Some(s) = d.expectation.as_deref() {
            lines.push(("Expectation", plain(s)));
        }
        if let Some(s) = expected(d) {
            lines.push(("Expected events", s));
        }
        if let Some(s) = received(d) {
            lines.push(("Received", s));
        }
        if let Some(s) = d.result.as_deref() {
            lines.push(("Result", plain(s)));
        }
        if let Some(s) = expected_close(d) {
            lines.push(("Expected close", s));
        }
        lines.push(("Close", close_seen(result)));
        if let Some(s) = d.result_close.as_deref() {
            lines.push(("Close result", plain(s)));
        }
    } else {
        lines.push(("Close", close_seen(result)));
        lines.push(("Details", "no per-case file was found".to_owned()));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plain_strips_tags_and_collapses_whitespace() {
        assert_eq!(
            plain("Send <b>text</b>\n  message&lt;3 &amp; more"),
            "Send text message<3 & more"
        );
    }

    #[test]
    fn clip_cuts_on_characters() {
        assert_eq!(clip("κόσμε", 3), "κό…");
        assert_eq!(clip("abc", 3), "abc");
    }

    #[test]
    fn events_render_kinds_and_binary_flags() {
        let list = json!([
            ["message", "hi", false],
            ["message", "0xff", true],
            ["pong", ""],
            ["timeout", "A"]
        ]);
        assert_eq!(
            events(&list),
            r#"text message "hi", binary message "0xff", pong "", timeout A"#
        );
        assert_eq!(events(&json!([])), "nothing");
    }

    #[test]
    fn consecutive_ids_become_ranges() {
        let ids: Vec<CaseId> = [
            "12.1.1", "12.1.2", "12.1.3", "12.2.1", "13.1.5", "13.1.7", "2.1",
        ]
        .into_iter()
        .map(CaseId::from)
        .collect();
        assert_eq!(
            compact_ids(&ids),
            "12.1.1–12.1.3, 12.2.1, 13.1.5, 13.1.7, 2.1"
        );
        assert_eq!(compact_ids(&[]), "");
    }

    #[test]
    fn wsspec_cases_lead_with_rule_expected_and_actual() {
        let mut detail = CaseDetail {
            id: "100.2.1".to_owned(),
            expected: Some(json!({"OK": []})),
            ..CaseDetail::default()
        };
        let result = |detail: &CaseDetail| CaseResult {
            detail: Some(Box::new(detail.clone())),
            ..CaseResult::new(Verdict::Failed, Verdict::Ok)
        };
        let labels = |lines: Vec<(&'static str, String)>| -> Vec<&'static str> {
            lines.into_iter().map(|(label, _)| label).collect()
        };
        assert_eq!(labels(case_lines(&result(&detail)))[0], "Expected");
        assert_eq!(wsspec_expected_actual(&detail), None);
        detail
            .extra
            .insert(crate::detail::WSSPEC_RFC.into(), json!("RFC 6455 §4.4"));
        detail
            .extra
            .insert(crate::detail::WSSPEC_EXPECTED.into(), json!("426"));
        detail
            .extra
            .insert(crate::detail::WSSPEC_ACTUAL.into(), json!("400"));
        let lines = case_lines(&result(&detail));
        assert_eq!(
            labels(lines.clone())[..4],
            ["RFC", "Expected", "Actual", "Expected events"]
        );
        assert_eq!(lines[2].1, "400");
        assert_eq!(
            wsspec_expected_actual(&detail).as_deref(),
            Some("expected 426 / actual 400 (RFC 6455 §4.4)")
        );
    }

    #[test]
    fn deltas_are_signed() {
        assert_eq!(delta(3), "+3");
        assert_eq!(delta(-2), "−2");
        assert_eq!(delta_ms(-12_345), "−12.3 s");
        assert_eq!(delta_ms(40), "+40 ms");
        assert_eq!(delta_ms(0), "±0 ms");
    }
}
