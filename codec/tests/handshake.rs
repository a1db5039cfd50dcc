//! Properties of the opening handshake (RFC 6455 §4): chunking never changes the
//! result, and what one side builds the other side accepts.

use proptest::prelude::*;
use wsspec_codec::handshake::{
    accept_response, key_from_nonce, parse_request, parse_response, select_protocol, ClientRequest,
    ExtensionOffer, ExtensionParam, Parsed, RequestParser, ResponseParser,
};
use wsspec_codec::Limits;

fn token() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9._-]{0,9}"
}

fn extension() -> impl Strategy<Value = ExtensionOffer> {
    (
        token(),
        prop::collection::vec((token(), prop::option::of("[0-9a-z]{1,3}")), 0..3),
    )
        .prop_map(|(name, params)| ExtensionOffer {
            name,
            params: params
                .into_iter()
                .map(|(name, value)| ExtensionParam { name, value })
                .collect(),
        })
}

fn client_request() -> impl Strategy<Value = ClientRequest> {
    (
        "[a-z]{1,10}(\\.[a-z]{1,5}){0,2}(:[0-9]{1,5})?",
        "/[A-Za-z0-9/_.~-]{0,20}(\\?[a-z0-9=&]{0,10})?",
        any::<[u8; 16]>(),
        prop::option::of("https?://[a-z]{1,10}"),
        prop::collection::vec(token(), 0..4),
        prop::collection::vec(extension(), 0..3),
        prop::collection::vec(("X-[A-Za-z]{1,8}", "[!-~]([ -~]{0,18}[!-~])?"), 0..3),
    )
        .prop_map(
            |(host, path, nonce, origin, protocols, extensions, extra_headers)| ClientRequest {
                host,
                path,
                key: key_from_nonce(nonce),
                origin,
                protocols,
                extensions,
                extra_headers,
            },
        )
}

/// Flips the case of header-name letters where `mask` has a bit set: names match
/// case-insensitively, so the request stays valid.
fn scramble_name_case(head: &[u8], mask: u64) -> Vec<u8> {
    let text = String::from_utf8(head.to_vec()).unwrap();
    let mut out = String::new();
    let mut bit = 0;
    for (i, line) in text.split_inclusive("\r\n").enumerate() {
        match line.split_once(':') {
            Some((name, rest)) if i > 0 => {
                for c in name.chars() {
                    let flip = mask >> (bit % 64) & 1 == 1;
                    bit += 1;
                    out.push(if !flip {
                        c
                    } else if c.is_ascii_lowercase() {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    });
                }
                out.push(':');
                out.push_str(rest);
            }
            _ => out.push_str(line),
        }
    }
    out.into_bytes()
}

/// Cuts `len` bytes into chunks at the given points (sorted, deduplicated).
fn chunk_bounds(len: usize, cuts: &[usize]) -> Vec<(usize, usize)> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (len + 1)).collect();
    points.push(0);
    points.push(len);
    points.sort_unstable();
    points.dedup();
    points.windows(2).map(|w| (w[0], w[1])).collect()
}

