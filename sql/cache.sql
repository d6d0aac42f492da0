-- cache: a session's cached model follows retraining, activation and drops.
-- This file's models and vectors are pgss/1's, the feature set of 1.0 and
-- 1.1 (sql/feature_sets.sql covers pgss/2, the default for new models).
SET query_perf_ml.default_feature_set = 'pgss/1';
SELECT version FROM query_perf_ml.train_model('cached', 'linear', 'synth') \gset v1_
SELECT query_perf_ml.predict('cached', ARRAY[2,10,100,10,0,0,0,0,0,0,0.9,1]::float8[]) AS p1 \gset
-- Cached now; the next calls hit the cache.
SELECT query_perf_ml.predict('cached', ARRAY[2,10,100,10,0,0,0,0,0,0,0.9,1]::float8[]) = :p1 AS same;
SELECT cache_hits > 0 AS hits FROM query_perf_ml.status();
-- Retrain on times 10x larger: the new active version answers.
CREATE TABLE synth_x10 AS SELECT queryid, query, calls, total_exec_time * 10 AS total_exec_time,
    rows, shared_blks_hit, shared_blks_read FROM synth;
SELECT version FROM query_perf_ml.train_model('cached', 'linear', 'synth_x10');
SELECT round((query_perf_ml.predict('cached', ARRAY[2,10,100,10,0,0,0,0,0,0,0.9,1]::float8[]) / :p1)::numeric, 1) AS ratio;
-- Activating the old version switches back.
SELECT query_perf_ml.activate_model('cached', 1) > 0 AS activated;
SELECT query_perf_ml.predict('cached', ARRAY[2,10,100,10,0,0,0,0,0,0,0.9,1]::float8[]) = :p1 AS back_to_v1;
-- A change rolled back is invisible.
BEGIN;
SELECT query_perf_ml.activate_model('cached', 2) > 0 AS activated;
ROLLBACK;
SELECT query_perf_ml.predict('cached', ARRAY[2,10,100,10,0,0,0,0,0,0,0.9,1]::float8[]) = :p1 AS still_v1;
-- Dropped: an error, not a stale answer.
SELECT query_perf_ml.drop_model('cached');
SELECT query_perf_ml.predict('cached', ARRAY[2,10,100,10,0,0,0,0,0,0,0.9,1]::float8[]);
SELECT cache_invalidations > 0 AS invalidated FROM query_perf_ml.status();

-- An empty name is not a model name (22023, as for every other function),
-- whether or not the default model, cached under "", was looked up before.
SELECT version FROM query_perf_ml.train_model('cache_default', 'linear', 'synth');
SELECT query_perf_ml.predict('', ARRAY[2,10,100,10,0,0,0,0,0,0,0.9,1]::float8[]);
SELECT predicted_ms > 0 AS default_model_cached FROM query_perf_ml.predict_query_execution('{}'::jsonb);
SELECT query_perf_ml.predict('', ARRAY[2,10,100,10,0,0,0,0,0,0,0.9,1]::float8[]);

-- A model first looked up inside a parallel query: predict() runs in the
-- leader, above the Gather, where no new snapshot may be taken.
SELECT version FROM query_perf_ml.train_model('cache_par', 'linear', 'synth');
CREATE TABLE cache_vecs AS SELECT features FROM query_perf_ml.feature_vectors('synth');
\c
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT count(*) FILTER (WHERE query_perf_ml.predict('cache_par', features) > 0) FROM cache_vecs;
SELECT count(*) FILTER (WHERE query_perf_ml.predict('cache_par', features) > 0) AS predicted FROM cache_vecs;
