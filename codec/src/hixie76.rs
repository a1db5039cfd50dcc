//! The legacy hixie-76 protocol (draft-hixie-thewebsocketprotocol-76, published by the
//! IETF unchanged as draft-ietf-hybi-thewebsocketprotocol-00).
//!
//! Sans-I/O like the rest of the codec: bytes in, values out. Section numbers below are
//! those of draft 76:
//!
//! - the opening handshake: the client's request (§4.1) with `Sec-WebSocket-Key1/Key2`
//!   and an 8-byte body, `key3`; the server reads it (§5.1) and answers with
//!   `Sec-WebSocket-Origin`, `Sec-WebSocket-Location` and the 16-byte MD5 challenge
//!   response (§5.2) — see [`ServerHandshake`] and [`ClientHandshake`];
//! - framing (§4.2 client side, §5.3 server side): a text frame is `0x00`, UTF-8, `0xFF`;
//!   a frame whose type byte has the high bit set carries a length in 7-bit groups and
//!   is skipped, except `0xFF 0x00`, the closing frame — see [`FrameDecoder`];
//! - the closing handshake (§1.4): each side sends `0xFF 0x00` once — see
//!   [`Hixie76Connection`].
//!
//! Where this module is stricter than the draft it says so: a text frame with a type
//! byte other than `0x00` and invalid UTF-8 in a text frame are errors here, where the
//! draft discards the first and replaces the second with U+FFFD (§4.3, §5.4).

use std::collections::VecDeque;

use md5::{Digest, Md5};
use rand::Rng;

use crate::limits::Limits;

/// Headers parsed from one handshake head; a head with more is rejected.
const MAX_HEADERS: usize = 96;

// ---------------------------------------------------------------------------------------
// Keys and the challenge (§4.1 steps 16–22 and 42–43, §5.2 steps 4–9)
// ---------------------------------------------------------------------------------------

/// Why a `Sec-WebSocket-Key1`/`Key2` value does not yield a key number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// §5.2 step 4: the key number is the key's digits read as one base-ten integer.
    #[error("the key contains no digits, so it has no key number (draft-hixie-76 §5.2 step 4)")]
    NoDigits,
    /// §4.1 steps 17–19: a key number is at most 4294967295; §5.2 step 8 writes the
    /// quotient as a 32-bit integer.
    #[error("the key's digits form a number above 4294967295 (draft-hixie-76 §4.1 steps 17–19, §5.2 step 4)")]
    Overflow,
    /// §5.2 step 5: the key number is divided by the count of spaces, so there must be one.
    #[error("the key contains no U+0020 SPACE, so its number cannot be divided by the spaces (draft-hixie-76 §5.2 step 5)")]
    NoSpaces,
    /// §5.2 step 6: a key number that is not a multiple of its spaces aborts the connection.
    #[error("key number {number} is not an integral multiple of its {spaces} spaces (draft-hixie-76 §5.2 step 6)")]
    NotIntegral {
        /// The key's digits as a number.
        number: u32,
        /// How many spaces the key contains.
        spaces: u64,
    },
}

/// The value a `Sec-WebSocket-Key1`/`Key2` stands for: its digits read as one base-ten
/// number, divided by its count of spaces (§5.2 steps 4–7).
///
/// `"4 @1  46546xW%0l 1 5"` has digits 4146546015 and 5 spaces: 829309203.
pub fn key_number(key: &str) -> Result<u32, KeyError> {
    let mut number: u64 = 0;
    let mut digits = false;
    let mut spaces: u64 = 0;
    for b in key.bytes() {
        match b {
            b'0'..=b'9' => {
                digits = true;
                // Checked per digit: never more than 4294967295 * 10 + 9 in a u64.
                number = number * 10 + u64::from(b - b'0');
                if number > u64::from(u32::MAX) {
                    return Err(KeyError::Overflow);
                }
            }
            b' ' => spaces += 1,
            _ => {}
        }
    }
    if !digits {
        return Err(KeyError::NoDigits);
    }
    if spaces == 0 {
        return Err(KeyError::NoSpaces);
    }
    let number = number as u32; // ≤ u32::MAX, checked above
    if u64::from(number) % spaces != 0 {
        return Err(KeyError::NotIntegral { number, spaces });
    }
    Ok((u64::from(number) / spaces) as u32)
}

/// The inputs of the challenge: both key numbers and `key3`, the 8 bytes that follow the
/// client's head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Challenge {
    /// The number `Sec-WebSocket-Key1` stands for ([`key_number`]).
    pub number1: u32,
    /// The number `Sec-WebSocket-Key2` stands for.
    pub number2: u32,
    /// The 8 bytes sent after the blank line of the request.
    pub key3: [u8; 8],
}

impl Challenge {
    /// The 16-byte answer: the MD5 of `number1` and `number2` as big-endian 32-bit
    /// integers followed by `key3` (§5.2 steps 8–9, §4.1 steps 42–43).
    pub fn response(&self) -> [u8; 16] {
        let mut md5 = Md5::new();
        md5.update(self.number1.to_be_bytes());
        md5.update(self.number2.to_be_bytes());
        md5.update(self.key3);
        md5.finalize().into()
    }
}

/// The three keys a client sends: `Sec-WebSocket-Key1`, `Sec-WebSocket-Key2` and `key3`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientKeys {
    key1: String,
    key2: String,
    challenge: Challenge,
}

/// Characters §4.1 step 21 inserts into a key: U+0021–U+002F and U+003A–U+007E.
fn random_key_filler<R: Rng + ?Sized>(rng: &mut R) -> char {
    // 15 characters below the digits, 69 above.
    let i = rng.gen_range(0..15 + 69);
    if i < 15 {
        char::from(0x21 + i as u8)
    } else {
        char::from(0x3a + (i - 15) as u8)
    }
}

/// One key by the algorithm of §4.1 steps 16–22; returns the key and its number.
fn random_key<R: Rng + ?Sized>(rng: &mut R) -> (String, u32) {
    let spaces: u32 = rng.gen_range(1..=12); // step 16
    let max = u32::MAX / spaces; // step 17
    let number = rng.gen_range(0..=max); // step 18
    let product = number * spaces; // step 19: ≤ u32::MAX by construction
    let mut key: Vec<char> = product.to_string().chars().collect(); // step 20
    for _ in 0..rng.gen_range(1..=12) {
        // step 21: anywhere, ends included
        let at = rng.gen_range(0..=key.len());
        key.insert(at, random_key_filler(rng));
    }
    for _ in 0..spaces {
        // step 22: never first or last; the key has ≥ 2 characters here (a digit and
        // at least one filler), so an inner position always exists.
        let at = rng.gen_range(1..key.len());
        key.insert(at, ' ');
    }
    (key.into_iter().collect(), number)
}

