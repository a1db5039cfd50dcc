//! The opening handshake (RFC 6455 §4): HTTP/1.1 Upgrade request and response.
//!
//! Sans-I/O: bytes in, typed values out; values in, bytes out. Nothing here reads a
//! socket or a clock.
//!
//! # Server side
//!
//! [`parse_request`] takes everything received so far and returns [`Parsed::Partial`]
//! until the head's closing CRLF CRLF has arrived, then the validated [`Request`] and
//! the head length; bytes after the head are not consumed. A server that also speaks
//! hixie-76 parses the neutral [`RequestHead`] first ([`parse_request_head`]), routes
//! it with [`is_hixie76_request`], and validates the rest with [`Request::from_head`].
//! Every rejection is a [`HandshakeError`]; [`reject_response`] turns it into the HTTP
//! answer (status from [`HandshakeError::status`]), and [`accept_response`] builds the
//! `101`, with [`select_protocol`] choosing a subprotocol the client offered.
//!
//! # Client side
//!
//! [`ClientRequest::to_bytes`] writes the request; [`parse_response`] checks the answer
//! against it (RFC 6455 §4.1, the client's list of reasons to fail the connection).
//!
//! # Feeding bytes as they arrive
//!
//! [`parse_request`] and [`parse_response`] are pure functions of the whole buffer, so
//! each call rescans it: calling them after every small read is quadratic in the head
//! size (bounded by [`Limits::max_handshake`], but still wasteful). For reads of any
//! size use [`RequestParser`] / [`ResponseParser`] (or the underlying [`HeadBuffer`]),
//! which own the buffer and resume the search for CRLF CRLF where the previous read
//! stopped, so the work is linear in the bytes received; or pass the scanned length
//! to [`find_head_end`] yourself.
//!
//! No head is buffered beyond [`Limits::max_handshake`] bytes: a head that has not
//! ended by then is [`HandshakeError::HeadTooLarge`].
//!
//! # Strictness
//!
//! Lines must end in CRLF (RFC 7230 §3): a head terminated by bare LFs is never
//! complete and one containing a bare LF is malformed. Obsolete line folding is
//! rejected. Header names match case-insensitively, values as the RFC says for each.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use sha1::{Digest, Sha1};

use crate::Limits;

/// The GUID appended to `Sec-WebSocket-Key` before hashing (RFC 6455 §1.3, §4.2.2).
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The only protocol version RFC 6455 defines (§4.1, §11.6).
pub const VERSION: &str = "13";

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64(SHA-1(key + GUID))
/// (RFC 6455 §1.3, §4.2.2 item 5.4). `key` is used exactly as sent, without trimming.
pub fn accept_key(key: &str) -> String {
    let mut sha1 = Sha1::new();
    sha1.update(key.as_bytes());
    sha1.update(GUID.as_bytes());
    BASE64.encode(sha1.finalize())
}

/// A fresh `Sec-WebSocket-Key`: 16 random bytes, base64-encoded (RFC 6455 §4.1 item 7).
pub fn generate_key() -> String {
    key_from_nonce(rand::random())
}

/// The `Sec-WebSocket-Key` for a given 16-byte nonce; for tests and reproducible runs.
pub fn key_from_nonce(nonce: [u8; 16]) -> String {
    BASE64.encode(nonce)
}

/// The outcome of parsing a head from the bytes received so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<T> {
    /// A whole head, and its length in bytes (CRLF CRLF included). Bytes after it
    /// belong to whatever follows the head (WebSocket frames, a hixie-76 key).
    Complete(T, usize),
    /// The head has not ended yet; call again with more bytes.
    Partial,
}

/// Why an opening handshake is rejected. Each variant is one rule and says which
/// header broke it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// The head did not end (CRLF CRLF) within [`Limits::max_handshake`] bytes.
    #[error("opening handshake head exceeds {limit} bytes without ending in CRLF CRLF (Limits::max_handshake)")]
    HeadTooLarge {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// The head is not well-formed HTTP/1.1 (httparse's complaint, or a bare LF).
    #[error("malformed HTTP head: {0} (RFC 7230 §3)")]
    Malformed(String),
    /// RFC 6455 §4.2.1 item 1: the opening handshake is a GET request.
    #[error("request method {0} is not GET (RFC 6455 §4.2.1 item 1)")]
    MethodNotGet(String),
    /// RFC 6455 §4.2.1 item 1 / §4.1: HTTP/1.1 or higher. Carries the minor version.
    #[error("HTTP/1.{0} is not supported: the opening handshake must be HTTP/1.1 (RFC 6455 §4.2.1 item 1, §4.1)")]
    HttpVersion(u8),
    /// RFC 6455 §4.2.1 item 2.
    #[error("Host header is missing (RFC 6455 §4.2.1 item 2)")]
    MissingHost,
    /// A header that may appear only once appears several times.
    #[error("{name} header appears more than once ({rule})")]
    RepeatedHeader {
        /// The header name.
        name: &'static str,
        /// The rule that says it must be unique.
        rule: &'static str,
    },
    /// RFC 6455 §4.2.1 item 3.
    #[error("Upgrade header is missing; it must contain \"websocket\" (RFC 6455 §4.2.1 item 3)")]
    MissingUpgrade,
    /// RFC 6455 §4.2.1 item 3. Carries the header value(s) received.
    #[error("Upgrade: {0} does not contain \"websocket\" (RFC 6455 §4.2.1 item 3)")]
    UpgradeNotWebSocket(String),
    /// RFC 6455 §4.2.1 item 4.
    #[error("Connection header is missing; it must contain the token \"Upgrade\" (RFC 6455 §4.2.1 item 4)")]
    MissingConnection,
    /// RFC 6455 §4.2.1 item 4. Carries the header value(s) received.
    #[error("Connection: {0} does not contain the token \"Upgrade\" (RFC 6455 §4.2.1 item 4)")]
    ConnectionNotUpgrade(String),
    /// RFC 6455 §4.2.1 item 5.
    #[error("Sec-WebSocket-Key header is missing (RFC 6455 §4.2.1 item 5)")]
    MissingKey,
    /// RFC 6455 §4.2.1 item 5 / §4.1 item 7. Carries the value received.
    #[error(
        "Sec-WebSocket-Key: {0} is not the base64 encoding of 16 bytes (RFC 6455 §4.2.1 item 5)"
    )]
    InvalidKey(String),
    /// RFC 6455 §4.2.1 item 6. Also what a hixie-76 request yields (see
    /// [`is_hixie76_request`]).
    #[error("Sec-WebSocket-Version header is missing; only version 13 is supported (RFC 6455 §4.2.1 item 6, §4.4)")]
    MissingVersion,
    /// RFC 6455 §4.2.1 item 6 / §4.4. Carries the value received.
    #[error(
        "Sec-WebSocket-Version: {0} is not supported; only 13 is (RFC 6455 §4.2.1 item 6, §4.4)"
    )]
    UnsupportedVersion(String),
    /// RFC 6455 §4.1 item 10 / §11.3.4: subprotocols are a comma-separated list of tokens.
    #[error("Sec-WebSocket-Protocol: {0} is not a comma-separated list of tokens (RFC 6455 §4.1 item 10, §11.3.4)")]
    InvalidProtocol(String),
    /// RFC 6455 §9.1: extension header syntax.
    #[error("{0}")]
    InvalidExtensions(#[from] ExtensionSyntaxError),
    /// RFC 6455 §4.1 client item 1 / §4.2.2: the server did not answer 101.
    #[error("server answered {code} {reason} instead of 101 Switching Protocols (RFC 6455 §4.1, §4.2.2)")]
    UnexpectedStatus {
        /// The status code received.
        code: u16,
        /// The reason phrase received.
        reason: String,
    },
    /// RFC 6455 §4.1 client item 2. `None` when the header is missing.
    #[error("response Upgrade: {} is not \"websocket\" (RFC 6455 §4.1 client item 2)", shown(.0))]
    ResponseUpgrade(Option<String>),
    /// RFC 6455 §4.1 client item 3. `None` when the header is missing.
    #[error("response Connection: {} does not contain the token \"Upgrade\" (RFC 6455 §4.1 client item 3)", shown(.0))]
    ResponseConnection(Option<String>),
    /// RFC 6455 §4.1 client item 4: the accept value proves the server read our key.
    #[error("Sec-WebSocket-Accept: {} does not match the expected {expected} (RFC 6455 §4.1 client item 4)", shown(.found))]
    AcceptMismatch {
        /// accept_key(the key we sent).
        expected: String,
        /// What the server sent; `None` when the header is missing.
        found: Option<String>,
    },
    /// RFC 6455 §4.1 client item 5: the server may only accept offered extensions.
    #[error("Sec-WebSocket-Extensions: the server accepted {0}, which the client did not offer (RFC 6455 §4.1 client item 5)")]
    ExtensionNotOffered(String),
    /// RFC 6455 §4.1 client item 6: the server may only select an offered subprotocol.
    #[error("Sec-WebSocket-Protocol: the server selected {0:?}, which the client did not offer (RFC 6455 §4.1 client item 6)")]
    ProtocolNotOffered(String),
}

