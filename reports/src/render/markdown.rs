//! GitHub-flavoured Markdown for `$GITHUB_STEP_SUMMARY` or a pull-request comment: a
//! summary table first, then the cases that need attention. Output stays under
//! [`MAX_MARKDOWN_BYTES`] (GitHub refuses comments over 65,536 characters); longer
//! output is cut at a line and ends with a note saying so.

use std::fmt::Write;

use crate::compare::{Change, Comparison};
use crate::render::cause::{group_by_cause, needs_a_cause, EXAMPLES_PER_CAUSE};
use crate::render::text::heading;
use crate::render::util::{
    brief_lines, case_lines, clip, compact_ids, delta, delta_ms, ms, plain, verdict_columns,
};
use crate::summary::{AgentReport, ReportCase, RunReport};
use crate::verdict::Verdict;

/// The most bytes a Markdown rendering may have (bytes ≥ characters, so this also
/// bounds the character count GitHub checks).
pub const MAX_MARKDOWN_BYTES: usize = 65_000;

/// Escapes text for a Markdown paragraph or table cell.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// An inline code span that survives backticks and pipes inside.
fn code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ").replace('|', "\\|");
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

/// Cuts `doc` to fit [`MAX_MARKDOWN_BYTES`], closing an open `<details>` and saying what
/// was left out.
pub fn fit(doc: String, limit: usize) -> String {
    if doc.len() <= limit {
        return doc;
    }
    let note_room = 300;
    let mut cut = limit.saturating_sub(note_room);
    while !doc.is_char_boundary(cut) {
        cut -= 1;
    }
    let cut = doc[..cut].rfind('\n').unwrap_or(0);
    let mut out = doc[..cut].to_owned();
    let open = out
        .matches("<details>")
        .count()
        .saturating_sub(out.matches("</details>").count());
    for _ in 0..open {
        out.push_str("\n\n</details>");
    }
    let _ = write!(
        out,
        "\n\n> **Truncated:** {} more bytes did not fit in a GitHub comment. The HTML or JSON report has everything.\n",
        doc.len() - cut
    );
    out
}

/// The incomplete-run notices as a quote block, first.
fn incomplete_lines(out: &mut String, notices: &[String]) {
    for notice in notices {
        let _ = writeln!(
            out,
            "> **{}** — the run was interrupted; cases that did not complete are not in this report.\n",
            esc(notice)
        );
    }
}

fn details_block(out: &mut String, summary: &str, lines: &[(&str, String)]) {
    let _ = writeln!(out, "<details><summary>{summary}</summary>\n");
    for (label, text) in lines {
        let _ = writeln!(out, "- **{label}:** {}", esc(text));
    }
    out.push_str("\n</details>\n\n");
}

/// Escapes text for the inside of an HTML `<summary>`.
fn html_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A report on one run.
pub fn report(report: &RunReport) -> String {
    let mut out = String::new();
    incomplete_lines(&mut out, &report.incomplete_notices());
    for agent in &report.agents {
        let t = &agent.totals;
        let mark = if t.passing == t.total { "✅" } else { "❌" };
        let _ = writeln!(
            out,
            "## {mark} wsspec: {} — {} of {} cases pass\n\nRun {} · policy **{}**\n",
            esc(&agent.agent),
            t.passing,
            t.total,
            code(&report.label),
            report.policy
        );
        let verdicts = verdict_columns(std::iter::once(&agent.totals));
        out.push_str("| Section | Cases | Pass |");
        for v in &verdicts {
            let _ = write!(out, " {} |", v.as_str());
        }
        out.push_str("\n|---|---:|---:|");
        out.push_str(&"---:|".repeat(verdicts.len()));
        out.push('\n');
        let rows = agent
            .sections
            .iter()
            .map(|s| {
                (
                    s.title
                        .map_or_else(|| s.section.clone(), |t| format!("{} {t}", s.section)),
                    &s.counts,
                    false,
                )
            })
            .chain(std::iter::once(("Total".to_owned(), &agent.totals, true)));
        for (name, counts, bold) in rows {
            let b = if bold { "**" } else { "" };
            let _ = write!(
                out,
                "| {b}{}{b} | {b}{}{b} | {b}{}{b} |",
                esc(&name),
                counts.total,
                counts.passing
            );
            for v in &verdicts {
                let _ = write!(out, " {b}{}{b} |", counts.get(v));
            }
            out.push('\n');
        }
        not_ok_by_cause(&mut out, agent);
        out.push('\n');
    }
    fit(out, MAX_MARKDOWN_BYTES)
}

