//! permessage-deflate (RFC 7692): negotiation and per-message compression.
//!
//! Three parts, in the order a connection uses them:
//!
//! 1. **Negotiation** (§7.1) over already-parsed [`ExtensionOffer`]s: a client builds
//!    [`DeflateOffer`]s and checks the server's answer with [`negotiate_client`]; a server
//!    picks the first acceptable offer with [`negotiate_server`] under a
//!    [`ServerDeflatePolicy`]. Both produce the agreed [`DeflateConfig`].
//! 2. **Framing** (§6.1): RSV1 marks the first frame of a compressed message; the rule is
//!    [`check_rsv1`], enforced by the frame decoder / connection.
//! 3. **Payload transformation** (§7.2): [`PerMessageDeflate`] compresses whole messages
//!    and inflates received ones piece by piece, never past a size limit.
//!
//! # Small windows
//!
//! RFC 7692 allows LZ77 windows of 2^8..=2^15 bytes, but zlib (and every backend of
//! `flate2` that takes window bits) cannot produce a raw DEFLATE stream with an 8-bit
//! window: it refuses, or silently uses 9 bits, which could emit back-references up to
//! 512 bytes that a peer with a 256-byte window cannot resolve. And zlib-rs, like
//! zlib-ng, keeps a 64 K-entry hash table whatever the window, rewriting all of it each
//! time a small window slides: with 9 bits that is every 512 octets, and compressing
//! costs several times what it does with 15. wsspec therefore:
//!
//! - **compresses** at level 1, and at every level but 0 for windows of 2^8..=2^12
//!   bytes, with its own compressor (`deflate/greedy.rs`: greedy matching on a hash
//!   table of stream positions, fixed Huffman codes or stored blocks, never a distance
//!   beyond the window), and levels 2..=9 with larger windows with zlib;
//! - as a **server**, declines offers that demand `server_max_window_bits=8` by default
//!   (§7.1.2.1 allows only "the same or smaller value" in the answer, so there is no
//!   valid larger alternative; declining lets the client's next offer win), unless a
//!   policy opts in with [`ServerDeflatePolicy::accept_server_max_window_bits_8`];
//! - **decompresses** with a 9-bit window when the peer agreed to 8: a larger window
//!   decodes every stream a smaller one does.
//!
//! # Close codes
//!
//! A message that inflates past the limit fails the connection with 1009 (message too
//! big). Corrupt compressed data fails it with **1002** (protocol error), not 1007: the
//! payload of an RSV1 frame is the extension's wire encoding, and an undecodable one
//! breaks the extension's framing contract (§6.2, §7.2.2), like a malformed frame
//! header would; 1007 is kept for *decoded* data that does not fit its message type
//! (invalid UTF-8 after inflating a text message), which the UTF-8 validator reports.
//! This matches python-websockets (decompression failure is a `ProtocolError`).
//! Implementations answering 1007 exist (e.g. Node's `ws`), so a catalog judging a peer
//! may want to accept either.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

mod greedy;

use greedy::GreedyDeflater;

use crate::handshake::{ExtensionOffer, ExtensionParam};
use crate::{CloseCode, Opcode, Role};

/// The extension token (RFC 7692 §7).
pub const EXTENSION_NAME: &str = "permessage-deflate";

/// The four octets a sender strips from the end of each compressed message and a
/// receiver appends before inflating (RFC 7692 §7.2.1, §7.2.2): the LEN/NLEN of the
/// empty stored block a `Z_SYNC_FLUSH` ends with.
pub const EMPTY_BLOCK_TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Window bits used when a side does not limit its window (RFC 7692 §7.1.2).
pub const DEFAULT_WINDOW_BITS: u8 = 15;

/// Smallest output step the inflater is given when `out` must grow. Growth is otherwise
/// geometric (like `Vec`), but never past the caller's limit: see
/// [`PerMessageDeflate::decompress`].
pub const INFLATE_STEP: usize = 32 << 10;

const SERVER_NO_CONTEXT_TAKEOVER: &str = "server_no_context_takeover";
const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
const SERVER_MAX_WINDOW_BITS: &str = "server_max_window_bits";
const CLIENT_MAX_WINDOW_BITS: &str = "client_max_window_bits";

