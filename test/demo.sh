#!/usr/bin/env bash
# test/demo.sh — the README's first command: install what is missing, build
# and install the extension, start a throwaway cluster with
# pg_stat_statements preloaded, run a realistic mixed workload
# (test/workload/workload.sql) between two snapshots, then train, validate,
# predict and explain; log the predictions, run the workload once more and
# check them against what happened (prediction_accuracy, anomalies), printing
# the results.  Last, statements that never ran: with plan capture on, part
# of the workload runs as top-level statements, a plan/1 model learns from
# the captured plans, and three new statements are predicted before they
# run, then run, side by side.  The cluster is stopped and deleted at the end.
#
# Environment: QPM_DEMO_SCALE (table size factor, default 1.0),
# QPM_DEMO_STATEMENTS (distinct statements, default 600),
# QPM_DEMO_REPEATS (executions of each, default 5).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
QPM_SCRIPT=demo
. "$top/test/lib/cluster.sh"
scale=${QPM_DEMO_SCALE:-1.0}
statements=${QPM_DEMO_STATEMENTS:-600}
repeats=${QPM_DEMO_REPEATS:-5}

qpm_install_deps
qpm_log "building and installing query_perf_ml"
qpm_build_install "$top"
QPM_EXTRA_CONF="shared_preload_libraries = 'pg_stat_statements,query_perf_ml'
query_perf_ml.capture_plans = on" qpm_cluster_start
trap qpm_cluster_stop EXIT

run_sql() { psql -X -q -v ON_ERROR_STOP=1 -P pager=off -d postgres "$@"; }
title() { printf '\n== %s\n' "$*"; }

qpm_log "creating the workload's tables (scale $scale)"
run_sql -f "$top/test/workload/workload.sql" >/dev/null
run_sql -c "SELECT qpm_workload.setup($scale)" >/dev/null
run_sql -c "CREATE EXTENSION pg_stat_statements" -c "CREATE EXTENSION query_perf_ml" \
	-c "SELECT pg_stat_statements_reset()" -c "SELECT query_perf_ml.snapshot()" >/dev/null
qpm_log "running $statements distinct statements x $repeats"
run_sql -c "SELECT statements, executions, failures, round(elapsed_ms) AS elapsed_ms
              FROM qpm_workload.run($statements, $repeats, 1)"
run_sql -c "SELECT query_perf_ml.snapshot()" >/dev/null

run_sql <<'SQL'
\pset footer off

\echo
\echo '== status()'
SELECT extension_version, pg_stat_statements_available, pg_stat_statements_rows FROM query_perf_ml.status();

\echo '== train_model(''default'', ''auto''): the three algorithms on the same 20% held-out statements, the best is kept'
SELECT model_id, name, version, algorithm, n_train, n_test, round(r2::numeric, 3) AS r2,
       round(median_q_error::numeric, 2) AS median_q_error, round(p90_q_error::numeric, 2) AS p90_q_error,
       round(interval_coverage::numeric, 3) AS coverage_90, round(train_ms::numeric) AS train_ms
  FROM query_perf_ml.train_model('default', 'auto');

\echo '== validate_model(''default''): the same metrics over every statement'
SELECT n, skipped, round(r2::numeric, 3) AS r2, round(median_q_error::numeric, 2) AS median_q_error,
       round(p90_q_error::numeric, 2) AS p90_q_error, round(interval_coverage::numeric, 3) AS coverage
  FROM query_perf_ml.validate_model('default');

\echo '== predict_query_execution(queryid): the five workload statements with the most total time'
SELECT p.queryid, round(s.mean_exec_time::numeric, 2) AS actual_ms,
       round(p.predicted_ms::numeric, 2) AS predicted_ms,
       format('[%s, %s]', round(p.lower_ms::numeric, 2), round(p.upper_ms::numeric, 2)) AS interval_90,
       left(regexp_replace(s.query, '\s+', ' ', 'g'), 60) AS query
  FROM (SELECT queryid, sum(calls) AS calls, sum(total_exec_time) / sum(calls) AS mean_exec_time, max(query) AS query
          FROM pg_stat_statements WHERE NOT toplevel
         GROUP BY queryid ORDER BY sum(total_exec_time) DESC LIMIT 5) s,
       query_perf_ml.predict_query_execution(s.queryid) p;