/// The cases that are not OK: UNIMPLEMENTED and INFORMATIONAL ones by id, the others
/// grouped by cause — a table of the causes first, then each cause with its first few
/// cases in full.
fn not_ok_by_cause(out: &mut String, agent: &AgentReport) {
    let not_ok: Vec<&ReportCase> = agent.not_ok().collect();
    if not_ok.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n### Cases not OK ({})\n", not_ok.len());
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
                "**{}** ({} cases, {why}): {}\n",
                verdict.as_str(),
                ids.len(),
                esc(&compact_ids(ids))
            );
        }
    }
    let groups = group_by_cause(not_ok.iter().copied().filter(|c| needs_a_cause(c)));
    if groups.is_empty() {
        return;
    }
    out.push_str("| Rule | What happened | Cases |\n|---|---|---|\n");
    let mut rule = None;
    for group in &groups {
        let name = if rule == Some(&group.cause.rule) {
            String::new()
        } else {
            esc(&group.cause.rule.to_string())
        };
        rule = Some(&group.cause.rule);
        let _ = writeln!(
            out,
            "| {name} | {} | {} |",
            esc(&group.cause.what_happened()),
            esc(&compact_ids(group.cases.iter().map(|c| &c.id)))
        );
    }
    out.push('\n');
    let mut rule = None;
    for group in &groups {
        if rule != Some(&group.cause.rule) {
            rule = Some(&group.cause.rule);
            let _ = writeln!(out, "#### {}\n", esc(&group.cause.rule.to_string()));
        }
        let n = group.cases.len();
        let _ = writeln!(
            out,
            "<details><summary><b>{}</b> — {n} case{}: {}</summary>\n",
            html_text(&group.cause.what_happened()),
            if n == 1 { "" } else { "s" },
            html_text(&compact_ids(group.cases.iter().map(|c| &c.id)))
        );
        for case in group.cases.iter().take(EXAMPLES_PER_CAUSE) {
            let r = &case.result;
            let description = r
                .detail
                .as_ref()
                .and_then(|d| d.description.as_deref())
                .map(plain)
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "**{}** {} / {} ({}) — {}\n",
                esc(case.id.as_str()),
                esc(r.behavior.as_str()),
                esc(r.behavior_close.as_str()),
                if case.passes { "passes" } else { "fails" },
                esc(&clip(&description, 160))
            );
            let mut lines = brief_lines(r);
            if lines.is_empty() {
                lines = case_lines(r);
            }
            for (label, text) in lines {
                let _ = writeln!(out, "- **{label}:** {}", esc(&text));
            }
            out.push('\n');
        }
        if n > EXAMPLES_PER_CAUSE {
            let _ = writeln!(
                out,
                "… and {} more like these (all in the HTML report).\n",
                n - EXAMPLES_PER_CAUSE
            );
        }
        out.push_str("</details>\n\n");
    }
}

