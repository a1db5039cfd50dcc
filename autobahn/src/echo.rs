//! The reference echo server: every text and binary message comes back unchanged.
//!
//! Tested by `wstest -m fuzzingclient`; `wsspec echo` runs the same code. Many
//! connections at once (one task each), permessage-deflate accepted by default, and
//! hixie-76 clients answered on the same port, chosen by the request headers.
//!
//! For deployment: `wss://` with a PEM certificate ([`EchoOptions::tls`]), keepalive
//! pings and an idle timeout ([`Timeouts`]), a connection limit answered with `503`
//! before the upgrade, and a graceful shutdown ([`serve_until`]) that sends every open
//! connection 1001 and waits a grace period. The defaults are the Autobahn testee's:
//! no TLS, no pings, no limit.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::timeout;
use wsspec_codec::connection::{Config, Connection};
use wsspec_codec::deflate::{negotiate_server, ServerDeflatePolicy};
use wsspec_codec::frame::Role;
use wsspec_codec::handshake::{self, HandshakeError, HeadBuffer, Request, RequestHead};
use wsspec_codec::Limits;

use crate::io::{drive_until, shutdown_requested, Timeouts};
use crate::tls::TlsServer;

/// How the echo server behaves.
#[derive(Debug, Clone)]
pub struct EchoOptions {
    /// Accept permessage-deflate offers.
    pub deflate: bool,
    /// zlib level of the echoed messages when deflate is agreed (0–9). The default, 1,
    /// is zlib's fastest: an echo server is judged on what it returns, not on the
    /// ratio, and at level 6 compression was more than half the CPU time of a full
    /// conformance run against it.
    pub deflate_level: u32,
    /// Size limits per connection.
    pub limits: Limits,
    /// Wait limits and keepalive per connection.
    pub timeouts: Timeouts,
    /// Value of the `Server` header (Autobahn names the agent after it).
    pub server_name: String,
    /// Serve `wss://` with this certificate instead of `ws://`.
    pub tls: Option<TlsServer>,
    /// Connections served at once; more get `503 Service Unavailable` before the
    /// upgrade. `None`: no limit.
    pub max_connections: Option<usize>,
    /// On shutdown, how long open connections get to finish their closing handshake
    /// before they are dropped.
    pub grace: Duration,
}

impl Default for EchoOptions {
    fn default() -> Self {
        EchoOptions {
            deflate: true,
            deflate_level: 1,
            limits: Limits::default(),
            timeouts: Timeouts::default(),
            server_name: format!("wsspec-echo/{}", env!("CARGO_PKG_VERSION")),
            tls: None,
            max_connections: None,
            grace: Duration::from_secs(5),
        }
    }
}

/// What a shutdown found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// Connections open when the shutdown began (each was sent 1001).
    pub open: usize,
    /// Of those, the ones still open when the grace period ran out (dropped).
    pub abandoned: usize,
}

/// Rejections (`503`) being written at once; past this, excess connections are
/// dropped without an answer, so a connection flood cannot grow the server.
const MAX_REJECTIONS_IN_FLIGHT: usize = 64;

/// Accepts connections on `listener` forever, serving each on its own task.
pub async fn serve(listener: TcpListener, options: EchoOptions) -> io::Result<()> {
    let (_never, shutdown) = watch::channel(false);
    serve_until(listener, options, shutdown).await.map(|_| ())
}

/// Accepts connections on `listener`, each served on its own task, until `shutdown`
/// turns `true` (the CLI sends it on SIGINT/SIGTERM). Then it stops accepting, closes
/// every open connection with 1001 "going away" (RFC 6455 §7.4.1), waits up to
/// [`EchoOptions::grace`] for their closing handshakes, drops what is left and
/// returns.
pub async fn serve_until(
    listener: TcpListener,
    options: EchoOptions,
    shutdown: watch::Receiver<bool>,
) -> io::Result<Stopped> {
    let options = Arc::new(options);
    let mut connections = JoinSet::new();
    let mut rejections = JoinSet::new();
    let mut signal = Some(shutdown.clone());
    loop {
        while connections.try_join_next().is_some() {}
        while rejections.try_join_next().is_some() {}
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown_requested(&mut signal) => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            // Running out of file descriptors must not end the server.
            Err(e) if is_transient_accept_error(&e) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            Err(e) => return Err(e),
        };
        let _ = stream.set_nodelay(true);
        if options
            .max_connections
            .is_some_and(|max| connections.len() >= max)
        {
            if rejections.len() < MAX_REJECTIONS_IN_FLIGHT {
                rejections.spawn(reject_busy(stream, Arc::clone(&options)));
            }
            continue;
        }
        let options = Arc::clone(&options);
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            if let Err(e) = accept_connection(stream, &options, Some(shutdown)).await {
                eprintln!("echo: {peer}: {e}");
            }
        });
    }
    drop(listener);
    rejections.abort_all();
    while connections.try_join_next().is_some() {}
    let open = connections.len();
    let _ = timeout(options.grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    let abandoned = connections.len();
    connections.shutdown().await;
    Ok(Stopped { open, abandoned })
}

fn is_transient_accept_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    ) || e.raw_os_error() == Some(24) // EMFILE
}

/// The TLS handshake when the server has a certificate, within the handshake timeout.
async fn accept_connection(
    stream: TcpStream,
    options: &EchoOptions,
    shutdown: Option<watch::Receiver<bool>>,
) -> io::Result<()> {
    match &options.tls {
        None => serve_connection(stream, options, shutdown).await,
        Some(tls) => {
            let stream = match timeout(options.timeouts.handshake, tls.accept(stream)).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(e)) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("TLS handshake failed: {e}"),
                    ))
                }
                Err(_) => {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "TLS handshake did not complete in time",
                    ))
                }
            };
            serve_connection(stream, options, shutdown).await
        }
    }
}

