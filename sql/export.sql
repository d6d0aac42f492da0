-- export: models as portable JSON documents (export_model / import_model).
-- An imported model predicts exactly like the original; a malformed
-- document of any shape is a clean error naming the offending path.
-- This file's models and vectors are pgss/1's, the feature set of 1.0 and
-- 1.1 (sql/feature_sets.sql covers pgss/2, the default for new models).
SET query_perf_ml.default_feature_set = 'pgss/1';
\set VERBOSITY default
SET client_min_messages = warning;
SELECT name, algorithm FROM query_perf_ml.train_model('ex_lin', 'linear', 'synth_noisy');
SELECT name, algorithm FROM query_perf_ml.train_model('ex_gbm', 'gradient_boosting', 'synth_noisy', '{"n_trees": 30}');
SELECT name, algorithm FROM query_perf_ml.train_model('ex_rf', 'random_forest', 'synth_noisy', '{"n_trees": 20}');
RESET client_min_messages;

-- The document's layout.
SELECT string_agg(k, ', ' ORDER BY k) AS linear_keys
  FROM jsonb_object_keys(query_perf_ml.export_model('ex_lin')) k;
SELECT string_agg(k, ', ' ORDER BY k) AS forest_keys
  FROM jsonb_object_keys(query_perf_ml.export_model('ex_gbm')) k;
SELECT d->>'format' AS format, d->'format_version' AS format_version,
       d->>'extension_version' AS extension_version, d->>'name' AS name,
       d->'version' AS version, d->>'algorithm' AS algorithm,
       d->'feature_set'->>'name' AS fs_name, d->'feature_set'->'id' AS fs_id,
       d->'feature_set'->'version' AS fs_version,
       d->'feature_set'->'features'->>0 AS first_feature,
       jsonb_array_length(d->'feature_set'->'features') AS n_features,
       jsonb_array_length(d->'transform'->'features') AS n_transforms,
       jsonb_array_length(d->'linear'->'coefficients') AS n_coefficients,
       d->'transform'->'standardize' AS standardize,
       d->>'created_at' ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$' AS created_at_utc,
       d->'metrics' = m.metrics AS metrics_kept, d->'options' = m.options AS options_kept,
       d->'n_train' = to_jsonb(m.n_train) AS n_train_kept
  FROM query_perf_ml.export_model('ex_lin') d, query_perf_ml.models m
 WHERE m.name = 'ex_lin';
SELECT string_agg(k, ', ' ORDER BY k) AS transform_feature_keys
  FROM jsonb_object_keys(query_perf_ml.export_model('ex_lin')->'transform'->'features'->0) k;
SELECT d->>'algorithm' AS algorithm,
       jsonb_array_length(d->'forest'->'trees') BETWEEN 1 AND 30 AS has_trees,
       (SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(d->'forest') k) AS forest_keys,
       (SELECT string_agg(k, ', ' ORDER BY k)
          FROM jsonb_object_keys(d->'forest'->'trees'->0->'nodes'->0) k) AS split_keys,
       (SELECT string_agg(DISTINCT k, ', ' ORDER BY k)
          FROM jsonb_array_elements(d->'forest'->'trees'->0->'nodes') n, jsonb_object_keys(n) k
         WHERE n ? 'leaf') AS leaf_keys
  FROM query_perf_ml.export_model('ex_gbm') d;
-- Versions: NULL is the active one; others by number.
SELECT query_perf_ml.export_model('ex_lin')->'version' AS active,
       query_perf_ml.export_model('ex_lin', 1)->'version' AS v1;

-- Round trip: export, import under a new name, and compare.
CREATE TABLE ex_docs AS
SELECT m AS src, query_perf_ml.export_model(m) AS doc
  FROM unnest(ARRAY['ex_lin', 'ex_gbm', 'ex_rf']) m;
CREATE TABLE ex_ids AS
SELECT src, query_perf_ml.import_model(doc, src || '_copy') AS model_id FROM ex_docs;
SELECT i.src, i.model_id = m.model_id AS returns_model_id
  FROM ex_ids i JOIN query_perf_ml.models m ON m.name = i.src || '_copy' ORDER BY i.src;
