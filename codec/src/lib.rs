//! `wsspec-codec` — a sans-I/O reference codec for RFC 6455 WebSocket.
//!
//! Bytes go in, events come out; messages go in, bytes come out. There are no sockets,
//! no async runtime and no clocks here, so every rule can be tested by feeding bytes.
//! The data path reads top-down: bytes → [`decode::FrameDecoder`] → frames →
//! [`message::MessageAssembler`] (UTF-8) → [`connection::Connection`] events.
#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod close;
pub mod connection;
pub mod decode;
pub mod deflate;
pub mod frame;
pub mod handshake;
pub mod hixie76;
pub mod limits;
pub mod mask;
pub mod message;

pub use close::{CloseCode, CloseFrame};
pub use frame::{Frame, FrameHeader, Opcode, Role};
pub use limits::Limits;

/// The usage example in the project README, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
