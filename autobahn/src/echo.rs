//! The reference echo server: every text and binary message comes back unchanged.
//!
//! Tested by `wstest -m fuzzingclient`; `wsspec echo` runs the same code. Many
//! connections at once (one task each), permessage-deflate accepted by default, and
//! hixie-76 clients answered on the same port, chosen by the request headers.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;
use wsspec_codec::connection::{Config, Connection};
use wsspec_codec::deflate::{negotiate_server, ServerDeflatePolicy};
use wsspec_codec::frame::Role;
use wsspec_codec::handshake::{self, HandshakeError, HeadBuffer, Request, RequestHead};
use wsspec_codec::Limits;

use crate::io::{drive, Timeouts};

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
    /// Wait limits per connection.
    pub timeouts: Timeouts,
    /// Value of the `Server` header (Autobahn names the agent after it).
    pub server_name: String,
}

impl Default for EchoOptions {
    fn default() -> Self {
        EchoOptions {
            deflate: true,
            deflate_level: 1,
            limits: Limits::default(),
            timeouts: Timeouts::default(),
            server_name: format!("wsspec-echo/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// Accepts connections on `listener` forever, serving each on its own task.
pub async fn serve(listener: TcpListener, options: EchoOptions) -> io::Result<()> {
    let options = Arc::new(options);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Running out of file descriptors must not end the server.
            Err(e) if is_transient_accept_error(&e) => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
            Err(e) => return Err(e),
        };
        let options = Arc::clone(&options);
        tokio::spawn(async move {
            if let Err(e) = serve_connection(stream, &options).await {
                eprintln!("echo: {peer}: {e}");
            }
        });
    }
}

fn is_transient_accept_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    ) || e.raw_os_error() == Some(24) // EMFILE
}

/// Reads the request head, answers the handshake and echoes until the connection ends.
pub async fn serve_connection(mut stream: TcpStream, options: &EchoOptions) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let (head, rest) = match read_head(&mut stream, options).await? {
        Ok(parts) => parts,
        Err(err) => {
            stream.write_all(&handshake::reject_response(&err)).await?;
            let _ = stream.shutdown().await;
            return Ok(());
        }
    };
    if handshake::is_hixie76_request(&head) {
        return crate::hixie::serve_hixie76(stream, head, rest, options).await;
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
    let config = Config {
        limits: options.limits,
        deflate: agreed.map(|(config, _)| config),
        deflate_level: Some(options.deflate_level),
    };
    let mut conn = Connection::new(Role::Server, config);
    drive(
        &mut stream,
        &mut conn,
        &rest,
        options.timeouts,
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
async fn read_head(
    stream: &mut TcpStream,
    options: &EchoOptions,
) -> io::Result<Result<(RequestHead, Vec<u8>), HandshakeError>> {
    let mut buffer = HeadBuffer::new(&options.limits);
    let mut chunk = [0u8; 4096];
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
