#!/usr/bin/env bash
# The steps of the wsspec conformance gate, one subcommand each. The reusable workflow
# (.github/workflows/conformance.yml), the composite action (action.yml) and the local
# rehearsal (.github/scripts/local-gate.sh) all run these, so what runs locally is what
# runs in CI.
#
#   gate.sh plan N            how many shards to run (N, at most one per selected case),
#                             and the matrix: shards=K and matrix=[1,…,K] on stdout (and
#                             in $GITHUB_OUTPUT when set)
#   gate.sh start             start the implementation ($WSSPEC_START) in the background
#                             and wait until it is ready
#   gate.sh shard I N DIR     run shard I of N into the report directory DIR: against the
#                             server at $WSSPEC_URL, or (WSSPEC_MODE=client) with
#                             `wsspec serve` for the client that $WSSPEC_CLIENT runs (a
#                             failing case is not an error here: the gate judges the
#                             merged run)
#   gate.sh stop              stop what `start` started
#   gate.sh merge OUT DIR…    merge shard directories into the report directory OUT
#   gate.sh gate DIR          judge DIR (against $WSSPEC_BASELINE when set): write
#                             report.md (also to $GITHUB_STEP_SUMMARY), report.html and
#                             junit.xml to $WSSPEC_WORK, list the regressions or failing
#                             cases in the log, exit 0 pass / 1 fail
#
# Settings (environment; empty means the default):
#   WSSPEC                the wsspec binary (default: wsspec on PATH)
#   WSSPEC_MODE           server (default: test a server with `wsspec run`) or client
#                         (test a client with `wsspec serve`)
#   WSSPEC_URL            server mode: the server under test, ws://HOST:PORT[/PATH]
#   WSSPEC_CLIENT         client mode: a shell command that runs the client under test
#                         through the cases, wstest-style (/getCaseCount, /runCase,
#                         /updateReports), against the fuzzing server at
#                         $WSSPEC_SERVER_URL, which it finds in its environment
#   WSSPEC_LISTEN         client mode: where `wsspec serve` listens (default 127.0.0.1:9001)
#   WSSPEC_START          a shell command that starts the server under test, or in client
#                         mode anything the client needs (default: nothing to start)
#   WSSPEC_READY          when it is ready: an http(s):// URL that answers 2xx, or
#                         HOST:PORT / PORT that accepts TCP (default in server mode:
#                         WSSPEC_URL's host and port accept TCP; in client mode: at once)
#   WSSPEC_READY_TIMEOUT  seconds to wait for that (default 60)
#   WSSPEC_CASES          case patterns, space-separated (default: all)
#   WSSPEC_EXCLUDE        case patterns to leave out, space-separated
#   WSSPEC_SUITE          catalog: autobahn, wsspec or all (`wsspec run --suite`)
#   WSSPEC_AGENT          the agent name in the report (default: the Server header)
#   WSSPEC_TIMEOUT        cap on every case timer, seconds (`wsspec run --timeout`)
#   WSSPEC_JOBS           cases at once per shard (`wsspec run -j`)
#   WSSPEC_SHARD          I/N when the gate judges one shard's directory on its own (the
#                         action's `shard` input): the other shards' cases are not missing
#   WSSPEC_BASELINE       baseline file (or report directory) to gate against; without
#                         it every case must pass under the policy
#   WSSPEC_POLICY         strict (default) or lenient
#   WSSPEC_WORK           where logs and rendered reports go (default: wsspec-gate)
#
# Exit status: 0 done / pass, 1 the gate failed, 2 a usage or set-up error.
set -euo pipefail

wsspec="${WSSPEC:-wsspec}"
work="${WSSPEC_WORK:-wsspec-gate}"
policy="${WSSPEC_POLICY:-strict}"
mode="${WSSPEC_MODE:-server}"
[[ "$mode" == server || "$mode" == client ]] || { echo "gate.sh: error: WSSPEC_MODE must be server or client, not '$mode'" >&2; exit 2; }

log() { echo "gate.sh: $*" >&2; }
die() {
    log "error: $*"
    exit 2
}
# A GitHub annotation when running there, a plain line otherwise.
annotate() {
    if [[ "${GITHUB_ACTIONS:-}" == true ]]; then
        echo "::$1 title=wsspec::$2"
    else
        log "$2"
    fi
}

