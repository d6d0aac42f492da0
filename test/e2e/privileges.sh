#!/usr/bin/env bash
# test/e2e/privileges.sh — attacks on the background processes by roles
# without superuser rights (issue 9, §2, §4, §5); each must be refused or
# harmless.  One throwaway cluster, query_perf_ml preloaded, the launcher
# serving database "app", which the attacker "mallory" owns (a database
# owner may ALTER DATABASE ... SET search_path) and in which she may create
# objects in schema public (the default before PostgreSQL 15).
#
# Every trap records who ran it in evil.pwned (current_user, session_user,
# is_superuser, backend type), so "harmless" means: no row with
# is_superuser = on.
#
#  1. A superuser SET ROLE mallory and calls train_model_async on her view;
#     the view queues a DEFERRABLE INITIALLY DEFERRED constraint trigger,
#     which fires at the job's commit: it must fire as mallory.
#  2. A SET ROLE to a NOLOGIN role cannot submit a job (a job connects as
#     its role, and such a role cannot connect).
#  3. Another role cannot read a running job's progress by passing its own
#     role to training_job_live() (1.1's entry point included).
#  4. training_threads = 64 set by a non-superuser: the job's worker must
#     not run 64 threads (max_training_threads bounds it to 4).
#  5. Per-role (2) and global (3, set here) caps on queued + running jobs.
#  6. The launcher (connected as the bootstrap superuser) after mallory ran
#     ALTER DATABASE app SET search_path = evil, ...: her count(*) aggregate
#     must not run.
#  7. A drifted model of mallory's is retrained by the launcher: the
#     deferred trigger of her source view fires as mallory.
#  8. A drifted imported model (source 'import') is not retrained from
#     mallory's public.import view: it has no trainable source.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=privileges
. "$top/test/lib/cluster.sh"
QPM_EXTRA_CONF="shared_preload_libraries = 'pg_stat_statements,query_perf_ml'
max_worker_processes = 16
query_perf_ml.database = 'app'
query_perf_ml.auto_retrain_interval = 2s
query_perf_ml.max_training_jobs = 3
query_perf_ml.max_training_jobs_per_role = 2"
qpm_cluster_start
trap qpm_cluster_stop EXIT
# Our own sessions must not run mallory's objects: pin their search_path.
export PGOPTIONS='-c search_path=pg_catalog,public'

