#!/usr/bin/env python3
"""Write the hand-made seeds: the RFCs' and the draft's own examples.

RFC 6455 §5.7 example frames and §1.3 handshake, RFC 7692 §7.2.3 compressed payloads
(plus a few made with zlib: several window sizes, a decompression bomb), the
draft-hixie-76 §1.3 handshake, UTF-8 samples from Autobahn section 6, and a few seeds
for the `arbitrary`-driven targets. Layouts are those documented in fuzz/src/*.rs.

Usage: rfc_corpus.py OUT_CORPUS_DIR
"""

import os
import random
import sys
import zlib

FRAME_64K = 7 << 1  # frame_decode flags: MAX_FRAME index 7 (64 KiB)
SERVER, CLIENT = 0, 1


def frames():
    """(name, receiving role, wire bytes)"""
    hello = b"Hello"
    return [
        ("rfc6455-5.7-unmasked-text", CLIENT, bytes.fromhex("810548656c6c6f")),
        ("rfc6455-5.7-masked-text", SERVER, bytes.fromhex("818537fa213d7f9f4d5158")),
        ("rfc6455-5.7-fragmented", CLIENT, bytes.fromhex("010348656c8002 6c6f".replace(" ", ""))),
        ("rfc6455-5.7-ping", CLIENT, bytes.fromhex("890548656c6c6f")),
        ("rfc6455-5.7-masked-pong", SERVER, bytes.fromhex("8a8537fa213d7f9f4d5158")),
        ("rfc6455-5.7-256-binary", CLIENT, bytes.fromhex("827e0100") + bytes(range(256))),
        ("rfc6455-5.7-64k-binary-header", CLIENT, bytes.fromhex("827f0000000000010000") + hello),
        ("length-msb-set", CLIENT, bytes.fromhex("827f8000000000000000")),
        ("control-too-long", CLIENT, bytes.fromhex("897e007e") + b"x" * 126),
        ("reserved-opcode", SERVER, bytes.fromhex("8380") + bytes(4)),
        ("close-1000", SERVER, bytes.fromhex("88820102030402ea")),
        ("fragmented-control", CLIENT, bytes.fromhex("0900")),
    ]


def deflate_raw(data, wbits=15, level=6):
    c = zlib.compressobj(level, zlib.DEFLATED, -wbits)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def inflate_seeds():
    """(name, flags, params, payload); params: window bits 15 both ways unless said."""
    bits15 = (7 << 2) | (7 << 5)
    limit = 7 << 1  # MAX_MESSAGE index 7 (1 MiB)
    small = 4 << 1  # 1000 bytes
    seeds = [
        ("rfc7692-7.2.3.1-hello", limit, bits15, bytes.fromhex("f248cdc9c90700")),
        ("rfc7692-7.2.3.2-shared-window", limit, bits15, bytes.fromhex("f248cdc9c90700")),
        ("rfc7692-7.2.3.3-stored", limit, bits15, bytes.fromhex("000500faff48656c6c6f00")),
        ("rfc7692-7.2.3.4-bfinal", limit, bits15, bytes.fromhex("f348cdc9c9070000")),
        ("rfc7692-7.2.3.5-two-blocks", limit, bits15,
         bytes.fromhex("f2480500000000ffffcac9c90700")),
        ("bomb-1mib-zeros", limit, bits15, deflate_raw(bytes(1 << 20), level=9)),
        ("bomb-over-small-limit", small, bits15, deflate_raw(b"a" * 5000, level=9)),
        ("text-window-9", limit, (1 << 2) | (1 << 5),
         deflate_raw(b"Hello, world! " * 40, wbits=9)),
        ("no-context-takeover", limit | 0x10, bits15 | 3, deflate_raw(b"abcabcabc" * 20)),
    ]
    return seeds


UTF8 = [
    ("autobahn-6.2-hello-utf8", b"", "Hello-\u00b5@\u00df\u00f6\u00e4\u00fc\u00e0\u00e1-UTF-8!!".encode()),
    ("kosme-one-byte-reads", b"\x00", "\u03ba\u1f79\u03c3\u03bc\u03b5".encode()),
    ("autobahn-6.4.3-invalid-mid-frame", b"\x0b\x01",
     bytes.fromhex("cebae1bdb9cf83cebcceb5f4908080656469746564")),
    ("surrogate-ed-a0-80", b"\x02", bytes.fromhex("cebae1bdb9cf83cebcceb5eda080656469746564")),
    ("four-byte-max", b"\x00", bytes.fromhex("f48fbfbf")),
    ("truncated-at-end", b"", bytes.fromhex("61e282")),
    ("overlong", b"\x01", bytes.fromhex("c0af")),
]

