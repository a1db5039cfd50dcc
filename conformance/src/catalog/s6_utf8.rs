//! Section 6: UTF-8 handling (RFC 6455 §8.1) — text messages must be valid UTF-8,
//! checked across fragment boundaries, and a peer should fail fast, as soon as the
//! octet that makes the text invalid arrives (case6_*.py). 6.5–6.23 are generated from
//! Markus Kuhn's UTF-8 decoder test file, one case per vector, as case6_x_x.py does.

use super::build::{
    case, close_after, hex, kill_after, message, ms, ok, ok_or_non_strict, peer_fails_invalid_utf8,
    secs, send, text, QUICK,
};
use super::{Case, Event, FrameSpec, Step};

/// "Hello-µ@ßöäüàá-UTF-8!!", 29 octets.
const HELLO_UTF8: &str = "Hello-\u{b5}@\u{df}\u{f6}\u{e4}\u{fc}\u{e0}\u{e1}-UTF-8!!";
/// "κόσμε", 11 octets, with 2- and 3-octet sequences.
const KOSME: &[u8] = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";

const EXPECT_ECHO: &str = "The message is echo'ed back to us.";
const EXPECT_FAIL: &str =
    "The connection is failed immediately, since the payload is not valid UTF-8.";

/// A valid message and its echo, then a close if the echo is late.
fn echoed(id: &str, description: String, expectation: &str, steps: Vec<Step>, echo: &[u8]) -> Case {
    let mut steps = steps;
    steps.push(close_after(secs(1)));
    Case {
        steps,
        expected: ok(vec![text(echo)]),
        ..case(id, description, expectation)
    }
}

/// 6.1: empty fragments.
fn empty_fragments() -> Vec<Case> {
    const EMPTY_ECHO: &str = "A message is echo'ed back to us (with empty payload).";
    vec![
        echoed(
            "6.1.1",
            "Send text message of length 0.".into(),
            EMPTY_ECHO,
            vec![send(1, b"")],
            b"",
        ),
        echoed(
            "6.1.2",
            "Send fragmented text message, 3 fragments each of length 0.".into(),
            EMPTY_ECHO,
            vec![
                Step::Frame(FrameSpec::new(1, b"").fin(false)),
                Step::Frame(FrameSpec::new(0, b"").fin(false)),
                send(0, b""),
            ],
            b"",
        ),
        echoed(
            "6.1.3",
            "Send fragmented text message, 3 fragments, first and last of length 0, middle \
             non-empty."
                .into(),
            "A message is echo'ed back to us (with payload = payload of middle fragment).",
            vec![
                Step::Frame(FrameSpec::new(1, b"").fin(false)),
                Step::Frame(FrameSpec::new(0, b"middle frame payload").fin(false)),
                send(0, b""),
            ],
            b"middle frame payload",
        ),
    ]
}

/// 6.2: valid UTF-8, whole, split on a code point boundary, and split octet by octet.
fn valid_split() -> Vec<Case> {
    let hello = HELLO_UTF8.as_bytes();
    let (part1, part2) = hello.split_at(15);
    let part_text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let one_octet = "Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames \
                     ending on positions which are not code point ends.";
    vec![
        echoed(
            "6.2.1",
            format!(
                "Send a valid UTF-8 text message in one fragment.<br><br>MESSAGE:<br>{HELLO_UTF8}<br>{}",
                hex(hello)
            ),
            EXPECT_ECHO,
            vec![message(hello, false, None)],
            hello,
        ),
        echoed(
            "6.2.2",
            format!(
                "Send a valid UTF-8 text message in two fragments, fragmented on UTF-8 code point \
                 boundary.<br><br>MESSAGE FRAGMENT 1:<br>{}<br>{}<br><br>MESSAGE FRAGMENT \
                 2:<br>{}<br>{}",
                part_text(part1),
                hex(part1),
                part_text(part2),
                hex(part2)
            ),
            EXPECT_ECHO,
            vec![Step::Frame(FrameSpec::new(1, part1).fin(false)), send(0, part2)],
            hello,
        ),
        echoed(
            "6.2.3",
            format!("{one_octet}<br><br>MESSAGE:<br>{HELLO_UTF8}<br>{}", hex(hello)),
            EXPECT_ECHO,
            vec![message(hello, false, Some(1))],
            hello,
        ),
        echoed(
            "6.2.4",
            format!(
                "{one_octet}<br><br>MESSAGE:<br>{}<br>{}",
                part_text(KOSME),
                hex(KOSME)
            ),
            EXPECT_ECHO,
            vec![message(KOSME, false, Some(1))],
            KOSME,
        ),
    ]
}

