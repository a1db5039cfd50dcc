//! wstest's verdict rules (AUTOBAHN-CATALOG.md §2): `behavior` from the events
//! received, `behaviorClose` from how the connection ended, then the per-case rules of
//! section 7 and 10.1.1.

use wsspec_reports::Verdict;

use crate::catalog::{Case, Check, Event, Post};

/// How the connection went, as the verdict rules see it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ending {
    /// The opening handshake completed.
    pub was_open: bool,
    /// The suite sent the first close frame (or failed the connection).
    pub closed_by_me: bool,
    /// A close frame was received and TCP then ended normally.
    pub was_clean: bool,
    /// The suite dropped TCP.
    pub dropped_by_me: bool,
    /// The code of the peer's close frame.
    pub remote_close_code: Option<u16>,
    /// The suite played the server: it drops TCP itself after the closing handshake,
    /// so dropping it is no fault of the peer's (wstest's `isServer`).
    pub suite_is_server: bool,
}

/// The outcome of a case: both verdicts and the reasons for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The data-exchange verdict.
    pub behavior: Verdict,
    /// Why.
    pub result: String,
    /// The closing-handshake verdict.
    pub behavior_close: Verdict,
    /// Why.
    pub result_close: String,
}

/// The verdicts a case starts with, before anything happened.
pub fn initial() -> Outcome {
    Outcome {
        behavior: Verdict::Failed,
        result: "Actual events differ from any expected.".to_owned(),
        behavior_close: Verdict::Failed,
        result_close: "TCP connection was dropped without close handshake".to_owned(),
    }
}

