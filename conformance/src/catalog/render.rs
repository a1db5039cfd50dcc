//! The catalog as wstest's reports show it: the `expected` and `expectedClose` objects
//! of a per-case JSON report, payloads rendered with wstest's `asciiLogData`.

use serde_json::{json, Map, Value};

use super::build::hex;
use super::{Event, Expected, ExpectedClose};

/// How many payload octets a report shows.
const SHOWN: usize = 64;
/// What marks a payload as cut.
const ELLIPSIS: &str = " ...";

/// wstest's `asciiLogData`: a payload as report text.
///
/// A payload longer than 60 octets (64 less the ellipsis) is cut to its first 64 octets
/// and marked with `" ..."` (so a 61–64 octet payload gets the mark uncut, as in
/// wstest). The result is the text if those octets are UTF-8, else `"0x"` and their
/// hex, marked the same way; a cut through a multi-octet character makes it hex.
///
/// One difference remains: Python 2 decodes encoded UTF-16 surrogates (`ed a0 80`) as
/// text, which a Rust string cannot hold; such payloads (only ever in received binary
/// messages or pongs, never in an expectation) are rendered as hex here.
pub fn ascii_log_data(payload: &[u8]) -> String {
    ascii_log_data_of(payload.len() as u64, payload)
}

/// [`ascii_log_data`] of a payload of `len` octets of which only `prefix` was kept
/// (at least its first 64 octets, or all of it): the wire log keeps no more of a frame.
pub fn ascii_log_data_of(len: u64, prefix: &[u8]) -> String {
    let (shown, mark) = shown_and_mark(len, prefix);
    match std::str::from_utf8(shown) {
        Ok(text) => format!("{text}{mark}"),
        Err(_) => format!("0x{}{mark}", hex(shown)),
    }
}

/// wstest's `binLogData`: the first 64 octets as hex, marked with `" ..."` like
/// [`ascii_log_data`].
pub fn bin_log_data(data: &[u8]) -> String {
    let (shown, mark) = shown_and_mark(data.len() as u64, data);
    format!("{}{mark}", hex(shown))
}

/// The octets a report shows of a `len`-octet payload starting with `prefix`, and the
/// cut mark if it is cut.
fn shown_and_mark(len: u64, prefix: &[u8]) -> (&[u8], &'static str) {
    let cut = len > (SHOWN - ELLIPSIS.len()) as u64;
    let shown = &prefix[..prefix.len().min(SHOWN)];
    (shown, if cut { ELLIPSIS } else { "" })
}

impl Event {
    /// The event as a report lists it: `["message", text, isBinary]`,
    /// `["pong", text]` or `["timeout", tag]`.
    pub fn to_json(&self) -> Value {
        match self {
            Event::Message { payload, binary } => {
                json!(["message", ascii_log_data(payload), binary])
            }
            Event::Pong(payload) => json!(["pong", ascii_log_data(payload)]),
            Event::Timeout(tag) => json!(["timeout", tag]),
        }
    }
}

impl Expected {
    /// The `expected` object of a report: `{"OK": [...], "NON-STRICT": [...]}` with the
    /// lists present, `{}` for a case judged otherwise.
    pub fn to_json(&self) -> Value {
        let list = |events: &Vec<Event>| Value::Array(events.iter().map(Event::to_json).collect());
        let mut object = Map::new();
        if let Some(events) = &self.ok {
            object.insert("OK".to_owned(), list(events));
        }
        if let Some(events) = &self.non_strict {
            object.insert("NON-STRICT".to_owned(), list(events));
        }
        Value::Object(object)
    }
}

impl ExpectedClose {
    /// The `expectedClose` object of a report; `closedByWrongEndpointIsFatal` appears
    /// only where wstest sets it (the invalid UTF-8 cases of section 6).
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("closeCode".to_owned(), json!(self.codes));
        object.insert("closedByMe".to_owned(), json!(self.closed_by_me));
        object.insert("requireClean".to_owned(), json!(self.require_clean));
        if self.wrong_endpoint_is_fatal {
            object.insert("closedByWrongEndpointIsFatal".to_owned(), json!(true));
        }
        Value::Object(object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_of_up_to_60_octets_are_shown_whole() {
        assert_eq!(ascii_log_data(b""), "");
        assert_eq!(ascii_log_data(&[b'*'; 60]), "*".repeat(60));
    }

    #[test]
    fn longer_payloads_show_64_octets_and_an_ellipsis() {
        assert_eq!(
            ascii_log_data(&[b'*'; 61]),
            format!("{} ...", "*".repeat(61))
        );
        assert_eq!(
            ascii_log_data(&[b'*'; 125]),
            format!("{} ...", "*".repeat(64))
        );
    }

    #[test]
    fn payloads_that_are_not_utf8_are_shown_as_hex() {
        assert_eq!(ascii_log_data(b"\x03\xe8"), "0x03e8");
        assert_eq!(bin_log_data(b"\x03\xe8"), "03e8");
        assert_eq!(
            bin_log_data(&[0xfe; 61]),
            format!("{} ...", "fe".repeat(61))
        );
        assert_eq!(
            ascii_log_data(b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"),
            "0x00fffefdfcfb00ff"
        );
        assert_eq!(
            ascii_log_data(&[0xfe; 125]),
            format!("0x{} ...", "fe".repeat(64))
        );
    }

    #[test]
    fn a_cut_through_a_character_turns_the_text_into_hex() {
        // 63 ASCII octets and a 2-octet character: the cut keeps only its first octet.
        let mut payload = vec![b'a'; 63];
        payload.extend_from_slice("\u{e4}".as_bytes());
        assert_eq!(
            ascii_log_data(&payload),
            format!("0x{}c3 ...", "61".repeat(63))
        );
    }

    #[test]
    fn expected_lists_render_as_wstest_writes_them() {
        let expected = Expected::ok_or_non_strict(vec![Event::Timeout("A")], vec![]);
        assert_eq!(
            expected.to_json(),
            json!({"OK": [["timeout", "A"]], "NON-STRICT": []})
        );
        assert_eq!(Expected::none().to_json(), json!({}));
    }

    #[test]
    fn the_fatal_flag_appears_only_when_set() {
        assert_eq!(
            ExpectedClose::normal().to_json(),
            json!({"closeCode": [1000], "closedByMe": true, "requireClean": true})
        );
        let fatal = ExpectedClose {
            wrong_endpoint_is_fatal: true,
            ..ExpectedClose::peer_fails(1007)
        };
        assert_eq!(fatal.to_json()["closedByWrongEndpointIsFatal"], json!(true));
    }

    #[test]
    fn a_prefix_renders_like_the_whole_payload() {
        let whole = vec![b'a'; 1000];
        assert_eq!(
            ascii_log_data_of(1000, &whole[..64]),
            ascii_log_data(&whole)
        );
        let binary = vec![0xfe; 1000];
        assert_eq!(
            ascii_log_data_of(1000, &binary[..64]),
            ascii_log_data(&binary)
        );
        assert_eq!(ascii_log_data_of(5, b"hello"), "hello");
    }
}
