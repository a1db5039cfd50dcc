//! Why a case is not OK, in words its author can act on.
//!
//! Each case checks one rule of the RFC ([`Rule`]: Autobahn's sections by case id,
//! wsspec's own sections by the citation they carry), and the peer did something about
//! it ([`Symptom`]: read from the verdicts, the events, the close and the wire log).
//! Together they are the case's [`Cause`]. The renderers group failing cases by cause,
//! so forty cases broken by one bug read as one finding with forty ids, and show for
//! each case the expected and the actual exchange, the frames the suite sent and what
//! came back ([`Diagnosis`]).

use std::fmt;

use serde_json::Value;

use super::util::{clip, events};
use crate::case_id::{section_title, CaseId};
use crate::detail::{CaseDetail, WireLogRow};
use crate::model::CaseResult;
use crate::summary::ReportCase;
use crate::verdict::Verdict;

/// Frames listed in a "Sent" or "Came back" line before the rest are counted.
const FRAMES_LISTED: usize = 6;

/// Octets of a rejected read shown in hex.
const OCTETS_SHOWN: usize = 12;

/// The rule a case checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The rule in plain words ("Messages of 126 bytes or more (16- and 64-bit lengths)").
    pub text: String,
    /// Where the RFC states it ("RFC 6455 §5.2"), when one place does.
    pub rfc: Option<String>,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.rfc {
            Some(rfc) => write!(f, "{} ({rfc})", self.text),
            None => f.write_str(&self.text),
        }
    }
}

/// The rule case `id` checks. `detail` tells valid from invalid UTF-8 in section 6 and
/// carries the citation of wsspec's own sections (`wsspecRfc`).
pub fn rule_of(id: &CaseId, detail: Option<&CaseDetail>) -> Rule {
    let parts: Vec<u64> = id
        .as_str()
        .split('.')
        .map_while(|p| p.parse().ok())
        .collect();
    let cited = detail.and_then(|d| d.wsspec_rfc()).map(str::to_owned);
    let (text, rfc) = match rule_by_id(&parts, detail) {
        Some((text, rfc)) => (text, rfc.map(str::to_owned)),
        None => (
            section_title(id.section()).map_or_else(
                || format!("Section {}", id.section()),
                |t| format!("{} {t}", id.section()),
            ),
            None,
        ),
    };
    Rule {
        text,
        rfc: cited.or(rfc),
    }
}

/// The rules of Autobahn's sections and of wsspec's, by case id.
fn rule_by_id(
    parts: &[u64],
    detail: Option<&CaseDetail>,
) -> Option<(String, Option<&'static str>)> {
    const FRAMING: &str = "RFC 6455 §5.2";
    const FRAGMENTS: &str = "RFC 6455 §5.4";
    const CONTROL: &str = "RFC 6455 §5.5";
    const CLOSE: &str = "RFC 6455 §5.5.1";
    const UTF8: &str = "RFC 6455 §8.1";
    let invalid_utf8 = detail.is_some_and(|d| d.expected_close_codes().contains(&1007));
    let (text, rfc): (&str, Option<&'static str>) = match parts {
        [1, _, n] if *n <= 2 => ("Messages of up to 125 bytes (7-bit length)", Some(FRAMING)),
        [1, ..] => (
            "Messages of 126 bytes or more (16- and 64-bit lengths)",
            Some(FRAMING),
        ),
        [2, 5] => ("Control frames carry at most 125 bytes", Some(CONTROL)),
        [2, 7 | 8] => ("An unsolicited pong is ignored", Some("RFC 6455 §5.5.3")),
        [2, ..] => (
            "A ping is answered with a pong with the same payload",
            Some("RFC 6455 §5.5.2"),
        ),
        [3, ..] => (
            "RSV bits are 0 unless an extension defines them",
            Some(FRAMING),
        ),
        [4, ..] => ("Reserved opcodes fail the connection", Some(FRAMING)),
        [5, 1 | 2] => ("Control frames are never fragmented", Some(CONTROL)),
        [5, 3..=5] => ("A fragmented message is put back together", Some(FRAGMENTS)),
        [5, 6..=8 | 19 | 20] => (
            "Control frames may come between the fragments of a message",
            Some(FRAGMENTS),
        ),
        [5, ..] => (
            "Continuation frames only continue a started message",
            Some(FRAGMENTS),
        ),
        [6, 4, ..] => (
            "Invalid UTF-8 fails the connection as soon as it arrives",
            Some(UTF8),
        ),
        [6, ..] if invalid_utf8 => (
            "Invalid UTF-8 in a text message fails the connection (1007)",
            Some(UTF8),
        ),
        [6, ..] if detail.is_some() => (
            "Valid UTF-8 is accepted, however it is split into frames",
            Some(UTF8),
        ),
        [6, ..] => ("UTF-8 in text messages", Some(UTF8)),
        [7, 1, ..] => (
            "A close is answered, and nothing after it is processed",
            Some(CLOSE),
        ),
        [7, 3, ..] => (
            "A close payload is empty, or a 2-byte code and a reason, at most 125 bytes",
            Some(CLOSE),
        ),
        [7, 5, ..] => ("A close reason is valid UTF-8", Some(CLOSE)),
        [7, 7, ..] => ("Valid close codes are accepted", Some("RFC 6455 §7.4.1")),
        [7, 9, ..] => (
            "Close codes that may not be sent fail the connection (1002)",
            Some("RFC 6455 §7.4.1"),
        ),
        [7, ..] => ("Close codes", Some("RFC 6455 §7.4")),
        [9, 1 | 2, ..] => ("Large messages (64 KiB to 16 MiB) come back whole", None),
        [9, 3 | 4, ..] => ("Large messages in many fragments", Some(FRAGMENTS)),
        [9, 5 | 6, ..] => ("A large frame that arrives in small TCP writes", None),
        [9, ..] => ("1000 messages echoed one at a time, in time", None),
        [10, ..] => ("A message in 51 fragments", Some(FRAGMENTS)),
        [12 | 13, ..] => ("permessage-deflate compression", Some("RFC 7692")),
        [100, 1, ..] => ("The Sec-WebSocket-Key is checked", Some("RFC 6455 §4.2.1")),
        [100, 2, ..] => (
            "Other versions get 426 with Sec-WebSocket-Version: 13",
            Some("RFC 6455 §4.4"),
        ),
        [100, 3, ..] => (
            "The Upgrade and Connection headers are read as token lists",
            Some("RFC 6455 §4.2.1"),
        ),
        [100, 4, ..] => (
            "Only a GET over HTTP/1.1 is upgraded",
            Some("RFC 6455 §4.2.1"),
        ),
        [100, 5, ..] => ("Oversized handshake headers are refused", None),
        [100, 6, ..] => (
            "A handshake request split across TCP writes is read whole",
            None,
        ),
        [100, 7, ..] => ("Subprotocol negotiation", Some("RFC 6455 §4.2.2")),
        [100, 8, ..] => ("Extension negotiation", Some("RFC 6455 §9.1")),
        [101, ..] => (
            "A client fails the connection on a wrong handshake answer",
            Some("RFC 6455 §4.1"),
        ),
        [102, ..] => (
            "Invalid UTF-8 fails the connection as soon as it arrives",
            Some(UTF8),
        ),
        [103, ..] => ("Limits: length claims, bombs and floods", None),
        [104, split, rest @ ..] => {
            let how = if *split == 1 {
                "one byte per TCP write"
            } else {
                "at random TCP write boundaries"
            };
            let inner = rule_by_id(rest, detail);
            return Some(match inner {
                Some((text, rfc)) => (format!("{text} — delivered {how}"), rfc),
                None => (format!("Autobahn's cases delivered {how}"), None),
            });
        }
        [105, ..] => ("hixie-76 (draft-76)", Some("draft-hixie-76")),
        _ => return None,
    };
    Some((text.to_owned(), rfc))
}

