#!/usr/bin/env bash
# Short fuzz run of every target: fuzz/smoke.sh [SECONDS per target, default 20].
#
# Installs what it needs (the nightly toolchain, cargo-fuzz) if missing, builds every
# target once (release, debug assertions, AddressSanitizer), replays the committed seeds,
# then fuzzes each target for SECONDS with one process. Any crash, failed check, timeout,
# leak, or single allocation above the malloc limit fails the run; the input that did it
# is left in fuzz/artifacts/<target>/ and printed in the log.
#
# Memory is bounded by the limits the targets configure (frames ≤ 64 KiB, messages
# ≤ 1 MiB, heads ≤ 16 KiB): a buffer sized from an untrusted length would be far larger,
# so a low -malloc_limit_mb catches one. New inputs go to fuzz/target/corpus/<target>
# (git-ignored); the committed seeds in fuzz/corpus/<target> are only read.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-20}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [[ "$seconds" -lt 1 ]]; then
    echo "usage: fuzz/smoke.sh [SECONDS per target]" >&2
    exit 2
fi

# Shared with campaign.sh: the libFuzzer options every run uses.
source ./fuzz-options.sh

ensure_toolchain

echo "== build (release + debug assertions + ASan)"
build_targets

echo "== replay the committed seeds"
for target in "${TARGETS[@]}"; do
    "$(target_bin "$target")" "${LIBFUZZER_OPTS[@]}" $(target_opts "$target") -runs=0 "corpus/$target" >/dev/null 2>"target/smoke-$target.log" || {
        echo "seed replay of $target failed:" >&2
        tail -40 "target/smoke-$target.log" >&2
        exit 1
    }
done

failed=()
for target in "${TARGETS[@]}"; do
    work="target/corpus/$target"
    mkdir -p "$work" "artifacts/$target"
    log="target/smoke-$target.log"
    printf '== %-13s %ss ... ' "$target" "$seconds"
    # shellcheck disable=SC2046 # target_opts is zero or one word
    if "$(target_bin "$target")" "${LIBFUZZER_OPTS[@]}" $(target_opts "$target") \
        -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="artifacts/$target/" \
        "$work" "corpus/$target" >"$log" 2>&1; then
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
        echo "ok: ${execs:-?} runs, ${rate:-?} exec/s, ${cov:-?} edges"
    else
        echo "FAILED"
        grep -E 'ERROR|panicked|SUMMARY|Test unit written|assert' "$log" | head -20 >&2 || true
        tail -30 "$log" >&2
        failed+=("$target")
    fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz smoke run failed: ${failed[*]} (inputs in fuzz/artifacts/, logs in fuzz/target/smoke-*.log)" >&2
    exit 1
fi
echo "fuzz smoke run passed: ${#TARGETS[@]} targets x ${seconds}s"
