-- training_jobs: train_model_async / cancel_training / training_jobs without
-- shared_preload_libraries: argument errors belong to the caller, privileges,
-- a rolled back submission, one real job, and how a job whose worker died
-- is reported.
\set SHOW_CONTEXT never
\set VERBOSITY terse
-- Settings exist (the library is loaded by the first call).
SELECT query_perf_ml.is_held_out(1);
SHOW query_perf_ml.snapshot_interval;
SHOW query_perf_ml.database;
SHOW query_perf_ml.auto_retrain;
SHOW query_perf_ml.auto_retrain_interval;

-- Argument errors are the caller's, before any job exists.
SELECT query_perf_ml.train_model_async(NULL);
SELECT query_perf_ml.train_model_async('x', NULL);
SELECT query_perf_ml.train_model_async('x', 'svm');
SELECT query_perf_ml.train_model_async('', 'linear');
SELECT query_perf_ml.train_model_async('x', 'linear', 'synth', '{"n_trees": 5}');
SELECT query_perf_ml.train_model_async('x', 'gradient_boosting', 'synth', '{"depth": 5}');
SELECT query_perf_ml.train_model_async('x', 'linear', 99999999::oid::regclass);
SELECT query_perf_ml.train_model_async('x', 'linear', 'pg_class');
BEGIN READ ONLY;
SELECT query_perf_ml.train_model_async('x', 'linear', 'synth');
ROLLBACK;
SELECT count(*) AS jobs FROM query_perf_ml.training_job_store;
SELECT query_perf_ml.cancel_training(NULL);
SELECT query_perf_ml.cancel_training(-1);

-- A rolled back submission leaves no job (its worker finds none and exits).
BEGIN;
SELECT query_perf_ml.train_model_async('tj_rollback', 'linear', 'synth') > 0 AS submitted;
SELECT state FROM query_perf_ml.training_jobs WHERE name = 'tj_rollback';
ROLLBACK;
SELECT count(*) AS jobs FROM query_perf_ml.training_job_store WHERE name = 'tj_rollback';

-- One real job, polled until it finishes (at most a minute).
SELECT query_perf_ml.train_model_async('tj_linear', 'linear', 'synth', '{"seed": 3}') AS job \gset
DO $$
BEGIN
    FOR i IN 1..600 LOOP
        EXIT WHEN (SELECT state FROM query_perf_ml.training_jobs WHERE name = 'tj_linear')
                  IN ('done', 'failed', 'cancelled');
        PERFORM pg_sleep(0.1);
    END LOOP;
END $$;
SELECT name, algorithm, source, state, error, progress LIKE 'version 1 trained in %' AS progress,
       model_id IS NOT NULL AS has_model, submitted_by = current_user AS mine,
       started_at >= submitted_at AND finished_at >= started_at AS times, options
  FROM query_perf_ml.training_jobs WHERE job_id = :job;
SELECT m.name, m.version, m.is_active, m.created_by = current_user AS mine
  FROM query_perf_ml.training_jobs j JOIN query_perf_ml.models m USING (model_id)
 WHERE j.job_id = :job;
SELECT query_perf_ml.cancel_training(:job) AS cancelled_finished_job;

-- A job whose worker is gone without an outcome is reported failed at once
-- (here: a forged row whose pid is this backend, not a training worker);
-- cancel_training records it.
INSERT INTO query_perf_ml.training_job_store (name, algorithm, options, state, submitted_by, run_as, pid)
VALUES ('tj_lost', 'linear', '{}', 'running', current_user, 10, pg_backend_pid()),
       ('tj_queued', 'linear', '{}', 'queued', current_user, 10, pg_backend_pid());
SELECT name, state, error LIKE 'training worker (pid %) exited without recording a result' AS lost, sqlstate
  FROM query_perf_ml.training_jobs WHERE name IN ('tj_lost', 'tj_queued') ORDER BY name;
SELECT name, state FROM query_perf_ml.training_job_store WHERE name IN ('tj_lost', 'tj_queued') ORDER BY name;
SELECT name, query_perf_ml.cancel_training(job_id)
  FROM query_perf_ml.training_job_store WHERE name IN ('tj_lost', 'tj_queued') ORDER BY name;
SELECT name, state, regexp_replace(error, '[0-9]+', 'N') AS error, sqlstate
  FROM query_perf_ml.training_jobs WHERE name IN ('tj_lost', 'tj_queued') ORDER BY name;

-- Privileges: like train_model, EXECUTE is revoked from PUBLIC; the view is
-- readable by all but shows a role only its own jobs; the table is closed.
CREATE ROLE regress_qpm_async;
SELECT has_function_privilege('regress_qpm_async', 'query_perf_ml.train_model_async(text, text, regclass, jsonb)', 'EXECUTE') AS async,
       has_function_privilege('regress_qpm_async', 'query_perf_ml.cancel_training(bigint)', 'EXECUTE') AS cancel,
       has_table_privilege('regress_qpm_async', 'query_perf_ml.training_jobs', 'SELECT') AS view,
       has_table_privilege('regress_qpm_async', 'query_perf_ml.training_job_store', 'SELECT') AS store;
SET ROLE regress_qpm_async;
SELECT query_perf_ml.train_model_async('tj_denied', 'linear', 'synth');
SELECT query_perf_ml.cancel_training(1);
SELECT count(*) AS visible_jobs FROM query_perf_ml.training_jobs;
SELECT count(*) FROM query_perf_ml.training_job_store;
UPDATE query_perf_ml.training_job_store SET state = 'done';
RESET ROLE;
GRANT EXECUTE ON FUNCTION query_perf_ml.cancel_training(bigint) TO regress_qpm_async;
SELECT set_config('regress_qpm.job', max(job_id)::text, false) IS NOT NULL AS job_set
  FROM query_perf_ml.training_job_store;
SET ROLE regress_qpm_async;
DO $$
BEGIN
    PERFORM query_perf_ml.cancel_training(current_setting('regress_qpm.job')::bigint);
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE '%: %', SQLSTATE, regexp_replace(SQLERRM, '[0-9]+', 'N');
END $$;
RESET ROLE;

-- The view is a security barrier: a cheap function in the caller's WHERE
-- clause that leaks its argument sees only the rows the caller may see.
CREATE FUNCTION leak(t text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS $$
BEGIN
    RAISE NOTICE 'leaked: %', t;
    RETURN true;
END $$;
CREATE FUNCTION leak(j jsonb) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS $$
BEGIN
    RAISE NOTICE 'leaked: %', j;
    RETURN true;
END $$;
INSERT INTO query_perf_ml.training_job_store (name, algorithm, options, state, submitted_by, run_as, error)
VALUES ('tj_secret', 'linear', '{"seed": 4242}', 'failed', current_user, 10, 'secret value 42');
SET ROLE regress_qpm_async;
SELECT count(*) AS visible FROM query_perf_ml.training_jobs WHERE leak(name) AND leak(options);
RESET ROLE;
DROP FUNCTION leak(text), leak(jsonb);
DELETE FROM query_perf_ml.training_job_store WHERE name = 'tj_secret';

-- Clean up.
SELECT query_perf_ml.drop_model('tj_linear');
DELETE FROM query_perf_ml.training_job_store;
REVOKE EXECUTE ON FUNCTION query_perf_ml.cancel_training(bigint) FROM regress_qpm_async;
DROP ROLE regress_qpm_async;