impl ClientKeys {
    /// Fresh keys from `rng` by the algorithm of §4.1: steps 16–22 for each key, step 26
    /// (eight random bytes) for `key3`.
    pub fn generate<R: Rng + ?Sized>(rng: &mut R) -> Self {
        let (key1, number1) = random_key(rng);
        let (key2, number2) = random_key(rng);
        let key3: [u8; 8] = rng.gen();
        ClientKeys {
            key1,
            key2,
            challenge: Challenge {
                number1,
                number2,
                key3,
            },
        }
    }

    /// Fresh keys from the thread-local RNG.
    pub fn random() -> Self {
        Self::generate(&mut rand::thread_rng())
    }

    /// Explicit keys (for tests, or to send the draft's worked example). Fails if a key
    /// does not stand for a number ([`key_number`]).
    pub fn from_parts(key1: &str, key2: &str, key3: [u8; 8]) -> Result<Self, HandshakeError> {
        let number1 = key_number(key1).map_err(|source| HandshakeError::InvalidKey {
            header: "Sec-WebSocket-Key1",
            source,
        })?;
        let number2 = key_number(key2).map_err(|source| HandshakeError::InvalidKey {
            header: "Sec-WebSocket-Key2",
            source,
        })?;
        for (field, key) in [("Sec-WebSocket-Key1", key1), ("Sec-WebSocket-Key2", key2)] {
            check_sendable(field, key)?;
        }
        Ok(ClientKeys {
            key1: key1.to_owned(),
            key2: key2.to_owned(),
            challenge: Challenge {
                number1,
                number2,
                key3,
            },
        })
    }

    /// The `Sec-WebSocket-Key1` value.
    pub fn key1(&self) -> &str {
        &self.key1
    }

    /// The `Sec-WebSocket-Key2` value.
    pub fn key2(&self) -> &str {
        &self.key2
    }

    /// The key numbers and `key3`.
    pub fn challenge(&self) -> Challenge {
        self.challenge
    }
}

// ---------------------------------------------------------------------------------------
// Handshake errors and the head reader
// ---------------------------------------------------------------------------------------

