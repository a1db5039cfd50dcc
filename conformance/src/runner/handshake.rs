//! Section 100's executor: a raw opening handshake to a server under test.
//!
//! The request head is written exactly as the case gives it (cut into pieces for
//! 100.6), while the answer is read, so a server that answers early (an oversized
//! head) and stops reading cannot stall the suite. The answer head is judged by the
//! case's [`Answer`]: a refusal where RFC 6455 §4.2.1 requires one, or a `101` that
//! passes every check of the client's list in §4.1 (the codec's
//! [`Response::from_head`]) and fits the permessage-deflate offers a server may accept
//! (RFC 7692 §7). After a `101` the suite sends a text message, expects its echo, and
//! runs the closing handshake, which gives `behaviorClose`.

use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use wsspec_codec::close::CloseCode;
use wsspec_codec::connection::{Config, Connection, Event, State};
use wsspec_codec::deflate::{negotiate_client_extensions, DeflateConfig, EXTENSION_NAME};
use wsspec_codec::frame::Role;
use wsspec_codec::handshake::{
    parse_extensions, ClientRequest, HeadBuffer, RequestHead, Response, ResponseHead,
};
use wsspec_codec::message::Message;
use wsspec_reports::Verdict;

use super::fuzzer::{CaseRun, Settings, Target};
use super::record::Recorder;
use super::split::Splitter;
use super::wsspec::{raw_run, RawRun};
use super::RunOptions;
use crate::catalog::wsspec::{Answer, Filler, HandshakeCase};
use crate::catalog::Case;

/// The most of a request a report keeps (an oversized head is 1 MiB).
const SHOWN_REQUEST: usize = 4096;

/// How the server answered the request head.
#[derive(Debug)]
pub enum Reply {
    /// A whole answer head, and the octets that followed it.
    Head(ResponseHead, Vec<u8>),
    /// The answer head is not HTTP.
    Malformed(String),
    /// The server closed (or reset) the connection before a whole answer head; `got`
    /// octets of one had arrived.
    Closed {
        /// Octets received.
        got: usize,
        /// The read error, if it was not a plain end of file.
        error: Option<String>,
    },
    /// No whole answer within the open timeout.
    Timeout,
}

/// The request octets of `case` for `target`: the head with `{resource}` and `{host}`
/// filled in and the filler headers before its blank line.
pub fn request_bytes(case: &HandshakeCase, target: &Target) -> Vec<u8> {
    let head = case
        .request
        .replace("{resource}", &target.resource)
        .replace("{host}", &target.host_header());
    let Some(Filler { headers, value_len }) = case.filler else {
        return head.into_bytes();
    };
    let body_start = head.len() - 2;
    let mut out = Vec::with_capacity(head.len() + headers * (value_len + 24));
    out.extend_from_slice(&head.as_bytes()[..body_start]);
    for n in 0..headers {
        out.extend_from_slice(format!("X-Wsspec-Filler-{n}: ").as_bytes());
        out.resize(out.len() + value_len, b'x');
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// What a valid request offered, for checking the answer as a client would (§4.1):
/// the key, the subprotocols, the extensions.
fn offered(request: &[u8], target: &Target) -> Option<ClientRequest> {
    let head = RequestHead::parse(request).ok()?;
    let mut offered = ClientRequest::with_key(
        target.host_header(),
        target.resource.clone(),
        head.header("Sec-WebSocket-Key")?.to_owned(),
    );
    for (name, value) in &head.headers {
        if name.eq_ignore_ascii_case("Sec-WebSocket-Protocol") {
            offered.protocols.extend(
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned),
            );
        } else if name.eq_ignore_ascii_case("Sec-WebSocket-Extensions") {
            offered.extensions.extend(parse_extensions(value).ok()?);
        }
    }
    Some(offered)
}

/// Writes `request` (in pieces when `split` is given) while reading the answer head,
/// within `within`.
pub async fn send_and_read_head<R, W>(
    reader: &mut R,
    writer: &mut W,
    request: &[u8],
    mut splitter: Option<Splitter>,
    settings: &Settings,
    rec: &mut Recorder,
) -> Reply
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut head = HeadBuffer::new(&settings.limits);
    let mut buf = vec![0u8; 16 << 10];
    let mut at = 0;
    let mut got = 0;
    let exchange = async {
        loop {
            let chunk = &request[at..];
            let chunk = match &mut splitter {
                Some(s) if !chunk.is_empty() => &chunk[..s.piece(chunk.len())],
                _ => chunk,
            };
            tokio::select! {
                read = reader.read(&mut buf) => match read {
                    Ok(0) => return Reply::Closed { got, error: None },
                    Err(e) => return Reply::Closed { got, error: Some(e.to_string()) },
                    Ok(n) => {
                        rec.rx_octets(&buf[..n]);
                        got += n;
                        match head.push(&buf[..n]) {
                            Ok(None) => {}
                            Ok(Some(len)) => {
                                let mut raw = head.take();
                                let rest = raw.split_off(len);
                                return match ResponseHead::parse(&raw) {
                                    Ok(parsed) => Reply::Head(parsed, rest),
                                    Err(e) => Reply::Malformed(e.to_string()),
                                };
                            }
                            Err(e) => return Reply::Malformed(e.to_string()),
                        }
                    }
                },
                wrote = writer.write(chunk), if !chunk.is_empty() => match wrote {
                    Ok(n) => {
                        rec.tx_octets(&chunk[..n], splitter.is_some());
                        at += n;
                        if splitter.as_mut().is_some_and(|s| s.wrote(n)) {
                            let _ = writer.flush().await;
                            tokio::task::yield_now().await;
                        }
                    }
                    // The server stopped reading and closed: its answer may still be
                    // there to read.
                    Err(_) => at = request.len(),
                },
            }
        }
    };
    tokio::time::timeout(settings.open_timeout, exchange)
        .await
        .unwrap_or(Reply::Timeout)
}

