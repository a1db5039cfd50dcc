//! Case ids (`"6.4.1"`) and the sections they belong to.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A case id such as `1.1.1` or `6.4.1`.
///
/// Ordered like the catalog: by the numeric value of each dot-separated part, so
/// `2.10` sorts after `2.9` and `10.1.1` after `9.8.6` (wstest sorts by integer tuple
/// too). Parts that are not numbers (wsspec's own sections may use them) sort after
/// numeric ones, by their text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CaseId(String);

impl CaseId {
    /// A case id from its text.
    pub fn new(id: impl Into<String>) -> CaseId {
        CaseId(id.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The top-level section: the text before the first dot (`"6"` for `6.4.1`).
    pub fn section(&self) -> &str {
        self.0.split('.').next().unwrap_or("")
    }

    /// The id with dots replaced by underscores, as in wstest's report file names.
    pub fn file_stem(&self) -> String {
        self.0.replace('.', "_")
    }
}

fn compare_parts(a: &str, b: &str) -> Ordering {
    let mut left = a.split('.');
    let mut right = b.split('.');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let order = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(p), Ok(q)) => p.cmp(&q).then_with(|| x.cmp(y)),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

impl Ord for CaseId {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_parts(&self.0, &other.0)
    }
}

impl PartialOrd for CaseId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for CaseId {
    fn from(s: &str) -> Self {
        CaseId::new(s)
    }
}

impl Serialize for CaseId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CaseId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(CaseId)
    }
}

/// The title Autobahn gives a top-level section (or wsspec, for its own sections 100–105),
/// or `None` for a section neither has.
pub fn section_title(section: &str) -> Option<&'static str> {
    Some(match section {
        "1" => "Framing",
        "2" => "Pings/Pongs",
        "3" => "Reserved Bits",
        "4" => "Opcodes",
        "5" => "Fragmentation",
        "6" => "UTF-8 Handling",
        "7" => "Close Handling",
        "9" => "Limits/Performance",
        "10" => "Misc",
        "12" => "WebSocket Compression (different payloads)",
        "13" => "WebSocket Compression (different parameters)",
        // wsspec's own sections (numbered from 100 so they never collide).
        "100" => "Opening Handshake (server)",
        "101" => "Opening Handshake (client)",
        "102" => "Fail-fast UTF-8",
        "103" => "Limits and Bombs",
        "104" => "Split Delivery",
        "105" => "Hixie-76 (draft-76)",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_numeric_parts_like_the_catalog() {
        let mut ids: Vec<CaseId> = [
            "2.10", "10.1.1", "2.9", "1.1.1", "12.1.1", "9.8.6", "1.1.10", "1.1.2",
        ]
        .into_iter()
        .map(CaseId::from)
        .collect();
        ids.sort();
        let sorted: Vec<&str> = ids.iter().map(CaseId::as_str).collect();
        assert_eq!(
            sorted,
            ["1.1.1", "1.1.2", "1.1.10", "2.9", "2.10", "9.8.6", "10.1.1", "12.1.1"]
        );
    }

    #[test]
    fn a_prefix_sorts_before_its_extensions() {
        assert!(CaseId::from("6.4") < CaseId::from("6.4.1"));
    }

    #[test]
    fn non_numeric_parts_sort_after_numeric_ones() {
        assert!(CaseId::from("13.7.18") < CaseId::from("H.1"));
        assert!(CaseId::from("H.1") < CaseId::from("H.2"));
    }

    #[test]
    fn section_is_the_first_part() {
        assert_eq!(CaseId::from("6.4.1").section(), "6");
        assert_eq!(CaseId::from("10.1.1").section(), "10");
        assert_eq!(CaseId::from("2").section(), "2");
    }

    #[test]
    fn file_stem_replaces_dots() {
        assert_eq!(CaseId::from("6.4.1").file_stem(), "6_4_1");
    }

    #[test]
    fn autobahn_sections_have_titles() {
        assert_eq!(section_title("6"), Some("UTF-8 Handling"));
        assert_eq!(section_title("8"), None);
    }

    #[test]
    fn wsspec_sections_have_titles() {
        assert_eq!(section_title("100"), Some("Opening Handshake (server)"));
        assert_eq!(section_title("105"), Some("Hixie-76 (draft-76)"));
        assert_eq!(section_title("106"), None);
    }
}