\echo '== anomalies(): statements slower than their interval in the last snapshot interval, by excess time'
SELECT queryid, calls, round(actual_ms::numeric, 2) AS actual_ms, round(upper_ms::numeric, 2) AS upper_ms,
       round(excess_ms::numeric) AS excess_ms, left(regexp_replace(query, '\s+', ' ', 'g'), 60) AS query
  FROM query_perf_ml.anomalies('default', 'query_perf_ml.latest_intervals', 2)
 WHERE queryid IN (SELECT queryid FROM pg_stat_statements WHERE NOT toplevel)
 ORDER BY excess_ms DESC LIMIT 5;

\echo '== explain_prediction(): why the most expensive workload statement is predicted slow (log-ms contributions)'
SELECT e.feature, round(e.value::numeric, 2) AS value, round(e.contribution::numeric, 3) AS contribution
  FROM (SELECT queryid FROM pg_stat_statements WHERE NOT toplevel
         GROUP BY queryid ORDER BY sum(total_exec_time) DESC LIMIT 1) s,
       query_perf_ml.explain_prediction(s.queryid) e;

\echo '== what-if: a statement as it is, and the same on a table 10x larger'
SELECT round(a.predicted_ms::numeric, 3) AS today_ms, round(b.predicted_ms::numeric, 3) AS ten_times_larger_ms
  FROM query_perf_ml.predict_query_execution('{"shared_blks_hit_per_call": 1000, "shared_blks_read_per_call": 0, "rows_per_call": 100, "cache_hit_ratio": 1}'::jsonb) a,
       query_perf_ml.predict_query_execution('{"shared_blks_hit_per_call": 10000, "shared_blks_read_per_call": 0, "rows_per_call": 1000, "cache_hit_ratio": 1}'::jsonb) b;

\echo '== models'
SELECT model_id, name, version, algorithm, is_active, n_train, size_bytes FROM query_perf_ml.models;
SQL

qpm_log "logging a prediction for every workload statement, running the workload again"
run_sql <<'SQL' >/dev/null
SET query_perf_ml.log_predictions = on;
SELECT count(p.*)
  FROM (SELECT DISTINCT queryid FROM pg_stat_statements WHERE NOT toplevel) s,
       query_perf_ml.predict_query_execution(s.queryid) p;
SQL
run_sql -c "SELECT qpm_workload.run($statements, 2, 1)" -c "SELECT query_perf_ml.snapshot()" >/dev/null
run_sql <<'SQL'
\pset footer off
\echo '== prediction_accuracy(): the logged predictions against the times the statements then took'
SELECT model_name, n, round(median_q_error::numeric, 2) AS median_q_error,
       round(p90_q_error::numeric, 2) AS p90_q_error, round(interval_coverage::numeric, 3) AS coverage,
       round(train_median_q_error::numeric, 2) AS at_training, drifted
  FROM query_perf_ml.prediction_accuracy();
\echo '== the history: snapshots and intervals'
SELECT snapshot_id, captured_at, statements,
       (SELECT count(*) FROM query_perf_ml.metrics_intervals i WHERE i.snapshot_id = s.snapshot_id) AS intervals
  FROM query_perf_ml.snapshots s ORDER BY snapshot_id;
SQL

# Pictures of the held-out statements (the split train_model used: seed 42).
out=${QPM_DEMO_OUT:-$top/test/demo_out}
mkdir -p "$out"
run_sql -At -F ' ' -c "SELECT actual_ms, predicted_ms, lower_ms, upper_ms
                         FROM query_perf_ml.predict_all()
                        WHERE query_perf_ml.is_held_out(queryid) AND actual_ms IS NOT NULL
                          AND queryid IN (SELECT queryid FROM pg_stat_statements WHERE NOT toplevel)" >"$out/held_out.dat"
run_sql -At -F '|' -c "SELECT b, format('%s-%s ms', 10::float8 ^ b, 10::float8 ^ (b + 1)), count(*),
                              avg((actual_ms BETWEEN lower_ms AND upper_ms)::int)
                         FROM (SELECT *, floor(log(predicted_ms))::int AS b FROM query_perf_ml.predict_all()
                                WHERE query_perf_ml.is_held_out(queryid) AND actual_ms IS NOT NULL
                                  AND queryid IN (SELECT queryid FROM pg_stat_statements WHERE NOT toplevel)) x
                        GROUP BY b ORDER BY b" >"$out/coverage.dat"
