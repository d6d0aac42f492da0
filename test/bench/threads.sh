#!/usr/bin/env bash
# test/bench/threads.sh [ROWS] — the measurement behind the default of
# query_perf_ml.training_threads: gradient_boosting training time alone and
# with two trainings at once, with 1 and with 2 threads each.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=threads
. "$top/test/lib/cluster.sh"
rows=${1:-200000}
qpm_cluster_start
trap qpm_cluster_stop EXIT
psql -X -q -v ON_ERROR_STOP=1 -d postgres >/dev/null <<SQL
CREATE EXTENSION query_perf_ml;
CREATE UNLOGGED TABLE src AS
SELECT g::bigint AS queryid, c AS calls,
       c * exp(-3 + 0.6 * ln(1 + h) + 0.9 * ln(1 + r) + 0.4 * (random() - 0.5)) AS total_exec_time,
       c * h AS shared_blks_hit, c * r AS shared_blks_read, c * (g % 50) AS rows
  FROM generate_series(1, $rows) g,
       LATERAL (SELECT 1 + g % 40 AS c, exp(8 * random()) - 1 AS h, exp(6 * random()) - 1 AS r) x;
SQL
train() {	# train THREADS NAME -> wall ms
	local t0=$(date +%s%N)
	psql -X -qAt -d postgres -c "SET query_perf_ml.training_threads = $1" -c "SET query_perf_ml.training_progress = off" \
		-c "SET maintenance_work_mem = '1GB'" \
		-c "SELECT version FROM query_perf_ml.train_model('$2', 'gradient_boosting', 'src')" >/dev/null
	echo $(( ($(date +%s%N) - t0) / 1000000 ))
}
printf '| threads per training | one training (ms) | two concurrent trainings (ms, both done) |\n|---|---|---|\n'
for th in 1 2; do
	alone=$(train $th alone)
	t0=$(date +%s%N)
	train $th a >/dev/null & train $th b >/dev/null & wait
	both=$(( ($(date +%s%N) - t0) / 1000000 ))
	echo "| $th | $alone | $both |"
done
