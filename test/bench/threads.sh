#!/usr/bin/env bash
# test/bench/threads.sh [ROWS] [THREADS] — the measurement behind the
# default of query_perf_ml.training_threads: gradient_boosting training time
# (wall clock) alone and with two trainings at once, for each thread count
# (default 1, 2 and the number of cores).  Wall clock is what threads
# change, so the machine's load average is printed with each row: run it on
# a quiet machine for numbers to publish.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=threads
. "$top/test/lib/cluster.sh"
rows=${1:-200000}
counts=${2:-$(printf '%s\n' 1 2 "$(nproc)" | sort -nu | tr '\n' ' ')}
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
printf '| threads per training | one training (ms) | two concurrent trainings (ms, both done) | load average |\n|---|---|---|---|\n'
for th in $counts; do
	load=$(cut -d' ' -f1 /proc/loadavg)
	alone=$(train $th alone)
	t0=$(date +%s%N)
	train $th a >/dev/null & train $th b >/dev/null & wait
	both=$(( ($(date +%s%N) - t0) / 1000000 ))
	echo "| $th | $alone | $both | $load |"
done