fn shown(value: &Option<String>) -> String {
    match value {
        Some(v) => format!("{v:?}"),
        None => "(missing)".to_owned(),
    }
}

impl HandshakeError {
    /// The HTTP status a server answers this rejection with.
    ///
    /// - `426 Upgrade Required` for a missing or unsupported `Sec-WebSocket-Version`
    ///   (RFC 6455 §4.2.2, §4.4), sent with `Sec-WebSocket-Version: 13`;
    /// - `431 Request Header Fields Too Large` for a head over the limit (RFC 6585 §5);
    /// - `405 Method Not Allowed` for a method other than GET (RFC 7231 §6.5.5), sent
    ///   with `Allow: GET`;
    /// - `400 Bad Request` for every other defect.
    ///
    /// Errors found in a *response* (client side) have nobody to answer; they map to 400.
    pub fn status(&self) -> u16 {
        match self {
            HandshakeError::MissingVersion | HandshakeError::UnsupportedVersion(_) => 426,
            HandshakeError::HeadTooLarge { .. } => 431,
            HandshakeError::MethodNotGet(_) => 405,
            _ => 400,
        }
    }
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        400 => "Bad Request",
        405 => "Method Not Allowed",
        426 => "Upgrade Required",
        431 => "Request Header Fields Too Large",
        _ => "Error",
    }
}

// ---------------------------------------------------------------------------------
// Finding and parsing the head

const HEAD_END: &[u8] = b"\r\n\r\n";

/// Looks for the CRLF CRLF that ends an HTTP head in `buf`.
///
/// `scanned` is how many bytes of `buf` an earlier call already searched (0 if none);
/// the search resumes just before that point, so calling this after every read is
/// linear overall. Returns the head length (terminator included) once found, `None`
/// while the head may still end within [`Limits::max_handshake`] bytes, and
/// [`HandshakeError::HeadTooLarge`] once it cannot. Only the first `max_handshake`
/// bytes are ever searched.
pub fn find_head_end(
    buf: &[u8],
    scanned: usize,
    limits: &Limits,
) -> Result<Option<usize>, HandshakeError> {
    let max = limits.max_handshake;
    let window = &buf[..buf.len().min(max)];
    let start = scanned.saturating_sub(HEAD_END.len() - 1).min(window.len());
    if let Some(i) = window[start..]
        .windows(HEAD_END.len())
        .position(|w| w == HEAD_END)
    {
        return Ok(Some(start + i + HEAD_END.len()));
    }
    if buf.len() >= max {
        Err(HandshakeError::HeadTooLarge { limit: max })
    } else {
        Ok(None)
    }
}

/// Rejects a bare LF anywhere in the head: HTTP/1.1 lines end in CRLF (RFC 7230 §3).
fn check_crlf(head: &[u8]) -> Result<(), HandshakeError> {
    match head
        .iter()
        .enumerate()
        .find(|&(i, &b)| b == b'\n' && (i == 0 || head[i - 1] != b'\r'))
    {
        Some((i, _)) => Err(HandshakeError::Malformed(format!(
            "bare LF at byte {i}; lines must end in CRLF"
        ))),
        None => Ok(()),
    }
}

/// One header slot per line is always enough, and is bounded by the head limit.
fn header_slots(head: &[u8]) -> Vec<httparse::Header<'static>> {
    let lines = head.iter().filter(|&&b| b == b'\n').count();
    vec![httparse::EMPTY_HEADER; lines]
}

fn own_headers(headers: &[httparse::Header<'_>]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|h| {
            (
                h.name.to_owned(),
                String::from_utf8_lossy(h.value).trim().to_owned(),
            )
        })
        .collect()
}

fn malformed(err: httparse::Error) -> HandshakeError {
    HandshakeError::Malformed(err.to_string())
}

fn incomplete() -> HandshakeError {
    HandshakeError::Malformed("no start line before the empty line".into())
}

/// Values of every header line called `name` (case-insensitive), in order.
fn values<'a>(
    headers: &'a [(String, String)],
    name: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The first value of header `name` (case-insensitive).
fn first<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// All lines of a list-valued header joined as one list (RFC 7230 §3.2.2).
fn joined(headers: &[(String, String)], name: &str) -> Option<String> {
    let mut lines = values(headers, name).peekable();
    lines.peek()?;
    Some(lines.collect::<Vec<_>>().join(", "))
}

/// The elements of a comma-separated list, trimmed, empty elements skipped
/// (RFC 7230 §7).
fn list_elements(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(',')
        .map(|e| e.trim_matches([' ', '\t']))
        .filter(|e| !e.is_empty())
}

fn list_contains(value: &str, token: &str) -> bool {
    list_elements(value).any(|e| e.eq_ignore_ascii_case(token))
}

/// The single value of a header that must appear at most once.
fn single<'a>(
    headers: &'a [(String, String)],
    name: &'static str,
    rule: &'static str,
) -> Result<Option<&'a str>, HandshakeError> {
    let mut lines = values(headers, name);
    let first = lines.next();
    if lines.next().is_some() {
        return Err(HandshakeError::RepeatedHeader { name, rule });
    }
    Ok(first)
}

/// A request head as HTTP sees it, before any WebSocket rule is applied. Both the
/// RFC 6455 validation ([`Request::from_head`]) and hixie-76 start from this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// The method, e.g. `GET`.
    pub method: String,
    /// The request target, e.g. `/chat?room=1`.
    pub path: String,
    /// The HTTP minor version: 1 for HTTP/1.1, 0 for HTTP/1.0.
    pub version: u8,
    /// Header lines in order, names as sent, values trimmed (bytes that are not UTF-8
    /// are replaced by U+FFFD).
    pub headers: Vec<(String, String)>,
    /// The head exactly as received, CRLF CRLF included.
    pub raw: Vec<u8>,
}

impl RequestHead {
    /// Parses one complete head, which must end in (and contain only one) CRLF CRLF,
    /// e.g. `&buf[..n]` for the `n` that [`find_head_end`] returned.
    pub fn parse(head: &[u8]) -> Result<RequestHead, HandshakeError> {
        check_crlf(head)?;
        let mut slots = header_slots(head);
        let mut req = httparse::Request::new(&mut slots);
        match req.parse(head).map_err(malformed)? {
            httparse::Status::Complete(n) if n == head.len() => {}
            httparse::Status::Complete(n) => {
                return Err(HandshakeError::Malformed(format!(
                    "head ends at byte {n} of {}",
                    head.len()
                )))
            }
            httparse::Status::Partial => return Err(incomplete()),
        }
        Ok(RequestHead {
            method: req.method.unwrap_or_default().to_owned(),
            path: req.path.unwrap_or_default().to_owned(),
            version: req.version.unwrap_or_default(),
            headers: own_headers(req.headers),
            raw: head.to_vec(),
        })
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        first(&self.headers, name)
    }
}

/// Parses a request head from the bytes received so far, without applying any
/// WebSocket rule. See [`parse_request`] for the incremental contract.
pub fn parse_request_head(
    buf: &[u8],
    limits: &Limits,
) -> Result<Parsed<RequestHead>, HandshakeError> {
    match find_head_end(buf, 0, limits)? {
        None => Ok(Parsed::Partial),
        Some(n) => Ok(Parsed::Complete(RequestHead::parse(&buf[..n])?, n)),
    }
}

/// Whether a request is a hixie-76 (draft-ietf-hybi-thewebsocketprotocol-00)
/// handshake: no `Sec-WebSocket-Version`, but `Sec-WebSocket-Key1` and `-Key2`.
/// [`Request::from_head`] rejects such a request with
/// [`HandshakeError::MissingVersion`]; a server that supports hixie-76 checks this first.
/// The rule itself lives in [`crate::hixie76::is_hixie76_request`].
pub fn is_hixie76_request(head: &RequestHead) -> bool {
    crate::hixie76::is_hixie76_request(
        head.headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes())),
    )
}

/// A valid RFC 6455 opening handshake request (§4.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Always `GET`.
    pub method: String,
    /// The request target (`/resource?query`).
    pub path: String,
    /// The `Host` header.
    pub host: String,
    /// The `Origin` header, sent by browsers (§4.2.1 item 7).
    pub origin: Option<String>,
    /// `Sec-WebSocket-Key`, trimmed; [`accept_key`] of it is the accept value.
    pub key: String,
    /// Every header line in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// Offered subprotocols, in the client's order of preference, from all
    /// `Sec-WebSocket-Protocol` lines.
    pub protocols: Vec<String>,
    /// Offered extensions, in order, from all `Sec-WebSocket-Extensions` lines.
    pub extensions: Vec<ExtensionOffer>,
    /// The head exactly as received.
    pub raw: Vec<u8>,
}