/// The status line of an answer, e.g. `426 Upgrade Required`.
pub fn status_line(head: &ResponseHead) -> String {
    format!("{} {}", head.status, head.reason).trim().to_owned()
}

/// Whether `head` has a field `name` listing `token` (ASCII case-insensitive).
fn has_token(head: &ResponseHead, name: &str, token: &str) -> bool {
    head.headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .flat_map(|(_, v)| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// What happened when no answer head arrived, as one phrase.
pub fn no_answer(reply: &Reply, settings: &Settings) -> String {
    match reply {
        Reply::Closed {
            got: 0,
            error: None,
        } => "the server closed the connection without an HTTP answer".to_owned(),
        Reply::Closed { got, error: None } => format!(
            "the server closed the connection after {got} octets, before its answer head ended"
        ),
        Reply::Closed { error: Some(e), .. } => {
            format!("the connection failed before an HTTP answer: {e}")
        }
        Reply::Timeout => format!(
            "no HTTP answer within {} s: the server neither answered nor closed the connection",
            settings.open_timeout.as_secs()
        ),
        Reply::Malformed(e) => format!("the answer is not HTTP: {e}"),
        Reply::Head(head, _) => status_line(head),
    }
}

/// Judges an answer that must refuse the handshake.
fn judge_refusal(
    reply: &Reply,
    status: Option<u16>,
    header: Option<(&str, &str)>,
    lenient: bool,
    settings: &Settings,
) -> (Verdict, String) {
    let Reply::Head(head, _) = reply else {
        return match reply {
            Reply::Closed { .. } => (
                Verdict::NonStrict,
                format!(
                    "{}; the RFC asks for an HTTP error status",
                    no_answer(reply, settings)
                ),
            ),
            _ => (Verdict::Failed, no_answer(reply, settings)),
        };
    };
    let line = status_line(head);
    if head.status == 101 {
        let verdict = if lenient {
            Verdict::NonStrict
        } else {
            Verdict::Failed
        };
        return (
            verdict,
            format!("{line}: the server upgraded the connection"),
        );
    }
    if let Some((name, token)) = header {
        if !has_token(head, name, token) {
            let found = head
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map_or_else(
                    || "no such field".to_owned(),
                    |(_, v)| format!("{name}: {v}"),
                );
            return (
                Verdict::Failed,
                format!("{line} without {name}: {token} ({found})"),
            );
        }
    }
    let client_error = (400..500).contains(&head.status);
    let server_error = (500..600).contains(&head.status);
    match status {
        Some(wanted) if wanted == head.status => (Verdict::Ok, line),
        Some(wanted) if client_error || server_error => (
            Verdict::NonStrict,
            format!("{line}, where the RFC names {wanted}"),
        ),
        None if client_error => (Verdict::Ok, line),
        None if server_error && !lenient => (Verdict::Ok, line),
        None if server_error => (
            Verdict::NonStrict,
            format!("{line}, where RFC 7230 §3.2.5 asks for a 4xx"),
        ),
        _ => (Verdict::NonStrict, format!("{line}: not an error status")),
    }
}

/// Checks a `101` as a client would (§4.1) and against the deflate offers a server may
/// accept; returns the agreed permessage-deflate parameters.
fn check_upgrade(
    head: &ResponseHead,
    offered: &ClientRequest,
    case: &HandshakeCase,
) -> Result<Option<DeflateConfig>, String> {
    let response = Response::from_head(head.clone(), offered).map_err(|e| e.to_string())?;
    if let Some(other) = response
        .extensions
        .iter()
        .find(|e| e.name != EXTENSION_NAME)
    {
        return Err(format!(
            "the server accepted the extension {}, which no implementation defines (RFC 6455 \
             §9.1: a server accepts only extensions it supports)",
            other.name
        ));
    }
    negotiate_client_extensions(&response.extensions, &case.deflate).map_err(|e| {
        let answer = head
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("Sec-WebSocket-Extensions"))
            .map_or(String::new(), |(_, v)| v.clone());
        if case.deflate.is_empty() {
            format!(
                "the server accepted permessage-deflate ({answer}) though every offer was \
                 invalid and had to be declined (RFC 7692 §7)"
            )
        } else {
            format!("the server's answer {answer:?} fits no valid offer: {e}")
        }
    })
}

/// How the exchange after a `101` went.
#[derive(Debug)]
pub struct Exchange {
    /// The message came back unchanged, or what happened instead.
    pub echo: Result<(), String>,
    /// `behaviorClose` and why.
    pub close: (Verdict, String),
    /// The code of the peer's close frame.
    pub remote_close_code: Option<u16>,
    /// Close frames both ways, then TCP closed by the peer.
    pub was_clean: bool,
    /// The suite had to drop TCP.
    pub dropped_by_me: bool,
}

/// After a `101`: sends `text`, expects it echoed, then closes with 1000 and expects
/// the peer's close frame and the end of TCP.
pub async fn exchange<R, W>(
    reader: &mut R,
    writer: &mut W,
    rest: &[u8],
    deflate: Option<DeflateConfig>,
    text: &str,
    settings: &Settings,
    rec: &mut Recorder,
) -> Exchange
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut conn = Connection::new(
        Role::Client,
        Config {
            limits: settings.limits,
            deflate,
            deflate_level: None,
        },
    );
    let mut buf = vec![0u8; 64 << 10];
    let mut eof = false;
    conn.receive_data(rest);
    let _ = conn.send_text(text);
    let deadline = Instant::now() + settings.open_timeout;
    let mut echo = Err(format!(
        "the message was not echoed within {} s",
        settings.open_timeout.as_secs()
    ));
    'echo: loop {
        while let Some(event) = conn.next_event() {
            let problem = match event {
                Event::Message(Message::Text(t)) if t == text => {
                    echo = Ok(());
                    break 'echo;
                }
                Event::Message(m) => format!(
                    "the echo differs: {} octets of {}",
                    m.as_bytes().len(),
                    if m.is_binary() { "binary" } else { "text" }
                ),
                Event::Close(frame) => format!(
                    "the peer closed ({}) instead of echoing",
                    frame.code.map_or("no code".to_owned(), |c| c.0.to_string())
                ),
                Event::ProtocolError(e) => format!("the suite failed the connection: {e}"),
                Event::Eof { .. } => "the peer closed TCP instead of echoing".to_owned(),
                Event::Ping(_) | Event::Pong(_) => continue,
            };
            echo = Err(problem);
            break 'echo;
        }
        if !flush(writer, &mut conn, rec).await || eof || conn.state() != State::Open {
            break;
        }
        match read_until(reader, &mut buf, deadline).await {
            None => break,
            Some(0) => {
                conn.receive_eof();
                eof = true;
            }
            Some(n) => {
                rec.rx_octets(&buf[..n]);
                conn.receive_data(&buf[..n]);
            }
        }
    }
    // The closing handshake, the suite first.
    if conn.state() == State::Open {
        conn.close(Some(CloseCode::NORMAL), "");
    }
    flush(writer, &mut conn, rec).await;
    let close_deadline = Instant::now() + settings.close_timeout;
    while !eof && conn.close_received().is_none() {
        while conn.next_event().is_some() {}
        if conn.close_received().is_some() {
            break;
        }
        match read_until(reader, &mut buf, close_deadline).await {
            Some(n) if n > 0 => {
                rec.rx_octets(&buf[..n]);
                conn.receive_data(&buf[..n]);
            }
            Some(_) => eof = true,
            None => break,
        }
    }
    while conn.next_event().is_some() {}
    let remote_close_code = conn.close_received().and_then(|f| f.code).map(|c| c.0);
    let got_close = conn.close_received().is_some();
    // The server closes TCP first (RFC 6455 §7.1.1); give it the drop timeout.
    let drop_deadline = Instant::now() + settings.drop_timeout;
    while !eof {
        match read_until(reader, &mut buf, drop_deadline).await {
            Some(n) if n > 0 => rec.rx_octets(&buf[..n]),
            Some(_) => eof = true,
            None => break,
        }
    }
    let _ = tokio::time::timeout(Duration::from_millis(100), writer.shutdown()).await;
    let close = match (got_close, eof) {
        (true, true) => (Verdict::Ok, "Connection was properly closed".to_owned()),
        (true, false) => (
            Verdict::FailedByClient,
            "the server answered the close but did not drop TCP (in time)".to_owned(),
        ),
        (false, true) => (
            Verdict::Unclean,
            "the server dropped TCP without answering the close".to_owned(),
        ),
        (false, false) => (
            Verdict::Failed,
            "the server did not answer the close (in time)".to_owned(),
        ),
    };
    Exchange {
        echo,
        close,
        remote_close_code,
        was_clean: got_close && eof,
        dropped_by_me: !eof,
    }
}

