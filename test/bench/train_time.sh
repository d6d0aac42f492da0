#!/usr/bin/env bash
# test/bench/train_time.sh [SIZES] — training time and peak backend memory
# (VmHWM of the backend process, which includes XGBoost's allocations that
# PostgreSQL's memory accounting cannot see) for each algorithm, on
# generated pg_stat_statements-shaped sources of 10k, 100k and 1M rows.
# Each training runs in a fresh session with maintenance_work_mem = 2GB so
# no sampling happens, with the default options (5-fold cross-conformal
# calibration: 6 fits for the tree algorithms).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=train_time
. "$top/test/lib/cluster.sh"
sizes=${1:-"10000 100000 1000000"}
qpm_cluster_start
trap qpm_cluster_stop EXIT
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE EXTENSION query_perf_ml" >/dev/null

printf '| rows | algorithm | train ms | peak backend RSS MB | held-out median q |\n|---|---|---|---|---|\n'
for n in $sizes; do
	psql -X -q -v ON_ERROR_STOP=1 -d postgres >/dev/null <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS src;
CREATE UNLOGGED TABLE src AS
SELECT g::bigint AS queryid, c AS calls,
       c * exp(-3 + 0.6 * ln(1 + h) + 0.9 * ln(1 + r) + 0.2 * (g % 4) + 0.3 * sin(h) + 0.4 * (random() - 0.5)) AS total_exec_time,
       c * (g % 50) AS rows, c * h AS shared_blks_hit, c * r AS shared_blks_read,
       c * (g % 3) AS shared_blks_dirtied, 0 AS shared_blks_written, 0 AS local_blks_hit, 0 AS local_blks_read,
       c * (g % 11 = 0)::int * 20 AS temp_blks_read, c * (g % 11 = 0)::int * 20 AS temp_blks_written,
       c * (g % 7) * 100 AS wal_bytes, c AS plans, c * 0.05 AS total_plan_time
  FROM generate_series(1, $n) g,
       LATERAL (SELECT 1 + g % 40 AS c, exp(8 * random()) - 1 AS h, exp(6 * random()) - 1 AS r) x;
VACUUM ANALYZE src;
SQL
	for alg in linear random_forest gradient_boosting; do
		read -r ms q hwm <<<"$(psql -X -qAt -F ' ' -d postgres <<SQL
SET maintenance_work_mem = '2GB';
SET query_perf_ml.training_progress = off;
SELECT round(t.train_ms), round(t.median_q_error::numeric, 3),
       round(substring(pg_read_file('/proc/' || pg_backend_pid() || '/status') FROM 'VmHWM:\s*(\d+)')::numeric / 1024)
  FROM query_perf_ml.train_model('t_$alg', '$alg', 'src') t;
SQL
)"
		echo "| $n | $alg | $ms | $hwm | $q |"
	done
done
