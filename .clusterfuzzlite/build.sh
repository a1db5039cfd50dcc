#!/bin/bash -eu
# Builds every cargo-fuzz target in fuzz/ into $OUT, with its committed seeds
# (<target>_seed_corpus.zip), the handshake token dictionary where it helps, and the
# same libFuzzer limits fuzz/smoke.sh uses (<target>.options): a low malloc limit so an
# allocation sized from an untrusted length is reported as a crash.
cd "$SRC/wsspec/fuzz"

# Release with debug assertions (overflow checks), as smoke.sh and campaign.sh build.
cargo fuzz build -O --debug-assertions

bin_dir="target/x86_64-unknown-linux-gnu/release"
for src in fuzz_targets/*.rs; do
    target=$(basename "$src" .rs)
    cp "$bin_dir/$target" "$OUT/"
    if [ -d "corpus/$target" ]; then
        (cd "corpus/$target" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
    fi
    {
        echo "[libfuzzer]"
        echo "malloc_limit_mb = 32"
        echo "rss_limit_mb = 2560"
        echo "timeout = 10"
        echo "max_len = 8192"
        case "$target" in
            handshake | hixie76) echo "dict = handshake.dict" ;;
        esac
    } >"$OUT/$target.options"
done
cp dict/handshake.dict "$OUT/handshake.dict"
