-- source_plans: predict_query_execution(queryid) keeps a prepared plan per
-- (source, feature set) in the backend.  Whatever changes between two calls
-- of one session, the second call must answer what a fresh read answers
-- (predict_all, which plans its own query every time) or fail as a fresh
-- read would: the source altered, dropped and recreated, privileges
-- revoked, a view redefined, a schema renamed, search_path pointing the
-- same name elsewhere, and a source that calls the same path back.
SET query_perf_ml.default_feature_set = 'pgss/1';
SET query_perf_ml.training_progress = off;
\set SHOW_CONTEXT never
SELECT version FROM query_perf_ml.train_model('sp_lin', 'linear', 'synth');
SELECT version FROM query_perf_ml.train_model('sp_gbm', 'gradient_boosting', 'synth', '{"n_trees": 30}');
CREATE TABLE sp_src AS SELECT * FROM synth WHERE queryid <= 60;
CREATE INDEX ON sp_src (queryid);
-- Prediction by queryid equals predict_all's on the same source, now.
CREATE FUNCTION sp_same(model text, src regclass, q bigint) RETURNS boolean
LANGUAGE sql AS $$
  SELECT p.predicted_ms = a.predicted_ms AND p.lower_ms = a.lower_ms
    FROM query_perf_ml.predict_query_execution(q, model, src) p,
         query_perf_ml.predict_all(model, src) a
   WHERE a.queryid = q
