-- plan_capture: runs on the preloaded instance (test/regress_preload.conf:
-- query_perf_ml in shared_preload_libraries, capture_plans = on, sample
-- rate 1, a 1000-sample buffer).  Which statements are sampled, what a
-- sample holds, flushing that follows its transaction, privileges,
-- snapshot() and purge_history().  Every top-level statement of this file is
-- captured, so counts are per statement (by queryid), never totals.
\set VERBOSITY default
CREATE EXTENSION query_perf_ml;
SELECT preloaded, capturing, sample_rate, buffer_size, overwritten
  FROM query_perf_ml.plan_capture_status();
SHOW query_perf_ml.capture_plans;
SET query_perf_ml.capture_plans = off;		-- sighup: not per session

CREATE TABLE cap_t (id int PRIMARY KEY, grp int);
INSERT INTO cap_t SELECT g, g % 7 FROM generate_series(1, 1000) g;
ANALYZE cap_t;

-- The samples of the statement whose pg_stat_statements text is $1.
CREATE FUNCTION cap_samples(q text) RETURNS SETOF query_perf_ml.plan_samples
LANGUAGE sql AS $$
    SELECT p.* FROM query_perf_ml.plan_samples p
     WHERE p.queryid IN (SELECT s.queryid FROM pg_stat_statements s WHERE s.query = q)
     ORDER BY p.sample_id
$$;

-- Top-level statements are sampled, each execution once.
SELECT * FROM cap_t WHERE id = 1;
SELECT * FROM cap_t WHERE id = 2;
SELECT * FROM cap_t WHERE id = 3;
SELECT count(*) FROM cap_t WHERE id <= 10;
UPDATE cap_t SET grp = grp + 1 WHERE id <= 5;
PREPARE cap_prepared AS SELECT grp FROM cap_t WHERE id < $1;
EXECUTE cap_prepared(4);
EXECUTE cap_prepared(5);

-- Nested statements are not: in functions, DO blocks, EXPLAIN, CREATE TABLE AS.
CREATE FUNCTION cap_nested() RETURNS bigint LANGUAGE plpgsql AS
$$ BEGIN RETURN (SELECT sum(grp) FROM cap_t WHERE grp > 2); END $$;
SELECT cap_nested() > 0 AS ran;
DO $$ BEGIN PERFORM max(id) FROM cap_t WHERE grp = 3; END $$;
EXPLAIN (COSTS OFF) SELECT min(id) FROM cap_t WHERE grp = 4;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT min(id) FROM cap_t WHERE grp = 5;
CREATE TABLE cap_copy AS SELECT id FROM cap_t WHERE grp = 6;

SELECT query_perf_ml.flush_plan_samples() > 0 AS flushed;
SELECT q AS statement, count(c.*) AS samples, bool_and(c.completed) AS completed,
       min(c.rows) AS min_rows, max(c.rows) AS max_rows
  FROM (VALUES ('SELECT * FROM cap_t WHERE id = $1'),
               ('SELECT count(*) FROM cap_t WHERE id <= $1'),
               ('UPDATE cap_t SET grp = grp + $1 WHERE id <= $2'),
               ('PREPARE cap_prepared AS SELECT grp FROM cap_t WHERE id < $1'),
               ('SELECT cap_nested() > $1 AS ran'),
               ('SELECT sum(grp) FROM cap_t WHERE grp > $1'),
               ('SELECT max(id) FROM cap_t WHERE grp = $1'),
               ('EXPLAIN (COSTS OFF) SELECT min(id) FROM cap_t WHERE grp = $1'),
               ('SELECT min(id) FROM cap_t WHERE grp = $1'),
               ('CREATE TABLE cap_copy AS SELECT id FROM cap_t WHERE grp = $1')) v(q)
  LEFT JOIN LATERAL cap_samples(v.q) c ON true
 GROUP BY q ORDER BY q;

-- What a sample holds: who, the plan's estimates and plan/1 vector, the time.
SELECT dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AS this_db,
       userid = current_user::regrole::oid AS this_user,
       feature_set, cardinality(features) AS n_features,
       NOT EXISTS (SELECT FROM unnest(features) f WHERE f IN ('NaN', 'Infinity', '-Infinity')) AS finite,
       total_cost > 0 AS has_cost, plan_rows, exec_ms > 0 AS timed,
       captured_at <= now() AS in_the_past
  FROM cap_samples('SELECT * FROM cap_t WHERE id = $1') LIMIT 1;
-- The captured vector is the one plan_features computes for the same statement.
SELECT c.features = (SELECT array_agg(value ORDER BY n)
                       FROM query_perf_ml.plan_features('SELECT * FROM cap_t WHERE id = 1')
                            WITH ORDINALITY AS f(feature, value, n)) AS same_as_plan_features
  FROM cap_samples('SELECT * FROM cap_t WHERE id = $1') c ORDER BY sample_id LIMIT 1;
SELECT features[18] AS command_type, rows
  FROM cap_samples('UPDATE cap_t SET grp = grp + $1 WHERE id <= $2');

