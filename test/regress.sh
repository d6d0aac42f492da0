#!/usr/bin/env bash
# test/regress.sh [test ...] — `make installcheck` (pg_regress and
# pg_isolation_regress on temporary instances, as the Makefile's REGRESS,
# REGRESS_PRELOAD, ISOLATION and their options say) in a scratch copy of the
# tree, so it works as root (the instances run as "postgres", which must own
# the files it writes) and leaves the tree clean.  The plain, the
# isolation and the preloaded tests run as three make calls, so a failure in
# one does not skip the others.  Names given: only those tests (each on the
# instance its Makefile list says), no isolation tests.  On failure the
# diffs are printed and kept in test/regress_out/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
QPM_SCRIPT=regress
. "$top/test/lib/cluster.sh"

rm -rf "$top/test/regress_out"	# only a failed run leaves it
out=$(mktemp -d /tmp/qpm_regress.XXXXXX)
tar -C "$top" --exclude=.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
	--exclude=test/unit/build --exclude=test/unit/build-san --exclude=test/fuzz/build -cf - . | tar -C "$out" -xf -
[ "$(id -u)" -eq 0 ] && chown -R postgres "$out"

plain_args=("REGRESS_PRELOAD=" "ISOLATION=")
iso_args=("REGRESS=" "REGRESS_PRELOAD=")
preload_args=()
if [ $# -gt 0 ]; then
	preload_all=" $(sed -n 's/^REGRESS_PRELOAD = //p' "$top/Makefile") "
	plain=""; preload=""
	for t in "$@"; do
		if [[ "$preload_all" == *" $t "* ]]; then preload="$preload $t"; else plain="$plain $t"; fi
	done
	plain_args+=("REGRESS=$plain")
	iso_args+=("ISOLATION=")
	preload_args=("REGRESS_PRELOAD=$preload")
fi
status=0
mk() { qpm_pguser make -C "$out" -s PG_CONFIG="$QPM_PG_CONFIG" "$@"; }
mk installcheck "${plain_args[@]}" || status=1
mk installcheck "${iso_args[@]}" || status=1
mk installcheck-preload "${preload_args[@]}" || status=1

if [ $status -ne 0 ]; then
	mkdir -p "$top/test/regress_out"
	for d in regress:. preload:output_preload isolation:output_iso; do
		name=${d%%:*}; dir=$out/${d#*:}
		[ -f "$dir/regression.diffs" ] || continue
		cat "$dir/regression.diffs"
		cp "$dir/regression.diffs" "$top/test/regress_out/$name.diffs"
		[ -d "$dir/results" ] && cp -r "$dir/results" "$top/test/regress_out/${name}_results"
	done
fi
rm -rf "$out"
exit $status
