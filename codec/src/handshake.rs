//! The opening handshake (RFC 6455 §4): HTTP/1.1 Upgrade request and response.

/// One extension in a `Sec-WebSocket-Extensions` header (RFC 6455 §9.1), with its
/// parameters in the order written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionOffer {
    /// The extension token, e.g. `permessage-deflate`.
    pub name: String,
    /// Parameters, e.g. `client_max_window_bits` (no value) or `server_max_window_bits=10`.
    pub params: Vec<ExtensionParam>,
}

/// One `name[=value]` parameter of an extension. A quoted-string value is stored
/// unquoted and unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionParam {
    /// Parameter name.
    pub name: String,
    /// Parameter value, if any.
    pub value: Option<String>,
}

/// Why a `Sec-WebSocket-Extensions` header value is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed Sec-WebSocket-Extensions header: {0} (RFC 6455 §9.1)")]
pub struct ExtensionSyntaxError(pub String);

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn token(s: &str, what: &str) -> Result<String, ExtensionSyntaxError> {
    if !s.is_empty() && s.chars().all(is_tchar) {
        Ok(s.to_owned())
    } else {
        Err(ExtensionSyntaxError(format!("{what} {s:?} is not an HTTP token")))
    }
}

/// Parses a `Sec-WebSocket-Extensions` value:
/// `extension-list = 1#( token *( ";" token [ "=" ( token / quoted-string ) ] ) )`.
/// A quoted value must itself be a token once unescaped (§9.1).
pub fn parse_extensions(value: &str) -> Result<Vec<ExtensionOffer>, ExtensionSyntaxError> {
    let mut offers = Vec::new();
    for item in split_outside_quotes(value, ',') {
        let item = item.trim();
        if item.is_empty() {
            // `#rule` allows empty list elements (RFC 7230 §7).
            continue;
        }
        let mut parts = split_outside_quotes(item, ';').into_iter();
        let name = token(parts.next().unwrap_or("").trim(), "extension name")?;
        let mut params = Vec::new();
        for part in parts {
            let part = part.trim();
            let (pname, pvalue) = match part.split_once('=') {
                None => (part, None),
                Some((n, v)) => (n.trim(), Some(v.trim())),
            };
            let pname = token(pname, "parameter name")?;
            let value = match pvalue {
                None => None,
                Some(v) if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') => {
                    let unescaped = unescape_quoted(&v[1..v.len() - 1])?;
                    Some(token(&unescaped, "quoted parameter value")?)
                }
                Some(v) => Some(token(v, "parameter value")?),
            };
            params.push(ExtensionParam { name: pname, value });
        }
        offers.push(ExtensionOffer { name, params });
    }
    if offers.is_empty() {
        return Err(ExtensionSyntaxError("no extension in the list".into()));
    }
    Ok(offers)
}

fn unescape_quoted(s: &str) -> Result<String, ExtensionSyntaxError> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e) => out.push(e),
                None => return Err(ExtensionSyntaxError("dangling escape in quoted value".into())),
            },
            '"' => return Err(ExtensionSyntaxError("unescaped quote in quoted value".into())),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Splits on `sep` where it is not inside a quoted-string.
fn split_outside_quotes(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            parts.push(&s[start..i]);
            start = i + 1;
        }
    }
    parts.push(&s[start..]);
    parts
}

impl std::fmt::Display for ExtensionOffer {
    /// Formats as it is written in the header: `name; p1; p2=v`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)?;
        for p in &self.params {
            match &p.value {
                None => write!(f, "; {}", p.name)?,
                Some(v) => write!(f, "; {}={}", p.name, v)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_9_1_extension_list_with_params() {
        let offers = parse_extensions(
            "permessage-deflate; client_no_context_takeover; server_max_window_bits=\"10\", x-foo",
        )
        .unwrap();
        assert_eq!(offers.len(), 2);
        assert_eq!(offers[0].name, "permessage-deflate");
        assert_eq!(offers[0].params[0].name, "client_no_context_takeover");
        assert_eq!(offers[0].params[0].value, None);
        assert_eq!(offers[0].params[1].value.as_deref(), Some("10"));
        assert_eq!(offers[1].name, "x-foo");
        assert_eq!(
            offers[0].to_string(),
            "permessage-deflate; client_no_context_takeover; server_max_window_bits=10"
        );
    }

    #[test]
    fn rfc6455_9_1_rejects_non_token_names() {
        assert!(parse_extensions("permessage deflate").is_err());
        assert!(parse_extensions("a; b=\"c d\"").is_err());
        assert!(parse_extensions("").is_err());
    }
}
