#!/usr/bin/env bash
# test/e2e/plan_predict.sh — predicting statements that have never run, end
# to end, on a throwaway cluster with query_perf_ml preloaded and
# capture_plans on:
#  1. the workload of test/workload runs as top-level statements, its
#     samples are flushed, and a plan/1 model is trained on plan_samples
#     (the feature set detected from the table), 20 % of the statements
#     held out by queryid;
#  2. every statement text of the workload is predicted by
#     predict_statement: its queryid is the one its executions were
#     captured under, and on the held-out statements (never trained on) the
#     median q-error against their measured mean time is bounded;
#  3. statements that never ran are predicted (no sample has their queryid)
#     and nothing is written: plan_samples does not grow;
#  4. train_model_async trains a plan/1 model on plan_samples in a job;
#  5. the background worker retrains a drifted plan/1 model: predict_statement
#     logs its predictions under the statements' queryids, and
#     prediction_accuracy() matches them with pg_stat_statements history like
#     any model's.  The drift is forged (history intervals 50 times slower
#     than predicted, and the captured times multiplied by 50: the workload
#     changed), so the retrained version must win and be activated.
# Thresholds are loose on purpose: executor times on a shared machine are
# noisy; test/bench/plan_accuracy.sh measures the accuracy itself.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=plan_predict
. "$top/test/lib/cluster.sh"
QPM_EXTRA_CONF="shared_preload_libraries = 'pg_stat_statements,query_perf_ml'
query_perf_ml.capture_plans = on
query_perf_ml.capture_buffer = 20000"
qpm_cluster_start
trap 'qpm_cluster_stop' EXIT

fail=0; n=0
check() { n=$((n + 1)); if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: expected '$2', got '$3'"; fail=$((fail + 1)); fi; }
q() { psql -X -qAt -v ON_ERROR_STOP=1 -d postgres -c "$1"; }

q "CREATE EXTENSION pg_stat_statements; CREATE EXTENSION query_perf_ml" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d postgres -f "$top/test/workload/workload.sql" >/dev/null
q "SELECT qpm_workload.setup(0.2)" >/dev/null
q "VACUUM ANALYZE" >/dev/null

# 1. Capture the workload, train on the samples.
q "CREATE TABLE lines AS SELECT l AS sql FROM qpm_workload.script(300, 3, 1) l WHERE l !~ '^(SET|RESET) '"
q "SELECT qpm_workload.script(300, 3, 1)" | psql -X -q -v ON_ERROR_STOP=1 -d postgres >/dev/null
flushed=$(q "SELECT query_perf_ml.flush_plan_samples()")
check "samples flushed" "t" "$([ "$flushed" -ge 800 ] && echo t || echo f)"
check "trained with held-out statements" "t" \
	"$(q "SELECT n_test > 0 FROM query_perf_ml.train_model('plans', 'gradient_boosting', 'query_perf_ml.plan_samples',
	                                                       '{\"test_fraction\": 0.2}')")"
check "the feature set was detected from plan_samples" "plan/1" \
	"$(q "SELECT feature_set FROM query_perf_ml.models WHERE name = 'plans'")"

# 2. Every workload statement predicted from its text, before looking at its
# runs (utility lines of the script, if any, are refused and counted).
q "CREATE FUNCTION try_predict(sql text) RETURNS SETOF query_perf_ml.prediction LANGUAGE plpgsql AS
   \$\$ BEGIN RETURN QUERY SELECT * FROM query_perf_ml.predict_statement(sql, 'plans');
          EXCEPTION WHEN OTHERS THEN RAISE WARNING '%: %', SQLERRM, sql; END \$\$"
q "CREATE TABLE predicted AS
     SELECT DISTINCT ON (p.queryid) p.queryid, p.predicted_ms, p.lower_ms, p.upper_ms
       FROM (SELECT DISTINCT sql FROM lines) l, LATERAL try_predict(l.sql) p"
echo "# $(q "SELECT count(DISTINCT sql) FROM lines") statement texts, $(q "SELECT count(*) FROM predicted") distinct queryids predicted"
check "each statement's queryid is the one it was captured under" "0" \
	"$(q "SELECT count(*) FROM predicted WHERE queryid NOT IN (SELECT queryid FROM query_perf_ml.plan_samples WHERE queryid IS NOT NULL)")"
q "CREATE TABLE held AS
     SELECT p.queryid, p.predicted_ms, p.lower_ms, p.upper_ms, a.actual_ms,
            exp(abs(ln(a.actual_ms) - ln(p.predicted_ms))) AS q_error
       FROM predicted p
       JOIN (SELECT queryid, avg(exec_ms) AS actual_ms FROM query_perf_ml.plan_samples
              WHERE completed AND exec_ms > 0 GROUP BY queryid) a USING (queryid)
      WHERE query_perf_ml.is_held_out(p.queryid, 42, 0.2)"
held=$(q "SELECT count(*) FROM held")
check "statements held out of training were predicted" "t" "$([ "$held" -ge 20 ] && echo t || echo f)"
echo "# held-out statements: $held; median q-error $(q "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY q_error)::numeric, 3) FROM held"), p90 $(q "SELECT round(percentile_cont(0.9) WITHIN GROUP (ORDER BY q_error)::numeric, 2) FROM held"), inside the 90% interval $(q "SELECT round(avg((actual_ms BETWEEN lower_ms AND upper_ms)::int), 3) FROM held")"
check "held-out median q-error below 3" "t" \
	"$(q "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY q_error) < 3 FROM held")"

