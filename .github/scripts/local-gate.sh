#!/usr/bin/env bash
# Rehearses the reusable conformance workflow (.github/workflows/conformance.yml) on this
# machine with the same commands, in the same order, that its jobs run — gate.sh plan;
# per shard gate.sh start, shard, stop; gate.sh merge; gate.sh gate — against the
# reference echo server and against a deliberately broken variant of it, and checks that
# the gate passes the first and fails the second with the right exit status and reports.
#
#   .github/scripts/local-gate.sh          # exit 0 when both behaved as expected
#
# 1. pass: `wsspec echo`, gated against the checked-in autobahn/expected/server.json
#    (taken with the real wstest): exit 0.
# 2. baseline: `wsspec baseline` of that merged run, as a project creates its own.
# 3. fail: `wsspec echo --no-deflate` (it refuses permessage-deflate), gated against that
#    baseline: the deflate cases regress from OK to UNIMPLEMENTED; exit 1, each regression
#    in the log and in the Markdown.
# 4. client-pass / client-fail: the same for a client (mode client: `wsspec serve` per
#    shard, the client run against it): the reference testee client passes
#    autobahn/expected/client.json; `testee-client --no-deflate` fails it.
#
# The cases are a subset that runs in a few seconds per scenario: sections 1-5, 7 and 10
# whole, and the smallest permessage-deflate cases (12.1.1-12.1.6, 13.1.1-13.1.3), so the
# broken variant has something to break. WSSPEC_CASES overrides it (e.g. '*' for the whole
# catalog, about a minute per scenario); LOCAL_GATE_SHARDS the shard count (default 3).
# Output: target/local-gate/<scenario>/ (shard directories, merged report, report.md,
# report.html, junit.xml, step-summary.md standing in for $GITHUB_STEP_SUMMARY).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
gate="$root/.github/scripts/gate.sh"
out="$root/target/local-gate"
shards="${LOCAL_GATE_SHARDS:-3}"

log() { printf '\n--- local-gate: %s\n' "$*" >&2; }
fail() {
    echo "local-gate: FAILED: $*" >&2
    exit 1
}

if [[ -z "${WSSPEC:-}" ]]; then
    cargo build --release --quiet -p wsspec --bin wsspec
    export WSSPEC="$root/target/release/wsspec"
fi
if [[ -z "${TESTEE_CLIENT:-}" ]]; then
    cargo build --release --quiet -p wsspec-autobahn --bin testee-client
    TESTEE_CLIENT="$root/target/release/testee-client"
fi
export WSSPEC_CASES="${WSSPEC_CASES:-1.* 2.* 3.* 4.* 5.* 7.* 10.* 12.1.1 12.1.2 12.1.3 12.1.4 12.1.5 12.1.6 13.1.1 13.1.2 13.1.3}"
export WSSPEC_POLICY=strict
unset WSSPEC_EXCLUDE WSSPEC_SUITE WSSPEC_READY WSSPEC_AGENT WSSPEC_TIMEOUT WSSPEC_JOBS GITHUB_OUTPUT WSSPEC_MODE WSSPEC_CLIENT
rm -rf "$out"
mkdir -p "$out"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
port="$(free_port)"
listen_port="$(free_port)"
export WSSPEC_URL="ws://127.0.0.1:$port" WSSPEC_LISTEN="127.0.0.1:$listen_port"
trap '"$gate" stop >/dev/null 2>&1 || true' EXIT

# One run of the reusable workflow: the plan job, the shard jobs one after another (each
# with a freshly started server, as each matrix job has), the gate job. Prints the
# gate's exit status.
workflow() {
    local name="$1" start="$2" baseline="$3"
    export WSSPEC_WORK="$out/$name" WSSPEC_START="$start" WSSPEC_BASELINE="$baseline"
    export GITHUB_STEP_SUMMARY="$WSSPEC_WORK/step-summary.md"
    mkdir -p "$WSSPEC_WORK"
    : >"$GITHUB_STEP_SUMMARY"
    log "$name: plan ($shards shards of: $WSSPEC_CASES)"
    local plan count
    plan="$("$gate" plan "$shards")"
    count="$(sed -n 's/^shards=//p' <<<"$plan")"
    [[ "$count" == "$shards" ]] || fail "$name: plan gave $count shards, not $shards"
    local i dirs=()
    for ((i = 1; i <= count; i++)); do
        log "$name: shard $i/$count: ${WSSPEC_CLIENT:-$start}"
        "$gate" start
        "$gate" shard "$i" "$count" "$WSSPEC_WORK/shard-$i" >"$WSSPEC_WORK/shard-$i.log" 2>&1 \
            || { cat "$WSSPEC_WORK/shard-$i.log" >&2; "$gate" stop; fail "$name: shard $i failed"; }
        "$gate" stop
        dirs+=("$WSSPEC_WORK/shard-$i")
    done
    log "$name: merge and gate${baseline:+ against ${baseline#"$root"/}}"
    "$gate" merge "$WSSPEC_WORK/report" "${dirs[@]}"
    local status=0
    "$gate" gate "$WSSPEC_WORK/report" >"$WSSPEC_WORK/gate.log" 2>&1 || status=$?
    echo "$status"
}

