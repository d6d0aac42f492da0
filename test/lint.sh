#!/usr/bin/env bash
# test/lint.sh — static analysis of src/ with cppcheck and clang-tidy; exits
# non-zero on any finding.  Run by test/all.sh.
#
# cppcheck (2.10): --enable=warning,style,portability,performance over the
# ML core and the PostgreSQL glue (with the server headers, so ereport(ERROR)
# and PG_RE_THROW are known not to return).
#   --max-configs=1      the server headers have hundreds of #ifdef
#                        combinations; checking them all takes 6 minutes
#                        and found nothing more than the one configuration
#                        we build.
#   variableScope        off: "reduce the scope of a variable" contradicts
#                        PostgreSQL's style (declarations at block top,
#                        -Wdeclaration-after-statement).
#   missingIncludeSystem off: libc / LAPACK headers are not analysed.
#   shadowFunction       off: fmgrprotos.h declares every SQL-callable
#                        builtin as a C function (now, lower, upper ...), so
#                        an ordinary local such as "now" would be flagged,
#                        as it would be in PostgreSQL itself.
#   inline suppressions (grep cppcheck-suppress src/), each with its reason:
#     sql_predict.c invalidPointerCast: ARR_DATA_PTR is char *, and float8[]
#                   data is aligned for double by PostgreSQL.
#     forest.c, forest_perfect.c invalidPointerCast: a forest's evaluation
#                   layouts are carved out of one allocation (nodes as
#                   uint16, thresholds and leaves as float at 4-byte aligned
#                   offsets); the floats are written and read as float.
#
# clang-tidy (14): clang-analyzer-* and bugprone-*, except
#   bugprone-easily-swappable-parameters  a style heuristic: numeric code
#                   passes (double, double) everywhere by nature.
#   bugprone-reserved-identifier  _PG_init is the name PostgreSQL requires.
#   bugprone-implicit-widening-of-multiplication-result  its one hit,
#                   forest.c "xs[2 * nf]" with nf <= QPM_MAX_FEATURES, is a
#                   false alarm; every tree/node count the core multiplies
#                   is validated far below INT_MAX first.
#   NOLINT (grep NOLINT src/): qpm_util.c's vsnprintf is reported as using
#                   an uninitialized va_list although va_start is on the
#                   line before: a false alarm of clang 14's valist checker.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
QPM_SCRIPT=lint
. "$top/test/lib/cluster.sh"
cd "$top"
pg_inc=$("$QPM_PG_CONFIG" --includedir-server)
status=0

out=$(cppcheck -q -j 2 --inline-suppr --error-exitcode=1 --std=c99 --max-configs=1 \
	--enable=warning,style,portability,performance \
	--suppress=variableScope --suppress=missingIncludeSystem --suppress=shadowFunction --suppress=toomanyconfigs \
	-I src -I src/core -I "$pg_inc" src/*.c src/core/*.c 2>&1) || status=1
if [ -n "$out" ]; then printf '%s\n' "$out"; status=1; fi
echo "cppcheck: $( [ -z "$out" ] && echo clean || echo findings ) ($(ls src/*.c src/core/*.c | wc -l) files)"

checks='-*,clang-analyzer-*,bugprone-*,-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier,-bugprone-implicit-widening-of-multiplication-result'
tidy() {	# tidy FILES... -- FLAGS
	clang-tidy -quiet --checks="$checks" --warnings-as-errors='*' "$@" 2>&1 | grep -v '^[0-9]* warnings\? generated\.$\|^Suppressed [0-9]* warnings\|^Use -header-filter\|^$' || true
}
# the library version comes from the Makefile, as in the build
version="-DQPM_LIBRARY_VERSION=\"$(sed -n 's/^EXTVERSION = //p' Makefile)\""
# files in batches on both cores (each clang-tidy run is single-threaded)
export checks pg_inc version
export -f tidy
out=$( {
	printf '%s\n' src/core/*.c | xargs -n 6 -P 2 bash -c 'tidy "$@" -- -std=gnu99 -Isrc/core' _
	printf '%s\n' src/*.c | xargs -n 6 -P 2 bash -c 'tidy "$@" -- -std=gnu99 -Isrc -Isrc/core -I"$pg_inc" -D_GNU_SOURCE "$version"' _
} )
if [ -n "$out" ]; then printf '%s\n' "$out"; status=1; fi
echo "clang-tidy: $( [ -z "$out" ] && echo clean || echo findings ) (checks: $checks)"
exit $status
