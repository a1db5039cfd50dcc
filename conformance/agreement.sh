#!/usr/bin/env bash
# Agreement harness: runs the real, pinned Autobahn wstest and wsspec's native suite against
# the same peers, times both, and compares their verdicts case by case.
#
#   conformance/agreement.sh [servers] [--servers echo,node-ws,python-websockets] [--cases PAT...]
#                            [--skip-wstest] [--skip-wsspec] [--out DIR]
#       wstest -m fuzzingclient vs `wsspec run` on servers.
#   conformance/agreement.sh clients [--clients testee,node-ws,python-websockets] [--cases PAT...]
#                            [--skip-wstest] [--skip-wsspec] [--out DIR]
#       wstest -m fuzzingserver vs `wsspec serve` on clients.
#   conformance/agreement.sh tls [--servers echo,node-ws] [--cases PAT...] [--out DIR]
#       `wsspec run ws://` vs `wsspec run wss://` (certificates made with openssl, --ca) on
#       the same servers, plain and over TLS (Node: `https` + `ws`); the verdicts must be
#       equal. Results in DIR/tls/<server>/{ws,wss}/ and DIR/tls/agreement.md.
#
#   --servers      comma-separated subjects (default: all three)
#                    echo               this repo's reference echo server (target/release/echo-server)
#                    node-ws            Node `ws`, pinned in agreement/servers/node-ws/package-lock.json
#                    python-websockets  Python `websockets`, pinned in agreement/servers/python-websockets/requirements.txt
#   --clients      comma-separated subjects (default: all three)
#                    testee             this repo's reference testee client (target/release/testee-client)
#                    node-ws            Node `ws` client (agreement/clients/node-ws), same pin as the server
#                    python-websockets  Python `websockets` client (agreement/clients/python-websockets), same pin
#   --cases        wstest case patterns ("6.4.*", "12.1.1"; default: the full catalog)
#   --skip-wstest  keep the wstest results already in DIR (run the wsspec half only)
#   --skip-wsspec  keep the wsspec results already in DIR (run the wstest half only)
#   --out          output directory (default: target/agreement)
#
# Environment: WSSPEC_BIN runs that wsspec binary instead of building target/release/wsspec.
#
# Per subject, DIR/<server>/ (servers) or DIR/clients/<client>/ (clients) holds wstest/ and
# wsspec/ (each an Autobahn-style report with index.json), the subject's and the tools' logs,
# and the measured wall seconds (and wsspec's peak RSS). Then agreement.md there compares
# every subject with both halves present and timings.md lists the timings.
# Exit status: 0 when every compared subject agrees on >= 99 % of cases on both behavior and
# behaviorClose, 1 when one does not (or a run failed), 2 on a usage or set-up error.
set -euo pipefail

# One block, parsed whole before it runs: a full run takes most of an hour, and bash would
# otherwise read an edited script from the middle.
{
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
agreement="$here/agreement"
deps="$root/target/agreement/deps"
all_servers=(echo node-ws python-websockets)
all_clients=(testee node-ws python-websockets)

log() { echo "agreement: $*" >&2; }
die() { echo "agreement: error: $*" >&2; exit 2; }

usage() {
    sed -n '2,36p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

mode=servers
case "${1:-}" in
    servers|clients|tls) mode="$1"; shift ;;
esac
servers_arg=""
clients_arg=""
cases=()
skip_wstest=0
skip_wsspec=0
out=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --servers) servers_arg="${2:?--servers needs a list}"; shift 2 ;;
        --servers=*) servers_arg="${1#*=}"; shift ;;
        --clients) clients_arg="${2:?--clients needs a list}"; shift 2 ;;
        --clients=*) clients_arg="${1#*=}"; shift ;;
        --cases) shift; while [[ $# -gt 0 && "$1" != --* ]]; do cases+=("$1"); shift; done ;;
        --skip-wstest) skip_wstest=1; shift ;;
        --skip-wsspec) skip_wsspec=1; shift ;;
        --out) out="${2:?--out needs a directory}"; shift 2 ;;
        --out=*) out="${1#*=}"; shift ;;
        -h|--help) usage ;;
        *) log "unknown argument $1"; usage ;;
    esac
