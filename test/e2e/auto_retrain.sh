#!/usr/bin/env bash
# test/e2e/auto_retrain.sh — query_perf_ml.auto_retrain: the launcher finds
# active models that prediction_accuracy() flags drifted and retrains each
# as a training job, as the role that created it (a job connects as its
# role, so a model created by a NOLOGIN role is logged and skipped),
# with its algorithm, options and source; the new version is activated
# only if its held-out median q-error beats the active version's on the
# same source now, otherwise it is dropped; a model is retrained at most
# once per auto_retrain_interval.  The drift is forged: logged predictions
# of 1 ms against history intervals of 500 ms.  Starts its own cluster.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=auto_retrain
. "$top/test/lib/cluster.sh"
QPM_EXTRA_CONF="shared_preload_libraries = 'pg_stat_statements,query_perf_ml'
query_perf_ml.auto_retrain = on
query_perf_ml.auto_retrain_interval = 2s"
qpm_cluster_start
trap qpm_cluster_stop EXIT

fail=0; n=0
check() { n=$((n + 1)); if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: expected '$2', got '$3'"; fail=$((fail + 1)); fi; }
q() { psql -X -qAt -d postgres -c "$1"; }
log=$QPM_DATA/server.log
# wait_for SQL-CONDITION SECONDS
wait_for() {
	local i
	for i in $(seq 1 $(($2 * 10))); do
		[ "$(q "SELECT ($1)")" = "t" ] && return 0
		sleep 0.1
	done
	return 1
}

psql -X -q -v ON_ERROR_STOP=1 -d postgres >/dev/null <<'SQL'
CREATE EXTENSION query_perf_ml;
CREATE ROLE etl LOGIN;
CREATE ROLE analysts NOLOGIN;
GRANT EXECUTE ON FUNCTION query_perf_ml.train_model(text, text, regclass, jsonb) TO etl, analysts;
CREATE TABLE shifting AS
SELECT g::bigint % 2000 AS queryid, 1 + g % 20 AS calls,
       (1 + g % 20) * (0.5 + (g % 97)) * (1 + (g % 2000) % 7) AS total_exec_time,
       (1 + g % 20) * (g % 97) AS shared_blks_hit, (g % 7) AS shared_blks_read, g % 13 AS rows
  FROM generate_series(1, 20000) g;
CREATE TABLE steady AS SELECT * FROM shifting;
-- Deterministic noise, so that the steady model is not perfect.
UPDATE steady SET total_exec_time = total_exec_time * (1 + ((queryid * 7919) % 13) / 4.0);
GRANT SELECT ON shifting, steady TO etl, analysts;
SET ROLE analysts;
SELECT version FROM query_perf_ml.train_model('grouped', 'linear', 'steady', '{"seed": 5}');
SET ROLE etl;
SELECT version FROM query_perf_ml.train_model('shift', 'linear', 'shifting', '{"seed": 5}');
-- No held-out statements: a retrained version can never prove it is better.
SELECT version FROM query_perf_ml.train_model('steady', 'linear', 'steady', '{"seed": 5, "test_fraction": 0}');
RESET ROLE;
-- The workload of 'shift' changes: every statement 50 times slower.
UPDATE shifting SET total_exec_time = total_exec_time * 50;
-- Forged history: 30 statements at 500 ms per call in the last intervals...
INSERT INTO query_perf_ml.snapshots (snapshot_id, captured_at, prev_snapshot_id, statements)
VALUES (1, now() - interval '30 minutes', NULL, 30), (2, now() - interval '20 minutes', 1, 30);
INSERT INTO query_perf_ml.metrics_history (snapshot_id, captured_at, userid, dbid, toplevel, queryid, calls, total_exec_time)
SELECT s, now() - interval '30 minutes' + (s - 1) * interval '10 minutes', 10,
       (SELECT oid FROM pg_database WHERE datname = current_database()), true, q,
       10 * s, 100 + (s - 1) * 5000
  FROM generate_series(1, 30) q, generate_series(1, 2) s;
-- ...and both models predicted 1 ms for them an hour ago.
INSERT INTO query_perf_ml.prediction_log (made_at, model_id, model_name, queryid, dbid, predicted_ms,
                                          lower_ms, upper_ms, interval_level, made_by)
SELECT now() - interval '1 hour', m.model_id, m.name, q,
       (SELECT oid FROM pg_database WHERE datname = current_database()), 1, 0.5, 2, 0.9, 'etl'
  FROM query_perf_ml.models m, generate_series(1, 30) q;
SQL
check "the three models are flagged drifted" "grouped shift steady" \
	"$(q "SELECT string_agg(model_name, ' ' ORDER BY model_name) FROM query_perf_ml.prediction_accuracy() WHERE drifted")"
q "SELECT pg_reload_conf()" >/dev/null	# look now, not in 2 s

wait_for "(SELECT count(*) FROM query_perf_ml.training_jobs WHERE auto_retrain AND state IN ('done', 'failed', 'cancelled')) >= 2" 20 || true
q "SELECT job_id, name, state, progress, error FROM query_perf_ml.training_jobs ORDER BY job_id" | sed 's/^/# /'
check "shift: retrained, better, activated" "done 1" \
	"$(q "SELECT state || ' ' || (progress LIKE 'version 2 activated: held-out median q-error %, version 1 now %')::int::text FROM query_perf_ml.training_jobs WHERE name = 'shift'")"
check "shift: version 2 is active, created by etl" "2 etl linear" \
	"$(q "SELECT version || ' ' || created_by || ' ' || algorithm FROM query_perf_ml.models WHERE name = 'shift' AND is_active")"
check "shift: same options (seed) as the active version had" "t" \
	"$(q "SELECT a.options = b.options FROM query_perf_ml.models a, query_perf_ml.models b WHERE a.name = 'shift' AND b.name = 'shift' AND a.version = 1 AND b.version = 2")"
check "shift: the new version fits the changed workload" "t" \
	"$(q "SELECT median_q_error < 2 FROM query_perf_ml.validate_model('shift', 'shifting')")"
check "steady: retrained, cannot be compared, dropped" "done version 2 dropped: it has no held-out median q-error to compare; version 1 stays active" \
	"$(q "SELECT state || ' ' || progress FROM query_perf_ml.training_jobs WHERE name = 'steady' ORDER BY job_id LIMIT 1")"
check "steady: version 1 stays active, no version 2" "1" \
	"$(q "SELECT string_agg(version::text || CASE WHEN is_active THEN '' ELSE ' inactive' END, ',') FROM query_perf_ml.models WHERE name = 'steady'")"
check "the launcher logged the drift" "1" "$(grep -c 'model "shift" drifted (median q-error 500' "$log" || true)"
check "a model created by a NOLOGIN role is not retrained" "0" "$(q "SELECT count(*) FROM query_perf_ml.training_jobs WHERE name = 'grouped'")"
check "the launcher says why" "1" \
	"$([ "$(grep -c 'model "grouped" drifted but is not retrained now: role "analysts" cannot log in' "$log")" -ge 1 ] && echo 1 || echo 0)"

# At most once per auto_retrain_interval: the steady model is still drifted
# (its logged predictions stay bad) and is retried, but not more often.
sleep 4.5
jobs=$(q "SELECT count(*) FROM query_perf_ml.training_jobs WHERE name = 'steady'")
check "a drifted model is retried at most once per interval (2-4 jobs in 6.5 s)" "1" \
	"$([ "$jobs" -ge 2 ] && [ "$jobs" -le 4 ] && echo 1 || echo "0 ($jobs)")"
check "the retrained shift model is not retrained again" "1" "$(q "SELECT count(*) FROM query_perf_ml.training_jobs WHERE name = 'shift'")"

qpm_pguser "$QPM_PGBIN/pg_ctl" -D "$QPM_DATA/data" -m fast -w stop >/dev/null
check "clean server log" "0" \
	"$(grep -cE 'terminated by signal|was terminated|PANIC|server process .* exited|query_perf_ml.* exited with exit code|ERROR|FATAL' "$log" || true)"

echo "auto_retrain: $((n - fail)) passed, $fail failed"
exit $((fail > 0))
