//! One bench connection: the opening handshake, then messages out on the schedule and
//! echoes in, each checked and timed, then the closing handshake.
//!
//! In send mode the loop is the same without the echoes: messages go out as fast as the
//! socket takes them (or on the schedule), what comes back is decoded and discarded, a
//! message counts as sent once its last byte was written, and the wait that has a
//! limit is the one for the socket to take our bytes.
//!
//! Reading, writing and the clocks share one task (the stream is split, and whichever
//! is ready goes next), so a server that stops reading cannot stop us noticing its
//! silence, and every wait ends at a deadline: the echo of the oldest message in flight
//! is due within the timeout of its send time, and the closing handshake
//! within the timeout of our close frame.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{sleep_until, timeout, Instant};
use wsspec_codec::connection::{Config, Connection, Event};
use wsspec_codec::deflate::{negotiate_client_extensions, DeflateOffer};
use wsspec_codec::frame::Role;
use wsspec_codec::handshake::{ClientRequest, ResponseParser};
use wsspec_codec::{CloseCode, Limits};

use super::payload::{Payload, PayloadKind};
use super::schedule::Pacing;
use super::{BenchMode, Counters};

/// The first read buffer of a connection; it doubles up to [`MAX_READ_CHUNK`] while
/// reads fill it, so ten thousand connections of small messages stay small.
const FIRST_READ_CHUNK: usize = 4 << 10;
const MAX_READ_CHUNK: usize = 64 << 10;
/// Latencies a connection collects before it adds them to the run's histogram.
const LATENCY_BATCH: usize = 256;
/// Open loop: no new message is framed while this much output is still unwritten (the
/// server is not reading); the messages that fall due meanwhile go out late, and their
/// latency, counted from their due time, says so.
const MAX_UNSENT: usize = 256 << 10;
/// Open loop: at most this many messages wait for their echo on one connection.
const MAX_IN_FLIGHT: usize = 1 << 16;
/// Open loop: tokio's timers tick in milliseconds, so a wake-up for a due time comes
/// up to a tick late. Messages are therefore sent up to this much *before* they are
/// due, and a message sent early is timed from when it was sent: the timer's
/// granularity never shows up as server latency, and an echo is never timed from a
/// moment before its message left.
const SEND_AHEAD: Duration = Duration::from_millis(1);
/// Send mode, closed loop: messages are framed while less than this much output is
/// unwritten, so each write has plenty to take and the buffer stays bounded (by this
/// plus one message).
const SEND_LOW_WATER: usize = 64 << 10;

/// How the run is timed, shared by all connections.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// When the first messages are due.
    pub start: Instant,
    /// Messages due from here on are measured (the warm-up ends).
    pub measure_from: Instant,
    /// No message is due from here on; the connections drain and close.
    pub end: Instant,
}

impl Window {
    /// The window of a run starting at `start`.
    pub fn new(start: Instant, warmup: Duration, duration: Duration) -> Window {
        Window {
            start,
            measure_from: start + warmup,
            end: start + warmup + duration,
        }
    }

    fn measures(&self, due: Instant) -> bool {
        due >= self.measure_from && due < self.end
    }
}

/// What one connection does, besides its place in the schedule.
#[derive(Debug, Clone)]
pub struct Script {
    /// The message template.
    pub payload: Payload,
    /// Closed loop or open loop.
    pub pacing: Pacing,
    /// The limit of every wait.
    pub timeout: Duration,
    /// Echo or send.
    pub mode: BenchMode,
}

/// How a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// All its messages were echoed and the closing handshake completed.
    Finished,
    /// TCP connect, TLS or the opening handshake failed.
    ConnectFailed(String),
    /// The server broke a rule, or echoed something other than what was sent.
    ProtocolError(String),
    /// An echo or the closing handshake did not come in time.
    TimedOut(String),
    /// The server closed or dropped the connection before the run was over.
    Disconnected(String),
}

/// Latency histogram: nanoseconds, three significant digits.
pub type Latencies = Histogram<u64>;

