-- prediction: every prediction path agrees with the others and with the truth.
-- This file's models and vectors are pgss/1's, the feature set of 1.0 and
-- 1.1 (sql/feature_sets.sql covers pgss/2, the default for new models).
SET query_perf_ml.default_feature_set = 'pgss/1';
SELECT model_id AS exact_id FROM query_perf_ml.train_model('exact', 'linear', 'synth',
       '{"lambda": 0.000001, "clip_low": 0, "clip_high": 100}') \gset

-- By queryid, from the source row: close to the generating relation, inside its interval.
SELECT p.queryid, abs(ln(p.predicted_ms / (s.total_exec_time / s.calls))) < 0.01 AS accurate,
       p.lower_ms <= p.predicted_ms AND p.predicted_ms <= p.upper_ms AS ordered,
       p.interval_level, p.model_id = :exact_id AS right_model, p.model_name
  FROM synth s, query_perf_ml.predict_query_execution(s.queryid, 'exact', 'synth') p
 WHERE s.queryid IN (1, 17, 500, 1999)
 ORDER BY 1;

-- Several rows for one queryid are summed: per-call features are unchanged.
CREATE TABLE synth_split AS
SELECT queryid, query, calls / 2.0 AS calls, total_exec_time / 2 AS total_exec_time,
       rows / 2.0 AS rows, shared_blks_hit / 2 AS shared_blks_hit, shared_blks_read / 2 AS shared_blks_read
  FROM synth, generate_series(1, 2) WHERE queryid = 17;
SELECT abs(a.predicted_ms / b.predicted_ms - 1) < 0.05 AS close
  FROM query_perf_ml.predict_query_execution(17, 'exact', 'synth') a,
       query_perf_ml.predict_query_execution(17, 'exact', 'synth_split') b;

-- predict(model, float8[]) computes the same number from the feature vector.
SELECT abs(query_perf_ml.predict('exact', ARRAY[
           ln(1 + calls), rows / calls, shared_blks_hit / calls, shared_blks_read / calls,
           0, 0, 0, 0, 0, 0, shared_blks_hit / (shared_blks_hit + shared_blks_read),
           (s.queryid % 4)]::float8[]) / p.predicted_ms - 1) < 1e-9 AS same
  FROM synth s, query_perf_ml.predict_query_execution(s.queryid, 'exact', 'synth') p
 WHERE s.queryid IN (3, 33, 333);

-- NULL elements are missing values, imputed like missing keys of the jsonb form.
SELECT abs(query_perf_ml.predict('exact', ARRAY[NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL]::float8[])
           / (query_perf_ml.predict_query_execution('{}'::jsonb, 'exact')).predicted_ms - 1) < 1e-12 AS same;

-- What-if: more blocks read per call means a slower statement.
SELECT a.predicted_ms < b.predicted_ms AS slower_with_reads, a.queryid IS NULL AS no_queryid
  FROM query_perf_ml.predict_query_execution('{"shared_blks_read_per_call": 1, "shared_blks_hit_per_call": 100}'::jsonb, 'exact') a,
       query_perf_ml.predict_query_execution('{"shared_blks_read_per_call": 500, "shared_blks_hit_per_call": 100, "calls_log": null}'::jsonb, 'exact') b;

-- Predictions stay finite for absurd inputs (clipped to the training range).
SELECT query_perf_ml.predict('exact', ARRAY[1e300, 1e300, 1e300, 1e300, 1e300, 1e300,
           1e300, 1e300, 1e300, 1e300, 1e300, 1e300]::float8[]) < 1e12 AS finite,
       query_perf_ml.predict('exact', ARRAY[-1e300, -1e300, -1e300, -1e300, -1e300, -1e300,
           -1e300, -1e300, -1e300, -1e300, -1e300, -1e300]::float8[]) > 0 AS positive;

-- predict_all: one row per statement, consistent columns.
SELECT count(*) AS statements, count(*) FILTER (WHERE q_error < 1.05) AS accurate,
       bool_and(q_error >= 1) AS q_ge_1, bool_and(lower_ms <= upper_ms) AS ordered,
       bool_and(outside_interval = (actual_ms < lower_ms OR actual_ms > upper_ms)) AS flag_ok,
       count(query) AS with_text
  FROM query_perf_ml.predict_all('exact', 'synth');
SELECT queryid, query, calls, actual_ms IS NULL AS no_actual, predicted_ms > 0 AS predicted
  FROM query_perf_ml.predict_all('exact', 'history') WHERE queryid > 5000 ORDER BY 1;

-- validate_model: the same metrics over every usable row.
SELECT name, version, n, skipped, r2 > 0.999 AS r2_ok, median_q_error < 1.01 AS q_ok
  FROM query_perf_ml.validate_model('exact', 'synth');
SELECT n, skipped, r2 < 0.999 AS worse_on_noise, interval_coverage < 0.5 AS interval_too_narrow
  FROM query_perf_ml.validate_model('exact', 'synth_noisy');
-- An empty source validates to n = 0 and NULL metrics.
CREATE TABLE empty_src (LIKE synth);
SELECT n, skipped, r2, median_q_error FROM query_perf_ml.validate_model('exact', 'empty_src');

-- NULL model means the most recently activated model.
SELECT model_name FROM query_perf_ml.predict_query_execution(1, NULL, 'synth');
SELECT query_perf_ml.activate_model('noisy') > 0 AS activated;
SELECT model_name FROM query_perf_ml.predict_query_execution(1, NULL, 'synth');
SELECT name FROM query_perf_ml.validate_model(NULL, 'synth');

-- feature_vectors(): the vectors predict() takes, one per source row, with the
-- split train_model uses reproducible by is_held_out().
SELECT queryid, features, round(actual_ms::numeric, 3) AS actual_ms FROM query_perf_ml.feature_vectors('one_row');
SELECT count(*) AS rows, count(*) FILTER (WHERE actual_ms IS NULL) AS no_actual
  FROM query_perf_ml.feature_vectors('history');
SELECT bool_and(abs(query_perf_ml.predict('exact', f.features) / p.predicted_ms - 1) < 1e-9) AS bulk_same
  FROM query_perf_ml.feature_vectors('synth') f,
       query_perf_ml.predict_query_execution(f.queryid, 'exact', 'synth') p
 WHERE f.queryid % 100 = 1;
SELECT count(*) FILTER (WHERE query_perf_ml.is_held_out(queryid)) = m.n_test AS same_split
  FROM synth, query_perf_ml.models m WHERE m.name = 'exact' AND m.version = 1 GROUP BY m.n_test;
SELECT query_perf_ml.is_held_out(1, -1, 0.2);