$$;
CREATE FUNCTION sp_sqlstate(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END
$$;

-- Repeated calls (the kept plan), several statements and both models.
SELECT sp_same('sp_lin', 'sp_src', 7) AS first, sp_same('sp_lin', 'sp_src', 7) AS again,
       sp_same('sp_gbm', 'sp_src', 8) AS gbm, sp_same('sp_lin', 'sp_src', 60) AS other;
SELECT count(*) AS statements, bool_and(sp_same('sp_gbm', 'sp_src', queryid)) AS all_same
  FROM sp_src;
-- Several rows per statement, only mean_exec_time, NULL and negative
-- values (setup's history): the rows are summed as SQL's sum() does.
SELECT count(*) AS statements,
       count(*) FILTER (WHERE p.predicted_ms = a.predicted_ms) AS identical
  FROM query_perf_ml.predict_all('sp_lin', 'history') a,
       LATERAL query_perf_ml.predict_query_execution(a.queryid, 'sp_lin', 'history') p
 WHERE a.actual_ms IS NOT NULL;
SELECT sp_sqlstate($$SELECT * FROM query_perf_ml.predict_query_execution(5002, 'sp_lin', 'history')$$) AS null_calls,
       sp_sqlstate($$SELECT * FROM query_perf_ml.predict_query_execution(424242, 'sp_lin', 'history')$$) AS absent;

-- A sum that overflows float8 is an error for both, as SQL's sum() makes it.
CREATE TABLE sp_huge AS SELECT 1::bigint AS queryid, 1 AS calls, 1e308::float8 AS total_exec_time,
                               1e308::float8 AS shared_blks_hit FROM generate_series(1, 2);
SELECT sp_sqlstate($$SELECT * FROM query_perf_ml.predict_all('sp_lin', 'sp_huge')$$) AS predict_all,
       sp_sqlstate($$SELECT * FROM query_perf_ml.predict_query_execution(1, 'sp_lin', 'sp_huge')$$) AS by_queryid;
DROP TABLE sp_huge;

-- 1. ALTER TABLE between calls: the columns are looked up again.
SELECT predicted_ms AS before_ms FROM query_perf_ml.predict_query_execution(7, 'sp_lin', 'sp_src') \gset
UPDATE sp_src SET shared_blks_hit = shared_blks_hit * 100 WHERE queryid = 7;
SELECT sp_same('sp_lin', 'sp_src', 7) AS same, predicted_ms <> :before_ms AS data_changed
  FROM query_perf_ml.predict_query_execution(7, 'sp_lin', 'sp_src');
ALTER TABLE sp_src DROP COLUMN shared_blks_hit;   -- an optional column: now missing
SELECT sp_same('sp_lin', 'sp_src', 7) AS same_without_column;
ALTER TABLE sp_src RENAME COLUMN calls TO ncalls; -- a required one
SELECT * FROM query_perf_ml.predict_query_execution(7, 'sp_lin', 'sp_src');
ALTER TABLE sp_src RENAME COLUMN ncalls TO calls;
ALTER TABLE sp_src ADD COLUMN shared_blks_hit bigint;
UPDATE sp_src s SET shared_blks_hit = y.shared_blks_hit FROM synth y WHERE y.queryid = s.queryid;
SELECT sp_same('sp_lin', 'sp_src', 7) AS same_column_back;
-- A column's type changes: the cast is planned again.
ALTER TABLE sp_src ALTER COLUMN shared_blks_read TYPE numeric;
SELECT sp_same('sp_lin', 'sp_src', 7) AS same_numeric;

-- 2. DROP and recreate under the same name (a new relation, other rows).
SELECT predicted_ms AS before_ms FROM query_perf_ml.predict_query_execution(7, 'sp_lin', 'sp_src') \gset
DROP TABLE sp_src;
SELECT * FROM query_perf_ml.predict_query_execution(7, 'sp_lin', 'sp_src');
CREATE TABLE sp_src AS SELECT queryid, calls, total_exec_time, rows * 50 AS rows FROM synth WHERE queryid <= 60;
SELECT sp_same('sp_lin', 'sp_src', 7) AS same_recreated, predicted_ms <> :before_ms AS other_rows
  FROM query_perf_ml.predict_query_execution(7, 'sp_lin', 'sp_src');

-- 3. Privileges are checked at every call: a REVOKE after a first call,
-- and a role that never had them, get 42501 from the kept plan.
CREATE ROLE regress_sp_reader;
GRANT SELECT ON sp_src TO regress_sp_reader;
SET ROLE regress_sp_reader;
SELECT predicted_ms > 0 AS reads FROM query_perf_ml.predict_query_execution(7, 'sp_lin', 'sp_src');
RESET ROLE;
REVOKE SELECT ON sp_src FROM regress_sp_reader;
SET ROLE regress_sp_reader;
SELECT sp_sqlstate($$SELECT * FROM query_perf_ml.predict_query_execution(7, 'sp_lin', 'sp_src')$$) AS after_revoke;
SELECT * FROM query_perf_ml.predict_query_execution(7, 'sp_lin', 'sp_src');
RESET ROLE;
SELECT predicted_ms > 0 AS owner_reads FROM query_perf_ml.predict_query_execution(7, 'sp_lin', 'sp_src');
SET ROLE regress_sp_reader;   -- the plan was just used by the owner
SELECT sp_sqlstate($$SELECT * FROM query_perf_ml.predict_query_execution(7, 'sp_lin', 'sp_src')$$) AS other_role;
RESET ROLE;
-- Through a view: the caller needs the view, the view's owner the table.
CREATE VIEW sp_granted AS SELECT * FROM sp_src;
GRANT SELECT ON sp_granted TO regress_sp_reader;
SET ROLE regress_sp_reader;
SELECT predicted_ms > 0 AS reads_view FROM query_perf_ml.predict_query_execution(7, 'sp_lin', 'sp_granted');
RESET ROLE;
REVOKE SELECT ON sp_granted FROM regress_sp_reader;
SET ROLE regress_sp_reader;
SELECT sp_sqlstate($$SELECT * FROM query_perf_ml.predict_query_execution(7, 'sp_lin', 'sp_granted')$$) AS view_revoked;
RESET ROLE;
DROP VIEW sp_granted;

-- 4. CREATE OR REPLACE VIEW between calls: new rows, then a new column
-- (the old plan's text would still read it as missing).
CREATE TABLE sp_src2 AS SELECT * FROM synth WHERE queryid <= 60;
CREATE VIEW sp_view AS SELECT queryid, calls, total_exec_time, shared_blks_read FROM sp_src2;
SELECT sp_same('sp_lin', 'sp_view', 7) AS same_v1;
SELECT predicted_ms AS v1_ms FROM query_perf_ml.predict_query_execution(7, 'sp_lin', 'sp_view') \gset
CREATE OR REPLACE VIEW sp_view AS SELECT queryid, calls, total_exec_time, shared_blks_read * 100 AS shared_blks_read FROM sp_src2;
SELECT sp_same('sp_lin', 'sp_view', 7) AS same_v2, predicted_ms <> :v1_ms AS changed
  FROM query_perf_ml.predict_query_execution(7, 'sp_lin', 'sp_view');
SELECT predicted_ms AS v2_ms FROM query_perf_ml.predict_query_execution(7, 'sp_lin', 'sp_view') \gset
CREATE OR REPLACE VIEW sp_view AS
SELECT queryid, calls, total_exec_time, shared_blks_read * 100 AS shared_blks_read,
       shared_blks_hit * 1000 AS shared_blks_hit
  FROM sp_src2;
SELECT sp_same('sp_lin', 'sp_view', 7) AS same_v3, predicted_ms <> :v2_ms AS reads_new_column
  FROM query_perf_ml.predict_query_execution(7, 'sp_lin', 'sp_view');

-- 5. search_path: the same name resolves to another relation.
CREATE SCHEMA sp_a;
CREATE SCHEMA sp_b;
CREATE TABLE sp_a.sp_t AS SELECT * FROM synth WHERE queryid <= 20;
CREATE TABLE sp_b.sp_t AS SELECT queryid, calls, total_exec_time, rows * 1000 AS rows FROM synth WHERE queryid <= 20;
SET search_path = sp_a, public;
SELECT predicted_ms AS a_ms FROM query_perf_ml.predict_query_execution(7, 'sp_lin', 'sp_t') \gset
SELECT sp_same('sp_lin', 'sp_t', 7) AS same_a;
SET search_path = sp_b, public;
SELECT sp_same('sp_lin', 'sp_t', 7) AS same_b, predicted_ms <> :a_ms AS other_table
  FROM query_perf_ml.predict_query_execution(7, 'sp_lin', 'sp_t');
RESET search_path;
-- A renamed schema: the relation (by OID) keeps being read, never a new
-- relation that takes the old qualified name.
SELECT 'sp_a.sp_t'::regclass::oid AS a_oid \gset
ALTER SCHEMA sp_a RENAME TO sp_a_old;
CREATE SCHEMA sp_a;
CREATE TABLE sp_a.sp_t AS SELECT queryid, calls, total_exec_time * 50 AS total_exec_time FROM synth WHERE queryid <= 20;
ANALYZE sp_a_old.sp_t;
SELECT predicted_ms = :a_ms AS same_relation
  FROM query_perf_ml.predict_query_execution(7, 'sp_lin', :a_oid::oid::regclass);

-- 6. A source that calls the same path back on itself, and changes its
-- own definition's privileges (a relcache invalidation) while it is read.
CREATE FUNCTION sp_gate(q bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('sp.nest', true) = 'on' THEN
        PERFORM set_config('sp.nest', 'off', false);
        PERFORM query_perf_ml.predict_query_execution(q, 'sp_lin', 'public.sp_reent');
        PERFORM query_perf_ml.predict_query_execution(q, 'sp_gbm', 'public.sp_reent');
        GRANT SELECT ON public.sp_reent TO regress_sp_reader;
        PERFORM query_perf_ml.predict_query_execution(q, 'sp_lin', 'public.sp_reent');
        REVOKE SELECT ON public.sp_reent FROM regress_sp_reader;
        PERFORM set_config('sp.nest', 'on', false);
    END IF;
    RETURN true;
END
$$;
CREATE VIEW sp_reent AS SELECT * FROM sp_a_old.sp_t WHERE sp_gate(queryid);
SELECT predicted_ms AS plain_ms FROM query_perf_ml.predict_query_execution(7, 'sp_lin', 'sp_reent') \gset
SET sp.nest = on;
SELECT predicted_ms = :plain_ms AS same_nested FROM query_perf_ml.predict_query_execution(7, 'sp_lin', 'sp_reent');
SELECT predicted_ms = :plain_ms AS again FROM query_perf_ml.predict_query_execution(7, 'sp_lin', 'sp_reent');
SELECT count(*) AS statements, bool_and(p.predicted_ms = a.predicted_ms) AS all_same
  FROM query_perf_ml.predict_all('sp_lin', 'sp_a_old.sp_t') a,
       LATERAL query_perf_ml.predict_query_execution(a.queryid, 'sp_lin', 'sp_reent') p;
-- An error inside a nested call's read of a kept plan, caught: both plans
-- stay usable (sp_bad divides by zero on statement 7's row).
CREATE VIEW sp_bad AS SELECT queryid, calls, total_exec_time / (queryid - 7) AS total_exec_time FROM sp_a_old.sp_t;
SELECT predicted_ms > 0 AS bad_reads_8 FROM query_perf_ml.predict_query_execution(8, 'sp_lin', 'sp_bad');
CREATE OR REPLACE FUNCTION sp_gate(q bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('sp.nest', true) = 'on' THEN
        PERFORM set_config('sp.nest', 'off', false);
        BEGIN
            PERFORM query_perf_ml.predict_query_execution(7, 'sp_lin', 'public.sp_bad');
        EXCEPTION WHEN division_by_zero THEN
            NULL;
        END;
        PERFORM query_perf_ml.predict_query_execution(q, 'sp_lin', 'public.sp_reent');
        PERFORM set_config('sp.nest', 'on', false);
    END IF;
    RETURN true;
END
$$;
SELECT predicted_ms = :plain_ms AS after_caught_error FROM query_perf_ml.predict_query_execution(7, 'sp_lin', 'sp_reent');
SELECT predicted_ms > 0 AS bad_still_reads_8 FROM query_perf_ml.predict_query_execution(8, 'sp_lin', 'sp_bad');
RESET sp.nest;

DROP VIEW sp_reent, sp_bad, sp_view;
DROP FUNCTION sp_gate(bigint), sp_same(text, regclass, bigint), sp_sqlstate(text);
DROP TABLE sp_src, sp_src2;
DROP SCHEMA sp_a, sp_b, sp_a_old CASCADE;
DROP ROLE regress_sp_reader;
SELECT count(*) AS dropped FROM (SELECT query_perf_ml.drop_model(n) FROM unnest(ARRAY['sp_lin', 'sp_gbm']) n) s;
