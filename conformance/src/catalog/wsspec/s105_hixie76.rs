//! Section 105: hixie-76, the legacy protocol of draft-hixie-thewebsocketprotocol-76
//! (published unchanged as draft-ietf-hybi-thewebsocketprotocol-00), which old browsers
//! and some servers still speak. A server under test that does not speak it gets
//! UNIMPLEMENTED (as Autobahn's 12.x/13.x for a server without permessage-deflate),
//! which is not a failure.
//!
//! - 105.1: the handshake answer (§5.2): `101`, `Upgrade: WebSocket`,
//!   `Sec-WebSocket-Origin`, `Sec-WebSocket-Location` and the MD5 challenge response;
//!   invalid keys abort it;
//! - 105.2: framing (§5.3): `0x00` text `0xFF` frames echoed, in pieces or together;
//!   length-prefixed frames discarded;
//! - 105.3: closing (§1.4): `0xFF 0x00` answered with `0xFF 0x00`.

use super::{with_spec, Exec, Hixie76Case, HixieExpect, HixieFrame, HixieKeys, Split, HANDSHAKE};
use crate::catalog::build::case;
use crate::catalog::Case;

const ECHO: &str = "the server answers the handshake (101 WebSocket Protocol Handshake, \
                    Upgrade: WebSocket, Sec-WebSocket-Origin and -Location naming the request, \
                    the MD5 challenge response), echoes each text frame, and answers the \
                    suite's 0xFF 0x00 with its own";

#[allow(clippy::too_many_arguments)]
fn hixie(
    id: &str,
    description: &str,
    rfc: &'static str,
    expected: &str,
    keys: HixieKeys,
    key3_apart: bool,
    send: Vec<HixieFrame>,
    split: Option<Split>,
    expect: HixieExpect,
) -> Case {
    with_spec(
        Case {
            expected_duration: HANDSHAKE,
            ..case(id, description, expected)
        },
        rfc,
        expected,
        Exec::Hixie76(Hixie76Case {
            keys,
            key3_apart,
            send,
            split,
            expect,
        }),
    )
}

/// A case with seeded keys, `key3` with the head, frames in whole writes.
fn echo(
    id: &str,
    description: &str,
    rfc: &'static str,
    send: Vec<HixieFrame>,
    texts: Vec<&'static str>,
) -> Case {
    hixie(
        id,
        description,
        rfc,
        ECHO,
        HixieKeys::Seeded(seed(id)),
        false,
        send,
        None,
        HixieExpect::Echo(texts),
    )
}

/// A seed per case id, so every case sends other keys.
fn seed(id: &str) -> u64 {
    id.bytes()
        .fold(0x105, |s, b| s.wrapping_mul(31).wrapping_add(u64::from(b)))
}

/// Section 105, in id order.
pub(super) fn cases() -> Vec<Case> {
    let abort = "the server aborts the handshake: no 101 answer";
    vec![
        hixie(
            "105.1.1",
            "Send the draft's worked example handshake (Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 \
             5, Sec-WebSocket-Key2: 12998 5 Y3 1  .P00, key3 ^n:ds[4U), then close.",
            "draft-hixie-76 §5.2, §1.3",
            "the server answers with the challenge response 8jKS'y:G*Co,Wxa- (and the origin \
             and location of the request), then answers the suite's 0xFF 0x00",
            HixieKeys::DraftExample,
            false,
            vec![HixieFrame::Close],
            None,
            HixieExpect::Echo(vec![]),
        ),
        hixie(
            "105.1.2",
            "Send a handshake with keys made by the draft's algorithm, then close.",
            "draft-hixie-76 §5.2",
            ECHO,
            HixieKeys::Seeded(seed("105.1.2")),
            false,
            vec![HixieFrame::Close],
            None,
            HixieExpect::Echo(vec![]),
        ),
        hixie(
            "105.1.3",
            "Send a handshake whose 8-octet key3 comes in a TCP write of its own, after the \
             head; the server must wait for it before answering.",
            "draft-hixie-76 §5.2 step 7",
            ECHO,
            HixieKeys::Seeded(seed("105.1.3")),
            true,
            vec![HixieFrame::Text("Hello, key3"), HixieFrame::Close],
            None,
            HixieExpect::Echo(vec!["Hello, key3"]),
        ),
        hixie(
            "105.1.4",
            "Send a handshake whose Sec-WebSocket-Key1 has no spaces (12345678).",
            "draft-hixie-76 §5.2 step 6",
            abort,
            HixieKeys::Raw {
                key1: "12345678",
                key2: "12998 5 Y3 1  .P00",
            },
            false,
            vec![],
            None,
            HixieExpect::Abort,
        ),
        hixie(
            "105.1.5",
            "Send a handshake whose Sec-WebSocket-Key1 number (13) is not a multiple of its \
             spaces (2): 1 3x .",
            "draft-hixie-76 §5.2 step 6",
            abort,
            HixieKeys::Raw {
                key1: "1 3x .",
                key2: "12998 5 Y3 1  .P00",
            },
            false,
            vec![],
            None,
            HixieExpect::Abort,
        ),
        echo(
            "105.2.1",
            "Send the text frame \"Hello, draft-76\".",
            "draft-hixie-76 §5.3",
            vec![HixieFrame::Text("Hello, draft-76")],
            vec!["Hello, draft-76"],
        ),
        echo(
            "105.2.2",
            "Send a text frame of UTF-8 beyond ASCII (κόσμε).",
            "draft-hixie-76 §5.3",
            vec![HixieFrame::Text("κόσμε")],
            vec!["κόσμε"],
        ),
        echo(
            "105.2.3",
            "Send two text frames (\"one\", \"two\") in one TCP write.",
            "draft-hixie-76 §5.3",
            vec![HixieFrame::Raw(b"\x00one\xff\x00two\xff".to_vec())],
            vec!["one", "two"],
        ),
        hixie(
            "105.2.4",
            "Send a text frame one octet per TCP write.",
            "draft-hixie-76 §5.3",
            ECHO,
            HixieKeys::Seeded(seed("105.2.4")),
            false,
            vec![HixieFrame::Text("Hello, one octet at a time")],
            Some(Split::EveryOctet),
            HixieExpect::Echo(vec!["Hello, one octet at a time"]),
        ),
        echo(
            "105.2.5",
            "Send an empty text frame (0x00 0xFF).",
            "draft-hixie-76 §5.3",
            vec![HixieFrame::Text("")],
            vec![""],
        ),
        echo(
            "105.2.6",
            "Send a length-prefixed frame (type 0x80, 5 octets), which a server reads and \
             discards, then the text frame \"after\".",
            "draft-hixie-76 §5.3",
            vec![
                HixieFrame::Raw(b"\x80\x05abcde".to_vec()),
                HixieFrame::Text("after"),
            ],
            vec!["after"],
        ),
        echo(
            "105.3.1",
            "Send a text frame and the closing frame (0xFF 0x00) in one TCP write.",
            "draft-hixie-76 §1.4, §5.3",
            vec![HixieFrame::Raw(b"\x00Bye\xff\xff\x00".to_vec())],
            vec!["Bye"],
        ),
        hixie(
            "105.3.2",
            "Send the closing frame split in two TCP writes (0xFF, then 0x00).",
            "draft-hixie-76 §1.4, §5.3",
            ECHO,
            HixieKeys::Seeded(seed("105.3.2")),
            false,
            vec![HixieFrame::Close],
            Some(Split::EveryOctet),
            HixieExpect::Echo(vec![]),
        ),
    ]
}
