//! Message assembly (RFC 6455 §5.4) and incremental UTF-8 validation (§5.6, §8.1).
//!
//! Data frames are fed as they arrive — header, payload pieces, end — so a text message
//! is rejected as soon as the byte that makes it invalid UTF-8 arrives, even in the
//! middle of a frame, while a code point split across frames (or reads) stays valid.

use crate::close::CloseCode;
use crate::decode::PayloadChunk;
use crate::frame::{FrameHeader, Opcode, RSV1};

/// Incremental UTF-8 validator: accepts a byte stream in pieces of any size and fails on
/// the first byte that cannot be part of valid UTF-8.
///
/// The bulk is validated with `simdutf8`; only a code point split across pieces (at most
/// 3 bytes) is carried over between calls.
#[derive(Debug, Clone, Default)]
pub struct Utf8Validator {
    pending: [u8; 4],
    pending_len: usize,
    /// Bytes accepted so far, for error positions.
    seen: usize,
}

/// Invalid UTF-8 at a byte offset of the validated stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid UTF-8 at byte {offset} of the text message (RFC 6455 §8.1)")]
pub struct Utf8Error {
    /// Offset, from the start of the stream, of the first byte of the sequence that is
    /// invalid (or, for a stream that ends inside a code point, of that code point).
    pub offset: usize,
}

/// Length of the sequence a valid lead byte starts (only called on valid leads).
fn sequence_len(lead: u8) -> usize {
    match lead {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

impl Utf8Validator {
    /// A validator at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Validates the next piece of the stream.
    pub fn feed(&mut self, mut bytes: &[u8]) -> Result<(), Utf8Error> {
        if self.pending_len > 0 {
            // Complete the code point carried over from the last piece.
            let need = sequence_len(self.pending[0]) - self.pending_len;
            let take = need.min(bytes.len());
            let mut buf = self.pending;
            buf[self.pending_len..self.pending_len + take].copy_from_slice(&bytes[..take]);
            let len = self.pending_len + take;
            match simdutf8::compat::from_utf8(&buf[..len]) {
                Ok(_) => {
                    self.seen += len;
                    self.pending_len = 0;
                    bytes = &bytes[take..];
                }
                Err(e) if e.error_len().is_none() => {
                    // Still incomplete: `bytes` was too short to finish it.
                    self.pending = buf;
                    self.pending_len = len;
                    return Ok(());
                }
                Err(_) => return Err(Utf8Error { offset: self.seen }),
            }
        }
        match simdutf8::compat::from_utf8(bytes) {
            Ok(_) => {
                self.seen += bytes.len();
                Ok(())
            }
            Err(e) => {
                let valid = e.valid_up_to();
                if e.error_len().is_some() {
                    return Err(Utf8Error {
                        offset: self.seen + valid,
                    });
                }
                // A truncated but so-far valid sequence at the end: carry it over.
                let tail = &bytes[valid..];
                self.pending[..tail.len()].copy_from_slice(tail);
                self.pending_len = tail.len();
                self.seen += valid;
                Ok(())
            }
        }
    }

    /// Ends the stream: fails if it stopped inside a code point.
    pub fn finish(&self) -> Result<(), Utf8Error> {
        if self.pending_len == 0 {
            Ok(())
        } else {
            Err(Utf8Error { offset: self.seen })
        }
    }
}

/// A complete data message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message (valid UTF-8).
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
}

impl Message {
    /// The payload bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Message::Text(s) => s.as_bytes(),
            Message::Binary(b) => b,
        }
    }

    /// Whether this is a binary message.
    pub fn is_binary(&self) -> bool {
        matches!(self, Message::Binary(_))
    }
}