/// Writes what the connection queued; `false` if the peer is gone.
async fn flush<W: AsyncWrite + Unpin>(
    writer: &mut W,
    conn: &mut Connection,
    rec: &mut Recorder,
) -> bool {
    if !conn.has_data_to_send() {
        return true;
    }
    let out = conn.data_to_send();
    rec.tx_octets(&out, false);
    writer.write_all(&out).await.is_ok()
}

/// One read before `deadline`: `Some(n)` (0 at end of file), `None` at the deadline or
/// on a read error.
pub async fn read_until<R: AsyncRead + Unpin>(
    reader: &mut R,
    buf: &mut [u8],
    deadline: Instant,
) -> Option<usize> {
    match tokio::time::timeout_at(deadline.into(), reader.read(buf)).await {
        Ok(Ok(n)) => Some(n),
        Ok(Err(_)) => Some(0),
        Err(_) => None,
    }
}

/// Runs a section 100 case.
pub async fn run(
    case: &Case,
    handshake: &HandshakeCase,
    index: usize,
    options: &RunOptions,
    started: String,
) -> CaseRun {
    let settings = &options.settings;
    let target = &options.target;
    let request = request_bytes(handshake, target);
    let mut shown =
        String::from_utf8_lossy(&request[..request.len().min(SHOWN_REQUEST)]).into_owned();
    if request.len() > SHOWN_REQUEST {
        shown.push_str(&format!("… ({} octets in all)", request.len()));
    }
    let mut raw = RawRun::new(case, index, started, shown);
    let stream = match super::connect(target, settings).await {
        Ok(stream) => stream,
        Err(problem) => return raw.never_connected(problem),
    };
    let opened = Instant::now();
    let (mut reader, mut writer) = tokio::io::split(stream);
    let reply = send_and_read_head(
        &mut reader,
        &mut writer,
        &request,
        handshake.split.map(Splitter::new),
        settings,
        &mut raw.rec,
    )
    .await;
    if let Reply::Head(head, _) = &reply {
        raw.http_response = Some(String::from_utf8_lossy(&head.raw).into_owned());
        raw.server_header = head.header("Server").map(str::to_owned);
    }
    match &handshake.answer {
        Answer::Refuse {
            status,
            header,
            lenient,
        } => {
            let (verdict, actual) = judge_refusal(&reply, *status, *header, *lenient, settings);
            raw.behavior = (verdict.clone(), actual.clone());
            raw.behavior_close = match reply {
                Reply::Timeout => (
                    Verdict::Failed,
                    "the server neither answered nor closed the connection".to_owned(),
                ),
                _ => (Verdict::Ok, "No WebSocket connection to close".to_owned()),
            };
            raw.dropped_by_me = true;
            raw.actual = Some(actual);
            let _ = tokio::time::timeout(Duration::from_millis(100), writer.shutdown()).await;
        }
        Answer::Upgrade { may_refuse } => {
            let check = match (&reply, offered(&request, target)) {
                (Reply::Head(head, _), _) if head.status != 101 => Err((
                    if *may_refuse {
                        Verdict::NonStrict
                    } else {
                        Verdict::Failed
                    },
                    format!("{}: the server refused the handshake", status_line(head)),
                )),
                (Reply::Head(head, rest), Some(offered)) => {
                    match check_upgrade(head, &offered, handshake) {
                        Ok(deflate) => Ok((deflate, rest.clone())),
                        Err(problem) => Err((Verdict::Failed, problem)),
                    }
                }
                (Reply::Head(..), None) => Err((
                    Verdict::Failed,
                    "wsspec: the case's request does not parse".to_owned(),
                )),
                (other, _) => Err((Verdict::Failed, no_answer(other, settings))),
            };
            match check {
                Err((verdict, actual)) => {
                    raw.behavior = (verdict, actual.clone());
                    raw.behavior_close =
                        (Verdict::Ok, "No WebSocket connection to close".to_owned());
                    raw.dropped_by_me = true;
                    raw.actual = Some(actual);
                }
                Ok((deflate, rest)) => {
                    raw.was_open = true;
                    let text = format!("wsspec handshake case {}", case.id);
                    let done = exchange(
                        &mut reader,
                        &mut writer,
                        &rest,
                        deflate,
                        &text,
                        settings,
                        &mut raw.rec,
                    )
                    .await;
                    let line = reply_line(&reply);
                    raw.behavior = match &done.echo {
                        Ok(()) => (Verdict::Ok, format!("{line}; the message was echoed")),
                        Err(problem) => (Verdict::Failed, format!("{line}; {problem}")),
                    };
                    raw.actual = Some(match &done.echo {
                        Ok(()) => format!("{line}, the message echoed; {}", done.close.1),
                        Err(problem) => format!("{line}; {problem}"),
                    });
                    raw.behavior_close = done.close;
                    raw.closed_by_me = true;
                    raw.was_clean = done.was_clean;
                    raw.dropped_by_me = done.dropped_by_me;
                    raw.remote_close_code = done.remote_close_code;
                }
            }
        }
    }
    raw.duration = opened.elapsed();
    raw_run(raw)
}

