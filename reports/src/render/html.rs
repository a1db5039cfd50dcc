//! One self-contained HTML page (inline CSS and JS, nothing fetched): the summary, a
//! grid of every case coloured by verdict (or by change, for a comparison) with a
//! filter, and each case's details with a wire-log excerpt. Works without JS too: a
//! case's details open through the URL fragment (`:target`).

use std::fmt::Write;

use crate::compare::{Change, Comparison};
use crate::model::CaseResult;
use crate::render::cause::{group_by_cause, needs_a_cause, Diagnosis};
use crate::render::util::{brief_lines, case_lines, delta, delta_ms, ms, plain, verdict_columns};
use crate::summary::{AgentReport, Counts, RunReport};
use crate::verdict::Verdict;

/// Wire-log rows shown per case.
pub const WIRELOG_ROWS_SHOWN: usize = 40;

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { --ok:#2e7d32; --non-strict:#7cb342; --informational:#1e88e5; --unimplemented:#9e9e9e;
  --close:#fb8c00; --failed:#e53935; --other:#8e24aa; --missing:#6d0000; --new:#00838f; --changed:#f9a825; }
* { box-sizing: border-box; }
.incomplete { background:#fdecea; border:2px solid var(--failed); color:#7f0000; padding:.6em 1em; margin:1em 0; font-size:1.1em; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1a1a1a; background: #fafafa; }
header { background: #263238; color: #fff; padding: 16px 24px; }
header h1 { margin: 0 0 4px; font-size: 20px; }
header .meta { opacity: .85; font-size: 13px; word-break: break-all; }
main { padding: 16px 24px; max-width: 1400px; }
h2 { font-size: 17px; margin: 24px 0 8px; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600; margin-left: 8px; font-size: 13px; }
.badge.pass { background: var(--ok); } .badge.fail { background: var(--failed); }
table.summary { border-collapse: collapse; background: #fff; }
table.summary th, table.summary td { border: 1px solid #ddd; padding: 4px 10px; text-align: right; }
table.summary th:first-child, table.summary td:first-child { text-align: left; }
table.summary tr.total td { font-weight: 700; }
table.causes { border-collapse: collapse; background: #fff; }
table.causes th, table.causes td { border: 1px solid #ddd; padding: 4px 10px; text-align: left; vertical-align: top; }
table.causes td.ids a { display: inline-block; color: #fff; padding: 0 4px; margin: 1px; border-radius: 3px; font-size: 11px; text-decoration: none; }
.controls { margin: 8px 0 12px; display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center; }
.controls input[type=search] { padding: 4px 8px; width: 260px; border: 1px solid #bbb; border-radius: 4px; }
.controls label { cursor: pointer; white-space: nowrap; }
.section-row { display: flex; align-items: flex-start; gap: 8px; margin: 4px 0; }
.section-row .name { width: 210px; flex: none; font-size: 12px; color: #444; padding-top: 3px; }
.cells { display: flex; flex-wrap: wrap; gap: 3px; }
a.cell { display: inline-block; min-width: 54px; padding: 2px 4px; border-radius: 3px; color: #fff; font-size: 11px;
  text-align: center; text-decoration: none; font-variant-numeric: tabular-nums; }
a.cell:hover { outline: 2px solid #000; }
a.cell.hidden { display: none; }
a.cell.unchanged { opacity: .45; }
.v-ok { background: var(--ok); } .v-non-strict { background: var(--non-strict); }
.v-informational { background: var(--informational); } .v-unimplemented { background: var(--unimplemented); }
.v-wrong-code, .v-unclean, .v-failed-by-client { background: var(--close); }
.v-failed, .ch-regression { background: var(--failed); } .v-other { background: var(--other); }
.ch-unchanged { background: #9e9e9e; } .ch-missing { background: var(--missing); } .ch-fix { background: #43a047; } .ch-changed { background: var(--changed); color: #000 !important; }
.ch-new { background: var(--new); }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -1px; margin-right: 3px; }
section.case { display: none; background: #fff; border: 1px solid #ccc; border-radius: 6px; padding: 12px 16px; margin: 12px 0; }
section.case:target, body.show-all section.case { display: block; }
section.case h3 { margin: 0 0 8px; font-size: 16px; }
dl { display: grid; grid-template-columns: 140px 1fr; gap: 4px 12px; margin: 0; }
dt { font-weight: 600; color: #555; } dd { margin: 0; word-break: break-word; }
pre { background: #f4f4f4; padding: 8px; overflow-x: auto; font-size: 12px; margin: 6px 0; }
ol.wirelog { font: 12px/1.4 ui-monospace, Menlo, Consolas, monospace; background: #f4f4f4; padding: 8px 8px 8px 48px; margin: 6px 0; overflow-x: auto; }
ol.wirelog li { white-space: pre; }
.muted { color: #777; }
"#;

const SCRIPT: &str = r#"
(function () {
  'use strict';
  var search = document.getElementById('filter');
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[data-class]'));
  var cells = Array.prototype.slice.call(document.querySelectorAll('a.cell'));
  var count = document.getElementById('shown');
  function apply() {
    var text = search.value.trim().toLowerCase();
    var allowed = {};
    boxes.forEach(function (b) { allowed[b.getAttribute('data-class')] = b.checked; });
    var shown = 0;
    cells.forEach(function (cell) {
      var cls = cell.getAttribute('data-class');
      var hay = (cell.getAttribute('data-id') + ' ' + cell.getAttribute('title')).toLowerCase();
      var visible = allowed[cls] !== false && (text === '' || hay.indexOf(text) !== -1);
      cell.classList.toggle('hidden', !visible);
      if (visible) { shown += 1; }
    });
    count.textContent = String(shown);
  }
  search.addEventListener('input', apply);
  boxes.forEach(function (b) { b.addEventListener('change', apply); });
  var all = document.getElementById('show-all');
  all.addEventListener('change', function () { document.body.classList.toggle('show-all', all.checked); });
  apply();
  document.body.setAttribute('data-filter-ready', String(cells.length));
})();
"#;

/// The incomplete-run notices as a banner at the top of the page.
fn incomplete_banner(notices: &[String]) -> String {
    notices
        .iter()
        .map(|n| {
            format!(
                "<div class=\"incomplete\" role=\"alert\"><strong>{}</strong> — the run was interrupted; cases that did not complete are not in this report.</div>\n",
                esc(n)
            )
        })
        .collect()
}

fn page(title: &str, subtitle: &str, passed: bool, body: &str) -> String {
    let badge = if passed {
        "<span class=\"badge pass\">PASS</span>"
    } else {
        "<span class=\"badge fail\">FAIL</span>"
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{t}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header><h1>{t}{badge}</h1><div class=\"meta\">{subtitle}</div></header>\n<main>\n{body}</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        t = esc(title)
    )
}

/// A filter bar over the grid: a search box and one checkbox per class present.
fn controls(out: &mut String, classes: &[(String, String)], total: usize) {
    out.push_str("<div class=\"controls\"><input type=\"search\" id=\"filter\" placeholder=\"Filter by case id, verdict or text\" aria-label=\"Filter cases\">");
    for (class, label) in classes {
        let _ = write!(
            out,
            "<label><input type=\"checkbox\" checked data-class=\"{c}\"><span class=\"swatch {c}\"></span>{l}</label>",
            c = esc(class),
            l = esc(label)
        );
    }
    let _ = writeln!(
        out,
        "<span class=\"muted\"><span id=\"shown\">{total}</span> of {total} shown</span><label><input type=\"checkbox\" id=\"show-all\"> show all details</label></div>"
    );
}

fn counts_table(out: &mut String, rows: &[(String, &Counts, bool)]) {
    let verdicts = verdict_columns(rows.iter().map(|(_, c, _)| *c));
    out.push_str("<table class=\"summary\"><tr><th>Section</th><th>Cases</th><th>Pass</th>");
    for v in &verdicts {
        let _ = write!(
            out,
            "<th><span class=\"swatch v-{}\"></span>{}</th>",
            v.css_class(),
            esc(v.as_str())
        );
    }
    out.push_str("</tr>\n");
    for (name, c, total) in rows {
        let _ = write!(
            out,
            "<tr{}><td>{}</td><td>{}</td><td>{}</td>",
            if *total { " class=\"total\"" } else { "" },
            esc(name),
            c.total,
            c.passing
        );
        for v in &verdicts {
            let _ = write!(out, "<td>{}</td>", c.get(v));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

fn wirelog(out: &mut String, result: &CaseResult) {
    let Some(rows) = result.detail.as_ref().and_then(|d| d.wirelog.as_ref()) else {
        return;
    };
    if rows.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<h4>Wire log <span class=\"muted\">({} rows",
        rows.len()
    );
    if rows.len() > WIRELOG_ROWS_SHOWN {
        let _ = write!(out, ", first {WIRELOG_ROWS_SHOWN} shown");
    }
    out.push_str(")</span></h4><ol class=\"wirelog\">");
    for row in rows.iter().take(WIRELOG_ROWS_SHOWN) {
        let _ = write!(out, "<li>{}</li>", esc(&row.describe()));
    }
    out.push_str("</ol>\n");
}

fn handshake(out: &mut String, result: &CaseResult) {
    let Some(d) = &result.detail else { return };
    if d.http_request.is_none() && d.http_response.is_none() {
        return;
    }
    out.push_str("<details><summary>Opening handshake</summary>");
    for text in [&d.http_request, &d.http_response].into_iter().flatten() {
        let _ = write!(out, "<pre>{}</pre>", esc(text.trim_end()));
    }
    out.push_str("</details>\n");
}

fn case_body(out: &mut String, result: &CaseResult, extra: &[(&str, String)]) {
    out.push_str("<dl>");
    for (label, text) in extra
        .iter()
        .map(|(l, t)| (*l, t.clone()))
        .chain(case_lines(result))
    {
        let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", esc(label), esc(&text));
    }
    if let Some(d) = result.duration_ms {
        let _ = write!(out, "<dt>Duration</dt><dd>{}</dd>", esc(&ms(d)));
    }
    out.push_str("</dl>\n");
    handshake(out, result);
    wirelog(out, result);
}

/// A passing case (or one whose extension was not negotiated), briefly: what it does
/// and the exchange in words. Its wire log is in the per-case JSON; a page of every
/// case's log would weigh megabytes.
fn ok_case_body(out: &mut String, result: &CaseResult) {
    out.push_str("<dl>");
    let description = description_of(result);
    let description = (!description.is_empty()).then_some(("Description", description));
    for (label, text) in description.into_iter().chain(brief_lines(result)) {
        let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", esc(label), esc(&text));
    }
    if let Some(d) = result.duration_ms {
        let _ = write!(out, "<dt>Duration</dt><dd>{}</dd>", esc(&ms(d)));
    }
    out.push_str("</dl>\n");
}

fn description_of(result: &CaseResult) -> String {
    result
        .detail
        .as_ref()
        .and_then(|d| d.description.as_deref())
        .map(plain)
        .unwrap_or_default()
}

struct Cell {
    anchor: String,
    id: String,
    /// CSS classes (colour).
    class: String,
    /// What the filter checkboxes match.
    filter: String,
    title: String,
}

fn grid(out: &mut String, rows: Vec<(String, Vec<Cell>)>) {
    out.push_str("<div class=\"grid\">\n");
    for (name, cells) in rows {
        let _ = write!(
            out,
            "<div class=\"section-row\"><div class=\"name\">{}</div><div class=\"cells\">",
            esc(&name)
        );
        for c in cells {
            let _ = write!(
                out,
                "<a class=\"cell {class}\" href=\"#{anchor}\" data-id=\"{id}\" data-class=\"{filter}\" title=\"{title}\">{id}</a>",
                class = esc(&c.class),
                filter = esc(&c.filter),
                anchor = esc(&c.anchor),
                id = esc(&c.id),
                title = esc(&c.title)
            );
        }
        out.push_str("</div></div>\n");
    }
    out.push_str("</div>\n");
}

fn section_name(section: &str) -> String {
    match crate::case_id::section_title(section) {
        Some(t) => format!("{section} {t}"),
        None => format!("Section {section}"),
    }
}

/// The failing cases of one agent grouped by cause: the rule, what happened, and a
/// link to each case.
fn causes_table(out: &mut String, agent: &AgentReport, ai: usize, name_agent: bool) {
    let groups = group_by_cause(agent.cases.iter().filter(|c| needs_a_cause(c)));
    if groups.is_empty() {
        return;
    }
    let n: usize = groups.iter().map(|g| g.cases.len()).sum();
    let _ = writeln!(
        out,
        "<h2>{}Not OK, by cause <span class=\"muted\">({n} cases, {} causes)</span></h2>",
        if name_agent {
            format!("{} — ", esc(&agent.agent))
        } else {
            String::new()
        },
        groups.len()
    );
    out.push_str(
        "<table class=\"causes\"><tr><th>Rule</th><th>What happened</th><th>Cases</th></tr>\n",
    );
    let mut rule = None;
    for group in &groups {
        let name = if rule == Some(&group.cause.rule) {
            String::new()
        } else {
            esc(&group.cause.rule.to_string())
        };
        rule = Some(&group.cause.rule);
        let links: Vec<String> = group
            .cases
            .iter()
            .map(|c| {
                format!(
                    "<a href=\"#a{ai}-{id}\" class=\"v-{cls}\">{id}</a>",
                    id = esc(c.id.as_str()),
                    cls = c.result.outcome().css_class()
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "<tr><td>{name}</td><td>{}</td><td class=\"ids\">{} <span class=\"muted\">({})</span></td></tr>",
            esc(&group.cause.what_happened()),
            links.join(" "),
            group.cases.len()
        );
    }
    out.push_str("</table>\n");
}

/// A report on one run.
pub fn report(report: &RunReport) -> String {
    let mut body = String::new();
    let total: usize = report.agents.iter().map(|a| a.cases.len()).sum();
    let classes: Vec<(String, String)> = verdict_columns(report.agents.iter().map(|a| &a.totals))
        .into_iter()
        .map(|v| (format!("v-{}", v.css_class()), v.as_str().to_owned()))
        .collect();
    for agent in &report.agents {
        let t = &agent.totals;
        let _ = writeln!(
            body,
            "<h2>Agent {} — {} of {} cases pass</h2>",
            esc(&agent.agent),
            t.passing,
            t.total
        );
        let rows: Vec<(String, &Counts, bool)> = agent
            .sections
            .iter()
            .map(|s| (section_name(&s.section), &s.counts, false))
            .chain(std::iter::once(("Total".to_owned(), &agent.totals, true)))
            .collect();
        counts_table(&mut body, &rows);
    }
    for (ai, agent) in report.agents.iter().enumerate() {
        causes_table(&mut body, agent, ai, report.agents.len() > 1);
    }
    body.push_str("<h2>Cases</h2>\n");
    controls(&mut body, &classes, total);
    for (ai, agent) in report.agents.iter().enumerate() {
        if report.agents.len() > 1 {
            let _ = writeln!(body, "<h3>{}</h3>", esc(&agent.agent));
        }
        let rows = agent
            .sections
            .iter()
            .map(|s| {
                let cells = agent
                    .cases
                    .iter()
                    .filter(|c| c.id.section() == s.section)
                    .map(|c| {
                        let r = &c.result;
                        let class = format!("v-{}", r.outcome().css_class());
                        Cell {
                            anchor: format!("a{ai}-{}", c.id),
                            id: c.id.to_string(),
                            filter: class.clone(),
                            class,
                            title: format!(
                                "{} / {} — {}",
                                r.behavior,
                                r.behavior_close,
                                description_of(r)
                            ),
                        }
                    })
                    .collect();
                (section_name(&s.section), cells)
            })
            .collect();
        grid(&mut body, rows);
    }
    for (ai, agent) in report.agents.iter().enumerate() {
        for c in &agent.cases {
            let r = &c.result;
            let _ = writeln!(
                body,
                "<section class=\"case\" id=\"a{ai}-{id}\"><h3><span class=\"swatch v-{cls}\"></span>{agent} — case {id}: {b} / {bc} ({pass})</h3>",
                id = esc(c.id.as_str()),
                cls = r.outcome().css_class(),
                agent = esc(&agent.agent),
                b = esc(r.behavior.as_str()),
                bc = esc(r.behavior_close.as_str()),
                pass = if c.passes { "passes" } else { "fails" }
            );
            if matches!(r.outcome(), Verdict::Ok | Verdict::Unimplemented) {
                ok_case_body(&mut body, r);
                body.push_str("</section>\n");
                continue;
            }
            let extra = if needs_a_cause(c) {
                let cause = Diagnosis::of(&c.id, r).cause;
                vec![
                    ("Rule", cause.rule.to_string()),
                    ("What happened", cause.what_happened()),
                ]
            } else {
                Vec::new()
            };
            case_body(&mut body, r, &extra);
            body.push_str("</section>\n");
        }
    }
    let agents: Vec<&str> = report.agents.iter().map(|a| a.agent.as_str()).collect();
    let subtitle = format!(
        "{} · agent {} · {} policy",
        esc(&report.label),
        esc(&agents.join(", ")),
        report.policy
    );
    let body = incomplete_banner(&report.incomplete_notices()) + &body;
    page("wsspec report", &subtitle, report.passed(), &body)
}

/// Unknown verdict strings that occur on either side, alphabetically.
fn others(cmp: &Comparison) -> Vec<crate::verdict::Verdict> {
    let mut out: Vec<crate::verdict::Verdict> = Vec::new();
    for side in cmp
        .cases
        .iter()
        .flat_map(|c| c.base.iter().chain(c.current.iter()))
    {
        let v = side.outcome();
        if matches!(v, crate::verdict::Verdict::Other(_)) && !out.contains(v) {
            out.push(v.clone());
        }
    }
    out.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    out
}

fn change_class(change: Change) -> String {
    format!("ch-{}", change.as_str())
}

/// A comparison of two runs.
pub fn comparison(cmp: &Comparison) -> String {
    let mut body = String::new();
    let count_side =
        |pick: &dyn Fn(&crate::compare::CaseChange) -> Option<&crate::compare::Side>| {
            let mut total = 0i64;
            let mut passing = 0i64;
            for c in &cmp.cases {
                if let Some(s) = pick(c) {
                    total += 1;
                    passing += i64::from(s.passes);
                }
            }
            (total, passing)
        };
    let (bt, bp) = count_side(&|c| c.base.as_ref());
    let (ct, cp) = count_side(&|c| c.current.as_ref());
    body.push_str("<h2>Summary</h2>\n<table class=\"summary\"><tr><th></th><th>Base</th><th>Current</th><th>Δ</th></tr>\n");
    let _ = writeln!(
        body,
        "<tr><td>Cases</td><td>{bt}</td><td>{ct}</td><td>{}</td></tr>",
        esc(&delta(ct - bt))
    );
    let _ = writeln!(
        body,
        "<tr class=\"total\"><td>Passing</td><td>{bp}</td><td>{cp}</td><td>{}</td></tr>",
        esc(&delta(cp - bp))
    );
    for v in crate::verdict::Verdict::KNOWN
        .iter()
        .cloned()
        .chain(others(cmp))
    {
        let b = cmp
            .cases
            .iter()
            .filter(|c| c.base.as_ref().is_some_and(|s| *s.outcome() == v))
            .count() as i64;
        let c = cmp
            .cases
            .iter()
            .filter(|c| c.current.as_ref().is_some_and(|s| *s.outcome() == v))
            .count() as i64;
        if b + c > 0 {
            let _ = writeln!(
                body,
                "<tr><td><span class=\"swatch v-{}\"></span>{}</td><td>{b}</td><td>{c}</td><td>{}</td></tr>",
                v.css_class(),
                esc(v.as_str()),
                esc(&delta(c - b))
            );
        }
    }
    if let (Some(b), Some(c)) = (cmp.base_total_ms, cmp.current_total_ms) {
        let _ = writeln!(
            body,
            "<tr><td>Total duration</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&ms(b)),
            esc(&ms(c)),
            esc(&delta_ms(c as i64 - b as i64))
        );
    }
    body.push_str("</table>\n<table class=\"summary\" style=\"margin-top:8px\"><tr><th>Change</th><th>Cases</th></tr>\n");
    for change in Change::ALL {
        let _ = writeln!(
            body,
            "<tr><td><span class=\"swatch {}\"></span>{}</td><td>{}</td></tr>",
            change_class(change),
            change.as_str(),
            cmp.count(change)
        );
    }
    body.push_str("</table>\n");
    if !cmp.duration_changes.is_empty() {
        body.push_str("<h2>Biggest duration changes</h2>\n<table class=\"summary\"><tr><th>Case</th><th>Base</th><th>Current</th><th>Δ</th></tr>\n");
        for d in &cmp.duration_changes {
            let _ = writeln!(
                body,
                "<tr><td><a href=\"#c-{id}\">{id}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&ms(d.base_ms)),
                esc(&ms(d.current_ms)),
                esc(&delta_ms(d.delta_ms)),
                id = esc(d.id.as_str())
            );
        }
        body.push_str("</table>\n");
    }
    body.push_str("<h2>Cases</h2>\n");
    let classes: Vec<(String, String)> = Change::ALL
        .iter()
        .filter(|c| cmp.count(**c) > 0)
        .map(|c| (change_class(*c), c.as_str().to_owned()))
        .collect();
    controls(&mut body, &classes, cmp.cases.len());
    let mut sections: Vec<&str> = Vec::new();
    for c in &cmp.cases {
        if !sections.contains(&c.id.section()) {
            sections.push(c.id.section());
        }
    }
    let rows = sections
        .iter()
        .map(|s| {
            let cells = cmp
                .cases
                .iter()
                .filter(|c| c.id.section() == *s)
                .map(|c| Cell {
                    anchor: format!("c-{}", c.id),
                    id: c.id.to_string(),
                    // Unchanged cases keep their verdict's colour, faded, so changes stand out.
                    class: match (c.change, &c.current) {
                        (Change::Unchanged, Some(side)) => {
                            format!("v-{} unchanged", side.outcome().css_class())
                        }
                        _ => change_class(c.change),
                    },
                    filter: change_class(c.change),
                    title: format!("{}: {}", c.change.as_str(), c.why),
                })
                .collect();
            (section_name(s), cells)
        })
        .collect();
    grid(&mut body, rows);
    for change in [
        Change::Regression,
        Change::Missing,
        Change::Fix,
        Change::Changed,
        Change::New,
        Change::Unchanged,
    ] {
        for c in cmp.with_change(change) {
            let _ = writeln!(
                body,
                "<section class=\"case\" id=\"c-{id}\"><h3><span class=\"swatch {cls}\"></span>Case {id}: {heading}</h3>",
                id = esc(c.id.as_str()),
                cls = change_class(c.change),
                heading = c.change.as_str()
            );
            let side = |s: &Option<crate::compare::Side>| {
                s.as_ref().map_or_else(
                    || "—".to_owned(),
                    |s| {
                        format!(
                            "{} ({})",
                            s.verdicts(),
                            if s.passes { "passes" } else { "fails" }
                        )
                    },
                )
            };
            let extra = [
                ("Base", side(&c.base)),
                ("Current", side(&c.current)),
                ("Why", c.why.clone()),
            ];
            match c.shown_result() {
                Some(result) => case_body(&mut body, &result, &extra),
                None => body.push_str("<p class=\"muted\">No result.</p>"),
            }
            body.push_str("</section>\n");
        }
    }
    let subtitle = format!(
        "base {} (agent {}) · current {} (agent {}) · {} policy",
        esc(&cmp.base),
        esc(&cmp.base_agent),
        esc(&cmp.current),
        esc(&cmp.current_agent),
        cmp.policy
    );
    let body = incomplete_banner(cmp.incomplete_notice().as_slice()) + &body;
    page("wsspec compare", &subtitle, cmp.passed(), &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escaping_covers_markup_and_quotes() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