# 3. Statements that never ran: predicted, never executed.  (The checks'
# own statements are captured like any top-level statement, so "nothing
# written" is checked on the predicted statements' queryids.)
q "CREATE TABLE never (queryid bigint)"
for sql in \
	"SELECT c.id, count(o.id) FROM qpm_workload.customers c JOIN qpm_workload.orders o ON o.customer_id = c.id GROUP BY c.id ORDER BY 2 DESC LIMIT 7" \
	"SELECT count(*) FROM qpm_workload.order_items i WHERE i.quantity > 3 AND i.order_id % 11 = 4" \
	"DELETE FROM qpm_workload.orders WHERE id % 5 = 0"; do
	check "never ran, predicted: ${sql:0:40}..." "t|0" \
		"$(q "INSERT INTO never SELECT queryid FROM query_perf_ml.predict_statement(\$\$${sql}\$\$)
		      RETURNING (SELECT p.predicted_ms > 0 AND p.predicted_ms < 3.6e6 FROM query_perf_ml.predict_statement(\$\$${sql}\$\$) p),
		                (SELECT count(*) FROM query_perf_ml.plan_samples s WHERE s.queryid = never.queryid)")"
done
q "SELECT query_perf_ml.flush_plan_samples()" >/dev/null
check "no sample of a predicted statement: none ran" "0|3" \
	"$(q "SELECT count(s.*), count(DISTINCT n.queryid) FROM never n LEFT JOIN query_perf_ml.plan_samples s USING (queryid)")"
check "the DELETE never ran" "t" "$(q "SELECT count(*) FILTER (WHERE id % 5 = 0) > 0 FROM qpm_workload.orders")"

# 4. A plan/1 model trained in a job.
job=$(q "SELECT query_perf_ml.train_model_async('plans_async', 'linear', 'query_perf_ml.plan_samples')")
state=""
for _ in $(seq 1 120); do
	state=$(q "SELECT state FROM query_perf_ml.training_jobs WHERE job_id = $job")
	case "$state" in done|failed|cancelled) break ;; esac
	sleep 0.5
done
check "train_model_async on plan_samples" "done" "$state"
check "its model is plan/1" "plan/1" "$(q "SELECT feature_set FROM query_perf_ml.models WHERE name = 'plans_async'")"

