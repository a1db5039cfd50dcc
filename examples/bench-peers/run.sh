#!/usr/bin/env bash
# Benchmarks the reference echo server (`wsspec echo`, permessage-deflate off) against
# tokio-tungstenite's, fastwebsockets' and Node ws's echo servers with `wsspec bench`,
# the same settings for each, and prints a Markdown table.
#
# Usage: examples/bench-peers/run.sh [SERVER…]   (default: wsspec tungstenite fastwebsockets node-ws)
# Environment: DURATION (measured seconds per scenario, default 10), WARMUP (default 2),
# SCENARIOS (space-separated CONNECTIONSxBYTES, default "100x20 10x16384 1x1048576"),
# OUT (JSON results, default target/bench-peers/results).
#
# Needs cargo, node and npm, jq. Load generator and servers share the machine's cores:
# the numbers compare the servers with each other on this machine, nothing more.
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
SCENARIOS=${SCENARIOS:-"100x20 10x16384 1x1048576"}
OUT=${OUT:-target/bench-peers/results}
if [[ $# -gt 0 ]]; then SERVERS=("$@"); else SERVERS=(wsspec tungstenite fastwebsockets node-ws); fi

for tool in cargo node npm jq; do
    command -v "$tool" >/dev/null || { echo "run.sh: needs $tool on PATH" >&2; exit 2; }
done

echo "building…" >&2
cargo build --release --quiet -p wsspec
cargo build --release --quiet --manifest-path examples/bench-peers/Cargo.toml \
    --target-dir target/bench-peers
(cd examples/bench-peers/node && npm ci --no-audit --no-fund --silent)
mkdir -p "$OUT"

free_port() {
    node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
        console.log(s.address().port); s.close(); });'
}

wait_ready() { # PORT PID: poll until the port accepts connections (10 s at most)
    for _ in $(seq 200); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

server_pid=""
stop_server() {
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
trap stop_server EXIT

start_server() { # NAME PORT
    local addr="127.0.0.1:$2"
    # `exec` in a subshell, so that $! is the server itself (to stop it) and its output
    # goes to the log, not to whoever reads ours.
    (
        exec >>"$OUT/$1.log" 2>&1
        case $1 in
            wsspec) exec target/release/wsspec echo --listen "$addr" --no-deflate --ping-interval 0 ;;
            tungstenite) exec target/bench-peers/release/tungstenite-echo "$addr" ;;
            fastwebsockets) exec target/bench-peers/release/fastwebsockets-echo "$addr" ;;
            node-ws) exec node examples/bench-peers/node/echo.js "$2" 127.0.0.1 ;;
            *) echo "run.sh: unknown server $1"; exit 2 ;;
        esac
    ) &
    server_pid=$!
    wait_ready "$2" "$server_pid" || { echo "run.sh: $1 did not start (see $OUT/$1.log)" >&2; return 1; }
}

for server in "${SERVERS[@]}"; do
    port=$(free_port)
    : >"$OUT/$server.log"
    start_server "$server" "$port"
    for scenario in $SCENARIOS; do
        connections=${scenario%x*}
        size=${scenario#*x}
        echo "$server: $connections connections × $size B, ${WARMUP} s + ${DURATION} s…" >&2
        # Exit 1 means errors or timeouts: they are in the JSON and the table.
        target/release/wsspec bench "ws://127.0.0.1:$port" --connections "$connections" \
            --size "$size" --binary --duration "$DURATION" --warmup "$WARMUP" \
            --json "$OUT/$server-$scenario.json" >/dev/null || true
    done
    stop_server
done

cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)
echo
echo "$(date -u +%Y-%m-%d), ${cpu:-unknown CPU}, $(nproc) cores shared by load generator and server;"
echo "closed loop, binary messages, ${WARMUP} s warm-up + ${DURATION} s measured per row."
echo
echo "| connections × size | server | msg/s | MB/s | p50 ms | p99 ms | p99.9 ms | max ms | errors |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
for scenario in $SCENARIOS; do
    for server in "${SERVERS[@]}"; do
        file="$OUT/$server-$scenario.json"
        [[ -f $file ]] || continue
        jq -r --arg server "$server" '
            def ms: if . == null then "-" else (. * 1000 | round / 1000 | tostring) end;
            def size: if .size >= 1048576 then "\(.size / 1048576) MiB"
                      elif .size >= 1024 then "\(.size / 1024) KiB" else "\(.size) B" end;
            "| \(.connections) × \(size) | \($server) | \(.messages_per_s | round) "
            + "| \(.mb_per_s * 100 | round / 100) | \(.latency_ms.p50 | ms) "
            + "| \(.latency_ms.p99 | ms) | \(.latency_ms["p99.9"] | ms) "
            + "| \(.latency_ms.max | ms) "
            + "| \(.errors.connect + .errors.protocol + .errors.timeouts + .errors.disconnects) |"
        ' "$file"
    done
done
