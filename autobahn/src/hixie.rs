//! The echo server's hixie-76 side: a draft-76 client on the same port is answered
//! with the MD5 challenge handshake and gets its text frames echoed.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio::time::{sleep_until, timeout, Instant};
use wsspec_codec::handshake::RequestHead;
use wsspec_codec::hixie76::{AcceptOptions, Event, Hixie76Connection, Progress, ServerHandshake};

use crate::echo::EchoOptions;
use crate::io::shutdown_requested;

/// Completes a hixie-76 handshake whose head was already read (`rest` is what followed
/// it: key3 and maybe frames), then echoes text until either side closes, or until
/// `shutdown` turns `true`: then it sends the draft's close frame (0xFF 0x00).
pub(crate) async fn serve_hixie76<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    head: RequestHead,
    rest: Vec<u8>,
    options: &EchoOptions,
    mut shutdown: Option<watch::Receiver<bool>>,
) -> io::Result<()> {
    let mut handshake = ServerHandshake::new(options.limits);
    let mut pending = head.raw;
    pending.extend_from_slice(&rest);
    let mut buf = vec![0u8; 64 * 1024];
    // Feed what we have; read more only while key3 is still missing.
    let (request, after) = loop {
        let mut input = pending.as_slice();
        match handshake.feed(&mut input) {
            Ok(Progress::Complete(req)) => break (req, input.to_vec()),
            Ok(Progress::NeedMore(_)) => {
                pending = Vec::new();
                let n = match timeout(options.timeouts.handshake, stream.read(&mut buf)).await {
                    Ok(r) => r?,
                    Err(_) => {
                        return Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "hixie-76 key3 did not arrive in time",
                        ))
                    }
                };
                if n == 0 {
                    return Ok(());
                }
                pending.extend_from_slice(&buf[..n]);
            }
            Err(e) => {
                let body = format!("{e}\n");
                let reply = format!(
                    "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                stream.write_all(reply.as_bytes()).await?;
                return Ok(());
            }
        }
    };
    stream
        .write_all(&request.response(AcceptOptions {
            secure: options.tls.is_some(),
            accept_protocol: true,
        }))
        .await?;
    let mut conn = Hixie76Connection::new(options.limits);
    let mut input = after;
    loop {
        if !input.is_empty() {
            if let Err(e) = conn.receive_data(&input) {
                // A framing error fails the connection: the draft has no error frame.
                eprintln!("echo: hixie-76 peer broke the framing: {e}");
                break;
            }
            while let Some(event) = conn.next_event() {
                if let Event::Text(text) = event {
                    let _ = conn.send_text(&text);
                }
            }
            let out = conn.data_to_send();
            if !out.is_empty() {
                stream.write_all(&out).await?;
            }
            if conn.is_closed() {
                break;
            }
        }
        let wait = if conn.close_sent() {
            Some(options.timeouts.close)
        } else {
            options.timeouts.idle
        };
        let deadline = wait.map(|w| Instant::now() + w);
        let n = tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(n) => n,
                Err(_) => break,
            },
            () = async {
                match deadline {
                    Some(at) => sleep_until(at).await,
                    None => std::future::pending().await,
                }
            } => break,
            () = shutdown_requested(&mut shutdown), if !conn.close_sent() => {
                shutdown = None;
                conn.close();
                stream.write_all(&conn.data_to_send()).await?;
                input.clear();
                continue;
            }
        };
        if n == 0 {
            break;
        }
        input = buf[..n].to_vec();
    }
    let _ = stream.shutdown().await;
    Ok(())
}
