//! Runs the cases of wsspec's own sections (100–105) and writes what they add to a
//! report: the RFC rule each checks (`wsspecRfc`), and for a case that is not OK what
//! a conformant peer does (`wsspecExpected`) and what this one did (`wsspecActual`),
//! the way h2spec prints "expected … / actual …".
//!
//! Cases with steps run on the fuzzer like Autobahn's ([`run_one`] connects as
//! [`super::run_one`] does); 103.2's steps are made here from the peer's limit, 103.3's
//! verdicts become UNIMPLEMENTED when permessage-deflate was not agreed, and
//! [`apply_rule`] judges what wstest's event lists cannot express (103.4.1). The
//! handshake and hixie-76 sections have executors of their own ([`super::handshake`],
//! [`super::hixie76`]), which fill a [`RawRun`].

use std::time::Duration;

use serde_json::Value;
use wsspec_codec::deflate::EXTENSION_NAME;
use wsspec_codec::handshake::{parse_extensions, ResponseHead};
use wsspec_reports::{CaseDetail, Verdict, WSSPEC_ACTUAL, WSSPEC_EXPECTED, WSSPEC_RFC};

use super::fuzzer::{self, CaseRun, Settings};
use super::messages::MessageCache;
use super::record::Recorder;
use super::verdict::{Ending, Outcome};
use super::RunOptions;
use crate::catalog::wsspec::{over_limit_steps, ping_flood_payload, Exec, OverLimit, Rule};
use crate::catalog::{Case, Event};

/// Runs one case of wsspec's own sections on a fresh connection (or two, for the
/// hixie-76 cases that first ask whether the server speaks the draft at all).
pub async fn run_one(
    case: &Case,
    index: usize,
    options: &RunOptions,
    cache: &MessageCache,
) -> CaseRun {
    let started = fuzzer::utc_now();
    let Some(spec) = case.spec() else {
        return fuzz(case, index, options, &options.settings, cache, started).await;
    };
    let mut run = match &spec.exec {
        Exec::Steps | Exec::Split(_) => {
            fuzz(case, index, options, &options.settings, cache, started).await
        }
        Exec::NeedsDeflate => {
            let mut run = fuzz(case, index, options, &options.settings, cache, started).await;
            if !deflate_agreed(&run.detail) {
                unimplemented(
                    &mut run.detail,
                    "permessage-deflate was not agreed: the server's answer does not accept \
                     the offer",
                );
            }
            run
        }
        Exec::OverLimit(over) => match options.settings.peer_max_message {
            Some(max) => {
                let (owned, settings) = over_limit_case(case, *over, max, &options.settings);
                let mut run = fuzz(&owned, index, options, &settings, cache, started).await;
                run.detail.description = Some(owned.description.clone());
                run
            }
            None => {
                let mut run = fuzzer::connect_failed(case, index, started, String::new());
                unimplemented(
                    &mut run.detail,
                    "the peer's message limit is unknown (RFC 6455 has no way to advertise \
                     one): give it with --peer-max-message BYTES to run this case",
                );
                run
            }
        },
        Exec::Handshake(handshake) => {
            super::handshake::run(case, handshake, index, options, started).await
        }
        Exec::Hixie76(hixie) => super::hixie76::run(case, hixie, index, options, started).await,
    };
    annotate(case, &mut run);
    run
}

/// Connects as [`super::run_one`] does and runs `case` on the fuzzer.
async fn fuzz(
    case: &Case,
    index: usize,
    options: &RunOptions,
    settings: &Settings,
    cache: &MessageCache,
    started: String,
) -> CaseRun {
    match super::connect(&options.target, settings).await {
        Ok(stream) => {
            fuzzer::run_case(
                stream,
                case,
                index,
                &options.target,
                settings,
                cache,
                started,
            )
            .await
        }
        Err(problem) => fuzzer::connect_failed(case, index, started, problem),
    }
}

/// Both verdicts UNIMPLEMENTED, for `why`.
fn unimplemented(detail: &mut CaseDetail, why: &str) {
    detail.behavior = Verdict::Unimplemented;
    detail.behavior_close = Verdict::Unimplemented;
    detail.result = Some(why.to_owned());
    detail.result_close = Some(why.to_owned());
}

