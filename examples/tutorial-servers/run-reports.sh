#!/bin/sh
# Regenerates reports/: starts each tutorial server on a free port, runs `wsspec run`
# against it (the two RFC 6455 servers with the whole catalog, --suite all; the draft-76
# one with the legacy section 105) and keeps the Markdown summary and the HTML report.
#
#   examples/tutorial-servers/run-reports.sh            # builds and runs wsspec with cargo
#   WSSPEC=/path/to/wsspec examples/tutorial-servers/run-reports.sh
#
# Needs node. The naive server takes the longest (about ten minutes): it never answers
# many of section 9's messages, so those cases wait out wstest's own time budgets.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out="$here/reports"
work=$(mktemp -d "${TMPDIR:-/tmp}/wsspec-tutorial-servers.XXXXXX")
pids=""
cleanup() {
    for pid in $pids; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

if [ -z "${WSSPEC:-}" ]; then
    (cd "$here/../.." && cargo build --release -q -p wsspec)
    WSSPEC="$here/../../target/release/wsspec"
fi
case "$WSSPEC" in
    /*) ;;
    */*) WSSPEC="$PWD/$WSSPEC" ;;
esac
mkdir -p "$out"

# start SCRIPT: runs the server on port 0 and sets $port to the one it printed.
start() {
    : >"$work/$1.log"
    node "$here/$1" 0 >"$work/$1.log" 2>&1 &
    pids="$pids $!"
    port=""
    tries=0
    while [ -z "$port" ]; do
        port=$(sed -n 's#^listening on ws://127.0.0.1:\([0-9]*\)/$#\1#p' "$work/$1.log")
        tries=$((tries + 1))
        if [ "$tries" -gt 100 ]; then
            echo "run-reports: $1 did not start:" >&2
            cat "$work/$1.log" >&2
            exit 2
        fi
        [ -n "$port" ] || sleep 0.1
    done
}

# report NAME ARGS...: runs wsspec against $port, keeps NAME.md and NAME.html.
report() {
    name=$1
    shift
    status=0
    # From the work directory, so the report names the run by the server alone.
    (cd "$work" && "$WSSPEC" run "ws://127.0.0.1:$port/" --agent "$name" --out "$name" -q \
        --format md --output "$out/$name.md" "$@") || status=$?
    # 1 means cases failed, which is the point; anything else is an error.
    if [ "$status" -gt 1 ]; then
        echo "run-reports: wsspec run against $name exited $status" >&2
        exit "$status"
    fi
    cp "$work/$name/index.html" "$out/$name.html"
    echo "run-reports: $name: $(head -1 "$out/$name.md" | sed 's/^## //')"
}

start naive6455.js
report naive6455 --suite all
start careful6455.js
report careful6455 --suite all
start hixie76.js
report hixie76 --suite wsspec --cases '105.*'
