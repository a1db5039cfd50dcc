//! hixie-76 (draft-hixie-thewebsocketprotocol-76): handshake, framing, closing handshake.

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;
use wsspec_codec::hixie76::{
    encode_close, encode_length_prefixed, encode_text, is_hixie76_request, key_number,
    AcceptOptions, Challenge, ClientConfig, ClientHandshake, ClientKeys, ClientRequest, Decoded,
    Event, Frame, FrameDecoder, FrameError, HandshakeError, Hixie76Connection, KeyError, Progress,
    ServerHandshake, ServerResponse, CLOSE_FRAME,
};
use wsspec_codec::Limits;

/// The client's handshake of draft 76 §1.3, with its key3.
const EXAMPLE_REQUEST: &[u8] = b"GET /demo HTTP/1.1\r\n\
Host: example.com\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n\
Sec-WebSocket-Protocol: sample\r\n\
Upgrade: WebSocket\r\n\
Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n\
Origin: http://example.com\r\n\
\r\n\
^n:ds[4U";

/// The server's handshake of draft 76 §1.3, with its challenge response.
const EXAMPLE_RESPONSE: &[u8] = b"HTTP/1.1 101 WebSocket Protocol Handshake\r\n\
Upgrade: WebSocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Origin: http://example.com\r\n\
Sec-WebSocket-Location: ws://example.com/demo\r\n\
Sec-WebSocket-Protocol: sample\r\n\
\r\n\
8jKS'y:G*Co,Wxa-";

fn example_config() -> ClientConfig {
    ClientConfig {
        host: "example.com".into(),
        resource: "/demo".into(),
        origin: "http://example.com".into(),
        protocol: Some("sample".into()),
        secure: false,
    }
}

fn example_keys() -> ClientKeys {
    ClientKeys::from_parts("4 @1  46546xW%0l 1 5", "12998 5 Y3 1  .P00", *b"^n:ds[4U").unwrap()
}

/// Feeds `bytes` to a server handshake in the given chunk sizes (cycled); returns the
/// request and the bytes left after it.
fn server_read(
    bytes: &[u8],
    chunks: &[usize],
    limits: Limits,
) -> Result<(ClientRequest, Vec<u8>), HandshakeError> {
    let mut hs = ServerHandshake::new(limits);
    let mut rest = bytes;
    let mut sizes = chunks.iter().copied().cycle();
    loop {
        let n = sizes.next().unwrap_or(usize::MAX).max(1).min(rest.len());
        let mut chunk = &rest[..n];
        let progress = hs.feed(&mut chunk)?;
        let used = n - chunk.len();
        if let Progress::Complete(req) = progress {
            return Ok((req, rest[used..].to_vec()));
        }
        assert!(chunk.is_empty(), "NeedMore must consume the whole chunk");
        rest = &rest[n..];
        if rest.is_empty() {
            panic!("request incomplete after all bytes: {progress:?}");
        }
    }
}

fn client_read(
    hs: &mut ClientHandshake,
    bytes: &[u8],
    chunks: &[usize],
) -> Result<(ServerResponse, Vec<u8>), HandshakeError> {
    let mut rest = bytes;
    let mut sizes = chunks.iter().copied().cycle();
    loop {
        let n = sizes.next().unwrap_or(usize::MAX).max(1).min(rest.len());
        let mut chunk = &rest[..n];
        let progress = hs.feed(&mut chunk)?;
        let used = n - chunk.len();
        if let Progress::Complete(resp) = progress {
            return Ok((resp, rest[used..].to_vec()));
        }
        assert!(chunk.is_empty(), "NeedMore must consume the whole chunk");
        rest = &rest[n..];
        if rest.is_empty() {
            panic!("response incomplete after all bytes: {progress:?}");
        }
    }
}

fn request_with(key1: &str, key2: &str) -> Vec<u8> {
    format!(
        "GET /demo HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\nUpgrade: WebSocket\r\n\
         Origin: http://example.com\r\nSec-WebSocket-Key1: {key1}\r\nSec-WebSocket-Key2: {key2}\r\n\r\n12345678"
    )
    .into_bytes()
}