# 5. Auto-retraining a drifted plan/1 model (the launcher is idle until the
# reload below turns auto_retrain on).
q "SET query_perf_ml.log_predictions = on;
   SELECT count(*) FROM (SELECT DISTINCT sql FROM lines) l, LATERAL try_predict(l.sql) p" >/dev/null
logged=$(q "SELECT count(*) FROM query_perf_ml.prediction_log WHERE model_name = 'plans'")
check "predict_statement logged its predictions" "t" "$([ "$logged" -ge 20 ] && echo t || echo f)"
psql -X -q -v ON_ERROR_STOP=1 -d postgres >/dev/null <<'SQL'
-- Two snapshots after the predictions, each statement 50 times slower than
-- predicted in between.
INSERT INTO query_perf_ml.snapshots (snapshot_id, captured_at, prev_snapshot_id, statements)
SELECT 1001, now() - interval '1 minute', NULL, count(DISTINCT queryid) FROM query_perf_ml.prediction_log
UNION ALL SELECT 1002, now(), 1001, count(DISTINCT queryid) FROM query_perf_ml.prediction_log;
INSERT INTO query_perf_ml.metrics_history (snapshot_id, captured_at, userid, dbid, toplevel, queryid, calls, total_exec_time)
SELECT s.id, s.at, 10, l.dbid, true, l.queryid, 10 * s.k, (s.k - 1) * 10 * 50 * l.predicted_ms
  FROM (SELECT queryid, dbid, avg(predicted_ms) AS predicted_ms FROM query_perf_ml.prediction_log
         WHERE model_name = 'plans' GROUP BY queryid, dbid) l,
       (VALUES (1001, now() - interval '1 minute', 1), (1002, now(), 2)) s(id, at, k);
UPDATE query_perf_ml.plan_samples SET exec_ms = exec_ms * 50;
SQL
check "prediction_accuracy() flags the plan/1 model drifted" "plans|t" \
	"$(q "SELECT model_name, drifted FROM query_perf_ml.prediction_accuracy() WHERE model_name LIKE 'plans%'")"
q "ALTER SYSTEM SET query_perf_ml.auto_retrain = on" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
state=""
for _ in $(seq 1 240); do
	state=$(q "SELECT state FROM query_perf_ml.training_jobs WHERE name = 'plans' AND auto_retrain")
	case "$state" in done|failed|cancelled) break ;; esac
	sleep 0.5
done
q "SELECT job_id, name, state, progress, error FROM query_perf_ml.training_jobs WHERE auto_retrain" | sed 's/^/# /'
check "the launcher retrained the plan/1 model, and the new version won" "done|t" \
	"$(q "SELECT state, progress LIKE 'version 2 activated: held-out median q-error %' FROM query_perf_ml.training_jobs WHERE name = 'plans' AND auto_retrain")"
check "version 2 is active, plan/1, same algorithm and options" "2|plan/1|gradient_boosting|t" \
	"$(q "SELECT b.version, b.feature_set, b.algorithm, b.options - 'feature_set' = a.options - 'feature_set'
	        FROM query_perf_ml.models a JOIN query_perf_ml.models b USING (name)
	       WHERE name = 'plans' AND a.version = 1 AND b.is_active")"
check "the launcher logged the drift" "1" "$(grep -c 'model "plans" drifted (median q-error' "$QPM_DATA/server.log" || true)"
check "the new version predicts the slower workload (median ratio > 10)" "t" \
	"$(q "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY p.predicted_ms / o.predicted_ms) > 10
	        FROM (SELECT DISTINCT ON (queryid) * FROM lines l, LATERAL try_predict(l.sql) ORDER BY queryid) p
	        JOIN predicted o USING (queryid)")"
check "the plan/1 model trained in a job was not retrained" "0" \
	"$(q "SELECT count(*) FROM query_perf_ml.training_jobs WHERE name = 'plans_async' AND auto_retrain")"

echo "plan_predict: $((n - fail)) of $n checks passed"
[ $fail -eq 0 ]