/// Why a permessage-deflate negotiation or payload is unacceptable. Each variant names
/// the rule of RFC 7692 (or RFC 6455) it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeflateError {
    /// The extension handed to a permessage-deflate parser has another name.
    #[error("extension {0:?} is not permessage-deflate (RFC 7692 §7)")]
    NotPermessageDeflate(String),
    /// §7: an offer or response with a parameter the extension does not define.
    #[error("permessage-deflate parameter {0:?} is not defined (RFC 7692 §7)")]
    UnknownParameter(String),
    /// §7: a parameter appears twice in one offer or response.
    #[error("permessage-deflate parameter {0} appears more than once (RFC 7692 §7)")]
    DuplicateParameter(String),
    /// §7.1.1.1 / §7.1.1.2: the no-context-takeover parameters have no value.
    #[error("permessage-deflate parameter {name} takes no value, got {value:?} (RFC 7692 §7.1.1)")]
    UnexpectedValue {
        /// The parameter.
        name: String,
        /// The value that was given.
        value: String,
    },
    /// §7.1.2.1 / §7.1.2.2: window bits are a decimal integer 8..=15 without leading
    /// zeroes; `server_max_window_bits` always needs one, `client_max_window_bits` needs
    /// one in a response.
    #[error("permessage-deflate parameter {name} needs a decimal value 8..=15 without leading zeroes, got {value:?} (RFC 7692 §7.1.2)")]
    InvalidWindowBits {
        /// The parameter.
        name: String,
        /// The value that was given, `None` if it was missing.
        value: Option<String>,
    },
    /// RFC 6455 §9.1: the server accepted permessage-deflate, which the client did not
    /// offer.
    #[error(
        "the server accepted permessage-deflate, which the client did not offer (RFC 6455 §9.1)"
    )]
    NotOffered,
    /// §5.1: a response accepts exactly one offer, so it holds at most one
    /// permessage-deflate element.
    #[error("the response contains permessage-deflate more than once (RFC 7692 §5.1)")]
    MultipleResponses,
    /// §7.1.1.1: a server accepts an offer with `server_no_context_takeover` only by
    /// including it in the response.
    #[error("the client requested server_no_context_takeover but the response lacks it (RFC 7692 §7.1.1.1)")]
    ServerNoContextTakeoverMissing,
    /// §7.1.2.1: a server accepts an offer with `server_max_window_bits` only by
    /// including it in the response.
    #[error("the client requested server_max_window_bits={offered} but the response lacks it (RFC 7692 §7.1.2.1)")]
    ServerMaxWindowBitsMissing {
        /// The value the client offered.
        offered: u8,
    },
    /// §7.1.2.1: the response's `server_max_window_bits` must not exceed the offer's.
    #[error("the response has server_max_window_bits={response}, larger than the {offered} the client requested (RFC 7692 §7.1.2.1)")]
    ServerMaxWindowBitsTooLarge {
        /// The value the client offered.
        offered: u8,
        /// The value the server answered.
        response: u8,
    },
    /// §7.1.2.2: a response may carry `client_max_window_bits` only if the offer did.
    #[error("the response has client_max_window_bits, which the client did not offer (RFC 7692 §7.1.2.2)")]
    ClientMaxWindowBitsNotOffered,
    /// §7.1.2.2: the response's `client_max_window_bits` must not exceed the value the
    /// client offered.
    #[error("the response has client_max_window_bits={response}, larger than the {offered} the client offered (RFC 7692 §7.1.2.2)")]
    ClientMaxWindowBitsTooLarge {
        /// The value the client offered.
        offered: u8,
        /// The value the server answered.
        response: u8,
    },
    /// RFC 6455 §5.2: RSV1 is set although no extension giving it a meaning was
    /// negotiated.
    #[error("RSV1 set on a {0} frame but permessage-deflate was not negotiated (RFC 6455 §5.2)")]
    Rsv1WithoutExtension(Opcode),
    /// §6.1: RSV1 ("Per-Message Compressed") may only be set on the first frame of a
    /// data message, never on a continuation or control frame.
    #[error("RSV1 set on a {0} frame: permessage-deflate allows it only on the first frame of a text or binary message (RFC 7692 §6.1)")]
    Rsv1NotOnMessageStart(Opcode),
    /// RFC 6455 §10.4: the inflated message would exceed the configured limit.
    #[error("inflated message exceeds the {limit}-byte limit (RFC 6455 §10.4)")]
    MessageTooBig {
        /// The limit, in bytes.
        limit: usize,
    },
    /// §7.2.2: the payload plus `00 00 ff ff` is not valid DEFLATE data.
    #[error("compressed payload is not valid DEFLATE data: {0} (RFC 7692 §7.2.2)")]
    CorruptData(String),
}

