#!/usr/bin/env python3
"""Measures the memory of the reference echo server per idle connection.

    autobahn/idle-memory.py [--wsspec target/release/wsspec] [-n 10000] [--tls]

Starts `wsspec echo` on a free loopback port (keepalive pings on, the idle timeout off so
that silent connections stay open), reads its resident set (VmRSS), opens N connections
and completes the WebSocket opening handshake on each (over TLS with --tls, with a
certificate made by openssl), lets the server settle, reads VmRSS again and prints the
difference per connection. Then it closes everything and stops the server with SIGTERM.
Standard library only; Linux (/proc).
"""

import argparse
import asyncio
import base64
import os
import re
import resource
import signal
import ssl
import subprocess
import sys
import tempfile
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def make_cert(d):
    key, cert = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "1", "-keyout", key, "-out", cert, "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True)
    return cert, key


async def open_one(host, port, ctx, sem, keep):
    async with sem:
        reader, writer = await asyncio.open_connection(host, port, ssl=ctx)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
             f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
             "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(head.decode(errors="replace"))
        keep.append((reader, writer))


async def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--wsspec", default=os.path.join(os.path.dirname(__file__), "..", "target", "release", "wsspec"))
    p.add_argument("-n", type=int, default=10000)
    p.add_argument("--tls", action="store_true")
    args = p.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < args.n + 100:
        sys.exit(f"the open-file limit ({hard}) is below {args.n} connections")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    tmp = tempfile.mkdtemp()
    cmd = [args.wsspec, "echo", "--listen", "127.0.0.1:0", "--idle-timeout", "0"]
    ctx = None
    if args.tls:
        cert, key = make_cert(tmp)
        cmd += ["--tls-cert", cert, "--tls-key", key]
        ctx = ssl.create_default_context(cafile=cert)
    server = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    line = server.stderr.readline()
    m = re.search(r"listening on wss?://([\d.]+):(\d+)", line)
    if not m:
        server.kill()
        sys.exit(f"unexpected: {line!r}")
    host, port = m.group(1), int(m.group(2))
    before = rss_kib(server.pid)

    keep = []
    sem = asyncio.Semaphore(200)
    t0 = time.monotonic()
    await asyncio.gather(*(open_one(host, port, ctx, sem, keep) for _ in range(args.n)))
    opened = time.monotonic() - t0
    await asyncio.sleep(2)  # the keepalive pings at open go out; the server settles
    after = rss_kib(server.pid)

    scheme = "wss" if args.tls else "ws"
    per = (after - before) / args.n
    print(f"{scheme}: {args.n} idle connections opened in {opened:.1f} s; server RSS "
          f"{before / 1024:.1f} MiB before, {after / 1024:.1f} MiB after: "
          f"{per:.1f} KiB per idle connection")

    for _, w in keep:
        w.close()
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)


if __name__ == "__main__":
    asyncio.run(main())
