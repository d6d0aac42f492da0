-- predict_statement(sql, model) and explain_statement_prediction(sql, model):
-- a statement planned with the caller's privileges, never executed, and
-- predicted by a plan/1 model; training plan/1 models on plan-sample
-- relations; the errors.  Output is deterministic: the plan source below is
-- built from real plans of this instance (plan_features) with a generated
-- time, so the planner's estimates are the only input, printed as booleans.

CREATE TABLE ps_t AS SELECT g AS id, g % 97 AS k, repeat('x', 20 + g % 30) AS pad
  FROM generate_series(1, 20000) g;
CREATE INDEX ps_t_id ON ps_t (id);
ANALYZE ps_t;

-- No plan/1 model yet: the default has nothing to use.
SELECT * FROM query_perf_ml.predict_statement('SELECT 1');

-- A plan source: the plan/1 vectors of 48 statements, three executions
-- each, whose time is the planner's cost / 100 ms (x 0.95 .. 1.05).
CREATE TABLE ps_src (queryid bigint, captured_at timestamptz, exec_ms float8, features float8[]);
CREATE FUNCTION ps_vector(q text) RETURNS float8[] LANGUAGE sql AS
$$ SELECT array_agg(value ORDER BY n) FROM query_perf_ml.plan_features(q) WITH ORDINALITY AS f(feature, value, n) $$;
INSERT INTO ps_src
SELECT s.qid, '2026-01-01'::timestamptz + (s.qid * 3 + r) * interval '1 minute',
       exp(v[1]) / 100 * (0.95 + 0.05 * r), v
  FROM (SELECT n AS qid,
               CASE n % 4
                 WHEN 0 THEN format('SELECT count(*) FROM ps_t WHERE id < %s', n * 400)
                 WHEN 1 THEN format('SELECT k, count(*) FROM ps_t WHERE id < %s GROUP BY k', n * 400)
                 WHEN 2 THEN format('SELECT * FROM ps_t WHERE k = %s ORDER BY pad LIMIT %s', n, n)
                 ELSE format('SELECT count(*) FROM ps_t a JOIN ps_t b USING (id) WHERE a.id < %s', n * 300)
               END AS sql
          FROM generate_series(1, 48) n) s,
       LATERAL ps_vector(s.sql) v,
       generate_series(0, 2) r;
SELECT count(*) AS samples, count(DISTINCT queryid) AS statements,
       bool_and(array_length(features, 1) = 45) AS vectors_of_45 FROM ps_src;

-- The feature set is detected from the columns (features float8[], exec_ms):
-- held out by queryid, so the metrics are on statements never trained on.
SELECT name, algorithm, n_train + n_test AS n, n_test > 0 AS held_out,
       median_q_error < 1.5 AS median_ok, p90_q_error < 3 AS p90_ok
  FROM query_perf_ml.train_model('ps_linear', 'linear', 'ps_src', '{"test_fraction": 0.25, "seed": 7}');
SELECT name, feature_set, options->>'feature_set' AS option FROM query_perf_ml.models WHERE name = 'ps_linear';
SELECT count(*) AS plan_features FROM query_perf_ml.feature_names('plan/1');

-- A statement that never ran: its plan's cost / 100 within a factor 1.5.
SELECT queryid IS NOT NULL AS has_queryid, model_name, interval_level,
       lower_ms <= predicted_ms AND predicted_ms <= upper_ms AS in_interval,
       predicted_ms / (SELECT exp(value) / 100 FROM query_perf_ml.plan_features(
           'SELECT count(*) FROM ps_t WHERE id < 7777') WHERE feature = 'total_cost_log')
         BETWEEN 1 / 1.5 AND 1.5 AS close_to_cost
  FROM query_perf_ml.predict_statement('SELECT count(*) FROM ps_t WHERE id < 7777');
-- The same through a named model, predict() on the vector, and the queryid
-- pg_stat_statements gives the statement.
SELECT abs(a.predicted_ms - b.predicted_ms) < 1e-9 AS same_model,
       abs(query_perf_ml.predict('ps_linear', ps_vector('SELECT count(*) FROM ps_t WHERE id < 7777'))
           - a.predicted_ms) < 1e-9 AS same_as_predict
  FROM query_perf_ml.predict_statement('SELECT count(*) FROM ps_t WHERE id < 7777') a,
       query_perf_ml.predict_statement('SELECT count(*) FROM ps_t WHERE id < 7777', 'ps_linear') b;
SELECT count(*) FROM ps_t WHERE id < 7777;
SELECT p.queryid = s.queryid AS queryid_matches_pg_stat_statements
  FROM query_perf_ml.predict_statement('SELECT count(*) FROM ps_t WHERE id < 7777') p,
       pg_stat_statements s WHERE s.query = 'SELECT count(*) FROM ps_t WHERE id < $1';

