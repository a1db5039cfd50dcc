//! Verdicts: what wstest (and wsspec) concluded about one side of a case.
//!
//! Every case carries two: `behavior` (did the data exchange go right) and
//! `behaviorClose` (did the closing handshake go right). The strings are wstest's
//! (`case/case.py`); strings this crate does not know are kept verbatim as
//! [`Verdict::Other`] and treated as failures.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One verdict string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// `OK`: the observed outcome is one of the strict ones.
    Ok,
    /// `NON-STRICT`: acceptable, but not what the RFC prefers.
    NonStrict,
    /// `INFORMATIONAL`: no right answer; recorded only.
    Informational,
    /// `UNIMPLEMENTED`: the extension under test was not negotiated.
    Unimplemented,
    /// `FAILED`.
    Failed,
    /// `WRONG CODE`: the peer closed with a code the case does not allow.
    WrongCode,
    /// `UNCLEAN`: the closing handshake did not complete cleanly.
    Unclean,
    /// `FAILED BY CLIENT`: the suite (as client) had to drop the TCP connection.
    FailedByClient,
    /// Any other string, kept as it was.
    Other(String),
}

impl Verdict {
    /// Every verdict this crate knows, in the order reports list them.
    pub const KNOWN: [Verdict; 8] = [
        Verdict::Ok,
        Verdict::NonStrict,
        Verdict::Informational,
        Verdict::Unimplemented,
        Verdict::WrongCode,
        Verdict::Unclean,
        Verdict::FailedByClient,
        Verdict::Failed,
    ];

    /// Parses a verdict string; unknown strings become [`Verdict::Other`].
    pub fn parse(s: &str) -> Verdict {
        match s {
            "OK" => Verdict::Ok,
            "NON-STRICT" => Verdict::NonStrict,
            "INFORMATIONAL" => Verdict::Informational,
            "UNIMPLEMENTED" => Verdict::Unimplemented,
            "FAILED" => Verdict::Failed,
            "WRONG CODE" => Verdict::WrongCode,
            "UNCLEAN" => Verdict::Unclean,
            "FAILED BY CLIENT" => Verdict::FailedByClient,
            other => Verdict::Other(other.to_owned()),
        }
    }

    /// The verdict as wstest writes it.
    pub fn as_str(&self) -> &str {
        match self {
            Verdict::Ok => "OK",
            Verdict::NonStrict => "NON-STRICT",
            Verdict::Informational => "INFORMATIONAL",
            Verdict::Unimplemented => "UNIMPLEMENTED",
            Verdict::Failed => "FAILED",
            Verdict::WrongCode => "WRONG CODE",
            Verdict::Unclean => "UNCLEAN",
            Verdict::FailedByClient => "FAILED BY CLIENT",
            Verdict::Other(s) => s,
        }
    }

    /// How bad the verdict is, for "did it get worse": 0 for OK and INFORMATIONAL, then
    /// NON-STRICT, UNIMPLEMENTED, the close failures (WRONG CODE, UNCLEAN, FAILED BY
    /// CLIENT), and FAILED or an unknown string as the worst.
    pub fn severity(&self) -> u8 {
        match self {
            Verdict::Ok | Verdict::Informational => 0,
            Verdict::NonStrict => 1,
            Verdict::Unimplemented => 2,
            Verdict::WrongCode | Verdict::Unclean | Verdict::FailedByClient => 3,
            Verdict::Failed | Verdict::Other(_) => 4,
        }
    }

    /// A short CSS-safe name (`ok`, `non-strict`, …; `other` for unknown strings).
    pub fn css_class(&self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::NonStrict => "non-strict",
            Verdict::Informational => "informational",
            Verdict::Unimplemented => "unimplemented",
            Verdict::Failed => "failed",
            Verdict::WrongCode => "wrong-code",
            Verdict::Unclean => "unclean",
            Verdict::FailedByClient => "failed-by-client",
            Verdict::Other(_) => "other",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `FAILED`: wstest's starting value for both verdicts, and what a missing verdict means.
impl Default for Verdict {
    fn default() -> Self {
        Verdict::Failed
    }
}

impl From<&str> for Verdict {
    fn from(s: &str) -> Self {
        Verdict::parse(s)
    }
}

impl Serialize for Verdict {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Verdict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Ok(Verdict::parse(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_verdicts_round_trip_through_their_strings() {
        for v in Verdict::KNOWN {
            assert_eq!(Verdict::parse(v.as_str()), v);
        }
    }

    #[test]
    fn unknown_verdict_strings_are_kept_verbatim() {
        let v = Verdict::parse("NO_CLOSE");
        assert_eq!(v, Verdict::Other("NO_CLOSE".into()));
        assert_eq!(v.as_str(), "NO_CLOSE");
        assert_eq!(v.severity(), Verdict::Failed.severity());
    }

    #[test]
    fn verdict_strings_are_case_sensitive_like_wstest() {
        assert_eq!(Verdict::parse("ok"), Verdict::Other("ok".into()));
    }

    #[test]
    fn severity_orders_ok_below_non_strict_below_failed() {
        assert!(Verdict::Ok.severity() < Verdict::NonStrict.severity());
        assert!(Verdict::NonStrict.severity() < Verdict::Unimplemented.severity());
        assert!(Verdict::Unimplemented.severity() < Verdict::WrongCode.severity());
        assert!(Verdict::WrongCode.severity() < Verdict::Failed.severity());
        assert_eq!(Verdict::Ok.severity(), Verdict::Informational.severity());
    }
}