fn reply_line(reply: &Reply) -> String {
    match reply {
        Reply::Head(head, _) => status_line(head),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target {
            host: "127.0.0.1".to_owned(),
            port: 9001,
            resource: "/chat".to_owned(),
        }
    }

    fn head(text: &str) -> ResponseHead {
        ResponseHead::parse(text.as_bytes()).unwrap()
    }

    fn case(request: &str, filler: Option<Filler>) -> HandshakeCase {
        HandshakeCase {
            request: request.to_owned(),
            filler,
            split: None,
            answer: Answer::Upgrade { may_refuse: false },
            deflate: Vec::new(),
        }
    }

    #[test]
    fn the_request_names_the_target() {
        let bytes = request_bytes(
            &case("GET {resource} HTTP/1.1\r\nHost: {host}\r\n\r\n", None),
            &target(),
        );
        assert_eq!(bytes, b"GET /chat HTTP/1.1\r\nHost: 127.0.0.1:9001\r\n\r\n");
    }

    #[test]
    fn filler_headers_go_before_the_blank_line() {
        let bytes = request_bytes(
            &case(
                "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
                Some(Filler {
                    headers: 2,
                    value_len: 3,
                }),
            ),
            &target(),
        );
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "GET / HTTP/1.1\r\nHost: h\r\nX-Wsspec-Filler-0: xxx\r\nX-Wsspec-Filler-1: xxx\r\n\r\n"
        );
    }

    #[test]
    fn a_refusal_needs_the_header_the_rfc_requires() {
        let settings = Settings::default();
        let answer = |text: &str| Reply::Head(head(text), Vec::new());
        let version = Some(("Sec-WebSocket-Version", "13"));
        let judge = |reply: &Reply| judge_refusal(reply, Some(426), version, false, &settings);
        assert_eq!(
            judge(&answer(
                "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ))
            .0,
            Verdict::Ok
        );
        assert_eq!(
            judge(&answer(
                "HTTP/1.1 400 Bad Request\r\nSec-WebSocket-Version: 8, 13\r\n\r\n"
            ))
            .0,
            Verdict::NonStrict
        );
        let (verdict, actual) = judge(&answer("HTTP/1.1 426 Upgrade Required\r\n\r\n"));
        assert_eq!(verdict, Verdict::Failed);
        assert_eq!(
            actual,
            "426 Upgrade Required without Sec-WebSocket-Version: 13 (no such field)"
        );
        let (verdict, actual) = judge(&answer("HTTP/1.1 101 Switching Protocols\r\n\r\n"));
        assert_eq!(verdict, Verdict::Failed);
        assert_eq!(
            actual,
            "101 Switching Protocols: the server upgraded the connection"
        );
    }

    #[test]
    fn a_refusal_without_an_answer_is_non_strict_and_a_hang_fails() {
        let settings = Settings::default();
        let closed = Reply::Closed {
            got: 0,
            error: None,
        };
        assert_eq!(
            judge_refusal(&closed, None, None, false, &settings).0,
            Verdict::NonStrict
        );
        let (verdict, actual) = judge_refusal(&Reply::Timeout, None, None, false, &settings);
        assert_eq!(verdict, Verdict::Failed);
        assert!(actual.starts_with("no HTTP answer within 5 s"), "{actual}");
        let ok = Reply::Head(head("HTTP/1.1 400 Bad Request\r\n\r\n"), Vec::new());
        assert_eq!(
            judge_refusal(&ok, None, None, false, &settings).0,
            Verdict::Ok
        );
        let redirect = Reply::Head(head("HTTP/1.1 302 Found\r\n\r\n"), Vec::new());
        assert_eq!(
            judge_refusal(&redirect, None, None, false, &settings),
            (
                Verdict::NonStrict,
                "302 Found: not an error status".to_owned()
            )
        );
        let unsupported = Reply::Head(
            head("HTTP/1.1 505 HTTP Version Not Supported\r\n\r\n"),
            Vec::new(),
        );
        assert_eq!(
            judge_refusal(&unsupported, None, None, false, &settings).0,
            Verdict::Ok
        );
        assert_eq!(
            judge_refusal(&unsupported, None, None, true, &settings).0,
            Verdict::NonStrict,
            "an oversized head asks for a 4xx"
        );
        let upgraded = Reply::Head(head("HTTP/1.1 101 Switching Protocols\r\n\r\n"), Vec::new());
        assert_eq!(
            judge_refusal(&upgraded, None, None, true, &settings).0,
            Verdict::NonStrict
        );
    }

    #[test]
    fn an_upgrade_must_answer_the_key_and_only_what_was_offered() {
        let request = "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                       Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
                       Sec-WebSocket-Extensions: permessage-deflate; x_bad\r\n\r\n";
        let offered = offered(request.as_bytes(), &target()).unwrap();
        let c = case(request, None);
        let good =
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                    Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
        assert_eq!(check_upgrade(&head(good), &offered, &c), Ok(None));
        let wrong_key = good.replace(
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        );
        let problem = check_upgrade(&head(&wrong_key), &offered, &c).unwrap_err();
        assert!(problem.contains("§4.1 client item 4"), "{problem}");
        let accepted = good.replace(
            "\r\n\r\n",
            "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
        );
        let problem = check_upgrade(&head(&accepted), &offered, &c).unwrap_err();
        assert!(
            problem.contains("had to be declined (RFC 7692 §7)"),
            "{problem}"
        );
        let protocol = good.replace("\r\n\r\n", "\r\nSec-WebSocket-Protocol: chat\r\n\r\n");
        let problem = check_upgrade(&head(&protocol), &offered, &c).unwrap_err();
        assert!(problem.contains("§4.1 client item 6"), "{problem}");
    }
}