/// Why an opening handshake (either side) is rejected. Each variant names the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// The head did not end within [`Limits::max_handshake`] bytes.
    #[error("handshake head exceeds {max} bytes without ending in a blank line (limit: Limits::max_handshake)")]
    HeadTooLarge {
        /// The configured limit.
        max: usize,
    },
    /// The head is not a well-formed HTTP/1.1 request or status line plus fields.
    #[error("malformed HTTP head: {0} (draft-hixie-76 §4.1, §5.1)")]
    Malformed(String),
    /// §4.1 step 5 / §5.1: the handshake is a `GET` request.
    #[error("request method {0:?}: the opening handshake is a GET request (draft-hixie-76 §5.1)")]
    NotGet(String),
    /// §4.1 step 5 / §4.1 step 28: the request line and status line are HTTP/1.1.
    #[error("HTTP/1.0 head: the handshake uses HTTP/1.1 (draft-hixie-76 §4.1 steps 5 and 28)")]
    NotHttp11,
    /// §3 / §5.1: the resource name is an absolute path, starting with `/`.
    #[error(
        "request target {0:?} is not a resource name starting with \"/\" (draft-hixie-76 §3, §5.1)"
    )]
    InvalidResource(String),
    /// A field the handshake requires is absent.
    #[error("missing {0} field (draft-hixie-76 §4.1 step 41, §5.1)")]
    MissingHeader(&'static str),
    /// A handshake field appears twice, so its value is ambiguous.
    #[error("{0} field appears more than once (draft-hixie-76 §4.1 step 41, §5.1)")]
    DuplicateHeader(&'static str),
    /// A handshake field's value is not UTF-8.
    #[error("{0} field value is not UTF-8 (draft-hixie-76 §4.1, §5.1)")]
    HeaderNotUtf8(&'static str),
    /// §5.1: `Upgrade` is an ASCII case-insensitive match for `WebSocket`; §4.1 step 41:
    /// in the server's response it is exactly `WebSocket`.
    #[error("Upgrade field is {0:?}, not \"WebSocket\" (draft-hixie-76 §4.1 step 41, §5.1)")]
    BadUpgrade(String),
    /// §5.1 / §4.1 step 41: `Connection` is (ASCII case-insensitively) `Upgrade`.
    #[error("Connection field is {0:?}, not \"Upgrade\" (draft-hixie-76 §4.1 step 41, §5.1)")]
    BadConnection(String),
    /// A `Sec-WebSocket-Key1`/`Key2` that does not stand for a number (§5.2 steps 4–6).
    #[error("{header}: {source}")]
    InvalidKey {
        /// `Sec-WebSocket-Key1` or `Sec-WebSocket-Key2`.
        header: &'static str,
        /// What is wrong with it.
        #[source]
        source: KeyError,
    },
    /// §4.1: a subprotocol is a non-empty string of characters U+0020–U+007E.
    #[error("Sec-WebSocket-Protocol {0:?} is empty or has characters outside U+0020–U+007E (draft-hixie-76 §4.1)")]
    InvalidProtocol(String),
    /// A client field that cannot be written into a request head.
    #[error("{field} {value:?} cannot be sent: it is empty or contains a control character (or, for the resource, a space or no leading \"/\") (draft-hixie-76 §4.1)")]
    InvalidClientField {
        /// Which field.
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// §4.1 step 31: anything but `101` fails the connection.
    #[error("response status {0}, expected 101 (draft-hixie-76 §4.1 step 31)")]
    BadStatus(u16),
    /// §4.1 step 41: `Sec-WebSocket-Origin` must equal the origin the client sent.
    #[error("Sec-WebSocket-Origin {actual:?} does not equal the origin sent, {expected:?} (draft-hixie-76 §4.1 step 41)")]
    OriginMismatch {
        /// The origin the client sent.
        expected: String,
        /// The server's `Sec-WebSocket-Origin`.
        actual: String,
    },
    /// §4.1 step 41: `Sec-WebSocket-Location` must equal the URL the client connected to.
    #[error("Sec-WebSocket-Location {actual:?} does not equal the URL connected to, {expected:?} (draft-hixie-76 §4.1 step 41)")]
    LocationMismatch {
        /// `ws[s]://host/resource` as the client sent it.
        expected: String,
        /// The server's `Sec-WebSocket-Location`.
        actual: String,
    },
    /// §4.1 step 41: the server echoes the requested subprotocol exactly, or nothing if
    /// none was requested.
    #[error("Sec-WebSocket-Protocol {actual:?} does not match the subprotocol requested, {expected:?} (draft-hixie-76 §4.1 step 41)")]
    ProtocolMismatch {
        /// What the client requested.
        expected: Option<String>,
        /// What the server answered.
        actual: Option<String>,
    },
    /// §4.1 step 45: the 16 bytes after the response head must equal the expected MD5.
    #[error("challenge response {actual:02x?} is not the MD5 of the keys, {expected:02x?} (draft-hixie-76 §4.1 step 45)")]
    ChallengeMismatch {
        /// The MD5 the client computed.
        expected: [u8; 16],
        /// The 16 bytes the server sent.
        actual: [u8; 16],
    },
}

/// Outcome of feeding a handshake reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress<T> {
    /// The handshake is complete; the input was advanced past its last byte only.
    Complete(T),
    /// All input was consumed; at least this many more bytes are needed.
    NeedMore(usize),
}

/// Finds the end of an HTTP head (`\n\n` or `\n\r\n`) in `buf`, searching from `*from`.
/// Leaves `*from` where the next search must resume.
fn find_head_end(buf: &[u8], from: &mut usize) -> Option<usize> {
    let mut i = *from;
    while let Some(off) = buf[i..].iter().position(|&b| b == b'\n') {
        let nl = i + off;
        match (buf.get(nl + 1), buf.get(nl + 2)) {
            (Some(b'\n'), _) => return Some(nl + 2),
            (Some(b'\r'), Some(b'\n')) => return Some(nl + 3),
            (None, _) | (Some(b'\r'), None) => {
                // Undecided until more bytes arrive.
                *from = nl;
                return None;
            }
            _ => i = nl + 1,
        }
    }
    *from = buf.len();
    None
}

/// Buffers a head (bounded by `max_head`) and then exactly `body_len` bytes after it.
#[derive(Debug, Clone)]
struct HeadReader {
    buf: Vec<u8>,
    scanned: usize,
    head_len: Option<usize>,
    body_len: usize,
    max_head: usize,
}

impl HeadReader {
    fn new(max_head: usize, body_len: usize) -> Self {
        HeadReader {
            buf: Vec::new(),
            scanned: 0,
            head_len: None,
            body_len,
            max_head,
        }
    }

    /// Takes bytes until the head is complete; returns its length once it is.
    fn read_head(&mut self, input: &mut &[u8]) -> Result<Option<usize>, HandshakeError> {
        if let Some(n) = self.head_len {
            return Ok(Some(n));
        }
        let before = self.buf.len();
        let room = (self.max_head + self.body_len).saturating_sub(before);
        let take = input.len().min(room);
        self.buf.extend_from_slice(&input[..take]);
        match find_head_end(&self.buf, &mut self.scanned) {
            Some(end) if end <= self.max_head => {
                // The head ends in this chunk (it would have been found before
                // otherwise); body bytes beyond `body_len` stay in the input.
                let keep = (end + self.body_len).min(self.buf.len());
                let used = keep - before;
                self.buf.truncate(keep);
                *input = &input[used..];
                self.head_len = Some(end);
                Ok(Some(end))
            }
            Some(_) => Err(HandshakeError::HeadTooLarge { max: self.max_head }),
            None if self.buf.len() >= self.max_head => {
                Err(HandshakeError::HeadTooLarge { max: self.max_head })
            }
            None => {
                *input = &input[take..];
                Ok(None)
            }
        }
    }

    /// After the head: takes body bytes; returns the body once all `body_len` are here.
    fn read_body(&mut self, input: &mut &[u8]) -> Option<&[u8]> {
        let head = self.head_len?;
        let have = self.buf.len() - head;
        let take = input.len().min(self.body_len - have);
        self.buf.extend_from_slice(&input[..take]);
        *input = &input[take..];
        (self.buf.len() == head + self.body_len).then(|| &self.buf[head..])
    }

    fn body_missing(&self) -> usize {
        match self.head_len {
            Some(head) => head + self.body_len - self.buf.len(),
            None => 1,
        }
    }

    fn head(&self) -> &[u8] {
        &self.buf[..self.head_len.unwrap_or(0)]
    }
}

/// The one value of field `name` (ASCII case-insensitive), if present.
fn field<'h>(
    headers: &[httparse::Header<'h>],
    name: &'static str,
) -> Result<Option<&'h str>, HandshakeError> {
    let mut found = None;
    for h in headers.iter().filter(|h| h.name.eq_ignore_ascii_case(name)) {
        if found.is_some() {
            return Err(HandshakeError::DuplicateHeader(name));
        }
        found =
            Some(std::str::from_utf8(h.value).map_err(|_| HandshakeError::HeaderNotUtf8(name))?);
    }
    Ok(found)
}

fn required<'h>(
    headers: &[httparse::Header<'h>],
    name: &'static str,
) -> Result<&'h str, HandshakeError> {
    field(headers, name)?.ok_or(HandshakeError::MissingHeader(name))
}

fn valid_protocol(p: &str) -> bool {
    !p.is_empty() && p.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// Whether `value` can be written into a head as is.
fn check_sendable(field: &'static str, value: &str) -> Result<(), HandshakeError> {
    if value.is_empty() || value.chars().any(char::is_control) {
        return Err(HandshakeError::InvalidClientField {
            field,
            value: value.to_owned(),
        });
    }
    Ok(())
}

/// Whether a request should be handled as hixie-76: it carries `Sec-WebSocket-Key1` and
/// `Sec-WebSocket-Key2` and no `Sec-WebSocket-Version` (which every RFC 6455 / hybi
/// client sends). Lets an RFC 6455 server route both protocols on one port:
///
/// ```
/// # use wsspec_codec::hixie76::is_hixie76_request;
/// let mut headers = [httparse::EMPTY_HEADER; 16];
/// let mut req = httparse::Request::new(&mut headers);
/// req.parse(b"GET / HTTP/1.1\r\nSec-WebSocket-Key1: 1 2\r\nSec-WebSocket-Key2: 3 4\r\n\r\n").unwrap();
/// assert!(is_hixie76_request(req.headers.iter().map(|h| (h.name, h.value))));
/// ```
pub fn is_hixie76_request<'h>(headers: impl IntoIterator<Item = (&'h str, &'h [u8])>) -> bool {
    let (mut key1, mut key2, mut version) = (false, false, false);
    for (name, _) in headers {
        key1 |= name.eq_ignore_ascii_case("Sec-WebSocket-Key1");
        key2 |= name.eq_ignore_ascii_case("Sec-WebSocket-Key2");
        version |= name.eq_ignore_ascii_case("Sec-WebSocket-Version");
    }
    key1 && key2 && !version
}