// ----- keys and the worked example -------------------------------------------------------

#[test]
fn draft76_1_3_worked_example_key_numbers() {
    // Digits of key1 are 4146546015 over 5 spaces; key2 1299853100 over 5 spaces.
    assert_eq!(key_number("4 @1  46546xW%0l 1 5"), Ok(829_309_203));
    assert_eq!(key_number("12998 5 Y3 1  .P00"), Ok(259_970_620));
}

#[test]
fn draft76_1_3_worked_example_challenge_response() {
    let challenge = Challenge {
        number1: 829_309_203,
        number2: 259_970_620,
        key3: *b"^n:ds[4U",
    };
    assert_eq!(&challenge.response(), b"8jKS'y:G*Co,Wxa-");
}

#[test]
fn draft76_1_3_server_reads_the_example_and_answers_it() {
    let (req, rest) = server_read(EXAMPLE_REQUEST, &[usize::MAX], Limits::default()).unwrap();
    assert!(rest.is_empty());
    assert_eq!(req.resource, "/demo");
    assert_eq!(req.host, "example.com");
    assert_eq!(req.origin, "http://example.com");
    assert_eq!(req.protocol.as_deref(), Some("sample"));
    assert_eq!(req.challenge.number1, 829_309_203);
    assert_eq!(req.challenge.number2, 259_970_620);
    assert_eq!(&req.challenge.key3, b"^n:ds[4U");
    let response = req.response(AcceptOptions {
        secure: false,
        accept_protocol: true,
    });
    assert_eq!(
        String::from_utf8_lossy(&response),
        String::from_utf8_lossy(EXAMPLE_RESPONSE)
    );
    assert_eq!(response, EXAMPLE_RESPONSE);
}

#[test]
fn draft76_5_2_secure_location_and_declined_protocol() {
    let (req, _) = server_read(EXAMPLE_REQUEST, &[usize::MAX], Limits::default()).unwrap();
    let response = String::from_utf8_lossy(&req.response(AcceptOptions {
        secure: true,
        accept_protocol: false,
    }))
    .into_owned();
    assert!(response.contains("\r\nSec-WebSocket-Location: wss://example.com/demo\r\n"));
    assert!(!response.contains("Sec-WebSocket-Protocol"));
    assert!(response.ends_with("\r\n\r\n8jKS'y:G*Co,Wxa-"));
}

#[test]
fn draft76_5_1_handshake_one_byte_at_a_time() {
    let (req, rest) = server_read(EXAMPLE_REQUEST, &[1], Limits::default()).unwrap();
    assert!(rest.is_empty());
    assert_eq!(&req.challenge.response(), b"8jKS'y:G*Co,Wxa-");
}

#[test]
fn draft76_5_1_frames_after_key3_stay_in_the_input() {
    let mut bytes = EXAMPLE_REQUEST.to_vec();
    bytes.extend_from_slice(b"\x00hi\xff");
    for chunks in [&[usize::MAX][..], &[1], &[7, 3], &[200, 1]] {
        let (_, rest) = server_read(&bytes, chunks, Limits::default()).unwrap();
        assert_eq!(rest, b"\x00hi\xff", "chunks {chunks:?}");
    }
}

#[test]
fn draft76_5_1_need_more_counts_key3_bytes() {
    let head_len = EXAMPLE_REQUEST.len() - 8;
    let mut hs = ServerHandshake::new(Limits::default());
    let mut input = &EXAMPLE_REQUEST[..head_len + 3];
    assert_eq!(hs.feed(&mut input), Ok(Progress::NeedMore(5)));
    let mut input = &EXAMPLE_REQUEST[head_len + 3..];
    assert!(matches!(hs.feed(&mut input), Ok(Progress::Complete(_))));
    // Complete is sticky and uses no more input.
    let mut more: &[u8] = b"\x00";
    assert!(matches!(hs.feed(&mut more), Ok(Progress::Complete(_))));
    assert_eq!(more, b"\x00");
}

