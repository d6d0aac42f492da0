-- errors: every bad input ends in a clear error (and writes nothing).
-- This file's models and vectors are pgss/1's, the feature set of 1.0 and
-- 1.1 (sql/feature_sets.sql covers pgss/2, the default for new models).
SET query_perf_ml.default_feature_set = 'pgss/1';
SELECT count(*) AS models_before FROM query_perf_ml.models \gset
\set VERBOSITY default

-- Arguments
SELECT * FROM query_perf_ml.train_model(NULL);
SELECT * FROM query_perf_ml.train_model('m', NULL);
SELECT * FROM query_perf_ml.train_model('', 'linear', 'synth');
SELECT * FROM query_perf_ml.train_model(repeat('x', 64), 'linear', 'synth');
SELECT * FROM query_perf_ml.train_model('m', 'deep_learning', 'synth');

-- Options
SELECT * FROM query_perf_ml.train_model('m', 'linear', 'synth', '{"lamda": 1}');
SELECT * FROM query_perf_ml.train_model('m', 'linear', 'synth', '{"lambda": "1"}');
SELECT * FROM query_perf_ml.train_model('m', 'linear', 'synth', '{"lambda": -1}');
SELECT * FROM query_perf_ml.train_model('m', 'linear', 'synth', '{"test_fraction": 0.95}');
SELECT * FROM query_perf_ml.train_model('m', 'linear', 'synth', '{"interval_level": 1}');
SELECT * FROM query_perf_ml.train_model('m', 'linear', 'synth', '{"seed": 1.5}');
SELECT * FROM query_perf_ml.train_model('m', 'linear', 'synth', '{"activate": 1}');
SELECT * FROM query_perf_ml.train_model('m', 'linear', 'synth', '{"clip_low": 50, "clip_high": 40}');
SELECT * FROM query_perf_ml.train_model('m', 'linear', 'synth', '[1, 2]');
SELECT * FROM query_perf_ml.train_model('m', 'linear', 'synth', '"x"');

-- Sources
CREATE TABLE no_calls (queryid bigint, total_exec_time float8);
CREATE TABLE no_time (queryid bigint, calls bigint);
CREATE TABLE no_qid (calls bigint, total_exec_time float8);
CREATE TABLE null_calls AS SELECT queryid, NULL::bigint AS calls, total_exec_time FROM synth;
CREATE TABLE tiny AS SELECT * FROM synth WHERE queryid <= 5;
CREATE TABLE one AS SELECT * FROM synth WHERE queryid = 1;
CREATE TABLE same AS SELECT 7::bigint AS queryid, 10 AS calls, 50.0 AS total_exec_time FROM generate_series(1, 100);
CREATE TABLE bad_types AS SELECT queryid, 'many'::text AS calls, total_exec_time FROM synth;
CREATE SEQUENCE a_sequence;
SELECT * FROM query_perf_ml.train_model('m', 'linear', 'no_calls');
SELECT * FROM query_perf_ml.train_model('m', 'linear', 'no_time');
SELECT * FROM query_perf_ml.train_model('m', 'linear', 'no_qid');
SELECT * FROM query_perf_ml.train_model('m', 'linear', 'null_calls');
SELECT * FROM query_perf_ml.train_model('m', 'linear', 'tiny');
SELECT * FROM query_perf_ml.train_model('m', 'linear', 'one');
SELECT * FROM query_perf_ml.train_model('m', 'linear', 'empty_src');
SELECT * FROM query_perf_ml.train_model('m', 'linear', 'bad_types');
SELECT * FROM query_perf_ml.train_model('m', 'linear', 'a_sequence');
SELECT * FROM query_perf_ml.train_model('m', 'linear', 99999999::oid::regclass);
-- All-identical rows of one statement: every row lands on the same side of
-- the split, so nothing is held out (a NOTICE says so) and metrics are NULL.
SELECT n_train, n_test, r2 IS NULL AS no_r2 FROM query_perf_ml.train_model('same_stmt', 'linear', 'same');
SELECT n_train, n_test, r2 IS NULL AS no_r2 FROM query_perf_ml.train_model('same_stmt', 'linear', 'same', '{"test_fraction": 0}');
SELECT round(predicted_ms::numeric, 6) AS predicted_ms FROM query_perf_ml.predict_query_execution(7, 'same_stmt', 'same');
SELECT query_perf_ml.drop_model('same_stmt');

