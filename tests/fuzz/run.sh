#!/bin/sh
# Builds the config parser's fuzz target with clang's libFuzzer (ASan+UBSan)
# and runs it for SECONDS (default 60) from the committed corpus.
set -e
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$top/build-fuzz}
seconds=${2:-60}
mkdir -p "$out/corpus"
cp "$top"/tests/data/configs/good/*.json "$top"/tests/data/configs/bad/*.json \
	"$top"/config/examples/*.json "$out/corpus/"
# pkg-config's flags are words to split.
# shellcheck disable=SC2046
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-I"$top/include" -I"$top/core" $(pkg-config --cflags glib-2.0 yajl) \
	"$top/tests/fuzz/fuzz_config.c" "$top/core/config/config.c" "$top/core/config/keys.c" \
	"$top/core/config/relations.c" "$top/core/config/virtuals.c" "$top/core/config/options.c" \
	"$top/core/config/values.c" "$top/core/config/check.c" \
	"$top/core/base/json_tree.c" "$top/core/base/problems.c" \
	"$top/core/base/suggest.c" "$top/core/base/names.c" "$top/core/config/defaults.c" "$top/core/base/log.c" \
	"$top/core/base/paths.c" "$top/core/base/value.c" "$top/core/engine/limits.c" "$top/core/base/kind.c" \
	$(pkg-config --libs glib-2.0 yajl) -lm -o "$out/fuzz_config"
"$out/fuzz_config" -max_total_time="$seconds" -max_len=4096 -timeout=5 \
	-artifact_prefix="$out/" "$out/corpus" \
	2>"$out/fuzz.log" || { tail -50 "$out/fuzz.log"; exit 1; }
tail -n 2 "$out/fuzz.log"
echo "fuzz: config parser ran clean for $seconds s"
