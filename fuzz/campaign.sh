#!/usr/bin/env bash
# Long local fuzzing runs: fuzz/campaign.sh [-t SECONDS] [-j JOBS] [--no-coverage] [TARGET...]
#
# For each target (default: all), in turn:
#   1. fuzz for SECONDS (default 600) with JOBS parallel libFuzzer processes (default 1),
#      growing the working corpus fuzz/target/corpus/<target> from the committed seeds;
#   2. merge and minimise that corpus (libFuzzer -merge=1 into a fresh directory: the
#      smallest set of inputs that keeps every feature);
#   3. measure codec line coverage of the minimised corpus: `cargo fuzz coverage`, then
#      llvm-cov (report + HTML under fuzz/coverage/<target>/html).
# At the end, the coverage of all targets together, and a summary table (exec/s, corpus
# size, crashes, codec line coverage) in fuzz/target/campaign/summary.md.
#
# Crashes land in fuzz/artifacts/<target>/; minimise one with
#   fuzz/target/<triple>/release/<target> -minimize_crash=1 -runs=100000 <artifact>
# and turn it into a test in codec/tests/fuzz_regressions.rs (see fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")"
source ./fuzz-options.sh

seconds=600
jobs=1
coverage=1
selected=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        -t) seconds="$2"; shift 2 ;;
        -j) jobs="$2"; shift 2 ;;
        --no-coverage) coverage=0; shift ;;
        -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
        -*) echo "unknown option $1" >&2; exit 2 ;;
        *) selected+=("$1"); shift ;;
    esac
done
if [[ ${#selected[@]} -eq 0 ]]; then
    selected=("${TARGETS[@]}")
fi

ensure_toolchain
build_targets

out="target/campaign"
mkdir -p "$out"
summary="$out/summary.md"
{
    echo "# Fuzz campaign $(date -u +%Y-%m-%dT%H:%MZ): ${seconds}s per target, ${jobs} job(s)"
    echo
    echo "| target | runs | exec/s | corpus (min) | crashes | codec lines covered | its module's lines |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
} >"$summary"

llvm_bin() {
    local sysroot
    sysroot="$(rustc +nightly --print sysroot)"
    echo "$sysroot/lib/rustlib/$TRIPLE/bin/$1"
}

if [[ $coverage -eq 1 ]] && [[ ! -x "$(llvm_bin llvm-cov)" ]]; then
    rustup component add llvm-tools-preview --toolchain nightly
fi

# The codec module each target is mainly about.
main_module() {
    case "$1" in
        frame_decode | split_stream) echo decode.rs ;;
        roundtrip) echo frame.rs ;;
        utf8_stream) echo message.rs ;;
        connection) echo connection.rs ;;
        handshake) echo handshake.rs ;;
        inflate) echo deflate.rs ;;
        hixie76) echo hixie76.rs ;;
    esac
}

# The codec's own sources; the report is limited to them.
codec_src="$(cd ../codec/src && pwd)"

profiles=()
objects=()
for target in "${selected[@]}"; do
    work="target/corpus/$target"
    logs="$out/$target"
    mkdir -p "$work" "$logs" "artifacts/$target"
    echo "== $target: fuzzing ${seconds}s with $jobs job(s)"
    # shellcheck disable=SC2046 # target_opts is zero or one word
    (
        cd "$logs"
        "../../../$(target_bin "$target")" "${LIBFUZZER_OPTS[@]}" $(target_opts "$target" | sed 's|=dict/|=../../../dict/|') \
            -max_total_time="$seconds" -print_final_stats=1 -jobs="$jobs" -workers="$jobs" \
            -artifact_prefix="../../../artifacts/$target/" \
            "../../../$work" "../../../corpus/$target" >fuzz.log 2>&1
    ) || echo "   $target stopped with a finding (see $logs and artifacts/$target/)"
    # With -jobs, each worker logs to fuzz-N.log; without, everything is in fuzz.log.
    runs=$(cat "$logs"/fuzz*.log | sed -n 's/^stat::number_of_executed_units: *//p' | awk '{s+=$1} END {print s+0}')
    rate=$(cat "$logs"/fuzz*.log | sed -n 's/^stat::average_exec_per_sec: *//p' | awk '{s+=$1} END {print s+0}')

    echo "== $target: merging and minimising the corpus"
    rm -rf "$work.min" && mkdir -p "$work.min"
    "$(target_bin "$target")" -merge=1 -rss_limit_mb=2048 -timeout=20 \
        "$work.min" "$work" "corpus/$target" >"$logs/merge.log" 2>&1
    rm -rf "$work" && mv "$work.min" "$work"
    size=$(find "$work" -type f | wc -l)
    crashes=$(find "artifacts/$target" -type f | wc -l)

    lines="-"
    module="-"
    if [[ $coverage -eq 1 ]]; then
        echo "== $target: coverage"
        cargo +nightly fuzz coverage "$target" "$work" >"$logs/coverage-build.log" 2>&1
        profdata="coverage/$target/coverage.profdata"
        bin="target/$TRIPLE/coverage/$TRIPLE/release/$target"
        "$(llvm_bin llvm-cov)" report "$bin" -instr-profile="$profdata" "$codec_src" \
            >"$logs/coverage.txt"
        "$(llvm_bin llvm-cov)" show "$bin" -instr-profile="$profdata" -format=html \
            -output-dir="coverage/$target/html" "$codec_src" >/dev/null
        # TOTAL row: regions, missed, cover, functions, missed, executed, lines, missed, cover
        lines=$(awk '/^TOTAL/ {print $10}' "$logs/coverage.txt")
        module="$(main_module "$target") $(awk -v f="$(main_module "$target")" '$1 == f {print $10}' "$logs/coverage.txt")"
        profiles+=("$profdata")
        objects+=(-object "$bin")
    fi
    echo "| $target | $runs | $rate | $size | $crashes | $lines | $module |" >>"$summary"
done

if [[ $coverage -eq 1 ]] && [[ ${#profiles[@]} -gt 1 ]]; then
    echo "== all targets together"
    "$(llvm_bin llvm-profdata)" merge -sparse "${profiles[@]}" -o "$out/all.profdata"
    "$(llvm_bin llvm-cov)" report "${objects[@]:1}" -instr-profile="$out/all.profdata" \
        "$codec_src" >"$out/coverage-all.txt"
    {
        echo
        echo "All targets together, per codec file (llvm-cov report):"
        echo
        echo '```'
        cat "$out/coverage-all.txt"
        echo '```'
    } >>"$summary"
fi

cat "$summary"