impl DeflateError {
    /// The close code with which the connection is failed for this error.
    ///
    /// - [`DeflateError::MessageTooBig`] → 1009.
    /// - Everything else → 1002 (protocol error). For corrupt data this is a deliberate
    ///   choice over 1007: see the module documentation. Negotiation errors happen
    ///   during the opening handshake, where RFC 6455 §4.1 fails the connection without
    ///   a close frame; 1002 is what they are reported as.
    pub fn close_code(&self) -> CloseCode {
        match self {
            DeflateError::MessageTooBig { .. } => CloseCode::MESSAGE_TOO_BIG,
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }
}

/// RFC 7692 §6.1: the RSV1 bit ("Per-Message Compressed") is set on the **first frame
/// of a data message** (text or binary) to mark the whole message as compressed. An
/// endpoint must not set it on continuation frames or control frames, and a receiver
/// of such a frame fails the connection. Without a negotiated extension RSV1 must be 0
/// (RFC 6455 §5.2).
///
/// Returns whether this frame starts a compressed message. The frame decoder /
/// connection calls this for every frame; it does not track message state itself.
pub fn check_rsv1(opcode: Opcode, rsv1: bool, deflate_agreed: bool) -> Result<bool, DeflateError> {
    if !rsv1 {
        return Ok(false);
    }
    if !deflate_agreed {
        return Err(DeflateError::Rsv1WithoutExtension(opcode));
    }
    match opcode {
        Opcode::Text | Opcode::Binary => Ok(true),
        other => Err(DeflateError::Rsv1NotOnMessageStart(other)),
    }
}

/// The parameters of one offer or response, validated for syntax (§7).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Params {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    /// `Some(None)`: the parameter without a value (allowed in offers only).
    client_max_window_bits: Option<Option<u8>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Offer,
    Response,
}

/// §7.1.2: "a decimal integer value without leading zeroes between 8 to 15, inclusive".
fn parse_window_bits(name: &str, value: Option<&str>) -> Result<u8, DeflateError> {
    let invalid = || DeflateError::InvalidWindowBits {
        name: name.to_owned(),
        value: value.map(str::to_owned),
    };
    let v = value.ok_or_else(invalid)?;
    if v.is_empty() || v.len() > 2 || !v.bytes().all(|b| b.is_ascii_digit()) || v.starts_with('0') {
        return Err(invalid());
    }
    match v.parse::<u8>() {
        Ok(bits @ 8..=15) => Ok(bits),
        _ => Err(invalid()),
    }
}

fn parse_params(ext: &ExtensionOffer, side: Side) -> Result<Params, DeflateError> {
    if ext.name != EXTENSION_NAME {
        return Err(DeflateError::NotPermessageDeflate(ext.name.clone()));
    }
    let mut p = Params::default();
    let mut seen = [false; 4];
    for ExtensionParam { name, value } in &ext.params {
        let slot = match name.as_str() {
            SERVER_NO_CONTEXT_TAKEOVER => 0,
            CLIENT_NO_CONTEXT_TAKEOVER => 1,
            SERVER_MAX_WINDOW_BITS => 2,
            CLIENT_MAX_WINDOW_BITS => 3,
            _ => return Err(DeflateError::UnknownParameter(name.clone())),
        };
        if std::mem::replace(&mut seen[slot], true) {
            return Err(DeflateError::DuplicateParameter(name.clone()));
        }
        let no_value = || match value {
            None => Ok(true),
            Some(v) => Err(DeflateError::UnexpectedValue {
                name: name.clone(),
                value: v.clone(),
            }),
        };
        match slot {
            0 => p.server_no_context_takeover = no_value()?,
            1 => p.client_no_context_takeover = no_value()?,
            2 => p.server_max_window_bits = Some(parse_window_bits(name, value.as_deref())?),
            _ => {
                p.client_max_window_bits = Some(match (value, side) {
                    (None, Side::Offer) => None,
                    (v, _) => Some(parse_window_bits(name, v.as_deref())?),
                })
            }
        }
    }
    Ok(p)
}

fn flag(name: &str) -> ExtensionParam {
    ExtensionParam {
        name: name.to_owned(),
        value: None,
    }
}

fn bits_param(name: &str, bits: u8) -> ExtensionParam {
    ExtensionParam {
        name: name.to_owned(),
        value: Some(bits.to_string()),
    }
}

/// Agreed parameters of one connection (RFC 7692 §7.1), the same on both ends except
/// where a side promised more than the response says (see [`negotiate_client`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeflateConfig {
    /// The server resets its compression context after each message (§7.1.1.1).
    pub server_no_context_takeover: bool,
    /// The client resets its compression context after each message (§7.1.1.2).
    pub client_no_context_takeover: bool,
    /// The server compresses with a window of at most 2^bits bytes, 8..=15 (§7.1.2.1).
    pub server_max_window_bits: u8,
    /// The client compresses with a window of at most 2^bits bytes, 8..=15 (§7.1.2.2).
    pub client_max_window_bits: u8,
}

impl Default for DeflateConfig {
    /// What a bare `permessage-deflate` response agrees: context takeover and 15-bit
    /// windows on both sides.
    fn default() -> Self {
        DeflateConfig {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: DEFAULT_WINDOW_BITS,
            client_max_window_bits: DEFAULT_WINDOW_BITS,
        }
    }
}

impl DeflateConfig {
    /// `(no_context_takeover, max_window_bits)` of the side that sends in `role`.
    fn side(&self, role: Role) -> (bool, u8) {
        match role {
            Role::Server => (self.server_no_context_takeover, self.server_max_window_bits),
            Role::Client => (self.client_no_context_takeover, self.client_max_window_bits),
        }
    }
}

