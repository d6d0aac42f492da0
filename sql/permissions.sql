-- permissions: any role predicts; training and lifecycle need grants; nobody
-- but the owner writes the catalog; training reads as the caller.
-- This file's models and vectors are pgss/1's, the feature set of 1.0 and
-- 1.1 (sql/feature_sets.sql covers pgss/2, the default for new models).
SET query_perf_ml.default_feature_set = 'pgss/1';
\set SHOW_CONTEXT never
CREATE ROLE regress_qpm_reader;
CREATE ROLE regress_qpm_trainer;
GRANT SELECT ON synth TO regress_qpm_reader, regress_qpm_trainer;
CREATE TABLE secret AS SELECT * FROM synth;
GRANT EXECUTE ON FUNCTION query_perf_ml.train_model(text, text, regclass, jsonb),
                          query_perf_ml.activate_model(text, integer),
                          query_perf_ml.drop_model(text, integer) TO regress_qpm_trainer;
CREATE SCHEMA regress_evil AUTHORIZATION regress_qpm_trainer;

SET ROLE regress_qpm_reader;
SELECT predicted_ms > 0 AS predicts FROM query_perf_ml.predict_query_execution(1, 'exact', 'synth');
SELECT query_perf_ml.predict('exact', ARRAY[1,2,3,4,5,6,7,8,9,10,0.5,1]::float8[]) > 0 AS predicts;
SELECT n FROM query_perf_ml.validate_model('exact', 'synth');
SELECT count(*) > 0 AS sees_models FROM query_perf_ml.models;
SELECT * FROM query_perf_ml.train_model('mine', 'linear', 'synth');
SELECT query_perf_ml.activate_model('exact');
SELECT query_perf_ml.drop_model('exact');
DELETE FROM query_perf_ml.model_store;
UPDATE query_perf_ml.model_store SET is_active = false;
-- Prediction from a source the role cannot read fails like a SELECT would.
SELECT * FROM query_perf_ml.predict_query_execution(1, 'exact', 'secret');
RESET ROLE;

SET ROLE regress_qpm_trainer;
-- Objects the caller plants on its search_path never run as the owner.
CREATE FUNCTION regress_evil.clock_timestamp() RETURNS timestamptz
    LANGUAGE sql AS $$ SELECT '2000-01-01'::timestamptz $$;
SET search_path = regress_evil, pg_catalog, public;
SELECT name, version FROM query_perf_ml.train_model('by_trainer', 'linear', 'synth');
RESET search_path;
SELECT created_by, activated_at > '2001-01-01' AS real_clock FROM query_perf_ml.models WHERE name = 'by_trainer';
SELECT * FROM query_perf_ml.train_model('stolen', 'linear', 'secret');
INSERT INTO query_perf_ml.model_store (name, version, algorithm, feature_set, created_by,
    n_train, n_test, metrics, options, model)
    VALUES ('forged', 1, 'linear', 'pgss/1', 'x', 0, 0, '{}', '{}', '\x00');
SELECT query_perf_ml.drop_model('by_trainer');
RESET ROLE;

-- Resource limits: each knob a role may turn (maintenance_work_mem,
-- training_threads, the options) is bounded by a setting only a superuser
-- can change.
CREATE TABLE synth_twice AS SELECT s.* FROM synth s, generate_series(1, 2);
GRANT SELECT ON synth_twice TO regress_qpm_trainer;
-- (Only so that a regression cannot hang the suite on a huge training.)
SET statement_timeout = '20s';
SET ROLE regress_qpm_trainer;
SET query_perf_ml.max_training_memory = '100GB';
SET query_perf_ml.max_model_size = '1GB';
SET query_perf_ml.max_training_threads = 64;
SET query_perf_ml.max_training_jobs = 1000;
SET query_perf_ml.max_training_jobs_per_role = 1000;
SET query_perf_ml.prediction_log_max_rows = 0;
-- n_trees x max_depth: refused before any tree is fitted (1.1 started
-- fitting 10 000 trees of depth 20).
SELECT name FROM query_perf_ml.train_model('huge', 'random_forest', 'synth', '{"n_trees": 10000, "max_depth": 20}');
RESET ROLE;
-- With lower limits set by a superuser (1.1 trained on every row and stored
-- every model): the rows a role's maintenance_work_mem or max_rows would
-- hold are sampled down to what max_training_memory allows; a tree training
-- that does not fit even on a few rows is refused; a forest that could be
-- larger than max_model_size is refused before it is fitted...
SET query_perf_ml.max_training_memory = '1MB';
SET ROLE regress_qpm_trainer;
SET maintenance_work_mem = '1GB';
SELECT name, n_train + n_test AS rows FROM query_perf_ml.train_model('capped', 'linear', 'synth_twice');
RESET maintenance_work_mem;
SELECT name, n_train + n_test AS rows
  FROM query_perf_ml.train_model('capped', 'linear', 'synth_twice', '{"max_rows": 1000000000}');
SELECT name FROM query_perf_ml.train_model('deep', 'random_forest', 'synth', '{"n_trees": 100, "max_depth": 12}');
RESET ROLE;
RESET query_perf_ml.max_training_memory;
SET query_perf_ml.max_model_size = '1MB';
SET ROLE regress_qpm_trainer;
SELECT name FROM query_perf_ml.train_model('wide', 'random_forest', 'synth', '{"n_trees": 100, "max_depth": 12}');
-- and one whose trees would take more memory than max_training_memory.
RESET ROLE;
SET query_perf_ml.max_model_size = '1GB';
SET query_perf_ml.max_training_memory = '100MB';
SET ROLE regress_qpm_trainer;
SELECT name FROM query_perf_ml.train_model('heavy', 'gradient_boosting', 'synth', '{"n_trees": 10000, "max_depth": 12}');
SELECT count(*) AS stored FROM query_perf_ml.models WHERE name IN ('huge', 'deep', 'wide', 'heavy');
SELECT query_perf_ml.drop_model('capped');
RESET ROLE;
RESET query_perf_ml.max_model_size;
RESET query_perf_ml.max_training_memory;
RESET statement_timeout;
DROP TABLE synth_twice;

DROP SCHEMA regress_evil CASCADE;
REVOKE ALL ON FUNCTION query_perf_ml.train_model(text, text, regclass, jsonb),
                       query_perf_ml.activate_model(text, integer),
                       query_perf_ml.drop_model(text, integer) FROM regress_qpm_trainer;
REVOKE ALL ON synth FROM regress_qpm_reader, regress_qpm_trainer;
DROP ROLE regress_qpm_reader;
DROP ROLE regress_qpm_trainer;
