/* query_perf_ml--1.1--1.2.sql — upgrade from 1.1; CREATE EXTENSION runs 1.0, 1.0--1.1, then this. */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION query_perf_ml UPDATE TO '1.2'" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Comments: every object explains itself in psql (\dn+, \df+, \d+, \dT+).
-- sql/comments.sql fails when an object of the schema has none.
-- ---------------------------------------------------------------------------
COMMENT ON SCHEMA query_perf_ml IS
  'query_perf_ml: learn and predict statement execution times from pg_stat_statements metrics';

COMMENT ON TYPE query_perf_ml.training_result IS
  'Result of train_model: the stored version and its held-out metrics';
COMMENT ON TYPE query_perf_ml.prediction IS
  'A predicted execution time in ms with its prediction interval and the model version that made it';
COMMENT ON TYPE query_perf_ml.validation_result IS
  'Result of validate_model: accuracy of a model version on a source';
COMMENT ON TYPE query_perf_ml.accuracy IS
  'Result of prediction_accuracy: logged predictions of a model version matched with what happened, and the drift flag';

COMMENT ON TABLE query_perf_ml.model_store IS
  'Every trained or imported model version, with its serialized model; written only by the extension''s functions (read it through the models view)';
COMMENT ON VIEW query_perf_ml.models IS
  'Model versions without their blobs: name, version, algorithm, activity, held-out metrics, effective options, feature set and source';
COMMENT ON TABLE query_perf_ml.snapshots IS
  'One row per snapshot() of pg_stat_statements: when, how many statements, and whether statistics were reset since the previous one';
COMMENT ON TABLE query_perf_ml.metrics_history IS
  'The pg_stat_statements counters of every statement at every snapshot (cumulative, as pg_stat_statements reports them)';
COMMENT ON TABLE query_perf_ml.query_texts IS
  'Normalized statement texts, stored once per (dbid, queryid) when first seen by snapshot()';
COMMENT ON VIEW query_perf_ml.metrics_intervals IS
  'Per-statement counter deltas between consecutive snapshots (whole counters for a new or reset statement); a training and validation source';
COMMENT ON VIEW query_perf_ml.latest_intervals IS
  'The intervals of metrics_intervals that end at the newest snapshot';
COMMENT ON TABLE query_perf_ml.prediction_log IS
  'Predictions by queryid logged when query_perf_ml.log_predictions is on; prediction_accuracy() matches them with later history';
COMMENT ON TABLE query_perf_ml.training_job_store IS
  'Asynchronous training jobs as submitted and finished (read it through the training_jobs view)';
COMMENT ON VIEW query_perf_ml.training_jobs IS
  'Asynchronous training jobs the caller may see, with live state and progress of running workers';

COMMENT ON FUNCTION query_perf_ml.train_model(text, text, regclass, jsonb) IS
  'Train a model on a pg_stat_statements-style source (NULL = pg_stat_statements) and store it as the new active version of name';
COMMENT ON FUNCTION query_perf_ml.train_model_async(text, text, regclass, jsonb) IS
  'train_model in a background worker running as the caller; returns the job id (see training_jobs)';
COMMENT ON FUNCTION query_perf_ml.cancel_training(bigint) IS
  'Cancel a queued asynchronous training job or signal a running one; false when it had already finished';
COMMENT ON FUNCTION query_perf_ml.training_job_live(bigint, text, integer, xid, oid) IS
  'Internal: the live part of the training_jobs view (progress, lost workers); not meant to be called directly';
COMMENT ON FUNCTION query_perf_ml.validate_model(text, regclass) IS
  'Accuracy of the active version of a model (NULL = default model) on every usable row of a source';
COMMENT ON FUNCTION query_perf_ml.predict_query_execution(bigint, text, regclass) IS
  'Predicted execution time in ms, with an interval, of a statement by queryid from its counters in a source';
COMMENT ON FUNCTION query_perf_ml.predict_query_execution(jsonb, text) IS
  'Predicted execution time in ms, with an interval, for features given by name (what-if; missing names are imputed)';
COMMENT ON FUNCTION query_perf_ml.predict(text, double precision[]) IS
  'Predicted execution time in ms for a feature vector in the model''s feature order (NULL elements are missing values); the bulk path';
COMMENT ON FUNCTION query_perf_ml.predict_all(text, regclass) IS
  'One prediction per queryid of a source, with the actual time, q-error and whether it fell outside the interval';
COMMENT ON FUNCTION query_perf_ml.activate_model(text, integer) IS
  'Make a version (NULL = the newest) the active version of a model; returns its model_id';
COMMENT ON FUNCTION query_perf_ml.drop_model(text, integer) IS
  'Drop one version of a model, or all of them (NULL version); returns the number dropped';
COMMENT ON FUNCTION query_perf_ml.export_model(text, integer) IS
  'A model version (NULL = the active one) as a portable, validated jsonb document';
COMMENT ON FUNCTION query_perf_ml.import_model(jsonb, text) IS
  'Validate an exported model document and store it as the new active version of name';
COMMENT ON FUNCTION query_perf_ml.status() IS
  'Extension and library versions, pg_stat_statements availability, model counts and this backend''s model cache statistics';
COMMENT ON FUNCTION query_perf_ml.feature_report(regclass) IS
  'Distribution of every feature over a source''s usable rows (missing, non-finite, mean, percentiles)';
COMMENT ON FUNCTION query_perf_ml.feature_names() IS
  'The features of feature set pgss/1 in vector order, with their formulas';
COMMENT ON FUNCTION query_perf_ml.feature_vectors(regclass) IS
  'Every row of a source as the feature vector predict() takes, with its actual time';
COMMENT ON FUNCTION query_perf_ml.is_held_out(bigint, bigint, double precision) IS
  'Whether train_model''s split by queryid holds this statement out for a seed and test fraction';
COMMENT ON FUNCTION query_perf_ml.explain_prediction(bigint, text, regclass) IS
  'Contribution of each feature (exact SHAP values on the log-ms scale) to the prediction for a statement by queryid';
COMMENT ON FUNCTION query_perf_ml.explain_prediction(jsonb, text) IS
  'Contribution of each feature (exact SHAP values on the log-ms scale) to a what-if prediction';
COMMENT ON FUNCTION query_perf_ml.model_store_changed() IS
  'Internal: statement trigger on model_store that invalidates every backend''s model cache';
COMMENT ON FUNCTION query_perf_ml.snapshot() IS
  'Copy pg_stat_statements into metrics_history (and new texts into query_texts); returns the snapshot id';
COMMENT ON FUNCTION query_perf_ml.purge_history(interval) IS
  'Delete history, snapshots, unused texts and logged predictions older than the interval (NULL = query_perf_ml.history_retention)';
COMMENT ON FUNCTION query_perf_ml.history_retention() IS
  'The query_perf_ml.history_retention setting as an interval (NULL when 0: keep forever)';
COMMENT ON FUNCTION query_perf_ml.prediction_accuracy(interval) IS
  'Logged predictions since the interval matched with the history that followed, per model version, with a drift flag';
COMMENT ON FUNCTION query_perf_ml.anomalies(text, regclass, integer) IS
  'Statements slower than the upper end of their prediction interval, ranked by the excess time they cost';