/// What a client offers: a builder, and how it renders as an [`ExtensionOffer`].
///
/// Window bits are written as given, so a deliberately invalid offer (e.g.
/// `server_max_window_bits=7`) can be built to test a server; [`DeflateOffer::parse`]
/// accepts only valid ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeflateOffer {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    client_max_window_bits: Option<Option<u8>>,
}

impl DeflateOffer {
    /// A bare `permessage-deflate` offer.
    pub fn new() -> Self {
        DeflateOffer::default()
    }

    /// Autobahn's default client offer, used by its sections 12 and 13:
    /// `permessage-deflate; client_no_context_takeover; client_max_window_bits`.
    pub fn autobahn_default() -> Self {
        DeflateOffer::new()
            .with_client_no_context_takeover()
            .with_client_max_window_bits(None)
    }

    /// Asks the server not to use context takeover (§7.1.1.1).
    pub fn with_server_no_context_takeover(mut self) -> Self {
        self.server_no_context_takeover = true;
        self
    }

    /// Tells the server the client will not use context takeover (§7.1.1.2).
    pub fn with_client_no_context_takeover(mut self) -> Self {
        self.client_no_context_takeover = true;
        self
    }

    /// Asks the server to compress with a window of at most 2^`bits` bytes (§7.1.2.1).
    pub fn with_server_max_window_bits(mut self, bits: u8) -> Self {
        self.server_max_window_bits = Some(bits);
        self
    }

    /// Lets the server limit the client's window (§7.1.2.2); `Some(bits)` also hints
    /// that the client will use at most 2^`bits` bytes.
    pub fn with_client_max_window_bits(mut self, bits: Option<u8>) -> Self {
        self.client_max_window_bits = Some(bits);
        self
    }

    /// Whether `server_no_context_takeover` is offered.
    pub fn server_no_context_takeover(&self) -> bool {
        self.server_no_context_takeover
    }

    /// Whether `client_no_context_takeover` is offered.
    pub fn client_no_context_takeover(&self) -> bool {
        self.client_no_context_takeover
    }

    /// The offered `server_max_window_bits`, if any.
    pub fn server_max_window_bits(&self) -> Option<u8> {
        self.server_max_window_bits
    }

    /// The offered `client_max_window_bits`: `None` if absent, `Some(None)` without a
    /// value, `Some(Some(bits))` with one.
    pub fn client_max_window_bits(&self) -> Option<Option<u8>> {
        self.client_max_window_bits
    }

    /// The offer as a header element, parameters in the order Autobahn writes them:
    /// `client_no_context_takeover`, `client_max_window_bits`,
    /// `server_no_context_takeover`, `server_max_window_bits`.
    pub fn to_extension(&self) -> ExtensionOffer {
        let mut params = Vec::new();
        if self.client_no_context_takeover {
            params.push(flag(CLIENT_NO_CONTEXT_TAKEOVER));
        }
        match self.client_max_window_bits {
            None => {}
            Some(None) => params.push(flag(CLIENT_MAX_WINDOW_BITS)),
            Some(Some(bits)) => params.push(bits_param(CLIENT_MAX_WINDOW_BITS, bits)),
        }
        if self.server_no_context_takeover {
            params.push(flag(SERVER_NO_CONTEXT_TAKEOVER));
        }
        if let Some(bits) = self.server_max_window_bits {
            params.push(bits_param(SERVER_MAX_WINDOW_BITS, bits));
        }
        ExtensionOffer {
            name: EXTENSION_NAME.to_owned(),
            params,
        }
    }

    /// Reads a client's offer, rejecting what §7 says a server must decline: another
    /// extension name, unknown or duplicate parameters, invalid values.
    pub fn parse(ext: &ExtensionOffer) -> Result<Self, DeflateError> {
        let p = parse_params(ext, Side::Offer)?;
        Ok(DeflateOffer {
            server_no_context_takeover: p.server_no_context_takeover,
            client_no_context_takeover: p.client_no_context_takeover,
            server_max_window_bits: p.server_max_window_bits,
            client_max_window_bits: p.client_max_window_bits,
        })
    }
}