-- Statements that never reach ExecutorEnd are kept as incomplete, with the
-- time until they stopped (a lower bound).
-- (pg_stat_statements keeps no entry for them: they are told apart by
-- rel_scans, the 8th feature.)
SELECT incomplete AS incomplete_before FROM query_perf_ml.plan_capture_status() \gset
SET statement_timeout = '300ms';
SELECT pg_sleep(5);
RESET statement_timeout;
SELECT 1 / (id - id) FROM cap_t;
SELECT query_perf_ml.flush_plan_samples() > 0 AS flushed;
SELECT features[8] AS rel_scans, completed, exec_ms > 0 AS timed, rows
  FROM query_perf_ml.plan_samples WHERE NOT completed ORDER BY sample_id;
SELECT incomplete - :incomplete_before AS incomplete_since FROM query_perf_ml.plan_capture_status();

-- A flush follows its transaction: rolled back, the samples stay buffered.
SELECT * FROM cap_t WHERE id = 4;
SELECT buffered_here AS before_rollback FROM query_perf_ml.plan_capture_status() \gset
BEGIN;
SELECT query_perf_ml.flush_plan_samples() >= :before_rollback AS took_them;
-- a second flush takes only what came since: the statement of the first one
SELECT query_perf_ml.flush_plan_samples() AS second_flush_in_same_transaction;
ROLLBACK;
SELECT buffered_here >= :before_rollback AS back_after_rollback FROM query_perf_ml.plan_capture_status();
-- ... also when only a subtransaction (a savepoint, an exception block) rolls back.
BEGIN;
SAVEPOINT s;
SELECT query_perf_ml.flush_plan_samples() >= :before_rollback AS took_them;
ROLLBACK TO SAVEPOINT s;
SELECT query_perf_ml.flush_plan_samples() >= :before_rollback AS took_them_again;
ROLLBACK;
DO $$
BEGIN
    BEGIN
        PERFORM query_perf_ml.flush_plan_samples();
        RAISE EXCEPTION 'abandon the flush';
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
END $$;
SELECT buffered_here >= :before_rollback AS back_after_exception_block
  FROM query_perf_ml.plan_capture_status();
-- A transaction that flushed cannot be prepared (its fate would be decided elsewhere).
BEGIN;
SELECT query_perf_ml.flush_plan_samples() > 0 AS took_them;
PREPARE TRANSACTION 'qpm_flush';
SELECT count(*) AS prepared FROM pg_prepared_xacts;
-- (should it ever be prepared, roll it back, or its locks would hang the test)
SELECT format('ROLLBACK PREPARED %L', gid) FROM pg_prepared_xacts WHERE gid = 'qpm_flush' \gexec
-- Committed, they are gone from the buffer and in the table once.
SELECT count(*) AS samples_of_id_4_before FROM cap_samples('SELECT * FROM cap_t WHERE id = $1');
SELECT query_perf_ml.flush_plan_samples() > 0 AS flushed;
SELECT count(*) AS samples_of_id_4_after FROM cap_samples('SELECT * FROM cap_t WHERE id = $1');
-- what is left: the two statements since that flush
SELECT query_perf_ml.flush_plan_samples() AS since_then;
SELECT count(*) = count(DISTINCT sample_id) AS no_duplicates FROM query_perf_ml.plan_samples;

-- Privileges: flush is revoked from PUBLIC, the table readable by pg_read_all_stats only.
CREATE ROLE regress_qpm_cap_user;
CREATE ROLE regress_qpm_cap_stats IN ROLE pg_read_all_stats;
SET ROLE regress_qpm_cap_user;
SELECT query_perf_ml.flush_plan_samples();
SELECT count(*) FROM query_perf_ml.plan_samples;
SELECT preloaded FROM query_perf_ml.plan_capture_status();
RESET ROLE;
SET ROLE regress_qpm_cap_stats;
SELECT count(*) > 0 AS readable FROM query_perf_ml.plan_samples;
RESET ROLE;
SELECT p.proname, p.prosecdef AS definer, p.proconfig,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public_exec
  FROM pg_proc p WHERE p.pronamespace = 'query_perf_ml'::regnamespace
   AND p.proname IN ('flush_plan_samples', 'plan_capture_status', 'snapshot', 'purge_history')
 ORDER BY p.proname;

-- snapshot() flushes too (so does the background worker, which calls it);
-- purge_history() deletes old samples.
SELECT * FROM cap_t WHERE id = 5;
SELECT query_perf_ml.snapshot() > 0 AS snapshot_taken;
SELECT count(*) AS samples_of_id_5 FROM cap_samples('SELECT * FROM cap_t WHERE id = $1');
SELECT query_perf_ml.purge_history('0 seconds') >= 0 AS purged;
SELECT count(*) AS samples_left FROM query_perf_ml.plan_samples WHERE captured_at < now();

DROP ROLE regress_qpm_cap_user, regress_qpm_cap_stats;
DROP FUNCTION cap_samples(text), cap_nested();
DROP TABLE cap_t, cap_copy;
DROP EXTENSION query_perf_ml;
