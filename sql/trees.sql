-- trees: gradient_boosting and random_forest (XGBoost for training, a native
-- walker for prediction), their options, 'auto', and agreement of every
-- prediction path.
-- This file's models and vectors are pgss/1's, the feature set of 1.0 and
-- 1.1 (sql/feature_sets.sql covers pgss/2, the default for new models).
SET query_perf_ml.default_feature_set = 'pgss/1';
SELECT name, algorithm, n_train, n_test, r2 > 0.97 AS r2_ok, median_q_error < 1.45 AS q_ok,
       interval_coverage BETWEEN 0.85 AND 0.97 AS coverage_ok
  FROM query_perf_ml.train_model('gbm', 'gradient_boosting', 'synth_noisy');
SELECT name, algorithm, r2 > 0.93 AS r2_ok, median_q_error < 1.6 AS q_ok,
       interval_coverage BETWEEN 0.85 AND 0.97 AS coverage_ok
  FROM query_perf_ml.train_model('rf', 'random_forest', 'synth_noisy');

-- gradient_boosting is the default algorithm.
SELECT algorithm FROM query_perf_ml.train_model('dflt', source => 'synth_noisy');
SELECT query_perf_ml.drop_model('dflt');

-- Every prediction path gives the same number for the same statement.
SELECT bool_and(abs(query_perf_ml.predict(m, ARRAY[
           ln(1 + calls), rows / calls, shared_blks_hit / calls, shared_blks_read / calls,
           NULL, NULL, NULL, NULL, NULL, NULL, shared_blks_hit / (shared_blks_hit + shared_blks_read),
           (s.queryid % 4)]::float8[]) / p.predicted_ms - 1) < 1e-9) AS same
  FROM synth_noisy s, unnest(ARRAY['gbm', 'rf']) m,
       query_perf_ml.predict_query_execution(s.queryid, m, 'synth_noisy') p
 WHERE s.queryid % 100 = 7;
SELECT bool_and(abs(a.predicted_ms / p.predicted_ms - 1) < 1e-9) AS predict_all_agrees,
       bool_and(a.lower_ms <= a.predicted_ms AND a.predicted_ms <= a.upper_ms) AS ordered
  FROM query_perf_ml.predict_all('gbm', 'synth_noisy') a,
       query_perf_ml.predict_query_execution(a.queryid, 'gbm', 'synth_noisy') p
 WHERE a.queryid % 50 = 3;
SELECT name, n, r2 > 0.97 AS r2_ok, interval_coverage BETWEEN 0.85 AND 0.99 AS coverage_ok
  FROM query_perf_ml.validate_model('gbm', 'synth_noisy');

-- Deterministic: same options, same trees; threads do not change the result.
SELECT a.r2 = b.r2 AS same_fit
  FROM query_perf_ml.train_model('det', 'gradient_boosting', 'synth_noisy', '{"n_trees": 50}') a,
       query_perf_ml.train_model('det', 'gradient_boosting', 'synth_noisy', '{"n_trees": 50}') b;
SET query_perf_ml.training_threads = 2;
SELECT r2 = (SELECT r2 FROM query_perf_ml.train_model('det', 'gradient_boosting', 'synth_noisy', '{"n_trees": 50}')) AS same_with_2_threads
  FROM query_perf_ml.train_model('det', 'gradient_boosting', 'synth_noisy', '{"n_trees": 50}');
RESET query_perf_ml.training_threads;

-- Early stopping keeps fewer trees than asked for when they stop helping.
SELECT version FROM query_perf_ml.train_model('es', 'gradient_boosting', 'synth_noisy',
       '{"n_trees": 600, "early_stopping_rounds": 10}');
SELECT version FROM query_perf_ml.train_model('es', 'gradient_boosting', 'synth_noisy',
       '{"n_trees": 600, "early_stopping_rounds": 0}');
SELECT a.size_bytes < b.size_bytes AS early_stopping_prunes
  FROM query_perf_ml.models a, query_perf_ml.models b
 WHERE a.name = 'es' AND a.version = 1 AND b.name = 'es' AND b.version = 2;

-- Options: stored with defaults filled in; tree options rejected for linear.
SELECT options->>'n_trees' AS n_trees, options->>'max_depth' AS max_depth,
       options->>'learning_rate' AS learning_rate, options->>'early_stopping_rounds' AS esr
  FROM query_perf_ml.models WHERE name = 'gbm';
SELECT options->>'n_trees' AS n_trees, options->>'max_depth' AS max_depth, options ? 'learning_rate' AS has_lr
  FROM query_perf_ml.models WHERE name = 'rf';
SELECT * FROM query_perf_ml.train_model('x', 'linear', 'synth', '{"n_trees": 10}');
SELECT * FROM query_perf_ml.train_model('x', 'random_forest', 'synth', '{"learning_rate": 0.3}');
SELECT * FROM query_perf_ml.train_model('x', 'gradient_boosting', 'synth', '{"n_trees": 0}');
SELECT * FROM query_perf_ml.train_model('x', 'gradient_boosting', 'synth', '{"max_depth": 21}');
SELECT * FROM query_perf_ml.train_model('x', 'gradient_boosting', 'synth', '{"learning_rate": 0}');
SELECT * FROM query_perf_ml.train_model('x', 'gradient_boosting', 'synth', '{"subsample": 1.5}');
SELECT * FROM query_perf_ml.train_model('x', 'random_forest', 'synth', '{"colsample": -1}');
SELECT * FROM query_perf_ml.train_model('x', 'gradient_boosting', 'synth', '{"cv_folds": 1}');
SELECT count(*) AS none_written FROM query_perf_ml.models WHERE name = 'x';

-- 'auto' trains the three on the same split and keeps the best by held-out
-- median q-error (the comparison is a NOTICE and is stored in the metrics).
SET client_min_messages = warning;
SELECT name, algorithm IN ('linear', 'random_forest', 'gradient_boosting') AS one_of_three
  FROM query_perf_ml.train_model('best', 'auto', 'synth_noisy', '{"n_trees": 60}');
RESET client_min_messages;
SELECT m.algorithm = (SELECT key FROM jsonb_each(m.metrics->'auto')
                       ORDER BY (value->>'median_q_error')::float8 LIMIT 1) AS winner_is_best,
       (SELECT count(*) FROM jsonb_object_keys(m.metrics->'auto')) AS compared
  FROM query_perf_ml.models m WHERE name = 'best';
-- 'auto' needs held-out statements to compare on.
CREATE TABLE one_stmt AS SELECT 7::bigint AS queryid, 10 AS calls, 50.0 AS total_exec_time FROM generate_series(1, 100);
SELECT * FROM query_perf_ml.train_model('x', 'auto', 'one_stmt');
