//! `hixie76`: the legacy draft-76 handshake readers and framing, whole and in arbitrary
//! reads.
//!
//! - [`ServerHandshake`] and [`ClientHandshake`] reach the same outcome, with the same
//!   bytes left over, whether the input comes in one read or many; a request the server
//!   accepts gets an answer (with the MD5 challenge response) that a client sending
//!   those keys accepts.
//! - [`FrameDecoder`] produces the same frames and error either way, frames re-encode
//!   to bytes that decode to the same frames, and a [`Hixie76Connection`] reports
//!   nothing after the peer's closing frame and answers it exactly once.
//!
//! Layout: `flags`, a chunk plan, the bytes. `flags` bits 0–1: 0 = a request reaching a
//! server, 1 = a response reaching the draft's example client (`/demo` on
//! `example.com`, protocol `sample`), 2–3 = frames; bits 2–4: the head limit
//! ([`crate::input::MAX_HANDSHAKE`]) or frame limit ([`crate::input::MAX_FRAME`]);
//! bit 5: the server answers over TLS; bit 6: it echoes the subprotocol.

use wsspec_codec::hixie76::{
    encode_close, encode_text, AcceptOptions, ClientConfig, ClientHandshake, ClientKeys, Decoded,
    Event, Frame, FrameDecoder, FrameError, HandshakeError, Hixie76Connection, Progress,
    ServerHandshake, CLOSE_FRAME,
};
use wsspec_codec::Limits;

use crate::input::{Reader, MAX_FRAME, MAX_HANDSHAKE};

type Outcome<T> = (Result<Progress<T>, HandshakeError>, Vec<u8>);

/// Feeds `pieces` to a handshake reader; returns its last outcome and every byte it did
/// not use.
fn feed_pieces<T>(
    pieces: &[&[u8]],
    mut feed: impl FnMut(&mut &[u8]) -> Result<Progress<T>, HandshakeError>,
) -> Outcome<T> {
    let mut last = Ok(Progress::NeedMore(1));
    for (i, piece) in pieces.iter().enumerate() {
        let mut input = *piece;
        last = feed(&mut input);
        match &last {
            Ok(Progress::NeedMore(_)) => assert!(input.is_empty(), "NeedMore with input left"),
            _ => {
                let mut left = input.to_vec();
                left.extend(pieces[i + 1..].concat());
                return (last, left);
            }
        }
    }
    (last, Vec::new())
}

/// Same outcome; on completion also the same bytes left for the frames. (After an
/// error the bytes not used do not matter: the connection is dropped.)
fn agree<T: PartialEq + std::fmt::Debug>(whole: &Outcome<T>, split: &Outcome<T>) {
    assert_eq!(whole.0, split.0, "one read and pieces disagree");
    if matches!(whole.0, Ok(Progress::Complete(_))) {
        assert_eq!(whole.1, split.1, "different bytes left after the handshake");
    }
}

fn example_client(limits: Limits) -> ClientHandshake {
    let config = ClientConfig {
        host: "example.com".into(),
        resource: "/demo".into(),
        origin: "http://example.com".into(),
        protocol: Some("sample".into()),
        secure: false,
    };
    let keys = ClientKeys::from_parts("4 @1  46546xW%0l 1 5", "12998 5 Y3 1  .P00", *b"^n:ds[4U")
        .expect("the draft's example keys");
    ClientHandshake::new(config, keys, limits).expect("the draft's example client")
}

