#!/usr/bin/env python3
"""Turn wstest (or wsspec) per-case reports into seed files for the fuzz targets.

Each per-case report (`<agent>_case_<id>.json`, see AUTOBAHN-CATALOG.md §5) carries the
raw handshake (`httpRequest`, `httpResponse`) and a wire log whose `TO` / `RO` rows are
the octets written and read, one row per TCP write/read, as hex. Rows longer than 64
octets are truncated in the log ("... "), so a byte stream is rebuilt only up to the
first truncated row.

Which way a row went depends on who wstest was: with `isServer` false (fuzzingclient)
`TO` rows are a client's masked frames (a server decodes them) and `RO` rows are the
server's; with `isServer` true (fuzzingserver) the other way round.

Seeds written, in the byte layouts documented in fuzz/src/*.rs:
  frame_decode  flags + the stream (role, 64 KiB frame limit, RSV1 when deflate was agreed)
  split_stream  flags + the TCP read sizes as the chunk plan + the stream
  handshake     the request (server side) / the response (client side; its accept value
                rewritten for the fixed RFC key the target's client sends)
  inflate       the payload of each complete RSV1 frame, with the agreed parameters

Usage: autobahn_corpus.py OUT_CORPUS_DIR REPORT_DIR_OR_FILE... [--per-target N]
"""

import argparse
import base64
import hashlib
import json
import os
import re
import sys

RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
FRAME_LIMIT_64K = 7  # index into MAX_FRAME (fuzz/src/input.rs)
HANDSHAKE_LIMIT_16K = 3  # index into MAX_HANDSHAKE
MESSAGE_LIMIT_1M = 7  # index into MAX_MESSAGE


def accept_key(key):
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def row_bytes(row):
    """The octets of a TO/RO row, or None if the log truncated them."""
    length, text = row[1][0], row[1][1]
    hexpart = text.split(" ")[0]
    if len(hexpart) != 2 * length:
        return None
    return bytes.fromhex(hexpart)


def streams(report):
    """(bytes a server decodes, bytes a client decodes), each up to a truncated row."""
    to_server, to_client = bytearray(), bytearray()
    broken = {"server": False, "client": False}
    heads_left = {"server": True, "client": True}
    wstest_is_server = report.get("isServer", False)
    for row in report.get("wirelog", []):
        if row[0] not in ("TO", "RO"):
            continue
        written = row[0] == "TO"
        # Who receives these octets: wstest's writes go to the testee and vice versa.
        receiver = ("client" if wstest_is_server else "server") if written else (
            "server" if wstest_is_server else "client")
        if broken[receiver]:
            continue
        data = row_bytes(row)
        if data is None:
            if heads_left[receiver]:
                # A long handshake head is truncated too; the frames follow in later rows.
                heads_left[receiver] = False
                continue
            broken[receiver] = True
            continue
        if heads_left[receiver]:
            heads_left[receiver] = False
            if data.startswith((b"GET ", b"HTTP/")):
                end = data.find(b"\r\n\r\n")
                if end < 0:
                    continue
                data = data[end + 4:]
        (to_server if receiver == "server" else to_client).extend(data)
    return bytes(to_server), bytes(to_client)


def read_sizes(report, receiver):
    """TCP read sizes of the rows reaching `receiver` (as chunk plan bytes)."""
    wstest_is_server = report.get("isServer", False)
    sizes = []
    for row in report.get("wirelog", []):
        if row[0] not in ("TO", "RO"):
            continue
        written = row[0] == "TO"
        to = ("client" if wstest_is_server else "server") if written else (
            "server" if wstest_is_server else "client")
        if to == receiver:
            sizes.append(max(1, min(256, row[1][0])) - 1)
    return bytes(sizes[1:17])  # skip the handshake row


def deflate_params(response):
    """The permessage-deflate parameters a response agreed, as the target's params byte."""
    m = re.search(r"(?im)^sec-websocket-extensions:\s*(.*)$", response or "")
    if not m or "permessage-deflate" not in m.group(1):
        return None
    value = m.group(1).strip()
    params = 0
    if "server_no_context_takeover" in value:
        params |= 1
    if "client_no_context_takeover" in value:
        params |= 2
    sb = re.search(r"server_max_window_bits=(\d+)", value)
    cb = re.search(r"client_max_window_bits=(\d+)", value)
    params |= ((int(sb.group(1)) if sb else 15) - 8) << 2
    params |= ((int(cb.group(1)) if cb else 15) - 8) << 5
    return params