impl Request {
    /// Applies the rules of RFC 6455 §4.2.1 to a parsed head.
    ///
    /// Checks run in this order, so each request gets one definite error: method,
    /// HTTP version, Host, Upgrade, Connection, Sec-WebSocket-Version, then
    /// Sec-WebSocket-Key, Sec-WebSocket-Protocol, Sec-WebSocket-Extensions. The
    /// version comes before the key so that a hixie-76 request (which has neither)
    /// reports [`HandshakeError::MissingVersion`], answered with 426.
    pub fn from_head(head: RequestHead) -> Result<Request, HandshakeError> {
        if head.method != "GET" {
            return Err(HandshakeError::MethodNotGet(head.method));
        }
        if head.version < 1 {
            return Err(HandshakeError::HttpVersion(head.version));
        }
        let h = &head.headers;
        let host = single(h, "Host", "RFC 7230 §5.4")?
            .ok_or(HandshakeError::MissingHost)?
            .to_owned();
        let upgrade = joined(h, "Upgrade").ok_or(HandshakeError::MissingUpgrade)?;
        if !list_contains(&upgrade, "websocket") {
            return Err(HandshakeError::UpgradeNotWebSocket(upgrade));
        }
        let connection = joined(h, "Connection").ok_or(HandshakeError::MissingConnection)?;
        if !list_contains(&connection, "upgrade") {
            return Err(HandshakeError::ConnectionNotUpgrade(connection));
        }
        let version = single(h, "Sec-WebSocket-Version", "RFC 6455 §11.3.5")?
            .ok_or(HandshakeError::MissingVersion)?;
        if version != VERSION {
            return Err(HandshakeError::UnsupportedVersion(version.to_owned()));
        }
        let key = single(h, "Sec-WebSocket-Key", "RFC 6455 §11.3.1")?
            .ok_or(HandshakeError::MissingKey)?;
        if !is_valid_key(key) {
            return Err(HandshakeError::InvalidKey(key.to_owned()));
        }
        let key = key.to_owned();
        let origin = values(h, "Origin").next().map(str::to_owned);
        let mut protocols = Vec::new();
        for line in values(h, "Sec-WebSocket-Protocol") {
            for p in list_elements(line) {
                if !p.chars().all(is_tchar) {
                    return Err(HandshakeError::InvalidProtocol(line.to_owned()));
                }
                protocols.push(p.to_owned());
            }
        }
        let mut extensions = Vec::new();
        for line in values(h, "Sec-WebSocket-Extensions") {
            extensions.extend(parse_extensions(line)?);
        }
        Ok(Request {
            method: head.method,
            path: head.path,
            host,
            origin,
            key,
            headers: head.headers,
            protocols,
            extensions,
            raw: head.raw,
        })
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        first(&self.headers, name)
    }
}

/// §4.2.1 item 5: base64 (with padding) of exactly 16 bytes.
fn is_valid_key(key: &str) -> bool {
    // 16 bytes encode to 24 characters; checking first bounds the decode.
    key.len() == 24 && BASE64.decode(key).is_ok_and(|bytes| bytes.len() == 16)
}

/// Parses and validates an opening handshake request from the bytes received so far
/// (RFC 6455 §4.2.1).
///
/// Returns [`Parsed::Partial`] until CRLF CRLF has arrived, then the request and the
/// head length; bytes after the head are left to the caller. A head that has not
/// ended within `limits.max_handshake` bytes is [`HandshakeError::HeadTooLarge`].
/// Rescans `buf` from the start on every call; see the module docs and
/// [`RequestParser`] for feeding many small reads.
pub fn parse_request(buf: &[u8], limits: &Limits) -> Result<Parsed<Request>, HandshakeError> {
    match parse_request_head(buf, limits)? {
        Parsed::Partial => Ok(Parsed::Partial),
        Parsed::Complete(head, n) => Ok(Parsed::Complete(Request::from_head(head)?, n)),
    }
}

/// Chooses the subprotocol to answer with: the first of `supported` (the server's
/// order of preference) that the client offered, compared exactly. `None` means the
/// response carries no `Sec-WebSocket-Protocol` (RFC 6455 §4.2.2 item 5.4).
pub fn select_protocol(req: &Request, supported: &[&str]) -> Option<String> {
    supported
        .iter()
        .find(|s| req.protocols.iter().any(|p| p == *s))
        .map(|s| (*s).to_owned())
}

/// The server's `101 Switching Protocols` answer to `req` (RFC 6455 §4.2.2 item 5).
///
/// `protocol` should come from [`select_protocol`], which only returns one the client
/// offered; any other value is written as given — the suite uses that to check that
/// clients fail the connection (§4.1 client item 6). `extensions` is the
/// `Sec-WebSocket-Extensions` value agreed by the extension negotiation. Extra headers
/// are written after these, in order; names and values must not contain CR or LF.
pub fn accept_response(
    req: &Request,
    protocol: Option<&str>,
    extensions: Option<&str>,
    extra_headers: &[(&str, &str)],
) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n",
        accept_key(&req.key)
    );
    if let Some(p) = protocol {
        out.push_str(&format!("Sec-WebSocket-Protocol: {p}\r\n"));
    }
    if let Some(e) = extensions {
        out.push_str(&format!("Sec-WebSocket-Extensions: {e}\r\n"));
    }
    for (name, value) in extra_headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// The HTTP answer that rejects a handshake: status from [`HandshakeError::status`],
/// a `text/plain` body naming the broken rule, `Content-Length`, and a `Connection`
/// header containing `close`.
///
/// A 426 also carries `Sec-WebSocket-Version: 13` (RFC 6455 §4.4) and
/// `Upgrade: websocket`, which RFC 7231 §6.5.15 requires of a 426; a header that sends
/// Upgrade must list `Upgrade` in `Connection` (RFC 7230 §6.7), hence
/// `Connection: Upgrade, close` there. A 405 carries `Allow: GET` (RFC 7231 §6.5.5).
pub fn reject_response(err: &HandshakeError) -> Vec<u8> {
    let status = err.status();
    let body = format!("{err}\n");
    let mut out = format!("HTTP/1.1 {status} {}\r\n", reason_phrase(status));
    match status {
        426 => out.push_str(
            "Upgrade: websocket\r\nConnection: Upgrade, close\r\nSec-WebSocket-Version: 13\r\n",
        ),
        405 => out.push_str("Allow: GET\r\nConnection: close\r\n"),
        _ => out.push_str("Connection: close\r\n"),
    }
    out.push_str(&format!(
        "Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    out.into_bytes()
}

// ---------------------------------------------------------------------------------
// Client side

/// The `Host` header value for `host` and `port` (RFC 7230 §5.4, RFC 3986 §3.2.2): an
/// IPv6 address goes in brackets.
pub fn host_header(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The client's opening handshake request (RFC 6455 §4.1), as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRequest {
    /// `Host` header value (`host[:port]`).
    pub host: String,
    /// Request target (`/resource?query`).
    pub path: String,
    /// `Sec-WebSocket-Key`; [`generate_key`] by default, fixed in tests.
    pub key: String,
    /// `Origin` header, if any.
    pub origin: Option<String>,
    /// Offered subprotocols, most preferred first; omitted when empty.
    pub protocols: Vec<String>,
    /// Offered extensions; omitted when empty.
    pub extensions: Vec<ExtensionOffer>,
    /// Extra headers written after the WebSocket ones, in order.
    pub extra_headers: Vec<(String, String)>,
}

impl ClientRequest {
    /// A request for `path` on `host` with a fresh random key and no options.
    pub fn new(host: impl Into<String>, path: impl Into<String>) -> Self {
        Self::with_key(host, path, generate_key())
    }

    /// A request with a given key (see [`key_from_nonce`]); for tests and replays.
    pub fn with_key(
        host: impl Into<String>,
        path: impl Into<String>,
        key: impl Into<String>,
    ) -> Self {
        ClientRequest {
            host: host.into(),
            path: path.into(),
            key: key.into(),
            origin: None,
            protocols: Vec::new(),
            extensions: Vec::new(),
            extra_headers: Vec::new(),
        }
    }

    /// The `Sec-WebSocket-Accept` value a correct server answers with.
    pub fn expected_accept(&self) -> String {
        accept_key(&self.key)
    }

    /// The request head, CRLF CRLF included. Values are written as given.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {}\r\nSec-WebSocket-Version: {VERSION}\r\n",
            self.path, self.host, self.key
        );
        if let Some(origin) = &self.origin {
            out.push_str(&format!("Origin: {origin}\r\n"));
        }
        if !self.protocols.is_empty() {
            out.push_str(&format!(
                "Sec-WebSocket-Protocol: {}\r\n",
                self.protocols.join(", ")
            ));
        }
        if !self.extensions.is_empty() {
            let offers: Vec<String> = self.extensions.iter().map(|e| e.to_string()).collect();
            out.push_str(&format!(
                "Sec-WebSocket-Extensions: {}\r\n",
                offers.join(", ")
            ));
        }
        for (name, value) in &self.extra_headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str("\r\n");
        out.into_bytes()
    }
}

/// A response head as HTTP sees it, before any WebSocket rule is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// The HTTP minor version: 1 for HTTP/1.1.
    pub version: u8,
    /// The status code.
    pub status: u16,
    /// The reason phrase (empty if none, or if it was not valid text).
    pub reason: String,
    /// Header lines in order, names as sent, values trimmed.
    pub headers: Vec<(String, String)>,
    /// The head exactly as received, CRLF CRLF included.
    pub raw: Vec<u8>,
}