fn server(bytes: &[u8], pieces: &[&[u8]], limits: Limits, flags: u8) {
    let mut a = ServerHandshake::new(limits);
    let mut b = ServerHandshake::new(limits);
    let whole = feed_pieces(&[bytes], |i| a.feed(i));
    let split = feed_pieces(pieces, |i| b.feed(i));
    agree(&whole, &split);
    let Ok(Progress::Complete(req)) = whole.0 else {
        return;
    };
    let options = AcceptOptions {
        secure: flags & 0x20 != 0,
        accept_protocol: flags & 0x40 != 0,
    };
    let answer = req.response(options);
    let config = ClientConfig {
        host: req.host.clone(),
        resource: req.resource.clone(),
        origin: req.origin.clone(),
        protocol: req.protocol.clone().filter(|_| options.accept_protocol),
        secure: options.secure,
    };
    // The server reads keys leniently (any character but the digits and spaces is
    // ignored); a client refuses to send a control character, and only that.
    let keys = match ClientKeys::from_parts(&req.key1, &req.key2, req.challenge.key3) {
        Ok(keys) => keys,
        Err(HandshakeError::InvalidClientField { .. }) => return,
        Err(e) => panic!("keys the server accepted are refused by the client side: {e}"),
    };
    // A field the client could not have written (a control character, say) ends here.
    let Ok(mut client) = ClientHandshake::new(config, keys, Limits::default()) else {
        return;
    };
    let mut input = answer.as_slice();
    match client.feed(&mut input) {
        Ok(Progress::Complete(resp)) => {
            assert!(input.is_empty());
            assert_eq!(resp.origin, req.origin);
            assert_eq!(resp.location, req.location(options.secure));
        }
        other => panic!("the client refuses our answer {answer:?}: {other:?}"),
    }
}

fn client(bytes: &[u8], pieces: &[&[u8]], limits: Limits) {
    let mut a = example_client(limits);
    let mut b = example_client(limits);
    let whole = feed_pieces(&[bytes], |i| a.feed(i));
    let split = feed_pieces(pieces, |i| b.feed(i));
    agree(&whole, &split);
}

fn decode_pieces(pieces: &[&[u8]], limits: Limits) -> (Vec<Frame>, Option<FrameError>) {
    let mut dec = FrameDecoder::new(limits);
    let mut frames = Vec::new();
    for piece in pieces {
        let mut input = *piece;
        loop {
            match dec.decode(&mut input) {
                Ok(Decoded::Frame(f)) => frames.push(f),
                Ok(Decoded::NeedMore(_)) => {
                    assert!(input.is_empty());
                    break;
                }
                Err(e) => {
                    let mut more: &[u8] = b"\x00a\xff";
                    assert_eq!(dec.decode(&mut more), Err(e.clone()), "failure is sticky");
                    return (frames, Some(e));
                }
            }
        }
    }
    (frames, None)
}

fn frames(bytes: &[u8], pieces: &[&[u8]], limits: Limits) {
    let whole = decode_pieces(&[bytes], limits);
    assert_eq!(
        decode_pieces(pieces, limits),
        whole,
        "one read and pieces disagree"
    );
    for f in &whole.0 {
        if let Frame::Text(t) = f {
            assert!(
                t.len() as u64 <= limits.max_frame,
                "text frame over the limit"
            );
        }
    }
    let mut again = Vec::new();
    for f in &whole.0 {
        match f {
            Frame::Text(t) => encode_text(t, &mut again),
            Frame::Close => encode_close(&mut again),
        }
    }
    let roomy = Limits {
        max_frame: u64::MAX,
        ..limits
    };
    assert_eq!(decode_pieces(&[&again], roomy), (whole.0.clone(), None));

    let mut conn = Hixie76Connection::new(limits);
    let mut closed = false;
    for piece in pieces {
        let result = conn.receive_data(piece);
        while let Some(event) = conn.next_event() {
            assert!(!closed, "{event:?} after the closing frame");
            closed = event == Event::Close;
        }
        if result.is_err() {
            break;
        }
    }
    assert_eq!(closed, conn.close_received());
    let out = conn.data_to_send();
    if closed {
        assert!(conn.is_closed());
        assert_eq!(out, CLOSE_FRAME, "the closing frame is answered once");
    } else {
        assert!(out.is_empty());
    }
}

/// The target.
pub fn run(data: &[u8]) {
    let mut r = Reader::new(data);
    let flags = r.byte();
    let plan = r.plan();
    let bytes = r.rest();
    let pieces = plan.split(bytes);
    let idx = usize::from(flags >> 2) & 7;
    match flags & 3 {
        0 | 1 => {
            let limits = Limits {
                max_handshake: MAX_HANDSHAKE[idx & 3],
                ..Limits::default()
            };
            if flags & 3 == 0 {
                server(bytes, &pieces, limits, flags);
            } else {
                client(bytes, &pieces, limits);
            }
        }
        _ => frames(
            bytes,
            &pieces,
            Limits {
                max_frame: MAX_FRAME[idx],
                ..Limits::default()
            },
        ),
    }
}
