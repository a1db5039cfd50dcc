//! The echo server as deployed software: `wss://` with a certificate made at test time,
//! keepalive pings and the idle timeout (on tokio's paused clock, over in-memory
//! streams), graceful shutdown through the same watch channel the signal handler
//! uses, and the connection limit's `503`.

#[path = "support/certs.rs"]
mod certs;

use std::net::SocketAddr;
use std::time::Duration;

use certs::TestPki;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{timeout, Instant};
use wsspec_autobahn::echo::{serve, serve_until, EchoOptions, Stopped};
use wsspec_autobahn::io::{drive_until, Ended, Timeouts, IDLE_REASON, SHUTDOWN_REASON};
use wsspec_autobahn::tls::{ClientTrust, TlsClient, TlsServer};
use wsspec_codec::connection::{Config, Connection, Event};
use wsspec_codec::handshake::{ClientRequest, ResponseParser};
use wsspec_codec::message::Message;
use wsspec_codec::{CloseCode, Limits, Role};

/// Guard on every real-socket wait: far beyond what any step needs.
const WAIT: Duration = Duration::from_secs(20);

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

async fn start(options: EchoOptions) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, options));
    addr
}

fn tls_options(pki: &TestPki) -> EchoOptions {
    EchoOptions {
        tls: Some(TlsServer::from_pem_files(&pki.cert, &pki.key).unwrap()),
        ..EchoOptions::default()
    }
}

fn trusting(pki: &TestPki) -> TlsClient {
    TlsClient::new(&ClientTrust {
        extra_roots: vec![pki.ca.clone()],
        insecure: false,
    })
    .unwrap()
}

/// The opening handshake as a client; returns the connection with any bytes that
/// followed the answer already fed.
async fn open<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S, host: &str) -> Connection {
    let request = ClientRequest::new(host.to_owned(), "/");
    stream.write_all(&request.to_bytes()).await.unwrap();
    let mut parser = ResponseParser::new(&request, &Limits::default());
    let mut buf = [0u8; 4096];
    let rest = loop {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "the server closed during the handshake");
        if let Some((_, rest)) = parser.feed(&buf[..n]).unwrap() {
            break rest;
        }
    };
    let mut conn = Connection::new(Role::Client, Config::default());
    conn.receive_data(&rest);
    conn
}

/// The next event, reading as needed; writes what the connection queued (pongs,
/// close replies) first when `answer`, never otherwise.
async fn next_event<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    conn: &mut Connection,
    answer: bool,
) -> Event {
    let mut buf = [0u8; 4096];
    loop {
        if let Some(event) = conn.next_event() {
            return event;
        }
        if answer && conn.has_data_to_send() {
            let _ = stream.write_all(&conn.data_to_send()).await;
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => conn.receive_eof(),
            Ok(n) => conn.receive_data(&buf[..n]),
        }
    }
}

async fn round_trip<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    conn: &mut Connection,
    message: Message,
) -> Message {
    conn.send_message(&message).unwrap();
    stream.write_all(&conn.data_to_send()).await.unwrap();
    loop {
        match timeout(WAIT, next_event(stream, conn, true)).await.unwrap() {
            Event::Message(m) => return m,
            Event::Ping(_) | Event::Pong(_) => {}
            other => panic!("expected the echo, got {other:?}"),
        }
    }
}

// ------------------------------------------------------------------ wss://

#[tokio::test]
async fn wss_echoes_when_the_test_ca_is_trusted() {
    let pki = TestPki::new();
    let addr = start(tls_options(&pki)).await;
    for host in ["127.0.0.1", "localhost"] {
        let tcp = TcpStream::connect(addr).await.unwrap();
        let mut tls = trusting(&pki).connect(host, tcp).await.unwrap();
        let mut conn = open(&mut tls, &addr.to_string()).await;
        let text = Message::Text("über TLS ".repeat(5000));
        assert_eq!(round_trip(&mut tls, &mut conn, text.clone()).await, text);
    }
}

