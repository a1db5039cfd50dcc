# Sourced by smoke.sh and campaign.sh (from fuzz/): the targets, how they are built, and
# the libFuzzer options every run uses.

TARGETS=(frame_decode split_stream roundtrip utf8_stream connection handshake inflate hixie76)

# -malloc_limit_mb: no single allocation may exceed this. The largest legitimate buffers
#   are a 1 MiB message (and its doubling growth) and zlib's window; a buffer sized from
#   a claimed 64-bit length, or an unbounded inflate, is far larger.
# -rss_limit_mb: the whole process, ASan's shadow memory included.
# -timeout: one input taking this long is a hang (quadratic parsing, a spinning loop).
# -detect_leaks: LeakSanitizer is on by default under ASan; said here so it stays on.
LIBFUZZER_OPTS=(
    -malloc_limit_mb=32
    -rss_limit_mb=1024
    -timeout=10
    -detect_leaks=1
    -max_len=8192
)

# Extra options per target: the HTTP/WebSocket token dictionary for the head parsers.
target_opts() {
    case "$1" in
        handshake | hixie76) echo "-dict=dict/handshake.dict" ;;
    esac
}

TRIPLE="$(rustc -vV 2>/dev/null | sed -n 's/^host: //p')"
TRIPLE="${TRIPLE:-x86_64-unknown-linux-gnu}"

target_bin() {
    echo "target/$TRIPLE/release/$1"
}

# The nightly toolchain and cargo-fuzz, installed only when missing.
ensure_toolchain() {
    if ! rustup run nightly rustc --version >/dev/null 2>&1; then
        echo "== installing the nightly toolchain"
        rustup toolchain install nightly --profile minimal
    fi
    if ! cargo fuzz --version >/dev/null 2>&1; then
        echo "== installing cargo-fuzz"
        cargo install --locked cargo-fuzz
    fi
}

# Release, debug assertions on (overflow checks), AddressSanitizer (cargo-fuzz default);
# every target in one cargo invocation so the codec is compiled once.
build_targets() {
    cargo +nightly fuzz build -O -a "$@"
}
