-- catalog: the models view, versions, activation, dropping, status.
SELECT column_name, data_type FROM information_schema.columns
 WHERE table_schema = 'query_perf_ml' AND table_name = 'models' ORDER BY ordinal_position;

SELECT version FROM query_perf_ml.train_model('cat', 'linear', 'synth');
SELECT version FROM query_perf_ml.train_model('cat', 'linear', 'synth_noisy');
SELECT version FROM query_perf_ml.train_model('cat', 'linear', 'synth', '{"activate": false}');
SELECT name, version, is_active, activated_at IS NOT NULL AS was_activated
  FROM query_perf_ml.models WHERE name = 'cat' ORDER BY version;

-- activate_model: a given version, or the newest when version is NULL.
SELECT query_perf_ml.activate_model('cat', 1) = model_id AS returns_id
  FROM query_perf_ml.models WHERE name = 'cat' AND version = 1;
SELECT version, is_active FROM query_perf_ml.models WHERE name = 'cat' ORDER BY version;
SELECT query_perf_ml.activate_model('cat') = model_id AS returns_id
  FROM query_perf_ml.models WHERE name = 'cat' AND version = 3;
SELECT version, is_active FROM query_perf_ml.models WHERE name = 'cat' ORDER BY version;
-- At most one active version per name, enforced by the catalog too.
UPDATE query_perf_ml.model_store SET is_active = true WHERE name = 'cat';

-- drop_model: one version, or all of them.
SELECT query_perf_ml.drop_model('cat', 2);
SELECT version FROM query_perf_ml.models WHERE name = 'cat' ORDER BY version;
SELECT query_perf_ml.drop_model('cat');
SELECT count(*) FROM query_perf_ml.models WHERE name = 'cat';

-- Dropping the active version leaves the name without an active model.
SELECT version FROM query_perf_ml.train_model('cat2', 'linear', 'synth');
SELECT version FROM query_perf_ml.train_model('cat2', 'linear', 'synth', '{"activate": false}');
SELECT query_perf_ml.drop_model('cat2', 1);
SELECT * FROM query_perf_ml.predict_query_execution(1, 'cat2', 'synth');
SELECT query_perf_ml.drop_model('cat2');

-- status(): one row; counts agree with the catalog.
SELECT s.extension_version, s.library_version, s.models = (SELECT count(*) FROM query_perf_ml.models) AS models_ok,
       s.active_models = (SELECT count(*) FROM query_perf_ml.models WHERE is_active) AS active_ok,
       s.default_model IS NOT NULL AS has_default, s.cache_misses >= 0 AS cache_stats
  FROM query_perf_ml.status() s;

-- The catalog table is dumped by pg_dump (extension configuration).
SELECT c.relname FROM pg_extension e, unnest(e.extconfig) cfg(oid), pg_class c
 WHERE e.extname = 'query_perf_ml' AND c.oid = cfg.oid ORDER BY 1;
