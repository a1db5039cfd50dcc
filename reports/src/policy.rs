//! Gate policies: which verdicts pass.
//!
//! * `strict` passes `OK` and `INFORMATIONAL`;
//! * `lenient` also passes `NON-STRICT`;
//! * `UNIMPLEMENTED` passes only if the baseline says so: the baseline (or base run)
//!   recorded `UNIMPLEMENTED` for that case too, or lists it in the case's `accept`;
//! * any verdict in the baseline case's `accept` list passes.
//!
//! A case passes when both its `behavior` and its `behaviorClose` pass.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::model::CaseResult;
use crate::verdict::Verdict;

/// Which verdicts pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    /// Only `OK` and `INFORMATIONAL`.
    #[default]
    Strict,
    /// `OK`, `INFORMATIONAL` and `NON-STRICT`.
    Lenient,
}

impl Policy {
    /// Whether the policy alone passes `verdict`.
    pub fn passes(self, verdict: &Verdict) -> bool {
        match verdict {
            Verdict::Ok | Verdict::Informational => true,
            Verdict::NonStrict => self == Policy::Lenient,
            _ => false,
        }
    }

    /// Whether `verdict` passes for a case whose expectation is `baseline` (the same
    /// field of the baseline or base run, and that case's `accept` list).
    fn passes_against(
        self,
        verdict: &Verdict,
        baseline_verdict: Option<&Verdict>,
        accept: &[Verdict],
    ) -> bool {
        self.passes(verdict)
            || accept.contains(verdict)
            || (*verdict == Verdict::Unimplemented
                && baseline_verdict == Some(&Verdict::Unimplemented))
    }

    /// Whether `case` passes, judged against `baseline` when there is one.
    pub fn case_passes(self, case: &CaseResult, baseline: Option<&CaseResult>) -> bool {
        let accept = baseline.map_or(&case.accept[..], |b| &b.accept[..]);
        self.passes_against(&case.behavior, baseline.map(|b| &b.behavior), accept)
            && self.passes_against(
                &case.behavior_close,
                baseline.map(|b| &b.behavior_close),
                accept,
            )
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Policy::Strict => "strict",
            Policy::Lenient => "lenient",
        })
    }
}

impl FromStr for Policy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "strict" => Ok(Policy::Strict),
            "lenient" => Ok(Policy::Lenient),
            other => Err(format!(
                "unknown policy {other:?} (expected strict or lenient)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(b: &str, c: &str) -> CaseResult {
        CaseResult::new(Verdict::parse(b), Verdict::parse(c))
    }

    #[test]
    fn strict_passes_only_ok_and_informational() {
        assert!(Policy::Strict.case_passes(&case("OK", "OK"), None));
        assert!(Policy::Strict.case_passes(&case("INFORMATIONAL", "INFORMATIONAL"), None));
        assert!(!Policy::Strict.case_passes(&case("NON-STRICT", "OK"), None));
        assert!(!Policy::Strict.case_passes(&case("OK", "WRONG CODE"), None));
    }

    #[test]
    fn lenient_also_passes_non_strict() {
        assert!(Policy::Lenient.case_passes(&case("NON-STRICT", "OK"), None));
        assert!(!Policy::Lenient.case_passes(&case("FAILED", "OK"), None));
        assert!(!Policy::Lenient.case_passes(&case("OK", "UNCLEAN"), None));
    }

    #[test]
    fn both_verdicts_must_pass() {
        assert!(!Policy::Lenient.case_passes(&case("OK", "FAILED BY CLIENT"), None));
        assert!(!Policy::Lenient.case_passes(&case("FAILED", "OK"), None));
    }

    #[test]
    fn unimplemented_passes_only_if_the_baseline_says_so() {
        let current = case("UNIMPLEMENTED", "OK");
        assert!(!Policy::Lenient.case_passes(&current, None));
        assert!(!Policy::Lenient.case_passes(&current, Some(&case("OK", "OK"))));
        assert!(Policy::Strict.case_passes(&current, Some(&case("UNIMPLEMENTED", "OK"))));
        let mut accepting = case("OK", "OK");
        accepting.accept = vec![Verdict::Unimplemented];
        assert!(Policy::Strict.case_passes(&current, Some(&accepting)));
    }

    #[test]
    fn a_baseline_accept_list_passes_its_verdicts() {
        let mut baseline = case("OK", "OK");
        baseline.accept = vec![Verdict::NonStrict, Verdict::WrongCode];
        assert!(Policy::Strict.case_passes(&case("NON-STRICT", "WRONG CODE"), Some(&baseline)));
        assert!(!Policy::Strict.case_passes(&case("FAILED", "OK"), Some(&baseline)));
    }

    #[test]
    fn unknown_verdicts_never_pass_unless_accepted() {
        let current = case("NO_CLOSE", "OK");
        assert!(!Policy::Lenient.case_passes(&current, None));
        let mut baseline = case("NO_CLOSE", "OK");
        assert!(!Policy::Lenient.case_passes(&current, Some(&baseline)));
        baseline.accept = vec![Verdict::parse("NO_CLOSE")];
        assert!(Policy::Lenient.case_passes(&current, Some(&baseline)));
    }

    #[test]
    fn policies_parse_from_their_names() {
        assert_eq!("strict".parse::<Policy>(), Ok(Policy::Strict));
        assert_eq!("lenient".parse::<Policy>(), Ok(Policy::Lenient));
        assert!("loose".parse::<Policy>().is_err());
    }
}