// ----- server-side rejections ------------------------------------------------------------

#[test]
fn draft76_5_2_step_5_key_with_zero_spaces() {
    let err = server_read(
        &request_with("12345", "1 2"),
        &[usize::MAX],
        Limits::default(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        HandshakeError::InvalidKey {
            header: "Sec-WebSocket-Key1",
            source: KeyError::NoSpaces
        }
    );
}

#[test]
fn draft76_5_2_step_6_non_integral_quotient() {
    let err = server_read(
        &request_with("1 2", "1 0 1"),
        &[usize::MAX],
        Limits::default(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        HandshakeError::InvalidKey {
            header: "Sec-WebSocket-Key2",
            source: KeyError::NotIntegral {
                number: 101,
                spaces: 2
            }
        }
    );
    assert!(err.to_string().contains("§5.2 step 6"), "{err}");
}

#[test]
fn draft76_5_2_step_4_key_without_digits_or_too_large() {
    let err = server_read(
        &request_with("a b", "1 2"),
        &[usize::MAX],
        Limits::default(),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        HandshakeError::InvalidKey {
            source: KeyError::NoDigits,
            ..
        }
    ));
    let err = server_read(
        &request_with("1 2", "4294967296 "),
        &[usize::MAX],
        Limits::default(),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        HandshakeError::InvalidKey {
            source: KeyError::Overflow,
            ..
        }
    ));
}

#[test]
fn draft76_5_1_keys_are_checked_before_key3_arrives() {
    let bytes = request_with("12345", "1 2");
    let head = &bytes[..bytes.len() - 8];
    let mut hs = ServerHandshake::new(Limits::default());
    let mut input = head;
    assert!(matches!(
        hs.feed(&mut input),
        Err(HandshakeError::InvalidKey { .. })
    ));
    // Failure is sticky.
    let mut more: &[u8] = b"12345678";
    assert!(matches!(
        hs.feed(&mut more),
        Err(HandshakeError::InvalidKey { .. })
    ));
}

fn replace(haystack: &[u8], from: &str, to: &str) -> Vec<u8> {
    String::from_utf8(haystack.to_vec())
        .unwrap()
        .replacen(from, to, 1)
        .into_bytes()
}

#[test]
fn draft76_5_1_rejects_missing_and_wrong_fields() {
    let cases: Vec<(Vec<u8>, HandshakeError)> = vec![
        (
            replace(EXAMPLE_REQUEST, "GET ", "POST "),
            HandshakeError::NotGet("POST".into()),
        ),
        (
            replace(EXAMPLE_REQUEST, "HTTP/1.1", "HTTP/1.0"),
            HandshakeError::NotHttp11,
        ),
        (
            replace(EXAMPLE_REQUEST, "Origin: http://example.com\r\n", ""),
            HandshakeError::MissingHeader("Origin"),
        ),
        (
            replace(EXAMPLE_REQUEST, "Host: example.com\r\n", ""),
            HandshakeError::MissingHeader("Host"),
        ),
        (
            replace(EXAMPLE_REQUEST, "Upgrade: WebSocket", "Upgrade: h2c"),
            HandshakeError::BadUpgrade("h2c".into()),
        ),
        (
            replace(EXAMPLE_REQUEST, "Connection: Upgrade", "Connection: close"),
            HandshakeError::BadConnection("close".into()),
        ),
        (
            replace(EXAMPLE_REQUEST, "Host:", "Sec-WebSocket-Key1: 1 2\r\nHost:"),
            HandshakeError::DuplicateHeader("Sec-WebSocket-Key1"),
        ),
        (
            replace(EXAMPLE_REQUEST, "GET /demo", "GET demo"),
            HandshakeError::InvalidResource("demo".into()),
        ),
    ];
    for (bytes, expected) in cases {
        let err = server_read(&bytes, &[usize::MAX], Limits::default()).unwrap_err();
        assert_eq!(err, expected);
    }
}

