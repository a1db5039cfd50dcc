//! The per-case detail file (`<agent>_case_<id>.json`): everything wstest records about
//! one case, field for field (AUTOBAHN-CATALOG.md §5).
//!
//! Known fields are typed; fields this crate does not know are kept in
//! [`CaseDetail::extra`] and written back unchanged.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Number, Value};

use crate::verdict::Verdict;

/// Counts keyed by an integer: octets per TCP read/write, or frames per opcode.
pub type Stats = BTreeMap<u64, u64>;

/// One case's details, as in wstest's per-case JSON (39 keys).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseDetail {
    /// The agent (implementation) tested.
    #[serde(default)]
    pub agent: String,
    /// The case id (`"6.4.1"`).
    #[serde(default)]
    pub id: String,
    /// 1-based position of the case in the run's case list (see AUTOBAHN-CATALOG.md §1).
    #[serde(default)]
    pub case: Option<u64>,
    /// The data-exchange verdict.
    #[serde(default)]
    pub behavior: Verdict,
    /// The closing-handshake verdict.
    #[serde(default)]
    pub behavior_close: Verdict,
    /// What the case does (may contain HTML and newlines).
    #[serde(default)]
    pub description: Option<String>,
    /// What the case expects of the peer (may contain HTML and newlines).
    #[serde(default)]
    pub expectation: Option<String>,
    /// Acceptable event sequences by verdict: `{"OK": [[kind, data, (isBinary)], …], …}`.
    #[serde(default)]
    pub expected: Option<Value>,
    /// The close expectation: `closedByMe`, `closeCode` list, `requireClean`, …
    #[serde(default)]
    pub expected_close: Option<Value>,
    /// The events received, in the same shape as the lists in `expected`.
    #[serde(default)]
    pub received: Option<Value>,
    /// Why `behavior` is what it is.
    #[serde(default)]
    pub result: Option<String>,
    /// Why `behaviorClose` is what it is.
    #[serde(default)]
    pub result_close: Option<String>,
    /// Milliseconds from the opening handshake to TCP loss.
    #[serde(default, deserialize_with = "lenient_ms")]
    pub duration: Option<u64>,
    /// When the case started (UTC, `YYYY-MM-DDTHH:MM:SS.mmmZ`).
    #[serde(default)]
    pub started: Option<String>,
    /// The raw HTTP upgrade request.
    #[serde(default)]
    pub http_request: Option<String>,
    /// The raw HTTP upgrade response.
    #[serde(default)]
    pub http_response: Option<String>,
    /// The close code the suite sent.
    #[serde(default)]
    pub local_close_code: Option<u16>,
    /// The close reason the suite sent.
    #[serde(default)]
    pub local_close_reason: Option<String>,
    /// The close code the peer sent.
    #[serde(default)]
    pub remote_close_code: Option<u16>,
    /// The close reason the peer sent.
    #[serde(default)]
    pub remote_close_reason: Option<String>,
    /// The suite sent the first close frame (a kill counts too).
    #[serde(default)]
    pub closed_by_me: Option<bool>,
    /// The suite dropped the TCP connection.
    #[serde(default)]
    pub dropped_by_me: Option<bool>,
    /// The suite failed the connection.
    #[serde(default)]
    pub failed_by_me: Option<bool>,
    /// The suite played the server (fuzzingserver mode).
    #[serde(default)]
    pub is_server: Option<bool>,
    /// A close frame was received and TCP then ended normally.
    #[serde(default)]
    pub was_clean: Option<bool>,
    /// Why the connection was not clean.
    #[serde(default)]
    pub was_not_clean_reason: Option<String>,
    /// No close reply came within the close-handshake timeout.
    #[serde(default)]
    pub was_close_handshake_timeout: Option<bool>,
    /// The opening handshake timed out.
    #[serde(default)]
    pub was_open_handshake_timeout: Option<bool>,
    /// The server did not drop TCP in time after the closing handshake.
    #[serde(default)]
    pub was_server_connection_drop_timeout: Option<bool>,
    /// Statistics were recorded.
    #[serde(default)]
    pub create_stats: Option<bool>,
    /// Whether the wire log was on at the end of the case.
    #[serde(default)]
    pub create_wirelog: Option<bool>,
    /// The case reports its duration as a performance figure (section 9, 12, 13).
    #[serde(default)]
    pub report_time: Option<bool>,
    /// The case reports a compression ratio (sections 12, 13).
    #[serde(default)]
    pub report_compression_ratio: Option<bool>,
    /// Frames received, by opcode.
    #[serde(default)]
    pub rx_frame_stats: Option<Stats>,
    /// Frames sent, by opcode.
    #[serde(default)]
    pub tx_frame_stats: Option<Stats>,
    /// TCP reads, by number of octets.
    #[serde(default)]
    pub rx_octet_stats: Option<Stats>,
    /// TCP writes, by number of octets.
    #[serde(default)]
    pub tx_octet_stats: Option<Stats>,
    /// Wire/WebSocket/application-level octet counts for successful deflate cases.
    #[serde(default)]
    pub traffic_stats: Option<Value>,
    /// The wire log.
    #[serde(default)]
    pub wirelog: Option<Vec<WireLogRow>>,
    /// Fields this crate does not know, kept as they were.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Accepts a duration written as an integer or a float (rounded), or null.