/// Why a sequence of data frames does not form a valid message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// RFC 6455 §5.4: a continuation frame must follow a non-final data frame.
    #[error("continuation frame without a message in progress (RFC 6455 §5.4)")]
    ContinuationWithoutStart,
    /// RFC 6455 §5.4: fragments of one message may not be interleaved with another.
    #[error("new {0} frame while a fragmented message is in progress: expected a continuation frame (RFC 6455 §5.4)")]
    MessageStartDuringFragmentedMessage(Opcode),
    /// RFC 6455 §8.1: text messages are UTF-8.
    #[error(transparent)]
    InvalidUtf8(#[from] Utf8Error),
    /// The message is larger than this endpoint accepts (code 1009).
    #[error("message exceeds the {max}-byte message limit")]
    MessageTooBig {
        /// The configured limit.
        max: usize,
    },
}

impl MessageError {
    /// The close code with which the connection is failed for this error.
    pub fn close_code(&self) -> CloseCode {
        match self {
            MessageError::InvalidUtf8(_) => CloseCode::INVALID_PAYLOAD,
            MessageError::MessageTooBig { .. } => CloseCode::MESSAGE_TOO_BIG,
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }
}

#[derive(Debug, Clone)]
struct InProgress {
    binary: bool,
    compressed: bool,
    data: Vec<u8>,
    utf8: Utf8Validator,
}

/// Assembles data frames into messages, enforcing the fragmentation rules, the message
/// size limit and UTF-8 validity of text as the bytes arrive.
#[derive(Debug, Clone)]
pub struct MessageAssembler {
    max_message: usize,
    current: Option<InProgress>,
    /// Whether the frame being received is the last of its message.
    fin: bool,
}

impl MessageAssembler {
    /// An assembler accepting messages of at most `max_message` bytes.
    pub fn new(max_message: usize) -> Self {
        MessageAssembler {
            max_message,
            current: None,
            fin: false,
        }
    }

    /// Whether a fragmented message is in progress.
    pub fn in_message(&self) -> bool {
        self.current.is_some()
    }

    /// Whether the message in progress was sent compressed (RSV1 on its first frame).
    pub fn is_compressed(&self) -> bool {
        self.current.as_ref().is_some_and(|m| m.compressed)
    }

    /// Starts a data frame: checks it against the fragmentation state (RFC 6455 §5.4).
    pub fn begin_frame(&mut self, header: &FrameHeader) -> Result<(), MessageError> {
        match (header.opcode, &self.current) {
            (Opcode::Continuation, None) => return Err(MessageError::ContinuationWithoutStart),
            (Opcode::Continuation, Some(_)) => {}
            (op @ (Opcode::Text | Opcode::Binary), Some(_)) => {
                return Err(MessageError::MessageStartDuringFragmentedMessage(op))
            }
            (op, None) => {
                self.current = Some(InProgress {
                    binary: op == Opcode::Binary,
                    compressed: header.rsv & RSV1 != 0,
                    data: Vec::new(),
                    utf8: Utf8Validator::new(),
                })
            }
            (_, Some(_)) => {}
        }
        self.fin = header.fin;
        Ok(())
    }

    fn current(&mut self) -> &mut InProgress {
        self.current
            .as_mut()
            .expect("payload pushed outside a frame: call begin_frame first")
    }

    fn reserve(&mut self, extra: usize) -> Result<(), MessageError> {
        let max = self.max_message;
        let m = self.current();
        if m.data.len().saturating_add(extra) > max {
            return Err(MessageError::MessageTooBig { max });
        }
        Ok(())
    }

    fn validate_tail(&mut self, from: usize) -> Result<(), MessageError> {
        let m = self.current();
        if !m.binary {
            let (utf8, data) = (&mut m.utf8, &m.data);
            utf8.feed(&data[from..])?;
        }
        Ok(())
    }

    /// Appends (unmasked) payload bytes of the current frame, validating text at once.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), MessageError> {
        self.reserve(bytes.len())?;
        let m = self.current();
        let from = m.data.len();
        m.data.extend_from_slice(bytes);
        self.validate_tail(from)
    }