impl ResponseHead {
    /// Parses one complete head ending in CRLF CRLF (see [`RequestHead::parse`]).
    pub fn parse(head: &[u8]) -> Result<ResponseHead, HandshakeError> {
        check_crlf(head)?;
        let mut slots = header_slots(head);
        let mut resp = httparse::Response::new(&mut slots);
        match resp.parse(head).map_err(malformed)? {
            httparse::Status::Complete(n) if n == head.len() => {}
            httparse::Status::Complete(n) => {
                return Err(HandshakeError::Malformed(format!(
                    "head ends at byte {n} of {}",
                    head.len()
                )))
            }
            httparse::Status::Partial => return Err(incomplete()),
        }
        Ok(ResponseHead {
            version: resp.version.unwrap_or_default(),
            status: resp.code.unwrap_or_default(),
            reason: resp.reason.unwrap_or_default().to_owned(),
            headers: own_headers(resp.headers),
            raw: head.to_vec(),
        })
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        first(&self.headers, name)
    }
}

/// Parses a response head from the bytes received so far, without applying any
/// WebSocket rule (hixie-76 clients start here).
pub fn parse_response_head(
    buf: &[u8],
    limits: &Limits,
) -> Result<Parsed<ResponseHead>, HandshakeError> {
    match find_head_end(buf, 0, limits)? {
        None => Ok(Parsed::Partial),
        Some(n) => Ok(Parsed::Complete(ResponseHead::parse(&buf[..n])?, n)),
    }
}

/// A server's valid answer to a [`ClientRequest`] (RFC 6455 §4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Always 101.
    pub status: u16,
    /// The reason phrase as sent.
    pub reason: String,
    /// Every header line in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The subprotocol the server selected (one the client offered), if any.
    pub protocol: Option<String>,
    /// The extensions the server accepted, parameters unchecked: negotiating them is
    /// the extension's job (e.g. [`crate::deflate`]).
    pub extensions: Vec<ExtensionOffer>,
    /// The head exactly as received.
    pub raw: Vec<u8>,
}

impl Response {
    /// Applies the client's checks of RFC 6455 §4.1 to a parsed head, in the RFC's
    /// order: status, Upgrade, Connection, Sec-WebSocket-Accept,
    /// Sec-WebSocket-Extensions, Sec-WebSocket-Protocol.
    ///
    /// `Upgrade` must be exactly `websocket` (case-insensitive), as §4.1 says;
    /// `Connection` must contain the token `Upgrade`, as browsers accept.
    /// Extension names and subprotocols are compared with what `request` offered:
    /// extension names case-insensitively, subprotocols exactly.
    pub fn from_head(
        head: ResponseHead,
        request: &ClientRequest,
    ) -> Result<Response, HandshakeError> {
        if head.version < 1 {
            return Err(HandshakeError::HttpVersion(head.version));
        }
        if head.status != 101 {
            return Err(HandshakeError::UnexpectedStatus {
                code: head.status,
                reason: head.reason,
            });
        }
        let h = &head.headers;
        let upgrade = joined(h, "Upgrade");
        if !upgrade
            .as_deref()
            .is_some_and(|u| u.eq_ignore_ascii_case("websocket"))
        {
            return Err(HandshakeError::ResponseUpgrade(upgrade));
        }
        let connection = joined(h, "Connection");
        if !connection
            .as_deref()
            .is_some_and(|c| list_contains(c, "upgrade"))
        {
            return Err(HandshakeError::ResponseConnection(connection));
        }
        let expected = request.expected_accept();
        let found = single(h, "Sec-WebSocket-Accept", "RFC 6455 §11.3.3")?;
        if found != Some(expected.as_str()) {
            return Err(HandshakeError::AcceptMismatch {
                expected,
                found: found.map(str::to_owned),
            });
        }
        let mut extensions = Vec::new();
        for line in values(h, "Sec-WebSocket-Extensions") {
            for ext in parse_extensions(line)? {
                if !request
                    .extensions
                    .iter()
                    .any(|o| o.name.eq_ignore_ascii_case(&ext.name))
                {
                    return Err(HandshakeError::ExtensionNotOffered(ext.name));
                }
                extensions.push(ext);
            }
        }
        let protocol = single(h, "Sec-WebSocket-Protocol", "RFC 6455 §11.3.4")?;
        if let Some(p) = protocol {
            if !request.protocols.iter().any(|o| o == p) {
                return Err(HandshakeError::ProtocolNotOffered(p.to_owned()));
            }
        }
        Ok(Response {
            status: head.status,
            reason: head.reason,
            protocol: protocol.map(str::to_owned),
            headers: head.headers,
            extensions,
            raw: head.raw,
        })
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        first(&self.headers, name)
    }
}

/// Parses and checks the server's answer to `request` from the bytes received so far
/// (RFC 6455 §4.1).
///
/// Same contract as [`parse_request`]: [`Parsed::Partial`] until CRLF CRLF, then the
/// response and the head length. Frames the server sent right after the head start
/// at that length and are not consumed.
pub fn parse_response(
    buf: &[u8],
    request: &ClientRequest,
    limits: &Limits,
) -> Result<Parsed<Response>, HandshakeError> {
    match parse_response_head(buf, limits)? {
        Parsed::Partial => Ok(Parsed::Partial),
        Parsed::Complete(head, n) => Ok(Parsed::Complete(Response::from_head(head, request)?, n)),
    }
}

// ---------------------------------------------------------------------------------
// Incremental parsing

/// Owns the bytes of a head as they arrive and finds its end without rescanning.
///
/// Memory stays bounded: once [`Limits::max_handshake`] bytes have arrived without
/// CRLF CRLF, [`HeadBuffer::push`] fails with [`HandshakeError::HeadTooLarge`], drops
/// what it held and keeps failing. Beyond the limit it only ever holds the last chunk
/// pushed.
#[derive(Debug, Clone)]
pub struct HeadBuffer {
    buf: Vec<u8>,
    scanned: usize,
    head_len: Option<usize>,
    failed: bool,
    limits: Limits,
}

impl HeadBuffer {
    /// An empty buffer enforcing `limits.max_handshake`.
    pub fn new(limits: &Limits) -> Self {
        HeadBuffer {
            buf: Vec::new(),
            scanned: 0,
            head_len: None,
            failed: false,
            limits: *limits,
        }
    }

    /// Appends `data`. Returns the head length once the buffer holds a whole head
    /// (`buffered()[..len]` is the head, the rest followed it), `None` while it may
    /// still come. Once complete, later pushes append without scanning; take the bytes
    /// with [`HeadBuffer::take`] instead.
    pub fn push(&mut self, data: &[u8]) -> Result<Option<usize>, HandshakeError> {
        let limit = self.limits.max_handshake;
        if self.failed {
            return Err(HandshakeError::HeadTooLarge { limit });
        }
        self.buf.extend_from_slice(data);
        if self.head_len.is_none() {
            match find_head_end(&self.buf, self.scanned, &self.limits) {
                Ok(found) => {
                    self.head_len = found;
                    self.scanned = self.buf.len();
                }
                Err(e) => {
                    self.failed = true;
                    self.buf = Vec::new();
                    return Err(e);
                }
            }
        }
        Ok(self.head_len)
    }

    /// Everything pushed so far.
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// Takes the bytes out and starts over, empty.
    pub fn take(&mut self) -> Vec<u8> {
        let limits = self.limits;
        std::mem::replace(self, HeadBuffer::new(&limits)).buf
    }
}

/// Takes the head out of `buffer` once complete: (head, bytes after it).
fn split_head(buffer: &mut HeadBuffer, head_len: usize) -> (Vec<u8>, Vec<u8>) {
    let mut head = buffer.take();
    let rest = head.split_off(head_len);
    (head, rest)
}

/// Server-side incremental parser: feed reads of any size, get the [`Request`] and
/// the bytes that followed it. Linear in the bytes fed. After an error, discard it.
#[derive(Debug, Clone)]
pub struct RequestParser {
    buffer: HeadBuffer,
}

impl RequestParser {
    /// A parser enforcing `limits.max_handshake`.
    pub fn new(limits: &Limits) -> Self {
        RequestParser {
            buffer: HeadBuffer::new(limits),
        }
    }

    /// Feeds the next bytes received. Returns `None` until the head is complete, then
    /// the validated request and whatever was received after the head, and starts over.
    pub fn feed(&mut self, data: &[u8]) -> Result<Option<(Request, Vec<u8>)>, HandshakeError> {
        let Some(n) = self.buffer.push(data)? else {
            return Ok(None);
        };
        let (head, rest) = split_head(&mut self.buffer, n);
        Ok(Some((
            Request::from_head(RequestHead::parse(&head)?)?,
            rest,
        )))
    }
}

/// Client-side incremental parser for the answer to one [`ClientRequest`]; same
/// contract as [`RequestParser`].
#[derive(Debug, Clone)]
pub struct ResponseParser {
    buffer: HeadBuffer,
    request: ClientRequest,
}

impl ResponseParser {
    /// A parser checking the answer to `request`.
    pub fn new(request: &ClientRequest, limits: &Limits) -> Self {
        ResponseParser {
            buffer: HeadBuffer::new(limits),
            request: request.clone(),
        }
    }

