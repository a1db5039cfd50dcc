//! JUnit XML (via quick-junit): one `<testsuite>` per section, one `<testcase>` per case
//! id. A failing case carries its verdicts as the failure message and its details as the
//! failure text, which GitHub and GitLab test-report views show.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::case_id::{section_title, CaseId};
use crate::compare::{Change, Comparison};
use crate::model::CaseResult;
use crate::render::cause::{needs_a_cause, Diagnosis};
use crate::render::util::{case_lines, wsspec_expected_actual};
use crate::summary::RunReport;

fn suite_name(agent: &str, section: &str, several_agents: bool) -> String {
    let name = match section_title(section) {
        Some(title) => format!("{section} {title}"),
        None => section.to_owned(),
    };
    if several_agents {
        format!("{agent}: {name}")
    } else {
        name
    }
}

fn class_name(agent: &str) -> String {
    if agent.is_empty() {
        "wsspec".to_owned()
    } else {
        format!("wsspec.{agent}")
    }
}

fn details_text(result: &CaseResult) -> String {
    case_lines(result)
        .into_iter()
        .map(|(label, text)| format!("{label}: {text}\n"))
        .collect()
}

fn test_case(
    id: &CaseId,
    agent: &str,
    result: &CaseResult,
    failure: Option<(String, String)>,
) -> TestCase {
    let status = match failure {
        None => TestCaseStatus::success(),
        Some((message, description)) => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message(message);
            status.set_type(result.outcome().as_str());
            status.set_description(description);
            status
        }
    };
    let mut case = TestCase::new(id.as_str(), status);
    case.set_classname(class_name(agent));
    if let Some(ms) = result.duration_ms {
        case.set_time(Duration::from_millis(ms));
    }
    case
}

fn serialize(report: &Report, notices: &[String]) -> String {
    let xml = report
        .to_string()
        .unwrap_or_else(|e| format!("<!-- JUnit serialisation failed: {e} -->\n"));
    if notices.is_empty() {
        return xml;
    }
    // The notices go first, as comments right after the XML declaration.
    let comments: String = notices
        .iter()
        .map(|n| format!("<!-- {} -->\n", n.replace("--", "- -")))
        .collect();
    match xml.find("?>\n") {
        Some(i) => format!("{}{comments}{}", &xml[..i + 3], &xml[i + 3..]),
        None => comments + &xml,
    }
}

/// Marks every suite of an incomplete run with a `wsspec.incomplete` property, which
/// test-report views show beside the suite.
fn mark_incomplete(suite: &mut TestSuite, notice: Option<&String>) {
    if let Some(notice) = notice {
        suite.add_property(Property::new("wsspec.incomplete", notice.as_str()));
    }
}

/// A report on one run: cases that fail under the policy are failures.
pub fn report(report: &RunReport) -> String {
    let several = report.agents.len() > 1;
    let mut junit = Report::new("wsspec");
    for agent in &report.agents {
        let notice = agent
            .incomplete
            .map(|i| crate::model::incomplete_notice(agent.cases.len(), i.selected));
        for section in &agent.sections {
            let mut suite = TestSuite::new(suite_name(&agent.agent, &section.section, several));
            mark_incomplete(&mut suite, notice.as_ref());
            for case in agent
                .cases
                .iter()
                .filter(|c| c.id.section() == section.section)
            {
                let r = &case.result;
                let failure = (!case.passes).then(|| {
                    let mut message = format!(
                        "behavior {}, behaviorClose {} (fails under the {} policy)",
                        r.behavior, r.behavior_close, report.policy
                    );
                    // wsspec's own sections say what went wrong, h2spec's way.
                    // Autobahn's say it as the cause they share with other cases.
                    match r.detail.as_deref().and_then(wsspec_expected_actual) {
                        Some(line) => {
                            message.push_str(": ");
                            message.push_str(&line);
                        }
                        None if needs_a_cause(case) => {
                            let cause = Diagnosis::of(&case.id, r).cause;
                            message.push_str(&format!(
                                ": {} — {}",
                                cause.rule,
                                cause.symptom.describe(cause.peer)
                            ));
                        }
                        None => {}
                    }
                    (message, details_text(r))
                });
                suite.add_test_case(test_case(&case.id, &agent.agent, r, failure));
            }
            junit.add_test_suite(suite);
        }
    }
    serialize(&junit, &report.incomplete_notices())
}

/// A comparison: regressions and missing cases are failures; everything else passes.
pub fn comparison(cmp: &Comparison) -> String {
    let agent = if cmp.current_agent.is_empty() {
        &cmp.base_agent
    } else {
        &cmp.current_agent
    };
    let mut junit = Report::new("wsspec compare");
    let notice = cmp.incomplete_notice();
    let mut sections: Vec<&str> = Vec::new();
    for c in &cmp.cases {
        if !sections.contains(&c.id.section()) {
            sections.push(c.id.section());
        }
    }
    for section in sections {
        let mut suite = TestSuite::new(suite_name(agent, section, false));
        mark_incomplete(&mut suite, notice.as_ref());
        for c in cmp.cases.iter().filter(|c| c.id.section() == section) {
            let Some(result) = c.shown_result() else {
                continue;
            };
            let failure = c.change.fails_gate().then(|| {
                let kind = if c.change == Change::Missing {
                    "missing"
                } else {
                    "regression"
                };
                (format!("{kind}: {}", c.why), details_text(&result))
            });
            suite.add_test_case(test_case(&c.id, agent, &result, failure));
        }
        junit.add_test_suite(suite);
    }
    serialize(&junit, notice.as_slice())
}
