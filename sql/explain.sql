-- explain: explain_prediction() splits a prediction into one contribution
-- per feature plus a base value, on the log-ms scale (exact TreeSHAP for
-- trees, coefficient x transformed value for linear), adding up to
-- ln(predicted_ms); training stores each model's feature importance.
-- This file's models and vectors are pgss/1's, the feature set of 1.0 and
-- 1.1 (sql/feature_sets.sql covers pgss/2, the default for new models).
SET query_perf_ml.default_feature_set = 'pgss/1';
SELECT name, algorithm FROM query_perf_ml.train_model('why_gbm', 'gradient_boosting', 'synth');
SELECT name, algorithm FROM query_perf_ml.train_model('why_rf', 'random_forest', 'synth');
SELECT name, algorithm FROM query_perf_ml.train_model('why_lin', 'linear', 'synth');

-- One row per feature, in feature_names() order, then '(base)'; value is
-- the raw input.
SELECT e.feature, round(e.value::numeric, 4) AS value,
       coalesce(e.feature = f.feature, e.feature = '(base)') AS in_order
  FROM query_perf_ml.explain_prediction(7, 'why_gbm', 'synth')
       WITH ORDINALITY e(feature, value, contribution, n)
  LEFT JOIN query_perf_ml.feature_names() f ON f.ordinal = e.n
 ORDER BY e.n;

-- value is the statement's feature vector, as predict() would get it.
SELECT bool_and(e.value IS NOT DISTINCT FROM v.features[e.n]) AS values_match, count(*) AS checked
  FROM query_perf_ml.feature_vectors('synth') v,
       query_perf_ml.explain_prediction(v.queryid, 'why_lin', 'synth')
       WITH ORDINALITY e(feature, value, contribution, n)
 WHERE v.queryid % 100 = 7 AND e.n <= 12;

-- The contributions add up to ln(predicted_ms), exactly for linear; trees
-- are walked in float (bit for bit as XGBoost does) and explained in
-- double, so there the sum agrees to float rounding (~1e-6 relative).
SELECT m AS model, count(*) AS statements, bool_and(e.n = 13) AS thirteen_rows,
       bool_and(abs(e.total - ln(p.predicted_ms)) <= 1e-5 * greatest(1, abs(ln(p.predicted_ms)))) AS adds_up,
       bool_and(abs(e.total - ln(p.predicted_ms)) <= 1e-12 * greatest(1, abs(ln(p.predicted_ms)))) AS exactly,
       count(DISTINCT e.base) AS distinct_bases
  FROM unnest(ARRAY['why_gbm', 'why_rf', 'why_lin']) m, synth s,
       LATERAL (SELECT sum(contribution) AS total, count(*) AS n,
                       max(contribution) FILTER (WHERE feature = '(base)') AS base
                  FROM query_perf_ml.explain_prediction(s.queryid, m, 'synth')) e,
       query_perf_ml.predict_query_execution(s.queryid, m, 'synth') p
 WHERE s.queryid % 20 = 3
 GROUP BY m ORDER BY m;

-- What-if inputs from jsonb: missing features are imputed (value NULL), and
-- the sum matches predict_query_execution on the same jsonb.
SELECT m AS model, j.features, count(*) AS n,
       count(e.value) AS given,
       abs(sum(e.contribution) - ln(min(p.predicted_ms))) <= 1e-5 * greatest(1, abs(ln(min(p.predicted_ms)))) AS adds_up
  FROM unnest(ARRAY['why_gbm', 'why_rf', 'why_lin']) m,
       (VALUES ('{}'::jsonb),
               ('{"shared_blks_read_per_call": 5000, "shared_blks_hit_per_call": null}'),
               ('{"query_complexity": 2, "calls_log": 1.5, "cache_hit_ratio": 0.25}')) j(features),
       query_perf_ml.explain_prediction(j.features, m) e,
       query_perf_ml.predict_query_execution(j.features, m) p
 GROUP BY m, j.features ORDER BY m, j.features::text;