    /// Feeds the next bytes received. Returns `None` until the head is complete, then
    /// the checked response and whatever was received after the head (the first frames).
    pub fn feed(&mut self, data: &[u8]) -> Result<Option<(Response, Vec<u8>)>, HandshakeError> {
        let Some(n) = self.buffer.push(data)? else {
            return Ok(None);
        };
        let (head, rest) = split_head(&mut self.buffer, n);
        let response = Response::from_head(ResponseHead::parse(&head)?, &self.request)?;
        Ok(Some((response, rest)))
    }
}

// ---------------------------------------------------------------------------------
// Sec-WebSocket-Extensions

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
        Err(ExtensionSyntaxError(format!(
            "{what} {s:?} is not an HTTP token"
        )))
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
                None => {
                    return Err(ExtensionSyntaxError(
                        "dangling escape in quoted value".into(),
                    ))
                }
            },
            '"' => {
                return Err(ExtensionSyntaxError(
                    "unescaped quote in quoted value".into(),
                ))
            }
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
    /// Formats as it is written in the header: `name; p1; p2=v`, quoting a value
    /// that is not a token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)?;
        for p in &self.params {
            match &p.value {
                None => write!(f, "; {}", p.name)?,
                Some(v) if !v.is_empty() && v.chars().all(is_tchar) => {
                    write!(f, "; {}={}", p.name, v)?
                }
                Some(v) => {
                    // Not a token: write a quoted-string so the header stays parseable.
                    write!(f, "; {}=\"", p.name)?;
                    for c in v.chars() {
                        if c == '"' || c == '\\' {
                            f.write_str("\\")?;
                        }
                        write!(f, "{c}")?;
                    }
                    f.write_str("\"")?
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
    const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    /// The §1.3 example request, with `lines` replacing or adding header lines: a
    /// `("Name", None)` pair drops that header, `("Name", Some(v))` replaces it (or
    /// appends it when absent).
    fn request_with(lines: &[(&str, Option<&str>)]) -> Vec<u8> {
        let mut headers: Vec<(String, String)> = [
            ("Host", "server.example.com"),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", KEY),
            ("Origin", "http://example.com"),
            ("Sec-WebSocket-Protocol", "chat, superchat"),
            ("Sec-WebSocket-Version", "13"),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
        for (name, value) in lines {
            let pos = headers.iter().position(|(n, _)| n == name);
            match (pos, value) {
                (Some(i), None) => {
                    headers.remove(i);
                }
                (Some(i), Some(v)) => headers[i].1 = v.to_string(),
                (None, Some(v)) => headers.push((name.to_string(), v.to_string())),
                (None, None) => {}
            }
        }
        let mut out = String::from("GET /chat HTTP/1.1\r\n");
        for (n, v) in headers {
            out.push_str(&format!("{n}: {v}\r\n"));
        }
        out.push_str("\r\n");
        out.into_bytes()
    }

    fn parse(buf: &[u8]) -> Result<Parsed<Request>, HandshakeError> {
        parse_request(buf, &Limits::default())
    }

    fn complete(buf: &[u8]) -> Request {
        match parse(buf) {
            Ok(Parsed::Complete(req, n)) => {
                assert_eq!(n, buf.len());
                req
            }
            other => panic!("expected a complete request, got {other:?}"),
        }
    }

    fn rejected(buf: &[u8]) -> HandshakeError {
        match parse(buf) {
            Err(e) => e,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    fn client() -> ClientRequest {
        let mut c = ClientRequest::with_key("server.example.com", "/chat", KEY);
        c.protocols = vec!["chat".into(), "superchat".into()];
        c.extensions = parse_extensions("permessage-deflate; client_max_window_bits").unwrap();
        c
    }

    /// A 101 answer to [`client`] with header `name` replaced (`Some`) or dropped
    /// (`None`), or appended when absent.
    fn response_with(lines: &[(&str, Option<&str>)]) -> Vec<u8> {
        let mut headers: Vec<(String, String)> = [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", ACCEPT),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
        for (name, value) in lines {
            let pos = headers.iter().position(|(n, _)| n == name);
            match (pos, value) {
                (Some(i), None) => {
                    headers.remove(i);
                }
                (Some(i), Some(v)) => headers[i].1 = v.to_string(),
                (None, Some(v)) => headers.push((name.to_string(), v.to_string())),
                (None, None) => {}
            }
        }
        let mut out = String::from("HTTP/1.1 101 Switching Protocols\r\n");
        for (n, v) in headers {
            out.push_str(&format!("{n}: {v}\r\n"));
        }
        out.push_str("\r\n");
        out.into_bytes()
    }

    fn response_error(buf: &[u8]) -> HandshakeError {
        match parse_response(buf, &client(), &Limits::default()) {
            Err(e) => e,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    /// Parses a rendered HTTP response: (status, headers, body).
    fn read_response(bytes: &[u8]) -> (u16, Vec<(String, String)>, String) {
        let n = find_head_end(bytes, 0, &Limits::default())
            .unwrap()
            .unwrap();
        let head = ResponseHead::parse(&bytes[..n]).unwrap();
        let body = String::from_utf8(bytes[n..].to_vec()).unwrap();
        (head.status, head.headers, body)
    }

    fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
        first(headers, name)
    }

    // §1.3 and keys

    #[test]
    fn rfc6455_1_3_accept_key_example() {
        assert_eq!(accept_key(KEY), ACCEPT);
    }

    #[test]
    fn rfc6455_4_1_generated_key_is_16_random_bytes_in_base64() {
        let a = generate_key();
        let b = generate_key();
        assert!(is_valid_key(&a), "{a}");
        assert_eq!(BASE64.decode(&a).unwrap().len(), 16);
        assert_ne!(a, b, "two random nonces collided");
        assert_eq!(key_from_nonce(*b"the sample nonce"), KEY);
    }

    // A valid request

    #[test]
    fn rfc6455_1_3_example_request_is_accepted() {
        let buf = request_with(&[("Sec-WebSocket-Extensions", Some("permessage-deflate"))]);
        let req = complete(&buf);
        assert_eq!(req.method, "GET");
        assert_eq!(req.path, "/chat");
        assert_eq!(req.host, "server.example.com");
        assert_eq!(req.origin.as_deref(), Some("http://example.com"));
        assert_eq!(req.key, KEY);
        assert_eq!(req.protocols, ["chat", "superchat"]);
        assert_eq!(req.extensions.len(), 1);
        assert_eq!(req.extensions[0].name, "permessage-deflate");
        assert_eq!(req.raw, buf);
        assert_eq!(req.headers.len(), 8);
        assert_eq!(req.headers[0], ("Host".into(), "server.example.com".into()));
        assert_eq!(req.header("sec-websocket-version"), Some("13"));
    }

    #[test]
    fn rfc6455_4_2_1_partial_until_crlf_crlf() {
        let buf = request_with(&[]);
        for cut in [0, 1, 10, buf.len() - 3, buf.len() - 2, buf.len() - 1] {
            assert_eq!(parse(&buf[..cut]), Ok(Parsed::Partial), "cut at {cut}");
        }
    }

    #[test]
    fn rfc6455_4_2_1_bytes_after_the_head_are_not_consumed() {
        let head = request_with(&[]);
        let mut buf = head.clone();
        buf.extend_from_slice(&[0x81, 0x85, 1, 2, 3, 4, 5]);
        match parse(&buf).unwrap() {
            Parsed::Complete(req, n) => {
                assert_eq!(n, head.len());
                assert_eq!(req.raw, head);
            }
            Parsed::Partial => panic!("partial"),
        }
    }

    #[test]
    fn request_fed_one_byte_at_a_time() {
        let mut buf = request_with(&[]);
        let whole = complete(&buf);
        buf.extend_from_slice(b"\x81\x80abcd");
        let mut parser = RequestParser::new(&Limits::default());
        let mut result = None;
        for (i, b) in buf.iter().enumerate() {
            if let Some(done) = parser.feed(std::slice::from_ref(b)).unwrap() {
                assert_eq!(i, whole.raw.len() - 1, "completed at the head's last byte");
                result = Some(done);
                break;
            }
        }
        let (req, rest) = result.expect("the head completed");
        assert_eq!(req, whole);
        assert!(rest.is_empty());
        // The stateless form agrees at every prefix.
        for cut in 0..whole.raw.len() {
            assert_eq!(parse(&buf[..cut]), Ok(Parsed::Partial));
        }
    }

    #[test]
    fn request_parser_returns_bytes_after_the_head() {
        let mut buf = request_with(&[]);
        let head_len = buf.len();
        buf.extend_from_slice(b"\x81\x80abcd");
        let mut parser = RequestParser::new(&Limits::default());
        assert_eq!(parser.feed(&buf[..5]).unwrap(), None);
        let (req, rest) = parser.feed(&buf[5..]).unwrap().unwrap();
        assert_eq!(req.raw, &buf[..head_len]);
        assert_eq!(rest, b"\x81\x80abcd");
    }

    #[test]
    fn find_head_end_resumes_across_a_split_terminator() {
        let buf = b"GET / HTTP/1.1\r\n\r\n";
        let limits = Limits::default();
        // Scanned up to the middle of CRLF CRLF: the resumed search still finds it.
        for scanned in 0..=buf.len() {
            let found = find_head_end(&buf[..], scanned.min(buf.len() - 1), &limits);
            assert_eq!(found, Ok(Some(buf.len())), "scanned {scanned}");
        }
    }

    // Limits

    #[test]
    fn head_over_max_handshake_is_431() {
        let limits = Limits {
            max_handshake: 64,
            ..Limits::default()
        };
        let buf = request_with(&[]);
        assert!(buf.len() > 64);
        let err = parse_request(&buf, &limits).unwrap_err();
        assert_eq!(err, HandshakeError::HeadTooLarge { limit: 64 });
        assert_eq!(err.status(), 431);
        // Also before the head could have ended, as soon as the limit is reached.
        assert_eq!(parse_request(&buf[..63], &limits), Ok(Parsed::Partial));
        assert_eq!(parse_request(&buf[..64], &limits), Err(err.clone()));
    }

    #[test]
    fn head_exactly_at_max_handshake_is_accepted() {
        let buf = request_with(&[]);
        let limits = Limits {
            max_handshake: buf.len(),
            ..Limits::default()
        };
        assert!(
            matches!(parse_request(&buf, &limits), Ok(Parsed::Complete(_, n)) if n == buf.len())
        );
        let limits = Limits {
            max_handshake: buf.len() - 1,
            ..Limits::default()
        };
        assert!(matches!(
            parse_request(&buf, &limits),
            Err(HandshakeError::HeadTooLarge { .. })
        ));
    }

    #[test]
    fn head_buffer_stops_holding_bytes_after_the_limit() {
        let limits = Limits {
            max_handshake: 100,
            ..Limits::default()
        };
        let mut hb = HeadBuffer::new(&limits);
        assert_eq!(hb.push(&[b'a'; 99]), Ok(None));
        assert_eq!(
            hb.push(b"a"),
            Err(HandshakeError::HeadTooLarge { limit: 100 })
        );
        assert!(hb.buffered().is_empty());
        assert_eq!(
            hb.push(b"\r\n\r\n"),
            Err(HandshakeError::HeadTooLarge { limit: 100 })
        );
        assert!(hb.buffered().is_empty());
    }

    #[test]
    fn request_parser_over_the_limit_fails() {
        let limits = Limits {
            max_handshake: 32,
            ..Limits::default()
        };
        let mut parser = RequestParser::new(&limits);
        let buf = request_with(&[]);
        let mut err = None;
        for b in &buf {
            if let Err(e) = parser.feed(std::slice::from_ref(b)) {
                err = Some(e);
                break;
            }
        }
        assert_eq!(err, Some(HandshakeError::HeadTooLarge { limit: 32 }));
    }

    // §4.2.1 item 1: GET, HTTP/1.1

    #[test]
    fn rfc6455_4_2_1_item_1_non_get_method_is_405() {
        let mut buf = request_with(&[]);
        buf.splice(..3, *b"POST");
        let err = rejected(&buf);
        assert_eq!(err, HandshakeError::MethodNotGet("POST".into()));
        assert_eq!(err.status(), 405);
        let (status, headers, _) = read_response(&reject_response(&err));
        assert_eq!(status, 405);
        assert_eq!(header(&headers, "Allow"), Some("GET"));
    }

    #[test]
    fn rfc6455_4_2_1_item_1_lowercase_get_is_405() {
        let mut buf = request_with(&[]);
        buf.splice(..3, *b"get");
        assert_eq!(rejected(&buf), HandshakeError::MethodNotGet("get".into()));
    }

    #[test]
    fn rfc6455_4_2_1_item_1_http_1_0_is_400() {
        let buf = String::from_utf8(request_with(&[]))
            .unwrap()
            .replacen("HTTP/1.1", "HTTP/1.0", 1);
        let err = rejected(buf.as_bytes());
        assert_eq!(err, HandshakeError::HttpVersion(0));
        assert_eq!(err.status(), 400);
        assert!(err.to_string().contains("HTTP/1.0"), "{err}");
    }

    #[test]
    fn rfc7230_3_http_2_request_line_is_malformed() {
        let buf = String::from_utf8(request_with(&[]))
            .unwrap()
            .replacen("HTTP/1.1", "HTTP/2.0", 1);
        assert!(matches!(
            rejected(buf.as_bytes()),
            HandshakeError::Malformed(_)
        ));
    }

    #[test]
    fn rfc7230_3_bare_lf_is_malformed() {
        let buf =
            String::from_utf8(request_with(&[]))
                .unwrap()
                .replacen("\r\nUpgrade", "\nUpgrade", 1);
        let err = rejected(buf.as_bytes());
        assert!(
            matches!(&err, HandshakeError::Malformed(m) if m.contains("bare LF")),
            "{err}"
        );
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn rfc7230_3_2_4_obsolete_line_folding_is_malformed() {
        let buf = String::from_utf8(request_with(&[])).unwrap().replacen(
            "Upgrade: websocket",
            "Upgrade:\r\n websocket",
            1,
        );
        assert!(matches!(
            rejected(buf.as_bytes()),
            HandshakeError::Malformed(_)
        ));
    }

    #[test]
    fn rfc7230_3_head_without_start_line_is_malformed() {
        assert!(matches!(
            rejected(b"\r\n\r\n"),
            HandshakeError::Malformed(_)
        ));
        assert!(matches!(
            rejected(b"garbage\r\n\r\n"),
            HandshakeError::Malformed(_)
        ));
    }

    // §4.2.1 item 2: Host

    #[test]
    fn rfc6455_4_2_1_item_2_missing_host_is_400() {
        let err = rejected(&request_with(&[("Host", None)]));
        assert_eq!(err, HandshakeError::MissingHost);
        assert_eq!(err.status(), 400);
        assert!(err.to_string().contains("Host"));
    }

    #[test]
    fn rfc3986_3_2_2_an_ipv6_host_is_bracketed() {
        assert_eq!(host_header("::1", 9001), "[::1]:9001");
        assert_eq!(host_header("127.0.0.1", 80), "127.0.0.1:80");
    }

    #[test]
    fn rfc7230_5_4_repeated_host_is_400() {
        let mut buf = request_with(&[]);
        buf.truncate(buf.len() - 2);
        buf.extend_from_slice(b"host: other.example\r\n\r\n");
        let err = rejected(&buf);
        assert!(
            matches!(err, HandshakeError::RepeatedHeader { name: "Host", .. }),
            "{err}"
        );
        assert_eq!(err.status(), 400);
    }

    // §4.2.1 item 3: Upgrade

    #[test]
    fn rfc6455_4_2_1_missing_upgrade_header_is_400() {
        let err = rejected(&request_with(&[("Upgrade", None)]));
        assert_eq!(err, HandshakeError::MissingUpgrade);
        assert_eq!(err.status(), 400);
        let (status, headers, body) = read_response(&reject_response(&err));
        assert_eq!(status, 400);
        assert!(body.contains("Upgrade header is missing"), "{body}");
        assert_eq!(header(&headers, "Connection"), Some("close"));
        assert_eq!(header(&headers, "Sec-WebSocket-Version"), None);
    }

    #[test]
    fn rfc6455_4_2_1_item_3_upgrade_without_websocket_is_400() {
        let err = rejected(&request_with(&[("Upgrade", Some("h2c"))]));
        assert_eq!(err, HandshakeError::UpgradeNotWebSocket("h2c".into()));
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn rfc6455_4_2_1_item_3_upgrade_is_case_insensitive_token_list() {
        complete(&request_with(&[("Upgrade", Some("h2c, WebSocket"))]));
        complete(&request_with(&[("Upgrade", Some("WEBSOCKET"))]));
    }

    // §4.2.1 item 4: Connection

    #[test]
    fn rfc6455_4_2_1_item_4_missing_connection_is_400() {
        let err = rejected(&request_with(&[("Connection", None)]));
        assert_eq!(err, HandshakeError::MissingConnection);
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn rfc6455_4_2_1_item_4_connection_without_upgrade_is_400() {
        let err = rejected(&request_with(&[("Connection", Some("keep-alive"))]));
        assert_eq!(
            err,
            HandshakeError::ConnectionNotUpgrade("keep-alive".into())
        );
        // "Upgrade" must be a whole token, not a substring.
        let err = rejected(&request_with(&[(
            "Connection",
            Some("keep-alive-upgraded"),
        )]));
        assert!(matches!(err, HandshakeError::ConnectionNotUpgrade(_)));
    }

    #[test]
    fn rfc6455_4_2_1_item_4_connection_keep_alive_upgrade_is_accepted() {
        complete(&request_with(&[(
            "Connection",
            Some("keep-alive, Upgrade"),
        )]));
        complete(&request_with(&[("Connection", Some("keep-alive,upgrade"))]));
        // Split over two lines, the lists combine (RFC 7230 §3.2.2).
        let mut buf = request_with(&[("Connection", Some("keep-alive"))]);
        buf.truncate(buf.len() - 2);
        buf.extend_from_slice(b"Connection: Upgrade\r\n\r\n");
        complete(&buf);
    }

    // §4.2.1 item 5: Sec-WebSocket-Key

    #[test]
    fn rfc6455_4_2_1_item_5_missing_key_is_400() {
        let err = rejected(&request_with(&[("Sec-WebSocket-Key", None)]));
        assert_eq!(err, HandshakeError::MissingKey);
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn rfc6455_4_2_1_item_5_key_not_16_bytes_is_400() {
        // 15 bytes, 17 bytes, not base64, unpadded.
        for key in [
            "dGhlIHNhbXBsZSBub25j",
            "dGhlIHNhbXBsZSBub25jZTE=",
            "dGhlIHNhbXBsZSBub25jZQ!!",
            "dGhlIHNhbXBsZSBub25jZQ",
            "",
        ] {
            let err = rejected(&request_with(&[("Sec-WebSocket-Key", Some(key))]));
            assert_eq!(err, HandshakeError::InvalidKey(key.into()), "{key}");
            assert_eq!(err.status(), 400);
        }
    }

    #[test]
    fn rfc6455_11_3_1_repeated_key_is_400() {
        let mut buf = request_with(&[]);
        buf.truncate(buf.len() - 2);
        buf.extend_from_slice(format!("Sec-WebSocket-Key: {KEY}\r\n\r\n").as_bytes());
        let err = rejected(&buf);
        assert!(matches!(
            err,
            HandshakeError::RepeatedHeader {
                name: "Sec-WebSocket-Key",
                ..
            }
        ));
    }

    // §4.2.1 item 6: Sec-WebSocket-Version

    #[test]
    fn rfc6455_4_2_1_item_6_unsupported_version_is_426_with_version_13() {
        let err = rejected(&request_with(&[("Sec-WebSocket-Version", Some("8"))]));
        assert_eq!(err, HandshakeError::UnsupportedVersion("8".into()));
        assert_eq!(
            err.to_string(),
            "Sec-WebSocket-Version: 8 is not supported; only 13 is (RFC 6455 §4.2.1 item 6, §4.4)"
        );
        assert_eq!(err.status(), 426);
        let (status, headers, body) = read_response(&reject_response(&err));
        assert_eq!(status, 426);
        assert_eq!(header(&headers, "Sec-WebSocket-Version"), Some("13"));
        assert_eq!(header(&headers, "Upgrade"), Some("websocket"));
        let connection = header(&headers, "Connection").unwrap();
        assert!(list_contains(connection, "close") && list_contains(connection, "upgrade"));
        assert_eq!(
            header(&headers, "Content-Length"),
            Some(body.len().to_string().as_str())
        );
        assert!(body.contains("Sec-WebSocket-Version: 8"));
    }

    #[test]
    fn rfc6455_4_2_1_item_6_missing_version_is_426() {
        let err = rejected(&request_with(&[("Sec-WebSocket-Version", None)]));
        assert_eq!(err, HandshakeError::MissingVersion);
        assert_eq!(err.status(), 426);
    }

    #[test]
    fn rfc6455_4_4_version_checked_before_key() {
        let err = rejected(&request_with(&[
            ("Sec-WebSocket-Version", Some("7")),
            ("Sec-WebSocket-Key", None),
        ]));
        assert_eq!(err, HandshakeError::UnsupportedVersion("7".into()));
    }

    #[test]
    fn hixie76_request_is_recognised_and_reported_as_missing_version() {
        let buf = b"GET /demo HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\n\
            Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\nSec-WebSocket-Protocol: sample\r\n\
            Upgrade: WebSocket\r\nSec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n\
            Origin: http://example.com\r\n\r\n^n:ds[4U";
        let Parsed::Complete(head, n) = parse_request_head(buf, &Limits::default()).unwrap() else {
            panic!("partial")
        };
        assert_eq!(&buf[n..], b"^n:ds[4U");
        assert!(is_hixie76_request(&head));
        assert_eq!(
            head.header("sec-websocket-key1"),
            Some("4 @1  46546xW%0l 1 5")
        );
        assert_eq!(
            Request::from_head(head),
            Err(HandshakeError::MissingVersion)
        );
        assert!(!is_hixie76_request(
            &RequestHead::parse(&request_with(&[])).unwrap()
        ));
    }

    // Header names, subprotocols, extensions

    #[test]
    fn rfc7230_3_2_header_names_in_odd_case_are_accepted() {
        let buf = b"GET /x HTTP/1.1\r\nhOsT: a.example\r\nUPGRADE: websocket\r\n\
            connection: upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
            SEC-WEBSOCKET-VERSION: 13\r\nsec-WebSocket-PROTOCOL: a\r\norigin: null\r\n\r\n";
        let req = complete(buf);
        assert_eq!(req.host, "a.example");
        assert_eq!(req.key, KEY);
        assert_eq!(req.protocols, ["a"]);
        assert_eq!(req.origin.as_deref(), Some("null"));
        // Names are kept as sent.
        assert_eq!(req.headers[0].0, "hOsT");
    }

    #[test]
    fn rfc6455_4_1_multiple_protocol_headers_are_combined_in_order() {
        let mut buf = request_with(&[("Sec-WebSocket-Protocol", Some("chat, superchat"))]);
        buf.truncate(buf.len() - 2);
        buf.extend_from_slice(b"Sec-WebSocket-Protocol: v2.bin,,  v1.json \r\n\r\n");
        let req = complete(&buf);
        assert_eq!(req.protocols, ["chat", "superchat", "v2.bin", "v1.json"]);
    }

    #[test]
    fn rfc6455_4_1_item_10_protocol_that_is_not_a_token_is_400() {
        let err = rejected(&request_with(&[(
            "Sec-WebSocket-Protocol",
            Some("chat, two words"),
        )]));
        assert_eq!(
            err,
            HandshakeError::InvalidProtocol("chat, two words".into())
        );
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn rfc6455_9_1_extension_lines_are_combined_and_malformed_is_400() {
        let mut buf = request_with(&[(
            "Sec-WebSocket-Extensions",
            Some("permessage-deflate; client_max_window_bits"),
        )]);
        buf.truncate(buf.len() - 2);
        buf.extend_from_slice(b"Sec-WebSocket-Extensions: x-foo, permessage-deflate\r\n\r\n");
        let req = complete(&buf);
        let names: Vec<_> = req.extensions.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["permessage-deflate", "x-foo", "permessage-deflate"]);
        assert_eq!(req.extensions[0].params[0].name, "client_max_window_bits");

        let err = rejected(&request_with(&[("Sec-WebSocket-Extensions", Some("a b"))]));
        assert!(matches!(err, HandshakeError::InvalidExtensions(_)));
        assert!(err.to_string().contains("Sec-WebSocket-Extensions"));
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn rfc6455_4_2_2_select_protocol_only_returns_an_offered_one() {
        let req = complete(&request_with(&[]));
        // Server preference decides among offered ones.
        assert_eq!(
            select_protocol(&req, &["superchat", "chat"]).as_deref(),
            Some("superchat")
        );
        assert_eq!(
            select_protocol(&req, &["mqtt", "chat"]).as_deref(),
            Some("chat")
        );
        assert_eq!(select_protocol(&req, &["mqtt", "Chat"]), None);
        assert_eq!(select_protocol(&req, &[]), None);
    }

    // §4.2.2: the server's answer

    #[test]
    fn rfc6455_4_2_2_accept_response_carries_the_accept_key() {
        let req = complete(&request_with(&[]));
        let proto = select_protocol(&req, &["chat"]);
        let bytes = accept_response(
            &req,
            proto.as_deref(),
            Some("x-foo"),
            &[("Server", "wsspec")],
        );
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
            "{text}"
        );
        let (status, headers, body) = read_response(&bytes);
        assert_eq!(status, 101);
        assert!(body.is_empty());
        assert_eq!(header(&headers, "Upgrade"), Some("websocket"));
        assert_eq!(header(&headers, "Connection"), Some("Upgrade"));
        assert_eq!(header(&headers, "Sec-WebSocket-Accept"), Some(ACCEPT));
        assert_eq!(header(&headers, "Sec-WebSocket-Protocol"), Some("chat"));
        assert_eq!(header(&headers, "Sec-WebSocket-Extensions"), Some("x-foo"));
        assert_eq!(header(&headers, "Server"), Some("wsspec"));

        let plain = accept_response(&req, None, None, &[]);
        let (_, headers, _) = read_response(&plain);
        assert_eq!(header(&headers, "Sec-WebSocket-Protocol"), None);
        assert_eq!(header(&headers, "Sec-WebSocket-Extensions"), None);
    }

    #[test]
    fn reject_response_content_length_matches_body_for_every_status() {
        for err in [
            HandshakeError::HeadTooLarge { limit: 10 },
            HandshakeError::MethodNotGet("PUT".into()),
            HandshakeError::MissingVersion,
            HandshakeError::InvalidKey("ü".into()),
        ] {
            let (status, headers, body) = read_response(&reject_response(&err));
            assert_eq!(status, err.status());
            assert_eq!(
                header(&headers, "Content-Length").unwrap(),
                body.len().to_string()
            );
            assert!(list_contains(
                header(&headers, "Connection").unwrap(),
                "close"
            ));
            assert_eq!(body, format!("{err}\n"));
        }
    }

    // Client side: building the request

    #[test]
    fn rfc6455_4_1_client_request_is_accepted_by_the_server_side() {
        let mut c = client();
        c.origin = Some("http://example.com".into());
        c.extra_headers = vec![("User-Agent".into(), "wsspec".into())];
        let bytes = c.to_bytes();
        let req = complete(&bytes);
        assert_eq!(req.path, "/chat");
        assert_eq!(req.host, "server.example.com");
        assert_eq!(req.key, KEY);
        assert_eq!(req.origin.as_deref(), Some("http://example.com"));
        assert_eq!(req.protocols, c.protocols);
        assert_eq!(req.extensions, c.extensions);
        assert_eq!(req.header("User-Agent"), Some("wsspec"));
        assert_eq!(c.expected_accept(), ACCEPT);
    }

    #[test]
    fn rfc6455_4_1_client_request_without_options_omits_their_headers() {
        let c = ClientRequest::new("h", "/");
        let req = complete(&c.to_bytes());
        assert!(is_valid_key(&c.key));
        assert_eq!(req.header("Sec-WebSocket-Protocol"), None);
        assert_eq!(req.header("Sec-WebSocket-Extensions"), None);
        assert_eq!(req.header("Origin"), None);
    }

    // Client side: checking the response (§4.1)

    #[test]
    fn rfc6455_4_1_valid_response_with_frames_after_the_head() {
        let head = response_with(&[
            ("Sec-WebSocket-Protocol", Some("superchat")),
            (
                "Sec-WebSocket-Extensions",
                Some("permessage-deflate; server_max_window_bits=10"),
            ),
        ]);
        let mut buf = head.clone();
        buf.extend_from_slice(b"\x81\x02hi");
        let Parsed::Complete(resp, n) =
            parse_response(&buf, &client(), &Limits::default()).unwrap()
        else {
            panic!("partial")
        };
        assert_eq!(n, head.len());
        assert_eq!(&buf[n..], b"\x81\x02hi");
        assert_eq!(resp.status, 101);
        assert_eq!(resp.reason, "Switching Protocols");
        assert_eq!(resp.protocol.as_deref(), Some("superchat"));
        assert_eq!(resp.extensions[0].params[0].value.as_deref(), Some("10"));
        assert_eq!(resp.raw, head);
        assert_eq!(
            parse_response(&buf[..head.len() - 1], &client(), &Limits::default()),
            Ok(Parsed::Partial)
        );
    }

    #[test]
    fn rfc6455_4_1_response_fed_one_byte_at_a_time() {
        let mut buf = response_with(&[]);
        buf.extend_from_slice(b"\x88\x00");
        let mut parser = ResponseParser::new(&client(), &Limits::default());
        let mut done = None;
        for b in &buf {
            if done.is_none() {
                done = parser.feed(std::slice::from_ref(b)).unwrap();
            }
        }
        let (resp, rest) = done.unwrap();
        assert_eq!(resp.protocol, None);
        // The last head byte completed it; frame bytes came in later feeds.
        assert!(rest.is_empty());
        assert_eq!(resp.raw.len(), buf.len() - 2);
    }

    #[test]
    fn rfc6455_4_1_client_item_1_non_101_status_is_an_error_with_code_and_reason() {
        let buf = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
        let err = response_error(buf);
        assert_eq!(
            err,
            HandshakeError::UnexpectedStatus {
                code: 403,
                reason: "Forbidden".into()
            }
        );
        assert!(err.to_string().contains("403 Forbidden"));
    }

    #[test]
    fn rfc6455_4_1_client_item_1_http_1_0_response_is_an_error() {
        let buf = String::from_utf8(response_with(&[]))
            .unwrap()
            .replacen("HTTP/1.1", "HTTP/1.0", 1);
        assert_eq!(
            response_error(buf.as_bytes()),
            HandshakeError::HttpVersion(0)
        );
    }

    #[test]
    fn rfc6455_4_1_client_item_2_upgrade_must_be_websocket() {
        assert_eq!(
            response_error(&response_with(&[("Upgrade", None)])),
            HandshakeError::ResponseUpgrade(None)
        );
        assert_eq!(
            response_error(&response_with(&[("Upgrade", Some("websocket2"))])),
            HandshakeError::ResponseUpgrade(Some("websocket2".into()))
        );
        let ok = response_with(&[("Upgrade", Some("WebSocket"))]);
        assert!(parse_response(&ok, &client(), &Limits::default()).is_ok());
    }

    #[test]
    fn rfc6455_4_1_client_item_3_connection_must_contain_upgrade() {
        assert_eq!(
            response_error(&response_with(&[("Connection", None)])),
            HandshakeError::ResponseConnection(None)
        );
        assert_eq!(
            response_error(&response_with(&[("Connection", Some("close"))])),
            HandshakeError::ResponseConnection(Some("close".into()))
        );
        let ok = response_with(&[("Connection", Some("keep-alive, upgrade"))]);
        assert!(parse_response(&ok, &client(), &Limits::default()).is_ok());
    }

    #[test]
    fn rfc6455_4_1_client_item_4_wrong_accept_names_both_values() {
        let err = response_error(&response_with(&[("Sec-WebSocket-Accept", Some("AAAA"))]));
        assert_eq!(
            err,
            HandshakeError::AcceptMismatch {
                expected: ACCEPT.into(),
                found: Some("AAAA".into())
            }
        );
        let text = err.to_string();
        assert!(text.contains(ACCEPT) && text.contains("AAAA"), "{text}");

        let err = response_error(&response_with(&[("Sec-WebSocket-Accept", None)]));
        assert_eq!(
            err,
            HandshakeError::AcceptMismatch {
                expected: ACCEPT.into(),
                found: None
            }
        );
        assert!(err.to_string().contains("(missing)"));
    }

    #[test]
    fn rfc6455_11_3_3_repeated_accept_is_an_error() {
        let mut buf = response_with(&[]);
        buf.truncate(buf.len() - 2);
        buf.extend_from_slice(format!("Sec-WebSocket-Accept: {ACCEPT}\r\n\r\n").as_bytes());
        assert!(matches!(
            response_error(&buf),
            HandshakeError::RepeatedHeader {
                name: "Sec-WebSocket-Accept",
                ..
            }
        ));
    }

    #[test]
    fn rfc6455_4_1_client_item_5_extension_not_offered_is_an_error() {
        let err = response_error(&response_with(&[(
            "Sec-WebSocket-Extensions",
            Some("permessage-deflate, x-webkit-deflate-frame"),
        )]));
        assert_eq!(
            err,
            HandshakeError::ExtensionNotOffered("x-webkit-deflate-frame".into())
        );
        let err = response_error(&response_with(&[("Sec-WebSocket-Extensions", Some(";"))]));
        assert!(matches!(err, HandshakeError::InvalidExtensions(_)));
    }

    #[test]
    fn rfc6455_4_1_client_item_6_protocol_not_offered_is_an_error() {
        let err = response_error(&response_with(&[("Sec-WebSocket-Protocol", Some("mqtt"))]));
        assert_eq!(err, HandshakeError::ProtocolNotOffered("mqtt".into()));
        // Subprotocols compare exactly; a list is not one subprotocol.
        let err = response_error(&response_with(&[("Sec-WebSocket-Protocol", Some("Chat"))]));
        assert_eq!(err, HandshakeError::ProtocolNotOffered("Chat".into()));
        let err = response_error(&response_with(&[(
            "Sec-WebSocket-Protocol",
            Some("chat, superchat"),
        )]));
        assert_eq!(
            err,
            HandshakeError::ProtocolNotOffered("chat, superchat".into())
        );
        // No offer at all: any selection is an error.
        let bare = ClientRequest::with_key("h", "/", KEY);
        let buf = response_with(&[("Sec-WebSocket-Protocol", Some("chat"))]);
        assert_eq!(
            parse_response(&buf, &bare, &Limits::default()),
            Err(HandshakeError::ProtocolNotOffered("chat".into()))
        );
    }

    #[test]
    fn rfc6455_11_3_4_repeated_protocol_in_response_is_an_error() {
        let mut buf = response_with(&[("Sec-WebSocket-Protocol", Some("chat"))]);
        buf.truncate(buf.len() - 2);
        buf.extend_from_slice(b"Sec-WebSocket-Protocol: chat\r\n\r\n");
        assert!(matches!(
            response_error(&buf),
            HandshakeError::RepeatedHeader {
                name: "Sec-WebSocket-Protocol",
                ..
            }
        ));
    }

    #[test]
    fn response_head_over_max_handshake_is_an_error() {
        let limits = Limits {
            max_handshake: 40,
            ..Limits::default()
        };
        let buf = response_with(&[]);
        assert_eq!(
            parse_response(&buf, &client(), &limits),
            Err(HandshakeError::HeadTooLarge { limit: 40 })
        );
    }

    // Extensions syntax (§9.1)

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

    #[test]
    fn rfc6455_9_1_display_quotes_a_value_that_is_not_a_token() {
        let offer = ExtensionOffer {
            name: "x".into(),
            params: vec![ExtensionParam {
                name: "p".into(),
                value: Some("a \"b\"".into()),
            }],
        };
        assert_eq!(offer.to_string(), r#"x; p="a \"b\"""#);
    }
}