/// What the peer did, reduced to what cases with one bug have in common (no payloads,
/// no byte offsets), so cases can be grouped by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Symptom {
    /// The opening handshake did not complete; the peer's status line, if it answered.
    HandshakeFailed(Option<String>),
    /// The suite failed the connection over something the peer sent (the reason, with
    /// numbers left out).
    Rejected(String),
    /// The peer's answer to the suite's close broke a rule, and the suite dropped TCP.
    RejectedWhileClosing,
    /// The peer answered where it should have failed the connection.
    AnsweredInsteadOfFailing,
    /// Nothing came back of what was expected, from this event on ("an echo", "a pong").
    NoReply(String),
    /// Something came back, but not what was expected.
    WrongReply,
    /// Only wstest's lenient expectation matched.
    Lenient,
    /// The peer did not fail the connection; the suite closed it.
    DidNotFail,
    /// The peer closed the connection where the suite was to close it.
    ClosedFirst,
    /// The peer did not answer the suite's close frame in time.
    NoCloseReply,
    /// The peer dropped TCP without a closing handshake.
    DroppedTcp,
    /// The peer closed with a code the case does not allow (`echoed`: the code the
    /// suite had sent).
    WrongCloseCode {
        /// The peer sent back the suite's own code.
        echoed: bool,
    },
    /// The peer left TCP open after the closing handshake.
    KeptTcpOpen,
    /// A check of sections 9, 12 and 13 failed (wstest's result, numbers left out).
    CheckFailed(String),
    /// What a case of wsspec's own sections says the peer did.
    Described(String),
    /// Nothing more specific is known: the verdicts.
    Verdicts(String),
}

impl Symptom {
    /// The symptom as a sentence about `peer` ("server" or "client").
    pub fn describe(&self, peer: &str) -> String {
        match self {
            Symptom::HandshakeFailed(Some(status)) => {
                format!("the {peer} did not complete the opening handshake (it answered {status:?})")
            }
            Symptom::HandshakeFailed(None) => {
                format!("the {peer} did not complete the opening handshake")
            }
            Symptom::Rejected(reason) => {
                format!("the {peer} sent something the suite must reject: {reason}")
            }
            Symptom::RejectedWhileClosing => format!(
                "the {peer}'s answer to the suite's close broke a rule, so the suite dropped the connection"
            ),
            Symptom::AnsweredInsteadOfFailing => {
                format!("the {peer} answered instead of failing the connection")
            }
            Symptom::NoReply(what) => format!("{what} never came back"),
            Symptom::WrongReply => format!("the {peer}'s reply is not the expected one"),
            Symptom::Lenient => {
                "only the lenient (NON-STRICT) expectation matched: right in the end, but not as soon as it should be".to_owned()
            }
            Symptom::DidNotFail => format!(
                "the {peer} did not fail the connection; the suite had to close it"
            ),
            Symptom::ClosedFirst => format!(
                "the {peer} closed the connection before the exchange was over"
            ),
            Symptom::NoCloseReply => {
                format!("the {peer} did not answer the suite's close frame in time")
            }
            Symptom::DroppedTcp => {
                format!("the {peer} dropped the TCP connection without a closing handshake")
            }
            Symptom::WrongCloseCode { echoed: true } => format!(
                "the {peer} echoed the suite's close code instead of answering with an allowed one"
            ),
            Symptom::WrongCloseCode { echoed: false } => {
                format!("the {peer} closed with a code this case does not allow")
            }
            Symptom::KeptTcpOpen => format!(
                "the {peer} did not close TCP after the closing handshake; the suite had to"
            ),
            Symptom::CheckFailed(text) | Symptom::Described(text) | Symptom::Verdicts(text) => {
                text.clone()
            }
        }
    }
}

