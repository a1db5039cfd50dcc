//! Close codes and the close frame payload (RFC 6455 §5.5.1, §7.4).

use std::fmt;

/// A close status code as carried in a close frame.
///
/// Any `u16` can be represented, because the test suite must be able to *send* invalid
/// codes; whether a code may appear on the wire is [`CloseCode::is_allowed_on_wire`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: normal closure.
    pub const NORMAL: CloseCode = CloseCode(1000);
    /// 1001: endpoint going away (server shutting down, page navigated away).
    pub const GOING_AWAY: CloseCode = CloseCode(1001);
    /// 1002: protocol error.
    pub const PROTOCOL_ERROR: CloseCode = CloseCode(1002);
    /// 1003: data of a type the endpoint cannot accept.
    pub const UNSUPPORTED_DATA: CloseCode = CloseCode(1003);
    /// 1005: no status code was present. Reserved: never sent on the wire.
    pub const NO_STATUS: CloseCode = CloseCode(1005);
    /// 1006: closed abnormally (no close frame). Reserved: never sent on the wire.
    pub const ABNORMAL: CloseCode = CloseCode(1006);
    /// 1007: message data inconsistent with its type (e.g. invalid UTF-8 in text).
    pub const INVALID_PAYLOAD: CloseCode = CloseCode(1007);
    /// 1008: policy violation.
    pub const POLICY_VIOLATION: CloseCode = CloseCode(1008);
    /// 1009: message too big to process.
    pub const MESSAGE_TOO_BIG: CloseCode = CloseCode(1009);
    /// 1010: client expected an extension the server did not negotiate.
    pub const MANDATORY_EXTENSION: CloseCode = CloseCode(1010);
    /// 1011: server hit an unexpected condition.
    pub const INTERNAL_ERROR: CloseCode = CloseCode(1011);

    /// Whether an endpoint may send this code in a close frame, and so whether a
    /// received close frame carrying it is valid.
    ///
    /// RFC 6455 §7.4.1/§7.4.2 and the IANA "WebSocket Close Code Number" registry:
    /// 0–999 are not used; 1004 is reserved, 1005/1006/1015 must never be sent;
    /// 1000–1003 and 1007–1011 are defined by the RFC, 1012–1014 are registered with
    /// IANA; 1016–2999 are reserved for future RFCs; 3000–3999 are registered for
    /// libraries and frameworks; 4000–4999 are private use; ≥ 5000 is undefined.
    pub fn is_allowed_on_wire(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        CloseCode(code)
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> u16 {
        code.0
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A parsed close frame payload: an optional code and a UTF-8 reason.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CloseFrame {
    /// The status code; `None` for an empty payload.
    pub code: Option<CloseCode>,
    /// The reason; always empty when `code` is `None`.
    pub reason: String,
}

/// Why a received close payload is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloseError {
    /// RFC 6455 §5.5.1: a close body, if present, starts with a 2-byte code.
    #[error("close frame payload of 1 byte: a body must start with a 2-byte status code (RFC 6455 §5.5.1)")]
    PayloadOfOneByte,
    /// RFC 6455 §5.5: control frame payloads are at most 125 bytes.
    #[error(
        "close frame payload of {0} bytes exceeds the 125-byte control frame limit (RFC 6455 §5.5)"
    )]
    PayloadTooLong(usize),
    /// RFC 6455 §7.4: the code is not one an endpoint may send.
    #[error("close code {0} may not be sent on the wire (RFC 6455 §7.4)")]
    CodeNotAllowed(u16),
    /// RFC 6455 §5.5.1: the reason is UTF-8 text.
    #[error("close reason is not valid UTF-8 (RFC 6455 §5.5.1)")]
    ReasonNotUtf8,
}

