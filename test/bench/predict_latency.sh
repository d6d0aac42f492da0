#!/usr/bin/env bash
# test/bench/predict_latency.sh [SECONDS] [ROUNDS] — what a prediction by
# queryid costs next to the row fetch it needs.
#
# One throwaway cluster (pg_stat_statements preloaded, query_perf_ml not),
# the realistic workload (test/workload, scale 0.1, 1 200 statements, three
# snapshots) so that pg_stat_statements, metrics_intervals and
# latest_intervals hold real rows, and a table `src` copied from
# pg_stat_statements with a btree on queryid.  A linear and a
# gradient_boosting model (defaults) are trained on `src`.
#
# For each source, pgbench (-M prepared, one statement per transaction)
# runs the fetch `SELECT * FROM <source> WHERE queryid = q` and
# `predict_query_execution(q, <model>, <source>)` for both models, with q
# fixed (one statement) or random (any statement of the source, read from
# an indexed table `ids` by a scalar subquery in the same statement, on
# both sides of the comparison).  1 and 4 clients; every variant runs for
# SECONDS (default 3) per round, ROUNDS rounds (default 2), the variants
# alternated in each round (even rounds in the reverse order, so that no
# variant always follows the same one).  p50 comes from pgbench's per-transaction log
# (--log), pooled over the rounds; the ratio is p50(predict) / p50(fetch).
#
# QPM_BASELINE_LIB=/path/query_perf_ml.so: a second library (e.g. main's,
# built in a temporary checkout) measured in the same run.  The bench
# cluster's pg_proc.probin is pointed at it and back between runs (every
# pgbench run opens new backends, which load the library probin names), so
# the two alternate run by run; the SQL of both must be the same version.
# QPM_SETUP_ONLY=1: build the cluster, print how to reach it, keep it and
# exit (for profiling by hand; stop it with pg_ctl and remove it yourself).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=predict_latency
. "$top/test/lib/cluster.sh"
secs=${1:-3}; rounds=${2:-2}
baseline=${QPM_BASELINE_LIB:-}
QPM_EXTRA_CONF="pg_stat_statements.track = 'all'
max_connections = 20
jit = off"
qpm_cluster_start
work=$(mktemp -d /tmp/qpm_predict_latency.XXXXXX)
[ "$(id -u)" -eq 0 ] && chown postgres "$work"
trap 'qpm_cluster_stop; rm -rf "$work"' EXIT
if [ -n "${QPM_SETUP_ONLY:-}" ]; then trap - EXIT; fi	# keep the cluster for experiments
q() { psql -X -qAt -v ON_ERROR_STOP=1 -d postgres -c "$1"; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
q "CREATE EXTENSION pg_stat_statements" >/dev/null
q "CREATE EXTENSION query_perf_ml" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d postgres -f "$top/test/workload/workload.sql" -v scale=0.1 >/dev/null
for r in 1 2 3; do
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -f "$top/test/workload/workload.sql" \
		-v n_statements=1200 -v repeats=2 -v seed=1 -v reset=0 >/dev/null
	q "SELECT query_perf_ml.snapshot()" >/dev/null
done
psql -X -q -v ON_ERROR_STOP=1 -d postgres >/dev/null <<'SQL'
CREATE TABLE src AS SELECT * FROM pg_stat_statements WHERE calls > 0;
CREATE INDEX ON src (queryid);
-- the statements every source has, numbered for random picks
CREATE TABLE ids AS
SELECT row_number() OVER (ORDER BY queryid)::int AS i, queryid
  FROM (SELECT DISTINCT queryid FROM src
        WHERE queryid IN (SELECT queryid FROM query_perf_ml.latest_intervals)) s;
ALTER TABLE ids ADD PRIMARY KEY (i);
VACUUM ANALYZE src, ids;
SET query_perf_ml.training_progress = off;
SELECT version FROM query_perf_ml.train_model('lin', 'linear', 'src');
SELECT version FROM query_perf_ml.train_model('gbm', 'gradient_boosting', 'src');
SQL
n_ids=$(q "SELECT count(*) FROM ids")
fixed=$(q "SELECT queryid FROM ids WHERE i = $(( n_ids / 2 ))")
echo "statements in src: $(q "SELECT count(*) FROM src"), in every source: $n_ids; fixed queryid $fixed"
echo "models: $(q "SELECT string_agg(name || ' ' || algorithm || ' ' || feature_set, ', ' ORDER BY name) FROM query_perf_ml.models WHERE is_active")"

if [ -n "${QPM_SETUP_ONLY:-}" ]; then
	echo "cluster kept: PGHOST=$PGHOST PGPORT=$PGPORT QPM_DATA=$QPM_DATA (work: $work)"; exit 0
fi
libs=(new)
newbin=$(q "SELECT DISTINCT probin FROM pg_proc WHERE probin LIKE '%query_perf_ml'")
if [ -n "$baseline" ]; then
	[ -f "$baseline" ] || { qpm_log "QPM_BASELINE_LIB $baseline not found"; exit 1; }
	cp "$baseline" "$work/baseline.so"
	libs=(old new)
fi
use_lib() {	# use_lib old|new: point the extension's C functions at a library
	local to=$newbin
	[ "$1" = old ] && to=$work/baseline.so
	q "UPDATE pg_catalog.pg_proc SET probin = '$to' WHERE probin IN ('$newbin', '$work/baseline.so')" >/dev/null
}

# source name -> its SQL name
declare -A srcsql=([table]=src [pgss]=pg_stat_statements
	[intervals]=query_perf_ml.metrics_intervals [latest]=query_perf_ml.latest_intervals)
sources=(table pgss intervals latest)
kinds=(fetch lin gbm)
script() {	# script SOURCE KIND fixed|random
	local s=${srcsql[$1]} qv
	if [ "$3" = fixed ]; then qv=$fixed; else
		echo "\\set i random(1, $n_ids)"
		qv="(SELECT queryid FROM ids WHERE i = :i)"
	fi
	case $2 in
		fetch) echo "SELECT * FROM $s WHERE queryid = $qv;" ;;
		*) echo "SELECT * FROM query_perf_ml.predict_query_execution($qv, '$2', '$s');" ;;
	esac
}
for s in "${sources[@]}"; do for k in "${kinds[@]}"; do for m in fixed random; do
	script "$s" "$k" "$m" > "$work/$s.$k.$m.sql"
	# fail now, not in the middle of the timing, if a variant errors
	"$QPM_PGBIN/pgbench" -n -M prepared -t 3 -f "$work/$s.$k.$m.sql" postgres >/dev/null 2>"$work/err" ||
		{ cat "$work/err"; exit 1; }