RFC_REQUEST = (b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
               b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               b"Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n"
               b"Sec-WebSocket-Version: 13\r\n\r\n")
RFC_RESPONSE = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                b"Sec-WebSocket-Protocol: chat\r\n\r\n")
DEFLATE_REQUEST = RFC_REQUEST.replace(
    b"Sec-WebSocket-Version: 13\r\n",
    b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate; "
    b"client_max_window_bits, permessage-deflate; server_max_window_bits=10; "
    b"server_no_context_takeover; client_no_context_takeover\r\n")
DEFLATE_RESPONSE = RFC_RESPONSE.replace(
    b"Sec-WebSocket-Protocol: chat\r\n",
    b"Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Extensions: permessage-deflate; "
    b"client_max_window_bits=12; client_no_context_takeover\r\n")

HIXIE_REQUEST = (b"GET /demo HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\nSec-WebSocket-Protocol: sample\r\n"
                 b"Upgrade: WebSocket\r\nSec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n"
                 b"Origin: http://example.com\r\n\r\n^n:ds[4U")
HIXIE_RESPONSE = (b"HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\n"
                  b"Connection: Upgrade\r\nSec-WebSocket-Origin: http://example.com\r\n"
                  b"Sec-WebSocket-Location: ws://example.com/demo\r\n"
                  b"Sec-WebSocket-Protocol: sample\r\n\r\n8jKS'y:G*Co,Wxa-")


def write(out, target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as fh:
        fh.write(data)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    for name, role, wire in frames():
        write(out, "frame_decode", name, bytes([role | FRAME_64K]) + wire)
        # Split: one byte per read, then reads of 3.
        write(out, "split_stream", name, bytes([role | FRAME_64K, 2, 0, 2]) + wire)
    for name, flags, params, payload in inflate_seeds():
        write(out, "inflate", name, bytes([flags, params, 0]) + payload)
    write(out, "inflate", "rfc7692-hello-in-pieces",
          bytes([7 << 1, (7 << 2) | (7 << 5), 3, 0, 1, 2]) + bytes.fromhex("f248cdc9c90700"))
    for name, plan, text in UTF8:
        write(out, "utf8_stream", name, bytes([7, len(plan)]) + plan + text)
    hs16k = 3 << 1
    for name, flags, head in [
        ("rfc6455-1.3-request", hs16k, RFC_REQUEST),
        ("rfc6455-1.3-response", hs16k | 1 | 0x08, RFC_RESPONSE),
        ("rfc7692-offers-request", hs16k, DEFLATE_REQUEST),
        ("rfc7692-answer-response", hs16k | 1 | 0x08 | 0x10, DEFLATE_RESPONSE),
    ]:
        write(out, "handshake", name, bytes([flags, 0]) + head)
        write(out, "handshake", name + "-bytewise", bytes([flags, 1, 0]) + head)
    write(out, "hixie76", "draft76-1.3-request", bytes([0 | (3 << 2) | 0x40, 0]) + HIXIE_REQUEST)
    write(out, "hixie76", "draft76-1.3-request-bytewise", bytes([0 | (3 << 2), 1, 0]) + HIXIE_REQUEST)
    write(out, "hixie76", "draft76-1.3-response", bytes([1 | (3 << 2), 0]) + HIXIE_RESPONSE)
    write(out, "hixie76", "draft76-frames",
          bytes([2 | (5 << 2), 2, 0, 4]) + b"\x00Hello\xff\x80\x05abcde\x00\xce\xba\xff\xff\x00")
    write(out, "hixie76", "draft76-length-overflow",
          bytes([3 | (7 << 2), 0]) + b"\x80" + b"\xff" * 11)
    # The arbitrary-driven targets start from a few fixed pseudo-random inputs.
    rng = random.Random(6455)
    for target in ("roundtrip", "connection"):
        for i, n in enumerate((16, 64, 256, 1024)):
            write(out, target, f"random-{i}", bytes(rng.randrange(256) for _ in range(n)))
    for i, n in enumerate((64, 512)):
        write(out, "inflate", f"roundtrip-random-{i}",
              b"\x01" + bytes(rng.randrange(256) for _ in range(n)))


if __name__ == "__main__":
    main()