// ---------------------------------------------------------------------------------------
// Server side (§5.1, §5.2)
// ---------------------------------------------------------------------------------------

/// A client's opening handshake as a server reads it (§5.1), keys already checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRequest {
    /// The resource name from the request line, e.g. `/demo`.
    pub resource: String,
    /// The `Host` field, port included if given.
    pub host: String,
    /// The `Origin` field.
    pub origin: String,
    /// The `Sec-WebSocket-Protocol` field, if sent.
    pub protocol: Option<String>,
    /// The `Sec-WebSocket-Key1` field as sent.
    pub key1: String,
    /// The `Sec-WebSocket-Key2` field as sent.
    pub key2: String,
    /// Key numbers and `key3`.
    pub challenge: Challenge,
}

/// How a server answers a [`ClientRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AcceptOptions {
    /// The connection is over TLS: the location is `wss://` rather than `ws://`.
    pub secure: bool,
    /// Echo the requested `Sec-WebSocket-Protocol` (ignored if none was requested).
    pub accept_protocol: bool,
}

impl ClientRequest {
    /// `ws://<host><resource>` (or `wss://`), the `Sec-WebSocket-Location` (§5.2 step 11).
    pub fn location(&self, secure: bool) -> String {
        let scheme = if secure { "wss" } else { "ws" };
        format!("{scheme}://{}{}", self.host, self.resource)
    }

    /// The server's handshake (§5.2 steps 10–13): the status line, `Upgrade`,
    /// `Connection`, `Sec-WebSocket-Origin`, `Sec-WebSocket-Location`, the subprotocol
    /// when requested and accepted, a blank line, then the 16-byte challenge response.
    pub fn response(&self, options: AcceptOptions) -> Vec<u8> {
        let mut head = String::from(
            "HTTP/1.1 101 WebSocket Protocol Handshake\r\n\
             Upgrade: WebSocket\r\n\
             Connection: Upgrade\r\n",
        );
        head.push_str(&format!("Sec-WebSocket-Origin: {}\r\n", self.origin));
        head.push_str(&format!(
            "Sec-WebSocket-Location: {}\r\n",
            self.location(options.secure)
        ));
        if let (true, Some(p)) = (options.accept_protocol, &self.protocol) {
            head.push_str(&format!("Sec-WebSocket-Protocol: {p}\r\n"));
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(&self.challenge.response());
        out
    }
}

/// The head of a client request, checked, waiting for `key3`.
#[derive(Debug, Clone)]
struct RequestHead {
    resource: String,
    host: String,
    origin: String,
    protocol: Option<String>,
    key1: String,
    key2: String,
    number1: u32,
    number2: u32,
}

/// Checks a client's head against §5.1 and computes the key numbers (§5.2 steps 4–7).
fn parse_request_head(head: &[u8]) -> Result<RequestHead, HandshakeError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => {
            return Err(HandshakeError::Malformed("incomplete request head".into()))
        }
        Err(e) => return Err(HandshakeError::Malformed(e.to_string())),
    }
    let method = req.method.unwrap_or_default();
    if method != "GET" {
        return Err(HandshakeError::NotGet(method.to_owned()));
    }
    if req.version != Some(1) {
        return Err(HandshakeError::NotHttp11);
    }
    let resource = req.path.unwrap_or_default();
    if !resource.starts_with('/') {
        return Err(HandshakeError::InvalidResource(resource.to_owned()));
    }
    let h = &*req.headers;
    let upgrade = required(h, "Upgrade")?;
    if !upgrade.trim().eq_ignore_ascii_case("WebSocket") {
        return Err(HandshakeError::BadUpgrade(upgrade.to_owned()));
    }
    // The draft's clients send exactly "Upgrade"; a token list containing it (as
    // intermediaries produce) is accepted, as RFC 6455 servers do.
    let connection = required(h, "Connection")?;
    if !connection
        .split(',')
        .any(|t| t.trim().eq_ignore_ascii_case("Upgrade"))
    {
        return Err(HandshakeError::BadConnection(connection.to_owned()));
    }
    let host = required(h, "Host")?;
    let origin = required(h, "Origin")?;
    let protocol = field(h, "Sec-WebSocket-Protocol")?;
    if let Some(p) = protocol {
        if !valid_protocol(p) {
            return Err(HandshakeError::InvalidProtocol(p.to_owned()));
        }
    }
    let key1 = required(h, "Sec-WebSocket-Key1")?;
    let key2 = required(h, "Sec-WebSocket-Key2")?;
    let number1 = key_number(key1).map_err(|source| HandshakeError::InvalidKey {
        header: "Sec-WebSocket-Key1",
        source,
    })?;
    let number2 = key_number(key2).map_err(|source| HandshakeError::InvalidKey {
        header: "Sec-WebSocket-Key2",
        source,
    })?;
    Ok(RequestHead {
        resource: resource.to_owned(),
        host: host.to_owned(),
        origin: origin.to_owned(),
        protocol: protocol.map(str::to_owned),
        key1: key1.to_owned(),
        key2: key2.to_owned(),
        number1,
        number2,
    })
}

/// Reads a client's opening handshake from bytes arriving in pieces of any size: the
/// head (at most [`Limits::max_handshake`] bytes), checked as soon as it is complete,
/// then exactly 8 bytes of `key3`. Bytes after `key3` (frames sent early) are left in
/// the input.
#[derive(Debug, Clone)]
pub struct ServerHandshake {
    reader: HeadReader,
    head: Option<RequestHead>,
    done: Option<ClientRequest>,
    failed: Option<HandshakeError>,
}

impl ServerHandshake {
    /// A reader bounded by `limits.max_handshake`.
    pub fn new(limits: Limits) -> Self {
        ServerHandshake {
            reader: HeadReader::new(limits.max_handshake, 8),
            head: None,
            done: None,
            failed: None,
        }
    }

