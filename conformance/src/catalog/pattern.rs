//! Case selection by wstest's patterns.
//!
//! A pattern without `*` is an exact id. With `*`, `*` matches any run of characters,
//! everything else (the dots included) matches itself, and the pattern is anchored at
//! the start only, as wstest's `re.match` is: `6.1*` selects 6.1.x and 6.10–6.19, and
//! `1*` selects 1.x, 10.x, 12.x and 13.x. Unlike wstest, a pattern that selects nothing
//! is an error rather than a crash (exact ids) or a silent empty run (wildcards).

use thiserror::Error;

use super::Case;

/// A case-selection pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CasePattern(String);

/// A pattern that selects nothing.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PatternError {
    /// An exact id the catalog lacks.
    #[error("no case has the id {0:?} (see `wsspec cases`)")]
    UnknownCase(String),
    /// A wildcard pattern that matches no id.
    #[error("the pattern {0:?} matches no case (see `wsspec cases`)")]
    NoMatch(String),
    /// An empty pattern.
    #[error("an empty case pattern selects nothing")]
    Empty,
}

impl CasePattern {
    /// A pattern from its text.
    pub fn new(text: impl Into<String>) -> CasePattern {
        CasePattern(text.into())
    }

    /// The pattern's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `id` is selected.
    pub fn matches(&self, id: &str) -> bool {
        if self.0.contains('*') {
            prefix_glob(self.0.as_bytes(), id.as_bytes())
        } else {
            self.0 == id
        }
    }
}

/// Whether `pattern` (where `*` matches any run) matches some prefix of `text`.
fn prefix_glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => true,
        Some((b'*', rest)) => (0..=text.len()).any(|skip| prefix_glob(rest, &text[skip..])),
        Some((&c, rest)) => text.first() == Some(&c) && prefix_glob(rest, &text[1..]),
    }
}

/// The cases of `catalog` selected by `include` (all when empty) minus those selected by
/// `exclude`, in catalog order. Every pattern must select at least one case.
pub fn select<'a>(
    catalog: &'a [Case],
    include: &[CasePattern],
    exclude: &[CasePattern],
) -> Result<Vec<&'a Case>, PatternError> {
    for pattern in include.iter().chain(exclude) {
        if pattern.0.is_empty() {
            return Err(PatternError::Empty);
        }
        if !catalog.iter().any(|case| pattern.matches(case.id.as_str())) {
            return Err(if pattern.0.contains('*') {
                PatternError::NoMatch(pattern.0.clone())
            } else {
                PatternError::UnknownCase(pattern.0.clone())
            });
        }
    }
    Ok(catalog
        .iter()
        .filter(|case| {
            let id = case.id.as_str();
            (include.is_empty() || include.iter().any(|p| p.matches(id)))
                && !exclude.iter().any(|p| p.matches(id))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> CasePattern {
        CasePattern::new(text)
    }

    #[test]
    fn an_id_without_a_star_is_exact() {
        assert!(p("6.1.1").matches("6.1.1"));
        assert!(!p("6.1").matches("6.1.1"));
        assert!(!p("6.1.1").matches("6.1.10"));
    }

    #[test]
    fn a_star_pattern_is_anchored_at_the_start_only_as_in_wstest() {
        assert!(p("6.1*").matches("6.1.3"));
        assert!(p("6.1*").matches("6.10.2"));
        assert!(p("1*").matches("13.7.18"));
        assert!(p("1*").matches("10.1.1"));
        assert!(!p("1*").matches("2.1"));
        assert!(p("*").matches("9.8.6"));
        assert!(p("12.*.1").matches("12.3.1"));
        // Anchored at the start only: the pattern may stop before the id does.
        assert!(p("12.*.1").matches("12.3.18"));
    }

    #[test]
    fn dots_are_literal() {
        assert!(!p("6x1*").matches("6.1.1"));
        assert!(!p("6.1*").matches("611"));
    }
}