/// Whether the server's answer in `detail` accepted permessage-deflate.
pub fn deflate_agreed(detail: &CaseDetail) -> bool {
    let Some(raw) = detail.http_response.as_deref() else {
        return false;
    };
    let Ok(head) = ResponseHead::parse(raw.as_bytes()) else {
        return false;
    };
    head.status == 101
        && head
            .headers
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("Sec-WebSocket-Extensions"))
            .filter_map(|(_, value)| parse_extensions(value).ok())
            .flatten()
            .any(|ext| ext.name == EXTENSION_NAME)
}

/// 103.2's case for a peer whose limit is `max`: a binary message of `max + over`
/// octets, in `frames` frames; echoed (type and length checked) when within the limit,
/// else the peer must fail with 1009. The suite's own limits are raised to let the
/// echo in.
pub fn over_limit_case(
    case: &Case,
    over: OverLimit,
    max: usize,
    settings: &Settings,
) -> (Case, Settings) {
    let len = max.saturating_add(over.over as usize);
    let owned = over_limit_steps(case, len, over.over == 0, over.frames);
    let mut settings = settings.clone();
    settings.limits.max_message = settings.limits.max_message.max(len.saturating_add(1));
    settings.limits.max_frame = settings.limits.max_frame.max(len as u64 + 1);
    (owned, settings)
}

/// Adds the wsspec fields to a finished case: the rule always; what was expected and
/// what happened when the case is not OK (or INFORMATIONAL).
pub fn annotate(case: &Case, run: &mut CaseRun) {
    let Some(spec) = case.spec() else {
        return;
    };
    let detail = &mut run.detail;
    detail
        .extra
        .insert(WSSPEC_RFC.to_owned(), Value::from(spec.rfc));
    let passed = |v: &Verdict| matches!(v, Verdict::Ok | Verdict::Informational);
    if passed(&detail.behavior) && passed(&detail.behavior_close) {
        detail.extra.remove(WSSPEC_ACTUAL);
        return;
    }
    detail.extra.insert(
        WSSPEC_EXPECTED.to_owned(),
        Value::from(spec.expected.clone()),
    );
    if !detail.extra.contains_key(WSSPEC_ACTUAL) {
        let actual = describe(detail);
        detail
            .extra
            .insert(WSSPEC_ACTUAL.to_owned(), Value::from(actual));
    }
}

/// What the peer did in a fuzzer-run case, as one line: what it sent, how the
/// connection ended, and why a verdict is not OK.
pub fn describe(detail: &CaseDetail) -> String {
    if detail.behavior == Verdict::Unimplemented {
        return detail.result.clone().unwrap_or_default();
    }
    if detail.http_response.as_deref().map_or(true, |r| r == "?") {
        return format!(
            "the connection never opened: {}",
            detail.result.as_deref().unwrap_or("?")
        );
    }
    let received = detail
        .received
        .as_ref()
        .and_then(Value::as_array)
        .map_or_else(|| "nothing".to_owned(), |events| events_text(events));
    let mut parts = vec![format!("the peer sent {received}")];
    let code = |c: Option<u16>| c.map_or("no code".to_owned(), |c| c.to_string());
    let reason = |r: &Option<String>| {
        r.as_deref()
            .filter(|r| !r.is_empty())
            .map_or(String::new(), |r| format!(" {r:?}"))
    };
    let closed_first_by_me = detail.closed_by_me == Some(true);
    let peer_closed = detail.was_clean == Some(true) || detail.remote_close_code.is_some();
    match (closed_first_by_me, detail.remote_close_code) {
        (false, _) if peer_closed => parts.push(format!(
            "it closed the connection with {}{}",
            code(detail.remote_close_code),
            reason(&detail.remote_close_reason)
        )),
        (true, remote) => {
            let who = if detail.failed_by_me == Some(true) {
                "the suite failed the connection"
            } else {
                "the suite closed the connection"
            };
            let answer = if detail.was_clean == Some(true) {
                format!("the peer answered with {}", code(remote))
            } else {
                "the peer did not answer cleanly".to_owned()
            };
            parts.push(format!(
                "{who} ({}{}); {answer}",
                code(detail.local_close_code),
                reason(&detail.local_close_reason)
            ));
        }
        (false, _) => parts.push("it dropped TCP without a close frame".to_owned()),
    }
    // The peer's own drop is said above; the suite's timeouts are worth saying.
    if let Some(why) = detail.was_not_clean_reason.as_deref() {
        if !why.starts_with("peer dropped the TCP connection") {
            parts.push(why.to_owned());
        }
    }
    // wstest's results, unless they only repeat what the lines above show.
    let generic = [
        "Actual events match at least one expected.",
        "Actual events differ from any expected.",
        "Connection was properly closed",
    ];
    for (verdict, result) in [
        (&detail.behavior, &detail.result),
        (&detail.behavior_close, &detail.result_close),
    ] {
        if let Some(result) = result.as_deref() {
            let passed = matches!(verdict, Verdict::Ok | Verdict::Informational);
            if !passed && !generic.contains(&result) && !parts.iter().any(|p| p == result) {
                parts.push(result.to_owned());
            }
        }
    }
    parts.join("; ")
}