# The selection flags shared by `wsspec run` and `wsspec cases`.
selection=()
select_cases() {
    local cases=() exclude=()
    # `read -a` splits on spaces without globbing `*` against files.
    read -r -a cases <<<"${WSSPEC_CASES:-}"
    read -r -a exclude <<<"${WSSPEC_EXCLUDE:-}"
    selection=()
    [[ -z "${WSSPEC_SUITE:-}" ]] || selection+=(--suite "$WSSPEC_SUITE")
    [[ ${#cases[@]} -eq 0 ]] || selection+=(--cases "${cases[@]}")
    [[ ${#exclude[@]} -eq 0 ]] || selection+=(--exclude "${exclude[@]}")
}

# A selection narrower than the whole catalog is gated on the cases it ran only.
partial_selection() {
    local include_text="${WSSPEC_CASES:-}" exclude_text="${WSSPEC_EXCLUDE:-}"
    include_text="${include_text// /}"
    [[ "$include_text" != "*" ]] || include_text=""
    local shard="${WSSPEC_SHARD:-1/1}"
    [[ -n "$include_text${exclude_text// /}" || "${shard#*/}" != 1 ]]
}

number() {
    [[ "$2" =~ ^[0-9]+$ ]] || die "$1 must be a whole number, not '$2'"
}

cmd_plan() {
    local want="${1:-1}"
    number shards "$want"
    ((want >= 1)) || die "shards must be at least 1"
    local count
    # `wsspec cases` takes the patterns as its own arguments.
    local args=(cases --ids)
    local cases=() exclude=()
    # `read -a` splits on spaces without globbing `*` against files.
    read -r -a cases <<<"${WSSPEC_CASES:-}"
    read -r -a exclude <<<"${WSSPEC_EXCLUDE:-}"
    [[ -z "${WSSPEC_SUITE:-}" ]] || args+=(--suite "$WSSPEC_SUITE")
    args+=("${cases[@]}")
    [[ ${#exclude[@]} -eq 0 ]] || args+=(--exclude "${exclude[@]}")
    count="$("$wsspec" "${args[@]}" | wc -l)" || die "wsspec ${args[*]} failed"
    ((count >= 1)) || die "the selection has no case"
    local shards=$((want < count ? want : count))
    ((shards == want)) || log "$want shards for $count cases: running $shards"
    local matrix="[1"
    for ((i = 2; i <= shards; i++)); do matrix+=",$i"; done
    matrix+="]"
    echo "shards=$shards"
    echo "matrix=$matrix"
    if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
        {
            echo "shards=$shards"
            echo "matrix=$matrix"
        } >>"$GITHUB_OUTPUT"
    fi
}

# host and port of a ws:// or wss:// URL: "HOST PORT".
url_host_port() {
    local url="$1" scheme rest authority host port
    scheme="${url%%://*}"
    [[ "$scheme" == ws || "$scheme" == wss ]] || die "WSSPEC_URL must be ws:// or wss://, not '$url'"
    rest="${url#*://}"
    authority="${rest%%/*}"
    if [[ "$authority" == \[* ]]; then
        host="${authority%%]*}"
        host="${host#[}"
        port="${authority#*]}"
        port="${port#:}"
    elif [[ "$authority" == *:* ]]; then
        host="${authority%%:*}"
        port="${authority##*:}"
    else
        host="$authority"
        port=""
    fi
    [[ -n "$port" ]] || { [[ "$scheme" == wss ]] && port=443 || port=80; }
    echo "$host $port"
}

tcp_ready() {
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# Waits until HOST PORT accepts TCP (or, with an http(s) URL as HOST and no PORT, until
# it answers 2xx), at most TIMEOUT seconds, watching the process in PIDFILE (if any).
wait_ready() {
    local host="$1" port="$2" timeout="$3" pidfile="$4" logfile="$5"
    local deadline=$((SECONDS + timeout))
    until if [[ -n "$port" ]]; then tcp_ready "$host" "$port"; else curl -fsS -o /dev/null "$host" 2>/dev/null; fi; do
        if [[ -f "$pidfile" ]] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
            tail -20 "$logfile" >&2 || true
            die "$(basename "$logfile" .log) exited before it was ready"
        fi
        if ((SECONDS >= deadline)); then
            [[ ! -f "$logfile" ]] || tail -20 "$logfile" >&2
            die "not ready after $timeout s (${port:+TCP }$host${port:+:$port})"
        fi
        sleep 0.2
    done
}

cmd_start() {
    [[ "$mode" == client || -n "${WSSPEC_URL:-}" ]] || die "WSSPEC_URL is not set"
    local timeout="${WSSPEC_READY_TIMEOUT:-60}"
    number WSSPEC_READY_TIMEOUT "$timeout"
    mkdir -p "$work"
    if [[ -n "${WSSPEC_START:-}" ]]; then
        log "starting: $WSSPEC_START (log: $work/implementation.log)"
        # Its own session, so `stop` ends it and everything it started.
        setsid bash -c "$WSSPEC_START" >"$work/implementation.log" 2>&1 </dev/null &
        echo $! >"$work/implementation.pid"
    fi
    local ready="${WSSPEC_READY:-}" host port=""
    if [[ -z "$ready" ]]; then
        # A client has nothing to wait for; its fuzzing server is started by `shard`.
        [[ "$mode" == server ]] || return 0
        read -r host port < <(url_host_port "$WSSPEC_URL")
    elif [[ "$ready" =~ ^[0-9]+$ ]]; then
        host=127.0.0.1 port="$ready"
    elif [[ "$ready" != http://* && "$ready" != https://* ]]; then
        host="${ready%:*}" port="${ready##*:}"
        host="${host#[}" host="${host%]}"
    else
        host="$ready"
    fi
    wait_ready "$host" "$port" "$timeout" "$work/implementation.pid" "$work/implementation.log"
    log "ready: ${WSSPEC_URL:-$ready}"
}

cmd_stop() {
    local pidfile="$work/implementation.pid" pid
    [[ -f "$pidfile" ]] || return 0
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
    log "stopped the implementation"
}

cmd_shard() {
    [[ $# -eq 3 ]] || die "usage: gate.sh shard I N DIR"
    if [[ "$mode" == client ]]; then
        shard_client "$@"
    else
        shard_server "$@"
    fi
}

shard_server() {
    local index="$1" count="$2" out="$3"
    [[ -n "${WSSPEC_URL:-}" ]] || die "WSSPEC_URL is not set"
    select_cases
    local args=(run "$WSSPEC_URL" "${selection[@]}" --shard "$index/$count" --out "$out" --policy "$policy")
    [[ -z "${WSSPEC_AGENT:-}" ]] || args+=(--agent "$WSSPEC_AGENT")
    [[ -z "${WSSPEC_TIMEOUT:-}" ]] || args+=(--timeout "$WSSPEC_TIMEOUT")
    [[ -z "${WSSPEC_JOBS:-}" ]] || args+=(--jobs "$WSSPEC_JOBS")
    log "wsspec ${args[*]}"
    local status=0
    "$wsspec" "${args[@]}" --format text || status=$?
    shard_status "$index/$count" "$status"
}

# Client mode: `wsspec serve` serves this shard's cases until the client has asked for its
# reports; the client runs meanwhile.
shard_client() {
    local index="$1" count="$2" out="$3"
    [[ -n "${WSSPEC_CLIENT:-}" ]] || die "WSSPEC_CLIENT is not set (the command that runs the client under test)"
    local listen="${WSSPEC_LISTEN:-127.0.0.1:9001}" host port
    host="${listen%:*}" port="${listen##*:}"
    host="${host#[}" host="${host%]}"
    select_cases
    local args=(serve --listen "$listen" "${selection[@]}" --out "$out" --policy "$policy" --exit-after-report)
    ((count == 1)) || args+=(--shard "$index/$count")
    [[ -z "${WSSPEC_TIMEOUT:-}" ]] || args+=(--timeout "$WSSPEC_TIMEOUT")
    mkdir -p "$work"
    local serve_log="$work/wsspec-serve-$index.log"
    log "wsspec ${args[*]} (log: $serve_log)"
    "$wsspec" "${args[@]}" --format text >"$serve_log" 2>&1 &
    local serve_pid=$!
    echo "$serve_pid" >"$work/wsspec-serve.pid"
    wait_ready "$host" "$port" 30 "$work/wsspec-serve.pid" "$serve_log"
    log "running the client: $WSSPEC_CLIENT"
    local client_status=0
    WSSPEC_SERVER_URL="ws://$listen" bash -c "$WSSPEC_CLIENT" </dev/null || client_status=$?
    ((client_status == 0)) || log "the client exited with status $client_status"
    # `serve` exits once the client asked for its reports (/updateReports); a client that
    # never does is given a little while, then the server stops and reports what completed.
    local waited=0
    while kill -0 "$serve_pid" 2>/dev/null && ((waited < 300)); do
        sleep 0.2
        waited=$((waited + 1))
    done
    if kill -0 "$serve_pid" 2>/dev/null; then
        log "the client did not ask for its reports (/updateReports); stopping wsspec serve"
        kill -INT "$serve_pid" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$serve_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$serve_pid" 2>/dev/null || true
    fi
    local status=0
    wait "$serve_pid" || status=$?
    rm -f "$work/wsspec-serve.pid"
    cat "$serve_log"
    [[ -f "$out/index.json" ]] || die "shard $index/$count: wsspec serve wrote no report (did the client run any case?)"
    shard_status "$index/$count" "$status"
}

shard_status() {
    case "$2" in
    0) log "shard $1: every case passed" ;;
    1) log "shard $1: some cases did not pass; the gate on the merged run decides" ;;
    *) die "shard $1: wsspec exited $2" ;;
    esac
}

cmd_merge() {
    [[ $# -ge 2 ]] || die "usage: gate.sh merge OUT DIR…"
    local out="$1"
    shift
    "$wsspec" merge "$@" --out "$out" --policy "$policy" || die "wsspec merge failed"
}

cmd_gate() {
    [[ $# -eq 1 ]] || die "usage: gate.sh gate DIR"
    local dir="$1" args
    mkdir -p "$work"
    if [[ -n "${WSSPEC_BASELINE:-}" ]]; then
        [[ -e "$WSSPEC_BASELINE" ]] || die "the baseline $WSSPEC_BASELINE does not exist (see the README: create it with wsspec baseline)"
        args=(compare "$WSSPEC_BASELINE" "$dir" --policy "$policy")
        ! partial_selection || args+=(--ignore-missing)
    else
        args=(report "$dir" --policy "$policy")
    fi
    local status=0 format
    for format in md html junit; do
        local file="$work/report.$format"
        [[ "$format" != junit ]] || file="$work/junit.xml"
        # The exit status is the verdict, taken from the text run below.
        "$wsspec" "${args[@]}" --format "$format" --output "$file" || [[ $? -eq 1 ]] \
            || die "wsspec ${args[*]} --format $format failed"
    done
    if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
        cat "$work/report.md" >>"$GITHUB_STEP_SUMMARY"
    fi
    # The log gets the text rendering: the summary, then every regression (or failing
    # case) with what was expected and what came back.
    NO_COLOR=1 "$wsspec" "${args[@]}" --format text || status=$?
    case "$status" in
    0) log "gate passed ($policy policy${WSSPEC_BASELINE:+, against $WSSPEC_BASELINE}); reports in $work" ;;
    1)
        if [[ -n "${WSSPEC_BASELINE:-}" ]]; then
            annotate error "conformance regressed against $WSSPEC_BASELINE ($policy policy); the regressions are listed in the log and in $work/report.md"
        else
            annotate error "cases fail under the $policy policy; they are listed in the log and in $work/report.md"
        fi
        ;;
    *) die "wsspec ${args[*]} exited $status" ;;
    esac
    return "$status"
}

command="${1:-}"
[[ $# -eq 0 ]] || shift
case "$command" in
plan) cmd_plan "$@" ;;
start) cmd_start ;;
stop) cmd_stop ;;
shard) cmd_shard "$@" ;;
merge) cmd_merge "$@" ;;
gate) cmd_gate "$@" ;;
*)
    sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
