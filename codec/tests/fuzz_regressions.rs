//! Inputs the fuzz targets in `fuzz/` found, minimised, each pinned by a test named
//! after what it broke. The fuzz target and artifact are named in each test's comment;
//! `fuzz/README.md` says how to reproduce one.

use wsspec_codec::connection::{Config, Connection, Event, State};
use wsspec_codec::deflate::{DeflateConfig, DeflateError, PerMessageDeflate};
use wsspec_codec::frame::{Frame, FrameHeader, Opcode, Role};
use wsspec_codec::CloseCode;

/// `inflate` target, minimised artifact `00 00 | f2 00 fe` (decode mode, message limit
/// 0, 8-bit windows, server side): the payload inflates to at least one byte and is
/// corrupt after that. The inflater wrote past the limit in the same call that found
/// the corruption, and the corruption was reported first, so `out` came back one byte
/// over the limit with `CorruptData` — breaking "never past the limit" for any caller
/// that looks at `out` after an error.
#[test]
fn inflate_output_over_the_limit_is_too_big_even_if_corrupt_later() {
    let config = DeflateConfig {
        server_no_context_takeover: false,
        client_no_context_takeover: false,
        server_max_window_bits: 8,
        client_max_window_bits: 8,
    };
    let mut d = PerMessageDeflate::new(Role::Server, config);
    let mut out = Vec::new();
    let result = d.decompress(&[0xf2, 0x00, 0xfe], &mut out, 0);
    assert_eq!(result, Err(DeflateError::MessageTooBig { limit: 0 }));
    assert!(
        out.is_empty(),
        "kept {} bytes past a 0-byte limit",
        out.len()
    );
}

/// The same overflow-then-corruption shape under a non-zero limit: the output is cut
/// at the limit, never kept past it.
#[test]
fn inflate_never_keeps_more_than_the_limit_when_the_data_is_corrupt() {
    let mut d = PerMessageDeflate::new(Role::Client, DeflateConfig::default());
    // A stored block of 16 bytes "abcdefghijklmnop", then a reserved block type (0b11).
    let mut data = vec![0x00, 0x10, 0x00, 0xef, 0xff];
    data.extend_from_slice(b"abcdefghijklmnop");
    data.push(0x07);
    for limit in [0, 1, 5, 15] {
        let mut out = Vec::new();
        let result = d.decompress(&data, &mut out, limit);
        assert_eq!(result, Err(DeflateError::MessageTooBig { limit }));
        assert_eq!(out, &b"abcdefghijklmnop"[..limit]);
        d = PerMessageDeflate::new(Role::Client, DeflateConfig::default());
    }
}

/// `connection` target: after a protocol error that leaves the stream readable (here
/// invalid UTF-8, 1007), a ping or pong from the peer was still reported as an event,
/// though `Event::ProtocolError` promises that only the peer's close reply and the end
/// of the transport follow (RFC 6455 §7.1.7: a failed connection processes no more
/// data). The close reply still completes the closing handshake.
#[test]
fn no_ping_or_pong_events_after_a_protocol_error() {
    let mut server = Connection::new(Role::Server, Config::default());
    let mut wire = client_frame(Opcode::Text, &[0xff]);
    wire.extend(client_frame(Opcode::Ping, b"late ping"));
    wire.extend(client_frame(Opcode::Pong, b"late pong"));
    wire.extend(client_frame(Opcode::Close, &1007u16.to_be_bytes()));
    server.receive_data(&wire);
    let events: Vec<Event> = std::iter::from_fn(|| server.next_event()).collect();
    assert!(
        matches!(
            &events[..],
            [Event::ProtocolError(e), Event::Close(_)] if e.close_code() == CloseCode::INVALID_PAYLOAD
        ),
        "{events:?}"
    );
    assert_eq!(server.state(), State::Closed);
    // Nothing but our close frame was written: no pong after it.
    let out = server.data_to_send();
    assert_eq!(out[0], 0x88);
    assert_eq!(out.len(), 2 + usize::from(out[1]));
}

fn client_frame(opcode: Opcode, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    Frame {
        header: FrameHeader {
            mask: Some([1, 2, 3, 4]),
            ..FrameHeader::new(opcode, payload.len() as u64)
        },
        payload: payload.to_vec(),
    }
    .encode(&mut out);
    out
}