fn lenient_ms<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    let value = Option::<Value>::deserialize(deserializer)?;
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(u) = n.as_u64() {
                Ok(Some(u))
            } else if let Some(f) = n.as_f64().filter(|f| f.is_finite() && *f >= 0.0) {
                Ok(Some(f.round() as u64))
            } else {
                Err(serde::de::Error::custom(format!(
                    "duration {n} is not a number of milliseconds"
                )))
            }
        }
        Some(other) => Err(serde::de::Error::custom(format!(
            "duration must be a number of milliseconds, not {other}"
        ))),
    }
}

/// The per-case JSON key of a wsspec-section case's RFC citation ("RFC 6455 §4.2.1").
pub const WSSPEC_RFC: &str = "wsspecRfc";
/// The per-case JSON key of what a conformant peer does, in a sentence.
pub const WSSPEC_EXPECTED: &str = "wsspecExpected";
/// The per-case JSON key of what the peer under test did, in a sentence.
pub const WSSPEC_ACTUAL: &str = "wsspecActual";

impl CaseDetail {
    /// The RFC rule a case of wsspec's own sections (100–105) checks; `None` for
    /// Autobahn's cases. Kept in [`CaseDetail::extra`] (Autobahn tooling ignores it).
    pub fn wsspec_rfc(&self) -> Option<&str> {
        self.extra_str(WSSPEC_RFC)
    }

    /// What a conformant peer does (wsspec's sections; written when a case is not OK).
    pub fn wsspec_expected(&self) -> Option<&str> {
        self.extra_str(WSSPEC_EXPECTED)
    }

    /// What the peer under test did (wsspec's sections; written when a case is not OK).
    pub fn wsspec_actual(&self) -> Option<&str> {
        self.extra_str(WSSPEC_ACTUAL)
    }

    fn extra_str(&self, key: &str) -> Option<&str> {
        self.extra.get(key).and_then(Value::as_str)
    }