-- With log_predictions on, the prediction is logged under that queryid,
-- to be matched later with the statement's runs; a failed call logs nothing.
SET query_perf_ml.log_predictions = on;
SELECT predicted_ms > 0 AS predicted FROM query_perf_ml.predict_statement('SELECT count(*) FROM ps_t WHERE id < 4242');
SELECT * FROM query_perf_ml.predict_statement('SELECT count(*) FROM ps_t WHERE id < $1::text');
RESET query_perf_ml.log_predictions;
SELECT l.model_name, l.queryid = p.queryid AS same_queryid, abs(l.predicted_ms - p.predicted_ms) < 1e-9 AS same_ms
  FROM query_perf_ml.prediction_log l,
       query_perf_ml.predict_statement('SELECT count(*) FROM ps_t WHERE id < 4242') p
 WHERE l.model_name = 'ps_linear';

-- The explanation adds up to the log of the prediction.
SELECT count(*) AS rows, abs(sum(contribution) - ln((SELECT predicted_ms FROM
         query_perf_ml.predict_statement('SELECT * FROM ps_t WHERE k = 5 ORDER BY pad LIMIT 5')))) < 1e-6 AS adds_up
  FROM query_perf_ml.explain_statement_prediction('SELECT * FROM ps_t WHERE k = 5 ORDER BY pad LIMIT 5');

-- $n parameters: a generic plan with types from context, else 42P18.
SELECT predicted_ms > 0 AS predicted FROM query_perf_ml.predict_statement('SELECT * FROM ps_t WHERE id = $1');
SELECT * FROM query_perf_ml.predict_statement('SELECT count(*) FROM ps_t WHERE $1 IS NULL');

-- DELETE and UPDATE are predicted, never run: the table is unchanged and
-- no lock stays behind.
BEGIN;
SELECT predicted_ms > 0 AS predicted FROM query_perf_ml.predict_statement('DELETE FROM ps_t WHERE k = 3');
SELECT predicted_ms > 0 AS predicted FROM query_perf_ml.predict_statement('UPDATE ps_t SET pad = pad || pad');
SELECT count(*) AS locks_on_ps_t FROM pg_locks WHERE relation = 'ps_t'::regclass;
COMMIT;
SELECT count(*) AS rows, sum(length(pad)) AS pad_bytes, count(*) FILTER (WHERE k = 3) AS k3 FROM ps_t;

-- One statement, not a utility one; NULL, empty and malformed text.
SELECT * FROM query_perf_ml.predict_statement('SELECT 1; SELECT 2');
SELECT * FROM query_perf_ml.predict_statement('VACUUM ps_t');
SELECT * FROM query_perf_ml.predict_statement('CREATE TABLE ps_never AS SELECT 1');
SELECT * FROM query_perf_ml.predict_statement('SELEC 1');
SELECT * FROM query_perf_ml.predict_statement('');
SELECT * FROM query_perf_ml.predict_statement(NULL);
SELECT * FROM query_perf_ml.explain_statement_prediction(NULL);
SELECT * FROM query_perf_ml.predict_statement('SELECT 1', 'no_such_model');
SELECT to_regclass('ps_never') IS NULL AS nothing_created;
SELECT * FROM query_perf_ml.predict_statement('-- only a comment');
SELECT * FROM query_perf_ml.predict_statement('SELECT 1', '');
SELECT * FROM query_perf_ml.predict_statement('SELECT 1', repeat('m', 100));
SELECT predicted_ms > 0 AS a_2001_branch_union
  FROM query_perf_ml.predict_statement(repeat('SELECT 1 UNION ALL ', 2000) || 'SELECT 1', 'ps_linear');

-- A table the caller cannot read: 42501, as running the statement would be.
CREATE ROLE regress_qpm_ps;
CREATE TABLE ps_secret (a int);
REVOKE ALL ON ps_secret FROM PUBLIC;
SET ROLE regress_qpm_ps;
SELECT * FROM query_perf_ml.predict_statement('SELECT * FROM ps_secret', 'ps_linear');
SELECT * FROM query_perf_ml.predict_statement('DELETE FROM ps_t', 'ps_linear');
SELECT predicted_ms > 0 AS predicted FROM query_perf_ml.predict_statement('SELECT 1', 'ps_linear');
RESET ROLE;

