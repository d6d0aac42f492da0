-- training: the linear model recovers a known relation, splits by queryid,
-- honours its options and stores what it did.
SELECT model_id, name, version, algorithm, n_train, n_test,
       r2 > 0.999 AS r2_ok, median_q_error < 1.01 AS q_ok, p90_q_error < 1.05 AS p90_ok,
       train_ms >= 0 AS timed
  FROM query_perf_ml.train_model('exact', 'linear', 'synth',
       '{"lambda": 0.000001, "clip_low": 0, "clip_high": 100}');

-- The held-out part is chosen by queryid: the same seed gives the same split
-- and the same model, another seed another split.
SELECT a.n_test = b.n_test AS same_split, a.r2 = b.r2 AS same_fit, a.n_test <> c.n_test AS other_split
  FROM query_perf_ml.train_model('noisy', 'linear', 'synth_noisy') a,
       query_perf_ml.train_model('noisy', 'linear', 'synth_noisy') b,
       query_perf_ml.train_model('noisy', 'linear', 'synth_noisy', '{"seed": 7}') c;

-- Noise of +-0.5 on the log scale: accuracy degrades as it should, and the
-- 90% interval covers about 90% of held-out statements.
SELECT version, r2 BETWEEN 0.97 AND 0.998 AS r2_ok, median_q_error BETWEEN 1.1 AND 1.4 AS q_ok,
       interval_coverage BETWEEN 0.85 AND 0.95 AS coverage_ok
  FROM query_perf_ml.train_model('noisy', 'linear', 'synth_noisy', '{"seed": 1}');
SELECT interval_coverage BETWEEN 0.45 AND 0.58 AS coverage_50_ok
  FROM query_perf_ml.train_model('noisy50', 'linear', 'synth_noisy', '{"interval_level": 0.5}');

-- Stored metadata: effective options with defaults filled in, held-out metrics.
SELECT name, version, is_active, n_train + n_test AS rows, feature_set, source,
       options->>'test_fraction' AS test_fraction, options->>'seed' AS seed,
       options->>'interval_level' AS level, (metrics->>'n_test')::int = n_test AS metrics_n,
       size_bytes > 0 AS has_blob
  FROM query_perf_ml.models ORDER BY model_id;

-- A history source: several rows per statement, mean_exec_time only, no
-- optional columns; unusable rows are skipped.
SELECT n_train + n_test AS usable_rows, r2 IS NOT NULL AS evaluated
  FROM query_perf_ml.train_model('hist', 'linear', 'history', '{"test_fraction": 0.25}');
SELECT metrics->'rows_read' AS read, metrics->'rows_skipped_calls' AS bad_calls,
       metrics->'rows_skipped_time' AS bad_time, metrics->'rows_usable' AS usable
  FROM query_perf_ml.models WHERE name = 'hist';

-- min_calls drops rows with fewer calls; test_fraction 0 holds out nothing.
SELECT n_train, n_test, r2 IS NULL AS no_test_metrics, interval_coverage IS NULL AS no_coverage
  FROM query_perf_ml.train_model('few', 'linear', 'synth', '{"min_calls": 40, "test_fraction": 0}');

-- activate false stores a version without switching to it.
SELECT version FROM query_perf_ml.train_model('exact', 'linear', 'synth', '{"activate": false}');
SELECT name, version, is_active FROM query_perf_ml.models WHERE name = 'exact' ORDER BY version;

-- max_rows bounds the rows held in memory (reservoir sample, with a NOTICE).
SELECT n_train + n_test AS rows_used
  FROM query_perf_ml.train_model('sampled', 'linear', 'synth', '{"max_rows": 500}');