/// Received events as a short list: `text message "x", pong "y"`, `nothing`.
fn events_text(events: &[Value]) -> String {
    if events.is_empty() {
        return "nothing".to_owned();
    }
    let one = |event: &Value| {
        let items = event.as_array().map(Vec::as_slice).unwrap_or_default();
        let kind = items.first().and_then(Value::as_str).unwrap_or("?");
        let data = items.get(1).and_then(Value::as_str).unwrap_or("");
        let shown: String = data.chars().take(40).collect();
        let cut = if shown.len() < data.len() { "…" } else { "" };
        match (kind, items.get(2).and_then(Value::as_bool)) {
            ("timeout", _) => format!("nothing by wait {data}"),
            ("message", Some(true)) => format!("binary message {shown:?}{cut}"),
            ("message", _) => format!("text message {shown:?}{cut}"),
            (kind, _) => format!("{kind} {shown:?}{cut}"),
        }
    };
    let pongs = events
        .iter()
        .filter(|e| e.get(0).and_then(Value::as_str) == Some("pong"))
        .count();
    if pongs > 4 {
        // A flood's answers: how many, and the first.
        let rest = events.len() - pongs;
        let others = if rest > 0 {
            format!(" and {rest} other events")
        } else {
            String::new()
        };
        return format!("{pongs} pongs (the first {}){others}", one(&events[0]));
    }
    let mut shown: Vec<String> = events.iter().take(4).map(one).collect();
    if events.len() > 4 {
        shown.push(format!("… ({} events in all)", events.len()));
    }
    shown.join(", ")
}

/// Applies a rule of wsspec's own sections after wstest's (see [`Rule`]).
pub fn apply_rule(rule: &Rule, received: &[Event], ending: &Ending, outcome: &mut Outcome) {
    match rule {
        Rule::PingFlood { count } => ping_flood(*count, received, ending, outcome),
    }
}

