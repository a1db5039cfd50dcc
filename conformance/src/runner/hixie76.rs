//! Section 105's executor: a draft-76 (hixie-76) connection to a server under test,
//! built on the codec's [`wsspec_codec::hixie76`].
//!
//! The handshake answer is checked as a draft-76 client checks it (§4.1: status 101,
//! `Upgrade: WebSocket`, `Connection: Upgrade`, the origin and location, the MD5
//! challenge response); then the case's frames are sent, their echoes read, and the
//! closing handshake (`0xFF 0x00` both ways, §1.4) gives `behaviorClose`.
//!
//! A server that does not answer a draft-76 handshake with valid keys does not speak
//! the draft: its cases are UNIMPLEMENTED, not FAILED. When a case's own handshake goes
//! unanswered (or the case expects an abort), a second connection with a plain valid
//! handshake — the probe — tells the two apart.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use wsspec_codec::hixie76::{
    encode_text, ClientConfig, ClientHandshake, ClientKeys, Decoded, Frame, FrameDecoder,
    HandshakeError, Progress, CLOSE_FRAME,
};
use wsspec_reports::Verdict;

use super::fuzzer::{CaseRun, Settings, Target};
use super::handshake::read_until;
use super::record::Recorder;
use super::split::{self, Splitter};
use super::wsspec::{raw_run, RawRun};
use super::RunOptions;
use crate::catalog::wsspec::{Hixie76Case, HixieExpect, HixieFrame, HixieKeys};
use crate::catalog::Case;

/// `key3` of the handshakes with raw (invalid) keys.
const RAW_KEY3: [u8; 8] = *b"wsspec76";

/// The draft's worked example (§1.3).
const EXAMPLE: (&str, &str, [u8; 8]) = ("4 @1  46546xW%0l 1 5", "12998 5 Y3 1  .P00", *b"^n:ds[4U");

/// The pause before a `key3` written apart.
const KEY3_PAUSE: Duration = Duration::from_millis(50);

/// The client side of a draft-76 connection to `target`.
fn client_config(target: &Target, settings: &Settings) -> ClientConfig {
    ClientConfig {
        host: target.host_header(),
        resource: target.resource.clone(),
        origin: format!("http://{}", target.host_header()),
        protocol: None,
        secure: settings.tls.is_some(),
    }
}

/// The request head (and separately `key3`), and the handshake that checks the answer
/// (`None` for raw keys, which cannot make one).
fn request(
    keys: &HixieKeys,
    target: &Target,
    settings: &Settings,
) -> (Vec<u8>, [u8; 8], Option<ClientHandshake>) {
    let config = client_config(target, settings);
    let keys = match keys {
        HixieKeys::DraftExample => ClientKeys::from_parts(EXAMPLE.0, EXAMPLE.1, EXAMPLE.2)
            .expect("the draft's example keys are valid"),
        HixieKeys::Seeded(seed) => ClientKeys::generate(&mut StdRng::seed_from_u64(*seed)),
        HixieKeys::Raw { key1, key2 } => {
            let head = format!(
                "GET {} HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nHost: {}\r\n\
                 Origin: {}\r\nSec-WebSocket-Key1: {key1}\r\nSec-WebSocket-Key2: {key2}\r\n\r\n",
                config.resource, config.host, config.origin
            );
            return (head.into_bytes(), RAW_KEY3, None);
        }
    };
    let handshake = ClientHandshake::new(config, keys, settings.limits)
        .expect("the target makes a valid draft-76 request");
    let mut head = handshake.request();
    let key3: [u8; 8] = head[head.len() - 8..].try_into().expect("eight octets");
    head.truncate(head.len() - 8);
    (head, key3, Some(handshake))
}

/// How a handshake went.
enum Opened {
    /// Accepted; the octets after the challenge response.
    Yes(Vec<u8>),
    /// A `101` that a draft-76 client must reject.
    Invalid(HandshakeError),
    /// No `101`: the answer's status line, or what happened instead.
    No(String),
}

