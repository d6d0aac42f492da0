#!/usr/bin/env bash
# test/bench/accuracy.sh [SCALE] [STATEMENTS] [REPEATS] — run the realistic
# workload on a throwaway cluster, snapshot pg_stat_statements, and compare
# the three algorithms with scikit-learn reference fits on the same features
# and held-out statements over 5 seeds (test/bench/accuracy.py).  Coverage is
# the mean over seeds of the held-out coverage of the 90% interval.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=accuracy
. "$top/test/lib/cluster.sh"
QPM_EXTRA_PACKAGES="python3-sklearn python3-psycopg2" qpm_install_deps
scale=${1:-1.0}; statements=${2:-600}; repeats=${3:-5}
qpm_cluster_start
trap qpm_cluster_stop EXIT
psql -X -q -v ON_ERROR_STOP=1 -d postgres -f "$top/test/workload/workload.sql" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SELECT qpm_workload.setup($scale)" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE EXTENSION pg_stat_statements" -c "SELECT pg_stat_statements_reset()" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SELECT failures FROM qpm_workload.run($statements, $repeats, 1)" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE EXTENSION query_perf_ml" \
	-c "CREATE TABLE workload_snapshot AS SELECT * FROM pg_stat_statements WHERE NOT toplevel" >/dev/null
/usr/bin/python3 "$top/test/bench/accuracy.py" "host=$PGHOST port=$PGPORT dbname=postgres user=postgres" \
	workload_snapshot 1 2 3 4 5