done; done; done

for r in $(seq "$rounds"); do
	# even rounds run the libraries and the variants in reverse order
	order_libs=("${libs[@]}"); order_kinds=("${kinds[@]}")
	if [ $((r % 2)) -eq 0 ]; then
		order_libs=($(printf '%s\n' "${libs[@]}" | tac)); order_kinds=($(printf '%s\n' "${kinds[@]}" | tac))
	fi
	for c in 1 4; do for s in "${sources[@]}"; do for m in fixed random; do
		for lib in "${order_libs[@]}"; do
			[ ${#libs[@]} -gt 1 ] && use_lib "$lib"
			for k in "${order_kinds[@]}"; do
				[ "$k" = fetch ] && [ "$lib" = old ] && continue
				( cd "$work" && "$QPM_PGBIN/pgbench" -n -M prepared -c "$c" -j "$c" -T "$secs" \
					-f "$s.$k.$m.sql" -l --log-prefix="log.$lib.$c.$s.$m.$k.$r" postgres >/dev/null 2>&1 )
			done
		done
	done; done; done
	qpm_log "round $r done"
done
[ ${#libs[@]} -gt 1 ] && use_lib new

p50() {	# p50 LOGPREFIX: median latency (ms) over every log file of the prefix
	# (a failed or skipped transaction has a word, not a number, as its time:
	# left out, where sort -n would have counted it as 0)
	cat "$work"/"$1".* 2>/dev/null | awk '$3 ~ /^[0-9]+$/ { print $3 }' | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) printf "%.3f", v[int((NR + 1) / 2)] / 1000; else printf "-" }'
}
cnt() { cat "$work"/"$1".* 2>/dev/null | wc -l; }
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "p50 latency in ms (transactions); ratio = predict / fetch of the same source, clients, queryid pick"
printf '%-9s %-7s %-3s %-9s' source queryid c fetch
for lib in "${libs[@]}"; do printf ' %-17s %-17s' "linear($lib)" "gbm($lib)"; done
echo
for s in "${sources[@]}"; do for m in fixed random; do for c in 1 4; do
	f=$(p50 "log.new.$c.$s.$m.fetch")
	printf '%-9s %-7s %-3s %-9s' "$s" "$m" "$c" "$f"
	for lib in "${libs[@]}"; do for k in lin gbm; do
		v=$(p50 "log.$lib.$c.$s.$m.$k")
		printf ' %-17s' "$v ($(awk -v a="$v" -v b="$f" 'BEGIN { printf "%.2fx", a / b }'))"
	done; done
	echo
done; done; done
echo
least=
for s in "${sources[@]}"; do for m in fixed random; do for c in 1 4; do
	for v in new.fetch $(for lib in "${libs[@]}"; do echo "$lib.lin $lib.gbm"; done); do
		n=$(cnt "log.${v%%.*}.$c.$s.$m.${v#*.}")
		[ -z "$least" ] || [ "$n" -lt "$least" ] && least=$n
	done
done; done; done
echo "transactions logged per variant (all rounds): at least $least"
