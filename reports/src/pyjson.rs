//! JSON text exactly as wstest writes it: Python 2 `json.dumps(obj, sort_keys=True,
//! indent=3, separators=(',', ': '))`.
//!
//! That means: keys sorted as strings, except the maps Python held with integer keys
//! (octet and frame statistics), which sort numerically; three-space indent; empty
//! containers as `[]`/`{}`; every character outside printable ASCII escaped as
//! `\uXXXX` (lower-case hex, surrogate pairs above U+FFFF); floats in Python's `repr`
//! form; no trailing newline.

use serde_json::{Number, Value};

/// Object keys whose maps wstest holds with integer keys.
const INTEGER_KEYED: [&str; 4] = [
    "rxFrameStats",
    "txFrameStats",
    "rxOctetStats",
    "txOctetStats",
];

/// Renders `value` as Python's `json.dumps(value, sort_keys=True, indent=3,
/// separators=(',', ': '))` would.
pub fn to_python_json(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0, false);
    out
}

fn indent(out: &mut String, level: usize) {
    out.push('\n');
    for _ in 0..level * 3 {
        out.push(' ');
    }
}

fn write_value(out: &mut String, value: &Value, level: usize, integer_keys: bool) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(out, level + 1);
                write_value(out, item, level + 1, false);
            }
            indent(out, level);
            out.push(']');
        }
        Value::Object(map) => {
            if map.is_empty() {
                out.push_str("{}");
                return;
            }
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            if integer_keys {
                entries.sort_by(
                    |(a, _), (b, _)| match (a.parse::<i128>(), b.parse::<i128>()) {
                        (Ok(x), Ok(y)) => x.cmp(&y),
                        _ => a.cmp(b),
                    },
                );
            } else {
                // Python 2 compares unicode keys by code point, as Rust compares `str`.
                entries.sort_by_key(|(k, _)| *k);
            }
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(out, level + 1);
                write_string(out, key);
                out.push_str(": ");
                write_value(out, item, level + 1, INTEGER_KEYED.contains(&key.as_str()));
            }
            indent(out, level);
            out.push('}');
        }
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

fn write_number(out: &mut String, n: &Number) {
    if n.is_f64() {
        match n.as_f64() {
            Some(f) => out.push_str(&python_float_repr(f)),
            None => out.push_str(&n.to_string()),
        }
    } else {
        out.push_str(&n.to_string());
    }
}

/// Python's `repr(float)`: the shortest digits that round-trip, in positional notation
/// when the decimal exponent is in -4..16, else `d.ddde+XX`; a whole number gets `.0`.
pub fn python_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // Rust's `{:e}` prints the shortest round-trip digits: "4.2662116040955633e-1".
    let sci = format!("{:e}", f.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if f < 0.0 { "-" } else { "" };
    // Python's decpt: position of the decimal point relative to the digit string.
    let decpt = exponent + 1;
    let body = if decpt <= -4 || decpt > 16 {
        let (first, rest) = digits.split_at(1);
        let mantissa = if rest.is_empty() {
            first.to_owned()
        } else {
            format!("{first}.{rest}")
        };
        let esign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{esign}{:02}", exponent.abs())
    } else if decpt <= 0 {
        format!("0.{}{}", "0".repeat((-decpt) as usize), digits)
    } else if decpt as usize >= digits.len() {
        format!("{}{}.0", digits, "0".repeat(decpt as usize - digits.len()))
    } else {
        let (int, frac) = digits.split_at(decpt as usize);
        format!("{int}.{frac}")
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_print_like_python_repr() {
        let cases = [
            (0.293, "0.293"),
            (0.42662116040955633, "0.42662116040955633"),
            (1.0, "1.0"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.25e-7, "1.25e-07"),
            (-2.5, "-2.5"),
            (123.456, "123.456"),
            (0.0, "0.0"),
        ];
        for (f, want) in cases {
            assert_eq!(python_float_repr(f), want, "{f}");
        }
    }

    #[test]
    fn non_ascii_is_escaped_with_lower_case_hex_and_surrogates() {
        assert_eq!(
            to_python_json(&json!("µ\u{7f}\u{1F600}\u{1}")),
            r#""\u00b5\u007f\ud83d\ude00\u0001""#
        );
        assert_eq!(
            to_python_json(&json!("a\"b\\c\r\n\t")),
            r#""a\"b\\c\r\n\t""#
        );
    }

    #[test]
    fn objects_sort_keys_as_strings_with_three_space_indent() {
        let v = json!({"2.1": {"b": [], "a": {}}, "10.1.1": [1, true, null]});
        assert_eq!(
            to_python_json(&v),
            "{\n   \"10.1.1\": [\n      1,\n      true,\n      null\n   ],\n   \"2.1\": {\n      \"a\": {},\n      \"b\": []\n   }\n}"
        );
    }

    #[test]
    fn statistics_maps_sort_numerically() {
        let v = json!({"rxOctetStats": {"197": 1, "2": 1, "4": 1}, "other": {"197": 1, "2": 1}});
        let text = to_python_json(&v);
        let stats = text.find("\"2\": 1,\n      \"4\"").expect(&text);
        assert!(stats > text.find("rxOctetStats").unwrap());
        assert!(
            text.contains("\"other\": {\n      \"197\": 1,\n      \"2\": 1\n   }"),
            "{text}"
        );
    }
}