    /// The close codes the case accepts from the peer (`expectedClose.closeCode`).
    pub fn expected_close_codes(&self) -> Vec<u64> {
        self.expected_close
            .as_ref()
            .and_then(|v| v.get("closeCode"))
            .and_then(Value::as_array)
            .map(|codes| codes.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default()
    }
}

/// One row of the wire log, as wstest writes it (AUTOBAHN-CATALOG.md §5).
///
/// Payloads are wstest's `asciiLogData` rendering: the first 64 bytes as UTF-8 text,
/// or `0x`+hex, with `" ..."` appended when truncated.
#[derive(Debug, Clone, PartialEq)]
pub enum WireLogRow {
    /// `["TO", [len, hex], sync]`: octets written.
    TxOctets {
        /// Octets written.
        len: u64,
        /// The first octets, hex.
        hex: String,
        /// Written as its own TCP write.
        sync: bool,
    },
    /// `["RO", [len, hex]]`: octets read.
    RxOctets {
        /// Octets read.
        len: u64,
        /// The first octets, hex.
        hex: String,
    },
    /// `["TF", [len, payload], opcode, fin, rsv, mask, payload_len, chopsize, sync]`: a frame sent.
    TxFrame {
        /// Payload length.
        len: u64,
        /// Payload (rendered).
        payload: String,
        /// Opcode.
        opcode: u8,
        /// FIN bit.
        fin: bool,
        /// RSV bits as a number (0–7).
        rsv: u8,
        /// Masking key, hex, if masked.
        mask: Option<String>,
        /// Payload length the payload was repeated to, if any.
        payload_len: Option<u64>,
        /// Write chop size, if any.
        chopsize: Option<u64>,
        /// Each frame as its own TCP write.
        sync: bool,
    },
    /// `["RF", [len, payload], opcode, fin, rsv, masked, mask]`: a frame received.
    RxFrame {
        /// Payload length.
        len: u64,
        /// Payload (rendered).
        payload: String,
        /// Opcode.
        opcode: u8,
        /// FIN bit.
        fin: bool,
        /// RSV bits as a number (0–7).
        rsv: u8,
        /// The frame was masked.
        masked: bool,
        /// Masking key, hex, if masked.
        mask: Option<String>,
    },
    /// `["CT", delay, tag]`: a continuation scheduled.
    ContinueLater {
        /// Seconds.
        delay: Number,
        /// Tag.
        tag: Value,
    },
    /// `["CTE", tag]`: a continuation ran.
    ContinueLaterFired {
        /// Tag.
        tag: Value,
    },
    /// `["KL", delay]`: kill timer armed.
    KillAfter {
        /// Seconds.
        delay: Number,
    },
    /// `["KLE"]`: kill timer fired.
    KillFired,
    /// `["TI", delay]`: close timer armed.
    CloseAfter {
        /// Seconds.
        delay: Number,
    },
    /// `["TIE"]`: close timer fired.
    CloseFired,
    /// `["WLM", on]`: wire logging switched on or off.
    WireLogMode(bool),
    /// Any row of another shape, kept as it was.
    Other(Vec<Value>),
}

impl WireLogRow {
    /// The row tag (`"TO"`, `"RF"`, …).
    pub fn tag(&self) -> &str {
        match self {
            WireLogRow::TxOctets { .. } => "TO",
            WireLogRow::RxOctets { .. } => "RO",
            WireLogRow::TxFrame { .. } => "TF",
            WireLogRow::RxFrame { .. } => "RF",
            WireLogRow::ContinueLater { .. } => "CT",
            WireLogRow::ContinueLaterFired { .. } => "CTE",
            WireLogRow::KillAfter { .. } => "KL",
            WireLogRow::KillFired => "KLE",
            WireLogRow::CloseAfter { .. } => "TI",
            WireLogRow::CloseFired => "TIE",
            WireLogRow::WireLogMode(_) => "WLM",
            WireLogRow::Other(row) => row.first().and_then(Value::as_str).unwrap_or("?"),
        }
    }

    /// The row as wstest's JSON array.
    pub fn to_value(&self) -> Value {
        fn opt_str(s: &Option<String>) -> Value {
            s.as_ref().map_or(Value::Null, |s| Value::String(s.clone()))
        }
        fn opt_u64(n: Option<u64>) -> Value {
            n.map_or(Value::Null, Value::from)
        }
        let row: Vec<Value> = match self {
            WireLogRow::TxOctets { len, hex, sync } => {
                vec![
                    "TO".into(),
                    Value::Array(vec![(*len).into(), hex.clone().into()]),
                    (*sync).into(),
                ]
            }
            WireLogRow::RxOctets { len, hex } => {
                vec![
                    "RO".into(),
                    Value::Array(vec![(*len).into(), hex.clone().into()]),
                ]
            }
            WireLogRow::TxFrame {
                len,
                payload,
                opcode,
                fin,
                rsv,
                mask,
                payload_len,
                chopsize,
                sync,
            } => vec![
                "TF".into(),
                Value::Array(vec![(*len).into(), payload.clone().into()]),
                (*opcode).into(),
                (*fin).into(),
                (*rsv).into(),
                opt_str(mask),
                opt_u64(*payload_len),
                opt_u64(*chopsize),
                (*sync).into(),
            ],
            WireLogRow::RxFrame {
                len,
                payload,
                opcode,
                fin,
                rsv,
                masked,
                mask,
            } => vec![
                "RF".into(),
                Value::Array(vec![(*len).into(), payload.clone().into()]),
                (*opcode).into(),
                (*fin).into(),
                (*rsv).into(),
                (*masked).into(),
                opt_str(mask),
            ],
            WireLogRow::ContinueLater { delay, tag } => {
                vec!["CT".into(), Value::Number(delay.clone()), tag.clone()]
            }
            WireLogRow::ContinueLaterFired { tag } => vec!["CTE".into(), tag.clone()],
            WireLogRow::KillAfter { delay } => vec!["KL".into(), Value::Number(delay.clone())],
            WireLogRow::KillFired => vec!["KLE".into()],
            WireLogRow::CloseAfter { delay } => vec!["TI".into(), Value::Number(delay.clone())],
            WireLogRow::CloseFired => vec!["TIE".into()],
            WireLogRow::WireLogMode(on) => vec!["WLM".into(), (*on).into()],
            WireLogRow::Other(row) => row.clone(),
        };
        Value::Array(row)
    }