/// Writes the request and reads the answer (for raw keys, only its status).
async fn open<R, W>(
    reader: &mut R,
    writer: &mut W,
    (head, key3, handshake): (Vec<u8>, [u8; 8], Option<ClientHandshake>),
    key3_apart: bool,
    settings: &Settings,
    rec: &mut Recorder,
    response: &mut Vec<u8>,
) -> Opened
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let write = async {
        if key3_apart {
            rec.tx_octets(&head, true);
            writer.write_all(&head).await?;
            writer.flush().await?;
            tokio::time::sleep(KEY3_PAUSE).await;
            rec.tx_octets(&key3, true);
            writer.write_all(&key3).await
        } else {
            let mut all = head.clone();
            all.extend_from_slice(&key3);
            rec.tx_octets(&all, false);
            writer.write_all(&all).await
        }
    };
    if let Err(e) = write.await {
        return Opened::No(format!("the request could not be sent: {e}"));
    }
    let deadline = Instant::now() + settings.open_timeout;
    let mut buf = vec![0u8; 16 << 10];
    let mut handshake = handshake;
    loop {
        let n = match read_until(reader, &mut buf, deadline).await {
            None => {
                return Opened::No(format!(
                    "no answer within {} s",
                    settings.open_timeout.as_secs()
                ))
            }
            Some(0) => {
                return Opened::No(match status_of(response) {
                    Some(status) => format!("{status}, then the connection closed"),
                    None => {
                        "the server closed (or reset) the connection without an answer".to_owned()
                    }
                })
            }
            Some(n) => n,
        };
        rec.rx_octets(&buf[..n]);
        response.extend_from_slice(&buf[..n]);
        match &mut handshake {
            None => {
                // Raw keys: only whether the server upgrades matters.
                if let Some(status) = status_of(response) {
                    return if status.starts_with("101") {
                        Opened::Invalid(HandshakeError::Malformed(format!(
                            "the server answered {status}"
                        )))
                    } else {
                        Opened::No(status)
                    };
                }
            }
            Some(handshake) => {
                let mut input = &buf[..n];
                match handshake.feed(&mut input) {
                    Ok(Progress::Complete(_)) => {
                        response.truncate(response.len() - input.len());
                        return Opened::Yes(input.to_vec());
                    }
                    Ok(Progress::NeedMore(_)) => {}
                    Err(HandshakeError::BadStatus(_)) | Err(HandshakeError::NotHttp11) => {
                        return Opened::No(status_of(response).unwrap_or_default())
                    }
                    Err(e) => return Opened::Invalid(e),
                }
            }
        }
    }
}

/// The status line of an answer once it has arrived whole.
fn status_of(response: &[u8]) -> Option<String> {
    let end = response.windows(2).position(|w| w == b"\r\n")?;
    let line = String::from_utf8_lossy(&response[..end]);
    let status = line.split_once(' ').map_or(line.as_ref(), |(_, s)| s);
    Some(status.trim().to_owned())
}

/// Whether the server answers a plain valid draft-76 handshake: `Ok` if it does, else
/// what it did.
async fn probe(options: &RunOptions) -> Result<(), String> {
    let settings = &options.settings;
    let stream = super::connect(&options.target, settings).await?;
    let (mut reader, mut writer) = tokio::io::split(stream);
    let mut response = Vec::new();
    let opened = open(
        &mut reader,
        &mut writer,
        request(&HixieKeys::Seeded(76), &options.target, settings),
        false,
        settings,
        &mut Recorder::new(),
        &mut response,
    )
    .await;
    match opened {
        Opened::Yes(_) => {
            let _ = writer.write_all(&CLOSE_FRAME).await;
            let _ = writer.shutdown().await;
            Ok(())
        }
        Opened::Invalid(e) => Err(format!("its draft-76 answer is invalid: {e}")),
        Opened::No(what) => Err(what),
    }
}

/// The octets of a frame the suite sends.
fn frame_bytes(frame: &HixieFrame) -> Vec<u8> {
    match frame {
        HixieFrame::Text(text) => {
            let mut out = Vec::new();
            encode_text(text, &mut out);
            out
        }
        HixieFrame::Raw(bytes) => bytes.clone(),
        HixieFrame::Close => CLOSE_FRAME.to_vec(),
    }
}

/// Whether the frames end with the suite's closing frame.
fn sends_close(frames: &[HixieFrame]) -> bool {
    match frames.last() {
        Some(HixieFrame::Close) => true,
        Some(HixieFrame::Raw(bytes)) => bytes.ends_with(&CLOSE_FRAME),
        _ => false,
    }
}

