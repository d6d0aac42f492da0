#!/usr/bin/env bash
# test/bench/train_time.sh [SIZES] [ALGORITHMS] — training time and peak
# backend memory for each algorithm, on generated pg_stat_statements-shaped
# sources (default 10k, 100k and 1M rows, one statement per row), against
# one plain XGBoost fit with the trained model's final parameters.
#
# Each training runs in a fresh session with maintenance_work_mem = 2GB (no
# sampling), one thread and the default options: cross-conformal
# calibration (cv_folds + 1 fits for the tree algorithms) below 100 000
# training rows, split-conformal (one fit) from there on.  Columns:
#   train s        train_model's own train_ms (wall clock)
#   CPU s          the backend's CPU time for the call (/proc/PID/schedstat:
#                  on a shared machine, waiting for a core is left out); it
#                  includes reading the source
#   plain fit CPU s  test/bench/plain_xgb_fit.py: Debian's python3-xgboost
#                  (the same libxgboost), one thread, the same number of
#                  trees and parameters, on the same feature vectors, CPU
#                  time of the fit alone
#   x plain        CPU s / plain fit CPU s
#   scan s         CPU time of reading the source alone into feature vectors
#                  (SELECT count(*) FROM feature_vectors(src): the training
#                  scan's reader and feature computation, plus a tuplestore)
#   peak RSS MB    VmHWM of the backend, which includes XGBoost's allocations
#                  that PostgreSQL's memory accounting cannot see
#   median q, coverage  held-out median q-error and 90% interval coverage
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=train_time
. "$top/test/lib/cluster.sh"
QPM_EXTRA_PACKAGES="python3-xgboost python3-psycopg2" qpm_install_deps
sizes=${1:-"10000 100000 1000000"}
algorithms=${2:-"linear random_forest gradient_boosting"}
qpm_cluster_start
trap qpm_cluster_stop EXIT
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE EXTENSION query_perf_ml" >/dev/null
conninfo="host=$QPM_SOCK port=$QPM_PORT user=postgres dbname=postgres"
cpu_ns="SELECT split_part(pg_read_file('/proc/' || pg_backend_pid() || '/schedstat'), ' ', 1)"

printf '| rows | algorithm | trees | train s | CPU s | plain fit CPU s | x plain | scan s | peak RSS MB | median q | coverage |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|\n'
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
	scan=$(psql -X -qAt -d postgres -c "$cpu_ns" -c "SELECT count(*) FROM query_perf_ml.feature_vectors('src')" -c "$cpu_ns" |
		awk 'NR == 1 { t0 = $1 } NR == 3 { printf "%.2f", ($1 - t0) / 1e9 }')
	for alg in $algorithms; do
		read -r t0 ms q cov hwm t1 trees <<<"$(psql -X -qAt -F ' ' -d postgres <<SQL | tr '\n' ' '
SET maintenance_work_mem = '2GB';
SET query_perf_ml.training_progress = off;
$cpu_ns;
SELECT round(t.train_ms), round(t.median_q_error::numeric, 3), round(t.interval_coverage::numeric, 3),
       round(substring(pg_read_file('/proc/' || pg_backend_pid() || '/status') FROM 'VmHWM:\s*(\d+)')::numeric / 1024)
  FROM query_perf_ml.train_model('t_$alg', '$alg', 'src') t;
$cpu_ns;
SELECT coalesce(jsonb_array_length(query_perf_ml.export_model('t_$alg') -> 'forest' -> 'trees'), 0);
SQL
)"
		cpu=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
		plain=-; ratio=-
		if [ "$alg" != linear ]; then
			plain=$(/usr/bin/python3 "$top/test/bench/plain_xgb_fit.py" "$conninfo" src "$alg" "$trees" | cut -d' ' -f1)
			ratio=$(awk -v a="$cpu" -v b="$plain" 'BEGIN { printf "%.2f", a / b }')
		fi
		echo "| $n | $alg | $trees | $(awk -v m="$ms" 'BEGIN { printf "%.2f", m / 1000 }') | $cpu | $plain | $ratio | $scan | $hwm | $q | $cov |"
	done
done