#[tokio::test]
async fn an_untrusted_certificate_is_one_clear_tls_error() {
    let pki = TestPki::new();
    let addr = start(tls_options(&pki)).await;
    let tcp = TcpStream::connect(addr).await.unwrap();
    let webpki_only = TlsClient::new(&ClientTrust::default()).unwrap();
    let error = webpki_only.connect("127.0.0.1", tcp).await.unwrap_err();
    assert!(
        error.starts_with("TLS: certificate not trusted for 127.0.0.1: unknown issuer"),
        "{error}"
    );
    assert!(!error.contains('\n'), "{error}");
}

#[tokio::test]
async fn insecure_accepts_an_untrusted_certificate() {
    let pki = TestPki::new();
    let addr = start(tls_options(&pki)).await;
    let tcp = TcpStream::connect(addr).await.unwrap();
    let insecure = TlsClient::new(&ClientTrust {
        extra_roots: Vec::new(),
        insecure: true,
    })
    .unwrap();
    let mut tls = insecure.connect("127.0.0.1", tcp).await.unwrap();
    let mut conn = open(&mut tls, &addr.to_string()).await;
    let binary = Message::Binary(vec![7; 100_000]);
    assert_eq!(
        round_trip(&mut tls, &mut conn, binary.clone()).await,
        binary
    );
}

#[tokio::test]
async fn a_certificate_for_other_names_is_refused_naming_the_host() {
    let pki = TestPki::for_names(&["other.example"]);
    let addr = start(tls_options(&pki)).await;
    let tcp = TcpStream::connect(addr).await.unwrap();
    let error = trusting(&pki).connect("127.0.0.1", tcp).await.unwrap_err();
    assert!(
        error.starts_with("TLS: certificate not valid for 127.0.0.1: "),
        "{error}"
    );
}

#[tokio::test]
async fn a_plain_server_on_a_tls_connection_is_named_as_such() {
    let pki = TestPki::new();
    // The plain server waits for an HTTP head that never comes, then hangs up.
    let addr = start(EchoOptions {
        timeouts: Timeouts {
            handshake: secs(1),
            ..Timeouts::default()
        },
        ..EchoOptions::default()
    })
    .await;
    let tcp = TcpStream::connect(addr).await.unwrap();
    let error = timeout(WAIT, trusting(&pki).connect("127.0.0.1", tcp))
        .await
        .unwrap()
        .unwrap_err();
    assert!(error.starts_with("TLS: "), "{error}");
    assert!(
        error.contains("did not answer with TLS") || error.contains("closed the connection"),
        "{error}"
    );
}

#[test]
fn a_key_that_is_not_pem_is_refused_naming_the_file() {
    let pki = TestPki::new();
    let error = TlsServer::from_pem_files(&pki.cert, &pki.ca).unwrap_err();
    assert!(error.to_string().contains("ca.pem"), "{error}");
    let error = TlsClient::new(&ClientTrust {
        extra_roots: vec![pki.key.clone()],
        insecure: false,
    })
    .unwrap_err();
    assert!(
        error.to_string().contains("holds no PEM certificate"),
        "{error}"
    );
}

// ------------------------------------------------------------------ keepalive

/// An echoing server connection over an in-memory stream, on the paused clock.
fn server_over_duplex(
    timeouts: Timeouts,
    shutdown: Option<watch::Receiver<bool>>,
) -> (tokio::io::DuplexStream, JoinHandle<Ended>) {
    let (client, mut server) = tokio::io::duplex(64 * 1024);
    let task = tokio::spawn(async move {
        let mut conn = Connection::new(Role::Server, Config::default());
        drive_until(&mut server, &mut conn, &[], timeouts, shutdown, |c, m| {
            let _ = c.send_message(&m);
        })
        .await
        .unwrap()
    });
    (client, task)
}

fn keepalive(ping: u64, idle: u64) -> Timeouts {
    Timeouts {
        ping_interval: Some(secs(ping)),
        idle: Some(secs(idle)),
        ..Timeouts::default()
    }
}