#[test]
fn draft76_5_1_upgrade_and_connection_are_case_insensitive() {
    let bytes = replace(EXAMPLE_REQUEST, "Upgrade: WebSocket", "Upgrade: websocket");
    let bytes = replace(
        &bytes,
        "Connection: Upgrade",
        "Connection: keep-alive, upgrade",
    );
    assert!(server_read(&bytes, &[usize::MAX], Limits::default()).is_ok());
}

#[test]
fn handshake_head_over_the_limit_is_rejected_without_buffering_it_all() {
    let limits = Limits {
        max_handshake: 64,
        ..Limits::default()
    };
    let err = server_read(EXAMPLE_REQUEST, &[usize::MAX], limits).unwrap_err();
    assert_eq!(err, HandshakeError::HeadTooLarge { max: 64 });
    // An endless head never completes: it is cut off at the limit.
    let endless = vec![b'a'; 10_000];
    let mut hs = ServerHandshake::new(limits);
    let mut input = &endless[..];
    assert_eq!(
        hs.feed(&mut input),
        Err(HandshakeError::HeadTooLarge { max: 64 })
    );
    // A head of exactly the limit is accepted.
    let head_len = EXAMPLE_REQUEST.len() - 8;
    let exact = Limits {
        max_handshake: head_len,
        ..Limits::default()
    };
    assert!(server_read(EXAMPLE_REQUEST, &[1], exact).is_ok());
    let short = Limits {
        max_handshake: head_len - 1,
        ..Limits::default()
    };
    assert!(server_read(EXAMPLE_REQUEST, &[1], short).is_err());
}

// ----- routing ---------------------------------------------------------------------------

#[test]
fn routes_key1_key2_without_version_to_hixie76() {
    let h = |pairs: &[(&'static str, &'static [u8])]| is_hixie76_request(pairs.iter().copied());
    assert!(h(&[
        ("sec-websocket-key1", b"1 2"),
        ("Sec-WebSocket-Key2", b"3 4"),
        ("Host", b"x")
    ]));
    assert!(!h(&[
        ("Sec-WebSocket-Key1", b"1 2"),
        ("Sec-WebSocket-Key2", b"3 4"),
        ("Sec-WebSocket-Version", b"13")
    ]));
    assert!(!h(&[("Sec-WebSocket-Key", b"dGhlIHNhbXBsZSBub25jZQ==")]));
    assert!(!h(&[("Sec-WebSocket-Key1", b"1 2")]));
}

// ----- client side -----------------------------------------------------------------------

#[test]
fn draft76_4_1_client_request_with_explicit_keys() {
    let hs = ClientHandshake::new(example_config(), example_keys(), Limits::default()).unwrap();
    let request = hs.request();
    // Whatever the field order, the server side reads back what was meant.
    let (req, rest) = server_read(&request, &[usize::MAX], Limits::default()).unwrap();
    assert!(rest.is_empty());
    assert_eq!(req.key1, "4 @1  46546xW%0l 1 5");
    assert_eq!(req.key2, "12998 5 Y3 1  .P00");
    assert_eq!(req.protocol.as_deref(), Some("sample"));
    assert_eq!(
        req.response(AcceptOptions {
            secure: false,
            accept_protocol: true
        }),
        EXAMPLE_RESPONSE
    );
    assert!(request.starts_with(b"GET /demo HTTP/1.1\r\n"));
    assert!(request.ends_with(b"\r\n\r\n^n:ds[4U"));
}

#[test]
fn draft76_4_1_client_accepts_the_example_response_whole_and_bytewise() {
    for chunks in [&[usize::MAX][..], &[1], &[5, 2, 11]] {
        let mut hs =
            ClientHandshake::new(example_config(), example_keys(), Limits::default()).unwrap();
        let mut bytes = EXAMPLE_RESPONSE.to_vec();
        bytes.extend_from_slice(b"\x00first\xff");
        let (resp, rest) = client_read(&mut hs, &bytes, chunks).unwrap();
        assert_eq!(resp.protocol.as_deref(), Some("sample"));
        assert_eq!(resp.location, "ws://example.com/demo");
        assert_eq!(resp.origin, "http://example.com");
        assert_eq!(rest, b"\x00first\xff");
    }
}