/// A histogram that holds every latency up to `timeout` (later echoes are timeouts).
pub fn latencies(timeout: Duration) -> Latencies {
    let high = u64::try_from(timeout.as_nanos())
        .unwrap_or(u64::MAX)
        .max(2_000_000);
    Histogram::new_with_bounds(1, high, 3).expect("bounds are valid: 1 < 2 ms <= high")
}

/// The run's latency histogram, shared by its connections. Each adds its latencies in
/// batches, so a connection holds a couple of kilobytes instead of a histogram (some
/// 200 KiB at three significant digits) of its own.
#[derive(Debug)]
pub struct LatencySink {
    histogram: Mutex<Latencies>,
}

impl LatencySink {
    /// An empty histogram for latencies up to `timeout`.
    pub fn new(timeout: Duration) -> LatencySink {
        LatencySink {
            histogram: Mutex::new(latencies(timeout)),
        }
    }

    /// Adds the batch (nanoseconds) and empties it.
    fn record(&self, batch: &mut Vec<u64>) {
        let mut histogram = self.histogram.lock().unwrap_or_else(|e| e.into_inner());
        for nanos in batch.drain(..) {
            histogram.saturating_record(nanos);
        }
    }

    /// The histogram so far.
    pub fn histogram(&self) -> Latencies {
        self.histogram
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// What one connection measured.
#[derive(Debug, Clone)]
pub struct ConnectionStats {
    /// Messages sent (in send mode: written to the last byte).
    pub sent: u64,
    /// Messages whose echo came back intact.
    pub echoed: u64,
    /// Messages still waiting for their echo when the connection ended.
    pub unanswered: u64,
    /// Echoed messages that were due inside the measured window; the latency of each,
    /// from the time it was due (or sent, if that was earlier) to the arrival of its
    /// echo, went to the [`LatencySink`]. In send mode: messages written completely
    /// that were due inside the measured window (no latencies).
    pub measured: u64,
    /// Data messages the server sent (echoes included) before our close frame went out;
    /// what follows our close is dropped unread (RFC 6455 §1.4).
    pub received: u64,
    /// Their payload octets.
    pub received_bytes: u64,
    /// How it ended.
    pub ending: Ending,
}

impl Default for ConnectionStats {
    /// Nothing sent or received, [`Ending::Finished`].
    fn default() -> Self {
        ConnectionStats {
            sent: 0,
            echoed: 0,
            unanswered: 0,
            measured: 0,
            received: 0,
            received_bytes: 0,
            ending: Ending::Finished,
        }
    }
}

/// Performs the client's opening handshake (RFC 6455 §4.1) over `stream`, offering
/// permessage-deflate if asked (RFC 7692 §5). Returns the connection and any bytes that
/// came after the server's handshake answer.
pub async fn open<S>(
    stream: &mut S,
    host_header: &str,
    resource: &str,
    deflate: bool,
    limits: Limits,
    within: Duration,
) -> Result<(Connection, Vec<u8>), String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut request = ClientRequest::new(host_header, resource);
    request.extra_headers.push((
        "User-Agent".into(),
        concat!("wsspec-bench/", env!("CARGO_PKG_VERSION")).into(),
    ));
    let offers = [DeflateOffer::new().with_client_max_window_bits(None)];
    if deflate {
        request.extensions = offers.iter().map(DeflateOffer::to_extension).collect();
    }
    let exchange = async {
        stream
            .write_all(&request.to_bytes())
            .await
            .map_err(|e| format!("cannot send the opening handshake: {e}"))?;
        let mut parser = ResponseParser::new(&request, &limits);
        let mut buf = [0u8; 4096];
        loop {
            let n = stream
                .read(&mut buf)
                .await
                .map_err(|e| format!("reading the handshake answer failed: {e}"))?;
            if n == 0 {
                return Err("the server closed the connection during the handshake".to_owned());
            }
            match parser.feed(&buf[..n]) {
                Ok(Some(done)) => return Ok(done),
                Ok(None) => {}
                Err(e) => return Err(format!("invalid opening handshake answer: {e}")),
            }
        }
    };
    let (response, rest) = timeout(within, exchange).await.map_err(|_| {
        format!(
            "the server did not complete the opening handshake within {}",
            seconds(within)
        )
    })??;
    let agreed = negotiate_client_extensions(&response.extensions, &offers)
        .map_err(|e| format!("invalid permessage-deflate answer: {e}"))?;
    if agreed.is_some() && !deflate {
        return Err("the server accepted permessage-deflate, which was not offered".to_owned());
    }
    let config = Config {
        limits,
        deflate: agreed,
        deflate_level: None,
    };
    Ok((Connection::new(Role::Client, config), rest))
}

/// A message waiting for its echo.
#[derive(Debug, Clone, Copy)]
struct InFlight {
    seq: u64,
    /// When the schedule wanted it sent: decides whether it is measured.
    due: Instant,
    /// What its latency is counted from: `due`, or the send time if that was earlier.
    since: Instant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Messages go out on the schedule.
    Sending,
    /// Nothing more is due; waiting for the last echoes.
    Draining,
    /// Our close frame is queued; waiting for the server's and the end of TCP.
    Closing { deadline: Instant },
}

enum Wake {
    Read(std::io::Result<usize>),
    Wrote(std::io::Result<usize>),
    Timer,
}

/// Runs connection number `index` of the schedule over `stream` (open, with `initial`
/// the bytes that followed the handshake) until its messages are echoed and the
/// connection is closed, or it fails. Latencies go to `sink`.
#[allow(clippy::too_many_arguments)]
pub async fn drive<S>(
    stream: S,
    mut conn: Connection,
    initial: &[u8],
    index: u32,
    script: &Script,
    window: Window,
    counters: &Counters,
    sink: &LatencySink,
) -> ConnectionStats
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut reader, mut writer) = tokio::io::split(stream);
    let mut stats = ConnectionStats::default();
    let send_mode = script.mode == BenchMode::Send;
    // Send mode: octets written so far, and for each message framed but not yet
    // written to its last byte, the output offset where it ends and whether it counts.
    let mut written = 0u64;
    let mut unwritten: VecDeque<(u64, bool)> = VecDeque::new();
    let mut written_messages = 0u64;
    // Since when unwritten output has waited for the socket without progress.
    let mut write_waiting: Option<Instant> = None;
    let mut batch = Vec::with_capacity(LATENCY_BATCH);
    let mut in_flight: VecDeque<InFlight> = VecDeque::new();
    let mut next_seq = 0u64;
    let mut phase = Phase::Sending;
    let mut out: Vec<u8> = Vec::new();
    let mut out_pos = 0usize;
    let mut buf = vec![0u8; FIRST_READ_CHUNK];
    let mut scratch = Vec::new();
    if !initial.is_empty() {
        conn.receive_data(initial);
    }

    let ending = 'run: loop {
        // What the server sent.
        while let Some(event) = conn.next_event() {
            match event {
                Event::Message(message) => {
                    stats.received += 1;
                    stats.received_bytes += message.as_bytes().len() as u64;
                    if send_mode {
                        continue;
                    }
                    let arrived = Instant::now();
                    let Some(sent) = in_flight.pop_front() else {
                        break 'run Ending::ProtocolError(
                            "the server sent a message that echoes nothing we sent".to_owned(),
                        );
                    };
                    if !script.payload.is_echo_of(sent.seq, &message) {
                        break 'run Ending::ProtocolError(format!(
                            "the echo of message {} differs from the message sent \
                             (a {} message of {} bytes came back)",
                            sent.seq,
                            if message.is_binary() {
                                "binary"
                            } else {
                                "text"
                            },
                            message.as_bytes().len()
                        ));
                    }
                    stats.echoed += 1;
                    counters.add_echoed();
                    if window.measures(sent.due) {
                        let nanos = arrived.saturating_duration_since(sent.since).as_nanos();
                        stats.measured += 1;
                        batch.push(u64::try_from(nanos).unwrap_or(u64::MAX));
                        if batch.len() == LATENCY_BATCH {
                            sink.record(&mut batch);
                        }
                    }
                }
                Event::Ping(_) | Event::Pong(_) | Event::Eof { .. } => {}
                Event::Close(frame) => {
                    if !matches!(phase, Phase::Closing { .. }) {
                        break 'run Ending::Disconnected(format!(
                            "the server closed the connection while messages were due \
                             (close code {}{})",
                            frame.code.map_or("none".to_owned(), |c| c.0.to_string()),
                            if frame.reason.is_empty() {
                                String::new()
                            } else {
                                format!(", {:?}", frame.reason)
                            }
                        ));
                    }
                }
                Event::ProtocolError(e) => break 'run Ending::ProtocolError(e.to_string()),
            }
        }

        let now = Instant::now();
        // Every wait has a limit.
        if let Some(oldest) = in_flight.front() {
            if now >= oldest.since + script.timeout {
                break 'run Ending::TimedOut(format!(
                    "no echo of message {} within {} of when it was due",
                    oldest.seq,
                    seconds(script.timeout)
                ));
            }
        }
        if let Some(since) = write_waiting {
            if send_mode && now >= since + script.timeout {
                break 'run Ending::TimedOut(format!(
                    "the server took none of our data for {}",
                    seconds(script.timeout)
                ));
            }
        }
        if let Phase::Closing { deadline } = phase {
            if now >= deadline {
                break 'run Ending::TimedOut(format!(
                    "the server did not complete the closing handshake within {}",
                    seconds(script.timeout)
                ));
            }
        }

        // What is due.
        if phase == Phase::Sending {
            match script.pacing {
                Pacing::ClosedLoop if send_mode => {
                    if now >= window.end {
                        phase = Phase::Draining;
                    } else {
                        while out.len() - out_pos < SEND_LOW_WATER {
                            if let Err(e) = send(&mut conn, script, next_seq, &mut scratch) {
                                break 'run e;
                            }
                            next_seq += 1;
                            append(&mut out, &mut out_pos, conn.data_to_send());
                            let end = written + (out.len() - out_pos) as u64;
                            unwritten.push_back((end, window.measures(now)));
                        }
                    }
                }
                Pacing::ClosedLoop => {
                    if now >= window.end {
                        phase = Phase::Draining;
                    } else if in_flight.is_empty() {
                        if let Err(e) = send(&mut conn, script, next_seq, &mut scratch) {
                            break 'run e;
                        }
                        in_flight.push_back(InFlight {
                            seq: next_seq,
                            due: now,
                            since: now,
                        });
                        next_seq += 1;
                    }
                }
                Pacing::OpenLoop(schedule) => loop {
                    let due = window.start + schedule.due(index, next_seq);
                    if due >= window.end {
                        phase = Phase::Draining;
                        break;
                    }
                    let unsent = out.len() - out_pos;
                    if due > now + SEND_AHEAD
                        || unsent >= MAX_UNSENT
                        || in_flight.len() >= MAX_IN_FLIGHT
                    {
                        break;
                    }
                    if let Err(e) = send(&mut conn, script, next_seq, &mut scratch) {
                        break 'run e;
                    }
                    if conn.has_data_to_send() {
                        append(&mut out, &mut out_pos, conn.data_to_send());
                    }
                    if send_mode {
                        let end = written + (out.len() - out_pos) as u64;
                        unwritten.push_back((end, window.measures(due)));
                    } else {
                        in_flight.push_back(InFlight {
                            seq: next_seq,
                            due,
                            since: due.min(now),
                        });
                    }
                    next_seq += 1;
                },
            }
        }
        // In send mode the close waits until every message is written.
        if phase == Phase::Draining && in_flight.is_empty() && unwritten.is_empty() {
            conn.close(Some(CloseCode::NORMAL), "bench finished");
            phase = Phase::Closing {
                deadline: now + script.timeout,
            };
        }
        stats.sent = next_seq;
        if conn.has_data_to_send() {
            append(&mut out, &mut out_pos, conn.data_to_send());
        }
        if out_pos == out.len() {
            write_waiting = None;
        } else if write_waiting.is_none() {
            write_waiting = Some(now);
        }

        // The next deadline: the oldest echo's, the next due message's, the close's.
        let mut wake = in_flight.front().map(|m| m.since + script.timeout);
        let mut earliest = |t: Instant| wake = Some(wake.map_or(t, |w| w.min(t)));
        // While the backlog is full the next message waits for a write or an echo, not
        // for its (past) due time.
        let backlogged = out.len() - out_pos >= MAX_UNSENT || in_flight.len() >= MAX_IN_FLIGHT;
        if let (Phase::Sending, Pacing::OpenLoop(schedule), false) =
            (phase, script.pacing, backlogged)
        {
            let due = window.start + schedule.due(index, next_seq);
            earliest(due.checked_sub(SEND_AHEAD).unwrap_or(due));
        }
        if let Phase::Closing { deadline } = phase {
            earliest(deadline);
        }
        if let (true, Some(since)) = (send_mode, write_waiting) {
            earliest(since + script.timeout);
        }
        let wake = wake.unwrap_or(now + script.timeout);

        let woke = tokio::select! {
            r = reader.read(&mut buf) => Wake::Read(r),
            w = writer.write(&out[out_pos..]), if out_pos < out.len() => Wake::Wrote(w),
            () = sleep_until(wake) => Wake::Timer,
        };
        match woke {
            Wake::Read(Ok(0)) => {
                conn.receive_eof();
                let closed = conn.close_received().is_some() && conn.close_sent().is_some();
                break 'run if matches!(phase, Phase::Closing { .. }) && closed {
                    Ending::Finished
                } else if matches!(phase, Phase::Closing { .. }) {
                    Ending::Disconnected(
                        "the server dropped TCP without answering our close frame".to_owned(),
                    )
                } else {
                    Ending::Disconnected(
                        "the server dropped the connection while messages were due".to_owned(),
                    )
                };
            }
            Wake::Read(Ok(n)) => {
                conn.receive_data(&buf[..n]);
                if n == buf.len() && buf.len() < MAX_READ_CHUNK {
                    buf.resize(buf.len() * 2, 0);
                }
            }
            Wake::Read(Err(e)) => break 'run Ending::Disconnected(format!("reading failed: {e}")),
            Wake::Wrote(Ok(0)) => {
                break 'run Ending::Disconnected("the connection accepts no more data".to_owned())
            }
            Wake::Wrote(Ok(n)) => {
                write_waiting = Some(Instant::now());
                written += n as u64;
                while let Some(&(end, measured)) = unwritten.front() {
                    if end > written {
                        break;
                    }
                    unwritten.pop_front();
                    written_messages += 1;
                    stats.measured += u64::from(measured);
                    counters.add_sent();
                }
                out_pos += n;
                if out_pos == out.len() {
                    out.clear();
                    out_pos = 0;
                }
            }
            Wake::Wrote(Err(e)) => break 'run Ending::Disconnected(format!("writing failed: {e}")),
            Wake::Timer => {}
        }
    };
    sink.record(&mut batch);
    stats.sent = if send_mode {
        written_messages
    } else {
        next_seq
    };
    stats.unanswered = in_flight.len() as u64;
    stats.ending = ending;
    stats
}

/// Frames message `seq` into the connection's output.
fn send(
    conn: &mut Connection,
    script: &Script,
    seq: u64,
    scratch: &mut Vec<u8>,
) -> Result<(), Ending> {
    script.payload.fill(seq, scratch);
    let sent = match script.payload.kind() {
        PayloadKind::Binary => conn.send_binary(scratch),
        PayloadKind::Text => {
            let text = std::str::from_utf8(scratch)
                .map_err(|e| Ending::ProtocolError(format!("text payload: {e}")))?;
            conn.send_text(text)
        }
    };
    sent.map_err(|e| Ending::ProtocolError(format!("cannot send message {seq}: {e}")))
}

/// Appends freshly framed bytes to the output, reusing the buffer once it is drained.
fn append(out: &mut Vec<u8>, out_pos: &mut usize, bytes: Vec<u8>) {
    if *out_pos == out.len() {
        *out = bytes;
        *out_pos = 0;
    } else {
        if *out_pos > out.len() / 2 {
            out.drain(..*out_pos);
            *out_pos = 0;
        }
        out.extend_from_slice(&bytes);
    }
}

/// `2 s`, `0.5 s`.
pub fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}