/// Runs a section 105 case.
pub async fn run(
    case: &Case,
    hixie: &Hixie76Case,
    index: usize,
    options: &RunOptions,
    started: String,
) -> CaseRun {
    let settings = &options.settings;
    let target = &options.target;
    let request = request(&hixie.keys, target, settings);
    let mut shown = request.0.clone();
    shown.extend_from_slice(&request.1);
    let mut raw = RawRun::new(
        case,
        index,
        started,
        String::from_utf8_lossy(&shown).into_owned(),
    );
    if hixie.expect == HixieExpect::Abort {
        if let Err(what) = probe(options).await {
            return unimplemented(raw, &what);
        }
    }
    let stream = match super::connect(target, settings).await {
        Ok(stream) => stream,
        Err(problem) => return raw.never_connected(problem),
    };
    let begun = Instant::now();
    let (mut reader, mut writer) = tokio::io::split(stream);
    let mut response = Vec::new();
    let opened = open(
        &mut reader,
        &mut writer,
        request,
        hixie.key3_apart,
        settings,
        &mut raw.rec,
        &mut response,
    )
    .await;
    if !response.is_empty() {
        raw.http_response = Some(String::from_utf8_lossy(&response).into_owned());
    }
    let texts = match (&hixie.expect, opened) {
        (HixieExpect::Abort, Opened::Yes(_) | Opened::Invalid(_)) => {
            let status = status_of(&response).unwrap_or_default();
            return refused(
                raw,
                Verdict::Failed,
                format!("{status}: the server accepted the handshake"),
            );
        }
        (HixieExpect::Abort, Opened::No(what)) => {
            return refused(
                raw,
                Verdict::Ok,
                format!("the handshake was aborted ({what})"),
            );
        }
        (HixieExpect::Echo(_), Opened::Invalid(e)) => {
            return refused(
                raw,
                Verdict::Failed,
                format!("the server's answer is invalid: {e}"),
            );
        }
        (HixieExpect::Echo(_), Opened::No(what)) => {
            // The probe decides; the report says what this connection (its wire log) saw.
            return match probe(options).await {
                Err(_) => unimplemented(raw, &what),
                Ok(()) => refused(
                    raw,
                    Verdict::Failed,
                    format!("{what}, though the server answers a plain draft-76 handshake"),
                ),
            };
        }
        (HixieExpect::Echo(texts), Opened::Yes(rest)) => (texts, rest),
    };
    let (texts, rest) = texts;
    raw.was_open = true;
    let status = status_of(&response).unwrap_or_default();
    let mut decoder = FrameDecoder::new(settings.limits);
    let mut pending = rest;
    let mut buf = vec![0u8; 16 << 10];
    let mut splitter = hixie.split.map(Splitter::new);
    let mut sent_ok = true;
    for frame in &hixie.send {
        let bytes = frame_bytes(frame);
        raw.rec.tx_octets(&bytes, true);
        let written = match &mut splitter {
            Some(splitter) => split::write_all(&mut writer, &bytes, splitter).await,
            None => writer.write_all(&bytes).await,
        };
        sent_ok &= written.is_ok();
    }
    // The echoes, in order.
    let deadline = Instant::now() + settings.open_timeout;
    let mut echoed = 0;
    let mut got_close = false;
    let mut eof = !sent_ok;
    let mut problem = None;
    'read: while problem.is_none() && !eof && (echoed < texts.len() || !got_close) {
        let mut input = pending.as_slice();
        loop {
            match decoder.decode(&mut input) {
                Ok(Decoded::Frame(Frame::Text(text))) => match texts.get(echoed) {
                    Some(want) if *want == text => echoed += 1,
                    Some(want) => {
                        problem = Some(format!("echo {} is {text:?}, not {want:?}", echoed + 1));
                        break;
                    }
                    None => {
                        problem = Some(format!("an extra text frame {text:?}"));
                        break;
                    }
                },
                Ok(Decoded::Frame(Frame::Close)) => {
                    got_close = true;
                    if echoed < texts.len() {
                        problem = Some(format!(
                            "the server closed after {echoed} of {} echoes",
                            texts.len()
                        ));
                    }
                    break 'read;
                }
                Ok(Decoded::NeedMore(_)) => break,
                Err(e) => {
                    problem = Some(format!("the server's frames are invalid: {e}"));
                    break;
                }
            }
        }
        pending.clear();
        if problem.is_some() {
            break;
        }
        if echoed == texts.len() && !sends_close(&hixie.send) {
            break;
        }
        match read_until(&mut reader, &mut buf, deadline).await {
            None => break,
            Some(0) => eof = true,
            Some(n) => {
                raw.rec.rx_octets(&buf[..n]);
                pending.extend_from_slice(&buf[..n]);
            }
        }
    }
    let line = format!("{status}, challenge answered");
    raw.behavior = match &problem {
        Some(problem) => (Verdict::Failed, format!("{line}; {problem}")),
        None if echoed < texts.len() => (
            Verdict::Failed,
            format!("{line}; {echoed} of {} texts echoed", texts.len()),
        ),
        None => (
            Verdict::Ok,
            format!("{line}; {echoed} texts echoed in order"),
        ),
    };
    // The closing handshake, the suite first unless the case already sent its close.
    raw.closed_by_me = true;
    if !got_close && !eof && !sends_close(&hixie.send) {
        raw.rec.tx_octets(&CLOSE_FRAME, false);
        eof = writer.write_all(&CLOSE_FRAME).await.is_err();
    }
    let close_deadline = Instant::now() + settings.close_timeout;
    while !got_close && !eof {
        let mut input = pending.as_slice();
        while let Ok(Decoded::Frame(frame)) = decoder.decode(&mut input) {
            got_close |= frame == Frame::Close;
        }
        pending.clear();
        if got_close {
            break;
        }
        match read_until(&mut reader, &mut buf, close_deadline).await {
            None => break,
            Some(0) => eof = true,
            Some(n) => {
                raw.rec.rx_octets(&buf[..n]);
                pending.extend_from_slice(&buf[..n]);
            }
        }
    }
    raw.behavior_close = match (got_close, eof) {
        (true, _) => (
            Verdict::Ok,
            "the server answered the closing frame (0xFF 0x00)".to_owned(),
        ),
        (false, true) => (
            Verdict::Unclean,
            "the server closed TCP without a closing frame".to_owned(),
        ),
        (false, false) => (
            Verdict::Failed,
            format!(
                "no closing frame from the server within {} s",
                settings.close_timeout.as_secs()
            ),
        ),
    };
    raw.was_clean = got_close;
    raw.dropped_by_me = true;
    let _ = tokio::time::timeout(Duration::from_millis(100), writer.shutdown()).await;
    raw.actual = Some(format!("{}; {}", raw.behavior.1, raw.behavior_close.1));
    raw.duration = begun.elapsed();
    raw_run(raw)
}