    /// Interprets one wstest wire-log array; rows of an unexpected shape become
    /// [`WireLogRow::Other`].
    pub fn from_values(row: Vec<Value>) -> WireLogRow {
        WireLogRow::typed(&row).unwrap_or(WireLogRow::Other(row))
    }

    fn typed(row: &[Value]) -> Option<WireLogRow> {
        fn len_and_text(v: &Value) -> Option<(u64, String)> {
            match v.as_array()?.as_slice() {
                [len, text] => Some((len.as_u64()?, text.as_str()?.to_owned())),
                _ => None,
            }
        }
        fn opt_str(v: &Value) -> Option<Option<String>> {
            match v {
                Value::Null => Some(None),
                Value::String(s) => Some(Some(s.clone())),
                _ => None,
            }
        }
        fn opt_u64(v: &Value) -> Option<Option<u64>> {
            match v {
                Value::Null => Some(None),
                other => other.as_u64().map(Some),
            }
        }
        fn small(v: &Value) -> Option<u8> {
            v.as_u64().and_then(|n| u8::try_from(n).ok())
        }
        let tag = row.first()?.as_str()?;
        Some(match (tag, &row[1..]) {
            ("TO", [data, sync]) => {
                let (len, hex) = len_and_text(data)?;
                WireLogRow::TxOctets {
                    len,
                    hex,
                    sync: sync.as_bool()?,
                }
            }
            ("RO", [data]) => {
                let (len, hex) = len_and_text(data)?;
                WireLogRow::RxOctets { len, hex }
            }
            ("TF", [data, opcode, fin, rsv, mask, payload_len, chopsize, sync]) => {
                let (len, payload) = len_and_text(data)?;
                WireLogRow::TxFrame {
                    len,
                    payload,
                    opcode: small(opcode)?,
                    fin: fin.as_bool()?,
                    rsv: small(rsv)?,
                    mask: opt_str(mask)?,
                    payload_len: opt_u64(payload_len)?,
                    chopsize: opt_u64(chopsize)?,
                    sync: sync.as_bool()?,
                }
            }
            ("RF", [data, opcode, fin, rsv, masked, mask]) => {
                let (len, payload) = len_and_text(data)?;
                WireLogRow::RxFrame {
                    len,
                    payload,
                    opcode: small(opcode)?,
                    fin: fin.as_bool()?,
                    rsv: small(rsv)?,
                    masked: masked.as_bool()?,
                    mask: opt_str(mask)?,
                }
            }
            ("CT", [Value::Number(delay), tag]) => WireLogRow::ContinueLater {
                delay: delay.clone(),
                tag: tag.clone(),
            },
            ("CTE", [tag]) => WireLogRow::ContinueLaterFired { tag: tag.clone() },
            ("KL", [Value::Number(delay)]) => WireLogRow::KillAfter {
                delay: delay.clone(),
            },
            ("KLE", []) => WireLogRow::KillFired,
            ("TI", [Value::Number(delay)]) => WireLogRow::CloseAfter {
                delay: delay.clone(),
            },
            ("TIE", []) => WireLogRow::CloseFired,
            ("WLM", [Value::Bool(on)]) => WireLogRow::WireLogMode(*on),
            _ => return None,
        })
    }