-- The stored blob is byte for byte the original's (these models hold no
-- negative zero, which jsonb cannot keep); metadata carried over.
SELECT a.name, b.version, b.is_active, b.source, a.model = b.model AS same_blob,
       a.algorithm = b.algorithm AS same_algorithm, a.feature_set = b.feature_set AS same_fs,
       a.n_train = b.n_train AND a.n_test = b.n_test AS same_counts,
       a.metrics = b.metrics - 'imported_from' AS same_metrics, a.options = b.options AS same_options
  FROM query_perf_ml.model_store a JOIN query_perf_ml.model_store b ON b.name = a.name || '_copy'
 WHERE a.name IN ('ex_lin', 'ex_gbm', 'ex_rf') ORDER BY a.name;
-- Every prediction is identical (=, not a tolerance).
SELECT m, count(*) AS rows,
       count(*) FILTER (WHERE a.predicted_ms IS DISTINCT FROM b.predicted_ms
                           OR a.lower_ms IS DISTINCT FROM b.lower_ms
                           OR a.upper_ms IS DISTINCT FROM b.upper_ms) AS differing
  FROM unnest(ARRAY['ex_lin', 'ex_gbm', 'ex_rf']) m,
       LATERAL query_perf_ml.predict_all(m, 'synth_noisy') a
       JOIN LATERAL query_perf_ml.predict_all(m || '_copy', 'synth_noisy') b USING (queryid)
 GROUP BY m ORDER BY m;
