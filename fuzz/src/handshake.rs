//! `handshake`: server-side request parsing and client-side response parsing (RFC 6455
//! §4), whole and in arbitrary reads, within the header limit.
//!
//! - The incremental parsers ([`RequestParser`], [`ResponseParser`]) agree with the
//!   one-shot ones ([`parse_request`], [`parse_response`]) on every input: the same
//!   request or response, the same error, the same bytes left after the head.
//! - An accepted request gets an answer (`accept_response`, with the subprotocol and
//!   permessage-deflate negotiation of the server side) that the client side accepts,
//!   agreeing on the deflate parameters; a rejected one gets an HTTP answer whose status
//!   is the error's.
//! - Every `Sec-WebSocket-Extensions`-style value that parses renders back to text that
//!   parses to the same offers.
//!
//! Quadratic parsing shows up as a libFuzzer timeout: the smoke and campaign runs feed
//! heads up to the 16 KiB limit one byte at a time.
//!
//! Layout: `flags`, a chunk plan, then the bytes. `flags` bit 0: 0 = a request reaching a
//! server, 1 = a response reaching a client; bits 1–2: the head limit
//! ([`crate::input::MAX_HANDSHAKE`]); bits 3–5: what the client offered (subprotocols
//! `chat, superchat`; Autobahn's permessage-deflate offer; an Origin). The client's key
//! is the RFC's example `dGhlIHNhbXBsZSBub25jZQ==`.

use wsspec_codec::deflate::{
    negotiate_client_extensions, negotiate_server, DeflateOffer, ServerDeflatePolicy,
};
use wsspec_codec::handshake::{
    accept_response, parse_extensions, parse_request, parse_request_head, parse_response,
    parse_response_head, reject_response, select_protocol, ClientRequest, HandshakeError, Parsed,
    Request, RequestParser, ResponseParser,
};
use wsspec_codec::Limits;

use crate::input::{Reader, MAX_HANDSHAKE};

/// The RFC 6455 §1.3 example key.
pub const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

fn client_request(flags: u8) -> ClientRequest {
    let mut req = ClientRequest::with_key("server.example.com", "/chat", KEY);
    if flags & 0x08 != 0 {
        req.protocols = vec!["chat".into(), "superchat".into()];
    }
    if flags & 0x10 != 0 {
        req.extensions = vec![DeflateOffer::autobahn_default().to_extension()];
    }
    if flags & 0x20 != 0 {
        req.origin = Some("http://example.com".into());
    }
    req
}

/// What an incremental parser said, and the bytes it was never given.
type Fed<T> = (Result<Option<(T, Vec<u8>)>, HandshakeError>, Vec<u8>);

/// Feeds `pieces` to an incremental parser; returns its result and the bytes it was not
/// given (those after the piece that completed the head).
fn feed_all<T>(
    pieces: &[&[u8]],
    mut feed: impl FnMut(&[u8]) -> Result<Option<(T, Vec<u8>)>, HandshakeError>,
) -> Fed<T> {
    for (i, piece) in pieces.iter().enumerate() {
        match feed(piece) {
            Ok(None) => {}
            done => return (done, pieces[i + 1..].concat()),
        }
    }
    (Ok(None), Vec::new())
}

/// Both parses of the same bytes must agree.
fn agree<T: PartialEq + std::fmt::Debug>(
    bytes: &[u8],
    whole: &Result<Parsed<T>, HandshakeError>,
    pieces: Fed<T>,
) {
    match (whole, pieces) {
        (Ok(Parsed::Partial), (Ok(None), _)) => {}
        (Err(a), (Err(b), _)) => assert_eq!(*a, b, "different errors"),
        (Ok(Parsed::Complete(a, n)), (Ok(Some((b, mut rest))), unfed)) => {
            assert_eq!(*a, b, "different heads");
            rest.extend(unfed);
            assert_eq!(rest, bytes[*n..], "different bytes after the head");
        }
        (whole, (pieces, _)) => panic!("one read: {whole:?}; in pieces: {pieces:?}"),
    }
}