/// What a server agrees to when it answers an offer.
///
/// [`Default`] accepts any valid offer, like python-websockets, except one that demands
/// `server_max_window_bits=8` (see the module documentation on window bits 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerDeflatePolicy {
    /// Accept offers that request `server_no_context_takeover` (§7.1.1.1); when false
    /// such offers are declined. Default: true.
    pub accept_server_no_context_takeover: bool,
    /// Answer `server_no_context_takeover` even when not requested (§7.1.1.1 allows it).
    /// Default: false.
    pub server_no_context_takeover: bool,
    /// Answer `client_no_context_takeover` (§7.1.1.2), so the client resets its context
    /// after every message. Default: false.
    pub request_client_no_context_takeover: bool,
    /// The largest window the server compresses with, 8..=15 (values outside are
    /// clamped). Below 15 it is announced as `server_max_window_bits`; an offer asking
    /// for less gets what it asked for. Default: 15.
    pub server_max_window_bits: u8,
    /// The window the server asks the client to stay within, 8..=15, when the offer
    /// allows it (§7.1.2.2). `None`: echo the value the client hinted, if any.
    /// Default: `None`.
    pub client_max_window_bits: Option<u8>,
    /// Accept a server window of 8 bits. zlib cannot compress with one, so the server
    /// then sends stored (uncompressed) DEFLATE blocks. Default: false (such offers are
    /// declined).
    pub accept_server_max_window_bits_8: bool,
}

impl Default for ServerDeflatePolicy {
    fn default() -> Self {
        ServerDeflatePolicy {
            accept_server_no_context_takeover: true,
            server_no_context_takeover: false,
            request_client_no_context_takeover: false,
            server_max_window_bits: DEFAULT_WINDOW_BITS,
            client_max_window_bits: None,
            accept_server_max_window_bits_8: false,
        }
    }
}

impl ServerDeflatePolicy {
    /// The response to one valid offer, or `None` to decline it.
    fn answer(&self, offer: &DeflateOffer) -> Option<DeflateConfig> {
        if offer.server_no_context_takeover && !self.accept_server_no_context_takeover {
            return None;
        }
        let own_bits = self.server_max_window_bits.clamp(8, DEFAULT_WINDOW_BITS);
        let server_bits = offer
            .server_max_window_bits
            .map_or(own_bits, |b| b.min(own_bits));
        if server_bits == 8 && !self.accept_server_max_window_bits_8 {
            return None;
        }
        let client_bits = match offer.client_max_window_bits {
            // §7.1.2.2: without the parameter in the offer, the response must not have it.
            None => DEFAULT_WINDOW_BITS,
            Some(hint) => match (self.client_max_window_bits, hint) {
                (Some(ours), Some(theirs)) => ours.clamp(8, DEFAULT_WINDOW_BITS).min(theirs),
                (Some(ours), None) => ours.clamp(8, DEFAULT_WINDOW_BITS),
                (None, Some(theirs)) => theirs,
                (None, None) => DEFAULT_WINDOW_BITS,
            },
        };
        Some(DeflateConfig {
            server_no_context_takeover: offer.server_no_context_takeover
                || self.server_no_context_takeover,
            client_no_context_takeover: self.request_client_no_context_takeover,
            server_max_window_bits: server_bits,
            client_max_window_bits: client_bits,
        })
    }
}

/// The response element announcing `config`, parameters in the order Autobahn writes
/// them. Window bits of 15 are left out (the default), except that
/// `server_max_window_bits` is always echoed when the offer had it (§7.1.2.1 accepts
/// such an offer only by including the parameter) and `client_max_window_bits` is
/// written only when the offer allowed it.
fn response_extension(config: &DeflateConfig, offer: &DeflateOffer) -> ExtensionOffer {
    let mut params = Vec::new();
    if config.server_no_context_takeover {
        params.push(flag(SERVER_NO_CONTEXT_TAKEOVER));
    }
    if config.client_no_context_takeover {
        params.push(flag(CLIENT_NO_CONTEXT_TAKEOVER));
    }
    if config.server_max_window_bits < DEFAULT_WINDOW_BITS || offer.server_max_window_bits.is_some()
    {
        params.push(bits_param(
            SERVER_MAX_WINDOW_BITS,
            config.server_max_window_bits,
        ));
    }
    if offer.client_max_window_bits.is_some() && config.client_max_window_bits < DEFAULT_WINDOW_BITS
    {
        params.push(bits_param(
            CLIENT_MAX_WINDOW_BITS,
            config.client_max_window_bits,
        ));
    }
    ExtensionOffer {
        name: EXTENSION_NAME.to_owned(),
        params,
    }
}

/// Server side of the negotiation: the first acceptable permessage-deflate offer wins
/// (RFC 7692 §5.1). Other extensions are skipped; invalid offers (unknown or duplicate
/// parameters, bad values, §7) and offers the policy cannot meet are declined, not
/// fatal. Returns the agreed config and the element to put in the response's
/// `Sec-WebSocket-Extensions`, or `None` if no offer was accepted.
pub fn negotiate_server(
    offers: &[ExtensionOffer],
    policy: &ServerDeflatePolicy,
) -> Option<(DeflateConfig, ExtensionOffer)> {
    offers
        .iter()
        .filter(|ext| ext.name == EXTENSION_NAME)
        .filter_map(|ext| DeflateOffer::parse(ext).ok())
        .find_map(|offer| {
            let config = policy.answer(&offer)?;
            Some((config, response_extension(&config, &offer)))
        })
}

