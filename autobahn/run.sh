#!/usr/bin/env bash
# Runs the real, pinned Autobahn wstest against the reference testees and gates on the
# checked-in expected results.
#
#   autobahn/run.sh server [--cases PATTERN...] [--exclude PATTERN...] [--out DIR]
#       wstest -m fuzzingclient tests the reference echo server.
#   autobahn/run.sh client [--cases PATTERN...] [--exclude PATTERN...] [--out DIR]
#       wstest -m fuzzingserver tests the reference testee client.
#
# Patterns are wstest's: "6.4.*", "12.1.1", "*" (default). The report directory
# (index.json, per-case JSON and HTML) goes to --out (default target/autobahn/<mode>).
# Exit status: 0 when every case that ran matches autobahn/expected/<mode>.json under the
# strict policy, 1 on a regression, 2 on a usage or set-up error.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"

usage() {
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

mode="${1:-}"
[[ "$mode" == server || "$mode" == client ]] || usage
shift
cases=()
excludes=()
out=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --cases) shift; while [[ $# -gt 0 && "$1" != --* ]]; do cases+=("$1"); shift; done ;;
        --exclude) shift; while [[ $# -gt 0 && "$1" != --* ]]; do excludes+=("$1"); shift; done ;;
        --out) out="${2:?--out needs a directory}"; shift 2 ;;
        -h|--help) usage ;;
        *) echo "run.sh: unknown argument $1" >&2; usage ;;
    esac
done
[[ ${#cases[@]} -gt 0 ]] || cases=("*")
out="${out:-$root/target/autobahn/$mode}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log() { echo "run.sh: $*" >&2; }

wstest="$("$here/install-wstest.sh" | tail -1)" || { log "could not install wstest"; exit 2; }

log "building the testees"
cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p wsspec-autobahn -p wsspec --bins
bin="$root/target/release"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Polls until something accepts TCP connections on 127.0.0.1:$1 (at most $2 seconds).
wait_for_port() {
    local port="$1" deadline=$((SECONDS + $2))
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            log "nothing is listening on 127.0.0.1:$port after $2 s"
            return 1
        fi
        sleep 0.1
    done
}

# Writes the spec for this run: the checked-in template with the port, outdir and case
# selection of this run filled in.
write_spec() {
    python3 - "$here/config/$1" "$spec" "$port" "$out" "${#cases[@]}" "${cases[@]}" "${excludes[@]}" <<'PY'
import json, sys
template, target, port, outdir, ncases = sys.argv[1:6]
rest = sys.argv[6:]
cases, excludes = rest[:int(ncases)], rest[int(ncases):]
spec = json.load(open(template))
spec.pop("comment", None)
url = "ws://127.0.0.1:%s" % port
if "servers" in spec:
    spec["servers"][0]["url"] = url
else:
    spec["url"] = url
spec["outdir"] = outdir
spec["cases"] = cases
spec["exclude-cases"] = excludes
json.dump(spec, open(target, "w"), indent=2)
PY
}

port="$(free_port)"
spec="$out/spec.json"
agent_server="wsspec-echo-server"
agent_client="wsspec-testee-client"
start=$SECONDS

if [[ "$mode" == server ]]; then
    "$bin/echo-server" --listen "127.0.0.1:$port" >"$out/echo-server.log" 2>&1 &
    pids+=($!)
    wait_for_port "$port" 30 || exit 2
    write_spec fuzzingclient.json
    log "wstest -m fuzzingclient against the echo server on port $port"
    (cd "$out" && "$wstest" -m fuzzingclient -s "$spec") >"$out/wstest.log" 2>&1 \
        || { log "wstest failed; see $out/wstest.log"; tail -20 "$out/wstest.log" >&2; exit 2; }
    agent="$agent_server"
else
    write_spec fuzzingserver.json
    (cd "$out" && exec "$wstest" -m fuzzingserver -s "$spec" -u 0) >"$out/wstest.log" 2>&1 &
    pids+=($!)
    wait_for_port "$port" 60 || { tail -20 "$out/wstest.log" >&2; exit 2; }
    log "testee-client against wstest -m fuzzingserver on port $port"
    "$bin/testee-client" --url "ws://127.0.0.1:$port" --agent "$agent_client" >"$out/testee-client.log" 2>&1 \
        || { log "testee-client failed; see $out/testee-client.log"; tail -20 "$out/testee-client.log" >&2; exit 2; }
    agent="$agent_client"
fi
log "$mode run finished in $((SECONDS - start)) s; report in $out"

[[ -f "$out/index.json" ]] || { log "wstest wrote no index.json to $out"; exit 2; }
"$bin/wsspec" report "$out" --agent "$agent" --format text | head -40 || true
log "comparing with autobahn/expected/$mode.json (strict)"
ignore=(); [[ "${cases[*]}" == "*" && ${#excludes[@]} -eq 0 ]] || ignore=(--ignore-missing)
"$bin/wsspec" compare "$here/expected/$mode.json" "$out" --agent "$agent" --policy strict "${ignore[@]}"
