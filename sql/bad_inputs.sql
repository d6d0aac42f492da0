-- bad_inputs: every SQL function of the extension, called with hostile
-- arguments and sources.  Each case gives a documented result or an error
-- with a specific SQLSTATE (never XX000, the code of elog's "can't happen"),
-- and the server never restarts.  try() runs one statement and returns
-- 'ok <first column>' or '<SQLSTATE> <message>', so each case is one line.
-- This file's models and vectors are pgss/1's, the feature set of 1.0 and
-- 1.1 (sql/feature_sets.sql covers pgss/2, the default for new models).
SET query_perf_ml.default_feature_set = 'pgss/1';
SELECT pg_postmaster_start_time() AS started \gset
SELECT count(*) AS models_before FROM query_perf_ml.models \gset

CREATE FUNCTION try(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r text;
    st text;
    msg text;
BEGIN
    EXECUTE q INTO r;
    RETURN 'ok ' || coalesce(r, 'NULL');
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    RETURN st || ' ' || left(msg, 120);
END $$;
GRANT EXECUTE ON FUNCTION try(text) TO PUBLIC;
\pset format unaligned

-- Sources: a pg_stat_statements-shaped template and hostile variants.
CREATE TABLE bi_base AS
SELECT queryid, query, calls, total_exec_time, rows, shared_blks_hit, shared_blks_read
  FROM synth WHERE queryid <= 200;
CREATE TABLE bi_empty AS SELECT * FROM bi_base WHERE false;
CREATE TABLE bi_one AS SELECT * FROM bi_base WHERE queryid = 1;
-- all rows identical, 200 distinct statements: constant features and target
CREATE TABLE bi_same AS
SELECT queryid, 'SELECT 1'::text AS query, 10::bigint AS calls, 50.0::float8 AS total_exec_time,
       100::bigint AS rows, 1000::bigint AS shared_blks_hit, 10::bigint AS shared_blks_read
  FROM bi_base;
-- non-finite values everywhere a float8 counter can hold one
CREATE TABLE bi_nonfinite AS
SELECT queryid, query, calls::float8 AS calls,
       CASE queryid % 4 WHEN 0 THEN 'NaN' WHEN 1 THEN 'Infinity' ELSE total_exec_time END AS total_exec_time,
       CASE queryid % 3 WHEN 0 THEN '-Infinity' WHEN 1 THEN 'NaN' ELSE rows::float8 END AS rows,
       CASE queryid % 5 WHEN 0 THEN 'Infinity' ELSE shared_blks_hit::float8 END AS shared_blks_hit,
       shared_blks_read::float8 AS shared_blks_read
  FROM bi_base;
-- negative counters and times
CREATE TABLE bi_negative AS
SELECT queryid, query, CASE WHEN queryid % 10 = 0 THEN -calls ELSE calls END AS calls,
       CASE WHEN queryid % 7 = 0 THEN -total_exec_time ELSE total_exec_time END AS total_exec_time,
       -rows AS rows, -shared_blks_hit AS shared_blks_hit, shared_blks_read
  FROM bi_base;
-- huge counters: bigint maximum, float8 near its maximum
CREATE TABLE bi_huge AS
SELECT queryid, query,
       CASE WHEN queryid % 2 = 0 THEN 9223372036854775807 ELSE calls END AS calls,
       CASE WHEN queryid % 3 = 0 THEN 1e308 ELSE total_exec_time END::float8 AS total_exec_time,
       9223372036854775807 AS rows, shared_blks_hit::float8 * 1e300 AS shared_blks_hit,
       shared_blks_read
  FROM bi_base;
-- a column of a type that has no cast to float8, and text that is no number
CREATE TABLE bi_point AS SELECT queryid, calls, point(1, 2) AS total_exec_time FROM bi_base;
CREATE TABLE bi_text AS SELECT queryid::text AS queryid, 'x' || calls AS calls, total_exec_time FROM bi_base;
CREATE TYPE bi_type AS (queryid bigint, calls bigint, total_exec_time float8);
CREATE TABLE bi_bigqid AS SELECT queryid * 1e20 AS queryid, calls, total_exec_time FROM bi_base;
CREATE VIEW bi_failing AS SELECT queryid, calls / (queryid - 150) AS calls, total_exec_time FROM bi_base;
CREATE TABLE bi_parted (LIKE bi_base) PARTITION BY RANGE (queryid);
CREATE TABLE bi_parted_1 PARTITION OF bi_parted FOR VALUES FROM (MINVALUE) TO (100);
CREATE TABLE bi_parted_2 PARTITION OF bi_parted FOR VALUES FROM (100) TO (MAXVALUE);
INSERT INTO bi_parted SELECT * FROM bi_base;
-- names with quotes and spaces
CREATE SCHEMA "my ""odd"" schema";
CREATE TABLE "my ""odd"" schema"."a table, with 'quotes'" AS SELECT * FROM bi_base;
-- a source the unprivileged role cannot read
CREATE TABLE bi_secret AS SELECT * FROM bi_base;
REVOKE ALL ON bi_secret FROM PUBLIC;
CREATE ROLE regress_qpm_bad;
GRANT SELECT ON bi_base TO regress_qpm_bad;

-- Models of every algorithm on the good source (small, so this stays fast).
SELECT name, version, algorithm FROM query_perf_ml.train_model('bi_lin', 'linear', 'bi_base');
SELECT name, version, algorithm FROM query_perf_ml.train_model('bi_gbm', 'gradient_boosting', 'bi_base',
       '{"n_trees": 10, "cv_folds": 2}');
SELECT name, version, algorithm FROM query_perf_ml.train_model('bi_rf', 'random_forest', 'bi_base',
       '{"n_trees": 4, "cv_folds": 2}');

-- train_model: arguments and sources.
SELECT c AS "case", try(q) AS result FROM (VALUES
 ('null name',            $$SELECT version FROM query_perf_ml.train_model(NULL, 'linear', 'bi_base')$$),
 ('null algorithm',       $$SELECT version FROM query_perf_ml.train_model('x', NULL, 'bi_base')$$),
 ('null options',         $$SELECT version FROM query_perf_ml.train_model('x', 'linear', 'bi_base', NULL)$$),
 ('empty algorithm',      $$SELECT version FROM query_perf_ml.train_model('x', '', 'bi_base')$$),
 ('options not object',   $$SELECT version FROM query_perf_ml.train_model('x', 'linear', 'bi_base', '[]')$$),
 ('option null',          $$SELECT version FROM query_perf_ml.train_model('x', 'linear', 'bi_base', '{"lambda": null}')$$),
 ('option NaN string',    $$SELECT version FROM query_perf_ml.train_model('x', 'linear', 'bi_base', '{"lambda": "NaN"}')$$),
 ('option huge number',   $$SELECT version FROM query_perf_ml.train_model('x', 'linear', 'bi_base', '{"seed": 1e400}')$$),
 ('option huge integer',  $$SELECT version FROM query_perf_ml.train_model('x', 'gradient_boosting', 'bi_base', '{"n_trees": 99999999999999999999}')$$),
 ('option negative',      $$SELECT version FROM query_perf_ml.train_model('x', 'random_forest', 'bi_base', '{"max_depth": -1}')$$),
 ('option nested object', $$SELECT version FROM query_perf_ml.train_model('x', 'linear', 'bi_base', '{"lambda": {"a": 1}}')$$),
 ('option duplicate key', $$SELECT version FROM query_perf_ml.train_model('x', 'linear', 'bi_base', '{"seed": 1, "seed": -1}')$$),
 ('empty source',         $$SELECT version FROM query_perf_ml.train_model('x', 'linear', 'bi_empty')$$),
 ('one-row source',       $$SELECT version FROM query_perf_ml.train_model('x', 'gradient_boosting', 'bi_one')$$),
 ('identical rows linear', $$SELECT round(median_q_error::numeric, 6) FROM query_perf_ml.train_model('bi_same_lin', 'linear', 'bi_same')$$),
 ('identical rows gbm',   $$SELECT round(median_q_error::numeric, 6) FROM query_perf_ml.train_model('bi_same_gbm', 'gradient_boosting', 'bi_same', '{"n_trees": 5, "cv_folds": 2}')$$),
 ('identical rows rf',    $$SELECT round(median_q_error::numeric, 6) FROM query_perf_ml.train_model('bi_same_rf', 'random_forest', 'bi_same', '{"n_trees": 2, "cv_folds": 2}')$$),
 ('identical rows auto',  $$SELECT algorithm FROM query_perf_ml.train_model('bi_same_auto', 'auto', 'bi_same', '{"n_trees": 2, "cv_folds": 2}')$$),
 ('NaN and Infinity',     $$SELECT n_train + n_test FROM query_perf_ml.train_model('bi_nonfinite', 'gradient_boosting', 'bi_nonfinite', '{"n_trees": 5, "cv_folds": 2}')$$),
 ('negative counters',    $$SELECT n_train + n_test FROM query_perf_ml.train_model('bi_negative', 'linear', 'bi_negative')$$),
 ('huge counters linear', $$SELECT n_train + n_test FROM query_perf_ml.train_model('bi_huge_lin', 'linear', 'bi_huge')$$),
 ('huge counters gbm',    $$SELECT n_train + n_test FROM query_perf_ml.train_model('bi_huge_gbm', 'gradient_boosting', 'bi_huge', '{"n_trees": 5, "cv_folds": 2}')$$),
 ('no cast to float8',    $$SELECT version FROM query_perf_ml.train_model('x', 'linear', 'bi_point')$$),
 ('text that is no number', $$SELECT version FROM query_perf_ml.train_model('x', 'linear', 'bi_text')$$),
 ('odd source name',      $$SELECT n_train + n_test FROM query_perf_ml.train_model('it''s a "model" name', 'linear', '"my ""odd"" schema"."a table, with ''quotes''"')$$),
 ('composite type as source', $$SELECT version FROM query_perf_ml.train_model('x', 'linear', 'bi_type')$$),
 ('queryid beyond bigint', $$SELECT version FROM query_perf_ml.train_model('x', 'linear', 'bi_bigqid')$$),
 ('source raising errors', $$SELECT version FROM query_perf_ml.train_model('x', 'linear', 'bi_failing')$$),
 ('max_rows 5',           $$SELECT version FROM query_perf_ml.train_model('x', 'linear', 'bi_base', '{"max_rows": 5}')$$),
 ('max_rows 20',          $$SELECT n_train + n_test FROM query_perf_ml.train_model('bi_max20', 'linear', 'bi_base', '{"max_rows": 20}')$$),
 ('partitioned source',   $$SELECT n_train + n_test FROM query_perf_ml.train_model('bi_parted', 'linear', 'bi_parted')$$),
 ('catalog as source',    $$SELECT version FROM query_perf_ml.train_model('x', 'linear', 'pg_class')$$)
) AS t(c, q);

-- Predictions of the models trained on hostile sources are finite and positive.
SELECT name, bool_and(p.predicted_ms > 0 AND p.predicted_ms < 'Infinity'
                      AND p.lower_ms <= p.predicted_ms AND p.predicted_ms <= p.upper_ms) AS sane
  FROM query_perf_ml.models m,
       LATERAL query_perf_ml.predict_all(m.name, 'bi_base') p
 WHERE m.name IN ('bi_same_lin', 'bi_same_gbm', 'bi_same_rf', 'bi_nonfinite', 'bi_negative',
                  'bi_huge_lin', 'bi_huge_gbm', 'it''s a "model" name')
 GROUP BY name ORDER BY name;

-- predict(model, float8[]): the bulk path.
SELECT c AS "case", try(q) AS result FROM (VALUES
 ('11 elements',          $$SELECT query_perf_ml.predict('bi_gbm', array_fill(1::float8, ARRAY[11]))$$),
 ('13 elements',          $$SELECT query_perf_ml.predict('bi_gbm', array_fill(1::float8, ARRAY[13]))$$),
 ('empty array',          $$SELECT query_perf_ml.predict('bi_gbm', '{}')$$),
 ('two-dimensional',      $$SELECT query_perf_ml.predict('bi_lin', array_fill(1::float8, ARRAY[2, 6]))$$),
 ('two-dim, 1 x 12',      $$SELECT query_perf_ml.predict('bi_lin', array_fill(1::float8, ARRAY[1, 12]))$$),
 ('lower bound 0',        $$SELECT query_perf_ml.predict('bi_lin', array_fill(1::float8, ARRAY[12], ARRAY[0])) > 0$$),
 ('all NULL elements',    $$SELECT query_perf_ml.predict('bi_rf', array_fill(NULL::float8, ARRAY[12])) > 0$$),
 ('NaN element',          $$SELECT query_perf_ml.predict('bi_rf', array_fill('NaN'::float8, ARRAY[12]))$$),
 ('+Infinity element',    $$SELECT query_perf_ml.predict('bi_lin', array_fill('Infinity'::float8, ARRAY[12]))$$),
 ('-Infinity element',    $$SELECT query_perf_ml.predict('bi_gbm', array_fill('-Infinity'::float8, ARRAY[12]))$$),
 ('huge elements',        $$SELECT query_perf_ml.predict('bi_lin', array_fill(1e308::float8, ARRAY[12])) < 'Infinity'$$),
 ('tiny elements',        $$SELECT query_perf_ml.predict('bi_gbm', array_fill(-1e308::float8, ARRAY[12])) > 0$$),
 ('NULL model',           $$SELECT query_perf_ml.predict(NULL, array_fill(1::float8, ARRAY[12]))$$),
 ('NULL array',           $$SELECT query_perf_ml.predict('bi_lin', NULL)$$),
 ('empty model name',     $$SELECT query_perf_ml.predict('', array_fill(1::float8, ARRAY[12]))$$),
 ('unknown model',        $$SELECT query_perf_ml.predict('no such model', array_fill(1::float8, ARRAY[12]))$$),
 ('long model name',      $$SELECT query_perf_ml.predict(repeat('x', 10000), array_fill(1::float8, ARRAY[12]))$$),
 ('quoted model name',    $$SELECT query_perf_ml.predict('it''s a "model" name', array_fill(1::float8, ARRAY[12])) > 0$$),
 ('int[] argument',       $$SELECT query_perf_ml.predict('bi_lin', ARRAY[1,2,3,4,5,6,7,8,9,10,11,12]) > 0$$)
) AS t(c, q);

-- More model names in one statement than the backend cache holds (16):
-- entries are evicted and reloaded mid-statement, every value stays right.
SELECT count(*) AS trained FROM (SELECT query_perf_ml.train_model('bi_many_' || i, 'linear', 'bi_base',
       jsonb_build_object('seed', i, 'lambda', i)) FROM generate_series(1, 20) i) s;
CREATE TEMP TABLE bi_vecs AS SELECT queryid, features FROM query_perf_ml.feature_vectors('bi_base') WHERE queryid <= 30;
CREATE TEMP TABLE bi_one_by_one AS
SELECT i, queryid, query_perf_ml.predict('bi_many_' || i, features) AS p FROM generate_series(1, 20) i, bi_vecs;
SELECT count(*) AS predictions, count(*) FILTER (WHERE x.p = x.q) AS identical
  FROM (SELECT s.p, query_perf_ml.predict('bi_many_' || s.i, v.features) AS q
          FROM bi_one_by_one s JOIN bi_vecs v USING (queryid) ORDER BY (s.i * 7919 + s.queryid) % 101) x;
SELECT cache_entries FROM query_perf_ml.status();

-- predict_query_execution, predict_all, validate_model, explain_prediction.
SELECT c AS "case", try(q) AS result FROM (VALUES
 ('pqe NULL queryid',     $$SELECT predicted_ms FROM query_perf_ml.predict_query_execution(NULL::bigint, 'bi_lin', 'bi_base')$$),
 ('pqe unknown queryid',  $$SELECT predicted_ms FROM query_perf_ml.predict_query_execution(-1, 'bi_lin', 'bi_base')$$),
 ('pqe empty source',     $$SELECT predicted_ms FROM query_perf_ml.predict_query_execution(1, 'bi_lin', 'bi_empty')$$),
 ('pqe NaN row',          $$SELECT predicted_ms > 0 FROM query_perf_ml.predict_query_execution(4, 'bi_gbm', 'bi_nonfinite')$$),
 ('pqe negative row',     $$SELECT predicted_ms > 0 FROM query_perf_ml.predict_query_execution(10, 'bi_gbm', 'bi_negative')$$),
 ('pqe huge row',         $$SELECT predicted_ms > 0 FROM query_perf_ml.predict_query_execution(6, 'bi_rf', 'bi_huge')$$),
 ('pqe no cast',          $$SELECT predicted_ms FROM query_perf_ml.predict_query_execution(1, 'bi_lin', 'bi_point')$$),
 ('pqe odd source',       $$SELECT predicted_ms > 0 FROM query_perf_ml.predict_query_execution(1, 'bi_lin', '"my ""odd"" schema"."a table, with ''quotes''"')$$),
 ('jsonb NULL',           $$SELECT predicted_ms FROM query_perf_ml.predict_query_execution(NULL::jsonb, 'bi_lin')$$),
 ('jsonb empty object',   $$SELECT predicted_ms > 0 FROM query_perf_ml.predict_query_execution('{}'::jsonb, 'bi_gbm')$$),
 ('jsonb null values',    $$SELECT predicted_ms > 0 FROM query_perf_ml.predict_query_execution('{"calls_log": null, "rows_per_call": null}'::jsonb, 'bi_rf')$$),
 ('jsonb NaN string',     $$SELECT predicted_ms FROM query_perf_ml.predict_query_execution('{"calls_log": "NaN"}'::jsonb, 'bi_lin')$$),
 ('jsonb huge number',    $$SELECT predicted_ms > 0 FROM query_perf_ml.predict_query_execution('{"calls_log": 1e400}'::jsonb, 'bi_lin')$$),
 ('jsonb tiny number',    $$SELECT predicted_ms > 0 FROM query_perf_ml.predict_query_execution('{"calls_log": -1e-400}'::jsonb, 'bi_lin')$$),
 ('jsonb boolean',        $$SELECT predicted_ms FROM query_perf_ml.predict_query_execution('{"calls_log": true}'::jsonb, 'bi_lin')$$),
 ('jsonb nested',         $$SELECT predicted_ms FROM query_perf_ml.predict_query_execution('{"calls_log": [1]}'::jsonb, 'bi_lin')$$),
 ('jsonb array',          $$SELECT predicted_ms FROM query_perf_ml.predict_query_execution('[1, 2]'::jsonb, 'bi_lin')$$),
 ('jsonb scalar',         $$SELECT predicted_ms FROM query_perf_ml.predict_query_execution('"x"'::jsonb, 'bi_lin')$$),
 ('jsonb odd key',        $$SELECT predicted_ms FROM query_perf_ml.predict_query_execution('{"it''s \"odd\"": 1}'::jsonb, 'bi_lin')$$),
 ('malformed jsonb',      $$SELECT predicted_ms FROM query_perf_ml.predict_query_execution('{"calls_log": 1'::jsonb, 'bi_lin')$$),
 ('predict_all empty',    $$SELECT count(*) FROM query_perf_ml.predict_all('bi_lin', 'bi_empty')$$),
 ('predict_all one row',  $$SELECT count(*) FROM query_perf_ml.predict_all('bi_gbm', 'bi_one')$$),
 ('predict_all NaN rows', $$SELECT count(*) FILTER (WHERE predicted_ms > 0) || '/' || count(actual_ms) FROM query_perf_ml.predict_all('bi_rf', 'bi_nonfinite')$$),
 ('predict_all negative', $$SELECT count(*) FILTER (WHERE predicted_ms > 0) || '/' || count(actual_ms) FROM query_perf_ml.predict_all('bi_lin', 'bi_negative')$$),
 ('predict_all huge',     $$SELECT count(*) FILTER (WHERE predicted_ms > 0) || '/' || count(actual_ms) FROM query_perf_ml.predict_all('bi_gbm', 'bi_huge')$$),
 ('predict_all text',     $$SELECT count(*) FROM query_perf_ml.predict_all('bi_lin', 'bi_text')$$),
 ('validate empty',       $$SELECT n || ' ' || coalesce(r2::text, 'NULL') FROM query_perf_ml.validate_model('bi_lin', 'bi_empty')$$),
 ('validate one row',     $$SELECT n || ' ' || coalesce(r2::text, 'NULL') FROM query_perf_ml.validate_model('bi_gbm', 'bi_one')$$),
 ('validate identical',   $$SELECT n || ' ' || coalesce(r2::text, 'NULL') FROM query_perf_ml.validate_model('bi_rf', 'bi_same')$$),
 ('validate NaN rows',    $$SELECT n || ' skipped ' || skipped FROM query_perf_ml.validate_model('bi_gbm', 'bi_nonfinite')$$),
 ('validate negative',    $$SELECT n || ' skipped ' || skipped FROM query_perf_ml.validate_model('bi_lin', 'bi_negative')$$),
 ('validate huge',        $$SELECT format('%s skipped %s mae_ms %s', n, skipped, coalesce(mae_ms::text, 'NULL')) FROM query_perf_ml.validate_model('bi_rf', 'bi_huge')$$),
 ('validate NULL model, NULL source', $$SELECT n > 0 FROM query_perf_ml.validate_model(NULL, NULL)$$),
 ('explain NULL queryid', $$SELECT count(*) FROM query_perf_ml.explain_prediction(NULL::bigint, 'bi_gbm', 'bi_base')$$),
 ('explain NaN row',      $$SELECT round(sum(contribution)::numeric, 3) IS NOT NULL FROM query_perf_ml.explain_prediction(4, 'bi_gbm', 'bi_nonfinite')$$),
 ('explain huge row',     $$SELECT count(*) FROM query_perf_ml.explain_prediction(6, 'bi_lin', 'bi_huge') WHERE contribution = 'NaN' OR abs(contribution) = 'Infinity'$$),
 ('explain jsonb NULL',   $$SELECT count(*) FROM query_perf_ml.explain_prediction(NULL::jsonb, 'bi_rf')$$),
 ('explain jsonb huge',   $$SELECT count(*) FROM query_perf_ml.explain_prediction('{"rows_per_call": 1e300}'::jsonb, 'bi_rf') WHERE contribution = 'NaN' OR abs(contribution) = 'Infinity'$$),
 ('explain jsonb bad',    $$SELECT count(*) FROM query_perf_ml.explain_prediction('{"rows_per_call": "1"}'::jsonb, 'bi_rf')$$)
) AS t(c, q);

-- Introspection and lifecycle.
SELECT c AS "case", try(q) AS result FROM (VALUES
 ('feature_report empty', $$SELECT string_agg(n::text, ',') FROM query_perf_ml.feature_report('bi_empty')$$),
 ('feature_report one',   $$SELECT string_agg(n::text, ',') FROM query_perf_ml.feature_report('bi_one')$$),
 ('feature_report NaN',   $$SELECT sum(non_finite) FROM query_perf_ml.feature_report('bi_nonfinite')$$),
 ('feature_report huge',  $$SELECT count(*) FROM query_perf_ml.feature_report('bi_huge') WHERE mean = 'NaN' OR stddev = 'NaN'$$),
 ('feature_report text',  $$SELECT count(*) FROM query_perf_ml.feature_report('bi_text')$$),
 ('feature_vectors NaN',  $$SELECT count(*) FROM query_perf_ml.feature_vectors('bi_nonfinite')$$),
 ('feature_vectors huge', $$SELECT count(*) FROM query_perf_ml.feature_vectors('bi_huge')$$),
 ('is_held_out NULL',     $$SELECT query_perf_ml.is_held_out(NULL)$$),
 ('is_held_out NaN fraction', $$SELECT query_perf_ml.is_held_out(1, 42, 'NaN')$$),
 ('is_held_out -Infinity', $$SELECT query_perf_ml.is_held_out(1, 42, '-Infinity')$$),
 ('is_held_out 2',        $$SELECT query_perf_ml.is_held_out(1, 42, 2)$$),
 ('is_held_out min seed', $$SELECT query_perf_ml.is_held_out(-9223372036854775808, -9223372036854775808, 0.5) IS NOT NULL$$),
 ('activate NULL version', $$SELECT query_perf_ml.activate_model('bi_lin', NULL) > 0$$),
 ('activate version 0',   $$SELECT query_perf_ml.activate_model('bi_lin', 0)$$),
 ('activate odd name',    $$SELECT query_perf_ml.activate_model('it''s a "model" name') > 0$$),
 ('drop NULL name',       $$SELECT query_perf_ml.drop_model(NULL)$$),
 ('drop version -1',      $$SELECT query_perf_ml.drop_model('bi_lin', -1)$$),
 ('export NULL name',     $$SELECT query_perf_ml.export_model(NULL)$$),
 ('export unknown',       $$SELECT query_perf_ml.export_model('no such model')$$),
 ('export version 0',     $$SELECT query_perf_ml.export_model('bi_lin', 0)$$),
 ('import NULL doc',      $$SELECT query_perf_ml.import_model(NULL, 'x')$$),
 ('import NULL name',     $$SELECT query_perf_ml.import_model(query_perf_ml.export_model('bi_lin'), NULL)$$),
 ('import empty object',  $$SELECT query_perf_ml.import_model('{}', 'x')$$),
 ('import array',         $$SELECT query_perf_ml.import_model('[]', 'x')$$),
 ('import long name',     $$SELECT query_perf_ml.import_model(query_perf_ml.export_model('bi_lin'), repeat('x', 64))$$),
 ('import NaN coefficient', $$SELECT query_perf_ml.import_model(jsonb_set(query_perf_ml.export_model('bi_lin'), '{linear,intercept}', '"NaN"'), 'x')$$),
 ('import huge coefficient', $$SELECT query_perf_ml.import_model(jsonb_set(query_perf_ml.export_model('bi_lin'), '{linear,intercept}', '1e400'), 'x')$$),
 ('import 11 coefficients', $$SELECT query_perf_ml.import_model(jsonb_set(query_perf_ml.export_model('bi_lin'), '{linear,coefficients}', (SELECT jsonb_agg(1) FROM generate_series(1, 11))), 'x')$$),
 ('import child loop',    $$SELECT query_perf_ml.import_model(jsonb_set(query_perf_ml.export_model('bi_gbm'), '{forest,trees,0,nodes,0,left}', '0'), 'x')$$),
 ('import tree as leaf',  $$SELECT query_perf_ml.import_model(jsonb_set(query_perf_ml.export_model('bi_gbm'), '{forest,trees,0}', '{"nodes": []}'), 'x')$$),
 ('import huge threshold', $$SELECT query_perf_ml.import_model(jsonb_set(query_perf_ml.export_model('bi_rf'), '{forest,trees,0,nodes,0,threshold}', '1e39'), 'x')$$),
 ('import odd name',      $$SELECT query_perf_ml.import_model(query_perf_ml.export_model('bi_rf'), 'it''s a "model" name') > 0$$),
 ('status',               $$SELECT models >= 3 FROM query_perf_ml.status()$$),
 ('feature_names',        $$SELECT count(*) FROM query_perf_ml.feature_names()$$)
) AS t(c, q);

-- Workload history, prediction log, accuracy, anomalies.
SELECT c AS "case", try(q) AS result FROM (VALUES
 ('snapshot',             $$SELECT query_perf_ml.snapshot() > 0$$),
 ('snapshot again',       $$SELECT query_perf_ml.snapshot() > 0$$),
 ('split time, no snapshots', $$SELECT version FROM query_perf_ml.train_model('x', 'linear', 'bi_base', '{"split": "time"}')$$),
 ('split unknown',        $$SELECT version FROM query_perf_ml.train_model('x', 'linear', 'bi_base', '{"split": "sideways"}')$$),
 ('split null',           $$SELECT version FROM query_perf_ml.train_model('x', 'linear', 'bi_base', '{"split": null}')$$),
 ('purge NULL',           $$SELECT query_perf_ml.purge_history(NULL) >= 0$$),
 ('purge negative',       $$SELECT query_perf_ml.purge_history('-1 day')$$),
 ('purge huge',           $$SELECT query_perf_ml.purge_history('100000000 years')$$),
 ('purge zero',           $$SELECT query_perf_ml.purge_history('0') >= 0$$),
 ('history_retention',    $$SELECT query_perf_ml.history_retention() IS NOT NULL$$),
 ('accuracy NULL',        $$SELECT count(*) FROM query_perf_ml.prediction_accuracy(NULL)$$),
 ('accuracy negative',    $$SELECT count(*) FROM query_perf_ml.prediction_accuracy('-1 day')$$),
 ('accuracy huge',        $$SELECT count(*) FROM query_perf_ml.prediction_accuracy('100000000 years')$$),
 ('anomalies NULLs',      $$SELECT count(*) >= 0 FROM query_perf_ml.anomalies(NULL, NULL, NULL)$$),
 ('anomalies empty',      $$SELECT count(*) FROM query_perf_ml.anomalies('bi_lin', 'bi_empty')$$),
 ('anomalies min_calls -5', $$SELECT count(*) >= 0 FROM query_perf_ml.anomalies('bi_gbm', 'bi_base', -5)$$),
 ('anomalies min_calls max', $$SELECT count(*) FROM query_perf_ml.anomalies('bi_gbm', 'bi_base', 2147483647)$$),
 ('anomalies NaN source', $$SELECT count(*) >= 0 FROM query_perf_ml.anomalies('bi_rf', 'bi_nonfinite', 0)$$),
 ('anomalies huge source', $$SELECT count(*) >= 0 FROM query_perf_ml.anomalies('bi_lin', 'bi_huge', 0)$$),
 ('anomalies unknown model', $$SELECT count(*) FROM query_perf_ml.anomalies('no such model', 'bi_base')$$)
) AS t(c, q);
-- Asynchronous training: the caller-side checks (no job is started here),
-- cancel_training, and training_job_live (the view's helper, callable by
-- anyone) with arguments that match no job, process or transaction.
SELECT c AS "case", try(q) AS result FROM (VALUES
 ('async NULL name',      $$SELECT query_perf_ml.train_model_async(NULL, 'linear', 'bi_base')$$),
 ('async NULL algorithm', $$SELECT query_perf_ml.train_model_async('x', NULL, 'bi_base')$$),
 ('async bad algorithm',  $$SELECT query_perf_ml.train_model_async('x', 'deep', 'bi_base')$$),
 ('async bad option',     $$SELECT query_perf_ml.train_model_async('x', 'linear', 'bi_base', '{"lambda": "NaN"}')$$),
 ('async options array',  $$SELECT query_perf_ml.train_model_async('x', 'linear', 'bi_base', '[]')$$),
 ('async long name',      $$SELECT query_perf_ml.train_model_async(repeat('x', 64), 'linear', 'bi_base')$$),
 ('cancel NULL',          $$SELECT query_perf_ml.cancel_training(NULL)$$),
 ('cancel -1',            $$SELECT query_perf_ml.cancel_training(-1)$$),
 ('cancel unknown',       $$SELECT query_perf_ml.cancel_training(9223372036854775807)$$),
 ('job_live NULLs',       $$SELECT (query_perf_ml.training_job_live(NULL, NULL, NULL, NULL)).state$$),
 ('job_live own pid',     $$SELECT (query_perf_ml.training_job_live(1, 'running', pg_backend_pid(), NULL)).state$$),
 ('job_live pid 1',       $$SELECT (query_perf_ml.training_job_live(1, 'running', 1, NULL)).state$$),
 ('job_live max pid',     $$SELECT (query_perf_ml.training_job_live(1, 'queued', 2147483647, NULL)).state$$),
 ('job_live future xid',  $$SELECT (query_perf_ml.training_job_live(1, 'running', 0, '4000000000'::xid)).state$$),
 ('job_live frozen xid',  $$SELECT (query_perf_ml.training_job_live(1, 'running', -5, '2'::xid)).lost$$),
 ('job_live odd state',   $$SELECT (query_perf_ml.training_job_live(1, 'it''s "odd"', 0, NULL)).state$$),
 ('training_jobs view',   $$SELECT count(*) FROM query_perf_ml.training_jobs$$)
) AS t(c, q);

-- logged predictions: on, in a read-only transaction (skipped), and NULLs
SET query_perf_ml.log_predictions = on;
SELECT count(*) AS log_before FROM query_perf_ml.prediction_log \gset
SELECT c AS "case", try(q) AS result FROM (VALUES
 ('logged prediction',    $$SELECT predicted_ms > 0 FROM query_perf_ml.predict_query_execution(1, 'bi_lin', 'bi_base')$$),
 ('logged, NULL queryid', $$SELECT predicted_ms FROM query_perf_ml.predict_query_execution(NULL::bigint, 'bi_lin', 'bi_base')$$),
 ('logged, unknown',      $$SELECT predicted_ms FROM query_perf_ml.predict_query_execution(-1, 'bi_lin', 'bi_base')$$),
 ('logged, NaN row',      $$SELECT predicted_ms > 0 FROM query_perf_ml.predict_query_execution(4, 'bi_gbm', 'bi_nonfinite')$$),
 ('accuracy with a log',  $$SELECT count(*) FROM query_perf_ml.prediction_accuracy()$$)
) AS t(c, q);
BEGIN READ ONLY;
SELECT predicted_ms > 0 AS predicted_read_only FROM query_perf_ml.predict_query_execution(2, 'bi_lin', 'bi_base');
COMMIT;
SELECT count(*) - :log_before AS logged FROM query_perf_ml.prediction_log;
RESET query_perf_ml.log_predictions;
DELETE FROM query_perf_ml.prediction_log WHERE model_name LIKE 'bi\_%';

-- A source the caller cannot read: the permission error of a plain SELECT.
SET query_perf_ml.log_predictions = on;
SET ROLE regress_qpm_bad;
SELECT c AS "case", try(q) AS result FROM (VALUES
 ('train (no EXECUTE)',   $$SELECT version FROM query_perf_ml.train_model('x', 'linear', 'bi_secret')$$),
 ('predict_query_execution', $$SELECT predicted_ms FROM query_perf_ml.predict_query_execution(1, 'bi_lin', 'bi_secret')$$),
 ('predict_all',          $$SELECT count(*) FROM query_perf_ml.predict_all('bi_lin', 'bi_secret')$$),
 ('validate_model',       $$SELECT n FROM query_perf_ml.validate_model('bi_lin', 'bi_secret')$$),
 ('explain_prediction',   $$SELECT count(*) FROM query_perf_ml.explain_prediction(1, 'bi_lin', 'bi_secret')$$),
 ('feature_report',       $$SELECT count(*) FROM query_perf_ml.feature_report('bi_secret')$$),
 ('feature_vectors',      $$SELECT count(*) FROM query_perf_ml.feature_vectors('bi_secret')$$),
 ('readable source',      $$SELECT predicted_ms > 0 FROM query_perf_ml.predict_query_execution(1, 'bi_lin', 'bi_base')$$),
 ('write the catalog',    $$UPDATE query_perf_ml.model_store SET model = '\x00' RETURNING 1$$),
 ('snapshot (no EXECUTE)', $$SELECT query_perf_ml.snapshot()$$),
 ('purge (no EXECUTE)',   $$SELECT query_perf_ml.purge_history('0')$$),
 ('async (no EXECUTE)',   $$SELECT query_perf_ml.train_model_async('x', 'linear', 'bi_secret')$$),
 ('cancel (no EXECUTE)',  $$SELECT query_perf_ml.cancel_training(1)$$),
 ('job_live of another role', $$SELECT (query_perf_ml.training_job_live(1, 'running', pg_backend_pid(), NULL)).progress$$),
 ('training_jobs view',   $$SELECT count(*) FROM query_perf_ml.training_jobs$$),
 ('read the history',     $$SELECT count(*) FROM query_perf_ml.metrics_history$$),
 ('read the intervals',   $$SELECT count(*) FROM query_perf_ml.metrics_intervals$$),
 ('read the log',         $$SELECT count(*) FROM query_perf_ml.prediction_log$$),
 ('logged prediction',    $$SELECT predicted_ms > 0 FROM query_perf_ml.predict_query_execution(1, 'bi_lin', 'bi_base')$$),
 ('logged, no access',    $$SELECT predicted_ms FROM query_perf_ml.predict_query_execution(1, 'bi_lin', 'bi_secret')$$)
) AS t(c, q);
RESET ROLE;
RESET query_perf_ml.log_predictions;
-- the unprivileged role's prediction was logged (written as the owner), the refused one not
SELECT made_by, model_name, queryid FROM query_perf_ml.prediction_log WHERE made_by = 'regress_qpm_bad';
DELETE FROM query_perf_ml.prediction_log WHERE made_by = 'regress_qpm_bad';

-- The owner overwrites model blobs with random bytes: every reader of the
-- blob says "corrupted" (XX001), for each algorithm, and nothing crashes.
SELECT setseed(0.5);
UPDATE query_perf_ml.model_store
   SET model = (SELECT decode(string_agg(lpad(to_hex((random() * 255)::int), 2, '0'), ''), 'hex')
                  FROM generate_series(1, octet_length(model)) WHERE model_id > 0)
 WHERE name IN ('bi_lin', 'bi_gbm', 'bi_rf') AND is_active;
-- random bytes that keep the header (magic, version, lengths), as a subtler corruption
UPDATE query_perf_ml.model_store
   SET model = substr(model, 1, 32) || (SELECT decode(string_agg(lpad(to_hex((random() * 255)::int), 2, '0'), ''), 'hex')
                                          FROM generate_series(1, octet_length(model) - 32) WHERE model_id > 0)
 WHERE name IN ('bi_same_lin', 'bi_same_gbm', 'bi_same_rf') AND is_active;
SELECT c AS "case", try(q) AS result FROM (VALUES
 ('predict linear',       $$SELECT query_perf_ml.predict('bi_lin', array_fill(1::float8, ARRAY[12]))$$),
 ('predict gbm',          $$SELECT query_perf_ml.predict('bi_gbm', array_fill(1::float8, ARRAY[12]))$$),
 ('predict rf',           $$SELECT query_perf_ml.predict('bi_rf', array_fill(1::float8, ARRAY[12]))$$),
 ('predict header kept',  $$SELECT query_perf_ml.predict('bi_same_lin', array_fill(1::float8, ARRAY[12]))$$),
 ('pqe header kept gbm',  $$SELECT predicted_ms FROM query_perf_ml.predict_query_execution(1, 'bi_same_gbm', 'bi_base')$$),
 ('predict_all header kept rf', $$SELECT count(*) FROM query_perf_ml.predict_all('bi_same_rf', 'bi_base')$$),
 ('validate',             $$SELECT n FROM query_perf_ml.validate_model('bi_gbm', 'bi_base')$$),
 ('explain',              $$SELECT count(*) FROM query_perf_ml.explain_prediction('{}'::jsonb, 'bi_rf')$$),
 ('export',               $$SELECT query_perf_ml.export_model('bi_lin') IS NOT NULL$$),
 ('status still works',   $$SELECT models > 0 FROM query_perf_ml.status()$$)
) AS t(c, q);
SELECT regexp_replace(try($$SELECT query_perf_ml.predict('bi_gbm', array_fill(1::float8, ARRAY[12]))$$),
                      'version \d+', 'version N') AS message_names_the_version;

-- Clean up; the server never restarted.
SELECT query_perf_ml.drop_model(name) FROM (SELECT DISTINCT name FROM query_perf_ml.models
  WHERE name LIKE 'bi\_%' OR name IN ('x', 'it''s a "model" name')) n ORDER BY name;
SELECT count(*) = :models_before AS catalog_as_before FROM query_perf_ml.models;
DROP SCHEMA "my ""odd"" schema" CASCADE;
DROP VIEW bi_failing;
DROP TABLE bi_base, bi_empty, bi_one, bi_same, bi_nonfinite, bi_negative, bi_huge,
           bi_point, bi_text, bi_secret, bi_bigqid, bi_parted;
DROP TYPE bi_type;
REVOKE ALL ON FUNCTION try(text) FROM PUBLIC;
DROP FUNCTION try(text);
DROP ROLE regress_qpm_bad;
SELECT pg_postmaster_start_time() = :'started' AS server_never_restarted;