-- Features that are constant in synth (no dirtied blocks, no WAL, 10 rows
-- per call, ...) contribute exactly nothing; more reads per call push the
-- prediction up, fewer push it down.
SELECT m AS model,
       bool_and(e.contribution = 0) FILTER (WHERE e.feature IN
           ('rows_per_call', 'shared_blks_dirtied_per_call', 'shared_blks_written_per_call',
            'local_blks_per_call', 'temp_blks_per_call', 'wal_bytes_per_call', 'mean_plan_time')) AS constants_zero
  FROM unnest(ARRAY['why_gbm', 'why_rf', 'why_lin']) m, synth s,
       query_perf_ml.explain_prediction(s.queryid, m, 'synth') e
 WHERE s.queryid % 50 = 1
 GROUP BY m ORDER BY m;
SELECT m AS model,
       (SELECT contribution FROM query_perf_ml.explain_prediction('{"shared_blks_read_per_call": 1000}'::jsonb, m)
         WHERE feature = 'shared_blks_read_per_call') > 0 AS many_reads_slower,
       (SELECT contribution FROM query_perf_ml.explain_prediction('{"shared_blks_read_per_call": 0}'::jsonb, m)
         WHERE feature = 'shared_blks_read_per_call') < 0 AS no_reads_faster
  FROM unnest(ARRAY['why_gbm', 'why_rf', 'why_lin']) m ORDER BY m;

-- On synth the time is driven by blocks read and hit per call: a blocks
-- feature has the largest mean |contribution| for every model.
SELECT m AS model,
       (SELECT feature FROM (SELECT e.feature, avg(abs(e.contribution)) AS mean_abs
                               FROM synth s, query_perf_ml.explain_prediction(s.queryid, m, 'synth') e
                              WHERE s.queryid % 20 = 3 AND e.feature <> '(base)'
                              GROUP BY e.feature) x
         ORDER BY mean_abs DESC LIMIT 1) IN ('shared_blks_hit_per_call', 'shared_blks_read_per_call') AS top_is_blocks
  FROM unnest(ARRAY['why_gbm', 'why_rf', 'why_lin']) m ORDER BY m;

-- The default model (NULL) is explained too.
SELECT count(*) AS n FROM query_perf_ml.explain_prediction('{}'::jsonb);

-- Errors, as predict_query_execution raises them.
SELECT * FROM query_perf_ml.explain_prediction(NULL::bigint, 'why_gbm', 'synth');
SELECT * FROM query_perf_ml.explain_prediction(424242, 'why_gbm', 'synth');
SELECT * FROM query_perf_ml.explain_prediction(5001, 'why_gbm', 'history');
SELECT * FROM query_perf_ml.explain_prediction(7, 'nope', 'synth');
SELECT * FROM query_perf_ml.explain_prediction(NULL::jsonb, 'why_gbm');
SELECT * FROM query_perf_ml.explain_prediction('{"rows": 1}'::jsonb, 'why_gbm');
SELECT * FROM query_perf_ml.explain_prediction('{"rows_per_call": "ten"}'::jsonb, 'why_gbm');
SELECT * FROM query_perf_ml.explain_prediction('[1]'::jsonb, 'why_gbm');

-- Feature importance in the metrics: 12 features summing to 1, blocks on
-- top, nothing for a feature that is constant in the training rows.
SELECT name,
       (SELECT count(*) FROM jsonb_object_keys(metrics->'feature_importance')) AS features,
       round((SELECT sum(value::float8) FROM jsonb_each_text(metrics->'feature_importance'))::numeric, 9) AS total,
       (SELECT key FROM jsonb_each_text(metrics->'feature_importance')
         ORDER BY value::float8 DESC LIMIT 1) IN ('shared_blks_hit_per_call', 'shared_blks_read_per_call') AS top_is_blocks,
       (metrics->'feature_importance'->>'wal_bytes_per_call')::float8 = 0 AS constant_is_zero
  FROM query_perf_ml.models WHERE name LIKE 'why\_%' ORDER BY name;
-- Every model trained so far has it, for every feature of its set.
SELECT count(*) > 0 AS some, bool_and((SELECT count(*) FROM jsonb_object_keys(metrics->'feature_importance'))
                                      = (SELECT count(*) FROM query_perf_ml.feature_names(feature_set))) AS all_have_it
  FROM query_perf_ml.models;

SELECT query_perf_ml.drop_model(m) FROM unnest(ARRAY['why_gbm', 'why_rf', 'why_lin']) m;
