#!/usr/bin/env bash
# test/bench/plan_accuracy.sh [SCALE] [STATEMENTS] [REPEATS] [SEEDS] [WORKLOAD_SEED]
# — the in-server plan/1 models on statements they have never seen.
#
# As test/bench/plan_fit.sh: the realistic workload (test/workload) runs as
# top-level statements with plan capture on, and its completed samples are
# the source (one row per execution, target its executor time).  Then, for
# each split seed, with 20 % of the statements held out by queryid
# (train_model's own split, query_perf_ml.is_held_out):
#   - train_model gradient_boosting, random_forest and linear on plan/1: the
#     held-out median and p90 q-error and 90 % interval coverage it reports;
#   - on the very same training rows and held-out rows
#     (test/bench/plan_accuracy.py): the planner's total_cost fitted to time
#     by least squares in log space (its interval: the training residuals'
#     5th and 95th percentiles), and scikit-learn's random forest and
#     gradient boosting on the same vectors.
# Printed: medians over the seeds.  Needs Debian python3-sklearn (benchmark
# only).  Defaults: scale 1.0, 600 statements x 5 runs, 5 seeds, workload
# seed 1.  Timings are not the point; the machine's load is printed since
# executor times (the target) move with it.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=plan_accuracy
. "$top/test/lib/cluster.sh"
QPM_EXTRA_PACKAGES="python3-sklearn" qpm_install_deps
scale=${1:-1.0}; statements=${2:-600}; repeats=${3:-5}; seeds=${4:-5}; wseed=${5:-1}
. "$top/test/lib/plan_workload.sh"
qpm_plan_workload "$scale" "$statements" "$repeats" "$wseed"
# The source: the workload's own statements (its tables), completed runs.
q "CREATE TABLE bench_src AS SELECT p.sample_id, p.queryid, p.captured_at, p.exec_ms, p.total_cost, p.features
     FROM query_perf_ml.plan_samples p
    WHERE p.sample_id >= $first AND p.completed AND p.exec_ms > 0 AND p.queryid IN
          (SELECT queryid FROM pg_stat_statements WHERE query LIKE '%qpm_workload.%'
              AND query NOT LIKE '%reset_scratch%')" >/dev/null
echo "source: $(q "SELECT count(*) || ' executions of ' || count(DISTINCT queryid) || ' statements' FROM bench_src")"

# In-server models, one per algorithm and seed; metrics on the held-out statements.
{
	for s in $(seq 1 "$seeds"); do
		for alg in gradient_boosting random_forest linear; do
			q "SELECT '$alg', $s, median_q_error, p90_q_error, interval_coverage, train_ms
			     FROM query_perf_ml.train_model('b_$alg', '$alg', 'bench_src',
			                                    '{\"seed\": $s, \"test_fraction\": 0.2}')" | tr '|' ','
		done
	done
} >"$work/ours.csv"
# The same splits for the baselines: one held-out flag per seed.
flags=$(for s in $(seq 1 "$seeds"); do printf ", query_perf_ml.is_held_out(queryid, %d, 0.2)" "$s"; done)
q "COPY (SELECT queryid, exec_ms, total_cost, features $flags FROM bench_src ORDER BY sample_id)
      TO STDOUT WITH (FORMAT csv)" >"$work/samples.csv"
echo "load average after training: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 "$top/test/bench/plan_accuracy.py" "$work/samples.csv" "$work/ours.csv" "$seeds"