/// Client side of the negotiation: validates the server's permessage-deflate element
/// against what was offered (§7.1.1.x, §7.1.2.x) and returns the agreed config.
///
/// The response must be a valid answer to at least one of `offered`; when it fits
/// none, the error is the one against the first offer. Errors mean the client fails
/// the connection (§7): unknown or duplicate parameters, bad values, a
/// `client_max_window_bits` the client did not offer or larger than it offered, a
/// missing or larger `server_max_window_bits`, a missing `server_no_context_takeover`.
///
/// The returned config includes the client's own promises: `client_no_context_takeover`
/// if the offer hinted it (§7.1.1.2: the client then does not use context takeover
/// even if the response omits the parameter) and the offer's `client_max_window_bits`
/// hint if the response sets none.
pub fn negotiate_client(
    response: &ExtensionOffer,
    offered: &[DeflateOffer],
) -> Result<DeflateConfig, DeflateError> {
    let p = parse_params(response, Side::Response)?;
    let mut first_error = None;
    for offer in offered {
        match answer_fits(&p, offer) {
            Ok(config) => return Ok(config),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or(DeflateError::NotOffered))
}

/// [`negotiate_client`] over a whole parsed `Sec-WebSocket-Extensions` response:
/// `Ok(None)` if the server did not accept permessage-deflate, an error if it answered
/// it more than once (§5.1) or invalidly. Other extensions are left to the caller
/// (RFC 6455 §9.1: the client fails on any it did not offer).
pub fn negotiate_client_extensions(
    response: &[ExtensionOffer],
    offered: &[DeflateOffer],
) -> Result<Option<DeflateConfig>, DeflateError> {
    let mut elements = response.iter().filter(|ext| ext.name == EXTENSION_NAME);
    let Some(first) = elements.next() else {
        return Ok(None);
    };
    if elements.next().is_some() {
        return Err(DeflateError::MultipleResponses);
    }
    negotiate_client(first, offered).map(Some)
}

fn answer_fits(p: &Params, offer: &DeflateOffer) -> Result<DeflateConfig, DeflateError> {
    if offer.server_no_context_takeover && !p.server_no_context_takeover {
        return Err(DeflateError::ServerNoContextTakeoverMissing);
    }
    if let Some(offered) = offer.server_max_window_bits {
        match p.server_max_window_bits {
            None => return Err(DeflateError::ServerMaxWindowBitsMissing { offered }),
            Some(response) if response > offered => {
                return Err(DeflateError::ServerMaxWindowBitsTooLarge { offered, response })
            }
            Some(_) => {}
        }
    }
    // A valid offer hint is the client's own limit when the response sets none.
    let hint = offer
        .client_max_window_bits
        .flatten()
        .filter(|b| (8..=DEFAULT_WINDOW_BITS).contains(b));
    let client_bits = match (
        p.client_max_window_bits.flatten(),
        offer.client_max_window_bits,
    ) {
        (None, _) => hint.unwrap_or(DEFAULT_WINDOW_BITS),
        (Some(_), None) => return Err(DeflateError::ClientMaxWindowBitsNotOffered),
        (Some(response), Some(Some(offered))) if response > offered => {
            return Err(DeflateError::ClientMaxWindowBitsTooLarge { offered, response })
        }
        (Some(response), Some(_)) => response,
    };
    Ok(DeflateConfig {
        server_no_context_takeover: p.server_no_context_takeover,
        client_no_context_takeover: p.client_no_context_takeover
            || offer.client_no_context_takeover,
        server_max_window_bits: p.server_max_window_bits.unwrap_or(DEFAULT_WINDOW_BITS),
        client_max_window_bits: client_bits,
    })
}

/// The compressor and decompressor of one endpoint (RFC 7692 §7.2).
///
/// The compressor works with our side's window bits and context-takeover setting, the
/// decompressor with the peer's. Compression takes whole messages; decompression takes
/// a message's payload in pieces of any size (frames, or parts of frames), followed by
/// [`PerMessageDeflate::finish_message`]. After an error the state is undefined: the
/// connection is failed anyway.
#[derive(Debug)]
pub struct PerMessageDeflate {
    role: Role,
    config: DeflateConfig,
    compressor: Compressor,
    /// Our side's window bits (8..=15).
    compress_window_bits: u8,
    compress_level: u32,
    compress_no_context_takeover: bool,
    decompressor: Decompress,
    decompress_no_context_takeover: bool,
    /// Bytes of the current message fed to the current DEFLATE stream; zero means the
    /// stream is at the boundary the previous message left it at (or fresh).
    stream_bytes_this_message: u64,
    /// Bounded output buffer for when the caller's `out` has more spare capacity than
    /// the limit allows (so that capacity is not filled before the limit is noticed).
    scratch: Vec<u8>,
}

impl PerMessageDeflate {
    /// The codec for `role` under the agreed `config`, compressing at zlib's default
    /// level 6.
    pub fn new(role: Role, config: DeflateConfig) -> Self {
        let (ours_nct, ours_bits) = config.side(role);
        let (peer_nct, peer_bits) = config.side(role.peer());
        let compress_window_bits = ours_bits.clamp(8, DEFAULT_WINDOW_BITS);
        let compress_level = Compression::default().level();
        PerMessageDeflate {
            role,
            config,
            compressor: Compressor::new(compress_level, compress_window_bits, ours_nct),
            compress_window_bits,
            compress_level,
            compress_no_context_takeover: ours_nct,
            // 9 bits decode everything an 8-bit window can produce.
            decompressor: Decompress::new_with_window_bits(
                false,
                peer_bits.clamp(9, DEFAULT_WINDOW_BITS),
            ),
            decompress_no_context_takeover: peer_nct,
            stream_bytes_this_message: 0,
            scratch: Vec::new(),
        }
    }

    /// Sets the compression level, 0 (stored) ..= 9 (best); larger values are clamped
    /// to 9. Level 1, and every level but 0 with windows of 2^12 bytes and less, is
    /// compressed by wsspec's own compressor (see the module docs).
    pub fn with_level(mut self, level: u32) -> Self {
        self.compress_level = level.min(9);
        self.compressor = Compressor::new(
            self.compress_level,
            self.compress_window_bits,
            self.compress_no_context_takeover,
        );
        self
    }

    /// The role this codec was built for.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The agreed parameters this codec was built from.
    pub fn config(&self) -> DeflateConfig {
        self.config
    }

    /// Compresses one whole message payload, appending the result to `out`: raw
    /// DEFLATE ended by a `Z_SYNC_FLUSH`, with the trailing `00 00 ff ff` stripped
    /// (§7.2.1). The context is reset afterwards if our side agreed to no context
    /// takeover (§7.1.1). An empty payload compresses to the single octet `00`.
    pub fn compress(&mut self, payload: &[u8], out: &mut Vec<u8>) {
        match &mut self.compressor {
            Compressor::Zlib(zlib) => zlib_sync_flush(zlib, payload, out),
            Compressor::Greedy(greedy) => greedy.compress(payload, out),
        }
        if self.compress_no_context_takeover {
            self.compressor.reset();
        }
    }

    /// Inflates the next piece of a compressed message's payload, appending to `out`,
    /// which holds the message inflated so far. A message may be split anywhere and any
    /// piece may be empty.
    ///
    /// Fails with [`DeflateError::MessageTooBig`] as soon as `out.len()` would exceed
    /// `max_message`, before that memory is spent: the inflater only ever gets room for
    /// one byte past the limit (growth is geometric from [`INFLATE_STEP`], capped at
    /// `max_message + 1` bytes of capacity; nothing is reserved from the data's claims).
    /// If `out` already has more spare capacity than the limit allows, output goes
    /// through a buffer of at most [`INFLATE_STEP`] bytes instead. On that error `out`
    /// is truncated to `max_message`.
    ///
    /// A DEFLATE block with BFINAL set ends the peer's stream (§7.2.3.4); whatever
    /// follows in the message is inflated as a new stream, so the octet `00` the RFC
    /// example puts after such a block is accepted.
    pub fn decompress(
        &mut self,
        data: &[u8],
        out: &mut Vec<u8>,
        max_message: usize,
    ) -> Result<(), DeflateError> {
        if data.is_empty() {
            // Nothing is pending: every call leaves with the inflater's output drained.
            return Ok(());
        }
        self.inflate(data, out, max_message, FlushDecompress::None)
    }

    /// Ends the message: appends `00 00 ff ff` (§7.2.2), flushes the last output into
    /// `out` under the same limit as [`decompress`](Self::decompress), and resets the
    /// decompressor if the peer agreed to no context takeover.
    ///
    /// When the message fed nothing to the current stream (an empty payload, or one
    /// that ended exactly with a BFINAL block) the tail is not fed: it would leave the
    /// stream inside an unfinished stored block.
    pub fn finish_message(
        &mut self,
        out: &mut Vec<u8>,
        max_message: usize,
    ) -> Result<(), DeflateError> {
        if self.stream_bytes_this_message > 0 {
            self.inflate(&EMPTY_BLOCK_TAIL, out, max_message, FlushDecompress::Sync)?;
        }
        if self.decompress_no_context_takeover {
            self.decompressor.reset(false);
        }
        self.stream_bytes_this_message = 0;
        Ok(())
    }

    fn inflate(
        &mut self,
        mut input: &[u8],
        out: &mut Vec<u8>,
        max_message: usize,
        flush: FlushDecompress,
    ) -> Result<(), DeflateError> {
        loop {
            // One byte past the limit is how an overflow is noticed without guessing.
            let allowed = max_message.saturating_sub(out.len()).saturating_add(1);
            let (in_before, out_before) =
                (self.decompressor.total_in(), self.decompressor.total_out());
            let spare = out.capacity() - out.len();
            let (status, room) = if spare > allowed {
                self.scratch.clear();
                self.scratch.reserve_exact(allowed.min(INFLATE_STEP));
                let room = self.scratch.capacity();
                let status = self
                    .decompressor
                    .decompress_vec(input, &mut self.scratch, flush);
                let keep = self.scratch.len().min(allowed);
                out.extend_from_slice(&self.scratch[..keep]);
                (status, room)
            } else {
                if spare == 0 {
                    out.reserve_exact(out.len().max(INFLATE_STEP).min(allowed));
                }
                let room = out.capacity() - out.len();
                (self.decompressor.decompress_vec(input, out, flush), room)
            };
            // The limit is checked before the verdict on the data: output that already
            // overflowed is a message too big, and `out` never keeps more than the limit,
            // even when the stream turns out corrupt further on (found by fuzzing).
            if out.len() > max_message {
                out.truncate(max_message);
                return Err(DeflateError::MessageTooBig { limit: max_message });
            }
            let status = status.map_err(|e| DeflateError::CorruptData(e.to_string()))?;
            let consumed = (self.decompressor.total_in() - in_before) as usize;
            let produced = (self.decompressor.total_out() - out_before) as usize;
            input = &input[consumed..];
            self.stream_bytes_this_message += consumed as u64;
            if status == Status::StreamEnd {
                // §7.2.3.4: a BFINAL block ended the stream; what follows is a new one.
                self.decompressor.reset(false);
                self.stream_bytes_this_message = 0;
                continue;
            }
            if produced == room {
                // Output space ran out: there may be more to come even without input.
                continue;
            }
            if input.is_empty() {
                // Input exhausted with room to spare: everything decodable is in `out`.
                return Ok(());
            }
            if consumed == 0 && produced == 0 {
                // Cannot happen with zlib (it consumes input when it has room); stop
                // rather than spin if it ever does.
                return Err(DeflateError::CorruptData(
                    "inflater made no progress".into(),
                ));
            }
        }
    }
}

/// The compressor of one side: zlib, or for windows zlib handles badly, wsspec's own.
#[derive(Debug)]
enum Compressor {
    Zlib(Compress),
    Greedy(Box<GreedyDeflater>),
}

impl Compressor {
    fn new(level: u32, window_bits: u8, no_context_takeover: bool) -> Compressor {
        // zlib's hash table costs more than the compression with small windows
        // (see the module docs), and at level 1 ours is the faster at any window.
        if level == 1 || (level > 1 && window_bits <= 12) {
            Compressor::Greedy(Box::new(GreedyDeflater::new(
                window_bits,
                !no_context_takeover,
            )))
        } else {
            // Level 0 emits stored blocks only, which are valid for any window, so an
            // 8-bit window may be handed to zlib as 9.
            Compressor::Zlib(Compress::new_with_window_bits(
                Compression::new(level),
                false,
                window_bits.max(9),
            ))
        }
    }

    fn reset(&mut self) {
        match self {
            Compressor::Zlib(zlib) => zlib.reset(),
            Compressor::Greedy(greedy) => greedy.reset(),
        }
    }
}

/// Compresses `payload` with zlib and a sync flush, appending to `out` without the
/// trailing `00 00 ff ff` (§7.2.1).
fn zlib_sync_flush(zlib: &mut Compress, payload: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    // Enough for stored blocks (5 octets per 64 KiB) plus the flush in one go.
    out.reserve(payload.len() + payload.len() / 4096 + 64);
    let mut rest = payload;
    loop {
        if out.len() == out.capacity() {
            out.reserve(rest.len() / 2 + 64);
        }
        let before = zlib.total_in();
        zlib.compress_vec(rest, out, FlushCompress::Sync)
            .expect("raw deflate with a sync flush has no failure mode on valid state");
        rest = &rest[(zlib.total_in() - before) as usize..];
        // zlib's contract: the flush is complete once a call leaves output space.
        if rest.is_empty() && out.len() < out.capacity() {
            break;
        }
    }
    if out.len() == start {
        // zlib emits nothing for a sync flush with no new input after a previous
        // flush. The message still needs the header of an empty stored block, which
        // the receiver's appended `00 00 ff ff` completes (§7.2.3.6).
        out.push(0x00);
    } else {
        debug_assert!(
            out.ends_with(&EMPTY_BLOCK_TAIL),
            "a sync flush ends with an empty stored block"
        );
        if out.ends_with(&EMPTY_BLOCK_TAIL) {
            out.truncate(out.len() - EMPTY_BLOCK_TAIL.len());
        }
    }
}
