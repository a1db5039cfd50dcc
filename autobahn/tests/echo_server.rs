//! The reference echo server over real sockets on 127.0.0.1: RFC 6455 with and without
//! permessage-deflate, hixie-76 on the same port, and handshake rejections.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;
use wsspec_autobahn::echo::{serve, EchoOptions};
use wsspec_codec::connection::{Config, Connection, Event};
use wsspec_codec::deflate::{negotiate_client, DeflateOffer};
use wsspec_codec::handshake::{ClientRequest, ResponseParser};
use wsspec_codec::hixie76::{self, ClientConfig, ClientHandshake, ClientKeys, Hixie76Connection};
use wsspec_codec::message::Message;
use wsspec_codec::{Limits, Role};

const WAIT: Duration = Duration::from_secs(10);

async fn start(options: EchoOptions) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, options));
    addr
}

/// Reads until `parse` returns a value.
async fn read_until<T>(stream: &mut TcpStream, mut parse: impl FnMut(&[u8]) -> Option<T>) -> T {
    let mut buf = [0u8; 65536];
    loop {
        let n = timeout(WAIT, stream.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0, "server closed the connection early");
        if let Some(v) = parse(&buf[..n]) {
            return v;
        }
    }
}

/// Opens an RFC 6455 connection, offering deflate if asked; returns the connection and
/// whether deflate was agreed.
async fn open(addr: SocketAddr, deflate: bool) -> (TcpStream, Connection) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut request = ClientRequest::new(addr.to_string(), "/");
    let offer = DeflateOffer::new().with_client_max_window_bits(None);
    if deflate {
        request.extensions.push(offer.to_extension());
    }
    stream.write_all(&request.to_bytes()).await.unwrap();
    let mut parser = ResponseParser::new(&request, &Limits::default());
    let (response, rest) = read_until(&mut stream, |bytes| parser.feed(bytes).unwrap()).await;
    let agreed = response
        .extensions
        .first()
        .map(|e| negotiate_client(e, &[offer]).unwrap());
    let mut conn = Connection::new(
        Role::Client,
        Config {
            deflate: agreed,
            ..Config::default()
        },
    );
    conn.receive_data(&rest);
    (stream, conn)
}

async fn round_trip(stream: &mut TcpStream, conn: &mut Connection, message: Message) -> Message {
    conn.send_message(&message).unwrap();
    stream.write_all(&conn.data_to_send()).await.unwrap();
    read_until(stream, |bytes| {
        conn.receive_data(bytes);
        std::iter::from_fn(|| conn.next_event()).find_map(|e| match e {
            Event::Message(m) => Some(m),
            _ => None,
        })
    })
    .await
}

#[tokio::test]
async fn echoes_text_and_binary_and_closes_cleanly() {
    let addr = start(EchoOptions::default()).await;
    let (mut stream, mut conn) = open(addr, false).await;
    assert!(!conn.is_compressing());
    let text = Message::Text("κόσμε".repeat(1000));
    assert_eq!(round_trip(&mut stream, &mut conn, text.clone()).await, text);
    let binary = Message::Binary((0..=255).cycle().take(70_000).collect());
    assert_eq!(
        round_trip(&mut stream, &mut conn, binary.clone()).await,
        binary
    );

    conn.close(Some(wsspec_codec::CloseCode::NORMAL), "");
    stream.write_all(&conn.data_to_send()).await.unwrap();
    // The server answers the close and then closes the TCP connection first.
    let mut buf = [0u8; 1024];
    loop {
        let n = timeout(WAIT, stream.read(&mut buf)).await.unwrap().unwrap();
        if n == 0 {
            conn.receive_eof();
            break;
        }
        conn.receive_data(&buf[..n]);
    }
    let last = std::iter::from_fn(|| conn.next_event()).last();
    assert_eq!(last, Some(Event::Eof { clean: true }));
}

#[tokio::test]
async fn negotiates_permessage_deflate_and_echoes_compressed() {
    let addr = start(EchoOptions::default()).await;
    let (mut stream, mut conn) = open(addr, true).await;
    assert!(conn.is_compressing());
    for i in 0..20 {
        let m = Message::Text(format!(
            "{{\"n\": {i}, \"pad\": \"{}\"}}",
            "x".repeat(i * 500)
        ));
        assert_eq!(round_trip(&mut stream, &mut conn, m.clone()).await, m);
    }
}

#[tokio::test]
async fn no_deflate_option_declines_the_offer() {
    let options = EchoOptions {
        deflate: false,
        ..EchoOptions::default()
    };
    let addr = start(options).await;
    let (_stream, conn) = open(addr, true).await;
    assert!(!conn.is_compressing());
}

#[tokio::test]
async fn unsupported_version_gets_426_with_the_supported_version() {
    let addr = start(EchoOptions::default()).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
        )
        .await
        .unwrap();
    let mut reply = Vec::new();
    timeout(WAIT, stream.read_to_end(&mut reply))
        .await
        .unwrap()
        .unwrap();
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 426"), "{reply}");
    assert!(reply.contains("Sec-WebSocket-Version: 13"), "{reply}");
}

#[tokio::test]
async fn answers_hixie76_clients_on_the_same_port() {
    let addr = start(EchoOptions::default()).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let config = ClientConfig {
        host: addr.to_string(),
        resource: "/demo".into(),
        origin: "http://example.com".into(),
        protocol: None,
        secure: false,
    };
    let mut handshake =
        ClientHandshake::new(config, ClientKeys::random(), Limits::default()).unwrap();
    stream.write_all(&handshake.request()).await.unwrap();
    let rest = read_until(&mut stream, |bytes| {
        let mut input = bytes;
        match handshake.feed(&mut input).unwrap() {
            hixie76::Progress::Complete(_) => Some(input.to_vec()),
            hixie76::Progress::NeedMore(_) => None,
        }
    })
    .await;
    assert!(rest.is_empty());
    let mut conn = Hixie76Connection::new(Limits::default());
    conn.send_text("hello, draft 76").unwrap();
    stream.write_all(&conn.data_to_send()).await.unwrap();
    let echoed = read_until(&mut stream, |bytes| {
        conn.receive_data(bytes).unwrap();
        conn.next_event()
    })
    .await;
    assert_eq!(echoed, hixie76::Event::Text("hello, draft 76".into()));
}