/// Answers a connection over the limit with `503 Service Unavailable` and
/// `Connection: close`, after its request head (so the answer is not lost to a reset
/// over unread data), all within the handshake timeout.
async fn reject_busy(stream: TcpStream, options: Arc<EchoOptions>) {
    let within = options.timeouts.handshake;
    let _ = timeout(within, async {
        match &options.tls {
            None => write_busy(stream, &options).await,
            Some(tls) => {
                if let Ok(stream) = tls.accept(stream).await {
                    write_busy(stream, &options).await;
                }
            }
        }
    })
    .await;
}

async fn write_busy<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, options: &EchoOptions) {
    let _ = read_head(&mut stream, options).await;
    let _ = stream.write_all(&busy_response(options)).await;
    let _ = stream.shutdown().await;
    let mut sink = [0u8; 1024];
    while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
}

/// The `503` a connection over `--max-connections` gets instead of the upgrade.
pub fn busy_response(options: &EchoOptions) -> Vec<u8> {
    let body = format!(
        "too many connections: this server serves at most {} at once; try again later\n",
        options.max_connections.unwrap_or(0)
    );
    format!(
        "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\n\
         Server: {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
        options.server_name,
        body.len()
    )
    .into_bytes()
}

/// Reads the request head, answers the handshake and echoes until the connection
/// ends (or `shutdown` turns `true`: then it closes with 1001). `stream` is a TCP
/// stream, or the TLS stream over one when `options.tls` is set.
pub async fn serve_connection<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    options: &EchoOptions,
    shutdown: Option<watch::Receiver<bool>>,
) -> io::Result<()> {
    let (head, rest) = match read_head(&mut stream, options).await? {
        Ok(parts) => parts,
        Err(err) => {
            stream.write_all(&handshake::reject_response(&err)).await?;
            let _ = stream.shutdown().await;
            return Ok(());
        }
    };
    if handshake::is_hixie76_request(&head) {
        return crate::hixie::serve_hixie76(stream, head, rest, options, shutdown).await;
    }
    let request = match Request::from_head(head) {
        Ok(r) => r,
        Err(err) => {
            stream.write_all(&handshake::reject_response(&err)).await?;
            let _ = stream.shutdown().await;
            return Ok(());
        }
    };
    let agreed = if options.deflate {
        negotiate_server(&request.extensions, &ServerDeflatePolicy::default())
    } else {
        None
    };
    let extensions = agreed.as_ref().map(|(_, offer)| offer.to_string());
    let response = handshake::accept_response(
        &request,
        None,
        extensions.as_deref(),
        &[("Server", &options.server_name)],
    );
    stream.write_all(&response).await?;
    // What an idle connection keeps is what its task holds: not the handshake.
    drop((request, response, extensions));
    let config = Config {
        limits: options.limits,
        deflate: agreed.map(|(config, _)| config),
        deflate_level: Some(options.deflate_level),
    };
    let mut conn = Connection::new(Role::Server, config);
    drive_until(
        &mut stream,
        &mut conn,
        &rest,
        options.timeouts,
        shutdown,
        |conn, message| {
            // The connection refuses sends only after a close frame; then there is no one
            // to echo to.
            let _ = conn.send_message(&message);
        },
    )
    .await?;
    Ok(())
}

/// Reads until a whole request head has arrived, within the handshake timeout and the
/// head size limit. Returns the head and the bytes that followed it.
async fn read_head<S: AsyncRead + Unpin>(
    stream: &mut S,
    options: &EchoOptions,
) -> io::Result<Result<(RequestHead, Vec<u8>), HandshakeError>> {
    let mut buffer = HeadBuffer::new(&options.limits);
    // On the heap, not in the future: an array here would stay part of every
    // connection's task for its whole life.
    let mut chunk = vec![0u8; 4096];
    let read_all = async {
        loop {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "connection closed before the handshake completed",
                ));
            }
            match buffer.push(&chunk[..n]) {
                Ok(None) => continue,
                Ok(Some(len)) => {
                    let mut head = buffer.take();
                    let rest = head.split_off(len);
                    return Ok(RequestHead::parse(&head).map(|h| (h, rest)));
                }
                Err(e) => return Ok(Err(e)),
            }
        }
    };
    match timeout(options.timeouts.handshake, read_all).await {
        Ok(result) => result,
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "handshake did not complete in time",
        )),
    }
}

/// Binds `addr` and serves; returns the bound address through `ready` first so callers
/// can use port 0.
pub async fn bind_and_serve(
    addr: SocketAddr,
    options: EchoOptions,
    ready: impl FnOnce(SocketAddr),
) -> io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    ready(listener.local_addr()?);
    serve(listener, options).await
}

/// [`bind_and_serve`] until `shutdown` turns `true` (see [`serve_until`]).
pub async fn bind_and_serve_until(
    addr: SocketAddr,
    options: EchoOptions,
    shutdown: watch::Receiver<bool>,
    ready: impl FnOnce(SocketAddr),
) -> io::Result<Stopped> {
    let listener = TcpListener::bind(addr).await?;
    ready(listener.local_addr()?);
    serve_until(listener, options, shutdown).await
}

/// Resolves on SIGINT or SIGTERM (on Unix; Ctrl-C elsewhere): what a server that
/// shuts down gracefully waits for.
pub async fn termination_signal() -> io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
