#!/usr/bin/env bash
# test/fuzz/run.sh [SECONDS] — build every libFuzzer target in test/fuzz with
# clang, ASan and UBSan, and run each for SECONDS (default 60) on a scratch
# copy of its seed corpus (libFuzzer writes new inputs into the first
# directory; the committed seeds stay untouched).  Crashing inputs are left
# in test/fuzz/findings/ for turning into regression cases.  test/all.sh
# runs it for a few seconds per target; run it longer by hand.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-60}
build=$(mktemp -d /tmp/qpm_fuzz.XXXXXX)
trap 'rm -rf "$build"' EXIT
mkdir -p "$top/test/fuzz/findings"
cflags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I$top/src/core"
core=$(ls "$top"/src/core/*.c)
status=0
for target in "$top"/test/fuzz/fuzz_*.c; do
	name=$(basename "$target" .c)
	corpus=${name#fuzz_}
	extra=""
	[ "$name" = fuzz_model_blob ] && extra="-DQPM_FUZZ_SKIP_CRC"
	clang $cflags $extra "$target" $core "$top/test/unit/test_alloc.c" -llapacke -lz -lm -o "$build/$name"
	mkdir -p "$build/corpus_$corpus"
	if (cd "$top/test/fuzz/findings" && "$build/$name" -max_total_time="$secs" -print_final_stats=0 \
			"$build/corpus_$corpus" "$top/test/fuzz/corpus/$corpus" >"$build/$name.log" 2>&1); then
		echo "ok   $name: $(grep -o 'Done [0-9]* runs' "$build/$name.log" || echo done) in ${secs}s"
	else
		echo "FAIL $name"; tail -n 40 "$build/$name.log"; status=1
	fi
done
exit $status