/// A message the peer must reject: no echo, the peer fails with 1007.
fn rejected(id: &str, description: String, steps: Vec<Step>) -> Case {
    Case {
        steps,
        expected: ok(vec![]),
        expected_close: peer_fails_invalid_utf8(),
        ..case(id, description, EXPECT_FAIL)
    }
}

/// 6.3: "κόσμε" + a UTF-16 surrogate (invalid at octet 12) + "edited".
fn invalid_whole() -> Vec<Case> {
    let payload = [KOSME, b"\xed\xa0\x80", b"edited"].concat();
    let one_octet = "Send invalid UTF-8 text message in fragments of 1 octet, resulting in frames \
                     ending on positions which are not code point ends.";
    vec![
        rejected(
            "6.3.1",
            format!(
                "Send invalid UTF-8 text message unfragmented.<br><br>MESSAGE:<br>{}",
                hex(&payload)
            ),
            vec![message(payload.clone(), false, None), kill_after(secs(1))],
        ),
        rejected(
            "6.3.2",
            format!("{one_octet}<br><br>MESSAGE:<br>{}", hex(&payload)),
            vec![
                message(payload.clone(), false, Some(1)),
                kill_after(secs(1)),
            ],
        ),
    ]
}

/// 6.4: fail fast. Part 1 is valid, part 2 makes the text invalid (U+110000 in the
/// 4-octet scheme, invalid at its second octet, octet 12 of the message), part 3 is
/// the rest; a second passes after parts 1 and 2. A fail-fast peer fails the
/// connection during the second wait (OK), a slower one during the third (NON-STRICT).
fn fail_fast() -> Vec<Case> {
    let payload = [KOSME, b"\xf4\x90\x80\x80", b"edited"].concat();
    let (whole_parts, octet_parts) = (
        [&payload[..11], &payload[11..15], &payload[15..]],
        [&payload[..12], &payload[12..13], &payload[13..]],
    );
    let parts_text = |p1: &[u8], p2: &[u8], p3: &[u8]| {
        format!(
            "\n<br><br>MESSAGE PARTS:<br>\nPART1 = {}<br>\nPART2 = {}<br>\nPART3 = {}<br>\n",
            hex(p1),
            hex(p2),
            hex(p3)
        )
    };
    let wait = |tag| Step::Wait {
        delay: secs(1),
        tag: Some(tag),
        record: true,
    };
    // Three frames: text (not final), continuation (not final), final continuation.
    let frames = |[p1, p2, p3]: [&[u8]; 3]| {
        vec![
            Step::Frame(FrameSpec::new(1, p1).fin(false)),
            wait("A"),
            Step::Frame(FrameSpec::new(0, p2).fin(false)),
            wait("B"),
            send(0, p3),
            kill_after(secs(1)),
        ]
    };
    // One frame announcing the whole length, its payload written in three chops, then
    // wstest's endMessage: an empty final continuation frame.
    let chops = |[p1, p2, p3]: [&[u8]; 3]| {
        vec![
            Step::FrameStart {
                opcode: 1,
                fin: false,
                len: payload.len() as u64,
            },
            Step::FrameData(p1.to_vec()),
            wait("A"),
            Step::FrameData(p2.to_vec()),
            wait("B"),
            Step::FrameData(p3.to_vec()),
            send(0, b""),
            kill_after(secs(1)),
        ]
    };
    let expect_frames = "The first frame is accepted, we expect to timeout on the first wait. The \
                         2nd frame should be rejected immediately (fail fast on UTF-8). If we \
                         timeout, we expect the connection is failed at least then, since the \
                         complete message payload is not valid UTF-8.";
    let expect_chops = "The first chop is accepted, we expect to timeout on the first wait. The \
                        2nd chop should be rejected immediately (fail fast on UTF-8). If we \
                        timeout, we expect the connection is failed at least then, since the \
                        complete message payload is not valid UTF-8.";
    let [w1, w2, w3] = whole_parts;
    let [o1, o2, _] = octet_parts;
    let fail_fast_case =
        |id: &str, description: String, expectation: &str, steps: Vec<Step>| Case {
            steps,
            expected: ok_or_non_strict(
                vec![Event::Timeout("A")],
                vec![Event::Timeout("A"), Event::Timeout("B")],
            ),
            expected_close: peer_fails_invalid_utf8(),
            timing_sensitive: true,
            expected_duration: secs(1) + QUICK,
            ..case(id, description, expectation)
        };
    vec![
        fail_fast_case(
            "6.4.1",
            format!(
                "Send invalid UTF-8 text message in 3 fragments (frames).\nFirst frame payload is \
                 valid, then wait, then 2nd frame which contains the payload making the sequence \
                 invalid, then wait, then 3rd frame with rest.\nNote that PART1 and PART3 are \
                 valid UTF-8 in themselves, PART2 is a 0x110000 encoded as in the UTF-8 integer \
                 encoding scheme, but the codepoint is invalid (out of range).{}",
                parts_text(w1, w2, w3)
            ),
            expect_frames,
            frames(whole_parts),
        ),
        fail_fast_case(
            "6.4.2",
            format!(
                "Same as Case 6.4.1, but in 2nd frame, we send only up to and including the octet \
                 making the complete payload invalid.{}",
                parts_text(octet_parts[0], octet_parts[1], octet_parts[2])
            ),
            expect_frames,
            frames(octet_parts),
        ),
        fail_fast_case(
            "6.4.3",
            format!(
                "Same as Case 6.4.1, but we send message not in 3 frames, but in 3 chops of the \
                 same message frame.{}",
                parts_text(w1, w2, w3)
            ),
            expect_chops,
            chops(whole_parts),
        ),
        fail_fast_case(
            "6.4.4",
            // wstest prints PART3 as `PAYLOAD3[13:]`, which is empty.
            format!(
                "Same as Case 6.4.2, but we send message not in 3 frames, but in 3 chops of the \
                 same message frame.{}",
                parts_text(o1, o2, b"")
            ),
            expect_chops,
            chops(octet_parts),
        ),
    ]
}