/// A parsed extension list renders to text that parses back to it.
fn check_extension_values(headers: &[(String, String)]) {
    for (_, value) in headers {
        if let Ok(offers) = parse_extensions(value) {
            let text: Vec<String> = offers.iter().map(ToString::to_string).collect();
            let again = parse_extensions(&text.join(", "));
            assert_eq!(again.as_ref(), Ok(&offers), "rendered as {text:?}");
        }
    }
}

/// The answer to an accepted request satisfies a client that sent it.
fn check_accept(req: &Request) {
    let protocol = select_protocol(req, &["superchat", "chat"]);
    let negotiated = negotiate_server(&req.extensions, &ServerDeflatePolicy::default());
    let extension = negotiated.as_ref().map(|(_, ext)| ext.to_string());
    let answer = accept_response(req, protocol.as_deref(), extension.as_deref(), &[]);
    let mut client = ClientRequest::with_key(req.host.clone(), req.path.clone(), req.key.clone());
    client.protocols = req.protocols.clone();
    client.extensions = req.extensions.clone();
    let response = match parse_response(&answer, &client, &Limits::default()) {
        Ok(Parsed::Complete(response, n)) => {
            assert_eq!(n, answer.len());
            response
        }
        other => panic!("our own 101 answer was refused: {other:?}"),
    };
    assert_eq!(response.protocol, protocol);
    let offers: Vec<DeflateOffer> = req
        .extensions
        .iter()
        .filter_map(|e| DeflateOffer::parse(e).ok())
        .collect();
    let client_side = negotiate_client_extensions(&response.extensions, &offers)
        .expect("the client refuses the server's deflate answer");
    match (negotiated, client_side) {
        (None, None) => {}
        (Some((server, _)), Some(client)) => {
            assert_eq!(
                client.server_no_context_takeover,
                server.server_no_context_takeover
            );
            assert_eq!(client.server_max_window_bits, server.server_max_window_bits);
            assert_eq!(client.client_max_window_bits, server.client_max_window_bits);
            // The client may promise more than the server asked (§7.1.1.2).
            assert!(client.client_no_context_takeover || !server.client_no_context_takeover);
        }
        (server, client) => panic!("server agreed {server:?}, client {client:?}"),
    }
}

/// A rejection is an HTTP response carrying the error's status.
fn check_reject(err: &HandshakeError) {
    let answer = reject_response(err);
    match parse_response_head(&answer, &Limits::default()) {
        Ok(Parsed::Complete(head, _)) => assert_eq!(head.status, err.status()),
        other => panic!("our rejection does not parse: {other:?}"),
    }
}

/// The target.
pub fn run(data: &[u8]) {
    let mut r = Reader::new(data);
    let flags = r.byte();
    let plan = r.plan();
    let bytes = r.rest();
    let limits = Limits {
        max_handshake: MAX_HANDSHAKE[usize::from(flags >> 1) & 3],
        ..Limits::default()
    };
    let pieces = plan.split(bytes);
    if flags & 1 == 0 {
        let whole = parse_request(bytes, &limits);
        let mut parser = RequestParser::new(&limits);
        agree(bytes, &whole, feed_all(&pieces, |p| parser.feed(p)));
        match &whole {
            Ok(Parsed::Complete(req, _)) => check_accept(req),
            Err(e) => check_reject(e),
            Ok(Parsed::Partial) => {}
        }
        if let Ok(Parsed::Complete(head, _)) = parse_request_head(bytes, &limits) {
            check_extension_values(&head.headers);
        }
    } else {
        let request = client_request(flags);
        let whole = parse_response(bytes, &request, &limits);
        let mut parser = ResponseParser::new(&request, &limits);
        agree(bytes, &whole, feed_all(&pieces, |p| parser.feed(p)));
        if let Ok(Parsed::Complete(response, _)) = &whole {
            let offers = [DeflateOffer::autobahn_default()];
            // Any answer either negotiates or is refused; neither may panic.
            let _ = negotiate_client_extensions(&response.extensions, &offers);
        }
        if let Ok(Parsed::Complete(head, _)) = parse_response_head(bytes, &limits) {
            check_extension_values(&head.headers);
        }
    }
}