/// Why a case is not OK: the rule it checks and what the peer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// The rule.
    pub rule: Rule,
    /// What the peer did.
    pub symptom: Symptom,
    /// "server" or "client": the peer under test.
    pub peer: &'static str,
}

impl Cause {
    /// What the peer did, as a sentence.
    pub fn what_happened(&self) -> String {
        capitalise(&self.symptom.describe(self.peer))
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.rule, self.symptom.describe(self.peer))
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// One case's diagnosis: its cause and the exchange, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnosis {
    /// The cause.
    pub cause: Cause,
    /// What a conformant peer does in this case.
    pub expected: Option<String>,
    /// What the peer did.
    pub actual: Option<String>,
    /// The frames (or octets) the suite sent after the opening handshake.
    pub sent: Option<String>,
    /// The frames (or octets) that came back.
    pub came_back: Option<String>,
}

impl Diagnosis {
    /// The diagnosis of case `id`.
    pub fn of(id: &CaseId, result: &CaseResult) -> Diagnosis {
        let detail = result.detail.as_deref();
        let peer = if detail.and_then(|d| d.is_server) == Some(true) {
            "client"
        } else {
            "server"
        };
        let cause = Cause {
            rule: rule_of(id, detail),
            symptom: symptom(result),
            peer,
        };
        match detail {
            Some(d) => Diagnosis {
                cause,
                expected: expected_exchange(d, peer),
                actual: actual_exchange(d, peer),
                sent: sent(d),
                came_back: came_back(d),
            },
            None => Diagnosis {
                cause,
                expected: None,
                actual: None,
                sent: None,
                came_back: None,
            },
        }
    }

    /// The lines a renderer shows: (label, text).
    pub fn lines(&self) -> Vec<(&'static str, String)> {
        [
            ("Expected", &self.expected),
            ("Actual", &self.actual),
            ("Sent", &self.sent),
            ("Came back", &self.came_back),
        ]
        .into_iter()
        .filter_map(|(label, text)| text.clone().map(|t| (label, t)))
        .collect()
    }
}

/// Failing cases that share a cause.
#[derive(Debug, Clone)]
pub struct CauseGroup<'a> {
    /// The cause.
    pub cause: Cause,
    /// The cases, in catalog order.
    pub cases: Vec<&'a ReportCase>,
}

/// Groups `cases` by cause: groups in the catalog order of their first case, cases in
/// the order given.
pub fn group_by_cause<'a>(cases: impl IntoIterator<Item = &'a ReportCase>) -> Vec<CauseGroup<'a>> {
    let mut groups: Vec<CauseGroup<'a>> = Vec::new();
    for case in cases {
        let cause = Diagnosis::of(&case.id, &case.result).cause;
        match groups.iter_mut().find(|g| g.cause == cause) {
            Some(group) => group.cases.push(case),
            None => groups.push(CauseGroup {
                cause,
                cases: vec![case],
            }),
        }
    }
    groups
}

/// Whether a case belongs in the groups by cause: not OK, and not one of the verdicts
/// that are listed by id only (UNIMPLEMENTED: not negotiated; INFORMATIONAL: the RFC
/// leaves the behaviour open).
pub fn needs_a_cause(case: &ReportCase) -> bool {
    !matches!(
        case.result.outcome(),
        Verdict::Ok | Verdict::Unimplemented | Verdict::Informational
    )
}

// ------------------------------------------------------------------------- symptoms

/// The reasons the suite gives when it fails a connection over what the peer sent: the
/// codec's errors (which cite the RFC) and the runner's own.
fn is_suite_rejection(reason: &str) -> bool {
    ["(RFC", "limit", "invalid close", "received ", "wsspec:"]
        .iter()
        .any(|marker| reason.contains(marker))
}

