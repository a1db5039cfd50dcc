//! Terminal text: a summary table and the cases that need attention. Colour only when
//! asked for (the CLI asks on a terminal).

use std::fmt::Write;

use crate::compare::{Change, Comparison};
use crate::render::cause::{group_by_cause, needs_a_cause, EXAMPLES_PER_CAUSE};
use crate::render::util::{brief_lines, case_lines, compact_ids, delta_ms, ms, verdict_columns};
use crate::summary::{AgentReport, Counts, ReportCase, RunReport};
use crate::verdict::Verdict;

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
    fn red(&self, s: &str) -> String {
        self.wrap("31", s)
    }
    fn green(&self, s: &str) -> String {
        self.wrap("32", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.wrap("33", s)
    }
    fn verdict(&self, v: &Verdict) -> String {
        match v.severity() {
            0 => self.green(v.as_str()),
            1 | 2 => self.yellow(v.as_str()),
            _ => self.red(v.as_str()),
        }
    }
    fn pass(&self, passes: bool) -> String {
        if passes {
            self.green("pass")
        } else {
            self.red("FAIL")
        }
    }
}

/// Pads `s` (which may hold colour codes) to `width` visible characters.
fn pad(s: &str, visible: usize, width: usize) -> String {
    format!("{s}{}", " ".repeat(width.saturating_sub(visible)))
}

fn counts_table(out: &mut String, rows: &[(String, &Counts)], paint: &Paint) {
    let verdicts = verdict_columns(rows.iter().map(|(_, c)| *c));
    let name_width = rows
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0)
        .max(7);
    let mut header = format!("  {:name_width$}  {:>5}  {:>5}", "Section", "Cases", "Pass");
    for v in &verdicts {
        let _ = write!(header, "  {:>w$}", v.as_str(), w = v.as_str().len().max(3));
    }
    let _ = writeln!(out, "{}", paint.bold(&header));
    for (name, counts) in rows {
        let _ = write!(
            out,
            "  {}  {:>5}  ",
            pad(name, name.chars().count(), name_width),
            counts.total
        );
        let pass = format!("{:>5}", counts.passing);
        out.push_str(&if counts.passing == counts.total {
            paint.green(&pass)
        } else {
            paint.red(&pass)
        });
        for v in &verdicts {
            let n = counts.get(v);
            let cell = format!("{:>w$}", n, w = v.as_str().len().max(3));
            let _ = write!(out, "  {}", if n == 0 { paint.dim(&cell) } else { cell });
        }
        out.push('\n');
    }
}

/// A report on one run.
pub fn report(report: &RunReport, color: bool) -> String {
    let paint = Paint { on: color };
    let mut out = String::new();
    incomplete_lines(&mut out, &report.incomplete_notices(), &paint);
    for agent in &report.agents {
        let t = &agent.totals;
        let _ = writeln!(
            out,
            "{} {} — {}: {} of {} cases pass ({} policy)",
            paint.bold("wsspec report"),
            report.label,
            paint.bold(&agent.agent),
            t.passing,
            t.total,
            report.policy
        );
        out.push('\n');
        let mut rows: Vec<(String, &Counts)> = agent
            .sections
            .iter()
            .map(|s| {
                (
                    s.title
                        .map_or_else(|| s.section.clone(), |t| format!("{} {t}", s.section)),
                    &s.counts,
                )
            })
            .collect();
        rows.push(("Total".to_owned(), &agent.totals));
        counts_table(&mut out, &rows, &paint);
        not_ok_by_cause(&mut out, agent, &paint);
        out.push('\n');
    }
    out
}

