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
. "$top/test/lib/plan_workload.sh"
qpm_plan_workload "$scale" "$statements" "$repeats" "$wseed"
# The workload's own statements only (its tables), completed.
q "COPY (SELECT p.queryid, p.exec_ms, p.total_cost, p.features FROM query_perf_ml.plan_samples p
         WHERE p.sample_id >= $first AND p.completed AND p.queryid IN
               (SELECT queryid FROM pg_stat_statements WHERE query LIKE '%qpm_workload.%'
                   AND query NOT LIKE '%reset_scratch%'))
      TO STDOUT WITH (FORMAT csv)" >"$work/samples.csv"
[ -n "${QPM_PLAN_FIT_CSV:-}" ] && cp "$work/samples.csv" "$QPM_PLAN_FIT_CSV"
/usr/bin/python3 "$top/test/bench/plan_fit.py" "$work/samples.csv"