    /// Feeds bytes, advancing `input` past those used. After an error it keeps
    /// returning that error; after completion it keeps returning the request and uses
    /// no more input.
    pub fn feed(&mut self, input: &mut &[u8]) -> Result<Progress<ClientRequest>, HandshakeError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        if let Some(done) = &self.done {
            return Ok(Progress::Complete(done.clone()));
        }
        let result = self.step(input);
        if let Err(err) = &result {
            self.failed = Some(err.clone());
        }
        result
    }

    fn step(&mut self, input: &mut &[u8]) -> Result<Progress<ClientRequest>, HandshakeError> {
        if self.head.is_none() {
            if self.reader.read_head(input)?.is_none() {
                return Ok(Progress::NeedMore(1));
            }
            self.head = Some(parse_request_head(self.reader.head())?);
        }
        let Some(body) = self.reader.read_body(input) else {
            return Ok(Progress::NeedMore(self.reader.body_missing()));
        };
        let key3: [u8; 8] = body.try_into().expect("the reader returns exactly 8 bytes");
        let head = self.head.take().expect("set above");
        let request = ClientRequest {
            resource: head.resource,
            host: head.host,
            origin: head.origin,
            protocol: head.protocol,
            key1: head.key1,
            key2: head.key2,
            challenge: Challenge {
                number1: head.number1,
                number2: head.number2,
                key3,
            },
        };
        self.reader = HeadReader::new(0, 0); // free the buffer
        self.done = Some(request.clone());
        Ok(Progress::Complete(request))
    }
}

// ---------------------------------------------------------------------------------------
// Client side (§4.1)
// ---------------------------------------------------------------------------------------

/// Where and how a client connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// The `Host` field: host, and `:port` unless it is the default.
    pub host: String,
    /// The resource name, starting with `/`.
    pub resource: String,
    /// The `Origin` field.
    pub origin: String,
    /// A subprotocol to request (`Sec-WebSocket-Protocol`).
    pub protocol: Option<String>,
    /// `wss://` rather than `ws://`.
    pub secure: bool,
}

/// What the server's accepted handshake said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerResponse {
    /// The `Sec-WebSocket-Origin` (equal to the origin sent).
    pub origin: String,
    /// The `Sec-WebSocket-Location` (equal to the URL connected to).
    pub location: String,
    /// The subprotocol the server accepted.
    pub protocol: Option<String>,
}

/// The client's opening handshake: builds the request, then reads and checks the
/// server's response from bytes arriving in pieces of any size (§4.1).
#[derive(Debug, Clone)]
pub struct ClientHandshake {
    config: ClientConfig,
    keys: ClientKeys,
    reader: HeadReader,
    head: Option<ServerResponse>,
    done: Option<ServerResponse>,
    failed: Option<HandshakeError>,
}

impl ClientHandshake {
    /// A handshake for `config` with `keys` ([`ClientKeys::generate`] in real use).
    /// Fails if a field cannot be written into a request head.
    pub fn new(
        config: ClientConfig,
        keys: ClientKeys,
        limits: Limits,
    ) -> Result<Self, HandshakeError> {
        check_sendable("Host", &config.host)?;
        check_sendable("Origin", &config.origin)?;
        if !config.resource.starts_with('/') || config.resource.contains(' ') {
            return Err(HandshakeError::InvalidClientField {
                field: "resource",
                value: config.resource.clone(),
            });
        }
        check_sendable("resource", &config.resource)?;
        if let Some(p) = &config.protocol {
            if !valid_protocol(p) {
                return Err(HandshakeError::InvalidProtocol(p.clone()));
            }
        }
        Ok(ClientHandshake {
            config,
            keys,
            reader: HeadReader::new(limits.max_handshake, 16),
            head: None,
            done: None,
            failed: None,
        })
    }

    /// The URL the client connects to, `ws[s]://host/resource`: the location the server
    /// must name.
    pub fn location(&self) -> String {
        let scheme = if self.config.secure { "wss" } else { "ws" };
        format!("{scheme}://{}{}", self.config.host, self.config.resource)
    }

    /// The keys this handshake sends.
    pub fn keys(&self) -> &ClientKeys {
        &self.keys
    }

    /// The request to send (§4.1 steps 5–27): the head, then the 8 bytes of `key3`. The
    /// draft sends the fields in random order; this sends them in a fixed one.
    pub fn request(&self) -> Vec<u8> {
        let c = &self.config;
        let mut head = format!(
            "GET {} HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nHost: {}\r\nOrigin: {}\r\n",
            c.resource, c.host, c.origin
        );
        if let Some(p) = &c.protocol {
            head.push_str(&format!("Sec-WebSocket-Protocol: {p}\r\n"));
        }
        head.push_str(&format!(
            "Sec-WebSocket-Key1: {}\r\nSec-WebSocket-Key2: {}\r\n\r\n",
            self.keys.key1, self.keys.key2
        ));
        let mut out = head.into_bytes();
        out.extend_from_slice(&self.keys.challenge.key3);
        out
    }