-- export(import(export(x))) = export(x) but for name, version, created_at
-- and the provenance the import added.
SELECT src, (doc - 'name' - 'version' - 'created_at') =
            (query_perf_ml.export_model(src || '_copy') - 'name' - 'version' - 'created_at'
             #- '{metrics,imported_from}') AS same_document
  FROM ex_docs ORDER BY src;
-- Provenance: the import keeps the document's name, version, created_at and
-- extension_version in metrics.imported_from (a fleet's servers can tell
-- which central version they run).
SELECT d.src, m.metrics->'imported_from'->>'name' AS from_name,
       m.metrics->'imported_from'->>'version' AS from_version,
       m.metrics->'imported_from' = jsonb_build_object('name', d.doc->'name', 'version', d.doc->'version',
           'created_at', d.doc->'created_at', 'extension_version', d.doc->'extension_version') AS all_four,
       (m.metrics->'imported_from'->>'created_at')::timestamptz = o.created_at AS created_at_of_source
  FROM ex_docs d JOIN query_perf_ml.models m ON m.name = d.src || '_copy'
  JOIN query_perf_ml.models o ON o.name = d.src AND o.is_active ORDER BY d.src;
-- Imported again from a server that imported it: the newest hop replaces
-- the earlier one; a document without those keys records an empty origin.
SELECT query_perf_ml.import_model(query_perf_ml.export_model('ex_gbm_copy'), 'ex_hop') > 0 AS imported;
SELECT metrics->'imported_from'->>'name' AS from_name, metrics->'imported_from'->>'version' AS from_version
  FROM query_perf_ml.models WHERE name = 'ex_hop';
SELECT query_perf_ml.import_model(doc - 'name' - 'version' - 'created_at' - 'extension_version', 'ex_hop') > 0 AS imported
  FROM ex_docs WHERE src = 'ex_lin';
SELECT version, (SELECT coalesce(string_agg(k, ', ' ORDER BY k), '') FROM jsonb_object_keys(metrics->'imported_from') k) AS imported_from_keys
  FROM query_perf_ml.models WHERE name = 'ex_hop' ORDER BY version;
SELECT query_perf_ml.drop_model('ex_hop');
-- Importing into an existing name adds a version and activates it.
SELECT query_perf_ml.import_model(doc, 'ex_lin_copy') > 0 AS imported FROM ex_docs WHERE src = 'ex_lin';
SELECT version, is_active FROM query_perf_ml.models WHERE name = 'ex_lin_copy' ORDER BY version;
-- Without n_train and n_test, the counts come from the metrics (or are 0).
SELECT query_perf_ml.import_model(doc - 'n_train' - 'n_test', 'ex_counts') > 0 AS imported
  FROM ex_docs WHERE src = 'ex_lin';
SELECT n_train, n_test = (metrics->>'n_test')::bigint AS n_test_from_metrics, n_test > 0 AS has_test
  FROM query_perf_ml.models WHERE name = 'ex_counts';
-- A document that went through text (a file, another server) is the same document.
SELECT src, query_perf_ml.import_model(doc::text::jsonb, src || '_text') > 0 AS imported
  FROM ex_docs WHERE src = 'ex_gbm';
SELECT a.model = b.model AS same_blob
  FROM query_perf_ml.model_store a, query_perf_ml.model_store b
 WHERE a.name = 'ex_gbm' AND b.name = 'ex_gbm_text';

-- Errors: arguments and models.
SELECT query_perf_ml.export_model(NULL);
SELECT query_perf_ml.export_model('nope');
SELECT query_perf_ml.export_model('ex_lin', 99);
SELECT query_perf_ml.export_model('');
SELECT query_perf_ml.activate_model('ex_rf_copy') > 0 AS ok;
UPDATE query_perf_ml.model_store SET is_active = false WHERE name = 'ex_rf_copy';
SELECT query_perf_ml.export_model('ex_rf_copy');
SELECT query_perf_ml.import_model(NULL, 'x');
SELECT query_perf_ml.import_model((SELECT doc FROM ex_docs WHERE src = 'ex_lin'), NULL);
SELECT query_perf_ml.import_model((SELECT doc FROM ex_docs WHERE src = 'ex_lin'), repeat('x', 64));

-- Malformed documents.  try_import reports the error, or 'accepted' (and
-- then rolls the import back, so nothing is stored either way).
CREATE FUNCTION try_import(doc jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    msg text;
    det text;
BEGIN
    BEGIN
        PERFORM query_perf_ml.import_model(doc, 'ex_bad');
        RAISE EXCEPTION USING ERRCODE = 'QA001', MESSAGE = 'accepted';
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
        IF msg = 'accepted' THEN
            RETURN msg;
        END IF;
        RETURN SQLSTATE || ' ' || msg || coalesce(': ' || nullif(det, ''), '');
    END;
END
$$;
CREATE TABLE ex_base AS SELECT doc FROM ex_docs WHERE src = 'ex_lin';
-- A small hand-written forest: split, split, leaf, leaf, leaf.
CREATE TABLE ex_tree AS
SELECT (doc - 'linear') || jsonb_build_object('algorithm', 'gradient_boosting', 'forest',
       '{"base_score": 0.5, "trees": [{"nodes": [
          {"feature": 0, "threshold": 1.5, "left": 1, "right": 4, "default_left": true},
          {"feature": 11, "threshold": -2, "left": 2, "right": 3, "default_left": false},
          {"leaf": 0.25}, {"leaf": -0.5, "cover": 3}, {"leaf": 0.125}]}]}'::jsonb) AS doc
  FROM ex_base;
SELECT try_import(doc) AS hand_written_forest FROM ex_tree;

