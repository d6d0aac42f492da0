-- feature_sets: pgss/2 next to pgss/1.  The training option feature_set,
-- every function that takes a model reading the set from the model, the
-- feature functions taking a set by name, their errors, and that pgss/1 is
-- unchanged (its vectors bit for bit, also as pgss/2's first twelve).
SET query_perf_ml.training_progress = off;

-- The sets by name; the 1.0 forms without a set are pgss/1.
SELECT * FROM query_perf_ml.feature_names('pgss/2');
SELECT (SELECT array_agg(feature ORDER BY ordinal) FROM query_perf_ml.feature_names())
     = (SELECT array_agg(feature ORDER BY ordinal) FROM query_perf_ml.feature_names('pgss/1')) AS same_as_pgss1,
       (SELECT array_agg(feature ORDER BY ordinal) FROM query_perf_ml.feature_names('pgss/1'))
     = (SELECT array_agg(feature ORDER BY ordinal) FROM query_perf_ml.feature_names('pgss/2') WHERE ordinal <= 12) AS pgss2_starts_with_pgss1;
SELECT * FROM query_perf_ml.feature_names('pgss/3');
SELECT * FROM query_perf_ml.feature_names('PGSS/2');
SELECT count(*) FROM query_perf_ml.feature_names(NULL);	-- STRICT: no rows

-- A pg_stat_statements (15) shaped source with every column pgss/2 reads.
-- ln(ms) depends on the shared blocks (both sets see them), on the JIT
-- time and the blocks read time (only pgss/2 sees them) and on the number
-- of aggregates and the statement kind (only pgss/2's text features).
CREATE TABLE pgss15 AS
SELECT g AS queryid, q.query, c.calls,
       c.calls * exp(-1.5 + 0.5 * ln(1 + hpc) + 0.9 * ln(1 + jit) + 0.6 * ln(1 + io)
                     + 0.5 * q.aggs + CASE WHEN g % 5 = 0 THEN 1.0 ELSE 0 END) AS total_exec_time,
       c.calls * 3 AS rows, round(c.calls * hpc)::bigint AS shared_blks_hit,
       round(c.calls * rpc)::bigint AS shared_blks_read,
       0::bigint AS shared_blks_dirtied, 0::bigint AS shared_blks_written,
       0::bigint AS local_blks_hit, 0::bigint AS local_blks_read,
       0::bigint AS local_blks_dirtied, 0::bigint AS local_blks_written,
       (g % 3)::bigint AS temp_blks_read, (g % 3)::bigint AS temp_blks_written,
       c.calls * io AS blk_read_time, 0::float8 AS blk_write_time,
       (g % 3) * 0.01 AS temp_blk_read_time, 0::float8 AS temp_blk_write_time,
       (g % 7)::bigint AS wal_records, 0::bigint AS wal_fpi, (g % 7 * 100)::numeric AS wal_bytes,
       c.calls AS plans, c.calls * 0.05 AS total_plan_time,
       CASE WHEN jit > 0 THEN c.calls * 12 ELSE 0 END::bigint AS jit_functions,
       c.calls * jit * 0.4 AS jit_generation_time,
       0::bigint AS jit_inlining_count, 0::float8 AS jit_inlining_time,
       CASE WHEN jit > 0 THEN c.calls ELSE 0 END::bigint AS jit_optimization_count,
       c.calls * jit * 0.3 AS jit_optimization_time,
       CASE WHEN jit > 0 THEN c.calls ELSE 0 END::bigint AS jit_emission_count,
       c.calls * jit * 0.3 AS jit_emission_time
  FROM generate_series(1::bigint, 600) g,
       LATERAL (SELECT 1 + g % 20 AS calls,
                       exp(8 * u(g, 7919)) - 1 AS hpc,
                       exp(4 * u(g, 104729)) - 1 AS rpc,
                       CASE WHEN g % 4 = 0 THEN exp(5 * u(g, 31337)) - 1 ELSE 0 END AS jit,
                       exp(3 * u(g, 65537)) - 1 AS io) c,
       LATERAL (SELECT (g % 3)::int AS aggs) a,
       LATERAL (SELECT a.aggs,
                       CASE WHEN g % 5 = 0 THEN 'UPDATE t' || g || ' SET a = $1 WHERE b = $2'
                            ELSE 'SELECT ' || substr('count(a), sum(b), ', 1, 11 * a.aggs) || 'c FROM t' || g
                                 || ' WHERE d = $1 /* ' || g || ' */' END AS query) q;

-- pgss/1 is unchanged: its vectors (1.0's feature_vectors(source)) equal
-- the named form's and the first twelve values of pgss/2's, bit for bit,
-- and match the digest the 1.1 library gave for this source.
SELECT count(*) AS rows,
       count(*) FILTER (WHERE encode(float8send(v1.actual_ms), 'hex') = encode(float8send(v2.actual_ms), 'hex')) AS same_target,
       count(*) FILTER (WHERE v1.features::text = n1.features::text) AS named_same,
       count(*) FILTER (WHERE (SELECT bool_and(coalesce(encode(float8send(v1.features[i]), 'hex'), 'null')
                                             = coalesce(encode(float8send(v2.features[i]), 'hex'), 'null'))
                                 FROM generate_series(1, 12) i)) AS prefix_same,
       min(cardinality(v1.features)) AS n1, min(cardinality(v2.features)) AS n2
  FROM query_perf_ml.feature_vectors('pgss15') v1
  JOIN query_perf_ml.feature_vectors('pgss15', 'pgss/1') n1 USING (queryid)
  JOIN query_perf_ml.feature_vectors('pgss15', 'pgss/2') v2 USING (queryid);
SELECT md5(string_agg(queryid || ':' || features::text || ':' || actual_ms, ',' ORDER BY queryid)) AS pgss1_digest
  FROM query_perf_ml.feature_vectors('pgss15');

-- feature_report in pgss/2: every feature, nothing missing in this source.
SELECT count(*) AS features, sum(missing) AS missing, sum(non_finite) AS non_finite,
       bool_and(n = 600) AS all_rows
  FROM query_perf_ml.feature_report('pgss15', 'pgss/2');
SELECT feature, round(mean::numeric, 4) AS mean, round(max::numeric, 4) AS max
  FROM query_perf_ml.feature_report('pgss15', 'pgss/2')
 WHERE feature IN ('jit_functions_per_call', 'jit_optimization_share', 'query_aggregates',
                   'query_parameters', 'kind_update', 'kind_select', 'plans_per_call')
 ORDER BY feature;

-- Training with the option, or without it (the default set, pgss/2): the
-- model records its set, and its options too.
SHOW query_perf_ml.default_feature_set;
SELECT name, algorithm, n_train + n_test AS n
  FROM query_perf_ml.train_model('fs_v1', 'gradient_boosting', 'pgss15',
                                 '{"n_trees": 60, "cv_folds": 3, "seed": 3, "feature_set": "pgss/1"}');
SELECT name, algorithm, n_train + n_test AS n
  FROM query_perf_ml.train_model('fs_v2', 'gradient_boosting', 'pgss15',
                                 '{"n_trees": 60, "cv_folds": 3, "seed": 3}');
SELECT name, algorithm, n_train + n_test AS n
  FROM query_perf_ml.train_model('fs_lin', 'linear', 'pgss15', '{"feature_set": "pgss/2"}');
SELECT name, feature_set, options->>'feature_set' AS option,
       jsonb_array_length(jsonb_path_query_array(metrics, '$.feature_importance.keyvalue()')) AS importances
  FROM query_perf_ml.models WHERE name LIKE 'fs\_%' ORDER BY name;
-- What only pgss/2 sees makes it better on held-out statements.
SELECT (SELECT (metrics->>'median_q_error')::float8 FROM query_perf_ml.models WHERE name = 'fs_v2')
     < 0.8 * (SELECT (metrics->>'median_q_error')::float8 FROM query_perf_ml.models WHERE name = 'fs_v1')
       AS pgss2_better,
       (SELECT (metrics->'feature_importance'->>'jit_time_per_call')::float8 > 0.01
          FROM query_perf_ml.models WHERE name = 'fs_v2') AS jit_time_used;

-- The setting chooses the set of models trained without the option.
SET query_perf_ml.default_feature_set = 'pgss/1';
SELECT name, n_train + n_test AS n FROM query_perf_ml.train_model('fs_default', 'linear', 'pgss15');
SELECT feature_set, options->>'feature_set' AS option FROM query_perf_ml.models WHERE name = 'fs_default';
RESET query_perf_ml.default_feature_set;
SET query_perf_ml.default_feature_set = 'pgss/3';
SET query_perf_ml.default_feature_set = '';
SHOW query_perf_ml.default_feature_set;

-- 'auto' takes the option for every candidate.
SET client_min_messages = warning;
SELECT name, n_train + n_test AS n
  FROM query_perf_ml.train_model('fs_auto', 'auto', 'pgss15',
                                 '{"feature_set": "pgss/2", "n_trees": 30, "cv_folds": 2}');
RESET client_min_messages;
SELECT feature_set, options->>'feature_set' AS option FROM query_perf_ml.models WHERE name = 'fs_auto';

-- A source without the new columns (and a history without any timing
-- column) still trains pgss/2: the missing features are imputed.
SELECT name, n_train + n_test AS n
  FROM query_perf_ml.train_model('fs_hist', 'linear', 'history', '{"feature_set": "pgss/2"}');
SELECT feature, missing FROM query_perf_ml.feature_report('history', 'pgss/2')
 WHERE feature IN ('blk_read_time_per_call', 'jit_time_per_call', 'query_joins', 'calls_log')
 ORDER BY feature;

-- Option errors: unknown set, wrong type; the set of a source it cannot read.
SELECT * FROM query_perf_ml.train_model('fs_bad', 'linear', 'pgss15', '{"feature_set": "pgss/9"}');
SELECT * FROM query_perf_ml.train_model('fs_bad', 'linear', 'pgss15', '{"feature_set": 2}');
SELECT * FROM query_perf_ml.train_model('fs_bad', 'auto', 'pgss15', '{"feature_set": "plan/1"}');
SELECT query_perf_ml.train_model_async('fs_bad', 'linear', 'pgss15', '{"feature_set": "pgss/0"}');
CREATE TABLE not_pgss (queryid bigint, exec_ms float8, features float8[]);
SELECT * FROM query_perf_ml.train_model('fs_bad', 'linear', 'not_pgss', '{"feature_set": "pgss/2"}');
SELECT count(*) FROM query_perf_ml.models WHERE name = 'fs_bad';

-- predict(model, float8[]) takes the model's set: 45 values for pgss/2.
SELECT query_perf_ml.predict('fs_v2', features) FROM query_perf_ml.feature_vectors('pgss15') WHERE queryid = 8;
SELECT query_perf_ml.predict('fs_v1', features) FROM query_perf_ml.feature_vectors('pgss15', 'pgss/2') WHERE queryid = 8;
SELECT count(*) AS statements,
       count(*) FILTER (WHERE encode(float8send(query_perf_ml.predict('fs_v2', v.features)), 'hex')
                            = encode(float8send(p.predicted_ms), 'hex')) AS predict_equals_by_queryid
  FROM query_perf_ml.feature_vectors('pgss15', 'pgss/2') v,
       query_perf_ml.predict_query_execution(v.queryid, 'fs_v2', 'pgss15') p
 WHERE v.queryid % 50 = 0;
SELECT query_perf_ml.predict('fs_v2', array_fill(NULL::float8, ARRAY[45])) > 0 AS all_imputed;

-- What-if by name follows the model's set.
SELECT round(predicted_ms::numeric, 6) > 0 AS ok
  FROM query_perf_ml.predict_query_execution('{"query_aggregates": 2, "jit_time_per_call": 10, "kind_update": 1}'::jsonb, 'fs_v2');
SELECT * FROM query_perf_ml.predict_query_execution('{"query_aggregates": 2}'::jsonb, 'fs_v1');
SELECT * FROM query_perf_ml.predict_query_execution('{"no_such_feature": 2}'::jsonb, 'fs_v2');

-- explain_prediction: one row per pgss/2 feature, adding up to the prediction.
SELECT count(*) FILTER (WHERE feature <> '(base)') AS features,
       abs(sum(contribution) - (SELECT ln(predicted_ms)
                                  FROM query_perf_ml.predict_query_execution(40, 'fs_v2', 'pgss15'))) < 1e-4 AS adds_up
  FROM query_perf_ml.explain_prediction(40, 'fs_v2', 'pgss15');
SELECT feature, value FROM query_perf_ml.explain_prediction(40, 'fs_v2', 'pgss15')
 WHERE feature IN ('query_aggregates', 'jit_functions_per_call', 'kind_select', 'query_parameters')
 ORDER BY feature;
SELECT count(*) AS features
  FROM query_perf_ml.explain_prediction('{"query_joins": 1}'::jsonb, 'fs_lin') WHERE feature <> '(base)';
SELECT * FROM query_perf_ml.explain_prediction('{"query_joins": 1}'::jsonb, 'fs_v1');

-- validate_model and predict_all read the source in the model's set.
SELECT name, n, skipped, median_q_error < 1.5 AS accurate FROM query_perf_ml.validate_model('fs_v2', 'pgss15');
SELECT count(*), count(*) FILTER (WHERE q_error IS NOT NULL) AS with_actual
  FROM query_perf_ml.predict_all('fs_v2', 'pgss15');
SELECT count(*) >= 0 AS ran FROM query_perf_ml.anomalies('fs_v2', 'pgss15', 1);

-- Export and import keep the set.
SELECT query_perf_ml.export_model('fs_v2')->'feature_set'->>'version' AS version,
       jsonb_array_length(query_perf_ml.export_model('fs_v2')->'feature_set'->'features') AS features;
SELECT query_perf_ml.import_model(query_perf_ml.export_model('fs_v2'), 'fs_v2_copy') > 0 AS imported;
SELECT feature_set FROM query_perf_ml.models WHERE name = 'fs_v2_copy';
SELECT count(*) FILTER (WHERE encode(float8send(query_perf_ml.predict('fs_v2', features)), 'hex')
                            = encode(float8send(query_perf_ml.predict('fs_v2_copy', features)), 'hex')) AS identical
  FROM query_perf_ml.feature_vectors('pgss15', 'pgss/2') WHERE queryid % 10 = 0;

-- metrics_intervals gives pgss/2's counters as deltas.  snapshot() copies
-- them from this server's pg_stat_statements (15 has every one but 17's).
SELECT query_perf_ml.snapshot() > 0 AS first_snapshot;
SELECT count(*) FROM pgss15 WHERE queryid < 3;
SELECT query_perf_ml.snapshot() > 0 AS second_snapshot;
SELECT bool_and(jit_functions IS NOT NULL AND jit_generation_time IS NOT NULL
                AND temp_blk_read_time IS NOT NULL AND jit_emission_count IS NOT NULL) AS copied,
       bool_and(jit_deform_time IS NULL AND shared_blk_read_time IS NULL) AS pg17_only_null
  FROM query_perf_ml.metrics_history;
SELECT calls, jit_functions, temp_blk_read_time, temp_blk_write_time, jit_generation_time
  FROM query_perf_ml.metrics_intervals WHERE query = 'SELECT count(*) FROM pgss15 WHERE queryid < $1';
-- The rules on synthetic history: a delta; a new series after a counter
-- went down; a column the previous snapshot lacks (added by the update to
-- 1.2) has no delta rather than its whole value; PostgreSQL 17's shared_
-- and local_ block times are blk_read_time / blk_write_time.
SELECT query_perf_ml.purge_history('0') > 0 AS purged;
INSERT INTO query_perf_ml.snapshots (snapshot_id, captured_at, prev_snapshot_id)
SELECT 200 + i, timestamptz '2020-01-01 00:00+00' + i * interval '1 hour', CASE WHEN i > 1 THEN 199 + i END
  FROM generate_series(1, 4) i;
INSERT INTO query_perf_ml.metrics_history
       (snapshot_id, captured_at, userid, dbid, queryid, calls, total_exec_time, blk_read_time,
        jit_functions, jit_generation_time, temp_blk_read_time, shared_blk_read_time, local_blk_read_time)
SELECT v.snap, s.captured_at, 10, 1, v.qid, v.calls, v.total, v.io, v.jf, v.jt, v.tt, v.sh, v.lo
  FROM (VALUES
        -- 1: a 1.1 snapshot (no JIT columns yet), then 1.2 ones; the JIT counters go down at 204
        (201, 1, 10, 100.0, 5.0, NULL, NULL, NULL, NULL::float8, NULL::float8),
        (202, 1, 20, 200.0, 7.0, 40, 4.0, 1.0, NULL, NULL),
        (203, 1, 30, 300.0, 8.0, 60, 6.0, 1.5, NULL, NULL),
        (204, 1, 40, 400.0, 9.5, 10, 1.0, 2.0, NULL, NULL),
        -- 2: PostgreSQL 17 spelling of the block read time
        (201, 2, 1, 1.0, NULL, 0, 0.0, 0.0, 1.0, 0.5),
        (202, 2, 3, 3.0, NULL, 0, 0.0, 0.0, 4.0, 1.0)) v(snap, qid, calls, total, io, jf, jt, tt, sh, lo)
  JOIN query_perf_ml.snapshots s ON s.snapshot_id = v.snap;
SELECT queryid, snapshot_id, calls, blk_read_time, jit_functions, jit_generation_time,
       temp_blk_read_time, new_series
  FROM query_perf_ml.metrics_intervals ORDER BY queryid, snapshot_id;
-- pgss/2 trains from history and reads the deltas (the JIT time is
-- missing: this history has the generation time only, and half a sum is
-- no sum).
INSERT INTO query_perf_ml.metrics_history
       (snapshot_id, captured_at, userid, dbid, queryid, calls, total_exec_time, shared_blks_hit,
        jit_functions, jit_generation_time)
SELECT s.snapshot_id, s.captured_at, 10, 1, 100 + g, g * (s.snapshot_id - 200),
       g * (s.snapshot_id - 200) * (1 + g % 7), g * (s.snapshot_id - 200) * 10,
       g * (s.snapshot_id - 200) * (g % 2), g * (s.snapshot_id - 200) * (g % 7) * 0.5
  FROM query_perf_ml.snapshots s, generate_series(1, 30) g;
SELECT name, n_train + n_test AS n
  FROM query_perf_ml.train_model('fs_intervals', 'linear', 'query_perf_ml.metrics_intervals',
                                 '{"feature_set": "pgss/2"}');
SELECT feature, n, missing, round(max::numeric, 3) AS max
  FROM query_perf_ml.feature_report('query_perf_ml.metrics_intervals', 'pgss/2')
 WHERE feature IN ('jit_functions_per_call', 'jit_time_per_call', 'blk_read_time_per_call')
 ORDER BY feature;
SELECT query_perf_ml.purge_history('0') > 0 AS purged;

SELECT query_perf_ml.drop_model(name) FROM (SELECT DISTINCT name FROM query_perf_ml.models
                                             WHERE name LIKE 'fs\_%') n ORDER BY 1;
DROP TABLE pgss15, not_pgss;
RESET query_perf_ml.training_progress;