fn client_error(response: &[u8]) -> HandshakeError {
    let mut hs = ClientHandshake::new(example_config(), example_keys(), Limits::default()).unwrap();
    client_read(&mut hs, response, &[usize::MAX]).unwrap_err()
}

#[test]
fn draft76_4_1_step_45_wrong_challenge_response() {
    let mut bad = EXAMPLE_RESPONSE.to_vec();
    *bad.last_mut().unwrap() ^= 1;
    match client_error(&bad) {
        HandshakeError::ChallengeMismatch { expected, actual } => {
            assert_eq!(&expected, b"8jKS'y:G*Co,Wxa-");
            assert_eq!(&actual, b"8jKS'y:G*Co,Wxa,");
        }
        other => panic!("expected ChallengeMismatch, got {other:?}"),
    }
}

#[test]
fn draft76_4_1_step_31_status_other_than_101() {
    let bad = replace(
        EXAMPLE_RESPONSE,
        "101 WebSocket Protocol Handshake",
        "200 OK",
    );
    assert_eq!(client_error(&bad), HandshakeError::BadStatus(200));
}

#[test]
fn draft76_4_1_step_41_field_checks() {
    let cases = [
        (
            replace(
                EXAMPLE_RESPONSE,
                "Sec-WebSocket-Origin: http://example.com",
                "Sec-WebSocket-Origin: http://evil.example",
            ),
            HandshakeError::OriginMismatch {
                expected: "http://example.com".into(),
                actual: "http://evil.example".into(),
            },
        ),
        (
            replace(
                EXAMPLE_RESPONSE,
                "ws://example.com/demo",
                "wss://example.com/demo",
            ),
            HandshakeError::LocationMismatch {
                expected: "ws://example.com/demo".into(),
                actual: "wss://example.com/demo".into(),
            },
        ),
        (
            replace(EXAMPLE_RESPONSE, "Sec-WebSocket-Protocol: sample\r\n", ""),
            HandshakeError::ProtocolMismatch {
                expected: Some("sample".into()),
                actual: None,
            },
        ),
        (
            // The server's Upgrade is exactly "WebSocket" (§4.1 step 41).
            replace(EXAMPLE_RESPONSE, "Upgrade: WebSocket", "Upgrade: websocket"),
            HandshakeError::BadUpgrade("websocket".into()),
        ),
        (
            replace(
                EXAMPLE_RESPONSE,
                "Sec-WebSocket-Location: ws://example.com/demo\r\n",
                "",
            ),
            HandshakeError::MissingHeader("Sec-WebSocket-Location"),
        ),
    ];
    for (bytes, expected) in cases {
        assert_eq!(client_error(&bytes), expected);
    }
}

#[test]
fn draft76_4_1_client_rejects_fields_it_cannot_send() {
    let mut config = example_config();
    config.host = "example.com\r\nX: y".into();
    assert!(matches!(
        ClientHandshake::new(config, example_keys(), Limits::default()),
        Err(HandshakeError::InvalidClientField { field: "Host", .. })
    ));
    let mut config = example_config();
    config.resource = "demo".into();
    assert!(ClientHandshake::new(config, example_keys(), Limits::default()).is_err());
    assert!(matches!(
        ClientKeys::from_parts("12345", "1 2", [0; 8]),
        Err(HandshakeError::InvalidKey {
            source: KeyError::NoSpaces,
            ..
        })
    ));
}