done

# The subjects of this mode: servers, or clients. The names below say "server" for both.
if [[ "$mode" == servers ]]; then
    [[ -z "$clients_arg" ]] || die "--clients belongs to the clients mode (agreement.sh clients ...)"
    known=("${all_servers[@]}") subjects_arg="$servers_arg" what=server
elif [[ "$mode" == tls ]]; then
    [[ -z "$clients_arg" ]] || die "--clients belongs to the clients mode (agreement.sh clients ...)"
    # wstest is not part of it: the tls mode compares wsspec run over ws:// and wss://.
    known=(echo node-ws) subjects_arg="$servers_arg" what=server skip_wstest=1
else
    [[ -z "$servers_arg" ]] || die "--servers belongs to the servers mode"
    known=("${all_clients[@]}") subjects_arg="$clients_arg" what=client
fi
servers=()
if [[ -n "$subjects_arg" ]]; then
    IFS=',' read -r -a servers <<<"$subjects_arg"
else
    servers=("${known[@]}")
fi
for s in "${servers[@]}"; do
    [[ " ${known[*]} " == *" $s "* ]] || die "unknown $what '$s' (known: ${known[*]})"
done
[[ ${#servers[@]} -gt 0 ]] || die "--${what}s names no $what"

out="${out:-$root/target/agreement}"
[[ "$mode" != clients ]] || out="$out/clients"
[[ "$mode" != tls ]] || out="$out/tls"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

# --- tools ------------------------------------------------------------------------------

need() {
    command -v "$1" >/dev/null 2>&1 || die "$1 not found on PATH; $2"
}
need python3 "the harness uses Python 3 (stdlib only) for ports, specs and the comparison"
for s in "${servers[@]}"; do
    if [[ "$s" == node-ws ]]; then
        need node "install Node.js (>= 10) to test node-ws, or leave it out of --${what}s"
        need npm "install npm (comes with Node.js) to install the pinned ws package"
    fi
done

time_v=""
if /usr/bin/time -v true >/dev/null 2>&1; then
    time_v=/usr/bin/time
else
    log "GNU /usr/bin/time not found; wsspec's peak RSS will not be measured"
fi

wstest=""
if ((!skip_wstest)); then
    # install-wstest.sh says clearly what is missing (Python 2.7, virtualenv) and how to get it.
    wstest="$("$root/autobahn/install-wstest.sh" | tail -1)" \
        || die "could not install the pinned wstest (it needs Python 2.7; see the message above)"
fi

bin="$root/target/release"
wsspec="${WSSPEC_BIN:-$bin/wsspec}"
build=()
[[ " ${servers[*]} " == *" echo "* || " ${servers[*]} " == *" testee "* ]] && build+=(-p wsspec-autobahn)
((skip_wsspec)) || [[ -n "${WSSPEC_BIN:-}" ]] || build+=(-p wsspec)
if [[ ${#build[@]} -gt 0 ]]; then
    need cargo "needed to build ${build[*]}"
    log "building ${build[*]} (release)"
    cargo build --release --quiet --manifest-path "$root/Cargo.toml" "${build[@]}" --bins \
        || die "cargo build --release ${build[*]} failed"
fi
((skip_wsspec)) || [[ -x "$wsspec" ]] || die "no wsspec binary at $wsspec"

# --- third-party servers: pinned, installed under target/agreement/deps, idempotently --------

# Prints a digest of the given files; an install is redone when its pin files change.
digest() { cat "$@" | python3 -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())'; }

install_node_ws() {
    local src="$agreement/servers/node-ws" dir="$deps/node-ws" want
    want="$(digest "$src/package.json" "$src/package-lock.json")"
    if [[ -f "$dir/.installed" && "$(cat "$dir/.installed")" == "$want" && -d "$dir/node_modules/ws" ]]; then
        return 0
    fi
    log "installing the pinned ws into $dir (npm ci)"
    mkdir -p "$dir"
    cp "$src/package.json" "$src/package-lock.json" "$dir/"
    npm ci --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error >&2 \
        || die "npm ci --prefix $dir failed"
    echo "$want" >"$dir/.installed"
}

install_python_websockets() {
    local src="$agreement/servers/python-websockets" venv="$deps/python-websockets-venv" want
    want="$(digest "$src/requirements.txt")"
    if [[ -f "$venv/.installed" && "$(cat "$venv/.installed")" == "$want" && -x "$venv/bin/python" ]]; then
        return 0
    fi
    log "installing the pinned websockets into $venv"
    if [[ ! -x "$venv/bin/python" ]]; then
        python3 -m venv "$venv" \
            || die "python3 -m venv $venv failed (on Debian: apt-get install python3-venv)"
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$src/requirements.txt" >&2 \
        || die "pip install -r $src/requirements.txt failed"
    echo "$want" >"$venv/.installed"
}

# --- server processes -------------------------------------------------------------------

server_pid=""
stop_server() {
    if [[ -n "$server_pid" ]]; then
        # Its children first: GNU time (around wsspec serve) does not pass a TERM on.
        pkill -TERM -P "$server_pid" 2>/dev/null || true
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}

# wstest and wsspec run in the background and are waited for, so that Ctrl-C or a TERM
# reaches the traps at once instead of after a quarter of an hour.
# Usage: run_tool DIR COMMAND... (runs COMMAND in DIR).
tool_pid=""
run_tool() {
    local status=0 dir="$1"
    shift
    (cd "$dir" && exec "$@") &
    tool_pid=$!
    wait "$tool_pid" || status=$?
    tool_pid=""
    return "$status"
}
# Called from the EXIT trap only.
# shellcheck disable=SC2329
stop_tool() {
    if [[ -n "$tool_pid" ]]; then
        # Its children first: GNU time does not pass a TERM on to wsspec.
        pkill -TERM -P "$tool_pid" 2>/dev/null || true
        kill "$tool_pid" 2>/dev/null || true
        wait "$tool_pid" 2>/dev/null || true
        tool_pid=""
    fi
}
trap 'stop_tool; stop_server' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Starts server $1 on a fresh port (set in $port), logging to $2, and polls until it accepts
# TCP connections (at most 30 s) or dies.
start_server() {
    local name="$1" logfile="$2" deadline
    port="$(free_port)"
    case "$name" in
        echo)
            "$bin/echo-server" --listen "127.0.0.1:$port" >"$logfile" 2>&1 &
            ;;
        node-ws)
            NODE_PATH="$deps/node-ws/node_modules" node "$agreement/servers/node-ws/server.js" "$port" >"$logfile" 2>&1 &
            ;;
        python-websockets)
            "$deps/python-websockets-venv/bin/python" "$agreement/servers/python-websockets/server.py" "$port" >"$logfile" 2>&1 &
            ;;
    esac
    server_pid=$!
    deadline=$((SECONDS + 30))
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        if ! kill -0 "$server_pid" 2>/dev/null; then
            server_pid=""
            log "the $name server exited before listening; its log:"
            tail -20 "$logfile" >&2
            return 1
        fi
        if ((SECONDS >= deadline)); then
            log "the $name server is not listening on 127.0.0.1:$port after 30 s"
            return 1
        fi
        sleep 0.1
    done
}

# EPOCHREALTIME has the locale's decimal separator.
now() { echo "${EPOCHREALTIME/,/.}"; }
elapsed() { python3 -c 'import sys; print("%.1f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$1" "$2"; }

# After a wsspec run/serve ($2) of server or client $1 into $3 with exit status $4, from
# time $5 to $6: fails unless it produced results; records its wall time and peak RSS.
wsspec_result() {
    local name="$1" verb="$2" dir="$3" status="$4" t0="$5" t1="$6"
    # 0: every case OK, 1: some case not OK; both are results. Anything else is a failure.
    if ((status > 1)); then
        log "$name: wsspec $verb exited with status $status; see $dir/wsspec.log"
        tail -20 "$dir/wsspec.log" >&2
        return 1
    fi
    [[ -f "$dir/wsspec/index.json" ]] || { log "$name: wsspec $verb wrote no index.json"; return 1; }
    elapsed "$t0" "$t1" >"$dir/wsspec.seconds"
    if [[ -f "$dir/wsspec.time" ]]; then
        sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$dir/wsspec.time" >"$dir/wsspec.rss-kib"
    fi
    log "$name: wsspec $verb took $(cat "$dir/wsspec.seconds") s (exit status $status)"
}

# --- the two halves ---------------------------------------------------------------------

write_spec() {
    local agent="$1" url="$2" outdir="$3" spec="$4"
    python3 - "$agent" "$url" "$outdir" "$spec" "${cases[@]}" <<'PY'
import json, sys
agent, url, outdir, spec = sys.argv[1:5]
cases = sys.argv[5:] or ["*"]
json.dump({
    "outdir": outdir,
    "servers": [{"agent": agent, "url": url}],
    "cases": cases,
    "exclude-cases": [],
    "exclude-agent-cases": {},
}, open(spec, "w"), indent=2)
PY
}

run_wstest() {
    local name="$1" dir="$out/$1" t0 t1
    rm -rf "$dir/wstest"
    mkdir -p "$dir/wstest"
    start_server "$name" "$dir/server-wstest.log" || return 1
    write_spec "$name" "ws://127.0.0.1:$port" "$dir/wstest" "$dir/wstest-spec.json"
    log "$name: wstest -m fuzzingclient on port $port (${cases[*]:-full catalog})"
    t0="$(now)"
    if ! run_tool "$dir" "$wstest" -m fuzzingclient -s "$dir/wstest-spec.json" >"$dir/wstest.log" 2>&1; then
        stop_server
        log "$name: wstest failed; see $dir/wstest.log"
        tail -20 "$dir/wstest.log" >&2
        return 1
    fi
    t1="$(now)"
    stop_server
    [[ -f "$dir/wstest/index.json" ]] || { log "$name: wstest wrote no index.json"; return 1; }
    elapsed "$t0" "$t1" >"$dir/wstest.seconds"
    log "$name: wstest took $(cat "$dir/wstest.seconds") s"
}

run_wsspec() {
    local name="$1" dir="$out/$1" t0 t1 status=0 args
    rm -rf "$dir/wsspec" "$dir/wsspec.rss-kib"
    mkdir -p "$dir"
    start_server "$name" "$dir/server-wsspec.log" || return 1
    args=(run "ws://127.0.0.1:$port" --agent "$name" --out "$dir/wsspec")
    [[ ${#cases[@]} -eq 0 ]] || args+=(--cases "${cases[@]}")
    log "$name: wsspec ${args[*]}"
    t0="$(now)"
    if [[ -n "$time_v" ]]; then
        run_tool "$dir" "$time_v" -v -o "$dir/wsspec.time" "$wsspec" "${args[@]}" >"$dir/wsspec.log" 2>&1 || status=$?
    else
        run_tool "$dir" "$wsspec" "${args[@]}" >"$dir/wsspec.log" 2>&1 || status=$?
    fi
    t1="$(now)"
    stop_server
    wsspec_result "$name" run "$dir" "$status" "$t0" "$t1"
}

# --- the two halves, clients mode ---------------------------------------------------------

# Polls until process $2 listens on 127.0.0.1:$1 (at most $3 seconds); $4 is its log, $5 its name.
await_port() {
    local port="$1" pid="$2" deadline=$((SECONDS + $3)) logfile="$4" name="$5"
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null; then
            log "$name exited before listening; its log:"
            tail -20 "$logfile" >&2
            return 1
        fi
        if ((SECONDS >= deadline)); then
            log "$name is not listening on 127.0.0.1:$port after $3 s"
            return 1
        fi
        sleep 0.1
    done
}

# Runs client $1 (as agent $1) in DIR $2 against the fuzzing server on port $3: every case,
# then /updateReports. Its output goes to DIR/$4.
run_client() {
    local name="$1" dir="$2" url="ws://127.0.0.1:$3" logfile="$2/$4"
    case "$name" in
        testee)
            run_tool "$dir" "$bin/testee-client" --url "$url" --agent "$name" >"$logfile" 2>&1
            ;;
        node-ws)
            NODE_PATH="$deps/node-ws/node_modules" \
                run_tool "$dir" node "$agreement/clients/node-ws/client.js" "$url" "$name" >"$logfile" 2>&1
            ;;
        python-websockets)
            run_tool "$dir" "$deps/python-websockets-venv/bin/python" \
                "$agreement/clients/python-websockets/client.py" "$url" "$name" >"$logfile" 2>&1
            ;;
    esac
}

write_server_spec() {
    local url="$1" outdir="$2" spec="$3"
    python3 - "$url" "$outdir" "$spec" "${cases[@]}" <<'PY'
import json, sys
url, outdir, spec = sys.argv[1:4]
cases = sys.argv[4:] or ["*"]
json.dump({
    "url": url,
    "outdir": outdir,
    "cases": cases,
    "exclude-cases": [],
    "exclude-agent-cases": {},
}, open(spec, "w"), indent=2)
PY
}

run_wstest_client() {
    local name="$1" dir="$out/$1" t0 t1
    rm -rf "$dir/wstest"
    mkdir -p "$dir/wstest"
    port="$(free_port)"
    write_server_spec "ws://127.0.0.1:$port" "$dir/wstest" "$dir/wstest-spec.json"
    (cd "$dir" && exec "$wstest" -m fuzzingserver -s "$dir/wstest-spec.json" -u 0) >"$dir/wstest.log" 2>&1 &
    server_pid=$!
    await_port "$port" "$server_pid" 60 "$dir/wstest.log" "wstest -m fuzzingserver" || { stop_server; return 1; }
    log "$name: client against wstest -m fuzzingserver on port $port (${cases[*]:-full catalog})"
    t0="$(now)"
    if ! run_client "$name" "$dir" "$port" client-wstest.log; then
        stop_server
        log "$name: the client failed against wstest; see $dir/client-wstest.log"
        tail -20 "$dir/client-wstest.log" >&2
        return 1
    fi
    t1="$(now)"
    stop_server
    [[ -f "$dir/wstest/index.json" ]] || { log "$name: wstest wrote no index.json"; return 1; }
    elapsed "$t0" "$t1" >"$dir/wstest.seconds"
    log "$name: wstest took $(cat "$dir/wstest.seconds") s"
}

run_wsspec_client() {
    local name="$1" dir="$out/$1" t0 t1 status=0 args deadline
    rm -rf "$dir/wsspec" "$dir/wsspec.rss-kib" "$dir/wsspec.time"
    mkdir -p "$dir"
    port="$(free_port)"
    args=(serve --listen "127.0.0.1:$port" --out "$dir/wsspec" --exit-after-report 1 -q)
    [[ ${#cases[@]} -eq 0 ]] || args+=(--cases "${cases[@]}")
    log "$name: wsspec ${args[*]}"
    if [[ -n "$time_v" ]]; then
        (cd "$dir" && exec "$time_v" -v -o "$dir/wsspec.time" "$wsspec" "${args[@]}") >"$dir/wsspec.log" 2>&1 &
    else
        (cd "$dir" && exec "$wsspec" "${args[@]}") >"$dir/wsspec.log" 2>&1 &
    fi
    server_pid=$!
    await_port "$port" "$server_pid" 60 "$dir/wsspec.log" "wsspec serve" || { stop_server; return 1; }
    t0="$(now)"
    if ! run_client "$name" "$dir" "$port" client-wsspec.log; then
        stop_server
        log "$name: the client failed against wsspec serve; see $dir/client-wsspec.log"
        tail -20 "$dir/client-wsspec.log" >&2
        return 1
    fi
    t1="$(now)"
    # --exit-after-report 1: wsspec serve exits once the client's /updateReports is written.
    deadline=$((SECONDS + 60))
    while kill -0 "$server_pid" 2>/dev/null && ((SECONDS < deadline)); do
        sleep 0.2
    done
    if kill -0 "$server_pid" 2>/dev/null; then
        log "$name: wsspec serve did not exit within 60 s of the report; stopping it"
        stop_server
        return 1
    fi
    wait "$server_pid" || status=$?
    server_pid=""
    wsspec_result "$name" serve "$dir" "$status" "$t0" "$t1"
}

# --- tls mode: wsspec run over ws:// and over wss:// on the same servers ------------------

# A CA and a leaf for 127.0.0.1/localhost, made once per output directory.
make_tls_certs() {
    local d="$out/certs"
    [[ -f "$d/cert.pem" && -f "$d/key.pem" && -f "$d/ca.pem" ]] && return 0
    need openssl "the tls mode makes its test certificates with openssl"
    mkdir -p "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
        -keyout "$d/ca.key" -out "$d/ca.pem" -subj "/CN=wsspec agreement CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        2>/dev/null || die "openssl could not make the CA"
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$d/key.pem" -out "$d/leaf.csr" -subj "/CN=localhost" 2>/dev/null \
        || die "openssl could not make the server key"
    printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
        "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$d/leaf.ext"
    openssl x509 -req -in "$d/leaf.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
        -days 30 -extfile "$d/leaf.ext" -out "$d/cert.pem" 2>/dev/null \
        || die "openssl could not sign the server certificate"
}

# Starts server $1 over TLS on a fresh port (set in $port), logging to $2.
start_tls_server() {
    local name="$1" logfile="$2" deadline c="$out/certs"
    port="$(free_port)"
    case "$name" in
        echo)
            "$bin/echo-server" --listen "127.0.0.1:$port" --tls-cert "$c/cert.pem" --tls-key "$c/key.pem" >"$logfile" 2>&1 &
            ;;
        node-ws)
            NODE_PATH="$deps/node-ws/node_modules" node "$agreement/servers/node-ws/server-tls.js" "$port" "$c/cert.pem" "$c/key.pem" >"$logfile" 2>&1 &
            ;;
    esac
    server_pid=$!
    deadline=$((SECONDS + 30))
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        kill -0 "$server_pid" 2>/dev/null || { server_pid=""; log "the $name TLS server exited; its log:"; tail -20 "$logfile" >&2; return 1; }
        ((SECONDS < deadline)) || { log "the $name TLS server is not listening after 30 s"; return 1; }
        sleep 0.1
    done
}

# wsspec run against server $1 over $2 (ws or wss) into $out/$1/$2.
run_wsspec_scheme() {
    local name="$1" scheme="$2" dir="$out/$1" t0 t1 status=0 args
    rm -rf "${dir:?}/$scheme"
    mkdir -p "$dir"
    if [[ "$scheme" == wss ]]; then
        start_tls_server "$name" "$dir/server-wss.log" || return 1
        args=(run "wss://127.0.0.1:$port" --ca "$out/certs/ca.pem")
    else
        start_server "$name" "$dir/server-ws.log" || return 1
        args=(run "ws://127.0.0.1:$port")
    fi
    args+=(--agent "$name" --out "$dir/$scheme" -q)
    [[ ${#cases[@]} -eq 0 ]] || args+=(--cases "${cases[@]}")
    log "$name: wsspec ${args[*]}"
    t0="$(now)"
    run_tool "$dir" "$wsspec" "${args[@]}" >"$dir/$scheme.log" 2>&1 || status=$?
    t1="$(now)"
    stop_server
    if ((status > 1)) || [[ ! -f "$dir/$scheme/index.json" ]]; then
        log "$name: wsspec run over $scheme:// exited with status $status; see $dir/$scheme.log"
        tail -20 "$dir/$scheme.log" >&2
        return 1
    fi
    log "$name: wsspec run over $scheme:// took $(elapsed "$t0" "$t1") s (exit status $status)"
}

if [[ "$mode" == tls ]]; then
    make_tls_certs
    failed=0
    compared=()
    for name in "${servers[@]}"; do
        [[ "$name" != node-ws ]] || install_node_ws
        if run_wsspec_scheme "$name" ws && run_wsspec_scheme "$name" wss; then
            compared+=("$name")
        else
            failed=1
        fi
    done
    # Verdict tallies per scheme and every case whose verdicts differ.
    python3 - "$out" "${compared[@]}" >"$out/agreement.md" <<'PY' || failed=1
import collections, json, os, sys
out, names = sys.argv[1], sys.argv[2:]
def cases(path):
    index = json.load(open(path))
    agent = next(iter(index.values()))
    return {k: (v["behavior"], v["behaviorClose"]) for k, v in agent.items() if k[0].isdigit()}
print("# wsspec run over ws:// and wss://, case by case\n")
print("| server | cases | identical verdicts | ws:// outcomes | wss:// outcomes |")
print("|---|---|---|---|---|")
bad = []
for name in names:
    ws, wss = (cases(os.path.join(out, name, s, "index.json")) for s in ("ws", "wss"))
    same = sum(ws.get(k) == v for k, v in wss.items())
    tally = lambda r: ", ".join(f"{v} {n}" for v, n in sorted(collections.Counter(b for b, _ in r.values()).items()))
    print(f"| {name} | {len(wss)} | {same} | {tally(ws)} | {tally(wss)} |")
    bad += [f"{name} {k}: ws={ws.get(k)} wss={v}" for k, v in sorted(wss.items()) if ws.get(k) != v]
    bad += [f"{name} {k}: missing over wss://" for k in sorted(set(ws) - set(wss))]
print("\n" + ("\n".join(["Disagreements:", ""] + ["- " + b for b in bad]) if bad else "No disagreements."))
sys.exit(1 if bad else 0)
PY
    log "ws:// vs wss:// in $out/agreement.md"
    cat "$out/agreement.md" >&2
    exit "$failed"
fi

failed=0
for name in "${servers[@]}"; do
    case "$name" in
        node-ws) install_node_ws ;;
        python-websockets) install_python_websockets ;;
    esac
    mkdir -p "$out/$name"
    if ((!skip_wstest)); then
        if [[ "$mode" == servers ]]; then run_wstest "$name" || failed=1; else run_wstest_client "$name" || failed=1; fi
    fi
    if ((!skip_wsspec)); then
        if [[ "$mode" == servers ]]; then run_wsspec "$name" || failed=1; else run_wsspec_client "$name" || failed=1; fi
    fi
done

# --- comparison and timings -------------------------------------------------------------

pairs=()
for name in "${servers[@]}"; do
    a="$out/$name/wstest/index.json" b="$out/$name/wsspec/index.json"
    if [[ -f "$a" && -f "$b" ]]; then
        pairs+=(--pair "$name" "$a" "$b")
    else
        log "$name: not compared (missing $([[ -f "$a" ]] || echo "$a ")$([[ -f "$b" ]] || echo "$b"))"
    fi
done

subject_flag=()
[[ "$mode" == servers ]] || subject_flag=(--clients)
python3 "$agreement/timings.py" "${subject_flag[@]}" "$out" "${servers[@]}" >"$out/timings.md"
log "timings in $out/timings.md"
cat "$out/timings.md" >&2

if [[ ${#pairs[@]} -gt 0 ]]; then
    python3 "$agreement/agree.py" "${subject_flag[@]}" --markdown "$out/agreement.md" "${pairs[@]}" || failed=1
    log "agreement table in $out/agreement.md"
fi
exit "$failed"
}
