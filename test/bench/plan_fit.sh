#!/usr/bin/env bash
# test/bench/plan_fit.sh [SCALE] [STATEMENTS] [REPEATS] [WORKLOAD_SEED] — a
# first, offline check of feature set plan/1: run the realistic workload
# (test/workload) as top-level statements on a throwaway cluster with plan
# capture on, flush the samples, and fit scikit-learn models on the plan/1
# vectors against the planner's total_cost fitted in log space, held out by
# queryid (test/bench/plan_fit.py).  Each sample is one execution; the
# target is its executor time.  Needs Debian python3-sklearn and
# python3-psycopg2 (benchmark only).  Defaults: scale 1.0, 600 statements x
# 5 runs, workload seed 1.  The samples are left in $QPM_PLAN_FIT_CSV (if set).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=plan_fit
. "$top/test/lib/cluster.sh"
QPM_EXTRA_PACKAGES="python3-sklearn python3-psycopg2" qpm_install_deps
scale=${1:-1.0}; statements=${2:-600}; repeats=${3:-5}; wseed=${4:-1}
QPM_EXTRA_CONF="shared_preload_libraries = 'pg_stat_statements,query_perf_ml'
query_perf_ml.capture_plans = on
query_perf_ml.capture_buffer = 50000"
qpm_cluster_start
work=$(mktemp -d /tmp/qpm_plan_fit.XXXXXX)
trap 'qpm_cluster_stop; rm -rf "$work"' EXIT
q() { psql -X -qAt -v ON_ERROR_STOP=1 -d postgres -c "$1"; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
q "CREATE EXTENSION pg_stat_statements" >/dev/null
q "CREATE EXTENSION query_perf_ml" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d postgres -f "$top/test/workload/workload.sql" -v scale="$scale" >/dev/null
q "SELECT qpm_workload.script($statements, $repeats, $wseed)" >"$work/workload.sql"
q "SELECT query_perf_ml.flush_plan_samples()" >/dev/null
first=$(q "SELECT coalesce(max(sample_id), 0) + 1 FROM query_perf_ml.plan_samples")
start=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 -d postgres -f "$work/workload.sql" >/dev/null
echo "workload: $(( $(date +%s) - start )) s; flushed $(q "SELECT query_perf_ml.flush_plan_samples()") samples"
echo "load average after the workload: $(cut -d' ' -f1-3 /proc/loadavg)"
# The workload's own statements only (its tables), completed.
q "COPY (SELECT p.queryid, p.exec_ms, p.total_cost, p.features FROM query_perf_ml.plan_samples p
         WHERE p.sample_id >= $first AND p.completed AND p.queryid IN
               (SELECT queryid FROM pg_stat_statements WHERE query LIKE '%qpm_workload.%'
                   AND query NOT LIKE '%reset_scratch%'))
      TO STDOUT WITH (FORMAT csv)" >"$work/samples.csv"
[ -n "${QPM_PLAN_FIT_CSV:-}" ] && cp "$work/samples.csv" "$QPM_PLAN_FIT_CSV"
/usr/bin/python3 "$top/test/bench/plan_fit.py" "$work/samples.csv"