-- The document itself.
SELECT try_import('[]');
SELECT try_import('"query_perf_ml.model"');
SELECT try_import('1');
SELECT try_import('null');
SELECT try_import('{}');
-- Each top-level key removed (metadata keys are optional).
SELECT k, try_import(doc - k) FROM ex_base, jsonb_object_keys(doc) k ORDER BY k;
SELECT try_import(doc - 'forest') AS no_forest FROM ex_tree;
-- Each nested key removed.
SELECT p, try_import(doc #- p::text[])
  FROM ex_base, unnest(ARRAY['{feature_set,id}', '{feature_set,name}', '{feature_set,version}',
       '{feature_set,features}', '{transform,clip_low_pct}', '{transform,clip_high_pct}',
       '{transform,standardize}', '{transform,features}', '{transform,features,3,impute}',
       '{transform,features,3,clip_lo}', '{transform,features,3,clip_hi}',
       '{transform,features,3,log1p}', '{transform,features,3,center}',
       '{transform,features,3,scale}', '{interval,level}', '{interval,log_low}',
       '{interval,log_high}', '{linear,intercept}', '{linear,coefficients}']) p
 ORDER BY p;
SELECT p, try_import(doc #- p::text[])
  FROM ex_tree, unnest(ARRAY['{forest,base_score}', '{forest,trees}', '{forest,trees,0,nodes}',
       '{forest,trees,0,nodes,0,feature}', '{forest,trees,0,nodes,0,threshold}',
       '{forest,trees,0,nodes,0,left}', '{forest,trees,0,nodes,0,right}',
       '{forest,trees,0,nodes,0,default_left}', '{forest,trees,0,nodes,2,leaf}']) p
 ORDER BY p;
-- Unknown keys, and a section that does not belong to the algorithm.
SELECT try_import(doc || '{"comment": "hi"}') FROM ex_base;
SELECT try_import(jsonb_set(doc, '{interval,width}', '1')) FROM ex_base;
SELECT try_import(jsonb_set(doc, '{forest,trees,0,nodes,2,feature}', '1')) FROM ex_tree;
SELECT try_import(doc || '{"forest": {}}') FROM ex_base;
SELECT try_import(doc || (SELECT jsonb_build_object('linear', doc->'linear') FROM ex_base)) FROM ex_tree;

-- Wrong types.
SELECT p, v, try_import(jsonb_set(doc, p::text[], v::jsonb))
  FROM ex_base, (VALUES ('{format}', '1'), ('{format_version}', '"1"'), ('{format_version}', '1.5'),
       ('{algorithm}', '["linear"]'), ('{feature_set}', '"pgss/1"'), ('{feature_set,id}', '"1"'),
       ('{feature_set,features}', '{}'), ('{feature_set,features,0}', '0'),
       ('{transform}', '[]'), ('{transform,standardize}', '1'), ('{transform,features}', '{}'),
       ('{transform,features,3}', '[]'), ('{transform,features,3,scale}', '"1"'),
       ('{transform,features,3,log1p}', '"true"'), ('{transform,features,3,impute}', 'null'),
       ('{interval}', 'null'), ('{interval,level}', 'true'), ('{linear,coefficients}', '1'),
       ('{linear,coefficients,0}', '"0.5"'), ('{linear,intercept}', '{}'),
       ('{metrics}', '[]'), ('{options}', '"{}"'), ('{n_train}', '-1'), ('{n_test}', '1.5'),
       ('{name}', '1'), ('{version}', '0'), ('{created_at}', '1'), ('{created_at}', 'null'),
       ('{extension_version}', 'null')) t(p, v)
 ORDER BY p, v;
SELECT p, v, try_import(jsonb_set(doc, p::text[], v::jsonb))
  FROM ex_tree, (VALUES ('{forest}', '[]'), ('{forest,trees}', '{}'), ('{forest,trees,0}', '[]'),
       ('{forest,trees,0,nodes}', '{}'), ('{forest,trees,0,nodes,0}', '1'),
       ('{forest,trees,0,nodes,0,feature}', '"0"'), ('{forest,trees,0,nodes,0,feature}', '0.5'),
       ('{forest,trees,0,nodes,0,left}', '"1"'), ('{forest,trees,0,nodes,0,default_left}', '0'),
       ('{forest,trees,0,nodes,0,threshold}', 'null'), ('{forest,trees,0,nodes,2,leaf}', '"0.25"'),
       ('{forest,base_score}', '"0.5"')) t(p, v)
 ORDER BY p, v;
-- Metadata: null metrics and options are stored as {}.
SELECT try_import(doc || '{"metrics": null, "options": null}') AS null_metadata FROM ex_base;
-- The metrics the extension writes and reads are checked like the model
-- (a median_q_error that is not a number broke prediction_accuracy() for
-- every model); other keys are free, and null stands for undefined.
SELECT p, v, try_import(jsonb_set(doc, p::text[], v::jsonb))
  FROM ex_base, (VALUES ('{metrics,median_q_error}', '"1.5"'), ('{metrics,median_q_error}', '0.5'),
       ('{metrics,median_q_error}', '1e400'), ('{metrics,median_q_error}', 'null'),
       ('{metrics,median_q_error}', '1.25'), ('{metrics,p90_q_error}', 'true'),
       ('{metrics,r2}', '1.5'), ('{metrics,r2}', '-20'), ('{metrics,mae_ms}', '-1'),
       ('{metrics,interval_coverage}', '1.01'), ('{metrics,interval_level}', '1'),
       ('{metrics,n_test}', '-1'), ('{metrics,n_train}', '"7"'), ('{metrics,rows_read}', '2.5'),
       ('{metrics,comment}', '"free"'), ('{metrics,feature_importance}', '[]')) t(p, v)
 ORDER BY p, v;

-- Values out of range.
SELECT p, v, try_import(jsonb_set(doc, p::text[], v::jsonb))
  FROM ex_base, (VALUES ('{format}', '"query_perf_ml.blob"'), ('{format_version}', '2'),
       ('{format_version}', '0'), ('{algorithm}', '"deep_learning"'), ('{feature_set,id}', '2'),
       ('{feature_set,version}', '2'), ('{feature_set,id}', '65536'), ('{feature_set,name}', '"plans"'),
       ('{transform,clip_low_pct}', '-1'), ('{transform,clip_low_pct}', '100'),
       ('{transform,clip_high_pct}', '0.1'), ('{transform,clip_high_pct}', '100.5'),
       ('{transform,features,3,scale}', '-1'), ('{transform,features,3,scale}', '0'),
       ('{transform,features,3,clip_lo}', '1e300'), ('{interval,level}', '1.5'),
       ('{interval,level}', '1'), ('{interval,level}', '0'), ('{interval,log_low}', '0.1'),
       ('{interval,log_high}', '-0.1'), ('{linear,intercept}', '1e400'),
       ('{linear,coefficients,2}', '-1e400'), ('{linear,coefficients,2}', '1e-400'),
       ('{linear,coefficients,2}', '5e-324'),
       ('{transform,features,0,center}', '1e308')) t(p, v)
 ORDER BY p, v;
-- The feature list must be the feature set's, in order.
SELECT try_import(jsonb_set(doc, '{feature_set,features}',
       (SELECT jsonb_agg(f ORDER BY CASE o WHEN 3 THEN 4 WHEN 4 THEN 3 ELSE o END)
          FROM query_perf_ml.feature_names() x(o, f, d)))) AS swapped
  FROM ex_base;
SELECT try_import(jsonb_set(doc, '{feature_set,features}', (doc->'feature_set'->'features') - 11)) AS eleven
  FROM ex_base;
SELECT try_import(jsonb_set(doc, '{feature_set,features}', (doc->'feature_set'->'features') || '"x"')) AS thirteen
  FROM ex_base;
-- Huge arrays are refused by length before anything is read or allocated.
SELECT try_import(jsonb_set(doc, '{transform,features}', (SELECT jsonb_agg(i) FROM generate_series(1, 100000) i)))
  AS huge_features FROM ex_base;
SELECT try_import(jsonb_set(doc, '{linear,coefficients}', (SELECT jsonb_agg(0) FROM generate_series(1, 100000))))
  AS huge_coefficients FROM ex_base;
SELECT try_import(jsonb_set(doc, '{forest,trees}',
       (SELECT jsonb_agg('{"nodes": [{"leaf": 0}]}'::jsonb) FROM generate_series(1, 100001))))
  AS too_many_trees FROM ex_tree;
SELECT try_import(jsonb_set(doc, '{forest,trees}', '[]')) AS no_trees FROM ex_tree;
SELECT try_import(jsonb_set(doc, '{forest,trees,0,nodes}', '[]')) AS empty_tree FROM ex_tree;

-- Tree structure.
SELECT p, v, try_import(jsonb_set(doc, p::text[], v::jsonb))
  FROM ex_tree, (VALUES
       ('{forest,trees,0,nodes,0,left}', '5'),            -- out of range
       ('{forest,trees,0,nodes,0,right}', '-1'),
       ('{forest,trees,0,nodes,0,left}', '2147483648'),
       ('{forest,trees,0,nodes,1,left}', '0'),            -- cycle: back to the root
       ('{forest,trees,0,nodes,1,right}', '1'),           -- cycle: itself
       ('{forest,trees,0,nodes,1,left}', '4'),            -- two parents
       ('{forest,trees,0,nodes,0,right}', '2'),           -- two parents, node 4 unreachable
       ('{forest,trees,0,nodes,0,feature}', '12'),        -- feature index out of range
       ('{forest,trees,0,nodes,0,feature}', '-1'),
       ('{forest,trees,0,nodes,0,threshold}', '0.1'),     -- not a float
       ('{forest,trees,0,nodes,0,threshold}', '1e39'),    -- beyond float
       ('{forest,trees,0,nodes,0,cover}', '-1'),
       ('{forest,trees,0,nodes,0,gain}', '1e-50'),
       ('{forest,trees,0,nodes,2,gain}', '1'),            -- a leaf has no gain
       ('{forest,trees,0,nodes,2,leaf}', '1e400'),
       ('{forest,base_score}', '0.3')) t(p, v)
 ORDER BY p, v;
-- A tree model needs its forest, and the forest its tree algorithm.
SELECT try_import(jsonb_set(doc, '{algorithm}', '"linear"')) AS tree_as_linear FROM ex_tree;
SELECT try_import(jsonb_set(doc, '{algorithm}', '"random_forest"')) AS linear_as_forest FROM ex_base;
SELECT count(*) AS none_stored FROM query_perf_ml.models WHERE name = 'ex_bad';

-- Anyone may export; importing needs EXECUTE granted by the owner.
CREATE ROLE regress_qpm_exporter;
SET ROLE regress_qpm_exporter;
SELECT query_perf_ml.export_model('ex_gbm')->>'algorithm' AS exported;
SELECT query_perf_ml.import_model(query_perf_ml.export_model('ex_gbm'), 'ex_mine');
RESET ROLE;
GRANT EXECUTE ON FUNCTION query_perf_ml.import_model(jsonb, text) TO regress_qpm_exporter;
SET ROLE regress_qpm_exporter;
SELECT query_perf_ml.import_model(query_perf_ml.export_model('ex_gbm'), 'ex_mine') > 0 AS imported;
SELECT created_by, source FROM query_perf_ml.models WHERE name = 'ex_mine';
RESET ROLE;
-- A trained version keeps the relation it was trained on, an import has none.
SELECT name, source, source_relation FROM query_perf_ml.models
 WHERE name IN ('ex_lin', 'ex_mine') ORDER BY model_id;
-- A model larger than query_perf_ml.max_model_size is refused; only a
-- superuser may change the setting.
SET query_perf_ml.max_model_size = '64kB';
SET ROLE regress_qpm_exporter;
SET query_perf_ml.max_model_size = '1GB';
SELECT size_bytes > 64 * 1024 AS larger FROM query_perf_ml.models WHERE name = 'ex_gbm';
SELECT query_perf_ml.import_model(query_perf_ml.export_model('ex_gbm'), 'ex_mine') > 0 AS imported;
RESET ROLE;
RESET query_perf_ml.max_model_size;
REVOKE EXECUTE ON FUNCTION query_perf_ml.import_model(jsonb, text) FROM regress_qpm_exporter;
DROP ROLE regress_qpm_exporter;

-- Clean up.
SELECT n, query_perf_ml.drop_model(n) FROM unnest(ARRAY['ex_lin', 'ex_gbm', 'ex_rf', 'ex_lin_copy', 'ex_gbm_copy',
       'ex_rf_copy', 'ex_gbm_text', 'ex_mine', 'ex_counts']) n ORDER BY n;
DROP FUNCTION try_import(jsonb);
DROP TABLE ex_docs, ex_ids, ex_base, ex_tree;
