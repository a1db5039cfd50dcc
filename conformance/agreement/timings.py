"""Writes the timings table of an agreement run as Markdown on stdout.

    python3 timings.py [--clients] OUT_DIR SUBJECT...

Reads OUT_DIR/<subject>/wstest.seconds, wsspec.seconds and wsspec.rss-kib, as written by
conformance/agreement.sh; a missing figure shows as a dash. The subjects are servers
(tested by `wsspec run`) or, with --clients, clients (tested by `wsspec serve`).
"""

import os
import sys


def read(path):
    try:
        with open(path) as f:
            text = f.read().strip()
        return float(text) if text else None
    except (OSError, ValueError):
        return None


def main(argv):
    subject, tool = "server", "wsspec run"
    if argv[:1] == ["--clients"]:
        subject, tool = "client", "wsspec serve"
        argv = argv[1:]
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out, servers = argv[0], argv[1:]
    print("| %s | wstest (s) | %s (s) | wstest / wsspec | wsspec peak RSS (MiB) |" % (subject, tool))
    print("|---|---:|---:|---:|---:|")
    for server in servers:
        d = os.path.join(out, server)
        wstest = read(os.path.join(d, "wstest.seconds"))
        wsspec = read(os.path.join(d, "wsspec.seconds"))
        rss = read(os.path.join(d, "wsspec.rss-kib"))
        ratio = "%.1f×" % (wstest / wsspec) if wstest and wsspec else "–"
        print(
            "| %s | %s | %s | %s | %s |"
            % (
                server,
                "%.1f" % wstest if wstest is not None else "–",
                "%.1f" % wsspec if wsspec is not None else "–",
                ratio,
                "%.1f" % (rss / 1024) if rss is not None else "–",
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