#[test]
fn draft76_4_1_generated_keys_complete_a_handshake_with_our_server() {
    let mut rng = StdRng::seed_from_u64(76);
    for secure in [false, true] {
        for _ in 0..50 {
            let keys = ClientKeys::generate(&mut rng);
            let mut config = example_config();
            config.secure = secure;
            config.protocol = None;
            let mut client = ClientHandshake::new(config, keys, Limits::default()).unwrap();
            let (req, _) = server_read(&client.request(), &[3], Limits::default()).unwrap();
            let response = req.response(AcceptOptions {
                secure,
                accept_protocol: true,
            });
            let (resp, rest) = client_read(&mut client, &response, &[2]).unwrap();
            assert!(rest.is_empty());
            assert_eq!(resp.protocol, None);
        }
    }
}

// ----- framing ---------------------------------------------------------------------------

fn decode_all(bytes: &[u8], limits: Limits) -> (Vec<Frame>, Option<FrameError>) {
    decode_chunked(bytes, &[usize::MAX], limits)
}

fn decode_chunked(
    bytes: &[u8],
    chunks: &[usize],
    limits: Limits,
) -> (Vec<Frame>, Option<FrameError>) {
    let mut dec = FrameDecoder::new(limits);
    let mut frames = Vec::new();
    let mut rest = bytes;
    let mut sizes = chunks.iter().copied().cycle();
    while !rest.is_empty() {
        let n = sizes.next().unwrap_or(usize::MAX).max(1).min(rest.len());
        let mut chunk = &rest[..n];
        loop {
            match dec.decode(&mut chunk) {
                Ok(Decoded::Frame(f)) => frames.push(f),
                Ok(Decoded::NeedMore(need)) => {
                    assert!(chunk.is_empty() && need >= 1);
                    break;
                }
                Err(e) => return (frames, Some(e)),
            }
        }
        rest = &rest[n..];
    }
    (frames, None)
}

#[test]
fn draft76_5_3_text_and_close_frames() {
    let (frames, err) = decode_all(b"\x00Hello\xff\x00\xff\xff\x00", Limits::default());
    assert_eq!(err, None);
    assert_eq!(
        frames,
        vec![
            Frame::Text("Hello".into()),
            Frame::Text(String::new()),
            Frame::Close
        ]
    );
}

#[test]
fn draft76_5_3_length_prefixed_frames_are_skipped() {
    let mut bytes = Vec::new();
    encode_length_prefixed(0x80, &[0xff; 200], &mut bytes); // payload full of 0xFF
    encode_length_prefixed(0xff, &[1, 2, 3], &mut bytes); // 0xFF with a length: not a close
    encode_length_prefixed(0x80, &[], &mut bytes);
    encode_text("after", &mut bytes);
    let (frames, err) = decode_all(&bytes, Limits::default());
    assert_eq!(err, None);
    assert_eq!(frames, vec![Frame::Text("after".into())]);
}

#[test]
fn draft76_5_3_text_frame_type_other_than_zero_is_rejected() {
    let (frames, err) = decode_all(b"\x00ok\xff\x01nope\xff", Limits::default());
    assert_eq!(frames, vec![Frame::Text("ok".into())]);
    assert_eq!(err, Some(FrameError::UnknownTextFrameType(0x01)));
}

#[test]
fn draft76_5_4_invalid_utf8_in_a_text_frame() {
    let (_, err) = decode_all(b"\x00ab\xc3\x28\xff", Limits::default());
    assert_eq!(err, Some(FrameError::InvalidUtf8 { valid_up_to: 2 }));
}

#[test]
fn text_frame_without_terminator_is_cut_off_at_max_frame() {
    let limits = Limits::uniform(1000);
    let mut bytes = vec![0x00];
    bytes.extend(std::iter::repeat(b'a').take(5000));
    for chunks in [&[usize::MAX][..], &[1], &[333]] {
        let (frames, err) = decode_chunked(&bytes, chunks, limits);
        assert!(frames.is_empty());
        assert_eq!(err, Some(FrameError::TextFrameTooLong { max: 1000 }));
    }
}

