//! Runs a sans-I/O [`Connection`] over a tokio byte stream, with a timeout on every wait.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::timeout;
use wsspec_codec::connection::{Connection, Event, State};
use wsspec_codec::frame::Role;
use wsspec_codec::message::Message;

/// How long each kind of wait may last.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Handshake: the whole request or response head must arrive within this.
    pub handshake: Duration,
    /// An open connection on which nothing arrives for this long is closed (1001).
    pub idle: Duration,
    /// After our close frame (or the peer's), how long to wait for the rest of the
    /// closing handshake and the end of the transport.
    pub close: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            handshake: Duration::from_secs(10),
            // Autobahn's slowest cases wait up to 1000 s for one message; stay silent
            // longer than any of its budgets rather than cut a case short.
            idle: Duration::from_secs(1200),
            close: Duration::from_secs(2),
        }
    }
}

/// How a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    /// Both close frames were exchanged.
    pub clean: bool,
    /// A wait timed out.
    pub timed_out: bool,
}

/// Read buffer size: large enough that a 16 MiB message arrives in few reads.
const READ_CHUNK: usize = 256 * 1024;

/// Drives `conn` over `stream` until the connection ends. `initial` holds bytes that
/// arrived with the handshake. Every complete message is passed to `on_message`, which
/// may answer through the connection (the echo testees send it back).
pub async fn drive<S, F>(
    stream: &mut S,
    conn: &mut Connection,
    initial: &[u8],
    timeouts: Timeouts,
    mut on_message: F,
) -> io::Result<Ended>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnMut(&mut Connection, Message),
{
    let mut buf = vec![0u8; READ_CHUNK];
    let mut timed_out = false;
    if !initial.is_empty() {
        conn.receive_data(initial);
    }
    loop {
        while let Some(event) = conn.next_event() {
            if let Event::Message(m) = event {
                if conn.state() == State::Open {
                    on_message(conn, m);
                }
            }
        }
        if conn.has_data_to_send() {
            let out = conn.data_to_send();
            if let Err(e) = stream.write_all(&out).await {
                // The peer went away while we were writing: the connection is over.
                conn.receive_eof();
                return if is_disconnect(&e) {
                    Ok(ended(conn, timed_out))
                } else {
                    Err(e)
                };
            }
        }
        if conn.should_close_transport() {
            break;
        }
        let wait = if conn.state() == State::Open {
            timeouts.idle
        } else {
            timeouts.close
        };
        match timeout(wait, stream.read(&mut buf)).await {
            Ok(Ok(0)) => {
                conn.receive_eof();
                break;
            }
            Ok(Ok(n)) => conn.receive_data(&buf[..n]),
            Ok(Err(e)) if is_disconnect(&e) => {
                conn.receive_eof();
                break;
            }
            Ok(Err(e)) => return Err(e),
            Err(_) if conn.state() == State::Open => {
                timed_out = true;
                conn.close(
                    Some(wsspec_codec::CloseCode::GOING_AWAY),
                    "idle timeout: nothing received",
                );
            }
            Err(_) => {
                timed_out = true;
                break;
            }
        }
    }
    // The server closes the TCP connection first (RFC 6455 §7.1.1). Shut down our
    // side, then read until the peer closes too, so that unread data does not turn our
    // close into a reset that could destroy the close frame in flight.
    let _ = stream.shutdown().await;
    if conn.role() == Role::Server {
        let _ = timeout(timeouts.close, async {
            while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
        })
        .await;
    }
    Ok(ended(conn, timed_out))
}

fn ended(conn: &Connection, timed_out: bool) -> Ended {
    Ended {
        clean: conn.close_sent().is_some() && conn.close_received().is_some(),
        timed_out,
    }
}

fn is_disconnect(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
    )
}
