#!/usr/bin/env bash
# test/bench/accuracy.sh [SCALE] [STATEMENTS] [REPEATS] [WORKLOAD_SEEDS] [TRAINING_SEEDS]
# — run the realistic workload (test/workload) once per workload seed on a
# throwaway cluster, keep each run's pg_stat_statements as a table, and
# compare query_perf_ml's three algorithms with scikit-learn reference fits
# on the same vectors and held-out statements, for feature sets pgss/1 and
# pgss/2, over the training seeds (test/bench/accuracy.py).  Coverage is
# the mean over seeds of the held-out coverage of the 90% interval.
#
# The cluster runs with track_io_timing = on (blk_read_time, temp block
# times) and jit = on with the JIT cost thresholds at a tenth of their
# defaults (QPM_JIT_ABOVE_COST, default 10000; inlining and optimization at
# 50000): at scale 1.0 no workload statement reaches the default 100000,
# so without this the jit_* columns pgss/2 reads would all be 0.  The lower
# thresholds make the heaviest statements compile, as they would on a
# database about ten times larger.  Defaults: scale 1.0, 600 statements x 5
# runs, workload seeds "1 2 3", training seeds "1 2 3 4 5".
#
# With QPM_SNAPSHOT_DIR=dir, each run's pg_stat_statements is saved there as
# workload_SEED.csv, and a run whose file exists is loaded instead of run
# again: the accuracy part can then be repeated on the same data (the
# workload's timings differ from run to run, the more so on a busy machine).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=accuracy
. "$top/test/lib/cluster.sh"
QPM_EXTRA_PACKAGES="python3-sklearn python3-psycopg2" qpm_install_deps
scale=${1:-1.0}; statements=${2:-600}; repeats=${3:-5}
wseeds=${4:-1 2 3}; tseeds=${5:-1 2 3 4 5}
jit_cost=${QPM_JIT_ABOVE_COST:-10000}
QPM_EXTRA_CONF="track_io_timing = on
jit = on
jit_above_cost = $jit_cost
jit_inline_above_cost = $((jit_cost * 5))
jit_optimize_above_cost = $((jit_cost * 5))" qpm_cluster_start
trap qpm_cluster_stop EXIT
snapdir=${QPM_SNAPSHOT_DIR:-}
[ -n "$snapdir" ] && mkdir -p "$snapdir" && snapdir=$(cd "$snapdir" && pwd)
[ -n "$snapdir" ] && [ "$(id -u)" -eq 0 ] && chmod a+rwx "$snapdir"
sql() { psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }
sql -c "CREATE EXTENSION pg_stat_statements" -c "CREATE EXTENSION query_perf_ml" >/dev/null
sources=()
for w in $wseeds; do
	if [ -n "$snapdir" ] && [ -f "$snapdir/workload_$w.csv" ]; then
		sql -c "CREATE TABLE workload_$w (LIKE pg_stat_statements)" \
			-c "\\copy workload_$w FROM '$snapdir/workload_$w.csv' CSV HEADER" >/dev/null
		qpm_log "workload seed $w loaded from $snapdir/workload_$w.csv"
	else
		if [ -z "$(psql -X -qAt -d postgres -c "SELECT to_regclass('qpm_workload.meta')")" ]; then
			sql -f "$top/test/workload/workload.sql" >/dev/null
			sql -c "SELECT qpm_workload.setup($scale)" >/dev/null
			sql -c "VACUUM ANALYZE" >/dev/null
		fi
		sql -c "SELECT pg_stat_statements_reset()" >/dev/null
		sql -c "SELECT failures FROM qpm_workload.run($statements, $repeats, $w, jit => true)" >/dev/null
		sql -c "CREATE TABLE workload_$w AS SELECT * FROM pg_stat_statements WHERE NOT toplevel" >/dev/null
		[ -n "$snapdir" ] && sql -c "\\copy workload_$w TO '$snapdir/workload_$w.csv' CSV HEADER" >/dev/null
	fi
	sources+=("workload_$w")
	# what the new columns carry in this run
	psql -X -qAt -d postgres -c "SELECT format('workload seed $w: %s statements; with blk_read_time > 0: %s, temp block time > 0: %s, WAL records > 0: %s, JIT-compiled: %s (inlined %s, optimized %s), JIT ms per call median %s',
	    count(*), count(*) FILTER (WHERE blk_read_time > 0), count(*) FILTER (WHERE temp_blk_read_time + temp_blk_write_time > 0),
	    count(*) FILTER (WHERE wal_records > 0), count(*) FILTER (WHERE jit_functions > 0),
	    count(*) FILTER (WHERE jit_inlining_count > 0), count(*) FILTER (WHERE jit_optimization_count > 0),
	    round((percentile_cont(0.5) WITHIN GROUP (ORDER BY (jit_generation_time + jit_inlining_time + jit_optimization_time + jit_emission_time) / calls)
	           FILTER (WHERE jit_functions > 0))::numeric, 1))
	  FROM workload_$w"
done
/usr/bin/python3 "$top/test/bench/accuracy.py" "host=$PGHOST port=$PGPORT dbname=postgres user=postgres" \
	--sources "${sources[@]}" --seeds $tseeds --feature-sets pgss/1 pgss/2 ${QPM_ACCURACY_ARGS:-}