/// The UTF-8 test vectors of 6.5–6.23, one subsection per group, in wstest's order:
/// `(valid, octets)`.
fn vector_groups() -> Vec<Vec<(bool, Vec<u8>)>> {
    fn group(valid: bool, vectors: &[&[u8]]) -> Vec<(bool, Vec<u8>)> {
        vectors.iter().map(|v| (valid, v.to_vec())).collect()
    }
    // 6.6: every prefix of "κόσμε"; valid where it ends on a code point boundary.
    let prefixes = (1..=KOSME.len())
        .map(|n| {
            (
                std::str::from_utf8(&KOSME[..n]).is_ok(),
                KOSME[..n].to_vec(),
            )
        })
        .collect();
    // 6.12.8: the continuation octets 0x80..=0xbe (0xbf is left out, as in wstest).
    let continuations: Vec<u8> = (0x80..0xbf).collect();
    // 6.13: each start octet of a range followed by a space.
    let lonely = |from: u8, to: u8| (from..to).flat_map(|b| [b, b' ']).collect::<Vec<u8>>();
    let missing_last: [&[u8]; 10] = [
        b"\xc0",
        b"\xe0\x80",
        b"\xf0\x80\x80",
        b"\xf8\x80\x80\x80",
        b"\xfc\x80\x80\x80\x80",
        b"\xdf",
        b"\xef\xbf",
        b"\xf7\xbf\xbf",
        b"\xfb\xbf\xbf\xbf",
        b"\xfd\xbf\xbf\xbf\xbf",
    ];
    let high: [&[u8]; 4] = [
        b"\xed\xa0\x80",
        b"\xed\xad\xbf",
        b"\xed\xae\x80",
        b"\xed\xaf\xbf",
    ];
    let low: [&[u8]; 2] = [b"\xed\xb0\x80", b"\xed\xbf\xbf"];
    // 6.22: the non-characters U+FFFE, U+FFFF and U+nFFFE, U+nFFFF of planes 1–16.
    let mut noncharacters = group(true, &[b"\xef\xbf\xbe", b"\xef\xbf\xbf"]);
    for z1 in [0xf0u8, 0xf1, 0xf2, 0xf3, 0xf4] {
        for z2 in [0x8fu8, 0x9f, 0xaf, 0xbf] {
            if z1 == 0xf4 && z2 != 0x8f {
                continue; // beyond U+10FFFF
            }
            for z3 in [0xbeu8, 0xbf] {
                let vector = vec![z1, z2, 0xbf, z3];
                if z1 == 0xf0 && z2 == 0x8f {
                    continue; // overlong
                }
                noncharacters.push((true, vector));
            }
        }
    }
    vec![
        // 6.5 Some valid UTF-8 sequences
        group(
            true,
            &[
                b"hello$world",
                b"hello\xc2\xa2world",
                b"hello\xe2\x82\xacworld",
                b"hello\xf0\xa4\xad\xa2world",
                KOSME,
            ],
        ),
        // 6.6 All prefixes of a valid UTF-8 string that contains multi-byte code points
        prefixes,
        // 6.7 First possible sequence of a certain length
        group(
            true,
            &[b"\x00", b"\xc2\x80", b"\xe0\xa0\x80", b"\xf0\x90\x80\x80"],
        ),
        // 6.8 First possible sequence length 5/6 (invalid codepoints)
        group(
            false,
            &[b"\xf8\x88\x80\x80\x80", b"\xfc\x84\x80\x80\x80\x80"],
        ),
        // 6.9 Last possible sequence of a certain length
        group(
            true,
            &[b"\x7f", b"\xdf\xbf", b"\xef\xbf\xbf", b"\xf4\x8f\xbf\xbf"],
        ),
        // 6.10 Last possible sequence length 4/5/6 (invalid codepoints)
        group(
            false,
            &[
                b"\xf7\xbf\xbf\xbf",
                b"\xfb\xbf\xbf\xbf\xbf",
                b"\xfd\xbf\xbf\xbf\xbf\xbf",
            ],
        ),
        // 6.11 Other boundary conditions
        [
            group(
                true,
                &[
                    b"\xed\x9f\xbf",
                    b"\xee\x80\x80",
                    b"\xef\xbf\xbd",
                    b"\xf4\x8f\xbf\xbf",
                ],
            ),
            group(false, &[b"\xf4\x90\x80\x80"]),
        ]
        .concat(),
        // 6.12 Unexpected continuation bytes
        [
            group(
                false,
                &[
                    b"\x80",
                    b"\xbf",
                    b"\x80\xbf",
                    b"\x80\xbf\x80",
                    b"\x80\xbf\x80\xbf",
                    b"\x80\xbf\x80\xbf\x80",
                    b"\x80\xbf\x80\xbf\x80\xbf",
                ],
            ),
            vec![(false, continuations)],
        ]
        .concat(),
        // 6.13 Lonely start characters
        vec![
            (false, lonely(0xc0, 0xdf)),
            (false, lonely(0xe0, 0xef)),
            (false, lonely(0xf0, 0xf7)),
            (false, lonely(0xf8, 0xfb)),
            (false, lonely(0xfc, 0xfd)),
        ],
        // 6.14 Sequences with last continuation byte missing
        group(false, &missing_last),
        // 6.15 Concatenation of incomplete sequences
        vec![(false, missing_last.concat())],
        // 6.16 Impossible bytes
        group(false, &[b"\xfe", b"\xff", b"\xfe\xfe\xff\xff"]),
        // 6.17 Examples of an overlong ASCII character
        group(
            false,
            &[
                b"\xc0\xaf",
                b"\xe0\x80\xaf",
                b"\xf0\x80\x80\xaf",
                b"\xf8\x80\x80\x80\xaf",
                b"\xfc\x80\x80\x80\x80\xaf",
            ],
        ),
        // 6.18 Maximum overlong sequences
        group(
            false,
            &[
                b"\xc1\xbf",
                b"\xe0\x9f\xbf",
                b"\xf0\x8f\xbf\xbf",
                b"\xf8\x87\xbf\xbf\xbf",
                b"\xfc\x83\xbf\xbf\xbf\xbf",
            ],
        ),
        // 6.19 Overlong representation of the NUL character
        group(
            false,
            &[
                b"\xc0\x80",
                b"\xe0\x80\x80",
                b"\xf0\x80\x80\x80",
                b"\xf8\x80\x80\x80\x80",
                b"\xfc\x80\x80\x80\x80\x80",
            ],
        ),
        // 6.20 Single UTF-16 surrogates
        group(
            false,
            &[
                b"\xed\xa0\x80",
                b"\xed\xad\xbf",
                b"\xed\xae\x80",
                b"\xed\xaf\xbf",
                b"\xed\xb0\x80",
                b"\xed\xbe\x80",
                b"\xed\xbf\xbf",
            ],
        ),
        // 6.21 Paired UTF-16 surrogates
        high.iter()
            .flat_map(|h| low.iter().map(move |l| (false, [*h, *l].concat())))
            .collect(),
        // 6.22 Non-character code points (valid UTF-8)
        noncharacters,
        // 6.23 Unicode specials (i.e. replacement char)
        group(
            true,
            &[
                b"\xef\xbf\xb9",
                b"\xef\xbf\xba",
                b"\xef\xbf\xbb",
                b"\xef\xbf\xbc",
                b"\xef\xbf\xbd",
                b"\xef\xbf\xbe",
                b"\xef\xbf\xbf",
            ],
        ),
    ]
}