    /// Feeds the server's bytes, advancing `input` past those used; frames the server
    /// sent right after its handshake stay in the input. After an error it keeps
    /// returning that error; after completion it keeps returning the response.
    pub fn feed(&mut self, input: &mut &[u8]) -> Result<Progress<ServerResponse>, HandshakeError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        if let Some(done) = &self.done {
            return Ok(Progress::Complete(done.clone()));
        }
        let result = self.step(input);
        if let Err(err) = &result {
            self.failed = Some(err.clone());
        }
        result
    }

    fn step(&mut self, input: &mut &[u8]) -> Result<Progress<ServerResponse>, HandshakeError> {
        if self.head.is_none() {
            if self.reader.read_head(input)?.is_none() {
                return Ok(Progress::NeedMore(1));
            }
            self.head = Some(self.check_response_head(self.reader.head())?);
        }
        let Some(body) = self.reader.read_body(input) else {
            return Ok(Progress::NeedMore(self.reader.body_missing()));
        };
        let actual: [u8; 16] = body
            .try_into()
            .expect("the reader returns exactly 16 bytes");
        let expected = self.keys.challenge.response();
        if actual != expected {
            return Err(HandshakeError::ChallengeMismatch { expected, actual });
        }
        let response = self.head.take().expect("set above");
        self.reader = HeadReader::new(0, 0);
        self.done = Some(response.clone());
        Ok(Progress::Complete(response))
    }

    /// §4.1 steps 28–41: status 101, then the fields.
    fn check_response_head(&self, head: &[u8]) -> Result<ServerResponse, HandshakeError> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut resp = httparse::Response::new(&mut headers);
        match resp.parse(head) {
            Ok(httparse::Status::Complete(_)) => {}
            Ok(httparse::Status::Partial) => {
                return Err(HandshakeError::Malformed("incomplete response head".into()))
            }
            Err(e) => return Err(HandshakeError::Malformed(e.to_string())),
        }
        if resp.version != Some(1) {
            return Err(HandshakeError::NotHttp11);
        }
        let code = resp.code.unwrap_or_default();
        if code != 101 {
            return Err(HandshakeError::BadStatus(code));
        }
        let h = &*resp.headers;
        let upgrade = required(h, "Upgrade")?;
        if upgrade != "WebSocket" {
            return Err(HandshakeError::BadUpgrade(upgrade.to_owned()));
        }
        let connection = required(h, "Connection")?;
        if !connection.eq_ignore_ascii_case("Upgrade") {
            return Err(HandshakeError::BadConnection(connection.to_owned()));
        }
        let origin = required(h, "Sec-WebSocket-Origin")?;
        if origin != self.config.origin {
            return Err(HandshakeError::OriginMismatch {
                expected: self.config.origin.clone(),
                actual: origin.to_owned(),
            });
        }
        let location = required(h, "Sec-WebSocket-Location")?;
        let expected_location = self.location();
        if location != expected_location {
            return Err(HandshakeError::LocationMismatch {
                expected: expected_location,
                actual: location.to_owned(),
            });
        }
        let protocol = field(h, "Sec-WebSocket-Protocol")?;
        if protocol != self.config.protocol.as_deref() {
            return Err(HandshakeError::ProtocolMismatch {
                expected: self.config.protocol.clone(),
                actual: protocol.map(str::to_owned),
            });
        }
        Ok(ServerResponse {
            origin: origin.to_owned(),
            location: location.to_owned(),
            protocol: protocol.map(str::to_owned),
        })
    }
}

// ---------------------------------------------------------------------------------------
// Framing (§4.2, §5.3)
// ---------------------------------------------------------------------------------------

/// The closing frame, `0xFF 0x00` (§1.4, §4.2, §5.3).
pub const CLOSE_FRAME: [u8; 2] = [0xff, 0x00];

/// A length prefix needs at most ten 7-bit groups to reach 64 bits.
const MAX_LENGTH_GROUPS: u8 = 10;

/// Why received hixie-76 frames are rejected. Each variant names the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// §4.2 / §5.3 define only type `0x00` for sentinel-terminated frames; the draft
    /// reads and discards other types, this decoder rejects them, since no endpoint of
    /// the draft sends them.
    #[error(
        "text frame type byte {0:#04x}: only 0x00 frames carry text (draft-hixie-76 §4.2, §5.3)"
    )]
    UnknownTextFrameType(u8),
    /// The `0xFF` ending a text frame did not arrive within [`Limits::max_frame`] bytes.
    #[error("text frame without its 0xFF terminator within {max} bytes (draft-hixie-76 §5.3; limit: Limits::max_frame)")]
    TextFrameTooLong {
        /// The configured limit.
        max: u64,
    },
    /// A length-prefixed frame announces more than [`Limits::max_frame`] bytes.
    #[error("length-prefixed frame of at least {len} bytes exceeds the {max}-byte limit (draft-hixie-76 §5.3; limit: Limits::max_frame)")]
    LengthFrameTooLarge {
        /// The length read so far (the frame is at least this long).
        len: u64,
        /// The configured limit.
        max: u64,
    },
    /// A length prefix (§5.3: 7-bit groups, high bit = more) that does not fit in 64
    /// bits or uses more than ten groups.
    #[error(
        "length prefix overflows 64 bits or runs past ten 7-bit groups (draft-hixie-76 §4.2, §5.3)"
    )]
    LengthOverflow,
    /// A text frame's bytes are not UTF-8 (§4.2, §5.3: "interpreted as UTF-8"). The
    /// draft substitutes U+FFFD (§4.3, §5.4); this decoder rejects the frame.
    #[error("text frame is not valid UTF-8 (first invalid byte at offset {valid_up_to}) (draft-hixie-76 §4.3, §5.4)")]
    InvalidUtf8 {
        /// Length of the valid UTF-8 prefix.
        valid_up_to: usize,
    },
}

/// A frame the decoder delivers; length-prefixed frames other than the closing frame are
/// skipped, as §4.2 / §5.3 require.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// `0x00 <UTF-8> 0xFF`.
    Text(String),
    /// `0xFF 0x00`: the peer started (or answered) the closing handshake.
    Close,
}

/// Outcome of [`FrameDecoder::decode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A whole frame.
    Frame(Frame),
    /// All input was consumed; at least this many more bytes are needed.
    NeedMore(usize),
}

#[derive(Debug, Clone)]
enum State {
    /// Expecting a frame type byte.
    Type,
    /// Inside a `0x00` frame, collecting text until `0xFF`.
    Text,
    /// Reading the length of a frame whose type has the high bit set.
    Length {
        frame_type: u8,
        len: u64,
        groups: u8,
    },
    /// Discarding the payload of a skipped length-prefixed frame.
    Skip {
        remaining: u64,
    },
    Failed(FrameError),
}

/// Streaming decoder for hixie-76 frames (§4.2 / §5.3; the same in both directions).
///
/// Input arrives in chunks of any size. A text frame is buffered until its `0xFF`, at
/// most [`Limits::max_frame`] bytes; a skipped frame is counted off, never buffered.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    max_frame: u64,
    state: State,
    text: Vec<u8>,
}

impl FrameDecoder {
    /// A decoder enforcing `limits.max_frame`.
    pub fn new(limits: Limits) -> Self {
        FrameDecoder {
            max_frame: limits.max_frame,
            state: State::Type,
            text: Vec::new(),
        }
    }

    /// Whether the decoder sits between frames.
    pub fn is_between_frames(&self) -> bool {
        matches!(self.state, State::Type)
    }

    fn fail(&mut self, err: FrameError) -> Result<Decoded, FrameError> {
        self.text = Vec::new();
        self.state = State::Failed(err.clone());
        Err(err)
    }

