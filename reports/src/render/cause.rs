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

use super::exchange::{self, capitalise, Rejection};
use crate::case_id::{section_title, CaseId};
use crate::detail::CaseDetail;
use crate::model::CaseResult;
use crate::summary::ReportCase;
use crate::verdict::Verdict;

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
        [102, 2, ..] => (
            "A close reason that is not UTF-8 fails the connection",
            Some(CLOSE),
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
    /// An echo came back cut short: the start of the message only (its first fragment,
    /// or what arrived in the first read).
    EchoCutShort,
    /// The expected reply came, and more after it.
    MoreThanExpected,
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
        /// The codes the case allows ("1002 or 1007").
        allowed: String,
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
            Symptom::EchoCutShort => {
                "the echo came back cut short: only the start of the message".to_owned()
            }
            Symptom::MoreThanExpected => {
                format!("the {peer} sent the expected reply and more after it")
            }
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
            Symptom::WrongCloseCode {
                echoed: true,
                allowed,
            } => format!(
                "the {peer} echoed the suite's close code instead of answering with {allowed} (or no code)"
            ),
            Symptom::WrongCloseCode {
                echoed: false,
                allowed,
            } => format!("the {peer} closed with a code other than {allowed} (or no code)"),
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
        let peer = detail.map_or("server", exchange::peer);
        let cause = Cause {
            rule: rule_of(id, detail),
            symptom: symptom(result),
            peer,
        };
        match detail {
            Some(d) => Diagnosis {
                cause,
                expected: exchange::expected(d, peer),
                actual: exchange::actual(d, peer, true),
                sent: exchange::sent(d),
                came_back: exchange::came_back(d),
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
}

/// Cases shown in full under each cause in terminal text and Markdown; the others are
/// listed by id (the HTML report shows every case).
pub const EXAMPLES_PER_CAUSE: usize = 3;

/// Failing cases that share a cause.
#[derive(Debug, Clone)]
pub struct CauseGroup<'a> {
    /// The cause.
    pub cause: Cause,
    /// The cases, in catalog order.
    pub cases: Vec<&'a ReportCase>,
}

/// Groups `cases` by cause. Causes of one rule come together, the rules in the order
/// of their first case and the causes of a rule in the order of theirs; cases stay in
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
    let rules: Vec<Rule> = groups.iter().map(|g| g.cause.rule.clone()).collect();
    groups.sort_by_key(|g| rules.iter().position(|r| *r == g.cause.rule));
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

fn symptom(result: &CaseResult) -> Symptom {
    let Some(d) = result.detail.as_deref() else {
        return Symptom::Verdicts(format!(
            "{} / {} (no details were recorded)",
            result.behavior, result.behavior_close
        ));
    };
    // wsspec's handshake and hixie-76 cases run executors of their own and say what
    // the peer did; its fuzzer-run cases are read like Autobahn's.
    if let Some(actual) = d.wsspec_actual().filter(|_| !exchange::has_event_lists(d)) {
        return Symptom::Described(actual.to_owned());
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
    let rejection = exchange::rejection(d);
    if let Some(Rejection::InOpen { reason, .. }) = &rejection {
        return Symptom::Rejected(without_numbers(reason));
    }
    // Sections 9, 12 and 13 judge the peer as they go, and say why.
    let lists = d
        .expected
        .as_ref()
        .and_then(Value::as_object)
        .filter(|l| !l.is_empty());
    if lists.is_none() && !matches!(result.behavior, Verdict::Ok | Verdict::Informational) {
        // wstest's "did not receive … in time" is preset; a peer that closed first is
        // the better story.
        if d.closed_by_me == Some(false) {
            return Symptom::ClosedFirst;
        }
        if let Some(text) = d.result.as_deref().filter(|t| !t.is_empty()) {
            return Symptom::CheckFailed(without_numbers(text));
        }
    }

    // The exchange, unless the events matched and the close decided the verdict.
    let received = d.received.as_ref().and_then(Value::as_array);
    let matched = match (received, lists) {
        (Some(received), Some(lists)) => lists
            .values()
            .any(|l| l.as_array().is_some_and(|l| l == received)),
        _ => false,
    };
    let ok_list = lists.and_then(|l| l.get("OK")).and_then(Value::as_array);
    if !matched && !matches!(result.behavior, Verdict::Ok | Verdict::Informational) {
        if let (Some(received), Some(ok)) = (received, ok_list) {
            if ok.is_empty() && !received.is_empty() {
                return Symptom::AnsweredInsteadOfFailing;
            }
            if received.len() < ok.len() && ok.starts_with(received) {
                return Symptom::NoReply(missing_event(&ok[received.len()]));
            }
            if received.len() > ok.len() && received.starts_with(ok) {
                return Symptom::MoreThanExpected;
            }
            if cut_short(received, ok) {
                return Symptom::EchoCutShort;
            }
            return Symptom::WrongReply;
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
        Verdict::Unclean
            if d.was_not_clean_reason
                .as_deref()
                .is_some_and(|r| r.contains("dropped the TCP")) =>
        {
            Symptom::DroppedTcp
        }
        Verdict::Unclean
            if d.was_close_handshake_timeout == Some(true)
                || (exchange::kill_fired(d) && exchange::no_close_received(d)) =>
        {
            Symptom::NoCloseReply
        }
        Verdict::WrongCode => Symptom::WrongCloseCode {
            echoed: d.remote_close_code.is_some() && d.remote_close_code == d.local_close_code,
            allowed: exchange::codes(&d.expected_close_codes()),
        },
        _ if rejection == Some(Rejection::WhileClosing) => Symptom::RejectedWhileClosing,
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

/// Whether `received` is `expected` with one message cut short (the same events, the
/// message of the same kind, its payload a proper prefix of the expected one).
fn cut_short(received: &[Value], expected: &[Value]) -> bool {
    // Logged payloads end in " ..." when cut for the log.
    let payload = |e: &Value| {
        e.get(1)
            .and_then(Value::as_str)
            .map(|p| p.strip_suffix(" ...").unwrap_or(p).to_owned())
    };
    received.len() == expected.len()
        && received.iter().zip(expected).any(|(r, e)| {
            r.get(0) == e.get(0)
                && r.get(2) == e.get(2)
                && r.get(0).and_then(Value::as_str) == Some("message")
                && matches!((payload(r), payload(e)), (Some(r), Some(e)) if r.len() < e.len() && e.starts_with(&r))
        })
        && received
            .iter()
            .zip(expected)
            .filter(|(r, e)| r != e)
            .count()
            == 1
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
    // "at byte N of the message" says where in one message; the bug is the same at any.
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
    let out = out
        .replace(" at byte\u{0}N of the ", " in the ")
        .replace('\u{0}', " ");
    format!("{out}{citation}")
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
            "invalid UTF-8 in the text message (RFC 6455 §8.1)"
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
            Some("The server sends back pong \"\"; then the suite closes and the server answers the close (1000 or no code) and closes TCP")
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
            Some("The server sent back text message \"Hello, world!\"; the suite's timer ran out and it closed the connection (1001 Going Away)")
        );
    }

    #[test]
    fn a_fragmented_message_echoed_as_its_first_fragment_is_cut_short() {
        let d = detail(json!({
            "received": [["message", "fragment1", false]],
            "expected": {"OK": [["message", "fragment1fragment2", false]]},
            "expectedClose": {"closeCode": [1000], "closedByMe": true, "requireClean": true},
            "closedByMe": true
        }));
        assert_eq!(symptom(&result("FAILED", "OK", d)), Symptom::EchoCutShort);
        let d = detail(json!({
            "received": [["message", "x", false], ["message", "x", false]],
            "expected": {"OK": [["message", "x", false]]},
            "closedByMe": true
        }));
        assert_eq!(
            symptom(&result("FAILED", "OK", d)),
            Symptom::MoreThanExpected
        );
        let d = detail(json!({
            "received": [["message", "y", false]],
            "expected": {"OK": [["message", "x", false]]},
            "closedByMe": true
        }));
        assert_eq!(symptom(&result("FAILED", "OK", d)), Symptom::WrongReply);
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
            Symptom::WrongCloseCode {
                echoed: true,
                allowed: "1002".to_owned()
            }
        );
        assert_eq!(
            ending(
                "WRONG CODE",
                json!({"localCloseCode": 1000, "remoteCloseCode": 1001})
            ),
            Symptom::WrongCloseCode {
                echoed: false,
                allowed: "1002".to_owned()
            }
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
    fn cases_with_one_cause_are_grouped_and_causes_of_one_rule_kept_together() {
        let case = |id: &str, expected: Value, received: Value| ReportCase {
            id: CaseId::from(id),
            result: result(
                "FAILED",
                "OK",
                detail(json!({"received": received, "expected": {"OK": expected},
                    "closedByMe": true,
                    "expectedClose": {"closeCode": [1000], "closedByMe": true}})),
            ),
            passes: false,
        };
        let echo = || json!([["message", "x", false]]);
        let pong = || json!([["pong", "x"]]);
        let cases = [
            case("1.1.3", echo(), json!([])),
            case("1.1.4", echo(), json!([])),
            case("1.2.5", echo(), json!([])),
            case("2.1", pong(), json!([])),
            case("2.5", json!([]), json!([["pong", "x"]])),
            case("2.6", pong(), json!([["pong", "y"]])),
        ];
        let groups = group_by_cause(&cases);
        let ids: Vec<Vec<&str>> = groups
            .iter()
            .map(|g| g.cases.iter().map(|c| c.id.as_str()).collect())
            .collect();
        // 2.5's rule (control frames carry at most 125 bytes) is not 2.1's and 2.6's.
        assert_eq!(
            ids,
            [
                vec!["1.1.3", "1.1.4", "1.2.5"],
                vec!["2.1"],
                vec!["2.6"],
                vec!["2.5"]
            ]
        );
        assert_eq!(
            groups[0].cause.to_string(),
            "Messages of 126 bytes or more (16- and 64-bit lengths) (RFC 6455 §5.2): the echo of the text message never came back"
        );
        assert_eq!(groups[2].cause.symptom, Symptom::WrongReply);
        assert_eq!(groups[3].cause.symptom, Symptom::AnsweredInsteadOfFailing);
    }
}
