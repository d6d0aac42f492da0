#!/usr/bin/env bash
# test/stress.sh [FUZZ_SECONDS] — the long-running checks, not in CI
# (about 20 minutes on 2 cores with the default of 180 s per fuzz target):
#   * every libFuzzer target (model blob, XGBoost dump, query tokenizer)
#     for FUZZ_SECONDS each, and the import document fuzzer as long, with
#     a seed that changes every run (printed, to replay a finding);
#   * the concurrency test for 60 s (8 pgbench clients against a session
#     that retrains, activates and drops models);
#   * every unit test under valgrind memcheck, the XGBoost parity tests
#     included (6-10 minutes).
# Expects the extension built and installed (test/all.sh does both).
# Prints one line per part and "N passed, N failed"; exits non-zero if
# anything failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
QPM_SCRIPT=stress
. "$top/test/lib/cluster.sh"
secs=${1:-180}
seed=$(( $(date +%s) % 100000 ))
log=$(mktemp -d /tmp/qpm_stress.XXXXXX)
passed=0; failed=0; failures=()

run_part() {	# run_part NAME COMMAND...
	local name=$1 start rc
	shift
	start=$(date +%s)
	"$@" >"$log/$name.log" 2>&1; rc=$?
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1)); printf 'ok   %-22s %5ss\n' "$name" $(( $(date +%s) - start ))
	else
		failed=$((failed + 1)); failures+=("$name")
		printf 'FAIL %-22s %5ss (exit %s)\n' "$name" $(( $(date +%s) - start )) $rc
	fi
	grep -E '^(ok|FAIL|#)' "$log/$name.log" | sed 's/^/    | /'
}

run_part fuzz-libfuzzer "$top/test/fuzz/run.sh" "$secs"
run_part fuzz-import    "$top/test/fuzz/import_doc.sh" "$secs" "$seed"
run_part concurrency-60 "$top/test/e2e/concurrency.sh" 60
run_part valgrind-all   make -C "$top/test/unit" valgrind

for f in "${failures[@]}"; do echo "failed: $f (log: $log/$f.log)"; done
[ $failed -eq 0 ] && rm -rf "$log"
echo "stress: $passed passed, $failed failed"
[ $failed -eq 0 ]