    /// Decodes from `input` until a whole frame is complete or the input runs out,
    /// advancing `input` past the bytes used. After an error the decoder stays failed
    /// and returns the same error.
    pub fn decode(&mut self, input: &mut &[u8]) -> Result<Decoded, FrameError> {
        loop {
            match &mut self.state {
                State::Failed(err) => return Err(err.clone()),
                State::Type => {
                    let Some((&b, rest)) = input.split_first() else {
                        return Ok(Decoded::NeedMore(1));
                    };
                    *input = rest;
                    self.state = match b {
                        0x00 => State::Text,
                        b if b & 0x80 != 0 => State::Length {
                            frame_type: b,
                            len: 0,
                            groups: 0,
                        },
                        other => return self.fail(FrameError::UnknownTextFrameType(other)),
                    };
                }
                State::Length {
                    frame_type,
                    len,
                    groups,
                } => {
                    let Some((&b, rest)) = input.split_first() else {
                        return Ok(Decoded::NeedMore(1));
                    };
                    *input = rest;
                    *groups += 1;
                    let next = len
                        .checked_mul(128)
                        .and_then(|l| l.checked_add(u64::from(b & 0x7f)));
                    let Some(next) = next.filter(|_| *groups <= MAX_LENGTH_GROUPS) else {
                        return self.fail(FrameError::LengthOverflow);
                    };
                    *len = next;
                    // Later groups only grow the length: fail as soon as it is too big.
                    if next > self.max_frame {
                        let max = self.max_frame;
                        return self.fail(FrameError::LengthFrameTooLarge { len: next, max });
                    }
                    if b & 0x80 == 0 {
                        let is_close = *frame_type == 0xff && next == 0;
                        self.state = if next == 0 {
                            State::Type
                        } else {
                            State::Skip { remaining: next }
                        };
                        if is_close {
                            return Ok(Decoded::Frame(Frame::Close));
                        }
                    }
                }
                State::Skip { remaining } => {
                    if input.is_empty() {
                        let need = usize::try_from(*remaining).unwrap_or(usize::MAX);
                        return Ok(Decoded::NeedMore(need));
                    }
                    let n = usize::try_from(*remaining).map_or(input.len(), |r| r.min(input.len()));
                    *input = &input[n..];
                    *remaining -= n as u64;
                    if *remaining == 0 {
                        self.state = State::Type;
                    }
                }
                State::Text => {
                    // Bytes this frame may still take before its terminator is overdue.
                    let allowance = self.max_frame.saturating_sub(self.text.len() as u64);
                    let window = usize::try_from(allowance)
                        .unwrap_or(usize::MAX)
                        .saturating_add(1)
                        .min(input.len());
                    match input[..window].iter().position(|&b| b == 0xff) {
                        Some(end) => {
                            self.text.extend_from_slice(&input[..end]);
                            *input = &input[end + 1..];
                            self.state = State::Type;
                            let bytes = std::mem::take(&mut self.text);
                            return match String::from_utf8(bytes) {
                                Ok(text) => Ok(Decoded::Frame(Frame::Text(text))),
                                Err(e) => {
                                    let valid_up_to = e.utf8_error().valid_up_to();
                                    self.fail(FrameError::InvalidUtf8 { valid_up_to })
                                }
                            };
                        }
                        None if window as u64 > allowance => {
                            let max = self.max_frame;
                            return self.fail(FrameError::TextFrameTooLong { max });
                        }
                        None => {
                            self.text.extend_from_slice(input);
                            *input = &[];
                            return Ok(Decoded::NeedMore(1));
                        }
                    }
                }
            }
        }
    }
}

/// Appends a text frame, `0x00 <UTF-8> 0xFF` (§4.2, §5.3). UTF-8 never contains `0xFF`,
/// so any string can be framed.
pub fn encode_text(text: &str, out: &mut Vec<u8>) {
    out.reserve(text.len() + 2);
    out.push(0x00);
    out.extend_from_slice(text.as_bytes());
    out.push(0xff);
}

/// Appends the closing frame, `0xFF 0x00` (§1.4).
pub fn encode_close(out: &mut Vec<u8>) {
    out.extend_from_slice(&CLOSE_FRAME);
}

/// Appends a length-prefixed frame: `frame_type`, the payload length in big-endian 7-bit
/// groups (high bit set on all but the last), then the payload. A receiver skips it
/// (§4.2, §5.3). Nothing is validated, so the suite can send frames a peer must skip or
/// reject; a `frame_type` with the high bit clear produces a text-style type byte.
pub fn encode_length_prefixed(frame_type: u8, payload: &[u8], out: &mut Vec<u8>) {
    out.push(frame_type);
    let len = payload.len() as u64;
    let groups = ((64 - len.leading_zeros()).div_ceil(7)).max(1);
    for g in (0..groups).rev() {
        let bits = ((len >> (7 * g)) & 0x7f) as u8;
        out.push(if g == 0 { bits } else { bits | 0x80 });
    }
    out.extend_from_slice(payload);
}

// ---------------------------------------------------------------------------------------
// Connection (§1.4 closing handshake)
// ---------------------------------------------------------------------------------------

/// What a [`Hixie76Connection`] received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A text message.
    Text(String),
    /// The peer's closing frame. Taking this event queues the answer (unless we closed
    /// first), so what the caller sent in reply to the events before it (an echo) goes
    /// out before the closing frame.
    Close,
}

/// Text could not be sent: this side already sent its closing frame (§1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot send after the closing frame was sent (draft-hixie-76 §1.4)")]
pub struct SendAfterClose;

/// A hixie-76 connection after the handshake, in either role: bytes in, events out;
/// text in, bytes out. It answers the peer's closing frame with `0xFF 0x00` once, when
/// [`Event::Close`] is taken.
#[derive(Debug, Clone)]
pub struct Hixie76Connection {
    decoder: FrameDecoder,
    events: VecDeque<Event>,
    out: Vec<u8>,
    close_sent: bool,
    close_received: bool,
}

impl Hixie76Connection {
    /// A connection enforcing `limits`.
    pub fn new(limits: Limits) -> Self {
        Hixie76Connection {
            decoder: FrameDecoder::new(limits),
            events: VecDeque::new(),
            out: Vec::new(),
            close_sent: false,
            close_received: false,
        }
    }

    /// Decodes `data` into events. Bytes after the peer's closing frame are ignored: the
    /// draft stops reading there (§4.2, §5.3). An error fails the connection; the
    /// caller closes the transport.
    pub fn receive_data(&mut self, mut data: &[u8]) -> Result<(), FrameError> {
        while !self.close_received {
            match self.decoder.decode(&mut data)? {
                Decoded::NeedMore(_) => break,
                Decoded::Frame(Frame::Text(text)) => self.events.push_back(Event::Text(text)),
                Decoded::Frame(Frame::Close) => {
                    self.close_received = true;
                    self.events.push_back(Event::Close);
                }
            }
        }
        Ok(())
    }

