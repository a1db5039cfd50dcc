//! A case's exchange in words, from its per-case record: what a conformant peer does,
//! what this peer did, the frames the suite sent and what came back — including, when
//! the suite rejected what the peer sent, the octets it rejected with their frame header
//! decoded, so a wrong length or opcode is visible without reading the wire log.

use serde_json::Value;

use super::util::{clip, event_clipped, plain};
use crate::detail::{CaseDetail, WireLogRow};

/// Frames listed in a "Sent" or "Came back" line before the rest are counted.
const FRAMES_LISTED: usize = 6;

/// Octets of a rejected read shown in hex.
const OCTETS_SHOWN: usize = 12;

/// How the suite came to end the connection over what the peer sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// It failed the open connection with a close frame: the code and its reason (the
    /// codec's error, which names the rule the peer broke).
    InOpen {
        /// The close code the suite sent.
        code: u16,
        /// Why.
        reason: String,
    },
    /// It had sent its close already, and dropped TCP over the peer's answer.
    WhileClosing,
}

/// Words of the reasons a suite gives when it fails a connection over what the peer
/// sent: wsspec's codec errors cite the RFC, wstest's name what it was processing.
fn is_suite_rejection(reason: &str) -> bool {
    [
        "(RFC",
        "limit",
        "invalid",
        "received",
        "wsspec:",
        "encountered",
        "reserved",
        "RSV",
        "fragmented",
        "payload",
    ]
    .iter()
    .any(|marker| reason.contains(marker))
}

fn rows(d: &CaseDetail) -> &[WireLogRow] {
    d.wirelog.as_deref().unwrap_or_default()
}

/// The suite's kill timer fired (it then closes with 1001, or drops TCP if closing).
pub(crate) fn kill_fired(d: &CaseDetail) -> bool {
    rows(d).iter().any(|r| matches!(r, WireLogRow::KillFired))
}

/// Whether, and how, the suite ended the connection over what the peer sent.
///
/// A failed open connection gets a close frame with a code (not 1001, which the
/// suite's timers send) and a reason, written in reaction to a read — where the wire
/// log has it; a case's own close step is written after the handshake answer or a
/// step, not after a read of the peer's frames.
pub(crate) fn rejection(d: &CaseDetail) -> Option<Rejection> {
    if d.failed_by_me != Some(true) {
        return None;
    }
    let reason = d.local_close_reason.as_deref().unwrap_or("");
    if let Some(code) = d.local_close_code.filter(|c| *c != 1001) {
        let rows = rows(d);
        let first_read = rows
            .iter()
            .position(|r| matches!(r, WireLogRow::RxOctets { .. }));
        let close = rows
            .iter()
            .rposition(|r| matches!(r, WireLogRow::TxFrame { opcode: 8, .. }));
        let after_a_read = match (first_read, close) {
            (Some(first), Some(close)) => rows[..close]
                .iter()
                .rposition(|r| {
                    !matches!(
                        r,
                        WireLogRow::TxOctets { .. } | WireLogRow::TxFrame { opcode: 10, .. }
                    )
                })
                .is_some_and(|at| {
                    at > first
                        && matches!(
                            rows[at],
                            WireLogRow::RxOctets { .. } | WireLogRow::RxFrame { .. }
                        )
                }),
            // No wire log (or logging was off): the reason must say.
            _ => is_suite_rejection(reason),
        };
        if !reason.is_empty() && after_a_read {
            return Some(Rejection::InOpen {
                code,
                reason: reason.to_owned(),
            });
        }
    }
    // Failing a closing connection drops TCP and records no reason; the timers that
    // also drop it are flagged.
    (d.dropped_by_me == Some(true)
        && !kill_fired(d)
        && d.was_close_handshake_timeout != Some(true)
        && d.was_server_connection_drop_timeout != Some(true))
    .then_some(Rejection::WhileClosing)
}

