//! The HTTP side of the fuzzing server: reading a client's opening handshake within a
//! deadline and a size limit, reading the request target's path and query as wstest
//! does (Python's `urlparse` + `parse_qs`), and the plain answers that refuse a request.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use wsspec_codec::handshake::{reject_response, HandshakeError, RequestParser};
use wsspec_codec::Limits;

use crate::runner::fuzzer::utc_now;
use crate::runner::Opening;

/// Why no opening handshake could be read.
#[derive(Debug)]
pub enum ReadError {
    /// The client closed, broke the connection or was too slow: nothing to answer.
    Gone,
    /// The request breaks RFC 6455 §4.2.1; the answer to send says which rule.
    Invalid(HandshakeError),
}

/// Reads the opening handshake: the request head (at most `limits.max_handshake`
/// octets) within `within`, each read kept for the wire log.
pub async fn read_opening<S: AsyncRead + Unpin>(
    stream: &mut S,
    limits: &Limits,
    within: Duration,
) -> Result<Opening, ReadError> {
    let mut parser = RequestParser::new(limits);
    let mut reads: Vec<Vec<u8>> = Vec::new();
    let mut started = None;
    let read = async {
        let mut buf = vec![0u8; 4096];
        loop {
            let n = match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return Err(ReadError::Gone),
                Ok(n) => n,
            };
            started.get_or_insert_with(utc_now);
            reads.push(buf[..n].to_vec());
            match parser.feed(&buf[..n]) {
                Ok(Some((request, rest))) => return Ok((request, rest)),
                Ok(None) => {}
                Err(e) => return Err(ReadError::Invalid(e)),
            }
        }
    };
    let (request, rest) = tokio::time::timeout(within, read)
        .await
        .map_err(|_| ReadError::Gone)??;
    Ok(Opening {
        request,
        reads,
        rest,
        started: started.unwrap_or_else(utc_now),
    })
}

/// The request target split as wstest reads it: the path, and the query parameters
/// percent-decoded (`+` is a space), those with an empty value left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The path, `/runCase`.
    pub path: String,
    params: Vec<(String, String)>,
}

impl Target {
    /// Splits `target` (`/runCase?case=1&agent=x`, or an absolute `ws://host/…` URI).
    pub fn parse(target: &str) -> Result<Target, String> {
        if target.contains('#') {
            return Err(format!(
                "HTTP requested resource contains a fragment identifier '{target}'"
            ));
        }
        // An absolute URI: keep what follows the authority.
        let relative = match target.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
            None => target,
        };
        let (path, query) = relative.split_once('?').unwrap_or((relative, ""));
        let mut params = Vec::new();
        for pair in query.split(['&', ';']).filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(value);
            if !value.is_empty() {
                params.push((percent_decode(name), value));
            }
        }
        Ok(Target {
            path: percent_decode(path),
            params,
        })
    }

    /// The value of parameter `name`; an error if it is given more than once (wstest
    /// refuses "multiple agents specified" and the like).
    pub fn param(&self, name: &str) -> Result<Option<&str>, String> {
        let mut values = self.params.iter().filter(|(n, _)| n == name);
        let first = values.next().map(|(_, v)| v.as_str());
        if values.next().is_some() {
            return Err(format!("parameter '{name}' given more than once"));
        }
        Ok(first)
    }
}

/// `%XX` and `+` decoded; invalid UTF-8 replaced.
fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes.get(i..i + 3) {
            Some([b'%', hi, lo]) => hex(*hi).zip(hex(*lo)).map(|(h, l)| h << 4 | l),
            _ => None,
        };
        match (escaped, bytes[i]) {
            (Some(b), _) => {
                out.push(b);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, b) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A plain HTTP answer refusing the request (`status` with a one-line reason as body).
pub fn refusal(status: u16, reason: &str) -> Vec<u8> {
    let phrase = match status {
        400 => "Bad Request",
        404 => "Not Found",
        503 => "Service Unavailable",
        _ => "Error",
    };
    let body = format!("{reason}\n");
    format!(
        "HTTP/1.1 {status} {phrase}\r\nServer: {}\r\nConnection: close\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
        concat!("wsspec/", env!("CARGO_PKG_VERSION")),
        body.len()
    )
    .into_bytes()
}

/// The answer to a request that is not a valid opening handshake (RFC 6455 §4.2.1).
pub fn invalid_handshake(error: &HandshakeError) -> Vec<u8> {
    reject_response(error)
}

/// Writes `answer` and closes, within `within`.
pub async fn answer_and_close<S: AsyncWrite + Unpin>(
    stream: &mut S,
    answer: &[u8],
    within: Duration,
) {
    let _ = tokio::time::timeout(within, async {
        let _ = stream.write_all(answer).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_decode_like_pythons_parse_qs() {
        let t = Target::parse("/runCase?case=12&agent=my%20client+1&empty=").unwrap();
        assert_eq!(t.path, "/runCase");
        assert_eq!(t.param("case").unwrap(), Some("12"));
        assert_eq!(t.param("agent").unwrap(), Some("my client 1"));
        // Blank values count as absent, as parse_qs drops them.
        assert_eq!(t.param("empty").unwrap(), None);
        assert_eq!(t.param("missing").unwrap(), None);
    }

    #[test]
    fn a_repeated_parameter_is_an_error() {
        let t = Target::parse("/runCase?agent=a&agent=b").unwrap();
        assert!(t.param("agent").is_err());
    }

    #[test]
    fn absolute_targets_and_fragments() {
        let t = Target::parse("ws://127.0.0.1:9001/getCaseCount").unwrap();
        assert_eq!(t.path, "/getCaseCount");
        assert!(Target::parse("/getCaseCount#x").is_err());
    }

    #[test]
    fn malformed_percent_escapes_are_kept_and_never_panic() {
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%e2%82%ac"), "€");
    }
}
