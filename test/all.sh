#!/usr/bin/env bash
# test/all.sh — the whole test suite, as the README's second command.
# Installs missing Debian packages, builds with -Werror, installs the
# extension, then runs: cppcheck + clang-tidy (test/lint.sh), unit tests of
# the ML core (plain, with ASan/UBSan, and under valgrind memcheck except the
# two slow XGBoost parity tests), short fuzz runs (libFuzzer targets and the
# import document fuzzer), pg_regress + isolation on temporary instances,
# and the end-to-end scripts in test/e2e (each on its own throwaway
# cluster).  The long versions run from test/stress.sh.
# Prints one line per suite and a final "N passed, N failed"; exits
# non-zero if anything failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
QPM_SCRIPT=all
. "$top/test/lib/cluster.sh"

qpm_install_deps || { echo "all: dependency installation failed"; exit 1; }
log=$(mktemp -d /tmp/qpm_all.XXXXXX)
passed=0; failed=0; failures=()

run_suite() {	# run_suite NAME COMMAND...
	local name=$1 start rc
	shift
	start=$(date +%s)
	"$@" >"$log/$name.log" 2>&1; rc=$?
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1)); printf 'ok   %-22s %4ss\n' "$name" $(( $(date +%s) - start ))
	else
		failed=$((failed + 1)); failures+=("$name")
		printf 'FAIL %-22s %4ss (exit %s)\n' "$name" $(( $(date +%s) - start )) $rc
		tail -n 60 "$log/$name.log" | sed 's/^/    | /'
	fi
}

run_suite build         make -C "$top" -j2 PG_CONFIG="$QPM_PG_CONFIG"
run_suite install       qpm_root make -C "$top" install PG_CONFIG="$QPM_PG_CONFIG"
run_suite unit          make -C "$top/test/unit"
run_suite unit-sanitize make -C "$top/test/unit" SANITIZE=1
run_suite unit-valgrind make -C "$top/test/unit" valgrind-quick
run_suite lint          "$top/test/lint.sh"
run_suite fuzz-short    "$top/test/fuzz/run.sh" 10
run_suite fuzz-import   "$top/test/fuzz/import_doc.sh" 10
run_suite regress       "$top/test/regress.sh"
for t in "$top"/test/e2e/*.sh; do
	run_suite "e2e-$(basename "$t" .sh)" "$t"
done

for f in "${failures[@]}"; do echo "failed: $f (log: $log/$f.log)"; done
[ $failed -eq 0 ] && rm -rf "$log"
echo "all: $passed passed, $failed failed"
[ $failed -eq 0 ]