#[tokio::test(start_paused = true)]
async fn a_ping_goes_out_when_the_connection_opens_and_then_every_interval() {
    let start = Instant::now();
    let (mut stream, _server) = server_over_duplex(keepalive(30, 75), None);
    let mut conn = Connection::new(Role::Client, Config::default());
    for n in 0..4 {
        let event = next_event(&mut stream, &mut conn, true).await;
        assert_eq!(event, Event::Ping(Vec::new()));
        assert_eq!(start.elapsed(), secs(30 * n), "ping {n}");
    }
}

#[tokio::test(start_paused = true)]
async fn answered_pings_keep_an_otherwise_silent_connection_open() {
    let start = Instant::now();
    let (mut stream, server) = server_over_duplex(keepalive(30, 75), None);
    let mut conn = Connection::new(Role::Client, Config::default());
    // Ten minutes of nothing but pings and the client's automatic pongs.
    while start.elapsed() < secs(600) {
        let event = next_event(&mut stream, &mut conn, true).await;
        assert_eq!(event, Event::Ping(Vec::new()), "at {:?}", start.elapsed());
    }
    assert!(!server.is_finished());
    let echoed = round_trip(&mut stream, &mut conn, Message::Text("still here".into())).await;
    assert_eq!(echoed, Message::Text("still here".into()));
}

#[tokio::test(start_paused = true)]
async fn a_silent_peer_is_closed_with_1001_at_the_idle_timeout_then_dropped() {
    let start = Instant::now();
    let timeouts = keepalive(30, 75);
    let (mut stream, server) = server_over_duplex(timeouts, None);
    let mut conn = Connection::new(Role::Client, Config::default());
    // The client reads but never answers: no pong, no data.
    let close = loop {
        match next_event(&mut stream, &mut conn, false).await {
            Event::Ping(_) => continue,
            Event::Close(close) => break close,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(start.elapsed(), secs(75));
    assert_eq!(close.code, Some(CloseCode::GOING_AWAY));
    assert_eq!(close.reason, IDLE_REASON);
    // The close is not answered either: the server drops the transport after the
    // close timeout. (The client's own reply sits queued, unsent.)
    let event = next_event(&mut stream, &mut conn, false).await;
    assert!(matches!(event, Event::Eof { .. }), "{event:?}");
    assert_eq!(start.elapsed(), secs(75) + timeouts.close);
    let ended = server.await.unwrap();
    assert_eq!(
        ended,
        Ended {
            clean: false,
            timed_out: true
        }
    );
}

#[tokio::test(start_paused = true)]
async fn an_answered_idle_close_ends_cleanly() {
    let start = Instant::now();
    let timeouts = Timeouts {
        ping_interval: None,
        idle: Some(secs(10)),
        ..Timeouts::default()
    };
    let (mut stream, server) = server_over_duplex(timeouts, None);
    let mut conn = Connection::new(Role::Client, Config::default());
    let event = next_event(&mut stream, &mut conn, true).await;
    assert!(matches!(event, Event::Close(ref c) if c.code == Some(CloseCode::GOING_AWAY)));
    assert_eq!(start.elapsed(), secs(10));
    stream.write_all(&conn.data_to_send()).await.unwrap();
    assert_eq!(
        next_event(&mut stream, &mut conn, true).await,
        Event::Eof { clean: true }
    );
    assert!(server.await.unwrap().clean);
}

#[tokio::test(start_paused = true)]
async fn without_keepalive_nothing_is_sent_and_nothing_times_out_before_the_idle_limit() {
    let start = Instant::now();
    // The Autobahn testees' clocks: no pings, 1200 s idle.
    let timeouts = Timeouts::default();
    assert_eq!(timeouts.ping_interval, None);
    let (mut stream, _server) = server_over_duplex(timeouts, None);
    let mut conn = Connection::new(Role::Client, Config::default());
    let event = next_event(&mut stream, &mut conn, true).await;
    assert!(matches!(event, Event::Close(ref c) if c.reason == IDLE_REASON));
    assert_eq!(start.elapsed(), secs(1200));
}

#[tokio::test(start_paused = true)]
async fn the_shutdown_signal_closes_an_open_connection_with_1001() {
    let (stop, shutdown) = watch::channel(false);
    let (mut stream, server) = server_over_duplex(Timeouts::default(), Some(shutdown));
    let mut conn = Connection::new(Role::Client, Config::default());
    let echoed = round_trip(&mut stream, &mut conn, Message::Binary(vec![1, 2, 3])).await;
    assert_eq!(echoed, Message::Binary(vec![1, 2, 3]));
    stop.send(true).unwrap();
    let event = next_event(&mut stream, &mut conn, true).await;
    let Event::Close(close) = event else {
        panic!("expected a close, got {event:?}")
    };
    assert_eq!(close.code, Some(CloseCode::GOING_AWAY));
    assert_eq!(close.reason, SHUTDOWN_REASON);
    stream.write_all(&conn.data_to_send()).await.unwrap();
    assert_eq!(
        next_event(&mut stream, &mut conn, true).await,
        Event::Eof { clean: true }
    );
    assert!(server.await.unwrap().clean);
}

// ------------------------------------------------------------------ shutdown

#[tokio::test]
async fn shutdown_stops_accepting_sends_1001_everywhere_and_returns() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, shutdown) = watch::channel(false);
    let server = tokio::spawn(serve_until(listener, EchoOptions::default(), shutdown));
    let mut clients = Vec::new();
    for i in 0..3u8 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let mut conn = open(&mut stream, &addr.to_string()).await;
        let m = Message::Binary(vec![i; 10]);
        assert_eq!(round_trip(&mut stream, &mut conn, m.clone()).await, m);
        clients.push((stream, conn));
    }
    stop.send(true).unwrap();
    for (stream, conn) in &mut clients {
        let event = timeout(WAIT, next_event(stream, conn, true)).await.unwrap();
        let Event::Close(close) = event else {
            panic!("expected a close, got {event:?}")
        };
        assert_eq!(close.code, Some(CloseCode::GOING_AWAY));
        assert_eq!(close.reason, SHUTDOWN_REASON);
        stream.write_all(&conn.data_to_send()).await.unwrap();
        let end = timeout(WAIT, next_event(stream, conn, true)).await.unwrap();
        assert_eq!(end, Event::Eof { clean: true });
    }
    let stopped = timeout(WAIT, server).await.unwrap().unwrap().unwrap();
    assert_eq!(
        stopped,
        Stopped {
            open: 3,
            abandoned: 0
        }
    );
    // The listener is gone: nothing accepts any more.
    assert!(TcpStream::connect(addr).await.is_err());
}

