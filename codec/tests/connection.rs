//! A client and a server connection wired back to back.

use proptest::prelude::*;
use wsspec_codec::connection::{Config, Connection, Event, State};
use wsspec_codec::frame::{Opcode, Role};
use wsspec_codec::message::Message;
use wsspec_codec::CloseCode;

/// Moves bytes both ways, in pieces of `chunk` bytes, until neither side has output.
fn pump(a: &mut Connection, b: &mut Connection, chunk: usize) {
    loop {
        let ab = a.data_to_send();
        let ba = b.data_to_send();
        if ab.is_empty() && ba.is_empty() {
            return;
        }
        for piece in ab.chunks(chunk.max(1)) {
            b.receive_data(piece);
        }
        for piece in ba.chunks(chunk.max(1)) {
            a.receive_data(piece);
        }
    }
}

fn messages(conn: &mut Connection) -> Vec<Message> {
    std::iter::from_fn(|| conn.next_event())
        .filter_map(|e| match e {
            Event::Message(m) => Some(m),
            _ => None,
        })
        .collect()
}

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        ".{0,200}".prop_map(Message::Text),
        prop::collection::vec(any::<u8>(), 0..500).prop_map(Message::Binary),
    ]
}

/// Sends `m` split into fragments of `size` bytes (text split at arbitrary byte
/// positions, even inside a code point).
fn send_fragmented(conn: &mut Connection, m: &Message, size: usize) {
    let bytes = m.as_bytes();
    let first = if m.is_binary() {
        Opcode::Binary
    } else {
        Opcode::Text
    };
    let pieces: Vec<&[u8]> = if bytes.is_empty() {
        vec![&[]]
    } else {
        bytes.chunks(size).collect()
    };
    for (i, piece) in pieces.iter().enumerate() {
        let op = if i == 0 { first } else { Opcode::Continuation };
        conn.send_fragment(op, piece, i + 1 == pieces.len())
            .unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn back_to_back_connections_exchange_messages_unchanged_and_close_cleanly(
        msgs in prop::collection::vec((message(), 1usize..64, any::<bool>()), 0..8),
        chunk in 1usize..100,
        client_closes in any::<bool>(),
    ) {
        let mut client = Connection::new(Role::Client, Config::default());
        let mut server = Connection::new(Role::Server, Config::default());
        let mut to_server = Vec::new();
        let mut to_client = Vec::new();
        for (m, size, from_client) in &msgs {
            if *from_client {
                send_fragmented(&mut client, m, *size);
                to_server.push(m.clone());
            } else {
                send_fragmented(&mut server, m, *size);
                to_client.push(m.clone());
            }
            client.send_ping(b"keepalive").unwrap();
        }
        pump(&mut client, &mut server, chunk);
        prop_assert_eq!(messages(&mut server), to_server);
        prop_assert_eq!(messages(&mut client), to_client);

        let (closer, other) = if client_closes {
            (&mut client, &mut server)
        } else {
            (&mut server, &mut client)
        };
        closer.close(Some(CloseCode::NORMAL), "bye");
        pump(closer, other, chunk);
        prop_assert_eq!(client.state(), State::Closed);
        prop_assert_eq!(server.state(), State::Closed);
        prop_assert_eq!(client.close_received().and_then(|c| c.code), Some(CloseCode::NORMAL));
        prop_assert_eq!(server.close_received().and_then(|c| c.code), Some(CloseCode::NORMAL));
        // The server closes the transport first (RFC 6455 §7.1.1); the client waits.
        prop_assert!(server.should_close_transport());
        prop_assert!(!client.should_close_transport());
        client.receive_eof();
        let last = std::iter::from_fn(|| client.next_event()).last();
        prop_assert_eq!(last, Some(Event::Eof { clean: true }));
    }
}