fail=0; n=0
check() { n=$((n + 1)); if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: expected '$2', got '$3'"; fail=$((fail + 1)); fi; }
q() { psql -X -qAt -d app -c "$1"; }
as() { local r=$1; shift; psql -X -qAt -U "$r" -d app -c "$1"; }
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
# superuser rows in evil.pwned with this tag
pwned() { q "SELECT count(*) FROM evil.pwned WHERE su = 'on' AND tag LIKE '$1'"; }

psql -X -q -v ON_ERROR_STOP=1 -d postgres >/dev/null <<'SQL'
CREATE ROLE mallory LOGIN;
CREATE ROLE alice LOGIN;
CREATE ROLE bob LOGIN;
CREATE ROLE nologin_role NOLOGIN;
CREATE DATABASE app OWNER mallory;
SQL
psql -X -q -v ON_ERROR_STOP=1 -d app >/dev/null <<'SQL'
CREATE EXTENSION query_perf_ml;
GRANT EXECUTE ON FUNCTION query_perf_ml.train_model(text, text, regclass, jsonb),
                          query_perf_ml.train_model_async(text, text, regclass, jsonb),
                          query_perf_ml.cancel_training(bigint)
   TO mallory, alice, bob, nologin_role;
GRANT CREATE ON SCHEMA public TO mallory;
CREATE TABLE public.base AS
SELECT g::bigint % 2000 AS queryid, 1 + g % 20 AS calls,
       (1 + g % 20) * (0.5 + (g % 97)) * (1 + (g % 2000) % 7) AS total_exec_time,
       (1 + g % 20) * (g % 97) AS shared_blks_hit, (g % 7) AS shared_blks_read, g % 13 AS rows
  FROM generate_series(1, 4000) g;
GRANT SELECT ON public.base TO PUBLIC;
SQL
# The source of the long trainings: 200 000 rows.
q "CREATE UNLOGGED TABLE public.big AS
SELECT g::bigint % 50000 AS queryid, 1 + g % 20 AS calls, (1 + g % 20) * (0.5 + (g % 97)) AS total_exec_time,
       (1 + g % 20) * (g % 97) AS shared_blks_hit, (g % 7) AS shared_blks_read
  FROM generate_series(1, 200000) g; GRANT SELECT ON public.big TO PUBLIC" >/dev/null

# Mallory's traps.
psql -X -q -v ON_ERROR_STOP=1 -U mallory -d app >/dev/null <<'SQL'
CREATE SCHEMA evil;
GRANT USAGE ON SCHEMA evil TO PUBLIC;
CREATE TABLE evil.pwned (tag text, who name, sess name, su text, backend text,
                         at timestamptz DEFAULT clock_timestamp());
GRANT INSERT ON evil.pwned TO PUBLIC;
CREATE FUNCTION evil.note(tag text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO evil.pwned (tag, who, sess, su, backend)
    VALUES (tag, current_user, session_user, current_setting('is_superuser'),
            (SELECT a.backend_type FROM pg_catalog.pg_stat_activity a WHERE a.pid = pg_catalog.pg_backend_pid()));
    RETURN true;
END $$;
GRANT EXECUTE ON FUNCTION evil.note(text) TO PUBLIC;
CREATE TABLE evil.data AS
SELECT g::bigint % 2000 AS queryid, 1 + g % 20 AS calls,
       (1 + g % 20) * (0.5 + (g % 97)) * (1 + (g % 2000) % 7) AS total_exec_time,
       (1 + g % 20) * (g % 97) AS shared_blks_hit, (g % 7) AS shared_blks_read, g % 13 AS rows
  FROM generate_series(1, 4000) g;
-- A deferred constraint trigger, queued by whoever reads evil.trainsrc.
CREATE TABLE evil.trap (tag text);
GRANT INSERT ON evil.trap TO PUBLIC;
CREATE FUNCTION evil.fire() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM evil.note(NEW.tag);
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER fire AFTER INSERT ON evil.trap
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION evil.fire();
CREATE FUNCTION evil.arm() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('evil.armed', true) IS DISTINCT FROM 'yes' THEN
        PERFORM set_config('evil.armed', 'yes', true);
        INSERT INTO evil.trap VALUES ('deferred trigger');
    END IF;
    RETURN true;
END $$;
GRANT EXECUTE ON FUNCTION evil.arm() TO PUBLIC;
CREATE VIEW evil.trainsrc AS SELECT * FROM evil.data WHERE evil.arm();
GRANT SELECT ON evil.data, evil.trainsrc TO PUBLIC;
-- Her model, trained on that view (the trap fires as herself: harmless).
SELECT version FROM query_perf_ml.train_model('mal', 'linear', 'evil.trainsrc', '{"seed": 5}');
-- A replacement for the source of imported models, found by name.
CREATE VIEW public.import AS SELECT * FROM evil.data WHERE evil.note('import view');
GRANT SELECT ON public.import TO PUBLIC;
-- A count(*) of her own for whoever runs with her search_path.
CREATE FUNCTION evil.cnt(bigint) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    PERFORM evil.note('count(*) aggregate');
    RETURN $1 + 1;
END $$;
CREATE AGGREGATE evil.count(*) (sfunc = evil.cnt, stype = bigint, initcond = '0');
ALTER DATABASE app SET search_path = evil, pg_catalog, public;
SQL
check "mallory's own training fired her trap as herself" "1 0" \
	"$(q "SELECT count(*) FILTER (WHERE who = 'mallory') || ' ' || count(*) FILTER (WHERE su = 'on') FROM evil.pwned")"

# 1. A superuser SET ROLE mallory, then train_model_async on her view.
j=$(q "SET ROLE mallory; SELECT query_perf_ml.train_model_async('mal_setrole', 'linear', 'evil.trainsrc', '{\"seed\": 5}')")
wait_for "(SELECT state FROM query_perf_ml.training_jobs WHERE job_id = $j) IN ('done', 'failed', 'cancelled')" 30 || true
check "SET ROLE job: done" "done" "$(q "SELECT state FROM query_perf_ml.training_jobs WHERE job_id = $j")"
check "SET ROLE job: its deferred trigger fired as mallory, not as the superuser" "0 1" \
	"$(q "SELECT count(*) FILTER (WHERE su = 'on') || ' ' || count(*) FILTER (WHERE who = 'mallory' AND sess = 'mallory') FROM evil.pwned WHERE tag = 'deferred trigger' AND backend = 'query_perf_ml training'")"
q "SELECT * FROM evil.pwned ORDER BY at" | sed 's/^/# pwned: /'

# 2. A NOLOGIN role cannot submit a job.
err=$(q "SET ROLE nologin_role; SELECT query_perf_ml.train_model_async('nologin', 'linear', 'public.base')" 2>&1 || true)
check "NOLOGIN role: submission refused" "1" "$(grep -c 'role "nologin_role" cannot log in' <<<"$err")"

# 3 and 4. Alice's long job, with training_threads = 64 in her session.
long='{"n_trees": 3000, "early_stopping_rounds": 0}'	# minutes of boosting
ja=$(as alice "SET query_perf_ml.training_threads = 64; SELECT query_perf_ml.train_model_async('a_long', 'gradient_boosting', 'big', '$long')")
wait_for "(SELECT progress LIKE '%trees%' FROM query_perf_ml.training_jobs WHERE job_id = $ja AND state = 'running')" 30 || true
q "SELECT job_id, state, pid, coalesce(error, progress) FROM query_perf_ml.training_jobs WHERE job_id = $ja" | sed 's/^/# alice: /'
pid=$(q "SELECT pid FROM query_perf_ml.training_jobs WHERE job_id = $ja")
threads=0
for _ in $(seq 1 30); do
	t=$( (ls "/proc/$pid/task" 2>/dev/null || true) | wc -l)
	[ "$t" -gt "$threads" ] && threads=$t
	sleep 0.1
done
echo "# alice's worker (pid $pid) ran $threads threads at most"
check "training_threads = 64 by a non-superuser: at most 4 XGBoost threads (+ the backend's own)" "1" \
	"$([ "$threads" -ge 1 ] && [ "$threads" -le 6 ] && echo 1 || echo "0 ($threads)")"
# 1.1 showed the progress to whoever passed the job's run_as (or their own
# role) as the fifth argument; the argument is gone and the worker's role decides.
check "training_job_live: alice sees her job's progress" "1" \
	"$(as alice "SELECT (query_perf_ml.training_job_live($ja, 'running', $pid, NULL)).progress LIKE 'gradient_boosting fit %'" | grep -c '^t$')"
check "training_job_live: mallory does not" "" \
	"$(as mallory "SELECT (query_perf_ml.training_job_live($ja, 'running', $pid, NULL)).progress")"
# The library's entry point of 1.1's five-argument version (a database not
# yet updated still calls it) ignores the role passed in.
q "CREATE FUNCTION public.job_live_1_1(bigint, text, integer, xid, oid, OUT state text, OUT progress text, OUT lost boolean)
   RETURNS record AS 'query_perf_ml', 'qpm_training_job_live' LANGUAGE C" >/dev/null
check "training_job_live of 1.1: mallory passing her own role sees nothing" "" \
	"$(as mallory "SELECT (public.job_live_1_1($ja, 'running', $pid, NULL, $(q "SELECT oid FROM pg_roles WHERE rolname = 'mallory'"))).progress")"

# 5. Caps: at most 2 queued + running jobs per role, 3 in all.
jb=$(as alice "SELECT query_perf_ml.train_model_async('a_long2', 'gradient_boosting', 'big', '$long')")
err=$(as alice "SELECT query_perf_ml.train_model_async('a_long3', 'gradient_boosting', 'big', '$long')" 2>&1 || true)
check "a role's third job is refused" "1" "$(grep -c 'too many training jobs of role "alice"' <<<"$err")"
jc=$(as mallory "SELECT query_perf_ml.train_model_async('m_long', 'gradient_boosting', 'big', '$long')")
err=$(as bob "SELECT query_perf_ml.train_model_async('b_long', 'gradient_boosting', 'big', '$long')" 2>&1 || true)
check "a fourth job in all is refused" "1" "$(grep -c 'query_perf_ml.max_training_jobs is 3' <<<"$err")"
check "refused submissions left no job" "0" "$(q "SELECT count(*) FROM query_perf_ml.training_job_store WHERE name IN ('a_long3', 'b_long')")"
for k in $ja $jb $jc; do q "SELECT query_perf_ml.cancel_training($k)" >/dev/null 2>&1 || true; done
wait_for "NOT EXISTS (SELECT 1 FROM query_perf_ml.training_jobs WHERE state IN ('queued', 'running'))" 30 || true
q "SELECT job_id, name, state, submitted_by FROM query_perf_ml.training_jobs ORDER BY job_id" | sed 's/^/# job: /'

# 6-8. The launcher: drifted models, a hostile search_path.
psql -X -q -v ON_ERROR_STOP=1 -d app >/dev/null <<'SQL'
-- An imported copy of a model trained by the superuser: source 'import'.
SELECT version FROM query_perf_ml.train_model('victim', 'linear', 'public.base', '{"seed": 5}');
SELECT query_perf_ml.import_model(query_perf_ml.export_model('victim'), 'imp');
-- Forged history and predictions: 'mal' and 'imp' predicted 1 ms, took 500 ms.
INSERT INTO query_perf_ml.snapshots (snapshot_id, captured_at, prev_snapshot_id, statements)
VALUES (1, now() - interval '30 minutes', NULL, 30), (2, now() - interval '20 minutes', 1, 30);
INSERT INTO query_perf_ml.metrics_history (snapshot_id, captured_at, userid, dbid, toplevel, queryid, calls, total_exec_time)
SELECT s, now() - interval '30 minutes' + (s - 1) * interval '10 minutes', 10,
       (SELECT oid FROM pg_database WHERE datname = current_database()), true, q,
       10 * s, 100 + (s - 1) * 5000
  FROM generate_series(1, 30) q, generate_series(1, 2) s;
INSERT INTO query_perf_ml.prediction_log (made_at, model_id, model_name, queryid, dbid, predicted_ms,
                                          lower_ms, upper_ms, interval_level, made_by)
SELECT now() - interval '1 hour', m.model_id, m.name, q,
       (SELECT oid FROM pg_database WHERE datname = current_database()), 1, 0.5, 2, 0.9, 'alice'
  FROM query_perf_ml.models m, generate_series(1, 30) q
 WHERE m.is_active AND m.name IN ('mal', 'imp');
ALTER SYSTEM SET query_perf_ml.auto_retrain = on;
SELECT pg_reload_conf();
SQL
check "both models are drifted" "imp mal" \
	"$(q "SELECT string_agg(model_name, ' ' ORDER BY model_name) FROM query_perf_ml.prediction_accuracy() WHERE drifted")"
wait_for "EXISTS (SELECT 1 FROM query_perf_ml.training_jobs WHERE name = 'mal' AND auto_retrain AND state IN ('done', 'failed'))" 30 || true
sleep 3	# another cycle or two of the launcher
q "SELECT job_id, name, state, submitted_by, coalesce(error, progress) FROM query_perf_ml.training_jobs WHERE auto_retrain ORDER BY job_id" | sed 's/^/# auto job: /'
q "SELECT * FROM evil.pwned WHERE su = 'on' ORDER BY at" | sed 's/^/# pwned as superuser: /'
check "launcher: mallory's count(*) never ran (search_path pinned)" "0" "$(q "SELECT count(*) FROM evil.pwned WHERE tag = 'count(*) aggregate' AND backend <> 'client backend'")"
check "auto-retrain of mal: done, as mallory" "done mallory" \
	"$(q "SELECT state || ' ' || submitted_by FROM query_perf_ml.training_jobs WHERE name = 'mal' AND auto_retrain ORDER BY job_id LIMIT 1")"
check "auto-retrain of mal: the deferred trigger fired as mallory" "0 1" \
	"$(q "SELECT count(*) FILTER (WHERE su = 'on') || ' ' || least(count(*) FILTER (WHERE who = 'mallory' AND sess = 'mallory'), 1) FROM evil.pwned WHERE tag = 'deferred trigger' AND at > (SELECT min(submitted_at) FROM query_perf_ml.training_jobs WHERE auto_retrain)")"
check "imported model: no retraining job" "0" "$(q "SELECT count(*) FROM query_perf_ml.training_jobs WHERE name = 'imp'")"
check "imported model: mallory's public.import never read" "0" "$(q "SELECT count(*) FROM evil.pwned WHERE tag = 'import view'")"
check "imported model: the launcher says why it is skipped" "1" \
	"$(grep -c 'model "imp" drifted but cannot be retrained' "$log" | tr -d ' ' | sed 's/^[1-9][0-9]*$/1/')"
check "nothing of mallory's ran as a superuser" "0" "$(q "SELECT count(*) FROM evil.pwned WHERE su = 'on'")"

qpm_pguser "$QPM_PGBIN/pg_ctl" -D "$QPM_DATA/data" -m fast -w stop >/dev/null
check "no crash" "0" "$(grep -cE 'terminated by signal|PANIC|all server processes terminated' "$log" || true)"

echo "privileges: $((n - fail)) passed, $fail failed"
exit $((fail > 0))