# Checks one scenario's outputs.
check_outputs() {
    local name="$1" dir="$out/$1"
    for file in report.md report.html junit.xml step-summary.md report/index.json report/index.html; do
        [[ -s "$dir/$file" ]] || fail "$name: $file is missing or empty"
    done
    cmp -s "$dir/report.md" "$dir/step-summary.md" || fail "$name: the step summary is not the Markdown report"
    grep -q '<testsuites' "$dir/junit.xml" || fail "$name: junit.xml is not JUnit XML"
}

status="$(workflow pass "$WSSPEC echo --listen 127.0.0.1:$port" "$root/autobahn/expected/server.json")"
cat "$out/pass/gate.log" >&2
check_outputs pass
[[ "$status" == 0 ]] || fail "the reference echo server did not pass the gate (exit $status)"
grep -q 'wsspec-echo' "$out/pass/report.md" || fail "pass: the Markdown does not name the agent"
log "pass: the gate passed with exit 0; the Markdown report (head):"
head -20 "$out/pass/report.md" >&2

log "baseline: wsspec baseline of the passing run (how a project creates its own)"
"$WSSPEC" baseline "$out/pass/report" --output "$out/baseline.json"

status="$(workflow fail "$WSSPEC echo --listen 127.0.0.1:$port --no-deflate" "$out/baseline.json")"
cat "$out/fail/gate.log" >&2
check_outputs fail
[[ "$status" == 1 ]] || fail "the broken echo server was not failed by the gate (exit $status, expected 1)"
regressed="$(grep -c 'UNIMPLEMENTED' "$out/fail/gate.log" || true)"
((regressed >= 9)) || fail "fail: the log lists $regressed UNIMPLEMENTED lines, expected the 9 deflate cases"
for id in 12.1.1 12.1.6 13.1.3; do
    grep -q "$id" "$out/fail/report.md" || fail "fail: the Markdown does not list the regression of $id"
done
grep -q -i 'regression' "$out/fail/report.md" || fail "fail: the Markdown says nothing of regressions"
grep -q '<failure' "$out/fail/junit.xml" || fail "fail: junit.xml has no failure"
log "fail: the gate failed with exit 1; the Markdown report (head):"
head -30 "$out/fail/report.md" >&2

log "client-pass / client-fail: the same for a client (wsspec serve per shard)"
export WSSPEC_MODE=client
export WSSPEC_CLIENT="$TESTEE_CLIENT --url \"\$WSSPEC_SERVER_URL\" --agent testee"
status="$(workflow client-pass "" "$root/autobahn/expected/client.json")"
cat "$out/client-pass/gate.log" >&2
check_outputs client-pass
[[ "$status" == 0 ]] || fail "the reference testee client did not pass the gate (exit $status)"
export WSSPEC_CLIENT="$TESTEE_CLIENT --url \"\$WSSPEC_SERVER_URL\" --agent testee --no-deflate"
status="$(workflow client-fail "" "$root/autobahn/expected/client.json")"
cat "$out/client-fail/gate.log" >&2
check_outputs client-fail
[[ "$status" == 1 ]] || fail "testee-client --no-deflate was not failed by the gate (exit $status, expected 1)"
grep -q '13.1.3' "$out/client-fail/report.md" || fail "client-fail: the Markdown does not list the regression of 13.1.3"
log "client-fail: the gate failed with exit 1; the Markdown report (head):"
head -16 "$out/client-fail/report.md" >&2

echo "local-gate: ok — the echo server passes (exit 0) and echo --no-deflate fails with its regressions listed (exit 1); the testee client passes and testee-client --no-deflate fails likewise; reports in ${out#"$root"/}"
