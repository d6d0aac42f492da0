-- explain_prediction: query_perf_ml.explain_prediction = on makes EXPLAIN
-- (text format) end with "Predicted Execution Time: X ms (90%: a – b)" from
-- the most recently activated plan/1 model; nothing without one, nothing in
-- the other formats, never an error.  Runs on the preloaded instance (the
-- hook is installed when the library loads).  Numbers are filtered (N) or
-- compared with predict_statement's, so the output is deterministic.
CREATE EXTENSION query_perf_ml;
SHOW query_perf_ml.explain_prediction;

CREATE TABLE ep_t AS SELECT g AS id, g % 97 AS k FROM generate_series(1, 20000) g;
CREATE INDEX ep_t_id ON ep_t (id);
ANALYZE ep_t;

-- EXPLAIN's lines with every number as N; only lines = the prediction's.
CREATE FUNCTION ep_explain(q text, options text DEFAULT 'COSTS OFF', only_prediction bool DEFAULT false)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE l text;
BEGIN
    FOR l IN EXECUTE format('EXPLAIN (%s) %s', options, q) LOOP
        CONTINUE WHEN only_prediction AND l NOT LIKE 'Predicted%';
        -- (the dash is an en dash in UTF-8 databases only)
        RETURN NEXT regexp_replace(regexp_replace(l, '[0-9]+(\.[0-9]+)?', 'N', 'g'), '%: N .+ N\)$', '%: N - N)');
    END LOOP;
END $$;
-- The predicted milliseconds EXPLAIN printed.
CREATE FUNCTION ep_predicted_ms(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE l text;
BEGIN
    FOR l IN EXECUTE 'EXPLAIN ' || q LOOP
        IF l LIKE 'Predicted Execution Time: %' THEN
            RETURN substring(l FROM '^Predicted Execution Time: ([0-9.]+) ms')::float8;
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

-- Off (the default): plain EXPLAIN.
SELECT * FROM ep_explain('SELECT count(*) FROM ep_t WHERE id < 100');
-- On, but no plan/1 model: nothing printed, no error.
SET query_perf_ml.explain_prediction = on;
SELECT * FROM ep_explain('SELECT count(*) FROM ep_t WHERE id < 100');

-- A plan/1 model: real plans of this instance, time = the planner's cost / 100.
CREATE TABLE ep_src (queryid bigint, exec_ms float8, features float8[]);
INSERT INTO ep_src
SELECT s.n, exp(v[1]) / 100 * (0.95 + 0.05 * r), v
  FROM (SELECT n, CASE n % 2 WHEN 0 THEN format('SELECT count(*) FROM ep_t WHERE id < %s', n * 400)
                             ELSE format('SELECT k, count(*) FROM ep_t WHERE id < %s GROUP BY k', n * 400) END AS sql
          FROM generate_series(1, 40) n) s,
       LATERAL (SELECT array_agg(value ORDER BY o) AS v
                  FROM query_perf_ml.plan_features(s.sql) WITH ORDINALITY AS f(feature, value, o)) f,
       generate_series(0, 2) r;
SELECT name FROM query_perf_ml.train_model('ep_plans', 'linear', 'ep_src', '{"seed": 3}');
SELECT feature_set FROM query_perf_ml.models WHERE name = 'ep_plans';

-- Now the line is there, after the plan, and it is predict_statement's number.
SELECT * FROM ep_explain('SELECT count(*) FROM ep_t WHERE id < 100');
SELECT * FROM ep_explain('UPDATE ep_t SET k = k + 1 WHERE id = 7');
SELECT abs(ep_predicted_ms(q) - p.predicted_ms) < 0.001 AS same_as_predict_statement
  FROM (VALUES ('SELECT count(*) FROM ep_t WHERE id < 5000'),
               ('SELECT k, count(*) FROM ep_t GROUP BY k')) v(q),
       LATERAL query_perf_ml.predict_statement(q) p;
-- EXPLAIN ANALYZE: predicted from the plan, then run.
SELECT * FROM ep_explain('SELECT count(*) FROM ep_t', 'ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF', true);
-- Structured formats are left alone (the line has no place in them).
SELECT count(*) AS json_lines FROM ep_explain('SELECT 1', 'FORMAT JSON', true);
SELECT (string_agg(l, E'\n')::json -> 0 -> 'Plan' ->> 'Node Type') AS node
  FROM ep_explain('SELECT count(*) FROM ep_t', 'FORMAT JSON, COSTS OFF') l;
-- EXPLAIN CREATE TABLE AS: its query is predicted, nothing is created.
SELECT * FROM ep_explain('CREATE TABLE ep_never AS SELECT * FROM ep_t WHERE id < 3', 'COSTS OFF', true);
SELECT to_regclass('ep_never') IS NULL AS not_created;
-- A pgss model activated later does not take over: the default is among plan/1 models.
CREATE TABLE ep_pgss (queryid bigint, calls bigint, total_exec_time float8, rows bigint,
                      shared_blks_hit bigint, shared_blks_read bigint);
INSERT INTO ep_pgss SELECT g, 10, g * 10.0, g, g * 3, g % 5 FROM generate_series(1, 200) g;
SELECT name FROM query_perf_ml.train_model('ep_pgss_model', 'linear', 'ep_pgss', '{"feature_set": "pgss/1"}');
SELECT count(*) AS prediction_lines FROM ep_explain('SELECT count(*) FROM ep_t WHERE id < 100', 'COSTS OFF', true);
-- Nothing is logged, even with log_predictions on.
SET query_perf_ml.log_predictions = on;
SELECT count(*) AS prediction_lines FROM ep_explain('SELECT count(*) FROM ep_t WHERE id < 100', 'COSTS OFF', true);
SELECT count(*) AS logged FROM query_perf_ml.prediction_log;
RESET query_perf_ml.log_predictions;
-- A prediction that fails never fails EXPLAIN: a role that may not look
-- up the models (no USAGE on the schema) gets the plan without the line.
CREATE ROLE regress_qpm_ep_user;
GRANT SELECT ON ep_t TO regress_qpm_ep_user;
REVOKE USAGE ON SCHEMA query_perf_ml FROM PUBLIC;
SET ROLE regress_qpm_ep_user;
SELECT * FROM ep_explain('SELECT count(*) FROM ep_t WHERE id < 100');
RESET ROLE;
GRANT USAGE ON SCHEMA query_perf_ml TO PUBLIC;
-- Off again: gone.
RESET query_perf_ml.explain_prediction;
SELECT count(*) AS prediction_lines FROM ep_explain('SELECT count(*) FROM ep_t WHERE id < 100', 'COSTS OFF', true);

DROP FUNCTION ep_explain(text, text, bool), ep_predicted_ms(text);
DROP TABLE ep_t, ep_src, ep_pgss;
DROP ROLE regress_qpm_ep_user;
DROP EXTENSION query_perf_ml;
