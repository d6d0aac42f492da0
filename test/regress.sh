#!/usr/bin/env bash
# test/regress.sh [test ...] — pg_regress and pg_isolation_regress on
# temporary instances (ports chosen by pg_regress), with the tests listed in
# the Makefile (REGRESS, ISOLATION) unless names are given.  Works as root
# (runs the instance as "postgres") and as a normal user.  On failure the
# diffs are printed and kept in test/regress_out/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
QPM_SCRIPT=regress
. "$top/test/lib/cluster.sh"

pgxs=$("$QPM_PG_CONFIG" --pkglibdir)/pgxs/src/test
make_var() { sed -n "s/^$1 = //p" "$top/Makefile"; }
regress=${*:-$(make_var REGRESS)}
isolation=$([ $# -eq 0 ] && make_var ISOLATION || true)

rm -rf "$top/test/regress_out"	# only a failed run leaves it
out=$(mktemp -d /tmp/qpm_regress.XXXXXX)
cp -r "$top/sql" "$top/expected" "$top/test/regress.conf" "$out/"
[ -d "$top/test/isolation" ] && cp -r "$top/test/isolation" "$out/"
[ "$(id -u)" -eq 0 ] && chown -R postgres "$out"

status=0
cd "$out"
qpm_pguser "$pgxs/regress/pg_regress" --bindir="$QPM_PGBIN" --inputdir=. --outputdir=. \
	--temp-instance=./tmp_check --temp-config=./regress.conf \
	--load-extension=pg_stat_statements --dbname=contrib_regression \
	$regress || status=1
if [ -n "$isolation" ]; then
	qpm_pguser "$pgxs/isolation/pg_isolation_regress" --bindir="$QPM_PGBIN" --inputdir=./isolation \
		--outputdir=./output_iso --temp-instance=./tmp_check_iso \
		--temp-config=./regress.conf --dbname=isolation_regression \
		$isolation || status=1
fi
if [ $status -ne 0 ]; then
	mkdir -p "$top/test/regress_out"
	[ -f regression.diffs ] && cat regression.diffs && cp regression.diffs "$top/test/regress_out/regress.diffs"
	[ -f output_iso/regression.diffs ] && cat output_iso/regression.diffs &&
		cp output_iso/regression.diffs "$top/test/regress_out/isolation.diffs"
	cp -r results "$top/test/regress_out/" 2>/dev/null || true
	[ -d output_iso/results ] && cp -r output_iso/results "$top/test/regress_out/iso_results"
fi
cd / && rm -rf "$out"
exit $status
