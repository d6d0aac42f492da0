#!/usr/bin/env bash
# test/bench/tune_trees.sh [SCALE] [STATEMENTS] [REPEATS] [WORKLOAD_SEED] [SEEDS]
# — the measurement behind the default tree hyperparameters: run the
# realistic workload once (qpm_workload.run's seed WORKLOAD_SEED, default 1),
# then train each configuration of a small grid on the same snapshot for
# SEEDS (default 5) training seeds and report the mean held-out median / p90
# q-error, coverage and time.  The workload's timings vary from run to run,
# so compare configurations within one run, and over several runs.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=tune_trees
. "$top/test/lib/cluster.sh"
scale=${1:-1.0}; statements=${2:-600}; repeats=${3:-5}; wseed=${4:-1}; seeds=${5:-5}
qpm_cluster_start
trap qpm_cluster_stop EXIT
psql -X -q -v ON_ERROR_STOP=1 -d postgres -f "$top/test/workload/workload.sql" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SELECT qpm_workload.setup($scale)" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE EXTENSION pg_stat_statements" -c "SELECT pg_stat_statements_reset()" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SELECT failures FROM qpm_workload.run($statements, $repeats, $wseed)" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE EXTENSION query_perf_ml" \
	-c "CREATE TABLE snap AS SELECT * FROM pg_stat_statements WHERE NOT toplevel" >/dev/null
psql -X -q -P pager=off -v ON_ERROR_STOP=1 -v seeds="$seeds" -d postgres <<'SQL'
SET query_perf_ml.training_progress = off;
WITH grid(alg, opts) AS (VALUES
    ('gradient_boosting', '{}'::jsonb),
    ('gradient_boosting', '{"max_depth": 4}'),
    ('gradient_boosting', '{"max_depth": 8}'),
    ('gradient_boosting', '{"learning_rate": 0.05, "n_trees": 600}'),
    ('gradient_boosting', '{"min_child_weight": 3}'),
    ('gradient_boosting', '{"subsample": 1.0}'),
    ('gradient_boosting', '{"colsample": 0.8}'),
    ('gradient_boosting', '{"max_depth": 5}'),
    ('gradient_boosting', '{"min_child_weight": 2}'),
    ('gradient_boosting', '{"subsample": 0.7}'),
    ('gradient_boosting', '{"lambda": 5}'),
    ('random_forest', '{}'),
    ('random_forest', '{"max_depth": 6}'),
    ('random_forest', '{"max_depth": 14}'),
    ('random_forest', '{"colsample": 0.5}'),
    ('linear', '{}'),
    ('linear', '{"lambda": 10}'))
SELECT g.alg, g.opts::text AS options,
       round(avg(t.median_q_error)::numeric, 3) AS median_q, round(avg(t.p90_q_error)::numeric, 2) AS p90_q,
       round(avg(t.interval_coverage)::numeric, 3) AS coverage, round(avg(t.train_ms)) AS train_ms
  FROM grid g, generate_series(1, :seeds) s,
       LATERAL query_perf_ml.train_model('tune', g.alg, 'snap',
               g.opts || jsonb_build_object('seed', s, 'activate', false)) t
 GROUP BY g.alg, g.opts::text ORDER BY g.alg, median_q;
SQL