/// A case that ends at the handshake.
fn refused(mut raw: RawRun<'_>, verdict: Verdict, actual: String) -> CaseRun {
    raw.behavior = (verdict, actual.clone());
    raw.behavior_close = (Verdict::Ok, "No WebSocket connection to close".to_owned());
    raw.dropped_by_me = true;
    raw.actual = Some(actual);
    raw_run(raw)
}

/// The server does not speak draft-76.
fn unimplemented(mut raw: RawRun<'_>, what: &str) -> CaseRun {
    let why = format!("the server does not speak draft-76: to a valid draft-76 handshake, {what}");
    raw.behavior = (Verdict::Unimplemented, why.clone());
    raw.behavior_close = (Verdict::Unimplemented, why.clone());
    raw.actual = Some(why);
    raw_run(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target {
            host: "127.0.0.1".to_owned(),
            port: 8080,
            resource: "/demo".to_owned(),
        }
    }

    #[test]
    fn the_example_request_carries_the_drafts_keys_and_key3_apart() {
        let (head, key3, handshake) =
            request(&HixieKeys::DraftExample, &target(), &Settings::default());
        let head = String::from_utf8(head).unwrap();
        assert!(
            head.contains("Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n"),
            "{head}"
        );
        assert!(head.ends_with("\r\n\r\n"));
        assert_eq!(&key3, b"^n:ds[4U");
        assert!(handshake.is_some());
    }

    #[test]
    fn raw_keys_are_written_as_given() {
        let keys = HixieKeys::Raw {
            key1: "12345678",
            key2: "1 2",
        };
        let (head, key3, handshake) = request(&keys, &target(), &Settings::default());
        let head = String::from_utf8(head).unwrap();
        assert!(head.contains("Sec-WebSocket-Key1: 12345678\r\n"));
        assert!(head.contains("Host: 127.0.0.1:8080\r\n"));
        assert_eq!(key3, RAW_KEY3);
        assert!(handshake.is_none());
    }

    #[test]
    fn seeded_keys_repeat() {
        let a = request(&HixieKeys::Seeded(5), &target(), &Settings::default());
        let b = request(&HixieKeys::Seeded(5), &target(), &Settings::default());
        let c = request(&HixieKeys::Seeded(6), &target(), &Settings::default());
        assert_eq!((&a.0, a.1), (&b.0, b.1));
        assert_ne!(a.0, c.0);
    }

    #[test]
    fn the_status_is_read_from_the_first_line() {
        assert_eq!(
            status_of(b"HTTP/1.1 426 Upgrade Required\r\nX: y"),
            Some("426 Upgrade Required".to_owned())
        );
        assert_eq!(status_of(b"HTTP/1.1 101 Web"), None);
    }

    #[test]
    fn a_close_is_sent_by_a_close_frame_or_raw_octets_ending_in_one() {
        assert!(sends_close(&[HixieFrame::Text("a"), HixieFrame::Close]));
        assert!(sends_close(&[HixieFrame::Raw(
            b"\x00a\xff\xff\x00".to_vec()
        )]));
        assert!(!sends_close(&[HixieFrame::Text("a")]));
        assert!(!sends_close(&[]));
    }
}
