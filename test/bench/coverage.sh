#!/usr/bin/env bash
# test/bench/coverage.sh [WORKLOAD_SEEDS] [SEEDS] [STATEMENTS] — held-out
# coverage of the 90% interval by algorithm, over several snapshots of the
# realistic workload (test/workload, one per workload seed, each
# pg_stat_statements after STATEMENTS statements x 5 runs) and several
# split seeds each: is a coverage far from 0.90 on one snapshot chance, or
# a calibration flaw?  Prints per snapshot and algorithm the mean, lowest
# and highest held-out coverage over the seeds; per algorithm the mean
# coverage, the spread of the per-run coverages and the spread that chance
# alone gives (binomial on the held-out statements); and the coverage by
# third of the held-out statements ordered by predicted time (fast, middle,
# slow), which shows errors that grow or shrink with the prediction.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=coverage
. "$top/test/lib/cluster.sh"
wseeds=${1:-"1 2 3"}; seeds=${2:-"1 2 3 4 5 6 7 8 9 10"}; statements=${3:-600}
qpm_cluster_start
trap qpm_cluster_stop EXIT
psql -X -q -v ON_ERROR_STOP=1 -d postgres -f "$top/test/workload/workload.sql" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SELECT qpm_workload.setup(1.0)" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE EXTENSION pg_stat_statements" \
	-c "CREATE EXTENSION query_perf_ml" -c "CREATE TABLE runs (wseed int, seed int, algorithm text, n_test int, coverage float8, median_q float8)" \
	-c "CREATE TABLE held_out (wseed int, seed int, algorithm text, predicted float8, covered bool)" >/dev/null
for w in $wseeds; do
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SELECT pg_stat_statements_reset()" \
		-c "SELECT failures FROM qpm_workload.run($statements, 5, $w)" \
		-c "CREATE TABLE snap_$w AS SELECT * FROM pg_stat_statements WHERE NOT toplevel" >/dev/null
	for s in $seeds; do
		for alg in linear random_forest gradient_boosting; do
			psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET query_perf_ml.training_progress = off" -c "
			INSERT INTO runs SELECT $w, $s, '$alg', t.n_test, t.interval_coverage, t.median_q_error
			  FROM query_perf_ml.train_model('c_$alg', '$alg', 'snap_$w', '{\"seed\": $s}') t" -c "
			INSERT INTO held_out SELECT $w, $s, '$alg', p.predicted_ms, NOT p.outside_interval
			  FROM query_perf_ml.predict_all('c_$alg', 'snap_$w') p
			 WHERE query_perf_ml.is_held_out(p.queryid, $s, 0.2) AND p.actual_ms IS NOT NULL" >/dev/null
		done
	done
done
psql -X -q -d postgres -c "SELECT wseed, algorithm, count(*) AS runs, round(avg(n_test)) AS held_out,
       round(avg(coverage)::numeric, 3) AS mean_coverage, round(min(coverage)::numeric, 3) AS min, round(max(coverage)::numeric, 3) AS max
  FROM runs GROUP BY 1, 2 ORDER BY 1, 2"
psql -X -q -d postgres -c "SELECT algorithm, count(*) AS runs, round(avg(coverage)::numeric, 3) AS mean_coverage,
       round(stddev(coverage)::numeric, 3) AS sd_of_runs,
       round(avg(sqrt(0.9 * 0.1 / n_test))::numeric, 3) AS sd_by_chance,
       round(avg(median_q)::numeric, 3) AS mean_median_q
  FROM runs GROUP BY 1 ORDER BY 1"
psql -X -q -d postgres -c "SELECT algorithm, round(avg(covered::int) FILTER (WHERE third = 1)::numeric, 3) AS fast_third,
       round(avg(covered::int) FILTER (WHERE third = 2)::numeric, 3) AS middle_third,
       round(avg(covered::int) FILTER (WHERE third = 3)::numeric, 3) AS slow_third, count(*) AS statements
  FROM (SELECT *, ntile(3) OVER (PARTITION BY wseed, seed, algorithm ORDER BY predicted) AS third FROM held_out) h
 GROUP BY 1 ORDER BY 1"