// ------------------------------------------------------------------ limits

/// Sends an opening handshake and reads the whole answer until the server closes.
async fn http_answer(addr: SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = ClientRequest::new(addr.to_string(), "/");
    stream.write_all(&request.to_bytes()).await.unwrap();
    let mut reply = Vec::new();
    timeout(WAIT, stream.read_to_end(&mut reply))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&reply).into_owned()
}

#[tokio::test]
async fn connections_over_the_limit_get_503_before_the_upgrade() {
    let addr = start(EchoOptions {
        max_connections: Some(2),
        ..EchoOptions::default()
    })
    .await;
    let mut open_ones = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let conn = open(&mut stream, &addr.to_string()).await;
        open_ones.push((stream, conn));
    }
    let reply = http_answer(addr).await;
    assert!(
        reply.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{reply}"
    );
    assert!(reply.contains("\r\nConnection: close\r\n"), "{reply}");
    assert!(!reply.contains("Sec-WebSocket-Accept"), "{reply}");
    assert!(reply.ends_with("try again later\n"), "{reply}");

    // Once one closes, a new connection is served again.
    let (mut stream, mut conn) = open_ones.pop().unwrap();
    conn.close(Some(CloseCode::NORMAL), "");
    stream.write_all(&conn.data_to_send()).await.unwrap();
    let end = timeout(WAIT, async {
        loop {
            if let Event::Eof { clean } = next_event(&mut stream, &mut conn, true).await {
                return clean;
            }
        }
    })
    .await
    .unwrap();
    assert!(end);
    let served = timeout(WAIT, async {
        loop {
            let reply = http_answer_head(addr).await;
            if reply.starts_with("HTTP/1.1 101") {
                return reply;
            }
            // The server reaps the closed connection's task when it next accepts.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("a slot frees up once a connection closes");
    assert!(served.contains("Sec-WebSocket-Accept"));
}

/// The head of the answer to an opening handshake.
async fn http_answer_head(addr: SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = ClientRequest::new(addr.to_string(), "/");
    stream.write_all(&request.to_bytes()).await.unwrap();
    let mut reply = Vec::new();
    let mut buf = [0u8; 1024];
    while !reply.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => reply.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&reply).into_owned()
}

#[tokio::test]
async fn over_tls_the_503_comes_inside_the_tls_session() {
    let pki = TestPki::new();
    let addr = start(EchoOptions {
        max_connections: Some(1),
        ..tls_options(&pki)
    })
    .await;
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut first = trusting(&pki).connect("localhost", tcp).await.unwrap();
    let _conn = open(&mut first, &addr.to_string()).await;
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut second = trusting(&pki).connect("localhost", tcp).await.unwrap();
    let request = ClientRequest::new(addr.to_string(), "/");
    second.write_all(&request.to_bytes()).await.unwrap();
    let mut reply = Vec::new();
    let _ = timeout(WAIT, second.read_to_end(&mut reply)).await.unwrap();
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 503 "), "{reply}");
}

// ------------------------------------------------------------------ testee client

/// A one-connection-at-a-time TLS stand-in for a fuzzing server's `/getCaseCount`:
/// answers the handshake, sends the count as a text message and closes.
async fn tls_case_count_server(pki: &TestPki, count: &str) -> SocketAddr {
    use wsspec_codec::handshake::{accept_response, RequestParser};
    let tls = TlsServer::from_pem_files(&pki.cert, &pki.key).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = count.to_owned();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let Ok(mut stream) = tls.accept(tcp).await else {
                continue;
            };
            let mut parser = RequestParser::new(&Limits::default());
            let mut buf = [0u8; 4096];
            let request = loop {
                let n = stream.read(&mut buf).await.unwrap();
                if let Some((request, _)) = parser.feed(&buf[..n]).unwrap() {
                    break request;
                }
            };
            assert_eq!(request.path, "/getCaseCount");
            stream
                .write_all(&accept_response(&request, None, None, &[]))
                .await
                .unwrap();
            let mut conn = Connection::new(Role::Server, Config::default());
            conn.send_text(&count).unwrap();
            conn.close(Some(CloseCode::NORMAL), "");
            stream.write_all(&conn.data_to_send()).await.unwrap();
            let _ = stream.shutdown().await;
        }
    });
    addr
}

fn client_options(addr: SocketAddr, tls: TlsClient) -> wsspec_autobahn::client::ClientOptions {
    use wsspec_autobahn::client::{ClientOptions, WsUrl};
    ClientOptions {
        url: WsUrl::parse(&format!("wss://127.0.0.1:{}", addr.port())).unwrap(),
        agent: "testee".into(),
        deflate: false,
        limits: Limits::default(),
        timeouts: Timeouts::default(),
        connect_timeout: secs(5),
        tls: Some(tls),
    }
}

#[tokio::test]
async fn the_testee_client_reaches_a_wss_fuzzing_server() {
    let pki = TestPki::new();
    let addr = tls_case_count_server(&pki, "517").await;
    let options = client_options(addr, trusting(&pki));
    let count = timeout(WAIT, wsspec_autobahn::client::case_count(&options))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(count, 517);

    let untrusted = client_options(addr, TlsClient::new(&ClientTrust::default()).unwrap());
    let error = timeout(WAIT, wsspec_autobahn::client::case_count(&untrusted))
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        format!("{error:#}").starts_with("TLS: certificate not trusted for 127.0.0.1"),
        "{error:#}"
    );
}