#[test]
fn length_prefixed_frame_over_the_limit_fails_before_its_payload() {
    let limits = Limits::uniform(1000);
    // 0x80, length 1001 = 7 * 128 + 105
    let (_, err) = decode_all(&[0x80, 0x87, 105], limits);
    assert_eq!(
        err,
        Some(FrameError::LengthFrameTooLarge {
            len: 1001,
            max: 1000
        })
    );
    // A huge claimed length fails at the group that crosses the limit.
    let (_, err) = decode_all(&[0x80, 0xff, 0xff, 0xff], limits);
    assert!(matches!(err, Some(FrameError::LengthFrameTooLarge { .. })));
}

#[test]
fn length_prefix_that_overflows_64_bits() {
    let limits = Limits {
        max_frame: u64::MAX,
        ..Limits::default()
    };
    let mut bytes = vec![0x80];
    bytes.extend([0xff; 10]); // 70 bits of length
    bytes.push(0x00);
    let (_, err) = decode_all(&bytes, limits);
    assert_eq!(err, Some(FrameError::LengthOverflow));
}

#[test]
fn decoder_stays_failed() {
    let mut dec = FrameDecoder::new(Limits::default());
    let mut input: &[u8] = b"\x05";
    assert!(dec.decode(&mut input).is_err());
    let mut input: &[u8] = b"\x00ok\xff";
    assert_eq!(
        dec.decode(&mut input),
        Err(FrameError::UnknownTextFrameType(5))
    );
}

// ----- connection ------------------------------------------------------------------------

#[test]
fn draft76_1_4_peer_close_is_answered_once() {
    let mut conn = Hixie76Connection::new(Limits::default());
    conn.receive_data(b"\x00hi\xff\xff\x00\x00ignored\xff\xff\x00")
        .unwrap();
    assert_eq!(conn.next_event(), Some(Event::Text("hi".into())));
    assert_eq!(conn.next_event(), Some(Event::Close));
    assert_eq!(conn.next_event(), None);
    assert_eq!(conn.data_to_send(), CLOSE_FRAME);
    assert!(conn.is_closed());
    conn.close();
    conn.receive_data(&CLOSE_FRAME).unwrap();
    assert!(conn.data_to_send().is_empty());
    assert!(conn.send_text("late").is_err());
}

/// Found by wsspec's 105.3.1: a text frame and the closing frame in one read made the
/// echo server answer the close first, so the echo was refused (sent after close).
#[test]
fn draft76_1_4_replies_to_frames_before_the_close_go_out_before_its_answer() {
    let mut conn = Hixie76Connection::new(Limits::default());
    conn.receive_data(b"\x00Bye\xff\xff\x00").unwrap();
    assert!(
        conn.data_to_send().is_empty(),
        "nothing answered before it is read"
    );
    assert_eq!(conn.next_event(), Some(Event::Text("Bye".into())));
    conn.send_text("Bye").unwrap();
    assert_eq!(conn.next_event(), Some(Event::Close));
    let mut expected = Vec::new();
    encode_text("Bye", &mut expected);
    encode_close(&mut expected);
    assert_eq!(conn.data_to_send(), expected);
    assert!(conn.is_closed());
}

#[test]
fn draft76_1_4_our_close_is_not_repeated_when_the_peer_answers() {
    let mut conn = Hixie76Connection::new(Limits::default());
    conn.send_text("bye").unwrap();
    conn.close();
    conn.close();
    let mut expected = Vec::new();
    encode_text("bye", &mut expected);
    encode_close(&mut expected);
    assert_eq!(conn.data_to_send(), expected);
    assert!(conn.close_sent() && !conn.close_received());
    conn.receive_data(&[0xff]).unwrap();
    assert!(!conn.close_received());
    conn.receive_data(&[0x00]).unwrap();
    assert_eq!(conn.next_event(), Some(Event::Close));
    assert!(conn.is_closed());
    assert!(conn.data_to_send().is_empty());
}

#[test]
fn connection_reports_framing_errors() {
    let mut conn = Hixie76Connection::new(Limits::default());
    assert_eq!(
        conn.receive_data(b"\x00\xfe\xff"),
        Err(FrameError::InvalidUtf8 { valid_up_to: 0 })
    );
}

// ----- properties ------------------------------------------------------------------------

