-- plan_features: a statement planned with the caller's privileges and
-- settings, never executed; every error path; locks released, nothing
-- written.  Feature values depend on costs, so the output shows counts,
-- rounded values and booleans.
\set VERBOSITY default
CREATE TABLE plan_t (id int PRIMARY KEY, grp int, v text);
INSERT INTO plan_t SELECT g, g % 10, repeat('x', 50) FROM generate_series(1, 2000) g;
CREATE TABLE plan_u (id int, t_id int);
INSERT INTO plan_u SELECT g, g % 2000 + 1 FROM generate_series(1, 500) g;
ANALYZE plan_t, plan_u;
CREATE TABLE plan_never_analysed (id int);
CREATE TABLE plan_serial (id serial, v text);

-- One row per feature, in feature order, for any statement.
SELECT count(*) AS features, count(value) AS present,
       bool_and(value NOT IN ('NaN', 'Infinity', '-Infinity')) AS finite
  FROM query_perf_ml.plan_features('SELECT * FROM plan_t WHERE id = 1');
SELECT n, feature FROM query_perf_ml.plan_features('SELECT 1') WITH ORDINALITY AS f(feature, value, n);

-- A point lookup: one index scan on a table the planner knows.
SELECT feature, value FROM query_perf_ml.plan_features('SELECT * FROM plan_t WHERE id = 1')
 WHERE feature IN ('nodes', 'depth', 'indexscan_count', 'seqscan_count', 'rel_scans',
                   'rels_without_stats', 'command_type', 'joins', 'subplans', 'initplans')
 ORDER BY feature;
SELECT round(value) AS rel_tuples_log_rounded
  FROM query_perf_ml.plan_features('SELECT * FROM plan_t WHERE id = 1')
 WHERE feature = 'rel_tuples_max_log';

-- The caller's settings: with hash and merge joins off, the join is a NestLoop
-- whose inner side runs once per outer row.
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SELECT feature, value FROM query_perf_ml.plan_features(
    'SELECT * FROM plan_u u JOIN plan_t t ON t.id = u.t_id')
 WHERE feature IN ('joins', 'nestloop_count', 'hashjoin_count', 'indexscan_count')
 ORDER BY feature;
SELECT round(exp(value) - 1) AS inner_loops
  FROM query_perf_ml.plan_features('SELECT * FROM plan_u u JOIN plan_t t ON t.id = u.t_id')
 WHERE feature = 'nestloop_inner_loops_log';
RESET enable_hashjoin;
RESET enable_mergejoin;
SET enable_nestloop = off;
SET enable_mergejoin = off;
SELECT feature, value FROM query_perf_ml.plan_features(
    'SELECT * FROM plan_u u JOIN plan_t t ON t.id = u.t_id')
 WHERE feature IN ('joins', 'nestloop_count', 'hashjoin_count')
 ORDER BY feature;
RESET enable_nestloop;
RESET enable_mergejoin;

-- Sorts, hashed aggregates, subplans (correlated) and initPlans (CTEs), DML.
SET work_mem = '64kB';
SELECT value > 1 AS sort_exceeds_work_mem
  FROM query_perf_ml.plan_features('SELECT * FROM plan_t ORDER BY v, id')
 WHERE feature = 'spill_ratio_max';
RESET work_mem;
SELECT feature, value FROM query_perf_ml.plan_features(
    'SELECT t.id, (SELECT count(*) FROM plan_u u WHERE u.t_id = t.id) FROM plan_t t')
 WHERE feature IN ('subplans', 'initplans') ORDER BY feature;
SELECT feature, value FROM query_perf_ml.plan_features(
    'WITH c AS MATERIALIZED (SELECT grp, count(*) FROM plan_t GROUP BY grp) SELECT * FROM c')
 WHERE feature IN ('subplans', 'initplans') ORDER BY feature;
SELECT feature, value FROM query_perf_ml.plan_features('UPDATE plan_t SET grp = grp + 1 WHERE id < 10')
 WHERE feature IN ('command_type', 'other_count') ORDER BY feature;

-- A never-analysed table: counted apart, its sizes missing (NULL), not 0.
SELECT feature, value FROM query_perf_ml.plan_features('SELECT * FROM plan_never_analysed')
 WHERE feature IN ('rel_scans', 'rels_without_stats', 'rel_pages_sum_log', 'rel_tuples_max_log')
 ORDER BY feature;

-- Partitions: an Append over three scans.
CREATE TABLE plan_part (id int, k int) PARTITION BY RANGE (k);
CREATE TABLE plan_part_1 PARTITION OF plan_part FOR VALUES FROM (0) TO (10);
CREATE TABLE plan_part_2 PARTITION OF plan_part FOR VALUES FROM (10) TO (20);
CREATE TABLE plan_part_3 PARTITION OF plan_part FOR VALUES FROM (20) TO (30);
SELECT feature, value FROM query_perf_ml.plan_features('SELECT * FROM plan_part')
 WHERE feature IN ('append_count', 'rel_scans', 'seqscan_count') ORDER BY feature;

-- $n parameters: a generic plan, types from context; an unknown type is an error.
SELECT feature, value FROM query_perf_ml.plan_features('SELECT * FROM plan_t WHERE id = $1')
 WHERE feature IN ('indexscan_count', 'plan_rows_log') ORDER BY feature;
SELECT count(*) FROM query_perf_ml.plan_features('UPDATE plan_t SET v = $2 WHERE id = $1');
SELECT count(*) FROM query_perf_ml.plan_features('SELECT 1 WHERE $1 IS NULL');
SELECT count(*) FROM query_perf_ml.plan_features('SELECT * FROM plan_t WHERE id = $2');

