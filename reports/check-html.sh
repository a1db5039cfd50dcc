#!/usr/bin/env bash
# Opens a wsspec HTML report in headless Chromium, takes a screenshot, and fails when
# the page logs anything to the console (an uncaught exception, console.error, …), when
# its script did not run, or when the summary table or the case grid is missing.
#
#   reports/check-html.sh REPORT.html OUT.png [WIDTHxHEIGHT]
#
# Installs Debian's `chromium` package when no chromium is on PATH (needs root, as CI
# and the development machines have). The page is opened from a file:// URL; the
# flags below keep Chromium off the network.
set -euo pipefail

if [[ $# -lt 2 ]]; then
    echo "usage: $0 REPORT.html OUT.png [WIDTHxHEIGHT]" >&2
    exit 2
fi
report="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
out="$2"
size="${3:-1400x1000}"
[[ -f "$report" ]] || { echo "check-html: $1: no such file" >&2; exit 2; }

browser="$(command -v chromium || command -v chromium-browser || true)"
if [[ -z "$browser" ]]; then
    if [[ $(id -u) -ne 0 ]]; then
        echo "check-html: chromium is not installed; install Debian's 'chromium' package (apt-get install chromium)" >&2
        exit 2
    fi
    echo "check-html: installing chromium (apt-get)" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
    browser="$(command -v chromium)"
fi

profile="$(mktemp -d)"
log="$(mktemp)"
dom="$(mktemp)"
trap 'rm -rf "$profile" "$log" "$dom"' EXIT

flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
    --disable-background-networking --disable-component-update --disable-sync
    --disable-extensions --user-data-dir="$profile" --enable-logging=stderr --v=0
    --hide-scrollbars --window-size="${size/x/,}")

timeout 120 "$browser" "${flags[@]}" --screenshot="$out" "file://$report" >"$log" 2>&1 || {
    cat "$log" >&2
    echo "check-html: chromium failed to take the screenshot" >&2
    exit 1
}
timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$report" >"$dom" 2>>"$log" || {
    echo "check-html: chromium failed to dump the DOM" >&2
    exit 1
}

status=0
# Chromium logs every console message of the page as INFO:CONSOLE; the report logs none.
if grep -E 'CONSOLE|Uncaught' "$log" >&2; then
    echo "check-html: the page wrote to the console (above)" >&2
    status=1
fi
grep -q 'data-filter-ready="[1-9]' "$dom" || { echo "check-html: the page's script did not run or found no cases" >&2; status=1; }
grep -q 'class="summary"' "$dom" || { echo "check-html: no summary table" >&2; status=1; }
grep -q '<a class="cell ' "$dom" || { echo "check-html: no case grid" >&2; status=1; }
[[ -s "$out" ]] || { echo "check-html: no screenshot written" >&2; status=1; }
if [[ $status -eq 0 ]]; then
    echo "check-html: $1 renders without console output; screenshot in $out" >&2
fi
exit $status