def frames(stream):
    """(rsv, unmasked payload) of every complete frame at the start of `stream`."""
    out, at = [], 0
    while len(stream) - at >= 2:
        b0, b1 = stream[at], stream[at + 1]
        n = b1 & 0x7F
        ext = 2 if n == 126 else 8 if n == 127 else 0
        masked = b1 & 0x80
        hlen = 2 + ext + (4 if masked else 0)
        if len(stream) - at < hlen:
            break
        if ext:
            n = int.from_bytes(stream[at + 2:at + 2 + ext], "big")
        if len(stream) - at - hlen < n:
            break
        payload = bytearray(stream[at + hlen:at + hlen + n])
        if masked:
            key = stream[at + 2 + ext:at + 6 + ext]
            for i in range(len(payload)):
                payload[i] ^= key[i % 4]
        out.append(((b0 >> 4) & 7, bytes(payload)))
        at += hlen + n
    return out


def case_section(report):
    return str(report.get("id", "0")).split(".")[0]


def reports(paths):
    for path in paths:
        files = [path] if os.path.isfile(path) else [
            os.path.join(path, f) for f in sorted(os.listdir(path))
            if f.endswith(".json") and "_case_" in f]
        for f in files:
            with open(f) as fh:
                yield json.load(fh)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("reports", nargs="+")
    ap.add_argument("--per-target", type=int, default=24)
    args = ap.parse_args()

    # target -> section -> [(name, bytes)]; a round robin over sections keeps variety.
    found = {t: {} for t in ("frame_decode", "split_stream", "handshake", "inflate")}
    seen = set()

    def add(target, section, name, data):
        digest = hashlib.sha1(target.encode() + data).hexdigest()
        if digest in seen:
            return
        seen.add(digest)
        found[target].setdefault(section, []).append((name, data))

    for rep in reports(args.reports):
        case = str(rep.get("id", "?")).replace(".", "_")
        section = case_section(rep)
        where = "c" if rep.get("isServer") else "s"
        params = deflate_params(rep.get("httpResponse"))
        rsv1 = 0x10 if params is not None else 0
        for role_bit, receiver, stream in ((0, "server", streams(rep)[0]),
                                           (1, "client", streams(rep)[1])):
            if not stream or len(stream) > 4096:
                continue
            flags = role_bit | (FRAME_LIMIT_64K << 1) | rsv1
            name = f"ab-{where}-{case}-{receiver}"
            add("frame_decode", section, name, bytes([flags]) + stream)
            plan = read_sizes(rep, receiver)
            add("split_stream", section, name,
                bytes([flags, len(plan)]) + plan + stream)
            if params is not None:
                for i, (rsv, payload) in enumerate(frames(stream)):
                    if rsv & 4 and payload:
                        inflate_flags = (MESSAGE_LIMIT_1M << 1) | (0 if receiver == "server" else 0x10)
                        add("inflate", section, f"{name}-{i}",
                            bytes([inflate_flags, params, 0]) + payload)
        request = rep.get("httpRequest")
        if request:
            req = re.sub(r"(?im)^(sec-websocket-key:\s*)\S+", r"\g<1>" + RFC_KEY, request)
            add("handshake", section, f"ab-{where}-{case}-request",
                bytes([HANDSHAKE_LIMIT_16K << 1, 0]) + req.encode("latin-1"))
        response = rep.get("httpResponse")
        if response and response.startswith("HTTP/"):
            resp = re.sub(r"(?im)^(sec-websocket-accept:\s*)\S+",
                          r"\g<1>" + accept_key(RFC_KEY), response)
            flags = 1 | (HANDSHAKE_LIMIT_16K << 1)
            if re.search(r"(?im)^sec-websocket-extensions:", resp):
                flags |= 0x10
            add("handshake", section, f"ab-{where}-{case}-response",
                bytes([flags, 0]) + resp.encode("latin-1"))

    total = 0
    for target, sections in found.items():
        os.makedirs(os.path.join(args.out, target), exist_ok=True)
        queues = [list(v) for _, v in sorted(sections.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0)]
        picked = []
        while len(picked) < args.per_target and any(queues):
            for q in queues:
                if q and len(picked) < args.per_target:
                    picked.append(q.pop(0))
        for name, data in picked:
            with open(os.path.join(args.out, target, name), "wb") as fh:
                fh.write(data)
        total += len(picked)
        print(f"{target}: {len(picked)} seeds", file=sys.stderr)
    print(f"{total} seeds written under {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