-- Models
SELECT * FROM query_perf_ml.predict_query_execution(1, 'nope', 'synth');
SELECT * FROM query_perf_ml.validate_model('nope', 'synth');
SELECT query_perf_ml.predict('nope', ARRAY[1,2,3,4,5,6,7,8,9,10,11,12]::float8[]);
SELECT query_perf_ml.activate_model('nope');
SELECT query_perf_ml.activate_model('exact', 99);
SELECT query_perf_ml.drop_model('nope');
SELECT query_perf_ml.drop_model('exact', 99);
SELECT query_perf_ml.activate_model(NULL);

-- Prediction inputs
SELECT * FROM query_perf_ml.predict_query_execution(NULL::bigint, 'exact', 'synth');
SELECT * FROM query_perf_ml.predict_query_execution(424242, 'exact', 'synth');
SELECT * FROM query_perf_ml.predict_query_execution(5001, 'exact', 'history');
SELECT * FROM query_perf_ml.predict_query_execution(NULL::jsonb, 'exact');
SELECT * FROM query_perf_ml.predict_query_execution('{"rows": 1}'::jsonb, 'exact');
SELECT * FROM query_perf_ml.predict_query_execution('{"rows_per_call": "ten"}'::jsonb, 'exact');
SELECT * FROM query_perf_ml.predict_query_execution('[1]'::jsonb, 'exact');
SELECT * FROM query_perf_ml.predict_query_execution('3'::jsonb, 'exact');
SELECT query_perf_ml.predict('exact', ARRAY[1,2,3]::float8[]);
SELECT query_perf_ml.predict('exact', '{}'::float8[]);
SELECT query_perf_ml.predict('exact', ARRAY[[1,2,3,4,5,6],[7,8,9,10,11,12]]::float8[]);
SELECT query_perf_ml.predict('exact', ARRAY[1,2,3,4,5,6,7,8,9,10,11,'NaN']::float8[]);
SELECT query_perf_ml.predict('exact', ARRAY[1,2,'Infinity',4,5,6,7,8,9,10,11,12]::float8[]);
SELECT query_perf_ml.predict('exact', ARRAY[1,2,3,4,5,6,7,8,9,10,11,'-Infinity']::float8[]);
SELECT query_perf_ml.predict(NULL, ARRAY[1,2,3,4,5,6,7,8,9,10,11,12]::float8[]) IS NULL AS strict_null;
SELECT query_perf_ml.predict('exact', NULL) IS NULL AS strict_null;

-- A corrupted model blob (only the owner can do this) is an error, never a crash.
SELECT model_id AS victim FROM query_perf_ml.train_model('victim', 'linear', 'synth') \gset
UPDATE query_perf_ml.model_store SET model = substr(model, 1, 20) WHERE model_id = :victim;
SELECT query_perf_ml.predict('victim', ARRAY[1,2,3,4,5,6,7,8,9,10,11,12]::float8[]);
UPDATE query_perf_ml.model_store
   SET model = (SELECT model FROM query_perf_ml.model_store WHERE name = 'exact' AND version = 1)
 WHERE model_id = :victim;
SELECT predicted_ms > 0 AS restored FROM query_perf_ml.predict_query_execution(1, 'victim', 'synth');
UPDATE query_perf_ml.model_store SET model = '\x00'::bytea || substr(model, 2) WHERE model_id = :victim;
SELECT * FROM query_perf_ml.validate_model('victim', 'synth');
UPDATE query_perf_ml.model_store
   SET model = (SELECT model FROM query_perf_ml.model_store WHERE name = 'exact' AND version = 1)
 WHERE model_id = :victim;
UPDATE query_perf_ml.model_store SET model = set_byte(model, 100, get_byte(model, 100) # 1)
 WHERE model_id = :victim;
SELECT * FROM query_perf_ml.predict_query_execution(1, 'victim', 'synth');
UPDATE query_perf_ml.model_store SET model = gen_random_uuid()::text::bytea WHERE model_id = :victim;
SELECT * FROM query_perf_ml.predict_all('victim', 'synth');
SELECT query_perf_ml.drop_model('victim');

-- pg_stat_statements missing: a clear prerequisite error.
DROP EXTENSION pg_stat_statements;
SELECT * FROM query_perf_ml.train_model('m');
SELECT * FROM query_perf_ml.predict_query_execution(1);
SELECT pg_stat_statements_available FROM query_perf_ml.status();
CREATE EXTENSION pg_stat_statements;

-- Nothing above wrote a model.
SELECT count(*) = :models_before AS nothing_written FROM query_perf_ml.models;