-- A model of another feature set, and sources of the other shape: clear errors.
SELECT name FROM query_perf_ml.train_model('ps_pgss', 'linear', 'synth', '{"feature_set": "pgss/1"}');
SELECT feature_set FROM query_perf_ml.models WHERE name = 'ps_pgss';
SELECT * FROM query_perf_ml.predict_statement('SELECT 1', 'ps_pgss');
SELECT * FROM query_perf_ml.explain_statement_prediction('SELECT 1', 'ps_pgss');
SELECT * FROM query_perf_ml.validate_model('ps_linear', 'synth');
SELECT * FROM query_perf_ml.validate_model('ps_pgss', 'ps_src');
SELECT * FROM query_perf_ml.train_model('ps_bad', 'linear', 'ps_src', '{"feature_set": "pgss/2"}');
SELECT * FROM query_perf_ml.train_model('ps_bad', 'linear', 'synth', '{"feature_set": "plan/1"}');
SELECT query_perf_ml.predict('ps_linear', ARRAY[1, 2, 3]::float8[]);

-- The default plan model stays the plan/1 one, whichever model was activated last.
SELECT model_name FROM query_perf_ml.predict_statement('SELECT 1');

-- The other functions take plan/1 models and plan sources.
SELECT n, skipped, median_q_error < 1.5 AS median_ok FROM query_perf_ml.validate_model('ps_linear', 'ps_src');
SELECT count(*) AS statements, bool_and(calls = 3) AS three_runs_each,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY q_error) < 1.5 AS median_ok
  FROM query_perf_ml.predict_all('ps_linear', 'ps_src');
SELECT round(predicted_ms::numeric, 6) = round((SELECT predicted_ms FROM query_perf_ml.predict_all('ps_linear', 'ps_src')
                                                 WHERE queryid = 5)::numeric, 6) AS by_queryid
  FROM query_perf_ml.predict_query_execution(5, 'ps_linear', 'ps_src');
SELECT count(*) AS explained FROM query_perf_ml.explain_prediction(5, 'ps_linear', 'ps_src');
SELECT name, n_train + n_test AS n FROM query_perf_ml.train_model('ps_time', 'linear', 'ps_src', '{"split": "time"}');
SET client_min_messages = warning;	-- auto's NOTICE prints every candidate's metrics
SELECT name, algorithm IN ('linear', 'random_forest', 'gradient_boosting') AS chosen,
       median_q_error < 1.5 AS median_ok
  FROM query_perf_ml.train_model('ps_auto', 'auto', 'ps_src', '{"test_fraction": 0.25, "n_trees": 20}');
RESET client_min_messages;
SELECT query_perf_ml.import_model(query_perf_ml.export_model('ps_linear'), 'ps_copy') > 0 AS imported;
SELECT abs(a.predicted_ms - b.predicted_ms) < 1e-9 AS same_prediction
  FROM query_perf_ml.predict_statement('SELECT count(*) FROM ps_t WHERE id < 7777', 'ps_copy') a,
       query_perf_ml.predict_statement('SELECT count(*) FROM ps_t WHERE id < 7777', 'ps_linear') b;

-- Re-entrancy: planning may run user code (an immutable function folded by
-- the planner) that predicts or drops models itself; the model is looked up
-- only after planning, and what planning did is rolled back with it.
CREATE FUNCTION ps_nested() RETURNS float8 IMMUTABLE LANGUAGE sql AS
$$ SELECT predicted_ms FROM query_perf_ml.predict_statement('SELECT count(*) FROM ps_t', 'ps_linear') $$;
SELECT model_name, predicted_ms > 0 AS predicted
  FROM query_perf_ml.predict_statement('SELECT ps_nested() FROM ps_t', 'ps_linear');
CREATE FUNCTION ps_drop_copy() RETURNS int IMMUTABLE LANGUAGE sql AS
$$ SELECT query_perf_ml.drop_model('ps_copy') $$;
SELECT model_name, predicted_ms > 0 AS predicted
  FROM query_perf_ml.predict_statement('SELECT ps_drop_copy()', 'ps_copy');
SELECT count(*) AS ps_copy_still_there FROM query_perf_ml.models WHERE name = 'ps_copy';
DROP FUNCTION ps_nested(), ps_drop_copy();

-- A row whose vector has the wrong length is an error naming the statement.
INSERT INTO ps_src VALUES (999, now(), 1, ARRAY[1, 2, 3]);
SELECT * FROM query_perf_ml.train_model('ps_bad', 'linear', 'ps_src');
SELECT count(*) FROM query_perf_ml.models WHERE name = 'ps_bad';

DELETE FROM query_perf_ml.prediction_log WHERE model_name = 'ps_linear';
SELECT query_perf_ml.drop_model(name) FROM (VALUES ('ps_linear'), ('ps_pgss'), ('ps_time'), ('ps_auto'), ('ps_copy')) m(name);
DROP TABLE ps_t, ps_src, ps_secret;
DROP FUNCTION ps_vector(text);
DROP ROLE regress_qpm_ps;
