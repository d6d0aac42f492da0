#!/usr/bin/env bash
# test/bench/snapshot_cost.sh [STATEMENTS] [SNAPSHOTS] — cost of
# query_perf_ml.snapshot() with STATEMENTS distinct statements in
# pg_stat_statements (default 5000; pg_stat_statements.max = 10000), taken
# SNAPSHOTS times (default 20) with every statement run again in between,
# so each snapshot copies them all.  Prints the median and max snapshot
# time, then the cost of reading the resulting metrics_intervals view and
# of training on it.  Target (issue 4): 5000 statements well under 100 ms.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=snapshot_cost
. "$top/test/lib/cluster.sh"
n=${1:-5000}
snaps=${2:-20}
QPM_EXTRA_CONF="pg_stat_statements.max = 10000
pg_stat_statements.track = top"
qpm_cluster_start
trap qpm_cluster_stop EXIT
psql -X -q -v ON_ERROR_STOP=1 -d postgres >/dev/null <<SQL
CREATE EXTENSION pg_stat_statements;
CREATE EXTENSION query_perf_ml;
-- 100 tables x 50 WHERE-clause shapes = 5000 distinct statements.
DO \$\$
BEGIN
    FOR t IN 1..100 LOOP
        EXECUTE format('CREATE TABLE bench_t%s (a int)', t);
    END LOOP;
END
\$\$;
SQL
# Top-level statements from a generated script (track = top).
gen=$(mktemp)
psql -X -qAt -d postgres -c "SELECT format('SELECT count(*) FROM bench_t%s WHERE a > 0%s;', t, repeat(' AND a > 0', s - 1)) FROM generate_series(1, 50) s, generate_series(1, 100) t LIMIT $n" >"$gen"
times=()
for i in $(seq 1 "$snaps"); do
	psql -X -q -d postgres -f "$gen" >/dev/null
	ms=$(psql -X -qAt -d postgres <<'SQL' | tail -n 1
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
SELECT query_perf_ml.snapshot() \gset
SELECT round(((extract(epoch FROM clock_timestamp()) - :t0) * 1000)::numeric, 1);
SQL
)
	times+=("$ms")
done
rm -f "$gen"
printf '%s\n' "${times[@]}" | sort -n | awk -v n="$n" '{a[NR]=$1} END {printf "snapshot() of %d statements: median %.1f ms, max %.1f ms over %d snapshots\n", n, a[int((NR+1)/2)], a[NR], NR}'
psql -X -qAt -d postgres <<'SQL'
SELECT 'statements per snapshot: ' || max(statements) FROM query_perf_ml.snapshots;
SELECT 'history rows: ' || count(*) || ', size ' || pg_size_pretty(pg_total_relation_size('query_perf_ml.metrics_history')) FROM query_perf_ml.metrics_history;
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
SELECT count(*) AS intervals FROM query_perf_ml.metrics_intervals \gset
SELECT 'reading metrics_intervals (' || :intervals || ' rows): ' || round(((extract(epoch FROM clock_timestamp()) - :t0) * 1000)::numeric) || ' ms';
SQL