/// 103.4.1: see [`Rule::PingFlood`].
fn ping_flood(count: usize, received: &[Event], ending: &Ending, outcome: &mut Outcome) {
    let pongs: Vec<&[u8]> = received
        .iter()
        .filter_map(|e| match e {
            Event::Pong(payload) => Some(payload.as_slice()),
            _ => None,
        })
        .collect();
    // Each pong answers the ping its payload names; they come in the pings' order.
    let mut next = 0;
    let mut wrong = None;
    for (n, pong) in pongs.iter().enumerate() {
        let index = std::str::from_utf8(pong.get(12..17).unwrap_or_default())
            .ok()
            .and_then(|digits| digits.parse::<usize>().ok())
            .filter(|&i| i >= next && i < count && ping_flood_payload(i) == *pong);
        match index {
            Some(i) => next = i + 1,
            None => {
                wrong = Some(format!(
                    "pong {} of {} answers no ping after the last one answered ({}): {:?}",
                    n + 1,
                    pongs.len(),
                    next.saturating_sub(1),
                    String::from_utf8_lossy(&pong[..pong.len().min(24)])
                ));
                break;
            }
        }
    }
    let last_answered = next == count;
    if outcome.behavior == Verdict::Ok {
        if let Some(wrong) = wrong {
            outcome.behavior = Verdict::Failed;
            outcome.result = wrong;
        } else if !last_answered {
            outcome.behavior = Verdict::Failed;
            outcome.result = format!(
                "{} pongs for {count} pings, but the last ping (#{}) was not answered \
                 (RFC 6455 §5.5.3 allows answering only the most recent ping, not none)",
                pongs.len(),
                count - 1
            );
        } else {
            outcome.result = format!(
                "{} pongs for {count} pings, in order, the last answered; then the echo.",
                pongs.len()
            );
        }
    } else if ending.was_open && !ending.closed_by_me {
        // The peer failed the connection on the flood, a limit RFC 6455 §10.4 allows.
        outcome.behavior = Verdict::NonStrict;
        match ending.remote_close_code {
            Some(code) => {
                outcome.result = format!(
                    "the peer failed the connection ({code}) after {} pongs for {count} \
                     pings, rather than answer the flood and echo",
                    pongs.len()
                );
                if ending.was_clean {
                    outcome.behavior_close = Verdict::Ok;
                    outcome.result_close = "the peer failed the connection cleanly".to_owned();
                }
            }
            None => {
                outcome.result = format!(
                    "the peer dropped TCP after {} pongs for {count} pings, rather than \
                     answer the flood and echo",
                    pongs.len()
                );
                outcome.behavior_close = Verdict::Unclean;
                outcome.result_close = "the peer dropped TCP without the close frame RFC 6455 \
                                        §7.1.7 asks for"
                    .to_owned();
            }
        }
    }
}

/// What a section 100 or 105 executor found, to be written as a [`CaseRun`].
#[derive(Debug)]
pub struct RawRun<'a> {
    /// The case.
    pub case: &'a Case,
    /// Its 1-based position in the run.
    pub index: usize,
    /// When it started (UTC).
    pub started: String,
    /// The request as written (cut for reports when huge).
    pub http_request: String,
    /// The answer head, if one came.
    pub http_response: Option<String>,
    /// The `Server` header of the answer.
    pub server_header: Option<String>,
    /// The wire log.
    pub rec: Recorder,
    /// `behavior` and why.
    pub behavior: (Verdict, String),
    /// `behaviorClose` and why.
    pub behavior_close: (Verdict, String),
    /// What the peer did, for `wsspecActual`.
    pub actual: Option<String>,
    /// A WebSocket connection was opened.
    pub was_open: bool,
    /// The suite started the closing.
    pub closed_by_me: bool,
    /// Close frames both ways, then TCP closed by the peer.
    pub was_clean: bool,
    /// The suite dropped TCP.
    pub dropped_by_me: bool,
    /// The code of the peer's close frame.
    pub remote_close_code: Option<u16>,
    /// From the connect to the end.
    pub duration: Duration,
}

impl<'a> RawRun<'a> {
    /// A run that has not done anything yet (both verdicts FAILED).
    pub fn new(case: &'a Case, index: usize, started: String, http_request: String) -> Self {
        RawRun {
            case,
            index,
            started,
            http_request,
            http_response: None,
            server_header: None,
            rec: Recorder::new(),
            behavior: (Verdict::Failed, String::new()),
            behavior_close: (Verdict::Failed, String::new()),
            actual: None,
            was_open: false,
            closed_by_me: false,
            was_clean: false,
            dropped_by_me: false,
            remote_close_code: None,
            duration: Duration::ZERO,
        }
    }

    /// The record of a case whose connection could not be made.
    pub fn never_connected(self, problem: String) -> CaseRun {
        fuzzer::connect_failed(self.case, self.index, self.started, problem)
    }
}