impl CloseError {
    /// The close code with which the connection is failed for this error.
    pub fn close_code(&self) -> CloseCode {
        match self {
            CloseError::ReasonNotUtf8 => CloseCode::INVALID_PAYLOAD,
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }
}

impl CloseFrame {
    /// A close frame with a code and reason.
    pub fn new(code: impl Into<CloseCode>, reason: impl Into<String>) -> Self {
        CloseFrame {
            code: Some(code.into()),
            reason: reason.into(),
        }
    }

    /// Parses and validates a received close frame payload (already unmasked).
    pub fn parse(payload: &[u8]) -> Result<CloseFrame, CloseError> {
        match payload.len() {
            0 => return Ok(CloseFrame::default()),
            1 => return Err(CloseError::PayloadOfOneByte),
            n if n > 125 => return Err(CloseError::PayloadTooLong(n)),
            _ => {}
        }
        let code = u16::from_be_bytes([payload[0], payload[1]]);
        if !CloseCode(code).is_allowed_on_wire() {
            return Err(CloseError::CodeNotAllowed(code));
        }
        let reason = simdutf8::basic::from_utf8(&payload[2..])
            .map_err(|_| CloseError::ReasonNotUtf8)?
            .to_owned();
        Ok(CloseFrame {
            code: Some(CloseCode(code)),
            reason,
        })
    }

    /// The wire payload: nothing, or the code in network byte order followed by the
    /// reason. No validation: the suite uses this to build invalid close frames too.
    pub fn to_payload(&self) -> Vec<u8> {
        match self.code {
            None => Vec::new(),
            Some(code) => {
                let mut out = Vec::with_capacity(2 + self.reason.len());
                out.extend_from_slice(&code.0.to_be_bytes());
                out.extend_from_slice(self.reason.as_bytes());
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_7_4_codes_allowed_on_wire() {
        for code in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011] {
            assert!(CloseCode(code).is_allowed_on_wire(), "{code}");
        }
        for code in [1012, 1013, 1014, 3000, 3999, 4000, 4999] {
            assert!(CloseCode(code).is_allowed_on_wire(), "{code}");
        }
    }

    #[test]
    fn rfc6455_7_4_codes_not_allowed_on_wire() {
        for code in [
            0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ] {
            assert!(!CloseCode(code).is_allowed_on_wire(), "{code}");
        }
    }

    #[test]
    fn rfc6455_5_5_1_empty_payload_has_no_code() {
        assert_eq!(CloseFrame::parse(&[]), Ok(CloseFrame::default()));
    }

    #[test]
    fn rfc6455_5_5_1_payload_of_one_byte_is_invalid() {
        let err = CloseFrame::parse(b"a").unwrap_err();
        assert_eq!(err, CloseError::PayloadOfOneByte);
        assert_eq!(err.close_code(), CloseCode::PROTOCOL_ERROR);
    }

    #[test]
    fn rfc6455_5_5_control_payload_over_125_bytes_is_invalid() {
        let mut payload = vec![0x03, 0xe8];
        payload.extend(std::iter::repeat(b'*').take(124));
        assert_eq!(
            CloseFrame::parse(&payload),
            Err(CloseError::PayloadTooLong(126))
        );
    }

    #[test]
    fn rfc6455_5_5_1_reason_must_be_utf8() {
        let mut payload = vec![0x03, 0xe8];
        payload.extend_from_slice(&[0xce, 0xba, 0xed, 0xa0, 0x80]);
        let err = CloseFrame::parse(&payload).unwrap_err();
        assert_eq!(err, CloseError::ReasonNotUtf8);
        assert_eq!(err.close_code(), CloseCode::INVALID_PAYLOAD);
    }

    #[test]
    fn rfc6455_7_4_received_reserved_code_is_invalid() {
        assert_eq!(
            CloseFrame::parse(&1005u16.to_be_bytes()),
            Err(CloseError::CodeNotAllowed(1005))
        );
    }

    #[test]
    fn close_payload_round_trips() {
        let frame = CloseFrame::new(1000u16, "Hello World!");
        assert_eq!(CloseFrame::parse(&frame.to_payload()), Ok(frame));
    }
}