proptest! {
    #[test]
    fn any_split_of_a_request_parses_like_the_whole(
        client in client_request(),
        mask in any::<u64>(),
        frames in prop::collection::vec(any::<u8>(), 0..16),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let limits = Limits::default();
        let head = scramble_name_case(&client.to_bytes(), mask);
        let mut buf = head.clone();
        buf.extend_from_slice(&frames);

        let whole = match parse_request(&buf, &limits) {
            Ok(Parsed::Complete(req, n)) => {
                prop_assert_eq!(n, head.len());
                req
            }
            other => return Err(TestCaseError::fail(format!("{other:?}"))),
        };

        let mut parser = RequestParser::new(&limits);
        let mut done = None;
        let mut after = Vec::new();
        for (start, end) in chunk_bounds(buf.len(), &cuts) {
            let chunk = &buf[start..end];
            if done.is_some() {
                after.extend_from_slice(chunk);
                continue;
            }
            // The stateless form agrees on every prefix the parser has seen.
            let prefix = parse_request(&buf[..end], &limits).unwrap();
            match parser.feed(chunk).unwrap() {
                None => {
                    prop_assert!(end < head.len());
                    prop_assert_eq!(prefix, Parsed::Partial);
                }
                Some((req, rest)) => {
                    prop_assert!(end >= head.len());
                    prop_assert_eq!(prefix, Parsed::Complete(req.clone(), head.len()));
                    after = rest;
                    done = Some(req);
                }
            }
        }
        prop_assert_eq!(done, Some(whole));
        prop_assert_eq!(after, frames);
    }

    #[test]
    fn client_request_is_accepted_and_its_accept_response_checks_out(
        client in client_request(),
        supported in prop::collection::vec(token(), 0..4),
        accept_extension in any::<bool>(),
        frames in prop::collection::vec(any::<u8>(), 0..16),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let limits = Limits::default();
        let req = match parse_request(&client.to_bytes(), &limits) {
            Ok(Parsed::Complete(req, _)) => req,
            other => return Err(TestCaseError::fail(format!("{other:?}"))),
        };
        prop_assert_eq!(&req.host, &client.host);
        prop_assert_eq!(&req.path, &client.path);
        prop_assert_eq!(&req.key, &client.key);
        prop_assert_eq!(&req.origin, &client.origin);
        prop_assert_eq!(&req.protocols, &client.protocols);
        prop_assert_eq!(&req.extensions, &client.extensions);
        for (name, value) in &client.extra_headers {
            prop_assert!(req.headers.iter().any(|(n, v)| n == name && v == value));
        }

        // Offer the client's own protocols plus some it may not know.
        let mut server_protocols: Vec<&str> = supported.iter().map(String::as_str).collect();
        server_protocols.extend(client.protocols.iter().rev().map(String::as_str));
        let protocol = select_protocol(&req, &server_protocols);
        prop_assert_eq!(protocol.is_some(), !client.protocols.is_empty());
        let extension = client.extensions.first().filter(|_| accept_extension).map(|e| e.to_string());

        let mut answer = accept_response(&req, protocol.as_deref(), extension.as_deref(), &[("Server", "wsspec")]);
        let head_len = answer.len();
        answer.extend_from_slice(&frames);
        let resp = match parse_response(&answer, &client, &limits) {
            Ok(Parsed::Complete(resp, n)) => {
                prop_assert_eq!(n, head_len);
                resp
            }
            other => return Err(TestCaseError::fail(format!("{other:?}"))),
        };
        prop_assert_eq!(resp.status, 101);
        prop_assert_eq!(&resp.protocol, &protocol);
        prop_assert_eq!(resp.extensions.len(), usize::from(extension.is_some()));

        let mut parser = ResponseParser::new(&client, &limits);
        let mut done = None;
        let mut after = Vec::new();
        for (start, end) in chunk_bounds(answer.len(), &cuts) {
            let chunk = &answer[start..end];
            if done.is_some() {
                after.extend_from_slice(chunk);
            } else if let Some((resp, rest)) = parser.feed(chunk).unwrap() {
                after = rest;
                done = Some(resp);
            }
        }
        prop_assert_eq!(done, Some(resp));
        prop_assert_eq!(after, frames);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_never_consume_past_the_limit(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        max in 0usize..600,
    ) {
        let limits = Limits { max_handshake: max, ..Limits::default() };
        if let Ok(Parsed::Complete(_, n)) = parse_request(&bytes, &limits) {
            prop_assert!(n <= max && n <= bytes.len());
        }
        let client = ClientRequest::with_key("h", "/", key_from_nonce([7; 16]));
        if let Ok(Parsed::Complete(_, n)) = parse_response(&bytes, &client, &limits) {
            prop_assert!(n <= max && n <= bytes.len());
        }
    }

    #[test]
    fn damaged_request_heads_never_panic(
        client in client_request(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = client.to_bytes();
        let len = bytes.len();
        for (at, byte) in edits {
            bytes[at % len] = byte;
        }
        // Whatever the verdict, it is a verdict; and the split form agrees.
        let whole = parse_request(&bytes, &Limits::default());
        let mut parser = RequestParser::new(&Limits::default());
        let (first, second) = bytes.split_at(len / 2);
        let split = parser.feed(first).and_then(|r| match r {
            Some((req, mut rest)) => {
                rest.extend_from_slice(second);
                Ok(Some((req, rest)))
            }
            None => parser.feed(second),
        });
        match (whole, split) {
            (Ok(Parsed::Complete(a, n)), Ok(Some((b, rest)))) => {
                prop_assert_eq!(a, b);
                prop_assert_eq!(rest.len(), len - n);
            }
            (Ok(Parsed::Partial), Ok(None)) => {}
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            (a, b) => return Err(TestCaseError::fail(format!("whole {a:?} vs split {b:?}"))),
        }
    }
}