fn symptom(result: &CaseResult) -> Symptom {
    let Some(d) = result.detail.as_deref() else {
        return Symptom::Verdicts(format!(
            "{} / {} (no details were recorded)",
            result.behavior, result.behavior_close
        ));
    };
    if let Some(actual) = d.wsspec_actual() {
        return Symptom::Described(without_numbers(actual));
    }
    let was_open = d.result_close.as_deref()
        != Some("The WebSocket opening handshake was never completed!")
        && d.was_open_handshake_timeout != Some(true);
    if !was_open {
        let status = d
            .http_response
            .as_deref()
            .and_then(|r| r.lines().next())
            .filter(|l| !l.is_empty())
            .map(str::to_owned);
        return Symptom::HandshakeFailed(status);
    }
    let rows = d.wirelog.as_deref().unwrap_or_default();
    let kill_fired = rows.iter().any(|r| matches!(r, WireLogRow::KillFired));
    if d.failed_by_me == Some(true) {
        let reason = d.local_close_reason.as_deref().unwrap_or("");
        if d.local_close_code.is_some_and(|c| c != 1001) && is_suite_rejection(reason) {
            return Symptom::Rejected(without_numbers(reason));
        }
        if d.dropped_by_me == Some(true)
            && !kill_fired
            && d.was_close_handshake_timeout != Some(true)
            && d.was_server_connection_drop_timeout != Some(true)
        {
            return Symptom::RejectedWhileClosing;
        }
    }

    // The exchange, unless the events matched and the close decided the verdict.
    let received = d.received.as_ref().and_then(Value::as_array);
    let lists = d.expected.as_ref().and_then(Value::as_object);
    let matched = match (received, lists) {
        (Some(received), Some(lists)) => lists
            .values()
            .any(|l| l.as_array().is_some_and(|l| l == received)),
        _ => false,
    };
    let ok_list = lists.and_then(|l| l.get("OK")).and_then(Value::as_array);
    if !matched && !matches!(result.behavior, Verdict::Ok | Verdict::Informational) {
        match (received, ok_list) {
            (Some(received), Some(ok)) => {
                if ok.is_empty() && !received.is_empty() {
                    return Symptom::AnsweredInsteadOfFailing;
                }
                if received.len() < ok.len() && ok.starts_with(received) {
                    return Symptom::NoReply(missing_event(&ok[received.len()]));
                }
                return Symptom::WrongReply;
            }
            _ if !lists.is_some_and(|l| !l.is_empty()) => {
                if let Some(text) = d.result.as_deref().filter(|t| !t.is_empty()) {
                    return Symptom::CheckFailed(without_numbers(text));
                }
            }
            _ => {}
        }
    }
    if result.behavior == Verdict::NonStrict && result.behavior_close == Verdict::Ok {
        return Symptom::Lenient;
    }

    // How the connection ended.
    let expected_by_me = d
        .expected_close
        .as_ref()
        .and_then(|c| c.get("closedByMe"))
        .and_then(Value::as_bool);
    let wrong_endpoint = expected_by_me.is_some() && expected_by_me != d.closed_by_me;
    if wrong_endpoint {
        return if expected_by_me == Some(false) {
            Symptom::DidNotFail
        } else {
            Symptom::ClosedFirst
        };
    }
    match &result.behavior_close {
        Verdict::Unclean if d.was_close_handshake_timeout == Some(true) => Symptom::NoCloseReply,
        Verdict::Unclean
            if d.was_not_clean_reason
                .as_deref()
                .is_some_and(|r| r.contains("dropped the TCP")) =>
        {
            Symptom::DroppedTcp
        }
        Verdict::WrongCode => Symptom::WrongCloseCode {
            echoed: d.remote_close_code.is_some() && d.remote_close_code == d.local_close_code,
        },
        Verdict::FailedByClient => Symptom::KeptTcpOpen,
        _ if result.behavior == Verdict::NonStrict => Symptom::Lenient,
        _ => Symptom::Verdicts(format!(
            "{} / {}{}",
            result.behavior,
            result.behavior_close,
            d.result_close
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        )),
    }
}

/// What an expected event is, as the thing that did not come back.
fn missing_event(event: &Value) -> String {
    let items = event.as_array().map(Vec::as_slice).unwrap_or_default();
    match (
        items.first().and_then(Value::as_str),
        items.get(2).and_then(Value::as_bool),
    ) {
        (Some("message"), Some(true)) => "the echo of the binary message".to_owned(),
        (Some("message"), _) => "the echo of the text message".to_owned(),
        (Some("pong"), _) => "the pong".to_owned(),
        (Some(kind), _) => format!("the expected {kind}"),
        (None, _) => "the expected reply".to_owned(),
    }
}

