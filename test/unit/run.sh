#!/usr/bin/env bash
# Runs unit-test programs, adds up their "N passed, N failed" lines and
# prints the total in the same form; exits non-zero on any failure.
set -u
wrap=()
if [ "${1:-}" = "--valgrind" ]; then
	# memcheck; any invalid access, uninitialised use or leak (definite,
	# indirect or possible) is an error.  No suppressions are needed: the
	# only blocks left at exit are 200 bytes "still reachable" that
	# XGBoost / OpenMP keep in globals (test_forest, test_shap).
	wrap=(valgrind -q --error-exitcode=99 --leak-check=full
		--errors-for-leak-kinds=definite,indirect,possible)
	shift
fi
passed=0; failed=0; status=0
for t in "$@"; do
	out=$("${wrap[@]}" "$t" 2>&1); rc=$?
	printf '%s\n' "$out"
	line=$(printf '%s\n' "$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -n 1)
	p=$(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
	passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
	if [ "$rc" -ne 0 ]; then
		status=1
		[ -z "$line" ] && { echo "$t: crashed or exited $rc"; failed=$((failed + 1)); }
	fi
done
echo "unit: $passed passed, $failed failed"
exit $status