/// Applies wstest's rules at connection loss. `outcome` holds what the case set while
/// it ran (sections 9, 12, 13 set `behavior` themselves); `tx_text_frames` and
/// `tx_continuation_frames` are the suite's own sent-frame counts (10.1.1).
pub fn judge(
    case: &Case,
    received: &[Event],
    ending: &Ending,
    mut outcome: Outcome,
    tx_frames: (u64, u64),
) -> Outcome {
    // behavior: the first expected list that equals what was received.
    let lists = [
        (Verdict::Ok, case.expected.ok.as_ref()),
        (Verdict::NonStrict, case.expected.non_strict.as_ref()),
    ];
    for (verdict, list) in lists {
        if list.is_some_and(|list| list.as_slice() == received) {
            outcome.behavior = verdict;
            outcome.result = "Actual events match at least one expected.".to_owned();
            break;
        }
    }

    // behaviorClose: the first rule that fires.
    let expected = &case.expected_close;
    if ending.was_open {
        let codes = || {
            expected
                .codes
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        let (verdict, text) = if expected.closed_by_me != ending.closed_by_me {
            (
                Verdict::Failed,
                "The connection was failed by the wrong endpoint".to_owned(),
            )
        } else if expected.require_clean && !ending.was_clean {
            (
                Verdict::Unclean,
                "The spec requires the connection to be failed cleanly here".to_owned(),
            )
        } else if ending
            .remote_close_code
            .is_some_and(|code| !expected.codes.contains(&code))
        {
            (
                Verdict::WrongCode,
                format!("The close code should have been {} or empty", codes()),
            )
        } else if ending.dropped_by_me && !ending.suite_is_server {
            (
                Verdict::FailedByClient,
                "It is preferred that the server close the TCP connection".to_owned(),
            )
        } else {
            (Verdict::Ok, "Connection was properly closed".to_owned())
        };
        outcome.behavior_close = verdict;
        outcome.result_close = text;
        if expected.wrong_endpoint_is_fatal && expected.closed_by_me != ending.closed_by_me {
            outcome.behavior = Verdict::Failed;
        }
    } else {
        outcome.behavior_close = Verdict::Failed;
        outcome.result_close = "The WebSocket opening handshake was never completed!".to_owned();
    }

    match &case.post {
        Post::None => {}
        Post::Rule(rule) => super::wsspec::apply_rule(rule, received, ending, &mut outcome),
        Post::WrongCodeFails => {
            if outcome.behavior_close == Verdict::WrongCode {
                outcome.behavior = Verdict::Failed;
                outcome.result = outcome.result_close.clone();
            }
        }
        Post::Informational(text) => {
            if let Some(text) = text {
                outcome.result = (*text).to_owned();
            }
            outcome.behavior = Verdict::Informational;
            outcome.behavior_close = Verdict::Informational;
        }
        Post::InformationalByMatch { ok, non_strict } => {
            match outcome.behavior {
                Verdict::Ok => outcome.result = (*ok).to_owned(),
                Verdict::NonStrict => outcome.result = (*non_strict).to_owned(),
                _ => {}
            }
            outcome.behavior = Verdict::Informational;
            outcome.behavior_close = Verdict::Informational;
        }
    }

    if let Check::SentFrames { text, continuation } = case.check {
        if ending.was_open {
            let (got_text, got_continuation) = tx_frames;
            if (got_continuation, got_text) != (continuation, text) {
                outcome.behavior = Verdict::Failed;
                outcome.result = format!(
                    "Frames transmitted {{0: {got_continuation}, 1: {got_text}}} does not match what we expected {{0: {continuation}, 1: {text}}}."
                );
            }
        } else {
            outcome.behavior = Verdict::Failed;
            outcome.result = "WebSocket connection was never open".to_owned();
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::catalog::{CaseId, Expected, ExpectedClose};

    fn case(expected: Expected, close: ExpectedClose, post: Post) -> Case {
        Case {
            id: CaseId::from("0.0"),
            description: String::new(),
            expectation: String::new(),
            offers: Vec::new(),
            steps: Vec::new(),
            expected,
            expected_close: close,
            suppress_close: false,
            check: Check::Events,
            post,
            report_time: false,
            report_compression_ratio: false,
            timing_sensitive: false,
            expected_duration: Duration::ZERO,
            wsspec: None,
        }
    }

    fn message(text: &str) -> Event {
        Event::Message {
            payload: text.as_bytes().to_vec(),
            binary: false,
        }
    }

    fn clean_close_by_me() -> Ending {
        Ending {
            was_open: true,
            closed_by_me: true,
            was_clean: true,
            dropped_by_me: false,
            remote_close_code: Some(1000),
            suite_is_server: false,
        }
    }

    #[test]
    fn an_exact_echo_and_a_clean_close_are_ok() {
        let c = case(
            Expected::ok(vec![message("hi")]),
            ExpectedClose::normal(),
            Post::None,
        );
        let out = judge(
            &c,
            &[message("hi")],
            &clean_close_by_me(),
            initial(),
            (0, 0),
        );
        assert_eq!(
            (out.behavior, out.behavior_close),
            (Verdict::Ok, Verdict::Ok)
        );
        assert_eq!(out.result, "Actual events match at least one expected.");
        assert_eq!(out.result_close, "Connection was properly closed");
    }

    #[test]
    fn the_non_strict_list_matches_when_the_strict_one_does_not() {
        let c = case(
            Expected::ok_or_non_strict(vec![message("hi")], vec![]),
            ExpectedClose::peer_fails(1002),
            Post::None,
        );
        let ending = Ending {
            was_open: true,
            closed_by_me: false,
            remote_close_code: Some(1002),
            ..Ending::default()
        };
        let out = judge(&c, &[], &ending, initial(), (0, 0));
        assert_eq!(
            (out.behavior, out.behavior_close),
            (Verdict::NonStrict, Verdict::Ok)
        );
    }

    #[test]
    fn close_rules_fire_in_wstest_order() {
        let c = case(Expected::ok(vec![]), ExpectedClose::normal(), Post::None);
        let wrong_side = Ending {
            closed_by_me: false,
            ..clean_close_by_me()
        };
        assert_eq!(
            judge(&c, &[], &wrong_side, initial(), (0, 0)).behavior_close,
            Verdict::Failed
        );
        let unclean = Ending {
            was_clean: false,
            remote_close_code: Some(1002),
            ..clean_close_by_me()
        };
        assert_eq!(
            judge(&c, &[], &unclean, initial(), (0, 0)).behavior_close,
            Verdict::Unclean
        );
        let wrong_code = Ending {
            remote_close_code: Some(1001),
            ..clean_close_by_me()
        };
        let out = judge(&c, &[], &wrong_code, initial(), (0, 0));
        assert_eq!(out.behavior_close, Verdict::WrongCode);
        assert_eq!(
            out.result_close,
            "The close code should have been 1000 or empty"
        );
        let dropped = Ending {
            dropped_by_me: true,
            ..clean_close_by_me()
        };
        assert_eq!(
            judge(&c, &[], &dropped, initial(), (0, 0)).behavior_close,
            Verdict::FailedByClient
        );
        // A server always drops TCP itself: no FAILED BY CLIENT then.
        let dropped_by_server = Ending {
            suite_is_server: true,
            ..dropped
        };
        assert_eq!(
            judge(&c, &[], &dropped_by_server, initial(), (0, 0)).behavior_close,
            Verdict::Ok
        );
        // A close without a code is always acceptable.
        let no_code = Ending {
            remote_close_code: None,
            ..clean_close_by_me()
        };
        assert_eq!(
            judge(&c, &[], &no_code, initial(), (0, 0)).behavior_close,
            Verdict::Ok
        );
    }

    #[test]
    fn a_handshake_that_never_completed_fails_both() {
        let c = case(
            Expected::ok(vec![message("x")]),
            ExpectedClose::normal(),
            Post::None,
        );
        let out = judge(&c, &[], &Ending::default(), initial(), (0, 0));
        assert_eq!(
            (out.behavior, out.behavior_close),
            (Verdict::Failed, Verdict::Failed)
        );
        assert_eq!(
            out.result_close,
            "The WebSocket opening handshake was never completed!"
        );
    }

    #[test]
    fn the_wrong_endpoint_is_fatal_where_the_case_says_so() {
        let mut close = ExpectedClose::peer_fails(1007);
        close.wrong_endpoint_is_fatal = true;
        let c = case(Expected::ok(vec![Event::Timeout("A")]), close, Post::None);
        let out = judge(
            &c,
            &[Event::Timeout("A")],
            &clean_close_by_me(),
            initial(),
            (0, 0),
        );
        assert_eq!(
            (out.behavior, out.behavior_close),
            (Verdict::Failed, Verdict::Failed)
        );
    }

    #[test]
    fn section_7_turns_a_wrong_code_into_a_failure() {
        let c = case(
            Expected::ok(vec![]),
            ExpectedClose::normal(),
            Post::WrongCodeFails,
        );
        let ending = Ending {
            remote_close_code: Some(1002),
            ..clean_close_by_me()
        };
        let out = judge(&c, &[], &ending, initial(), (0, 0));
        assert_eq!(
            (out.behavior, out.behavior_close),
            (Verdict::Failed, Verdict::WrongCode)
        );
        assert_eq!(out.result, out.result_close);
    }

    #[test]
    fn informational_cases_say_which_order_the_peer_chose() {
        let c = case(
            Expected::ok_or_non_strict(vec![message("Hello World!")], vec![]),
            ExpectedClose::normal(),
            Post::InformationalByMatch {
                ok: "Text message was processed before close.",
                non_strict: "Close was processed before text message could be returned.",
            },
        );
        let out = judge(
            &c,
            &[message("Hello World!")],
            &clean_close_by_me(),
            initial(),
            (0, 0),
        );
        assert_eq!(
            (out.behavior, out.behavior_close),
            (Verdict::Informational, Verdict::Informational)
        );
        assert_eq!(out.result, "Text message was processed before close.");
        let fixed = case(
            Expected::ok(vec![]),
            ExpectedClose::normal(),
            Post::Informational(Some("Actual events are undefined by the spec.")),
        );
        assert_eq!(
            judge(&fixed, &[], &clean_close_by_me(), initial(), (0, 0)).result,
            "Actual events are undefined by the spec."
        );
    }

    #[test]
    fn the_suite_checks_its_own_frame_counts_in_10_1_1() {
        let mut c = case(Expected::ok(vec![]), ExpectedClose::normal(), Post::None);
        c.check = Check::SentFrames {
            text: 1,
            continuation: 50,
        };
        assert_eq!(
            judge(&c, &[], &clean_close_by_me(), initial(), (1, 50)).behavior,
            Verdict::Ok
        );
        let out = judge(&c, &[], &clean_close_by_me(), initial(), (1, 49));
        assert_eq!(out.behavior, Verdict::Failed);
        assert_eq!(
            out.result,
            "Frames transmitted {0: 49, 1: 1} does not match what we expected {0: 50, 1: 1}."
        );
    }
}