algorithm=$(run_sql -At -c "SELECT algorithm FROM query_perf_ml.models WHERE name = 'default' AND is_active")
gnuplot <<GP
set terminal pngcairo size 900,700 font ",11" noenhanced
set output "$out/predicted_vs_actual.png"
set logscale xy
set xlabel "actual mean time per call (ms)"
set ylabel "predicted (ms), with the 90% interval"
set title "query_perf_ml ($algorithm): held-out statements of the demo workload"
set key top left
set grid
f(x) = x
plot "$out/held_out.dat" using 1:2:3:4 with yerrorbars lc rgb "#88aadd" pt 7 ps 0.5 title "prediction and interval", \
     f(x) with lines lc rgb "#cc3333" lw 2 title "predicted = actual"
set output "$out/coverage_by_bucket.png"
unset logscale
set datafile separator "|"
set style data histograms
set style fill solid 0.6
set yrange [0:1.05]
set ylabel "share of actual times inside the interval"
set xlabel "predicted time bucket"
set title "coverage of the 90% interval by predicted time (held-out statements)"
set key top right
plot "$out/coverage.dat" using 4:xtic(sprintf("%s (n=%d)", stringcolumn(2), column(3))) lc rgb "#88aadd" title "coverage", \
     0.9 with lines lc rgb "#cc3333" lw 2 title "nominal 0.90"
GP
qpm_log "pictures: $out/predicted_vs_actual.png, $out/coverage_by_bucket.png"

# Statements that never ran.  Only top-level statements are captured, so
# part of the workload runs as a psql script; the plan model is trained last
# because it becomes the most recently activated model.
qpm_log "running 200 statements x 2 as top-level statements, capturing their plans"
run_sql -At -c "SELECT qpm_workload.script(200, 2, 7)" | run_sql >/dev/null
new_statements=(
	"SELECT c.segment, count(*), sum(o.total_amount) FROM qpm_workload.customers c JOIN qpm_workload.orders o ON o.customer_id = c.id WHERE o.channel = 'store' GROUP BY c.segment"
	"SELECT o.id, sum(i.quantity * i.unit_price) FROM qpm_workload.orders o JOIN qpm_workload.order_items i ON i.order_id = o.id WHERE o.customer_id BETWEEN 100 AND 140 GROUP BY o.id"
	"SELECT e.event_type, percentile_cont(0.9) WITHIN GROUP (ORDER BY e.duration_ms) FROM qpm_workload.events e GROUP BY e.event_type"
)
run_sql <<'SQL'
\pset footer off
SELECT query_perf_ml.flush_plan_samples() AS plan_samples \gset
\echo '== train_model(''plans'', ''gradient_boosting'', ''query_perf_ml.plan_samples''): a plan/1 model (20% of the statements held out)'
SELECT name, algorithm, n_train, n_test, round(median_q_error::numeric, 2) AS median_q_error,
       round(p90_q_error::numeric, 2) AS p90_q_error, round(interval_coverage::numeric, 3) AS coverage_90
  FROM query_perf_ml.train_model('plans', 'gradient_boosting', 'query_perf_ml.plan_samples');
CREATE TABLE demo_new (n int, sql text, queryid bigint, ran_before boolean,
                       predicted_ms float8, lower_ms float8, upper_ms float8);
SQL
i=0
for sql in "${new_statements[@]}"; do
	i=$((i + 1))
	run_sql -v n="$i" -v sql="$sql" >/dev/null <<'SQL'
INSERT INTO demo_new
SELECT :n, :'sql', p.queryid, EXISTS (SELECT FROM query_perf_ml.plan_samples s WHERE s.queryid = p.queryid),
       p.predicted_ms, p.lower_ms, p.upper_ms
  FROM query_perf_ml.predict_statement(:'sql') p;
SQL
done
for sql in "${new_statements[@]}"; do run_sql -c "$sql" >/dev/null; done
run_sql <<'SQL'
\pset footer off
SELECT query_perf_ml.flush_plan_samples() AS flushed \gset
\echo '== predict_statement(): three statements that had never run, predicted before they ran, then run'
SELECT n.n, n.ran_before, round(n.predicted_ms::numeric, 2) AS predicted_ms,
       format('[%s, %s]', round(n.lower_ms::numeric, 2), round(n.upper_ms::numeric, 2)) AS interval_90,
       round(s.exec_ms::numeric, 2) AS actual_ms, left(n.sql, 60) AS statement
  FROM demo_new n
  LEFT JOIN LATERAL (SELECT exec_ms FROM query_perf_ml.plan_samples s
                      WHERE s.queryid = n.queryid ORDER BY sample_id DESC LIMIT 1) s ON true
 ORDER BY n.n;
SQL
qpm_log "done; stopping the cluster"
