//! Section 100: the opening handshake, server under test (RFC 6455 §4.2). Each case
//! writes one request head, exactly as given, and judges the answer: a refusal where
//! §4.2.1 requires one (carrying `Sec-WebSocket-Version` for a version the server
//! does not speak, §4.4), or a `101` that passes every check of the client's §4.1 list,
//! then an echoed message and a clean close. Subprotocol and extension offers are
//! answered only with what was offered, and invalid permessage-deflate offers are
//! declined (RFC 7692 §7).

use wsspec_codec::deflate::DeflateOffer;

use super::{with_spec, Answer, Exec, Filler, HandshakeCase, Split, HANDSHAKE};
use crate::catalog::build::case;
use crate::catalog::Case;

/// RFC 6455 §1.3's sample nonce, a valid key.
const KEY: &str = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==";
const HOST: &str = "Host: {host}";
const UPGRADE: &str = "Upgrade: websocket";
const CONNECTION: &str = "Connection: Upgrade";
const VERSION: &str = "Sec-WebSocket-Version: 13";
const GET: &str = "GET {resource} HTTP/1.1";

/// A request head: the start line, these header lines, the blank line.
fn head(start: &str, lines: &[&str]) -> String {
    let mut out = format!("{start}\r\n");
    for line in lines {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out
}

/// A valid request with these lines added.
fn valid_with(extra: &[&str]) -> String {
    let mut lines = vec![HOST, UPGRADE, CONNECTION, KEY, VERSION];
    lines.extend_from_slice(extra);
    head(GET, &lines)
}

const REFUSE: Answer = Answer::Refuse {
    status: None,
    header: None,
    lenient: false,
};
/// §4.2.2 names 426 ("such as"), §4.4's own example answers 400: any error status
/// will do, the header is what the RFC requires.
const REFUSE_VERSION: Answer = Answer::Refuse {
    status: None,
    header: Some(("Sec-WebSocket-Version", "13")),
    lenient: false,
};
const UPGRADE_ANSWER: Answer = Answer::Upgrade { may_refuse: false };
const NEGOTIATE: Answer = Answer::Upgrade { may_refuse: true };

const EXPECT_REFUSE: &str = "an HTTP error answer (such as 400 Bad Request) that refuses the \
                             handshake, and no upgrade";
const EXPECT_VERSION: &str = "an HTTP error answer (such as 426 Upgrade Required, or 400 as in \
                              RFC 6455 §4.4's example) carrying Sec-WebSocket-Version: 13, and no \
                              upgrade";
const EXPECT_UPGRADE: &str = "a valid 101 answer (Sec-WebSocket-Accept = base64(SHA-1(key + \
                              258EAFA5-E914-47DA-95CA-C5AB0DC85B11))), then the message echoed \
                              and a clean close";

/// One section 100 case.
#[allow(clippy::too_many_arguments)]
fn handshake(
    id: &str,
    description: &str,
    rfc: &'static str,
    expected: &str,
    request: String,
    answer: Answer,
    split: Option<Split>,
    filler: Option<Filler>,
    deflate: Vec<DeflateOffer>,
) -> Case {
    with_spec(
        Case {
            expected_duration: HANDSHAKE,
            ..case(id, description, expected)
        },
        rfc,
        expected,
        Exec::Handshake(HandshakeCase {
            request,
            filler,
            split,
            answer,
            deflate,
        }),
    )
}

/// A case with one plain write and no deflate offer.
fn plain(
    id: &str,
    description: &str,
    rfc: &'static str,
    expected: &str,
    request: String,
    answer: Answer,
) -> Case {
    handshake(
        id,
        description,
        rfc,
        expected,
        request,
        answer,
        None,
        None,
        Vec::new(),
    )
}

/// Section 100, in id order.
pub(super) fn cases() -> Vec<Case> {
    let mut cases = keys();
    cases.extend(versions());
    cases.extend(tokens());
    cases.extend(methods());
    cases.extend(oversized());
    cases.extend(split());
    cases.extend(subprotocols());
    cases.extend(extensions());
    cases
}

/// 100.1: `Sec-WebSocket-Key` (§4.2.1 item 5, §11.3.1).
fn keys() -> Vec<Case> {
    let rule = "RFC 6455 §4.2.1 item 5";
    let with_key = |key: &str| {
        let line = format!("Sec-WebSocket-Key: {key}");
        head(GET, &[HOST, UPGRADE, CONNECTION, &line, VERSION])
    };
    vec![
        plain(
            "100.1.1",
            "Send an opening handshake without Sec-WebSocket-Key.",
            rule,
            EXPECT_REFUSE,
            head(GET, &[HOST, UPGRADE, CONNECTION, VERSION]),
            REFUSE,
        ),
        plain(
            "100.1.2",
            "Send a Sec-WebSocket-Key that is the base64 of 15 octets, not 16.",
            rule,
            EXPECT_REFUSE,
            with_key("AAECAwQFBgcICQoLDA0O"),
            REFUSE,
        ),
        plain(
            "100.1.3",
            "Send a Sec-WebSocket-Key of 24 characters, the length of a valid key, that is \
             the base64 of 17 octets.",
            rule,
            EXPECT_REFUSE,
            with_key("AAECAwQFBgcICQoLDA0ODxA="),
            REFUSE,
        ),
        plain(
            "100.1.4",
            "Send a Sec-WebSocket-Key of 24 characters that is not base64.",
            rule,
            EXPECT_REFUSE,
            with_key("!!!!!!!!!!!!!!!!!!!!!!=="),
            REFUSE,
        ),
        plain(
            "100.1.5",
            "Send two Sec-WebSocket-Key header fields (each a valid key); together they are \
             one field \"k1, k2\" (RFC 7230 §3.2.2), which is not a key.",
            "RFC 6455 §4.2.1 item 5, §11.3.1",
            EXPECT_REFUSE,
            head(
                GET,
                &[
                    HOST,
                    UPGRADE,
                    CONNECTION,
                    KEY,
                    "Sec-WebSocket-Key: AAECAwQFBgcICQoLDA0ODw==",
                    VERSION,
                ],
            ),
            REFUSE,
        ),
        plain(
            "100.1.6",
            "Send a valid Sec-WebSocket-Key made of the base64 characters '+' and '/'; the \
             answer's Sec-WebSocket-Accept must be computed from it exactly.",
            "RFC 6455 §4.2.2 item 5.4",
            EXPECT_UPGRADE,
            with_key("+/+/+/+/+/+/+/+/+/+/+w=="),
            UPGRADE_ANSWER,
        ),
    ]
}

/// 100.2: `Sec-WebSocket-Version` (§4.2.1 item 6, §4.4).
fn versions() -> Vec<Case> {
    let with_version = |version: &str| {
        let line = format!("Sec-WebSocket-Version: {version}");
        head(GET, &[HOST, UPGRADE, CONNECTION, KEY, &line])
    };
    vec![
        // Not 8: the hybi-08 to -12 drafts used it, and a server may still speak them.
        plain(
            "100.2.1",
            "Send Sec-WebSocket-Version: 12, a number reserved and never used by any \
             draft.",
            "RFC 6455 §4.4, §11.6",
            EXPECT_VERSION,
            with_version("12"),
            REFUSE_VERSION,
        ),
        plain(
            "100.2.2",
            "Send Sec-WebSocket-Version: 14, a version that does not exist yet.",
            "RFC 6455 §4.4",
            EXPECT_VERSION,
            with_version("14"),
            REFUSE_VERSION,
        ),
        plain(
            "100.2.3",
            "Send Sec-WebSocket-Version: abc, which is not a number.",
            "RFC 6455 §4.4, §11.3.5",
            EXPECT_VERSION,
            with_version("abc"),
            REFUSE_VERSION,
        ),
        plain(
            "100.2.4",
            "Send an opening handshake without Sec-WebSocket-Version.",
            "RFC 6455 §4.2.1 item 6",
            EXPECT_REFUSE,
            head(GET, &[HOST, UPGRADE, CONNECTION, KEY]),
            REFUSE,
        ),
    ]
}

/// 100.3: the `Upgrade` and `Connection` tokens (§4.2.1 items 3 and 4).
fn tokens() -> Vec<Case> {
    vec![
        plain(
            "100.3.1",
            "Send an opening handshake without an Upgrade header field.",
            "RFC 6455 §4.2.1 item 3",
            EXPECT_REFUSE,
            head(GET, &[HOST, CONNECTION, KEY, VERSION]),
            REFUSE,
        ),
        plain(
            "100.3.2",
            "Send Upgrade: h2c instead of websocket.",
            "RFC 6455 §4.2.1 item 3",
            EXPECT_REFUSE,
            head(GET, &[HOST, "Upgrade: h2c", CONNECTION, KEY, VERSION]),
            REFUSE,
        ),
        plain(
            "100.3.3",
            "Send an opening handshake without a Connection header field.",
            "RFC 6455 §4.2.1 item 4",
            EXPECT_REFUSE,
            head(GET, &[HOST, UPGRADE, KEY, VERSION]),
            REFUSE,
        ),
        plain(
            "100.3.4",
            "Send Connection: keep-alive, without the Upgrade token.",
            "RFC 6455 §4.2.1 item 4",
            EXPECT_REFUSE,
            head(
                GET,
                &[HOST, UPGRADE, "Connection: keep-alive", KEY, VERSION],
            ),
            REFUSE,
        ),
        plain(
            "100.3.5",
            "Send Connection: keep-alive, Upgrade (as Firefox does): the field includes the \
             Upgrade token among others.",
            "RFC 6455 §4.2.1 item 4",
            EXPECT_UPGRADE,
            head(
                GET,
                &[
                    HOST,
                    UPGRADE,
                    "Connection: keep-alive, Upgrade",
                    KEY,
                    VERSION,
                ],
            ),
            UPGRADE_ANSWER,
        ),
        plain(
            "100.3.6",
            "Send Upgrade: WebSocket and Connection: upgrade: both tokens are ASCII \
             case-insensitive.",
            "RFC 6455 §4.2.1 items 3 and 4",
            EXPECT_UPGRADE,
            head(
                GET,
                &[
                    HOST,
                    "Upgrade: WebSocket",
                    "Connection: upgrade",
                    KEY,
                    VERSION,
                ],
            ),
            UPGRADE_ANSWER,
        ),
    ]
}

/// 100.4: the method and the HTTP version (§4.2.1 item 1).
fn methods() -> Vec<Case> {
    let lines = [HOST, UPGRADE, CONNECTION, KEY, VERSION];
    vec![
        plain(
            "100.4.1",
            "Send the opening handshake as a POST request.",
            "RFC 6455 §4.2.1 item 1",
            EXPECT_REFUSE,
            head("POST {resource} HTTP/1.1", &lines),
            REFUSE,
        ),
        plain(
            "100.4.2",
            "Send the opening handshake as an HTTP/1.0 request.",
            "RFC 6455 §4.2.1 item 1",
            EXPECT_REFUSE,
            head("GET {resource} HTTP/1.0", &lines),
            REFUSE,
        ),
    ]
}

/// 100.5: oversized heads (RFC 7230 §3.2.5: a 4xx for fields larger than the server
/// wishes to process). The head is otherwise valid, so a server with a very high limit
/// may upgrade: NON-STRICT.
fn oversized() -> Vec<Case> {
    let lenient = Answer::Refuse {
        status: None,
        header: None,
        lenient: true,
    };
    let expected = "a 4xx answer (such as 431 Request Header Fields Too Large) once the head \
                    exceeds the server's limit, without hanging or crashing";
    vec![
        handshake(
            "100.5.1",
            "Send a valid opening handshake with one more header field whose value is 1 MiB \
             long.",
            "RFC 7230 §3.2.5, RFC 6585 §5",
            expected,
            valid_with(&[]),
            lenient.clone(),
            None,
            Some(Filler {
                headers: 1,
                value_len: 1 << 20,
            }),
            Vec::new(),
        ),
        handshake(
            "100.5.2",
            "Send a valid opening handshake with 10000 more header fields of 16 octets each.",
            "RFC 7230 §3.2.5, RFC 6585 §5",
            expected,
            valid_with(&[]),
            lenient,
            None,
            Some(Filler {
                headers: 10_000,
                value_len: 16,
            }),
            Vec::new(),
        ),
    ]
}

/// 100.6: the request split across many TCP writes (TCP is a byte stream, RFC 9293
/// §2.2: a server must not expect the head in one read).
fn split() -> Vec<Case> {
    let rule = "RFC 6455 §4.2.1, RFC 9293 §2.2";
    vec![
        handshake(
            "100.6.1",
            "Send a valid opening handshake one octet per TCP write.",
            rule,
            EXPECT_UPGRADE,
            valid_with(&[]),
            UPGRADE_ANSWER,
            Some(Split::EveryOctet),
            None,
            Vec::new(),
        ),
        handshake(
            "100.6.2",
            "Send a valid opening handshake in TCP writes of 1 to 16 octets, cut at seeded \
             random points.",
            rule,
            EXPECT_UPGRADE,
            valid_with(&[]),
            UPGRADE_ANSWER,
            Some(Split::Random {
                seed: 0x100_6002,
                max: 16,
            }),
            None,
            Vec::new(),
        ),
        // The reverse: more than the head in one read. A client must wait for the
        // answer before sending more (§4.1), but a draft-76 client sends its 8-octet
        // key3 right after the head, and the answer to a bad request is still owed.
        plain(
            "100.6.3",
            "Send an opening handshake without Sec-WebSocket-Version followed, in the same \
             TCP write, by 8 more octets (as a draft-76 client sends its key3).",
            "RFC 6455 §4.2.1 item 6, §4.2.2",
            EXPECT_REFUSE,
            head(GET, &[HOST, UPGRADE, CONNECTION, KEY]) + "wsspec76",
            REFUSE,
        ),
    ]
}

/// 100.7: subprotocols (§4.2.2 item 5.4 and §4.1 client item 6: the answer names at
/// most one subprotocol, one the client offered; §11.3.4: the field appears once).
fn subprotocols() -> Vec<Case> {
    let rule = "RFC 6455 §4.2.2, §4.1 client item 6, §11.3.4";
    let expected = "a valid 101 answer that selects no subprotocol, or one the client offered, \
                    in one Sec-WebSocket-Protocol field (or a refusal)";
    vec![
        plain(
            "100.7.1",
            "Offer the subprotocols wsspec.unknown-a, wsspec.unknown-b in one field.",
            rule,
            expected,
            valid_with(&["Sec-WebSocket-Protocol: wsspec.unknown-a, wsspec.unknown-b"]),
            NEGOTIATE,
        ),
        plain(
            "100.7.2",
            "Offer the subprotocols wsspec.unknown-a and wsspec.unknown-b in two \
             Sec-WebSocket-Protocol fields.",
            rule,
            expected,
            valid_with(&[
                "Sec-WebSocket-Protocol: wsspec.unknown-a",
                "Sec-WebSocket-Protocol: wsspec.unknown-b",
            ]),
            NEGOTIATE,
        ),
        plain(
            "100.7.3",
            "Offer no subprotocol: the answer must not name one.",
            rule,
            EXPECT_UPGRADE,
            valid_with(&[]),
            UPGRADE_ANSWER,
        ),
    ]
}

/// 100.8: extensions (RFC 6455 §9.1; RFC 7692 §7: a server declines a
/// permessage-deflate offer with an unknown or repeated parameter or an invalid value,
/// and accepts a valid one only with a fitting answer).
fn extensions() -> Vec<Case> {
    let decline = "a valid 101 answer that does not accept the offer (or a refusal)";
    let fitting = "a valid 101 answer that accepts no offer, or answers a valid one with \
                   parameters it allows (or a refusal)";
    let with_ext = |value: &str| valid_with(&[&format!("Sec-WebSocket-Extensions: {value}")]);
    let negotiate = |id: &str, description: &str, rfc, expected, value, deflate| {
        handshake(
            id,
            description,
            rfc,
            expected,
            with_ext(value),
            NEGOTIATE,
            None,
            None,
            deflate,
        )
    };
    vec![
        negotiate(
            "100.8.1",
            "Offer x-wsspec-unknown; level=1, an extension no server implements.",
            "RFC 6455 §9.1",
            decline,
            "x-wsspec-unknown; level=1",
            Vec::new(),
        ),
        negotiate(
            "100.8.2",
            "Offer permessage-deflate; x_wsspec_unknown, a parameter RFC 7692 does not \
             define.",
            "RFC 7692 §7",
            decline,
            "permessage-deflate; x_wsspec_unknown",
            Vec::new(),
        ),
        negotiate(
            "100.8.3",
            "Offer permessage-deflate; server_max_window_bits=7, a value outside 8-15.",
            "RFC 7692 §7.1.2.1",
            decline,
            "permessage-deflate; server_max_window_bits=7",
            Vec::new(),
        ),
        negotiate(
            "100.8.4",
            "Offer permessage-deflate; server_no_context_takeover; \
             server_no_context_takeover, a parameter repeated.",
            "RFC 7692 §7",
            decline,
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            Vec::new(),
        ),
        negotiate(
            "100.8.5",
            "Offer permessage-deflate; client_max_window_bits=16, a value outside 8-15.",
            "RFC 7692 §7.1.2.2",
            decline,
            "permessage-deflate; client_max_window_bits=16",
            Vec::new(),
        ),
        negotiate(
            "100.8.6",
            "Offer an invalid permessage-deflate (server_max_window_bits=10 with an unknown \
             parameter), then a bare valid one: only the second may be accepted.",
            "RFC 7692 §5.1, §7",
            fitting,
            "permessage-deflate; server_max_window_bits=10; x_wsspec_unknown, \
             permessage-deflate",
            vec![DeflateOffer::new()],
        ),
        negotiate(
            "100.8.7",
            "Offer permessage-deflate; client_max_window_bits; server_max_window_bits=10: an \
             acceptance must answer server_max_window_bits of 10 or less.",
            "RFC 7692 §7.1.2.1",
            fitting,
            "permessage-deflate; client_max_window_bits; server_max_window_bits=10",
            vec![DeflateOffer::new()
                .with_client_max_window_bits(None)
                .with_server_max_window_bits(10)],
        ),
    ]
}