-- Never executed: DML leaves the table and the sequence as they were,
-- volatile functions are not called, and planning's locks are released.
CREATE TABLE plan_calls (n int);
CREATE FUNCTION plan_side_effect() RETURNS int LANGUAGE plpgsql VOLATILE AS
$$ BEGIN INSERT INTO plan_calls VALUES (1); RETURN 1; END $$;
BEGIN;
SELECT count(*) FROM query_perf_ml.plan_features('DELETE FROM plan_t');
SELECT count(*) FROM query_perf_ml.plan_features('UPDATE plan_t SET grp = plan_side_effect()');
SELECT count(*) FROM query_perf_ml.plan_features('INSERT INTO plan_serial (v) VALUES (''a'')');
SELECT count(*) FROM query_perf_ml.plan_features(
    'MERGE INTO plan_t t USING plan_u u ON t.id = u.id WHEN MATCHED THEN DELETE');
SELECT count(*) FROM query_perf_ml.plan_features('SELECT * FROM plan_u FOR UPDATE');
SELECT count(*) AS locks_held FROM pg_locks
 WHERE pid = pg_backend_pid() AND locktype = 'relation'
   AND relation IN ('plan_t'::regclass, 'plan_u'::regclass, 'plan_serial'::regclass);
COMMIT;
SELECT count(*) AS plan_t_rows, sum(grp) AS plan_t_grp_sum FROM plan_t;
SELECT count(*) AS side_effects FROM plan_calls;
SELECT count(*) AS serial_rows, (SELECT is_called FROM plan_serial_id_seq) AS sequence_used FROM plan_serial;

-- Errors: syntax, none or two statements, NULL, utility statements, rules.
SELECT * FROM query_perf_ml.plan_features('SELEC 1');
SELECT * FROM query_perf_ml.plan_features('SELECT 1; SELECT 2');
SELECT * FROM query_perf_ml.plan_features('');
SELECT * FROM query_perf_ml.plan_features('  -- only a comment');
SELECT * FROM query_perf_ml.plan_features(NULL);
SELECT * FROM query_perf_ml.plan_features('VACUUM plan_t');
SELECT * FROM query_perf_ml.plan_features('SELECT 1 INTO plan_new');
SELECT * FROM query_perf_ml.plan_features('SELECT * FROM plan_missing');
CREATE TABLE plan_ruled (id int);
CREATE TABLE plan_ruled_log (id int);
CREATE RULE plan_also AS ON INSERT TO plan_ruled DO ALSO INSERT INTO plan_ruled_log VALUES (NEW.id);
SELECT * FROM query_perf_ml.plan_features('INSERT INTO plan_ruled VALUES (1)');
CREATE RULE plan_nothing AS ON DELETE TO plan_ruled DO INSTEAD NOTHING;
SELECT * FROM query_perf_ml.plan_features('DELETE FROM plan_ruled');

-- Every error path by SQLSTATE, also from inside an exception block (the
-- subtransaction is rolled back and the caller's block carries on).
CREATE FUNCTION plan_outcome(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM query_perf_ml.plan_features(sql);
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ' ' || SQLERRM;
END $$;
SELECT s AS statement, plan_outcome(s) AS outcome FROM (VALUES
    ('SELECT count(*) FROM plan_t'),
    ('SELEC 1'),
    ('SELECT 1; SELECT 2'),
    (''),
    ('VACUUM plan_t'),
    ('CREATE TABLE plan_x (a int)'),
    ('EXPLAIN SELECT 1'),
    ('COPY plan_t TO STDOUT'),
    ('CALL plan_nothing()'),
    ('SELECT 1 INTO plan_new'),
    ('SELECT 1 WHERE $1 IS NULL'),
    ('SELECT * FROM plan_missing'),
    ('DELETE FROM plan_ruled'),
    ('VALUES (1), (2)')) v(s);

-- Privileges: a table the caller cannot read is 42501, as executing would be;
-- a view its owner may read is fine.
CREATE ROLE regress_qpm_planner;
CREATE TABLE plan_secret (id int);
CREATE VIEW plan_secret_count AS SELECT count(*) FROM plan_secret;
GRANT SELECT ON plan_secret_count TO regress_qpm_planner;
GRANT SELECT ON plan_t TO regress_qpm_planner;
SET ROLE regress_qpm_planner;
SELECT plan_outcome('SELECT * FROM plan_secret') AS secret;
SELECT plan_outcome('SELECT * FROM plan_secret_count') AS through_view;
SELECT plan_outcome('SELECT * FROM plan_t') AS granted;
SELECT plan_outcome('DELETE FROM plan_t') AS delete_without_privilege;
SELECT plan_outcome('SELECT * FROM plan_t t JOIN plan_secret s ON s.id = t.id') AS join_secret;
SELECT * FROM query_perf_ml.plan_features('SELECT * FROM plan_secret');
RESET ROLE;

-- Not SECURITY DEFINER, callable by anyone.
SELECT p.prosecdef AS definer, has_function_privilege('public', p.oid, 'EXECUTE') AS public_exec
  FROM pg_proc p WHERE p.oid = 'query_perf_ml.plan_features(text)'::regprocedure;

-- Without query_perf_ml in shared_preload_libraries nothing is captured and
-- flushing is a no-op (this instance does not preload it).
SELECT preloaded, capturing, buffered, captured FROM query_perf_ml.plan_capture_status();
SELECT query_perf_ml.flush_plan_samples() AS flushed;
SELECT count(*) AS samples FROM query_perf_ml.plan_samples;

DROP FUNCTION plan_outcome(text);
DROP FUNCTION plan_side_effect();
DROP VIEW plan_secret_count;
DROP TABLE plan_t, plan_u, plan_never_analysed, plan_serial, plan_part, plan_calls,
    plan_ruled, plan_ruled_log, plan_secret;
DROP ROLE regress_qpm_planner;