/// A frame as a sender might put it on the wire.
#[derive(Debug, Clone)]
enum WireFrame {
    Text(String),
    Close,
    Skipped(u8, Vec<u8>),
    Garbage(Vec<u8>),
}

fn wire_frame() -> impl Strategy<Value = WireFrame> {
    prop_oneof![
        4 => any::<String>().prop_map(WireFrame::Text),
        1 => Just(WireFrame::Close),
        2 => (0x80u8..=0xff, proptest::collection::vec(any::<u8>(), 0..300))
            .prop_map(|(t, p)| WireFrame::Skipped(t, p)),
        1 => proptest::collection::vec(any::<u8>(), 0..8).prop_map(WireFrame::Garbage),
    ]
}

fn encode_stream(frames: &[WireFrame]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in frames {
        match f {
            WireFrame::Text(s) => encode_text(s, &mut out),
            WireFrame::Close => encode_close(&mut out),
            WireFrame::Skipped(t, p) => encode_length_prefixed(*t, p, &mut out),
            WireFrame::Garbage(g) => out.extend_from_slice(g),
        }
    }
    out
}

proptest! {
    #[test]
    fn prop_text_frames_round_trip(messages in proptest::collection::vec(any::<String>(), 0..20)) {
        let mut bytes = Vec::new();
        for m in &messages {
            encode_text(m, &mut bytes);
        }
        encode_close(&mut bytes);
        let (frames, err) = decode_all(&bytes, Limits::default());
        prop_assert_eq!(err, None);
        let mut expected: Vec<Frame> = messages.into_iter().map(Frame::Text).collect();
        expected.push(Frame::Close);
        prop_assert_eq!(frames, expected);
    }

    #[test]
    fn prop_split_chunks_decode_like_the_whole_buffer(
        frames in proptest::collection::vec(wire_frame(), 0..12),
        chunks in proptest::collection::vec(1usize..40, 1..8),
        max_frame in 16u64..400,
    ) {
        let bytes = encode_stream(&frames);
        let limits = Limits { max_frame, ..Limits::default() };
        prop_assert_eq!(decode_chunked(&bytes, &chunks, limits), decode_all(&bytes, limits));
    }

    #[test]
    fn prop_arbitrary_bytes_decode_the_same_in_any_split(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        chunks in proptest::collection::vec(1usize..20, 1..6),
    ) {
        let limits = Limits::uniform(128);
        prop_assert_eq!(decode_chunked(&bytes, &chunks, limits), decode_all(&bytes, limits));
    }

    #[test]
    fn prop_handshake_in_random_pieces(chunks in proptest::collection::vec(1usize..64, 1..10)) {
        let mut bytes = EXAMPLE_REQUEST.to_vec();
        bytes.extend_from_slice(b"\x00x\xff");
        let (req, rest) = server_read(&bytes, &chunks, Limits::default()).unwrap();
        prop_assert_eq!(&req.challenge.response(), b"8jKS'y:G*Co,Wxa-");
        prop_assert_eq!(rest, b"\x00x\xff".to_vec());
        let mut client = ClientHandshake::new(example_config(), example_keys(), Limits::default()).unwrap();
        let (resp, rest) = client_read(&mut client, EXAMPLE_RESPONSE, &chunks).unwrap();
        prop_assert_eq!(resp.protocol.as_deref(), Some("sample"));
        prop_assert!(rest.is_empty());
    }

    #[test]
    fn prop_server_handshake_never_panics_on_arbitrary_heads(
        bytes in proptest::collection::vec(any::<u8>(), 0..300),
        chunks in proptest::collection::vec(1usize..50, 1..5),
    ) {
        let mut hs = ServerHandshake::new(Limits::uniform(256));
        let mut sizes = chunks.iter().copied().cycle();
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let n = sizes.next().unwrap().min(rest.len());
            let mut chunk = &rest[..n];
            if hs.feed(&mut chunk).is_err() {
                break;
            }
            rest = &rest[n..];
        }
    }
}