    /// Lets `fill` append payload octets straight into the message — an inflater
    /// writing its output, which saves a copy through a buffer of its own — then
    /// validates them as [`push`](Self::push) does. `fill` gets the message so far and
    /// the size limit of the whole message, and must only append; if it fails, what
    /// it appended is dropped and its error returned (the outer one).
    pub fn push_with<E>(
        &mut self,
        fill: impl FnOnce(&mut Vec<u8>, usize) -> Result<(), E>,
    ) -> Result<Result<(), MessageError>, E> {
        let max = self.max_message;
        let m = self.current();
        let from = m.data.len();
        if let Err(e) = fill(&mut m.data, max) {
            m.data.truncate(from);
            return Err(e);
        }
        if m.data.len() > max {
            m.data.truncate(from);
            return Ok(Err(MessageError::MessageTooBig { max }));
        }
        Ok(self.validate_tail(from))
    }

    /// Appends a payload piece straight from the decoder, unmasking as it copies.
    pub fn push_chunk(&mut self, chunk: &PayloadChunk<'_>) -> Result<(), MessageError> {
        self.reserve(chunk.data.len())?;
        let m = self.current();
        let from = m.data.len();
        chunk.unmask_into(&mut m.data);
        self.validate_tail(from)
    }

    /// Ends the current frame. Returns the message if the frame was final.
    pub fn end_frame(&mut self) -> Result<Option<Message>, MessageError> {
        if !self.fin {
            return Ok(None);
        }
        let m = self
            .current
            .take()
            .expect("end_frame without begin_frame: call begin_frame first");
        if m.binary {
            return Ok(Some(Message::Binary(m.data)));
        }
        m.utf8.finish()?;
        // Already validated piece by piece; converting re-checks in bulk, which is cheap
        // next to the copy and keeps this module free of `unsafe`.
        match String::from_utf8(m.data) {
            Ok(text) => Ok(Some(Message::Text(text))),
            Err(e) => Err(Utf8Error {
                offset: e.utf8_error().valid_up_to(),
            }
            .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(opcode: Opcode, fin: bool) -> FrameHeader {
        FrameHeader {
            fin,
            ..FrameHeader::new(opcode, 0)
        }
    }

    fn frame(
        asm: &mut MessageAssembler,
        op: Opcode,
        fin: bool,
        payload: &[u8],
    ) -> Result<Option<Message>, MessageError> {
        asm.begin_frame(&header(op, fin))?;
        asm.push(payload)?;
        asm.end_frame()
    }

    #[test]
    fn rfc6455_5_4_fragments_assemble_in_order() {
        let mut asm = MessageAssembler::new(1 << 20);
        assert_eq!(frame(&mut asm, Opcode::Text, false, b"Hel"), Ok(None));
        assert_eq!(
            frame(&mut asm, Opcode::Continuation, true, b"lo"),
            Ok(Some(Message::Text("Hello".into())))
        );
        assert!(!asm.in_message());
    }

    #[test]
    fn rfc6455_5_4_continuation_without_start_fails_with_1002() {
        let mut asm = MessageAssembler::new(1 << 20);
        let err = asm
            .begin_frame(&header(Opcode::Continuation, true))
            .unwrap_err();
        assert_eq!(err, MessageError::ContinuationWithoutStart);
        assert_eq!(err.close_code(), CloseCode::PROTOCOL_ERROR);
    }

    #[test]
    fn rfc6455_5_4_new_message_inside_fragmented_message_fails() {
        let mut asm = MessageAssembler::new(1 << 20);
        frame(&mut asm, Opcode::Text, false, b"fragment1").unwrap();
        let err = asm.begin_frame(&header(Opcode::Text, true)).unwrap_err();
        assert_eq!(
            err,
            MessageError::MessageStartDuringFragmentedMessage(Opcode::Text)
        );
    }

    #[test]
    fn rfc6455_8_1_invalid_utf8_fails_with_1007_mid_frame() {
        // Autobahn 6.4.3: the 0x90 at byte 12 makes the sequence starting at byte 11 invalid.
        let mut asm = MessageAssembler::new(1 << 20);
        asm.begin_frame(&header(Opcode::Text, true)).unwrap();
        asm.push(&[
            0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xf4,
        ])
        .unwrap();
        let err = asm.push(&[0x90]).unwrap_err();
        assert_eq!(err, MessageError::InvalidUtf8(Utf8Error { offset: 11 }));
        assert_eq!(err.close_code(), CloseCode::INVALID_PAYLOAD);
    }

    #[test]
    fn rfc6455_8_1_code_point_split_across_frames_is_valid() {
        let mut asm = MessageAssembler::new(1 << 20);
        let euro = "€".as_bytes();
        frame(&mut asm, Opcode::Text, false, &euro[..1]).unwrap();
        frame(&mut asm, Opcode::Continuation, false, &euro[1..2]).unwrap();
        assert_eq!(
            frame(&mut asm, Opcode::Continuation, true, &euro[2..]),
            Ok(Some(Message::Text("€".into())))
        );
    }

    #[test]
    fn rfc6455_8_1_message_ending_inside_a_code_point_fails() {
        let mut asm = MessageAssembler::new(1 << 20);
        assert_eq!(
            frame(&mut asm, Opcode::Text, true, &[b'a', 0xe2, 0x82]),
            Err(MessageError::InvalidUtf8(Utf8Error { offset: 1 }))
        );
    }

    #[test]
    fn binary_messages_are_not_validated() {
        let mut asm = MessageAssembler::new(1 << 20);
        assert_eq!(
            frame(&mut asm, Opcode::Binary, true, &[0xff, 0xfe]),
            Ok(Some(Message::Binary(vec![0xff, 0xfe])))
        );
    }

    #[test]
    fn message_over_limit_fails_with_1009_before_growing() {
        let mut asm = MessageAssembler::new(8);
        frame(&mut asm, Opcode::Binary, false, b"12345").unwrap();
        asm.begin_frame(&header(Opcode::Continuation, true))
            .unwrap();
        let err = asm.push(b"6789").unwrap_err();
        assert_eq!(err, MessageError::MessageTooBig { max: 8 });
        assert_eq!(err.close_code(), CloseCode::MESSAGE_TOO_BIG);
    }

    #[test]
    fn validator_reports_the_first_invalid_byte_offset() {
        let mut v = Utf8Validator::new();
        v.feed(b"ab\xed").unwrap();
        assert_eq!(v.feed(b"\xa0\x80"), Err(Utf8Error { offset: 2 }));
    }

    #[test]
    fn validator_accepts_four_byte_sequence_one_byte_at_a_time() {
        let mut v = Utf8Validator::new();
        for b in "a😀b".as_bytes() {
            v.feed(std::slice::from_ref(b)).unwrap();
        }
        v.finish().unwrap();
    }

    #[test]
    fn push_with_validates_what_it_appends_and_drops_it_on_failure() {
        let mut a = MessageAssembler::new(8);
        a.begin_frame(&header(Opcode::Text, false)).unwrap();
        // Appended in place and validated: a split code point waits for its end.
        a.push_with(|m, max| {
            assert_eq!((m.len(), max), (0, 8));
            m.extend_from_slice(&[b'a', 0xc3]);
            Ok::<(), ()>(())
        })
        .unwrap()
        .unwrap();
        // A failing fill leaves nothing behind.
        assert_eq!(
            a.push_with(|m, _| {
                m.extend_from_slice(b"zzz");
                Err("inflater failed")
            }),
            Err("inflater failed")
        );
        // Past the limit of the whole message.
        let too_big = a.push_with(|m, _| {
            m.extend_from_slice(&[0xa9; 7]);
            Ok::<(), ()>(())
        });
        assert_eq!(too_big, Ok(Err(MessageError::MessageTooBig { max: 8 })));
        // Invalid UTF-8 across the two pushes is reported.
        let bad = a.push_with(|m, _| {
            m.push(0x41);
            Ok::<(), ()>(())
        });
        assert!(
            matches!(bad, Ok(Err(MessageError::InvalidUtf8(_)))),
            "{bad:?}"
        );
    }
}
