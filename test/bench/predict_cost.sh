#!/usr/bin/env bash
# test/bench/predict_cost.sh [ROWS] — cost per call of predict() against a
# floor: a trivial built-in C function taking the same float8[] in the same
# query (cardinality()), for a linear model and a 300-tree depth-6
# gradient_boosting model.  Each variant runs 5 times over ROWS rows of a
# table holding feature vectors; the median of the backend's CPU time
# (/proc/PID/schedstat, so a busy machine's waits for a core are left out)
# is reported in microseconds per row after subtracting nothing (the floor
# is shown for comparison).  Starts its own throwaway cluster.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=predict_cost
. "$top/test/lib/cluster.sh"
rows=${1:-1000000}
qpm_cluster_start
trap qpm_cluster_stop EXIT

psql -X -q -v ON_ERROR_STOP=1 -d postgres >/dev/null <<SQL
CREATE EXTENSION query_perf_ml;
CREATE TABLE stats AS
SELECT g::bigint AS queryid, 1 + g % 20 AS calls,
       (1 + g % 20) * (0.5 + (g % 97) * (1 + g % 7)) AS total_exec_time,
       (1 + g % 20) * (g % 97) AS shared_blks_hit, (1 + g % 20) * (g % 7) AS shared_blks_read
  FROM generate_series(1, 5000) g;
SET query_perf_ml.training_progress = off;
-- pgss/1 models (12 features), as the README's numbers: the vectors below have 12
SET query_perf_ml.default_feature_set = 'pgss/1';
SELECT version FROM query_perf_ml.train_model('lin', 'linear', 'stats');
SELECT version FROM query_perf_ml.train_model('gbm300', 'gradient_boosting', 'stats',
       '{"n_trees": 300, "max_depth": 6, "early_stopping_rounds": 0}');
CREATE TABLE vecs AS
SELECT ARRAY[ln(1 + g % 50), g % 100, g % 1000, g % 37, 0, 0, 0, g % 3, g % 5000, 0.01, 0.9, g % 4]::float8[] AS f
  FROM generate_series(1, $rows) g;
VACUUM ANALYZE vecs;
SQL

# The backend's CPU time in ns (first field of /proc/PID/schedstat): on a
# shared machine the time the backend waits for a core is not counted.
cpu_ns="SELECT split_part(pg_read_file('/proc/' || pg_backend_pid() || '/schedstat'), ' ', 1)"
median_ms() {	# median_ms SQL: median over 5 runs of the statement's CPU time
	for i in 1 2 3 4 5; do
		psql -X -qAt -d postgres -c "SET max_parallel_workers_per_gather = 0" -c "$cpu_ns" -c "$1" -c "$cpu_ns" |
			awk 'NR == 1 { t0 = $1 } NR == 3 { printf "%.3f\n", ($1 - t0) / 1e6 }'
	done | sort -n | sed -n 3p
}

floor=$(median_ms "SELECT sum(cardinality(f)) FROM vecs")
linear=$(median_ms "SELECT sum(query_perf_ml.predict('lin', f)) FROM vecs")
gbm=$(median_ms "SELECT sum(query_perf_ml.predict('gbm300', f)) FROM vecs")
trees=$(psql -X -qAt -d postgres -c "SELECT options->>'n_trees' FROM query_perf_ml.models WHERE name = 'gbm300'")
awk -v r="$rows" -v f="$floor" -v l="$linear" -v g="$gbm" -v t="$trees" 'BEGIN {
	printf "rows per run:            %d (median of 5 runs)\n", r
	printf "floor (cardinality):     %.3f us/row\n", f * 1000 / r
	printf "predict(), linear:       %.3f us/row  (%.2fx floor)\n", l * 1000 / r, l / f
	printf "predict(), GBM %s trees: %.3f us/row  (%.2fx floor)\n", t, g * 1000 / r, g / f
}'
