#!/usr/bin/env bash
# test/bench/train_memory.sh — the training memory estimate that
# query_perf_ml.max_training_memory is checked against (sql_train.c,
# xgb_train.c), next to what a training really takes: the backend's peak
# resident memory (VmHWM, which includes XGBoost's allocations) minus its
# peak before the training, each in a fresh session with the library
# loaded.  Generated pg_stat_statements-shaped sources with all 12 features
# varying, maintenance_work_mem = 2GB (no sampling), cv_folds 2.  The
# estimate must never be below the measurement (ratio >= 1).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=train_memory
. "$top/test/lib/cluster.sh"
qpm_cluster_start
trap qpm_cluster_stop EXIT
psql -X -q -v ON_ERROR_STOP=1 -d postgres >/dev/null <<'SQL'
CREATE EXTENSION query_perf_ml;
CREATE UNLOGGED TABLE src AS
SELECT g::bigint AS queryid, c AS calls,
       c * exp(-3 + 0.6 * ln(1 + h) + 0.9 * ln(1 + r) + 0.2 * (g % 4) + 0.4 * (random() - 0.5)) AS total_exec_time,
       c * (g % 50) AS rows, c * h AS shared_blks_hit, c * r AS shared_blks_read,
       c * (g % 3) AS shared_blks_dirtied, c * (g % 5) AS shared_blks_written,
       c * (g % 11 = 0)::int * 20 AS temp_blks_read, c * (g % 13 = 0)::int * 20 AS temp_blks_written,
       c * (g % 7) * 100 AS wal_bytes, c AS plans, c * 0.05 AS total_plan_time
  FROM generate_series(1, 200000) g,
       LATERAL (SELECT 1 + g % 40 AS c, exp(8 * random()) - 1 AS h, exp(6 * random()) - 1 AS r) x;
CREATE UNLOGGED TABLE src_20000 AS SELECT * FROM src LIMIT 20000;
CREATE UNLOGGED TABLE src_100000 AS SELECT * FROM src LIMIT 100000;
CREATE UNLOGGED TABLE src_200000 AS SELECT * FROM src;
SQL

hwm() { echo "round(substring(pg_read_file('/proc/' || pg_backend_pid() || '/status') FROM 'VmHWM:\s*(\d+)')::numeric / 1024, 1)"; }
printf '| rows | algorithm | depth | trees | threads | estimate MB | measured MB | estimate / measured |\n|---|---|---|---|---|---|---|---|\n'
run() {	# run ROWS ALGORITHM DEPTH TREES THREADS
	local opts out est before after
	case $2 in
		linear) opts='"cv_folds": 2' ;;
		gradient_boosting) opts="\"max_depth\": $3, \"n_trees\": $4, \"cv_folds\": 2, \"early_stopping_rounds\": 0" ;;
		*) opts="\"max_depth\": $3, \"n_trees\": $4, \"cv_folds\": 2" ;;
	esac
	out=$(psql -X -qAt -d postgres 2>&1 <<SQL
SET maintenance_work_mem = '2GB';
SET query_perf_ml.max_training_memory = '1TB';
SET query_perf_ml.max_model_size = '1GB';
SET query_perf_ml.max_training_threads = 64;
SET query_perf_ml.training_threads = $5;
SET query_perf_ml.training_progress = off;
SELECT query_perf_ml.is_held_out(1) IS NOT NULL;
SELECT 'before ' || $(hwm);
SET client_min_messages = debug1;
SELECT 'trained ' || t.n_train FROM query_perf_ml.train_model('t', '$2', 'src_$1', '{$opts}') t;
RESET client_min_messages;
SELECT 'after ' || $(hwm);
SQL
)
	est=$(sed -n 's/.*estimated at \([0-9.]*\) MB.*/\1/p' <<<"$out" | head -n 1)
	before=$(sed -n 's/^before //p' <<<"$out"); after=$(sed -n 's/^after //p' <<<"$out")
	[ -n "$est" ] && [ -n "$after" ] || { echo "train_memory: no result for $*: $out" >&2; return 1; }
	awk -v r="$1" -v a="$2" -v d="$3" -v t="$4" -v th="$5" -v e="$est" -v b="$before" -v f="$after" \
		'BEGIN { m = f - b; printf "| %d | %s | %d | %d | %d | %.0f | %.0f | %.2f |\n", r, a, d, t, th, e, m, e / m }'
}
for rows in 20000 100000 200000; do
	run "$rows" random_forest 6 32 1
	run "$rows" random_forest 10 32 1
	run "$rows" random_forest 14 32 1
	run "$rows" gradient_boosting 6 300 1
	run "$rows" gradient_boosting 10 100 1
done
run 20000 random_forest 18 32 1
run 100000 random_forest 10 32 4
run 100000 gradient_boosting 6 300 4
run 200000 linear 0 0 1