/// A comparison of two runs.
pub fn comparison(cmp: &Comparison) -> String {
    let mut out = String::new();
    incomplete_lines(&mut out, cmp.incomplete_notice().as_slice());
    let regressions = cmp.count(Change::Regression);
    let missing = cmp.count(Change::Missing);
    let title = if cmp.passed() {
        "✅ wsspec: no regressions".to_owned()
    } else {
        format!(
            "❌ wsspec: {regressions} regression{}, {missing} missing",
            if regressions == 1 { "" } else { "s" }
        )
    };
    let agent = if cmp.current_agent.is_empty() {
        &cmp.base_agent
    } else {
        &cmp.current_agent
    };
    let _ = writeln!(
        out,
        "## {title}\n\nAgent **{}** · base {} · current {} · policy **{}**\n",
        esc(agent),
        code(&cmp.base),
        code(&cmp.current),
        cmp.policy
    );

    // Summary: base vs current by outcome, with deltas.
    let mut verdicts: Vec<Verdict> = Vec::new();
    let mut count = |side: &dyn Fn(&crate::compare::CaseChange) -> Option<Verdict>| {
        let mut counts: Vec<(Verdict, i64)> = Vec::new();
        for c in &cmp.cases {
            if let Some(v) = side(c) {
                if !verdicts.contains(&v) {
                    verdicts.push(v.clone());
                }
                match counts.iter_mut().find(|(x, _)| *x == v) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((v, 1)),
                }
            }
        }
        counts
    };
    let base_counts = count(&|c| c.base.as_ref().map(|s| s.outcome().clone()));
    let current_counts = count(&|c| c.current.as_ref().map(|s| s.outcome().clone()));
    verdicts.sort_by_key(|v| {
        (
            Verdict::KNOWN
                .iter()
                .position(|k| k == v)
                .unwrap_or(usize::MAX),
            v.as_str().to_owned(),
        )
    });
    let get = |counts: &[(Verdict, i64)], v: &Verdict| {
        counts.iter().find(|(x, _)| x == v).map_or(0, |(_, n)| *n)
    };
    let base_total = cmp.cases.iter().filter(|c| c.base.is_some()).count() as i64;
    let current_total = cmp.cases.iter().filter(|c| c.current.is_some()).count() as i64;
    let base_pass = cmp
        .cases
        .iter()
        .filter(|c| c.base.as_ref().is_some_and(|s| s.passes))
        .count() as i64;
    let current_pass = cmp
        .cases
        .iter()
        .filter(|c| c.current.as_ref().is_some_and(|s| s.passes))
        .count() as i64;
    out.push_str("| | Base | Current | Δ |\n|---|---:|---:|---:|\n");
    let _ = writeln!(
        out,
        "| Cases | {base_total} | {current_total} | {} |",
        delta(current_total - base_total)
    );
    let _ = writeln!(
        out,
        "| **Passing** | **{base_pass}** | **{current_pass}** | **{}** |",
        delta(current_pass - base_pass)
    );
    for v in &verdicts {
        let (b, c) = (get(&base_counts, v), get(&current_counts, v));
        let _ = writeln!(out, "| {} | {b} | {c} | {} |", v.as_str(), delta(c - b));
    }
    if let (Some(b), Some(c)) = (cmp.base_total_ms, cmp.current_total_ms) {
        let _ = writeln!(
            out,
            "| Total duration | {} | {} | {} |",
            ms(b),
            ms(c),
            delta_ms(c as i64 - b as i64)
        );
    }
    out.push('\n');
    let changes: Vec<String> = Change::ALL
        .iter()
        .filter(|c| **c != Change::Unchanged)
        .map(|c| format!("{} **{}**", c.as_str(), cmp.count(*c)))
        .collect();
    let _ = writeln!(
        out,
        "{} · unchanged {}\n",
        changes.join(" · "),
        cmp.count(Change::Unchanged)
    );

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
        let _ = writeln!(out, "### {} ({})\n", heading(change), cases.len());
        out.push_str("| Case | Base | Current | Why |\n|---|---|---|---|\n");
        for c in &cases {
            let side = |s: &Option<crate::compare::Side>| {
                s.as_ref()
                    .map_or_else(|| "—".to_owned(), |s| esc(&s.verdicts()))
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                c.id,
                side(&c.base),
                side(&c.current),
                esc(&c.why)
            );
        }
        out.push('\n');
        if change == Change::Regression {
            for c in &cases {
                if let Some(result) = c.shown_result().filter(|r| r.detail.is_some()) {
                    let summary = format!("<b>{}</b> details", html_text(c.id.as_str()));
                    details_block(&mut out, &summary, &case_lines(&result));
                }
            }
        }
    }
    if !cmp.duration_changes.is_empty() {
        out.push_str(
            "### Biggest duration changes\n\n| Case | Base | Current | Δ |\n|---|---:|---:|---:|\n",
        );
        for d in &cmp.duration_changes {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                d.id,
                ms(d.base_ms),
                ms(d.current_ms),
                delta_ms(d.delta_ms)
            );
        }
        out.push('\n');
    }
    fit(out, MAX_MARKDOWN_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_documents_are_left_alone() {
        assert_eq!(fit("# hi\n".to_owned(), 100), "# hi\n");
    }

    #[test]
    fn long_documents_are_cut_at_a_line_with_a_note() {
        let doc: String = (0..5000).map(|i| format!("line {i}\n")).collect();
        let fitted = fit(doc.clone(), 10_000);
        assert!(fitted.len() <= 10_000, "{}", fitted.len());
        assert!(fitted.contains("**Truncated:**"));
        let body = fitted.split("\n\n> **Truncated:**").next().unwrap();
        assert!(doc.starts_with(body), "cut at a line boundary");
    }

    #[test]
    fn an_open_details_block_is_closed_when_cut() {
        let doc = format!(
            "<details><summary>x</summary>\n\n{}",
            "- a line\n".repeat(2000)
        );
        let fitted = fit(doc, 5_000);
        assert_eq!(
            fitted.matches("<details>").count(),
            fitted.matches("</details>").count()
        );
    }

    #[test]
    fn markdown_specials_are_escaped() {
        assert_eq!(esc("a|b *c* <d>"), "a\\|b \\*c\\* \\<d\\>");
        assert_eq!(code("x`y"), "`` x`y ``");
    }
}