/// The cases that are not OK: UNIMPLEMENTED and INFORMATIONAL ones by id, the others
/// grouped by cause, the first few of each cause in full.
fn not_ok_by_cause(out: &mut String, agent: &AgentReport, paint: &Paint) {
    let not_ok: Vec<&ReportCase> = agent.not_ok().collect();
    if not_ok.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n{}",
        paint.bold(&format!("Cases not OK ({})", not_ok.len()))
    );
    for (verdict, why) in [
        (Verdict::Unimplemented, "extension not negotiated"),
        (
            Verdict::Informational,
            "the RFC leaves the behaviour open; they pass",
        ),
    ] {
        let ids: Vec<_> = not_ok
            .iter()
            .filter(|c| *c.result.outcome() == verdict)
            .map(|c| &c.id)
            .collect();
        if !ids.is_empty() {
            let _ = writeln!(
                out,
                "\n  {} {} cases ({why}): {}",
                paint.verdict(&verdict),
                ids.len(),
                compact_ids(ids)
            );
        }
    }
    let groups = group_by_cause(not_ok.iter().copied().filter(|c| needs_a_cause(c)));
    let mut rule = None;
    for group in &groups {
        if rule != Some(&group.cause.rule) {
            rule = Some(&group.cause.rule);
            let _ = writeln!(out, "\n  {}", paint.bold(&group.cause.rule.to_string()));
        }
        let n = group.cases.len();
        let _ = writeln!(
            out,
            "\n    {} — {n} case{}: {}",
            group.cause.what_happened(),
            if n == 1 { "" } else { "s" },
            compact_ids(group.cases.iter().map(|c| &c.id))
        );
        for case in group.cases.iter().take(EXAMPLES_PER_CAUSE) {
            let r = &case.result;
            let _ = writeln!(
                out,
                "\n      {} {}  {} / {}{}",
                paint.pass(case.passes),
                paint.bold(case.id.as_str()),
                paint.verdict(&r.behavior),
                paint.verdict(&r.behavior_close),
                r.duration_ms
                    .map_or_else(String::new, |d| paint.dim(&format!("  ({})", ms(d))))
            );
            let mut lines = brief_lines(r);
            if lines.is_empty() {
                lines = case_lines(r);
            }
            for (label, text) in lines {
                let _ = writeln!(out, "          {} {text}", paint.dim(&format!("{label}:")));
            }
        }
        if n > EXAMPLES_PER_CAUSE {
            let _ = writeln!(
                out,
                "\n      … and {} more like these",
                n - EXAMPLES_PER_CAUSE
            );
        }
    }
}

/// A comparison of two runs.
pub fn comparison(cmp: &Comparison, color: bool) -> String {
    let paint = Paint { on: color };
    let mut out = String::new();
    incomplete_lines(&mut out, cmp.incomplete_notice().as_slice(), &paint);
    let verdict = if cmp.passed() {
        paint.green("PASS")
    } else {
        paint.red("FAIL")
    };
    let _ = writeln!(
        out,
        "{} {verdict} ({} policy)",
        paint.bold("wsspec compare"),
        cmp.policy
    );
    let _ = writeln!(
        out,
        "  base:    {} (agent {})",
        cmp.base,
        agent_name(&cmp.base_agent)
    );
    let _ = writeln!(
        out,
        "  current: {} (agent {})",
        cmp.current,
        agent_name(&cmp.current_agent)
    );
    out.push('\n');
    for change in Change::ALL {
        let n = cmp.count(change);
        let line = format!("  {:<11} {n:>4}", change.as_str());
        let _ = writeln!(
            out,
            "{}",
            if n > 0 && change.fails_gate() {
                paint.red(&line)
            } else {
                line
            }
        );
    }
    if let (Some(b), Some(c)) = (cmp.base_total_ms, cmp.current_total_ms) {
        let _ = writeln!(
            out,
            "\n  total duration: {} → {} ({})",
            ms(b),
            ms(c),
            delta_ms(c as i64 - b as i64)
        );
    }
    for change in [
        Change::Regression,
        Change::Missing,
        Change::Fix,
        Change::Changed,
        Change::New,
    ] {
        let cases: Vec<_> = cmp.with_change(change).collect();
        if cases.is_empty() {
            continue;
        }
        let title = format!("{} ({})", heading(change), cases.len());
        let _ = writeln!(
            out,
            "\n{}",
            if change.fails_gate() {
                paint.red(&paint.bold(&title))
            } else {
                paint.bold(&title)
            }
        );
        for case in cases {
            let _ = writeln!(out, "  {:<8} {}", case.id.as_str(), case.why);
            if change == Change::Regression {
                if let Some(result) = case.shown_result().filter(|r| r.detail.is_some()) {
                    for (label, text) in case_lines(&result) {
                        let _ =
                            writeln!(out, "           {} {text}", paint.dim(&format!("{label}:")));
                    }
                }
            }
        }
    }
    if !cmp.duration_changes.is_empty() {
        let _ = writeln!(out, "\n{}", paint.bold("Biggest duration changes"));
        for d in &cmp.duration_changes {
            let _ = writeln!(
                out,
                "  {:<8} {:>9} → {:>9}  {}",
                d.id.as_str(),
                ms(d.base_ms),
                ms(d.current_ms),
                delta_ms(d.delta_ms)
            );
        }
    }
    out
}

/// The incomplete-run notices, first, then a blank line.
fn incomplete_lines(out: &mut String, notices: &[String], paint: &Paint) {
    for notice in notices {
        let _ = writeln!(out, "{}", paint.red(&paint.bold(notice)));
    }
    if !notices.is_empty() {
        out.push('\n');
    }
}

fn agent_name(agent: &str) -> &str {
    if agent.is_empty() {
        "(any)"
    } else {
        agent
    }
}

/// Section headings for each kind of change.
pub(crate) fn heading(change: Change) -> &'static str {
    match change {
        Change::Regression => "Regressions",
        Change::Missing => "Missing cases",
        Change::Fix => "Fixes",
        Change::Changed => "Other changes",
        Change::New => "New cases",
        Change::Unchanged => "Unchanged",
    }
}
