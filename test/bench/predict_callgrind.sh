#!/usr/bin/env bash
# test/bench/predict_callgrind.sh [ROWS] — instructions per predict() call,
# counted by callgrind inside qpm_predict (the SQL function and all it
# calls: the model lookup, the array checks, the tree walk), for a linear
# and a 300-tree depth-6 gradient_boosting model (as predict_cost.sh).
# Instruction counts do not move with the machine's load, unlike
# predict_cost.sh's timings.  Each model runs in a single-user backend
# under valgrind twice: a warm-up statement alone, then the warm-up and one
# statement over ROWS rows; the difference divided by ROWS is the cost of
# one call with the model cached, the per-statement first call included.
# Measures the library installed in $QPM_PG_CONFIG's installation; starts
# its own throwaway cluster.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=predict_callgrind
. "$top/test/lib/cluster.sh"
rows=${1:-20000}
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
SELECT version FROM query_perf_ml.train_model('lin', 'linear', 'stats');
SELECT version FROM query_perf_ml.train_model('gbm300', 'gradient_boosting', 'stats',
       '{"n_trees": 300, "max_depth": 6, "early_stopping_rounds": 0}');
CREATE TABLE vecs AS
SELECT ARRAY[ln(1 + g % 50), g % 100, g % 1000, g % 37, 0, 0, 0, g % 3, g % 5000, 0.01, 0.9, g % 4]::float8[] AS f
  FROM generate_series(1, $rows) g;
SQL
qpm_pguser "$QPM_PGBIN/pg_ctl" -D "$QPM_DATA/data" -m fast -w stop >/dev/null

instructions() {	# instructions MODEL MEASURE(0|1): Ir collected inside qpm_predict
	local out=$QPM_DATA/cg.$1.$2
	{
		echo "SELECT sum(query_perf_ml.predict('$1', f)) FROM vecs WHERE ctid = '(0,1)';"
		[ "$2" = 1 ] && echo "SELECT sum(query_perf_ml.predict('$1', f)) FROM vecs;"
		true
	} | qpm_pguser valgrind --tool=callgrind --toggle-collect=qpm_predict \
		--callgrind-out-file="$out" "$QPM_PGBIN/postgres" --single -D "$QPM_DATA/data" postgres \
		>/dev/null 2>&1
	sed -n 's/^\(summary\|totals\): *\([0-9]*\).*/\2/p' "$out" | head -1
}
echo "rows per statement:  $rows (library: $("$QPM_PG_CONFIG" --pkglibdir)/query_perf_ml.so)"
for m in lin gbm300; do
	base=$(instructions "$m" 0)
	full=$(instructions "$m" 1)
	awk -v m="$m" -v b="$base" -v f="$full" -v r="$rows" \
		'BEGIN { printf "predict(), %-7s %8.1f instructions per call\n", m ":", (f - b) / r }'
done