    /// The next received event, oldest first. Taking [`Event::Close`] answers it.
    pub fn next_event(&mut self) -> Option<Event> {
        let event = self.events.pop_front();
        if event == Some(Event::Close) {
            self.close();
        }
        event
    }

    /// Queues a text message.
    pub fn send_text(&mut self, text: &str) -> Result<(), SendAfterClose> {
        if self.close_sent {
            return Err(SendAfterClose);
        }
        encode_text(text, &mut self.out);
        Ok(())
    }

    /// Starts (or answers) the closing handshake: queues `0xFF 0x00`, once.
    pub fn close(&mut self) {
        if !self.close_sent {
            self.close_sent = true;
            encode_close(&mut self.out);
        }
    }

    /// The bytes to write to the peer, emptied by the call.
    pub fn data_to_send(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Whether our closing frame has been queued.
    pub fn close_sent(&self) -> bool {
        self.close_sent
    }

    /// Whether the peer's closing frame has arrived.
    pub fn close_received(&self) -> bool {
        self.close_received
    }

    /// Both closing frames exchanged: the transport may be closed (§1.4).
    pub fn is_closed(&self) -> bool {
        self.close_sent && self.close_received
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8], limits: Limits) -> (Vec<Frame>, Option<FrameError>) {
        let mut dec = FrameDecoder::new(limits);
        let mut input = bytes;
        let mut frames = Vec::new();
        loop {
            match dec.decode(&mut input) {
                Ok(Decoded::Frame(f)) => frames.push(f),
                Ok(Decoded::NeedMore(_)) => return (frames, None),
                Err(e) => return (frames, Some(e)),
            }
        }
    }

    #[test]
    fn draft76_5_2_key_number_is_digits_over_spaces() {
        // "4 @1  46546xW%0l 1 5": digits 4146546015, spaces 5.
        assert_eq!(4_146_546_015u64 / 5, 829_309_203);
        assert_eq!(key_number("4 @1  46546xW%0l 1 5"), Ok(829_309_203));
        // "12998 5 Y3 1  .P00": digits 1299853100, spaces 5.
        assert_eq!(1_299_853_100u64 / 5, 259_970_620);
        assert_eq!(key_number("12998 5 Y3 1  .P00"), Ok(259_970_620));
    }

    #[test]
    fn draft76_5_2_step_5_key_without_spaces() {
        assert_eq!(key_number("12345"), Err(KeyError::NoSpaces));
    }

    #[test]
    fn draft76_5_2_step_6_non_integral_quotient() {
        assert_eq!(
            key_number("1 0 1"),
            Err(KeyError::NotIntegral {
                number: 101,
                spaces: 2
            })
        );
        assert_eq!(
            key_number("7  "),
            Err(KeyError::NotIntegral {
                number: 7,
                spaces: 2
            })
        );
        assert_eq!(key_number("1 0 2"), Ok(51));
    }

    #[test]
    fn draft76_5_2_step_4_no_digits_and_overflow() {
        assert_eq!(key_number("a b"), Err(KeyError::NoDigits));
        assert_eq!(key_number("4294967295 "), Ok(u32::MAX));
        assert_eq!(key_number("4294967296 "), Err(KeyError::Overflow));
        // Leading zeros do not count towards overflow.
        assert_eq!(key_number("0000000000000000000012 "), Ok(12));
        assert_eq!(key_number(&"9".repeat(100)), Err(KeyError::Overflow));
    }

    #[test]
    fn draft76_4_1_generated_keys_follow_the_algorithm() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x76);
        for _ in 0..500 {
            let keys = ClientKeys::generate(&mut rng);
            for (key, number) in [
                (keys.key1(), keys.challenge().number1),
                (keys.key2(), keys.challenge().number2),
            ] {
                assert_eq!(key_number(key), Ok(number), "{key:?}");
                assert!(!key.starts_with(' ') && !key.ends_with(' '), "{key:?}");
                let spaces = key.bytes().filter(|&b| b == b' ').count();
                assert!((1..=12).contains(&spaces), "{key:?}");
                let fillers = key
                    .bytes()
                    .filter(|b| !b.is_ascii_digit() && *b != b' ')
                    .count();
                assert!((1..=12).contains(&fillers), "{key:?}");
                assert!(key.bytes().all(|b| (0x20..=0x7e).contains(&b)), "{key:?}");
            }
        }
    }

    #[test]
    fn draft76_5_3_length_prefix_groups() {
        let mut out = Vec::new();
        encode_length_prefixed(0x80, &[7; 300], &mut out);
        // 300 = 2 * 128 + 44
        assert_eq!(&out[..3], &[0x80, 0x82, 44]);
        assert_eq!(out.len(), 3 + 300);
        let mut out = Vec::new();
        encode_length_prefixed(0xff, &[], &mut out);
        assert_eq!(out, CLOSE_FRAME);
    }

    #[test]
    fn draft76_5_3_ten_zero_groups_then_more_is_overflow() {
        let mut bytes = vec![0x80];
        bytes.extend([0x80; 10]);
        bytes.push(0x01);
        let (frames, err) = decode_all(&bytes, Limits::default());
        assert!(frames.is_empty());
        assert_eq!(err, Some(FrameError::LengthOverflow));
    }

    #[test]
    fn text_frame_exactly_at_the_limit_passes() {
        let limits = Limits::uniform(4);
        let (frames, err) = decode_all(b"\x00abcd\xff", limits);
        assert_eq!(frames, vec![Frame::Text("abcd".into())]);
        assert_eq!(err, None);
        let (_, err) = decode_all(b"\x00abcde\xff", limits);
        assert_eq!(err, Some(FrameError::TextFrameTooLong { max: 4 }));
    }

    #[test]
    fn head_end_search_resumes_across_chunks() {
        let mut from = 0;
        assert_eq!(find_head_end(b"a\r\n", &mut from), None);
        assert_eq!(find_head_end(b"a\r\n\r", &mut from), None);
        assert_eq!(find_head_end(b"a\r\n\r\n", &mut from), Some(5));
        let mut from = 0;
        assert_eq!(find_head_end(b"a\nb\n\nc", &mut from), Some(5));
    }
}
