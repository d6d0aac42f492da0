#!/usr/bin/env bash
# test/regress.sh [test ...] — `make installcheck` (pg_regress and
# pg_isolation_regress on temporary instances, as the Makefile's REGRESS,
# ISOLATION and their _OPTS say) in a scratch copy of the tree, so it works as
# root (the instances run as "postgres", which must own the files it writes)
# and leaves the tree clean.  Names given: only those pg_regress tests, no
# isolation tests.  On failure the diffs are printed and kept in
# test/regress_out/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
QPM_SCRIPT=regress
. "$top/test/lib/cluster.sh"

rm -rf "$top/test/regress_out"	# only a failed run leaves it
out=$(mktemp -d /tmp/qpm_regress.XXXXXX)
tar -C "$top" --exclude=.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
	--exclude=test/unit/build --exclude=test/unit/build-san --exclude=test/fuzz/build -cf - . | tar -C "$out" -xf -
[ "$(id -u)" -eq 0 ] && chown -R postgres "$out"

args=()
[ $# -gt 0 ] && args=("REGRESS=$*" "ISOLATION=")
status=0
qpm_pguser make -C "$out" -s installcheck PG_CONFIG="$QPM_PG_CONFIG" "${args[@]}" || status=1

if [ $status -ne 0 ]; then
	mkdir -p "$top/test/regress_out"
	for d in "$out/regression.diffs" "$out/output_iso/regression.diffs"; do
		[ -f "$d" ] || continue
		cat "$d"
		cp "$d" "$top/test/regress_out/$(basename "$(dirname "$d")" | sed 's/^qpm_regress.*/regress/; s/^output_iso$/isolation/').diffs"
	done
	cp -r "$out/results" "$top/test/regress_out/" 2>/dev/null || true
	[ -d "$out/output_iso/results" ] && cp -r "$out/output_iso/results" "$top/test/regress_out/iso_results"
fi
rm -rf "$out"
exit $status