/// 6.5–6.23: each vector as one text message; valid ones echoed, invalid ones failed.
fn vectors() -> Vec<Case> {
    let mut cases = Vec::new();
    for (sub, group) in (5..).zip(vector_groups()) {
        for (x, (valid, payload)) in (1..).zip(group) {
            let id = format!("6.{sub}.{x}");
            let steps = vec![message(payload.clone(), false, None), kill_after(ms(500))];
            let octets = hex(&payload);
            cases.push(if valid {
                Case {
                    steps,
                    expected: ok(vec![text(payload)]),
                    ..case(
                        &id,
                        format!(
                            "Send a text message with payload which is valid UTF-8 in one \
                             fragment.<br><br>Payload: 0x{octets}"
                        ),
                        EXPECT_ECHO,
                    )
                }
            } else {
                rejected(
                    &id,
                    format!(
                        "Send a text message with payload which is not valid UTF-8 in one \
                         fragment.<br><br>Payload: 0x{octets}"
                    ),
                    steps,
                )
            });
        }
    }
    cases
}

pub(super) fn cases() -> Vec<Case> {
    let mut cases = empty_fragments();
    cases.extend(valid_split());
    cases.extend(invalid_whole());
    cases.extend(fail_fast());
    cases.extend(vectors());
    cases
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_vector_is_valid_exactly_when_std_decodes_it() {
        for group in vector_groups() {
            for (valid, payload) in group {
                assert_eq!(
                    std::str::from_utf8(&payload).is_ok(),
                    valid,
                    "{payload:02x?}"
                );
            }
        }
    }

    #[test]
    fn the_generated_subsections_have_wstests_sizes() {
        let sizes: Vec<usize> = vector_groups().iter().map(Vec::len).collect();
        assert_eq!(
            sizes,
            [5, 11, 4, 2, 4, 3, 5, 8, 5, 10, 1, 3, 5, 5, 5, 7, 8, 34, 7]
        );
    }

    #[test]
    fn fail_fast_parts_split_at_the_first_invalid_octet() {
        let payload = [KOSME, b"\xf4\x90\x80\x80", b"edited"].concat();
        let valid_up_to = std::str::from_utf8(&payload).unwrap_err().valid_up_to();
        assert_eq!(valid_up_to, 11);
        // The octet after the valid prefix's lead octet is the first that cannot fit.
        assert!(std::str::from_utf8(&payload[..12])
            .unwrap_err()
            .error_len()
            .is_none());
        assert!(std::str::from_utf8(&payload[..13])
            .unwrap_err()
            .error_len()
            .is_some());
    }
}