/// The report of a section 100 or 105 case.
pub fn raw_run(raw: RawRun<'_>) -> CaseRun {
    let case = raw.case;
    let (rows, dropped_rows) = raw.rec.into_rows();
    let mut detail = CaseDetail {
        id: case.id.to_string(),
        case: Some(raw.index as u64),
        behavior: raw.behavior.0,
        behavior_close: raw.behavior_close.0,
        description: Some(case.description.clone()),
        expectation: Some(case.expectation.clone()),
        expected: Some(Value::Object(Default::default())),
        expected_close: None,
        received: Some(Value::Array(Vec::new())),
        result: Some(raw.behavior.1),
        result_close: Some(raw.behavior_close.1),
        duration: Some(raw.duration.as_millis() as u64),
        started: Some(raw.started),
        http_request: Some(raw.http_request),
        http_response: Some(raw.http_response.unwrap_or_else(|| "?".to_owned())),
        remote_close_code: raw.remote_close_code,
        closed_by_me: Some(raw.closed_by_me),
        dropped_by_me: Some(raw.dropped_by_me),
        failed_by_me: Some(false),
        is_server: Some(false),
        was_clean: Some(raw.was_clean),
        was_open_handshake_timeout: Some(false),
        create_stats: Some(false),
        create_wirelog: Some(true),
        report_time: Some(false),
        report_compression_ratio: Some(false),
        wirelog: Some(rows),
        ..CaseDetail::default()
    };
    if !raw.was_open {
        detail.was_not_clean_reason = Some("no WebSocket connection was opened".to_owned());
    }
    if dropped_rows > 0 {
        detail
            .extra
            .insert("wsspecWirelogRowsDropped".to_owned(), dropped_rows.into());
    }
    if let Some(actual) = raw.actual {
        detail
            .extra
            .insert(WSSPEC_ACTUAL.to_owned(), Value::from(actual));
    }
    CaseRun {
        detail,
        server_header: raw.server_header,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::runner::verdict::initial;

    fn pongs(indices: impl IntoIterator<Item = usize>) -> Vec<Event> {
        indices
            .into_iter()
            .map(|i| Event::Pong(ping_flood_payload(i)))
            .collect()
    }

    fn echoed() -> Outcome {
        Outcome {
            behavior: Verdict::Ok,
            result: "Received text message of length 36.".to_owned(),
            behavior_close: Verdict::Ok,
            result_close: "Connection was properly closed".to_owned(),
        }
    }

    fn closed_by_me() -> Ending {
        Ending {
            was_open: true,
            closed_by_me: true,
            was_clean: true,
            remote_close_code: Some(1000),
            ..Ending::default()
        }
    }

    #[test]
    fn a_pong_for_every_ping_then_the_echo_is_ok() {
        let mut outcome = echoed();
        apply_rule(
            &Rule::PingFlood { count: 5 },
            &pongs(0..5),
            &closed_by_me(),
            &mut outcome,
        );
        assert_eq!(outcome.behavior, Verdict::Ok);
        assert_eq!(
            outcome.result,
            "5 pongs for 5 pings, in order, the last answered; then the echo."
        );
    }

    #[test]
    fn answering_only_some_pings_is_ok_if_the_last_is_answered() {
        let mut outcome = echoed();
        apply_rule(
            &Rule::PingFlood { count: 5 },
            &pongs([1, 4]),
            &closed_by_me(),
            &mut outcome,
        );
        assert_eq!(outcome.behavior, Verdict::Ok);
    }

    #[test]
    fn the_last_ping_unanswered_fails() {
        let mut outcome = echoed();
        apply_rule(
            &Rule::PingFlood { count: 5 },
            &pongs(0..4),
            &closed_by_me(),
            &mut outcome,
        );
        assert_eq!(outcome.behavior, Verdict::Failed);
        assert!(outcome
            .result
            .contains("the last ping (#4) was not answered"));
    }

    #[test]
    fn pongs_out_of_order_or_unknown_fail() {
        for events in [
            pongs([2, 1, 4]),
            vec![Event::Pong(b"not a ping".to_vec())],
            pongs([0, 0, 4]),
        ] {
            let mut outcome = echoed();
            apply_rule(
                &Rule::PingFlood { count: 5 },
                &events,
                &closed_by_me(),
                &mut outcome,
            );
            assert_eq!(outcome.behavior, Verdict::Failed, "{events:?}");
            assert!(
                outcome.result.contains("answers no ping"),
                "{}",
                outcome.result
            );
        }
    }

    #[test]
    fn failing_the_connection_cleanly_is_non_strict() {
        let mut outcome = initial();
        let ending = Ending {
            was_open: true,
            closed_by_me: false,
            was_clean: true,
            remote_close_code: Some(1008),
            ..Ending::default()
        };
        apply_rule(
            &Rule::PingFlood { count: 5 },
            &pongs(0..2),
            &ending,
            &mut outcome,
        );
        assert_eq!(
            (outcome.behavior, outcome.behavior_close),
            (Verdict::NonStrict, Verdict::Ok)
        );
        assert!(outcome.result.contains("(1008) after 2 pongs"));
        // Dropping TCP instead (Node ws past its maxPendingAutoPongs) is unclean.
        let mut dropped = initial();
        apply_rule(
            &Rule::PingFlood { count: 5 },
            &pongs(0..3),
            &Ending {
                was_open: true,
                ..Ending::default()
            },
            &mut dropped,
        );
        assert_eq!(
            (dropped.behavior, dropped.behavior_close),
            (Verdict::NonStrict, Verdict::Unclean)
        );
        assert!(dropped.result.contains("dropped TCP after 3 pongs"));
        // Neither answering nor failing (the suite closed on its timer) stays FAILED.
        let mut silent = initial();
        apply_rule(
            &Rule::PingFlood { count: 5 },
            &[],
            &closed_by_me(),
            &mut silent,
        );
        assert_eq!(silent.behavior, Verdict::Failed);
    }

    #[test]
    fn deflate_is_agreed_only_by_a_101_accepting_it() {
        let detail = |response: &str| CaseDetail {
            http_response: Some(response.to_owned()),
            ..CaseDetail::default()
        };
        assert!(deflate_agreed(&detail(
            "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Extensions: permessage-deflate; \
             client_max_window_bits=10\r\n\r\n"
        )));
        assert!(!deflate_agreed(&detail(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
        )));
        assert!(!deflate_agreed(&detail("?")));
    }

    #[test]
    fn the_actual_text_says_what_the_peer_sent_and_how_it_closed() {
        let detail = CaseDetail {
            behavior: Verdict::Failed,
            behavior_close: Verdict::Failed,
            http_response: Some("HTTP/1.1 101 Switching Protocols\r\n\r\n".to_owned()),
            received: Some(json!([["timeout", "A"], ["message", "Hello-*", false]])),
            result: Some("Actual events differ from any expected.".to_owned()),
            result_close: Some("The connection was failed by the wrong endpoint".to_owned()),
            closed_by_me: Some(true),
            failed_by_me: Some(false),
            local_close_code: Some(1001),
            local_close_reason: Some("Going Away".to_owned()),
            remote_close_code: Some(1000),
            was_clean: Some(true),
            ..CaseDetail::default()
        };
        assert_eq!(
            describe(&detail),
            "the peer sent nothing by wait A, text message \"Hello-*\"; the suite closed the \
             connection (1001 \"Going Away\"); the peer answered with 1000; The connection was \
             failed by the wrong endpoint"
        );
        let peer_closed = CaseDetail {
            received: Some(json!([])),
            closed_by_me: Some(false),
            remote_close_code: Some(1002),
            remote_close_reason: Some("bad frame".to_owned()),
            behavior_close: Verdict::WrongCode,
            result_close: Some("The close code should have been 1009 or empty".to_owned()),
            behavior: Verdict::Ok,
            ..detail.clone()
        };
        let flooded = CaseDetail {
            received: Some(Value::Array(
                (0..7)
                    .map(|i| json!(["pong", format!("ping {i}")]))
                    .collect(),
            )),
            closed_by_me: Some(false),
            was_clean: Some(false),
            remote_close_code: None,
            was_not_clean_reason: Some(
                "peer dropped the TCP connection without previous WebSocket closing handshake"
                    .to_owned(),
            ),
            behavior: Verdict::NonStrict,
            result: Some("the peer dropped TCP after 7 pongs".to_owned()),
            ..detail.clone()
        };
        assert_eq!(
            describe(&flooded),
            "the peer sent 7 pongs (the first pong \"ping 0\"); it dropped TCP without a close \
             frame; the peer dropped TCP after 7 pongs; The connection was failed by the wrong \
             endpoint"
        );
        assert_eq!(
            describe(&peer_closed),
            "the peer sent nothing; it closed the connection with 1002 \"bad frame\"; The close \
             code should have been 1009 or empty"
        );
    }
}