/// The peer's close frame never came.
pub(crate) fn no_close_received(d: &CaseDetail) -> bool {
    d.remote_close_code.is_none()
        && !rows(d)
            .iter()
            .any(|r| matches!(r, WireLogRow::RxFrame { opcode: 8, .. }))
}

pub(crate) fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub(crate) fn codes(codes: &[u64]) -> String {
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

/// An event list split into what the peer sent and the waits after which the
/// connection was still open (the `("timeout", tag)` events of 6.4.x).
fn exchange_events(list: &Value) -> (String, Vec<String>) {
    let items = list.as_array().map(Vec::as_slice).unwrap_or_default();
    let mut sent = Vec::new();
    let mut waits = Vec::new();
    for item in items {
        let kind = item.get(0).and_then(Value::as_str);
        match (kind, item.get(1).and_then(Value::as_str)) {
            (Some("timeout"), Some(tag)) => waits.push(tag.to_owned()),
            _ => sent.push(item),
        }
    }
    let shown: Vec<String> = sent.iter().take(12).map(|e| event_clipped(e, 40)).collect();
    let mut text = shown.join(", ");
    if sent.len() > shown.len() {
        text.push_str(&format!(", … ({} more)", sent.len() - shown.len()));
    }
    (text, waits)
}

/// "still open after wait A and B".
fn open_after(waits: &[String]) -> String {
    let waits = match waits {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    format!("still open after wait {waits}")
}

/// An expected event list in words, without its subject.
fn expected_events(list: &Value) -> String {
    let (sent, waits) = exchange_events(list);
    let mut out = if sent.is_empty() {
        "sends nothing back".to_owned()
    } else {
        format!("sends back {sent}")
    };
    if !waits.is_empty() {
        out.push_str(&format!(", the connection {}", open_after(&waits)));
    }
    out
}

/// What a conformant peer does, as a sentence.
pub(crate) fn expected(d: &CaseDetail, peer: &str) -> Option<String> {
    if let Some(s) = d.wsspec_expected() {
        return Some(s.to_owned());
    }
    let Some(lists) = d
        .expected
        .as_ref()
        .and_then(Value::as_object)
        .filter(|l| !l.is_empty())
    else {
        // Sections 9, 12 and 13 judge as they go; their expectation says what they want.
        return d
            .expectation
            .as_deref()
            .map(plain)
            .filter(|s| !s.is_empty());
    };
    let ok = lists.get("OK")?;
    let mut out = format!("the {peer} {}", expected_events(ok));
    if let Some(lenient) = lists.get("NON-STRICT") {
        out.push_str(&format!(" (or, leniently, {})", expected_events(lenient)));
    }
    if let Some(close) = d.expected_close.as_ref().and_then(Value::as_object) {
        let codes = codes(&d.expected_close_codes());
        match close.get("closedByMe").and_then(Value::as_bool) {
            Some(false) => out.push_str(&format!(
                " and fails the connection (close {codes}, or just closing TCP)"
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

/// Whether the case lists the events it expects (Autobahn's cases and wsspec's
/// fuzzer-run ones; not the handshake or hixie-76 cases, nor sections 9, 12, 13).
pub(crate) fn has_event_lists(d: &CaseDetail) -> bool {
    d.expected
        .as_ref()
        .and_then(Value::as_object)
        .is_some_and(|l| !l.is_empty())
}

/// What the peer did, as a sentence: what came back and how the connection ended.
///
/// `why`: whether to say why the suite failed the connection (the codec's error); a
/// listing under the case's cause leaves it out, as the cause says it.
pub(crate) fn actual(d: &CaseDetail, peer: &str, why: bool) -> Option<String> {
    if let Some(s) = d.wsspec_actual() {
        return Some(s.to_owned());
    }
    let mut parts: Vec<String> = Vec::new();
    if let Some(received) = d.received.as_ref() {
        let (sent, waits) = exchange_events(received);
        parts.push(if sent.is_empty() {
            "nothing came back".to_owned()
        } else {
            format!("the {peer} sent back {sent}")
        });
        if !waits.is_empty() {
            parts.push(format!("the connection was {}", open_after(&waits)));
        }
    }
    let rejection = rejection(d);
    let going_away =
        d.local_close_code == Some(1001) && d.local_close_reason.as_deref() == Some("Going Away");
    match &rejection {
        Some(Rejection::InOpen { code, reason }) if why => parts.push(format!(
            "the suite failed the connection with {code}: {reason}"
        )),
        Some(Rejection::InOpen { code, .. }) => {
            parts.push(format!("the suite failed the connection with {code}"))
        }
        _ if d.failed_by_me == Some(true) && going_away => parts.push(
            "the suite's timer ran out and it closed the connection (1001 Going Away)".to_owned(),
        ),
        _ if d.closed_by_me == Some(false) => parts.push(match d.remote_close_code {
            Some(code) => format!("the {peer} closed the connection with {code}"),
            None => format!("the {peer} closed the connection (a close frame without a code)"),
        }),
        _ => {
            if let (Some(true), Some(code)) = (d.closed_by_me, d.remote_close_code) {
                parts.push(format!("the {peer} answered the suite's close with {code}"));
            }
        }
    }
    if d.was_close_handshake_timeout == Some(true)
        || (kill_fired(d) && !going_away && no_close_received(d))
    {
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
    } else if rejection == Some(Rejection::WhileClosing) {
        parts.push(format!(
            "the suite dropped TCP over the {peer}'s answer to its close"
        ));
    }
    (!parts.is_empty()).then(|| capitalise(&parts.join("; ")))
}

/// The exchange as (label, text) lines: Expected, Actual, Sent, Came back.
///
/// `why` as for [`actual`].
pub(crate) fn lines(d: &CaseDetail, why: bool) -> Vec<(&'static str, String)> {
    let peer = peer(d);
    [
        ("Expected", expected(d, peer)),
        ("Actual", actual(d, peer, why)),
        ("Sent", sent(d)),
        ("Came back", came_back(d)),
    ]
    .into_iter()
    .filter_map(|(label, text)| text.map(|t| (label, t)))
    .collect()
}

/// The peer under test: a client when the suite played the server.
pub(crate) fn peer(d: &CaseDetail) -> &'static str {
    if d.is_server == Some(true) {
        "client"
    } else {
        "server"
    }
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
        other => format!("reserved-opcode-{other}"),
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
    let hex = hex.strip_suffix(" ...").unwrap_or(hex);
    hex.as_bytes()
        .chunks_exact(2)
        .map_while(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|s| u8::from_str_radix(s, 16).ok())
        })
        .collect()
}

fn plural(n: u64, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// A frame, in words: `text frame (126 bytes, 16-bit length) "****…"`.
fn frame_text(opcode: u8, fin: bool, rsv: u8, len: u64, payload: &str) -> String {
    let mut flags: Vec<String> = Vec::new();
    if !fin {
        flags.push("not final".to_owned());
    }
    if rsv != 0 {
        flags.push(format!("RSV {rsv:03b}"));
    }
    flags.push(plural(len, "byte"));
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
        match logged_octets(payload).as_slice() {
            [] => {}
            [one] => out.push_str(&format!(" payload 0x{one:02x}")),
            [hi, lo, reason @ ..] => {
                out.push_str(&format!(" code {}", u16::from_be_bytes([*hi, *lo])));
                match std::str::from_utf8(reason) {
                    Ok("") => {}
                    Ok(text) => out.push_str(&format!(" {:?}", clip(text, 30))),
                    Err(_) => out.push_str(&format!(
                        " and a reason that is not UTF-8 ({})",
                        hex_preview(reason, reason.len() as u64)
                    )),
                }
            }
        }
    } else if !payload.is_empty() {
        out.push_str(&format!(" {:?}", clip(payload, 40)));
    }
    out
}

/// A list of descriptions, runs of one item as "… ×N", the first few in full and the
/// rest counted.
fn listed(items: Vec<String>) -> Option<String> {
    if items.is_empty() {
        return None;
    }
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

/// A frame header read from raw octets.
struct Header {
    fin: bool,
    rsv: u8,
    opcode: u8,
    masked: bool,
    len: u64,
    /// "a 16-bit length of " or "a 64-bit length of " or "".
    how: &'static str,
}

/// The frame header at the start of `octets`, if a whole one is there.
fn parse_header(octets: &[u8]) -> Option<Header> {
    let (&b0, &b1) = (octets.first()?, octets.get(1)?);
    let (len, how) = match b1 & 0x7f {
        126 => (
            u64::from(u16::from_be_bytes([*octets.get(2)?, *octets.get(3)?])),
            "a 16-bit length of ",
        ),
        127 => {
            let bytes: [u8; 8] = octets.get(2..10)?.try_into().ok()?;
            (u64::from_be_bytes(bytes), "a 64-bit length of ")
        }
        n => (u64::from(n), ""),
    };
    Some(Header {
        fin: b0 & 0x80 != 0,
        rsv: (b0 >> 4) & 7,
        opcode: b0 & 0x0f,
        masked: b1 & 0x80 != 0,
        len,
        how,
    })
}

/// A frame header, in words.
fn header_text(h: &Header) -> String {
    let mut flags = vec![if h.fin { "FIN" } else { "not final" }.to_owned()];
    if h.rsv != 0 {
        flags.push(format!("RSV {:03b}", h.rsv));
    }
    if h.masked {
        flags.push("masked".to_owned());
    }
    format!(
        "read as a {} frame header ({}) announcing {}{}",
        opcode_name(h.opcode),
        flags.join(", "),
        h.how,
        plural(h.len, "byte")
    )
}

/// The previous row that is neither a write (writes follow the frame they carry) nor
/// a pong (the suite answers pings as they come, between anything else).
fn before(rows: &[WireLogRow], at: usize) -> Option<&WireLogRow> {
    rows[..at].iter().rev().find(|r| {
        !matches!(
            r,
            WireLogRow::TxOctets { .. } | WireLogRow::TxFrame { opcode: 10, .. }
        )
    })
}

/// Frames the suite sends in reply, not as the case's steps: a pong to the peer's ping,
/// a close in answer to a message, a close, a timer, or a rejection.
fn is_reply(rows: &[WireLogRow], at: usize) -> bool {
    let WireLogRow::TxFrame { opcode, .. } = &rows[at] else {
        return false;
    };
    match (opcode, before(rows, at)) {
        (10, Some(WireLogRow::RxFrame { opcode: 9, .. })) => true,
        (
            8,
            Some(
                WireLogRow::RxFrame { .. }
                | WireLogRow::RxOctets { .. }
                | WireLogRow::KillFired
                | WireLogRow::CloseFired,
            ),
        ) => at > 2,
        _ => false,
    }
}

/// The frames the suite sent once the connection was open, leaving out its replies
/// (those are in [`actual`]); its raw writes when it sent no frames.
pub(crate) fn sent(d: &CaseDetail) -> Option<String> {
    let rows = d.wirelog.as_deref()?;
    let frames: Vec<String> = rows
        .iter()
        .enumerate()
        .filter(|(at, _)| !is_reply(rows, *at))
        .filter_map(|(_, row)| match row {
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
                let total = payload_len.unwrap_or(*len);
                let mut text = frame_text(*opcode, *fin, *rsv, total, payload);
                if *len == 0 && total > 0 {
                    text.push_str(", its payload in the writes that follow");
                } else if total != *len {
                    text.push_str(" repeated");
                }
                if let Some(chop) = chopsize {
                    text.push_str(&format!(" in {chop}-byte TCP writes"));
                }
                Some(text)
            }
            WireLogRow::ContinueLater { delay, .. } => Some(format!("wait {delay} s")),
            _ => None,
        })
        .collect();
    if frames.iter().any(|f| !f.starts_with("wait ")) {
        return listed(frames);
    }
    // Octets written after the handshake request (the first write).
    let writes: Vec<String> = rows
        .iter()
        .filter_map(|row| match row {
            WireLogRow::TxOctets { len, hex, .. } => Some(format!(
                "{} {}",
                plural(*len, "byte"),
                hex_preview(&hex_octets(hex), *len)
            )),
            _ => None,
        })
        .skip(1)
        .collect();
    listed(writes)
}

/// The frames that came back, and the octets the suite rejected if it did.
pub(crate) fn came_back(d: &CaseDetail) -> Option<String> {
    let rows = d.wirelog.as_deref()?;
    // The first read is the handshake answer.
    let first_read = rows
        .iter()
        .position(|r| matches!(r, WireLogRow::RxOctets { .. }))?;
    let rejected = rejected_read(d, rows, first_read);
    let mut frames: Vec<String> = rows
        .iter()
        .enumerate()
        .filter(|(at, _)| rejected.as_ref().and_then(|r| r.logged_as) != Some(*at))
        .filter_map(|(_, row)| rx_frame_text(row))
        .collect();
    if let Some(rejected) = rejected {
        frames.push(match rejected.text.strip_prefix("then ") {
            Some(alone) if frames.is_empty() => alone.to_owned(),
            _ => rejected.text,
        });
    }
    // "Nothing" only where everything was logged (sections 9, 12 and 13 log no frames).
    let logged_all = d.create_wirelog != Some(false)
        && !rows
            .iter()
            .any(|r| matches!(r, WireLogRow::WireLogMode(false)));
    match listed(frames) {
        Some(list) => Some(list),
        None if logged_all && rows.len() > first_read + 1 => Some("nothing".to_owned()),
        None => None,
    }
}

fn rx_frame_text(row: &WireLogRow) -> Option<String> {
    let WireLogRow::RxFrame {
        len,
        payload,
        opcode,
        fin,
        rsv,
        masked,
        ..
    } = row
    else {
        return None;
    };
    let mut text = frame_text(*opcode, *fin, *rsv, *len, payload);
    if *masked {
        text.push_str(" (masked)");
    }
    Some(text)
}

/// The size of a logged frame on the wire.
fn wire_size(len: u64, masked: bool) -> u64 {
    let ext = match len {
        0..=125 => 0,
        126..=0xffff => 2,
        _ => 8,
    };
    2 + ext + if masked { 4 } else { 0 } + len
}

/// What the suite rejected, in words.
struct Rejected {
    text: String,
    /// The wire-log row of the rejected frame, when the suite logged it before it found
    /// the frame's payload broke a rule.
    logged_as: Option<usize>,
}

/// The read that held what the suite rejected: the rejected frame as logged, or the
/// read's octets in hex with the frame header they start with decoded.
fn rejected_read(d: &CaseDetail, rows: &[WireLogRow], first_read: usize) -> Option<Rejected> {
    // Failing an open connection sends a close right after the read; failing a closing
    // one drops TCP after the last read.
    let end = match rejection(d)? {
        Rejection::InOpen { .. } => rows
            .iter()
            .rposition(|r| matches!(r, WireLogRow::TxFrame { opcode: 8, .. }))?,
        Rejection::WhileClosing => rows.len(),
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
    let octets = hex_octets(hex);
    // The frames logged from this read came first; if they take all of it, the last
    // one is the rejected frame, logged before its payload was found to break a rule.
    let mut start = 0;
    let mut last = None;
    for (i, row) in rows.iter().enumerate().take(end).skip(at) {
        if let WireLogRow::RxFrame { len, masked, .. } = row {
            last = Some((i, start));
            start += wire_size(*len, *masked);
        }
    }
    let header = usize::try_from(start)
        .ok()
        .and_then(|s| octets.get(s..))
        .and_then(parse_header);
    // The rejected frame may be logged later, once the suite has read past it (wstest
    // logs it with the payload it consumed: none).
    let logged_later = header.as_ref().and_then(|h| {
        (end..rows.len())
            .find(|&i| matches!(&rows[i], WireLogRow::RxFrame { .. }))
            .filter(|&i| {
                matches!(&rows[i], WireLogRow::RxFrame { opcode, len, .. }
                    if *opcode == h.opcode && (*len == h.len || *len == 0))
            })
    });
    let logged = match (start >= *len, last) {
        (true, Some(last)) => Some(last),
        _ => logged_later.map(|row| (row, start)),
    };
    // Logged without its payload: the header read from the octets says more.
    let hidden = logged.filter(|(row, _)| {
        matches!(&rows[*row], WireLogRow::RxFrame { len: 0, .. })
            && header.as_ref().is_some_and(|h| h.len > 0)
    });
    if let Some((row, from)) = logged.filter(|_| hidden.is_none()) {
        let bytes = usize::try_from(from)
            .ok()
            .and_then(|s| octets.get(s..))
            .unwrap_or_default();
        let size = match &rows[row] {
            WireLogRow::RxFrame { len, masked, .. } => wire_size(*len, *masked),
            _ => 0,
        };
        let mut text = format!(
            "then {}, which the suite rejected",
            rx_frame_text(&rows[row]).unwrap_or_default()
        );
        if !bytes.is_empty() {
            text.push_str(&format!(" (on the wire: {})", hex_preview(bytes, size)));
        }
        return Some(Rejected {
            text,
            logged_as: Some(row),
        });
    }
    let mut text = format!(
        "then {} the suite rejected: {}",
        plural(*len, "byte"),
        hex_preview(&octets, *len)
    );
    if let Some(header) = header {
        if start > 0 {
            text.push_str(&format!(" (from byte {start}: {})", header_text(&header)));
        } else {
            text.push_str(&format!(" ({})", header_text(&header)));
        }
    }
    Some(Rejected {
        text,
        logged_as: hidden.map(|(row, _)| row),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn detail(value: Value) -> CaseDetail {
        serde_json::from_value(value).unwrap()
    }

    /// A naive server echoes a 126-byte message with a 7-bit length of 126, so the first
    /// two payload bytes of its echo are read as a 16-bit length.
    fn naive_126() -> CaseDetail {
        detail(json!({
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
                ["TF", [5, "hello"], 10, true, 0, "55967609", null, null, false],
                ["TO", [11, "8a8555967609"], false],
                ["RO", [128, "817e23982a2a09b2 ..."]],
                ["TF", [62, "0x03ef"], 8, true, 0, "11f1fef0", null, null, false],
                ["RO", [2, "8800"]]
            ]
        }))
    }

    #[test]
    fn a_rejected_frame_is_shown_with_its_header_decoded() {
        let d = naive_126();
        assert_eq!(
            came_back(&d).as_deref(),
            Some("ping frame (5 bytes) \"hello\"; then 128 bytes the suite rejected: 81 7e 23 98 2a 2a 09 b2 … (read as a text frame header (FIN) announcing a 16-bit length of 9112 bytes)")
        );
        assert_eq!(
            rejection(&d),
            Some(Rejection::InOpen {
                code: 1007,
                reason: "invalid UTF-8 at byte 3 of the text message (RFC 6455 §8.1)".to_owned()
            })
        );
    }

    #[test]
    fn replies_are_left_out_of_what_was_sent() {
        // The pong to the peer's ping and the suite's failing close are its replies.
        assert_eq!(
            sent(&naive_126()).as_deref(),
            Some("text frame (126 bytes, 16-bit length) \"*\" repeated")
        );
    }

    #[test]
    fn the_sentences_say_what_was_expected_and_what_happened() {
        let d = naive_126();
        assert_eq!(
            expected(&d, "server").as_deref(),
            Some("The server sends back text message \"*\"; then the suite closes and the server answers the close (1000 or no code) and closes TCP")
        );
        assert_eq!(
            actual(&d, "server", true).as_deref(),
            Some("Nothing came back; the suite failed the connection with 1007: invalid UTF-8 at byte 3 of the text message (RFC 6455 §8.1)")
        );
    }

    #[test]
    fn a_rejected_frame_logged_before_its_rejection_is_found() {
        // The whole read is one frame the suite logged, then rejected for its payload.
        let d = detail(json!({
            "failedByMe": true, "localCloseCode": 1007,
            "localCloseReason": "invalid UTF-8 at byte 0 of the text message (RFC 6455 §8.1)",
            "wirelog": [
                ["TO", [180, "474554"], false],
                ["RO", [129, "485454"]],
                ["RO", [3, "8101ce"]],
                ["RF", [1, "0xce"], 1, true, 0, false, null],
                ["TF", [62, "0x03ef"], 8, true, 0, "11f1fef0", null, null, false]
            ]
        }));
        assert_eq!(
            came_back(&d).as_deref(),
            Some("text frame (1 byte) \"0xce\", which the suite rejected (on the wire: 81 01 ce)")
        );
    }

    #[test]
    fn a_rejected_answer_to_the_suites_close_is_found_after_it() {
        // 7.3.2: the suite closes with a 1-byte payload and the server echoes it.
        let d = detail(json!({
            "failedByMe": true, "droppedByMe": true, "closedByMe": true,
            "localCloseCode": null, "localCloseReason": "a",
            "wirelog": [
                ["TO", [180, "474554"], false],
                ["RO", [129, "485454"]],
                ["TF", [1, "a"], 8, true, 0, "e9124820", null, null, false],
                ["TO", [7, "8881e912482088"], false],
                ["KL", 1],
                ["RO", [3, "880161"]]
            ]
        }));
        assert_eq!(rejection(&d), Some(Rejection::WhileClosing));
        assert_eq!(
            came_back(&d).as_deref(),
            Some("3 bytes the suite rejected: 88 01 61 (read as a close frame header (FIN) announcing 1 byte)")
        );
        assert_eq!(
            sent(&d).as_deref(),
            Some("close frame (1 byte) payload 0x61")
        );
        assert_eq!(
            actual(&d, "server", true).as_deref(),
            Some("The suite dropped TCP over the server's answer to its close")
        );
    }

    #[test]
    fn a_frame_whose_payload_follows_in_raw_writes_says_so() {
        let d = detail(json!({"wirelog": [
            ["TO", [180, "474554"], false],
            ["RO", [129, "485454"]],
            ["TF", [0, ""], 1, false, 0, "faa89f64", 21, null, false],
            ["TO", [6, "0195faa89f64"], false]
        ]}));
        assert_eq!(
            sent(&d).as_deref(),
            Some("text frame (not final, 21 bytes), its payload in the writes that follow")
        );
        assert_eq!(came_back(&d).as_deref(), Some("nothing"));
    }

    #[test]
    fn repeated_frames_are_counted_and_long_lists_cut() {
        let items: Vec<String> = ["a", "a", "b", "c", "d", "e", "f", "g", "h"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            listed(items).as_deref(),
            Some("a ×2; b; c; d; e; f; … and 2 more")
        );
    }

    #[test]
    fn the_kill_timer_dropping_a_closing_connection_means_no_close_came() {
        let d = detail(json!({
            "received": [["message", "κόσμε", false]],
            "failedByMe": true, "droppedByMe": true, "closedByMe": true,
            "localCloseCode": 1000,
            "wirelog": [["TF", [2, "0x03e8"], 8, true, 0, "763445ce", null, null, false], ["KLE"]]
        }));
        assert_eq!(rejection(&d), None);
        assert_eq!(
            actual(&d, "server", true).as_deref(),
            Some("The server sent back text message \"κόσμε\"; the server never answered the suite's close")
        );
    }
}
