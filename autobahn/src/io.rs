//! Runs a sans-I/O [`Connection`] over a tokio byte stream, with a deadline on every
//! wait: keepalive pings, an idle timeout, the close timeout, and a shutdown signal
//! that closes the connection with 1001 "going away" (RFC 6455 §7.4.1).

use std::io;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio::time::{sleep_until, timeout, Instant};
use wsspec_codec::connection::{Connection, Event, State};
use wsspec_codec::message::Message;
use wsspec_codec::CloseCode;

/// How long each kind of wait may last.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Handshake: the whole request or response head (and the TLS handshake before
    /// it) must arrive within this.
    pub handshake: Duration,
    /// An open connection on which nothing arrives (no data, no ping, no pong) for
    /// this long is closed with 1001, and a peer that reads nothing of what we write
    /// for this long is dropped. `None`: wait forever.
    pub idle: Option<Duration>,
    /// After our close frame (or the peer's), how long to wait for the rest of the
    /// closing handshake and the end of the transport.
    pub close: Duration,
    /// Send a ping when the connection opens and then at this interval (RFC 6455
    /// §5.5.2: "a Ping frame … may serve either as a keepalive or as a means to verify
    /// that the remote endpoint is still responsive"). `None`: no pings.
    pub ping_interval: Option<Duration>,
}

impl Default for Timeouts {
    /// The Autobahn testees' clocks: no keepalive pings (they would change the
    /// suite's wire logs), and an idle timeout longer than any of wstest's budgets.
    fn default() -> Self {
        Timeouts {
            handshake: Duration::from_secs(10),
            // Autobahn's slowest cases wait up to 1000 s for one message; stay silent
            // longer than any of its budgets rather than cut a case short.
            idle: Some(Duration::from_secs(1200)),
            close: Duration::from_secs(2),
            ping_interval: None,
        }
    }
}

/// How a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    /// Both close frames were exchanged.
    pub clean: bool,
    /// A wait timed out (idle, close, or a write the peer never read).
    pub timed_out: bool,
}

/// The close reason sent when a connection is idle for too long.
pub const IDLE_REASON: &str = "idle timeout: nothing received";

/// The close reason sent to every open connection when the server shuts down.
pub const SHUTDOWN_REASON: &str = "server shutting down";

/// The first read buffer; it doubles up to [`MAX_READ_CHUNK`] while reads fill it, so
/// an idle connection costs little and a 16 MiB message still arrives in few reads.
const FIRST_READ_CHUNK: usize = 1024;
const MAX_READ_CHUNK: usize = 256 * 1024;

/// Drives `conn` over `stream` until the connection ends. `initial` holds bytes that
/// arrived with the handshake. Every complete message is passed to `on_message`, which
/// may answer through the connection (the echo testees send it back).
pub async fn drive<S, F>(
    stream: &mut S,
    conn: &mut Connection,
    initial: &[u8],
    timeouts: Timeouts,
    on_message: F,
) -> io::Result<Ended>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnMut(&mut Connection, Message),
{
    drive_until(stream, conn, initial, timeouts, None, on_message).await
}

/// [`drive`], and when `shutdown` turns `true`, an open connection is closed with
/// 1001 [`SHUTDOWN_REASON`] and given the close timeout to answer.
pub async fn drive_until<S, F>(
    stream: &mut S,
    conn: &mut Connection,
    initial: &[u8],
    timeouts: Timeouts,
    mut shutdown: Option<watch::Receiver<bool>>,
    mut on_message: F,
) -> io::Result<Ended>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnMut(&mut Connection, Message),
{
    let mut buf = vec![0u8; FIRST_READ_CHUNK];
    let mut timed_out = false;
    let opened = Instant::now();
    let mut last_heard = opened;
    let mut next_ping = timeouts.ping_interval.map(|_| opened);
    let mut closing_since: Option<Instant> = None;
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
        let now = Instant::now();
        if conn.state() == State::Open {
            if let (Some(at), Some(interval)) = (next_ping, timeouts.ping_interval) {
                if at <= now {
                    let _ = conn.send_ping(&[]);
                    next_ping = Some(now + interval);
                }
            }
        } else if closing_since.is_none() {
            closing_since = Some(now);
        }
        if conn.has_data_to_send() {
            let out = conn.data_to_send();
            let write = stream.write_all(&out);
            let written = match timeouts.idle {
                Some(idle) => timeout(idle, write).await.unwrap_or_else(|_| {
                    timed_out = true;
                    Err(io::ErrorKind::TimedOut.into())
                }),
                None => write.await,
            };
            if let Err(e) = written {
                // The peer went away, or read nothing for the idle timeout, while we
                // were writing: the connection is over.
                conn.receive_eof();
                return if is_disconnect(&e) || e.kind() == io::ErrorKind::TimedOut {
                    Ok(ended(conn, timed_out))
                } else {
                    Err(e)
                };
            }
        }
        if conn.should_close_transport() {
            break;
        }
        let deadline = match closing_since {
            Some(since) => since + timeouts.close,
            None => {
                let idle_at = timeouts.idle.map(|idle| last_heard + idle);
                [idle_at, next_ping]
                    .into_iter()
                    .flatten()
                    .min()
                    .unwrap_or_else(far_future)
            }
        };
        let open = conn.state() == State::Open;
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) => {
                    conn.receive_eof();
                    break;
                }
                Ok(n) => {
                    last_heard = Instant::now();
                    conn.receive_data(&buf[..n]);
                    if n == buf.len() && buf.len() < MAX_READ_CHUNK {
                        buf.resize(buf.len() * 2, 0);
                    }
                }
                Err(e) if is_disconnect(&e) => {
                    conn.receive_eof();
                    break;
                }
                Err(e) => return Err(e),
            },
            () = sleep_until(deadline) => {
                if closing_since.is_some() {
                    timed_out = true;
                    break;
                }
                let idle_expired = timeouts
                    .idle
                    .is_some_and(|idle| Instant::now() >= last_heard + idle);
                if idle_expired {
                    timed_out = true;
                    conn.close(Some(CloseCode::GOING_AWAY), IDLE_REASON);
                }
                // Otherwise a ping is due: sent at the top of the loop.
            }
            () = shutdown_requested(&mut shutdown), if open => {
                shutdown = None;
                conn.close(Some(CloseCode::GOING_AWAY), SHUTDOWN_REASON);
            }
        }
    }
    // Shut down our side, then read until the peer closes too (within the close
    // timeout), so that unread data does not turn our close into a reset: a reset makes
    // the peer's kernel throw away what it received and its application has not read
    // yet — our close frame, or the echo we sent just before failing the connection
    // while the peer was still writing (a client failing Autobahn's 3.4 lost its echo
    // that way). The server closes first after a closing handshake (RFC 6455 §7.1.1);
    // a client gets here once the server has closed, or after failing the connection.
    let _ = timeout(timeouts.close, stream.shutdown()).await;
    let _ = timeout(timeouts.close, async {
        while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
    })
    .await;
    Ok(ended(conn, timed_out))
}

/// Resolves when `shutdown` holds `true`; never when there is no signal or its
/// sender is gone without having sent it.
pub async fn shutdown_requested(shutdown: &mut Option<watch::Receiver<bool>>) {
    match shutdown {
        Some(rx) => {
            if rx.wait_for(|stop| *stop).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending::<()>().await,
    }
}

/// A deadline that never comes in practice (tokio's timers cap far-off deadlines).
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365)
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
