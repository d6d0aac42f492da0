#!/usr/bin/env bash
# test/regress.sh [test ...] — pg_regress and pg_isolation_regress on
# temporary instances (ports chosen by pg_regress), with the tests listed in
# the Makefile (REGRESS, REGRESS_PRELOAD on a second instance that preloads
# query_perf_ml, ISOLATION) unless names are given.  Works as root
# (runs the instance as "postgres") and as a normal user.  On failure the
# diffs are printed and kept in test/regress_out/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
QPM_SCRIPT=regress
. "$top/test/lib/cluster.sh"

pgxs=$("$QPM_PG_CONFIG" --pkglibdir)/pgxs/src/test
make_var() { sed -n "s/^$1 = //p" "$top/Makefile"; }
# Tests named in REGRESS_PRELOAD run on their own instance, which preloads
# query_perf_ml (test/regress_preload.conf); the others on the plain one.
preload_all=$(make_var REGRESS_PRELOAD)
if [ $# -eq 0 ]; then
	regress=$(make_var REGRESS); preload=$preload_all; isolation=$(make_var ISOLATION)
else
	regress=""; preload=""; isolation=""
	for t in "$@"; do
		if [[ " $preload_all " == *" $t "* ]]; then preload="$preload $t"; else regress="$regress $t"; fi
	done
fi

rm -rf "$top/test/regress_out"	# only a failed run leaves it
out=$(mktemp -d /tmp/qpm_regress.XXXXXX)
cp -r "$top/sql" "$top/expected" "$top/test/regress.conf" "$top/test/regress_preload.conf" "$out/"
[ -d "$top/test/isolation" ] && cp -r "$top/test/isolation" "$out/"
[ "$(id -u)" -eq 0 ] && chown -R postgres "$out"

status=0
cd "$out"
if [ -n "$regress" ]; then
	qpm_pguser "$pgxs/regress/pg_regress" --bindir="$QPM_PGBIN" --inputdir=. --outputdir=. \
		--temp-instance=./tmp_check --temp-config=./regress.conf \
		--load-extension=pg_stat_statements --dbname=contrib_regression \
		$regress || status=1
fi
if [ -n "$preload" ]; then
	mkdir -p output_preload && { [ "$(id -u)" -ne 0 ] || chown postgres output_preload; }
	qpm_pguser "$pgxs/regress/pg_regress" --bindir="$QPM_PGBIN" --inputdir=. --outputdir=./output_preload \
		--temp-instance=./tmp_check_preload --temp-config=./regress_preload.conf \
		--load-extension=pg_stat_statements --dbname=contrib_regression \
		$preload || status=1
fi
if [ -n "$isolation" ]; then
	qpm_pguser "$pgxs/isolation/pg_isolation_regress" --bindir="$QPM_PGBIN" --inputdir=./isolation \
		--outputdir=./output_iso --temp-instance=./tmp_check_iso \
		--temp-config=./regress.conf --dbname=isolation_regression \
		$isolation || status=1
fi
if [ $status -ne 0 ]; then
	mkdir -p "$top/test/regress_out"
	[ -f regression.diffs ] && cat regression.diffs && cp regression.diffs "$top/test/regress_out/regress.diffs"
	[ -f output_preload/regression.diffs ] && cat output_preload/regression.diffs &&
		cp output_preload/regression.diffs "$top/test/regress_out/preload.diffs"
	[ -f output_iso/regression.diffs ] && cat output_iso/regression.diffs &&
		cp output_iso/regression.diffs "$top/test/regress_out/isolation.diffs"
	cp -r results "$top/test/regress_out/" 2>/dev/null || true
	[ -d output_preload/results ] && cp -r output_preload/results "$top/test/regress_out/preload_results"
	[ -d output_iso/results ] && cp -r output_iso/results "$top/test/regress_out/iso_results"
fi
cd / && rm -rf "$out"
exit $status