/// `text` with its numbers (decimal or `0x` hex) replaced by `N` and byte offsets
/// dropped, except in a trailing RFC citation and in "64-bit"-style words: what cases
/// broken by the same bug say alike.
pub fn without_numbers(text: &str) -> String {
    let (body, citation) = match text.find(" (RFC") {
        Some(at) => text.split_at(at),
        None => (text, ""),
    };
    let body = body.replace(" at byte ", " at byte\u{0}");
    let mut out = String::with_capacity(body.len());
    let chars: Vec<char> = body.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            let start = i;
            if c == '0' && chars.get(i + 1) == Some(&'x') {
                i += 2;
                while i < chars.len() && chars[i].is_ascii_hexdigit() {
                    i += 1;
                }
            } else {
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let rest: String = chars[i..].iter().take(4).collect();
            // Part of a word: "SHA1", "UTF-8".
            let word_before = start > 0
                && (chars[start - 1].is_alphanumeric()
                    || (chars[start - 1] == '-' && start > 1 && chars[start - 2].is_alphabetic()));
            if rest == "-bit" || word_before {
                out.extend(&chars[start..i]);
            } else {
                out.push('N');
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    // "at byte N" says where in one message; the bug is the same at any offset.
    let out = out.replace(" at byte\u{0}N", "").replace('\u{0}', " ");
    format!("{out}{citation}")
}

// ------------------------------------------------------------------------- exchange

fn codes(codes: &[u64]) -> String {
    match codes {
        [] => "any code".to_owned(),
        [one] => one.to_string(),
        [init @ .., last] => format!(
            "{} or {last}",
            init.iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// What a conformant peer does, as a sentence.
fn expected_exchange(d: &CaseDetail, peer: &str) -> Option<String> {
    if let Some(s) = d.wsspec_expected() {
        return Some(s.to_owned());
    }
    let lists = d.expected.as_ref()?.as_object()?;
    let mut out = match lists.get("OK") {
        Some(ok) if ok.as_array().is_some_and(Vec::is_empty) => "nothing back".to_owned(),
        Some(ok) => format!("back: {}", events(ok)),
        None => return None,
    };
    if let Some(lenient) = lists.get("NON-STRICT") {
        out.push_str(&format!(" (accepted too: {})", events(lenient)));
    }
    let close = d.expected_close.as_ref().and_then(Value::as_object);
    if let Some(close) = close {
        let codes = codes(&d.expected_close_codes());
        match close.get("closedByMe").and_then(Value::as_bool) {
            Some(false) => out.push_str(&format!(
                "; the {peer} fails the connection (close {codes}, or just closing TCP)"
            )),
            Some(true) => {
                out.push_str(&format!(
                    "; then the suite closes and the {peer} answers the close ({codes} or no code)"
                ));
                if close.get("requireClean").and_then(Value::as_bool) == Some(true) {
                    out.push_str(" and closes TCP");
                }
            }
            _ => {}
        }
    }
    Some(capitalise(&out))
}

/// What the peer did, as a sentence: what came back and how the connection ended.
fn actual_exchange(d: &CaseDetail, peer: &str) -> Option<String> {
    if let Some(s) = d.wsspec_actual() {
        return Some(s.to_owned());
    }
    let mut parts: Vec<String> = Vec::new();
    if let Some(received) = d.received.as_ref() {
        parts.push(match received.as_array() {
            Some(list) if list.is_empty() => "nothing came back".to_owned(),
            _ => format!("back came: {}", events(received)),
        });
    }
    let reason = d.local_close_reason.as_deref().unwrap_or("");
    let kill_fired = d
        .wirelog
        .as_deref()
        .unwrap_or_default()
        .iter()
        .any(|r| matches!(r, WireLogRow::KillFired));
    if d.failed_by_me == Some(true) && is_suite_rejection(reason) {
        if let Some(code) = d.local_close_code {
            parts.push(format!(
                "the suite failed the connection with {code}: {reason}"
            ));
        }
    } else if d.failed_by_me == Some(true) && (reason == "Going Away" || kill_fired) {
        parts.push(
            "the suite's timer ran out and it closed the connection (1001 Going Away)".to_owned(),
        );
    } else if d.closed_by_me == Some(false) {
        parts.push(match d.remote_close_code {
            Some(code) => format!("the {peer} closed the connection with {code}"),
            None => format!("the {peer} closed the connection (a close frame without a code)"),
        });
    } else if d.closed_by_me == Some(true) && d.remote_close_code.is_some() {
        parts.push(format!(
            "the {peer} answered the suite's close with {}",
            d.remote_close_code.unwrap_or_default()
        ));
    }
    if d.was_close_handshake_timeout == Some(true) {
        parts.push(format!("the {peer} never answered the suite's close"));
    } else if d
        .was_not_clean_reason
        .as_deref()
        .is_some_and(|r| r.contains("dropped the TCP"))
    {
        parts.push(format!(
            "the {peer} dropped TCP without a closing handshake"
        ));
    } else if d.was_server_connection_drop_timeout == Some(true) {
        parts.push(format!(
            "the {peer} left TCP open after the closing handshake"
        ));
    } else if d.failed_by_me == Some(true)
        && d.dropped_by_me == Some(true)
        && !kill_fired
        && !is_suite_rejection(reason)
    {
        parts.push(format!(
            "the suite dropped TCP over the {peer}'s answer to its close"
        ));
    }
    (!parts.is_empty()).then(|| capitalise(&parts.join("; ")))
}

/// An opcode's name.
fn opcode_name(opcode: u8) -> String {
    match opcode {
        0 => "continuation".to_owned(),
        1 => "text".to_owned(),
        2 => "binary".to_owned(),
        8 => "close".to_owned(),
        9 => "ping".to_owned(),
        10 => "pong".to_owned(),
        other => format!("reserved opcode {other}"),
    }
}

/// The octets of a logged payload (wstest's `asciiLogData`: text, or `0x` and hex; a
/// trailing `" ..."` marks a cut).
fn logged_octets(payload: &str) -> Vec<u8> {
    let payload = payload.strip_suffix(" ...").unwrap_or(payload);
    match payload.strip_prefix("0x") {
        Some(hex) => hex_octets(hex),
        None => payload.as_bytes().to_vec(),
    }
}

fn hex_octets(hex: &str) -> Vec<u8> {
    hex.as_bytes()
        .chunks_exact(2)
        .map_while(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|s| u8::from_str_radix(s, 16).ok())
        })
        .collect()
}

/// A frame, in words: `text frame (FIN, 126 bytes, 16-bit length) "****…"`.
fn frame_text(opcode: u8, fin: bool, rsv: u8, len: u64, payload: &str) -> String {
    let mut flags: Vec<String> = Vec::new();
    if !fin {
        flags.push("not final".to_owned());
    }
    if rsv != 0 {
        flags.push(format!("RSV {rsv:03b}"));
    }
    flags.push(format!("{len} byte{}", if len == 1 { "" } else { "s" }));
    if len >= 126 {
        flags.push(
            if len <= 0xffff {
                "16-bit length"
            } else {
                "64-bit length"
            }
            .to_owned(),
        );
    }
    let mut out = format!("{} frame ({})", opcode_name(opcode), flags.join(", "));
    if opcode == 8 {
        let octets = logged_octets(payload);
        if octets.len() >= 2 {
            out.push_str(&format!(
                " code {}",
                u16::from_be_bytes([octets[0], octets[1]])
            ));
            if octets.len() > 2 {
                let reason = String::from_utf8_lossy(&octets[2..]).into_owned();
                out.push_str(&format!(" {:?}", clip(&reason, 30)));
            }
        } else if octets.len() == 1 {
            out.push_str(&format!(" payload 0x{:02x}", octets[0]));
        }
    } else if len > 0 {
        out.push_str(&format!(" {:?}", clip(payload, 40)));
    }
    out
}

/// A list of descriptions, the first few in full and the rest counted.
fn listed(items: Vec<String>) -> Option<String> {
    if items.is_empty() {
        return None;
    }
    // Runs of one item become "… ×N".
    let mut runs: Vec<(String, usize)> = Vec::new();
    for item in items {
        match runs.last_mut() {
            Some((last, n)) if *last == item => *n += 1,
            _ => runs.push((item, 1)),
        }
    }
    let total = runs.len();
    let mut shown: Vec<String> = runs
        .into_iter()
        .take(FRAMES_LISTED)
        .map(|(item, n)| if n > 1 { format!("{item} ×{n}") } else { item })
        .collect();
    if total > FRAMES_LISTED {
        shown.push(format!("… and {} more", total - FRAMES_LISTED));
    }
    Some(shown.join("; "))
}

/// Octets in hex, the first few: `81 7e 23 98 …`.
fn hex_preview(octets: &[u8], total: u64) -> String {
    let mut out: Vec<String> = octets
        .iter()
        .take(OCTETS_SHOWN)
        .map(|b| format!("{b:02x}"))
        .collect();
    if total > out.len() as u64 {
        out.push("…".to_owned());
    }
    out.join(" ")
}

/// The frame header at the start of `octets`, in words, if there is a whole one.
fn header_text(octets: &[u8]) -> Option<String> {
    let (&b0, &b1) = (octets.first()?, octets.get(1)?);
    let (len, ext) = match b1 & 0x7f {
        126 => (
            u64::from(u16::from_be_bytes([*octets.get(2)?, *octets.get(3)?])),
            "16-bit length ",
        ),
        127 => {
            let bytes: [u8; 8] = octets.get(2..10)?.try_into().ok()?;
            (u64::from_be_bytes(bytes), "64-bit length ")
        }
        n => (u64::from(n), ""),
    };
    let mut flags = vec![if b0 & 0x80 != 0 { "FIN" } else { "not final" }.to_owned()];
    if b0 & 0x70 != 0 {
        flags.push(format!("RSV {:03b}", (b0 >> 4) & 7));
    }
    if b1 & 0x80 != 0 {
        flags.push("masked".to_owned());
    }
    Some(format!(
        "a {} frame header ({}) announcing {ext}{len} payload bytes",
        opcode_name(b0 & 0x0f),
        flags.join(", ")
    ))
}

/// The frames the suite sent once the connection was open (its raw writes when it sent
/// no whole frames).
fn sent(d: &CaseDetail) -> Option<String> {
    let rows = d.wirelog.as_deref()?;
    let frames: Vec<String> = rows
        .iter()
        .filter_map(|row| match row {
            WireLogRow::TxFrame {
                len,
                payload,
                opcode,
                fin,
                rsv,
                payload_len,
                chopsize,
                ..
            } => {
                let mut text =
                    frame_text(*opcode, *fin, *rsv, payload_len.unwrap_or(*len), payload);
                if payload_len.is_some_and(|n| n != *len) {
                    text.push_str(" repeated");
                }
                if let Some(chop) = chopsize {
                    text.push_str(&format!(" in {chop}-byte TCP writes"));
                }
                Some(text)
            }
            _ => None,
        })
        .collect();
    if !frames.is_empty() {
        return listed(frames);
    }
    // Octets written after the handshake request (the first write).
    let writes: Vec<String> = rows
        .iter()
        .filter_map(|row| match row {
            WireLogRow::TxOctets { len, hex, .. } => Some(format!(
                "{len} bytes {}",
                hex_preview(&hex_octets(hex.strip_suffix(" ...").unwrap_or(hex)), *len)
            )),
            _ => None,
        })
        .skip(1)
        .collect();
    listed(writes)
}

/// The frames that came back, and the octets the suite rejected if it did.
fn came_back(d: &CaseDetail) -> Option<String> {
    let rows = d.wirelog.as_deref()?;
    // The first read is the handshake answer.
    let first_read = rows
        .iter()
        .position(|r| matches!(r, WireLogRow::RxOctets { .. }))?;
    let mut frames: Vec<String> = rows
        .iter()
        .filter_map(|row| match row {
            WireLogRow::RxFrame {
                len,
                payload,
                opcode,
                fin,
                rsv,
                masked,
                ..
            } => {
                let mut text = frame_text(*opcode, *fin, *rsv, *len, payload);
                if *masked {
                    text.push_str(" (masked)");
                }
                Some(text)
            }
            _ => None,
        })
        .collect();
    if let Some(rejected) = rejected_read(d, rows, first_read) {
        frames.push(rejected);
    }
    match listed(frames) {
        Some(list) => Some(list),
        None if rows.len() > first_read => Some("nothing".to_owned()),
        None => None,
    }
}

/// The read that held what the suite rejected, in hex, with its frame header decoded.
fn rejected_read(d: &CaseDetail, rows: &[WireLogRow], first_read: usize) -> Option<String> {
    if d.failed_by_me != Some(true) {
        return None;
    }
    let reason = d.local_close_reason.as_deref().unwrap_or("");
    let rejected_in_open =
        d.local_close_code.is_some_and(|c| c != 1001) && is_suite_rejection(reason);
    // Failing an open connection sends a close right after the read; failing a closing
    // one drops TCP after the last read.
    let end = if rejected_in_open {
        rows.iter()
            .rposition(|r| matches!(r, WireLogRow::TxFrame { opcode: 8, .. }))?
    } else if d.dropped_by_me == Some(true)
        && !rows.iter().any(|r| matches!(r, WireLogRow::KillFired))
        && d.was_close_handshake_timeout != Some(true)
        && d.was_server_connection_drop_timeout != Some(true)
    {
        rows.len()
    } else {
        return None;
    };
    let at = rows[..end]
        .iter()
        .rposition(|r| matches!(r, WireLogRow::RxOctets { .. }))?;
    if at <= first_read {
        return None;
    }
    let WireLogRow::RxOctets { len, hex } = &rows[at] else {
        return None;
    };
    let octets = hex_octets(hex.strip_suffix(" ...").unwrap_or(hex));
    // Frames completed from this read before the rejected one.
    let skip: u64 = rows[at..end]
        .iter()
        .filter_map(|r| match r {
            WireLogRow::RxFrame { len, masked, .. } => {
                let ext = match *len {
                    0..=125 => 0,
                    126..=0xffff => 2,
                    _ => 8,
                };
                Some(2 + ext + if *masked { 4 } else { 0 } + len)
            }
            _ => None,
        })
        .sum();
    let rest = usize::try_from(skip)
        .ok()
        .and_then(|s| octets.get(s..))
        .unwrap_or_default();
    let mut out = format!(
        "then {len} bytes the suite rejected: {}",
        hex_preview(&octets, *len)
    );
    if let Some(header) = header_text(rest) {
        let at = if skip > 0 {
            format!(" (from byte {skip}: {header})")
        } else {
            format!(" ({header})")
        };
        out.push_str(&at);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn detail(value: Value) -> CaseDetail {
        serde_json::from_value(value).unwrap()
    }

    fn result(behavior: &str, close: &str, detail: CaseDetail) -> CaseResult {
        CaseResult {
            detail: Some(Box::new(detail)),
            ..CaseResult::new(Verdict::parse(behavior), Verdict::parse(close))
        }
    }

    #[test]
    fn numbers_and_byte_offsets_are_left_out_but_not_the_citation() {
        assert_eq!(
            without_numbers("invalid UTF-8 at byte 11 of the text message (RFC 6455 §8.1)"),
            "invalid UTF-8 of the text message (RFC 6455 §8.1)"
        );
        assert_eq!(
            without_numbers("281477005059546-byte frame exceeds the 67108864-byte frame limit"),
            "N-byte frame exceeds the N-byte frame limit"
        );
        assert_eq!(
            without_numbers("64-bit payload length 0x8000000000000000 has its most significant bit set (RFC 6455 §5.2)"),
            "64-bit payload length N has its most significant bit set (RFC 6455 §5.2)"
        );
        assert_eq!(without_numbers("UTF-8 in case 6.4"), "UTF-8 in case N.N");
    }

    #[test]
    fn rules_follow_the_case_id() {
        let id = |s: &str| CaseId::from(s);
        assert_eq!(
            rule_of(&id("1.1.3"), None).to_string(),
            "Messages of 126 bytes or more (16- and 64-bit lengths) (RFC 6455 §5.2)"
        );
        assert_eq!(
            rule_of(&id("1.2.2"), None).text,
            "Messages of up to 125 bytes (7-bit length)"
        );
        assert_eq!(
            rule_of(&id("2.5"), None).rfc.as_deref(),
            Some("RFC 6455 §5.5")
        );
        let invalid = detail(json!({"expectedClose": {"closeCode": [1007], "closedByMe": false}}));
        let valid = detail(json!({"expectedClose": {"closeCode": [1000], "closedByMe": true}}));
        assert!(rule_of(&id("6.3.1"), Some(&invalid))
            .text
            .starts_with("Invalid UTF-8"));
        assert!(rule_of(&id("6.2.1"), Some(&valid))
            .text
            .starts_with("Valid UTF-8"));
        assert_eq!(
            rule_of(&id("104.1.5.3"), None).text,
            "A fragmented message is put back together — delivered one byte per TCP write"
        );
        assert_eq!(rule_of(&id("42.1"), None).text, "Section 42");
    }

    #[test]
    fn a_cited_rfc_section_wins_over_the_table() {
        let d = detail(json!({"wsspecRfc": "RFC 6455 §4.2.1 item 5"}));
        assert_eq!(
            rule_of(&CaseId::from("100.1.2"), Some(&d)).rfc.as_deref(),
            Some("RFC 6455 §4.2.1 item 5")
        );
    }

    #[test]
    fn a_frame_the_suite_rejected_is_shown_with_its_header_decoded() {
        // A naive server echoes a 126-byte message with a 7-bit length of 126, so its
        // payload's first two bytes are read as a 16-bit length.
        let d = detail(json!({
            "failedByMe": true, "droppedByMe": true, "closedByMe": true,
            "localCloseCode": 1007,
            "localCloseReason": "invalid UTF-8 at byte 3 of the text message (RFC 6455 §8.1)",
            "received": [], "expected": {"OK": [["message", "*", false]]},
            "expectedClose": {"closeCode": [1000], "closedByMe": true, "requireClean": true},
            "wirelog": [
                ["TO", [180, "474554"], false],
                ["RO", [129, "485454"]],
                ["TF", [1, "*"], 1, true, 0, "ccc623e6", 126, null, false],
                ["TO", [134, "81fe007e"], false],
                ["RO", [7, "890568656c6c6f"]],
                ["RF", [5, "hello"], 9, true, 0, false, null],
                ["RO", [128, "817e23982a2a09b2 ..."]],
                ["TF", [62, "0x03ef"], 8, true, 0, "11f1fef0", null, null, false],
                ["RO", [2, "8800"]]
            ]
        }));
        let r = result("FAILED", "UNCLEAN", d);
        let diagnosis = Diagnosis::of(&CaseId::from("1.1.3"), &r);
        assert_eq!(
            diagnosis.cause.symptom,
            Symptom::Rejected("invalid UTF-8 of the text message (RFC 6455 §8.1)".to_owned())
        );
        assert_eq!(
            diagnosis.sent.as_deref(),
            Some("text frame (126 bytes, 16-bit length) \"*\" repeated; close frame (62 bytes) code 1007")
        );
        assert_eq!(
            diagnosis.came_back.as_deref(),
            Some("ping frame (5 bytes) \"hello\"; then 128 bytes the suite rejected: 81 7e 23 98 2a 2a 09 b2 … (a text frame header (FIN) announcing 16-bit length 9112 payload bytes)")
        );
        let actual = diagnosis.actual.unwrap();
        assert!(
            actual.starts_with("Nothing came back; the suite failed the connection with 1007"),
            "{actual}"
        );
    }

    #[test]
    fn a_rejected_close_answer_is_found_after_the_suites_close() {
        // 7.3.2: the suite closes with a 1-byte payload, the server echoes it.
        let d = detail(json!({
            "failedByMe": true, "droppedByMe": true, "closedByMe": true,
            "localCloseCode": null, "localCloseReason": "a",
            "received": [], "expected": {"OK": []},
            "expectedClose": {"closeCode": [1002], "closedByMe": true, "requireClean": false},
            "wirelog": [
                ["TO", [180, "474554"], false],
                ["RO", [129, "485454"]],
                ["TF", [1, "a"], 8, true, 0, "e9124820", null, null, false],
                ["TO", [7, "8881e912482088"], false],
                ["KL", 1],
                ["RO", [3, "880161"]]
            ]
        }));
        let r = result("OK", "FAILED BY CLIENT", d);
        let diagnosis = Diagnosis::of(&CaseId::from("7.3.2"), &r);
        assert_eq!(diagnosis.cause.symptom, Symptom::RejectedWhileClosing);
        assert_eq!(
            diagnosis.came_back.as_deref(),
            Some("then 3 bytes the suite rejected: 88 01 61 (a close frame header (FIN) announcing 1 payload bytes)")
        );
        assert_eq!(
            diagnosis.sent.as_deref(),
            Some("close frame (1 byte) payload 0x61")
        );
    }

    #[test]
    fn a_missing_pong_is_named() {
        let d = detail(json!({
            "received": [], "expected": {"OK": [["pong", ""]]},
            "expectedClose": {"closeCode": [1000], "closedByMe": true, "requireClean": true},
            "closedByMe": true, "failedByMe": false
        }));
        let r = result("FAILED", "OK", d);
        let diagnosis = Diagnosis::of(&CaseId::from("2.1"), &r);
        assert_eq!(
            diagnosis.cause.symptom,
            Symptom::NoReply("the pong".to_owned())
        );
        assert_eq!(diagnosis.cause.what_happened(), "The pong never came back");
        assert_eq!(
            diagnosis.expected.as_deref(),
            Some("Back: pong \"\"; then the suite closes and the server answers the close (1000 or no code) and closes TCP")
        );
    }

    #[test]
    fn a_peer_that_should_have_failed_but_answered() {
        let d = detail(json!({
            "received": [["message", "Hello, world!", false]], "expected": {"OK": []},
            "expectedClose": {"closeCode": [1002], "closedByMe": false, "requireClean": false},
            "closedByMe": true, "failedByMe": true, "localCloseCode": 1001,
            "localCloseReason": "Going Away", "wirelog": [["KL", 1], ["KLE"]]
        }));
        let r = result("FAILED", "FAILED", d);
        let diagnosis = Diagnosis::of(&CaseId::from("3.1"), &r);
        assert_eq!(diagnosis.cause.symptom, Symptom::AnsweredInsteadOfFailing);
        assert_eq!(
            diagnosis.actual.as_deref(),
            Some("Back came: text message \"Hello, world!\"; the suite's timer ran out and it closed the connection (1001 Going Away)")
        );
    }

    #[test]
    fn close_verdicts_name_what_the_peer_did() {
        let ending = |behavior_close: &str, extra: Value| {
            let mut value = json!({
                "received": [], "expected": {"OK": []},
                "expectedClose": {"closeCode": [1002], "closedByMe": true, "requireClean": false},
                "closedByMe": true, "failedByMe": false
            });
            for (k, v) in extra.as_object().unwrap() {
                value[k] = v.clone();
            }
            let behavior = if behavior_close == "WRONG CODE" {
                "FAILED"
            } else {
                "OK"
            };
            symptom(&result(behavior, behavior_close, detail(value)))
        };
        assert_eq!(
            ending(
                "WRONG CODE",
                json!({"localCloseCode": 1005, "remoteCloseCode": 1005})
            ),
            Symptom::WrongCloseCode { echoed: true }
        );
        assert_eq!(
            ending(
                "WRONG CODE",
                json!({"localCloseCode": 1000, "remoteCloseCode": 1001})
            ),
            Symptom::WrongCloseCode { echoed: false }
        );
        assert_eq!(
            ending("UNCLEAN", json!({"wasCloseHandshakeTimeout": true})),
            Symptom::NoCloseReply
        );
        assert_eq!(
            ending("FAILED", json!({"closedByMe": false})),
            Symptom::ClosedFirst
        );
        assert_eq!(
            ending("FAILED BY CLIENT", json!({"droppedByMe": true})),
            Symptom::KeptTcpOpen
        );
    }

    #[test]
    fn a_refused_handshake_quotes_the_status_line() {
        let d = detail(json!({
            "resultClose": "The WebSocket opening handshake was never completed!",
            "httpResponse": "HTTP/1.1 400 Bad Request\r\n\r\n"
        }));
        let r = result("FAILED", "FAILED", d);
        assert_eq!(
            symptom(&r),
            Symptom::HandshakeFailed(Some("HTTP/1.1 400 Bad Request".to_owned()))
        );
    }

    #[test]
    fn cases_with_one_cause_are_grouped_in_catalog_order() {
        let case = |id: &str, pong: bool| {
            let expected = if pong {
                json!({"OK": [["pong", ""]]})
            } else {
                json!({"OK": [["message", "x", false]]})
            };
            ReportCase {
                id: CaseId::from(id),
                result: result(
                    "FAILED",
                    "OK",
                    detail(
                        json!({"received": [], "expected": expected, "closedByMe": true,
                        "expectedClose": {"closeCode": [1000], "closedByMe": true}}),
                    ),
                ),
                passes: false,
            }
        };
        let cases = [
            case("1.1.3", false),
            case("1.1.4", false),
            case("2.1", true),
            case("1.2.5", false),
        ];
        let groups = group_by_cause(&cases);
        let ids: Vec<Vec<&str>> = groups
            .iter()
            .map(|g| g.cases.iter().map(|c| c.id.as_str()).collect())
            .collect();
        assert_eq!(ids, [vec!["1.1.3", "1.1.4", "1.2.5"], vec!["2.1"]]);
        assert_eq!(
            groups[0].cause.to_string(),
            "Messages of 126 bytes or more (16- and 64-bit lengths) (RFC 6455 §5.2): the echo of the text message never came back"
        );
    }
}