    /// A one-line human rendering, for reports.
    pub fn describe(&self) -> String {
        match self {
            WireLogRow::TxOctets { len, hex, .. } => format!("TX OCTETS ({len}): {hex}"),
            WireLogRow::RxOctets { len, hex } => format!("RX OCTETS ({len}): {hex}"),
            WireLogRow::TxFrame { len, payload, opcode, fin, rsv, .. } => {
                format!("TX FRAME : OPCODE={opcode}, FIN={fin}, RSV={rsv}, PAYLOAD-LEN={len}, PAYLOAD={payload}")
            }
            WireLogRow::RxFrame { len, payload, opcode, fin, rsv, masked, .. } => format!(
                "RX FRAME : OPCODE={opcode}, FIN={fin}, RSV={rsv}, MASKED={masked}, PAYLOAD-LEN={len}, PAYLOAD={payload}"
            ),
            WireLogRow::ContinueLater { delay, tag } => format!("CONTINUE IN {delay} s ({tag})"),
            WireLogRow::ContinueLaterFired { tag } => format!("CONTINUE ({tag})"),
            WireLogRow::KillAfter { delay } => format!("FAIL CONNECTION AFTER {delay} s"),
            WireLogRow::KillFired => "FAIL CONNECTION NOW".to_owned(),
            WireLogRow::CloseAfter { delay } => format!("CLOSE CONNECTION AFTER {delay} s"),
            WireLogRow::CloseFired => "CLOSE CONNECTION NOW".to_owned(),
            WireLogRow::WireLogMode(on) => format!("WIRELOG {}", if *on { "ON" } else { "OFF" }),
            WireLogRow::Other(row) => Value::Array(row.clone()).to_string(),
        }
    }
}

impl Serialize for WireLogRow {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for WireLogRow {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Array(row) => Ok(WireLogRow::from_values(row)),
            other => Ok(WireLogRow::Other(vec![other])),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wirelog_rows_of_every_known_shape_round_trip() {
        let rows = json!([
            ["TO", [242, "474554"], false],
            ["RO", [2, "8100"]],
            ["TF", [0, ""], 1, true, 0, "f4f32bdf", null, null, false],
            ["RF", [2, "0x03e8"], 8, true, 0, false, null],
            ["CT", 1, "A"],
            ["CTE", "A"],
            ["KL", 0.5],
            ["KLE"],
            ["TI", 1],
            ["TIE"],
            ["WLM", false]
        ]);
        let parsed: Vec<WireLogRow> = serde_json::from_value(rows.clone()).unwrap();
        assert!(
            parsed.iter().all(|r| !matches!(r, WireLogRow::Other(_))),
            "{parsed:?}"
        );
        assert_eq!(serde_json::to_value(&parsed).unwrap(), rows);
    }

    #[test]
    fn wirelog_rows_of_unknown_shape_are_kept() {
        let rows = json!([["XX", 1, 2], ["TO", "not an array", false], 17]);
        let parsed: Vec<WireLogRow> = serde_json::from_value(rows.clone()).unwrap();
        assert!(parsed.iter().all(|r| matches!(r, WireLogRow::Other(_))));
        assert_eq!(
            serde_json::to_value(&parsed).unwrap(),
            json!([["XX", 1, 2], ["TO", "not an array", false], [17]])
        );
    }

    #[test]
    fn unknown_detail_fields_are_kept() {
        let detail: CaseDetail = serde_json::from_value(
            json!({"id": "1.1.1", "behavior": "OK", "futureField": {"x": 1}}),
        )
        .unwrap();
        assert_eq!(detail.extra.get("futureField"), Some(&json!({"x": 1})));
        assert_eq!(
            detail.behavior_close,
            Verdict::Failed,
            "a missing verdict is not a pass"
        );
        let back = serde_json::to_value(&detail).unwrap();
        assert_eq!(back["futureField"], json!({"x": 1}));
    }

    #[test]
    fn float_durations_are_rounded_to_milliseconds() {
        let detail: CaseDetail = serde_json::from_value(json!({"duration": 1001.6})).unwrap();
        assert_eq!(detail.duration, Some(1002));
        assert!(serde_json::from_value::<CaseDetail>(json!({"duration": "slow"})).is_err());
    }

    #[test]
    fn expected_close_codes_are_read_from_expected_close() {
        let detail: CaseDetail = serde_json::from_value(
            json!({"expectedClose": {"closeCode": [1000, 1002], "closedByMe": true}}),
        )
        .unwrap();
        assert_eq!(detail.expected_close_codes(), vec![1000, 1002]);
    }
}
