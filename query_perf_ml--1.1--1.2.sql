/* query_perf_ml--1.1--1.2.sql — upgrade from 1.1; CREATE EXTENSION runs 1.0, 1.0--1.1, then this. */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION query_perf_ml UPDATE TO '1.2'" to load this file. \quit

--
-- Feature set pgss/2 (train_model option "feature_set"): the feature
-- functions take the set by name; history keeps the pg_stat_statements
-- columns pgss/2 reads, and metrics_intervals gives their deltas.
--

-- The set by name ('pgss/1', 'pgss/2').  The 1.0 forms without the
-- argument stay as they were and mean pgss/1.
CREATE FUNCTION query_perf_ml.feature_names(feature_set text)
RETURNS TABLE (ordinal integer, feature text, description text)
AS 'MODULE_PATHNAME', 'qpm_feature_names'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION query_perf_ml.feature_vectors(source regclass, feature_set text)
RETURNS TABLE (queryid bigint, features double precision[], actual_ms double precision)
AS 'MODULE_PATHNAME', 'qpm_feature_vectors'
LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED;

CREATE FUNCTION query_perf_ml.feature_report(source regclass, feature_set text)
RETURNS TABLE (
    feature    text,
    n          bigint,
    missing    bigint,
    non_finite bigint,
    mean       double precision,
    stddev     double precision,
    min        double precision,
    p01        double precision,
    p50        double precision,
    p99        double precision,
    max        double precision)
AS 'MODULE_PATHNAME', 'qpm_feature_report'
LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED;

COMMENT ON FUNCTION query_perf_ml.feature_names(text) IS
    'The features of a feature set (''pgss/1'', ''pgss/2'') in vector order, with their formulas';
COMMENT ON FUNCTION query_perf_ml.feature_vectors(regclass, text) IS
    'Every row of a source as a vector of the given feature set, ready for predict() of a model of that set';
COMMENT ON FUNCTION query_perf_ml.feature_report(regclass, text) IS
    'Per-feature statistics of a source in the given feature set';

-- Every pg_stat_statements column pgss/2 reads, up to PostgreSQL 17
-- (snapshot() copies the columns the server's pg_stat_statements has;
-- the others stay NULL).  Not kept: min/max/mean/stddev times (the target
-- and its spread) and minmax_stats_since.
ALTER TABLE query_perf_ml.metrics_history
    ADD COLUMN temp_blk_read_time     double precision,   -- 15+
    ADD COLUMN temp_blk_write_time    double precision,
    ADD COLUMN jit_functions          bigint,             -- 15+
    ADD COLUMN jit_generation_time    double precision,
    ADD COLUMN jit_inlining_count     bigint,
    ADD COLUMN jit_inlining_time      double precision,
    ADD COLUMN jit_optimization_count bigint,
    ADD COLUMN jit_optimization_time  double precision,
    ADD COLUMN jit_emission_count     bigint,
    ADD COLUMN jit_emission_time      double precision,
    ADD COLUMN jit_deform_count       bigint,             -- 17+
    ADD COLUMN jit_deform_time        double precision,
    ADD COLUMN shared_blk_read_time   double precision,   -- 17: blk_read_time split in two
    ADD COLUMN shared_blk_write_time  double precision,
    ADD COLUMN local_blk_read_time    double precision,
    ADD COLUMN local_blk_write_time   double precision;

-- A counter's growth over an interval: all of it when the series starts
-- afresh (new statement, reset), else the difference.  A counter missing
-- from either snapshot (NULL: a column added by an update) has no delta.
CREATE FUNCTION query_perf_ml.counter_delta(cur anycompatible, prev anycompatible, fresh boolean)
RETURNS anycompatible
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$SELECT CASE WHEN fresh THEN cur ELSE cur OPERATOR(pg_catalog.-) prev END$$;
COMMENT ON FUNCTION query_perf_ml.counter_delta(anycompatible, anycompatible, boolean) IS
    'Internal (metrics_intervals): a cumulative counter''s growth between two snapshots';

-- metrics_intervals is redefined with the new columns (appended, so the
-- 1.1 columns keep their positions), its per-row rule written once: the
-- statement's row in the previous snapshot is joined instead of 23 lag()s,
-- "fresh" is decided once per row, and every column is one counter_delta().
-- latest_intervals selects from it, so it is recreated too.
DROP VIEW query_perf_ml.latest_intervals;
DROP VIEW query_perf_ml.metrics_intervals;

-- Deltas between consecutive snapshots, in pg_stat_statements column names:
-- a valid source for train_model, validate_model and predict_all.  Each
-- interval runs from the previous snapshot to this one.  When the entry is
-- new since the previous snapshot, or was reset in between (a counter went
-- down, pg_stat_statements_reset, stats_since changed on 17+), its counters
-- all accrued inside the interval, so they are the deltas: a new series
-- starts, never a negative delta.  Intervals without calls are dropped, and
-- so is the first snapshot (it has no start).  blk_read_time and
-- blk_write_time hold PostgreSQL 17's shared_ + local_ times there.
CREATE VIEW query_perf_ml.metrics_intervals AS
SELECT h.queryid, h.userid, h.dbid, h.toplevel,
       ps.captured_at AS interval_start, s.captured_at AS interval_end, h.snapshot_id,
       v.calls, v.total_exec_time, v.total_exec_time / v.calls AS mean_exec_time,
       v.plans, v.total_plan_time, v.rows,
       v.shared_blks_hit, v.shared_blks_read, v.shared_blks_dirtied, v.shared_blks_written,
       v.local_blks_hit, v.local_blks_read, v.local_blks_dirtied, v.local_blks_written,
       v.temp_blks_read, v.temp_blks_written, v.blk_read_time, v.blk_write_time,
       v.wal_records, v.wal_fpi, v.wal_bytes,
       f.fresh AS new_series, t.query,
       v.temp_blk_read_time, v.temp_blk_write_time,
       v.jit_functions, v.jit_generation_time, v.jit_inlining_count, v.jit_inlining_time,
       v.jit_optimization_count, v.jit_optimization_time, v.jit_emission_count,
       v.jit_emission_time, v.jit_deform_count, v.jit_deform_time
  FROM query_perf_ml.metrics_history h
  JOIN query_perf_ml.snapshots s ON s.snapshot_id = h.snapshot_id
  JOIN query_perf_ml.snapshots ps ON ps.snapshot_id = s.prev_snapshot_id
  -- the same statement in the previous snapshot, if it was there
  LEFT JOIN query_perf_ml.metrics_history p
         ON p.snapshot_id = s.prev_snapshot_id AND p.userid = h.userid
        AND p.dbid = h.dbid AND p.queryid = h.queryid AND p.toplevel = h.toplevel
  CROSS JOIN LATERAL (
        SELECT coalesce(h.blk_read_time, h.shared_blk_read_time + h.local_blk_read_time) AS blk_read_time,
               coalesce(h.blk_write_time, h.shared_blk_write_time + h.local_blk_write_time) AS blk_write_time,
               coalesce(p.blk_read_time, p.shared_blk_read_time + p.local_blk_read_time) AS p_blk_read_time,
               coalesce(p.blk_write_time, p.shared_blk_write_time + p.local_blk_write_time) AS p_blk_write_time) io
  CROSS JOIN LATERAL (
        SELECT p.snapshot_id IS NULL
               OR s.series_break
               OR p.stats_since IS DISTINCT FROM h.stats_since
               -- LEAST ignores NULLs (columns this pg_stat_statements lacks)
               OR LEAST(h.calls - p.calls, h.total_exec_time - p.total_exec_time,
                        h.plans - p.plans, h.total_plan_time - p.total_plan_time, h.rows - p.rows,
                        h.shared_blks_hit - p.shared_blks_hit, h.shared_blks_read - p.shared_blks_read,
                        h.shared_blks_dirtied - p.shared_blks_dirtied,
                        h.shared_blks_written - p.shared_blks_written,
                        h.local_blks_hit - p.local_blks_hit, h.local_blks_read - p.local_blks_read,
                        h.local_blks_dirtied - p.local_blks_dirtied,
                        h.local_blks_written - p.local_blks_written,
                        h.temp_blks_read - p.temp_blks_read, h.temp_blks_written - p.temp_blks_written,
                        io.blk_read_time - io.p_blk_read_time, io.blk_write_time - io.p_blk_write_time,
                        h.wal_records - p.wal_records, h.wal_fpi - p.wal_fpi, h.wal_bytes - p.wal_bytes,
                        h.temp_blk_read_time - p.temp_blk_read_time,
                        h.temp_blk_write_time - p.temp_blk_write_time,
                        h.jit_functions - p.jit_functions,
                        h.jit_generation_time - p.jit_generation_time,
                        h.jit_inlining_count - p.jit_inlining_count,
                        h.jit_inlining_time - p.jit_inlining_time,
                        h.jit_optimization_count - p.jit_optimization_count,
                        h.jit_optimization_time - p.jit_optimization_time,
                        h.jit_emission_count - p.jit_emission_count,
                        h.jit_emission_time - p.jit_emission_time,
                        h.jit_deform_count - p.jit_deform_count,
                        h.jit_deform_time - p.jit_deform_time) < 0 AS fresh) f
  CROSS JOIN LATERAL (
        SELECT query_perf_ml.counter_delta(h.calls, p.calls, f.fresh) AS calls,
               query_perf_ml.counter_delta(h.total_exec_time, p.total_exec_time, f.fresh) AS total_exec_time,
               query_perf_ml.counter_delta(h.plans, p.plans, f.fresh) AS plans,
               query_perf_ml.counter_delta(h.total_plan_time, p.total_plan_time, f.fresh) AS total_plan_time,
               query_perf_ml.counter_delta(h.rows, p.rows, f.fresh) AS rows,
               query_perf_ml.counter_delta(h.shared_blks_hit, p.shared_blks_hit, f.fresh) AS shared_blks_hit,
               query_perf_ml.counter_delta(h.shared_blks_read, p.shared_blks_read, f.fresh) AS shared_blks_read,
               query_perf_ml.counter_delta(h.shared_blks_dirtied, p.shared_blks_dirtied, f.fresh) AS shared_blks_dirtied,
               query_perf_ml.counter_delta(h.shared_blks_written, p.shared_blks_written, f.fresh) AS shared_blks_written,
               query_perf_ml.counter_delta(h.local_blks_hit, p.local_blks_hit, f.fresh) AS local_blks_hit,
               query_perf_ml.counter_delta(h.local_blks_read, p.local_blks_read, f.fresh) AS local_blks_read,
               query_perf_ml.counter_delta(h.local_blks_dirtied, p.local_blks_dirtied, f.fresh) AS local_blks_dirtied,
               query_perf_ml.counter_delta(h.local_blks_written, p.local_blks_written, f.fresh) AS local_blks_written,
               query_perf_ml.counter_delta(h.temp_blks_read, p.temp_blks_read, f.fresh) AS temp_blks_read,
               query_perf_ml.counter_delta(h.temp_blks_written, p.temp_blks_written, f.fresh) AS temp_blks_written,
               query_perf_ml.counter_delta(io.blk_read_time, io.p_blk_read_time, f.fresh) AS blk_read_time,
               query_perf_ml.counter_delta(io.blk_write_time, io.p_blk_write_time, f.fresh) AS blk_write_time,
               query_perf_ml.counter_delta(h.wal_records, p.wal_records, f.fresh) AS wal_records,
               query_perf_ml.counter_delta(h.wal_fpi, p.wal_fpi, f.fresh) AS wal_fpi,
               query_perf_ml.counter_delta(h.wal_bytes, p.wal_bytes, f.fresh) AS wal_bytes,
               query_perf_ml.counter_delta(h.temp_blk_read_time, p.temp_blk_read_time, f.fresh) AS temp_blk_read_time,
               query_perf_ml.counter_delta(h.temp_blk_write_time, p.temp_blk_write_time, f.fresh) AS temp_blk_write_time,
               query_perf_ml.counter_delta(h.jit_functions, p.jit_functions, f.fresh) AS jit_functions,
               query_perf_ml.counter_delta(h.jit_generation_time, p.jit_generation_time, f.fresh) AS jit_generation_time,
               query_perf_ml.counter_delta(h.jit_inlining_count, p.jit_inlining_count, f.fresh) AS jit_inlining_count,
               query_perf_ml.counter_delta(h.jit_inlining_time, p.jit_inlining_time, f.fresh) AS jit_inlining_time,
               query_perf_ml.counter_delta(h.jit_optimization_count, p.jit_optimization_count, f.fresh) AS jit_optimization_count,
               query_perf_ml.counter_delta(h.jit_optimization_time, p.jit_optimization_time, f.fresh) AS jit_optimization_time,
               query_perf_ml.counter_delta(h.jit_emission_count, p.jit_emission_count, f.fresh) AS jit_emission_count,
               query_perf_ml.counter_delta(h.jit_emission_time, p.jit_emission_time, f.fresh) AS jit_emission_time,
               query_perf_ml.counter_delta(h.jit_deform_count, p.jit_deform_count, f.fresh) AS jit_deform_count,
               query_perf_ml.counter_delta(h.jit_deform_time, p.jit_deform_time, f.fresh) AS jit_deform_time) v
  LEFT JOIN query_perf_ml.query_texts t ON t.dbid = h.dbid AND t.queryid = h.queryid
 WHERE v.calls > 0;

-- The intervals that end at the newest snapshot: "what happened lately",
-- e.g. as the source of anomalies().
CREATE VIEW query_perf_ml.latest_intervals AS
SELECT i.*
  FROM query_perf_ml.metrics_intervals i
 WHERE i.snapshot_id = (SELECT max(snapshot_id) FROM query_perf_ml.snapshots);

REVOKE ALL ON query_perf_ml.metrics_intervals, query_perf_ml.latest_intervals FROM PUBLIC;
GRANT SELECT ON query_perf_ml.metrics_intervals, query_perf_ml.latest_intervals
    TO pg_read_all_stats;
COMMENT ON VIEW query_perf_ml.metrics_intervals IS
    'Counter deltas between consecutive snapshots, in pg_stat_statements column names: a training and validation source';
COMMENT ON VIEW query_perf_ml.latest_intervals IS
    'The metrics_intervals rows ending at the newest snapshot';

--
-- Privileges and resource limits (issue 9: §2, §4, §5).
--

-- The relation a version was trained on, itself: retraining reads this,
-- never a name resolved in some search_path.  A regclass dumps as the
-- relation's qualified name and restores by it (the relation is created
-- before model_store's rows are loaded).  NULL for imported models, which
-- have nothing to retrain on.  Versions stored before 1.2 get it when their
-- source text is the qualified name of a relation that exists now, which
-- is how train_model wrote it; the match is by name, without any
-- search_path, so an unqualified text (an import's 'import') matches none.
ALTER TABLE query_perf_ml.model_store ADD COLUMN source_relation regclass;
COMMENT ON COLUMN query_perf_ml.model_store.source_relation IS
    'The relation this version was trained on (NULL: imported, or trained before 1.2 on a relation that no longer exists); auto-retraining reads it and checks it still has the name in source.';
UPDATE query_perf_ml.model_store ms
   SET source_relation = c.oid
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE ms.source = pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
   AND c.relkind IN ('r', 'v', 'm', 'f', 'p');

CREATE OR REPLACE VIEW query_perf_ml.models AS
    SELECT model_id, name, version, algorithm, is_active, created_at, n_train,
           metrics, options, pg_catalog.octet_length(model)::bigint AS size_bytes,
           feature_set, activated_at, n_test, created_by, source, source_relation
      FROM query_perf_ml.model_store;
COMMENT ON VIEW query_perf_ml.models IS
    'One row per model version (model_store without the blob); readable by every role.';

-- A training metric that is not a number in [1, 1e300] (an import accepted
-- by 1.1 could store one) reads as NULL instead of failing the whole
-- function for every model; drifted is never NULL.
CREATE OR REPLACE FUNCTION query_perf_ml.prediction_accuracy(since interval DEFAULT '1 day')
RETURNS SETOF query_perf_ml.accuracy
LANGUAGE sql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
WITH logged AS (
    SELECT l.* FROM query_perf_ml.prediction_log l
     WHERE l.made_at >= now() - coalesce(since, interval '1 day')
), later AS MATERIALIZED (
    SELECT i.queryid, i.dbid, i.interval_end, i.calls, i.total_exec_time
      FROM query_perf_ml.metrics_intervals i
     WHERE i.interval_end > (SELECT min(made_at) FROM logged)
), matched AS (
    SELECT l.log_id, l.model_id, l.model_name, l.predicted_ms, l.lower_ms, l.upper_ms,
           l.interval_level,
           sum(i.total_exec_time) / sum(i.calls) AS actual_ms
      FROM logged l
      JOIN later i ON i.queryid = l.queryid AND i.dbid = l.dbid
                  AND i.interval_end > l.made_at
     GROUP BY l.log_id, l.model_id, l.model_name, l.predicted_ms, l.lower_ms,
              l.upper_ms, l.interval_level
), scored AS (
    SELECT m.*, GREATEST(m.actual_ms / m.predicted_ms, m.predicted_ms / m.actual_ms) AS q,
           (m.actual_ms BETWEEN m.lower_ms AND m.upper_ms)::int AS covered
      FROM matched m
     WHERE m.actual_ms > 0 AND m.predicted_ms > 0
), per_model AS (
    SELECT s.model_id, max(s.model_name) AS model_name, count(*) AS n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY s.q) AS median_q_error,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY s.q) AS p90_q_error,
           avg(s.covered)::double precision AS interval_coverage,
           max(s.interval_level) AS interval_level
      FROM scored s
     GROUP BY s.model_id
), trained AS (
    SELECT ms.model_id,
           CASE WHEN jsonb_typeof(ms.metrics -> 'median_q_error') = 'number'
                THEN CASE WHEN (ms.metrics ->> 'median_q_error')::numeric BETWEEN 1 AND 1e300
                          THEN (ms.metrics ->> 'median_q_error')::double precision END
           END AS median_q_error
      FROM query_perf_ml.model_store ms
     WHERE ms.model_id IN (SELECT model_id FROM per_model)
)
SELECT p.model_id, p.model_name, p.n, p.median_q_error, p.p90_q_error,
       p.interval_coverage, p.interval_level, t.median_q_error,
       p.n >= 20 AND coalesce(p.median_q_error > 1.5 * t.median_q_error
                              OR p.interval_coverage < p.interval_level - 0.2, false)
  FROM per_model p
  LEFT JOIN trained t ON t.model_id = p.model_id
 ORDER BY p.model_name, p.model_id
$$;
COMMENT ON FUNCTION query_perf_ml.prediction_accuracy(interval) IS
    'Accuracy of the predictions logged since now() - since, per model, and whether the model drifted (README "Prediction log and accuracy").';

-- The live state of a job no longer takes the role the job runs as from
-- its caller (1.1 trusted a run_as argument): it reads the role of the
-- worker process, which connects as the job's role.
CREATE FUNCTION query_perf_ml.training_job_live(
    job_id bigint, state text, pid integer, row_xmax xid,
    OUT state text, OUT progress text, OUT lost boolean)
RETURNS record
AS 'MODULE_PATHNAME', 'qpm_training_job_live_1_2'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION query_perf_ml.training_job_live(bigint, text, integer, xid) IS
    'Internal to the training_jobs view: a lost worker''s job is failed; progress only for roles with the privileges of the worker''s role or of pg_read_all_stats.';

-- A security barrier: a caller's cheap function in WHERE is evaluated only
-- on the rows the view's own condition lets the caller see.
CREATE OR REPLACE VIEW query_perf_ml.training_jobs WITH (security_barrier = true) AS
SELECT j.job_id, j.name, j.algorithm, j.source, l.state,
       coalesce(l.progress, j.progress) AS progress,
       j.submitted_at, j.started_at, j.finished_at,
       CASE WHEN l.lost
            THEN pg_catalog.format('training worker (pid %s) exited without recording a result', j.pid)
            ELSE j.error END AS error,
       CASE WHEN l.lost THEN 'XX000' ELSE j.sqlstate END AS sqlstate,
       j.model_id, j.submitted_by, j.auto_retrain, j.options, j.pid
  FROM query_perf_ml.training_job_store j
  CROSS JOIN LATERAL query_perf_ml.training_job_live(j.job_id, j.state, j.pid, j.xmax) l
 WHERE pg_catalog.pg_has_role(j.run_as, 'USAGE')
    OR pg_catalog.pg_has_role('pg_read_all_stats', 'USAGE');
COMMENT ON VIEW query_perf_ml.training_jobs IS
    'Training jobs of the roles whose privileges the caller has (all of them for pg_read_all_stats), with their live state; a security barrier.';

DROP FUNCTION query_perf_ml.training_job_live(bigint, text, integer, xid, oid);

-- ---------------------------------------------------------------------------
-- Plan capture (issue 11, part 1): executed plans sampled into a shared
-- buffer (with query_perf_ml in shared_preload_libraries and
-- query_perf_ml.capture_plans = on), moved into plan_samples by
-- flush_plan_samples() (also called by snapshot(), hence by the background
-- worker); plan_features(sql) plans a statement without running it.
-- ---------------------------------------------------------------------------

CREATE TABLE query_perf_ml.plan_samples (
    sample_id   bigserial PRIMARY KEY,
    captured_at timestamptz NOT NULL,     -- when the statement ended
    dbid        oid NOT NULL,
    userid      oid NOT NULL,
    queryid     bigint,                   -- NULL when compute_query_id gave none
    completed   boolean NOT NULL,         -- false: cancelled, failed or fetched in part
    total_cost  float8 NOT NULL,          -- the plan root's estimates
    plan_rows   float8 NOT NULL,
    exec_ms     float8 NOT NULL,          -- executor time; a lower bound when not completed
    rows        bigint NOT NULL,          -- rows returned or affected
    feature_set text NOT NULL,            -- 'plan/1'
    features    float8[] NOT NULL         -- in feature order; NULL elements are missing values
);
CREATE INDEX ON query_perf_ml.plan_samples (captured_at);
COMMENT ON TABLE query_perf_ml.plan_samples IS
    'executed statements with their plan features and execution time, moved here from the capture buffer by flush_plan_samples()';

SELECT pg_catalog.pg_extension_config_dump('query_perf_ml.plan_samples', '');
SELECT pg_catalog.pg_extension_config_dump('query_perf_ml.plan_samples_sample_id_seq', '');
REVOKE ALL ON query_perf_ml.plan_samples FROM PUBLIC;
GRANT SELECT ON query_perf_ml.plan_samples TO pg_read_all_stats;

CREATE FUNCTION query_perf_ml.flush_plan_samples()
RETURNS bigint
AS 'MODULE_PATHNAME', 'qpm_flush_plan_samples'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION query_perf_ml.flush_plan_samples() FROM PUBLIC;
COMMENT ON FUNCTION query_perf_ml.flush_plan_samples() IS
    'move the current database''s captured plan samples from the capture buffer into plan_samples; returns how many';

CREATE FUNCTION query_perf_ml.plan_capture_status(
    OUT preloaded boolean, OUT capturing boolean, OUT sample_rate float8,
    OUT buffer_size integer, OUT buffered bigint, OUT buffered_here bigint,
    OUT captured bigint, OUT incomplete bigint, OUT overwritten bigint, OUT flushed bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'qpm_plan_capture_status'
LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION query_perf_ml.plan_capture_status() IS
    'plan capture: settings, samples waiting in the buffer (all databases, this one), and counters since server start';

CREATE FUNCTION query_perf_ml.plan_features(sql text, OUT feature text, OUT value float8)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'qpm_plan_features_sql'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION query_perf_ml.plan_features(text) IS
    'the plan/1 features of one statement, planned with the caller''s privileges and settings and never executed';

-- snapshot() flushes the plan samples too, first: a failed snapshot rolls
-- the flush back and the samples stay in the buffer.  The rest is 1.1's.
CREATE OR REPLACE FUNCTION query_perf_ml.snapshot()
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_nsp     name;
    v_pgss    regclass;
    v_cols    text;
    v_id      integer;
    v_prev    integer;
    v_n       integer;
    v_reset   timestamptz;
    v_dealloc bigint;
    v_now     timestamptz;
BEGIN
    PERFORM query_perf_ml.flush_plan_samples();
    SELECT n.nspname INTO v_nsp
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'pg_stat_statements';
    IF v_nsp IS NULL THEN
        RAISE EXCEPTION 'extension "pg_stat_statements" is not installed'
            USING ERRCODE = '55000',
                  HINT = 'Run CREATE EXTENSION pg_stat_statements in this database.';
    END IF;
    v_pgss := format('%I.pg_stat_statements', v_nsp)::regclass;
    -- Copy the columns this pg_stat_statements version has (13 lacks
    -- toplevel, 17 renamed the block times): the others stay NULL.
    SELECT string_agg(quote_ident(h.attname), ', ' ORDER BY h.attnum) INTO v_cols
      FROM pg_attribute h
      JOIN pg_attribute s ON s.attrelid = v_pgss AND s.attname = h.attname
                         AND s.attnum > 0 AND NOT s.attisdropped
     WHERE h.attrelid = 'query_perf_ml.metrics_history'::regclass
       AND h.attnum > 0 AND NOT h.attisdropped;

    -- One snapshot at a time, so prev_snapshot_id is the true predecessor.
    LOCK TABLE query_perf_ml.snapshots IN SHARE ROW EXCLUSIVE MODE;
    SELECT max(snapshot_id) INTO v_prev FROM query_perf_ml.snapshots;
    IF to_regclass(format('%I.pg_stat_statements_info', v_nsp)) IS NOT NULL THEN
        EXECUTE format('SELECT stats_reset, dealloc FROM %I.pg_stat_statements_info', v_nsp)
            INTO v_reset, v_dealloc;
    END IF;
    v_now := clock_timestamp();
    INSERT INTO query_perf_ml.snapshots AS s
           (captured_at, prev_snapshot_id, stats_reset, dealloc, series_break)
    SELECT v_now, v_prev, v_reset, v_dealloc,
           p.snapshot_id IS NOT NULL AND p.stats_reset IS DISTINCT FROM v_reset
      FROM (SELECT 1) one
      LEFT JOIN query_perf_ml.snapshots p ON p.snapshot_id = v_prev
    RETURNING s.snapshot_id INTO v_id;

    -- showtext => false: the counters without reading the texts file.
    EXECUTE format('INSERT INTO query_perf_ml.metrics_history (snapshot_id, captured_at, %s) '
                   'SELECT $1, $2, %s FROM %I.pg_stat_statements(false) '
                   'WHERE queryid IS NOT NULL AND calls > 0', v_cols, v_cols, v_nsp)
        USING v_id, v_now;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    UPDATE query_perf_ml.snapshots SET statements = v_n WHERE snapshot_id = v_id;

    -- Texts of statements not seen before.  Reading the texts file is the
    -- expensive part of pg_stat_statements: skip it when nothing is new.
    IF NOT EXISTS (SELECT 1 FROM query_perf_ml.metrics_history h
                    WHERE h.snapshot_id = v_id
                      AND NOT EXISTS (SELECT 1 FROM query_perf_ml.query_texts t
                                       WHERE t.dbid = h.dbid AND t.queryid = h.queryid)) THEN
        RETURN v_id;
    END IF;
    EXECUTE format('INSERT INTO query_perf_ml.query_texts (dbid, queryid, query, first_seen) '
                   'SELECT DISTINCT ON (dbid, queryid) dbid, queryid, query, $1 '
                   'FROM %I.pg_stat_statements(true) s WHERE s.queryid IS NOT NULL '
                   'AND NOT EXISTS (SELECT 1 FROM query_perf_ml.query_texts t '
                   'WHERE t.dbid = s.dbid AND t.queryid = s.queryid) '
                   'ON CONFLICT DO NOTHING', v_nsp)
        USING v_now;
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION query_perf_ml.snapshot() IS
    'copy pg_stat_statements into metrics_history (and flush captured plan samples); returns the snapshot id';

-- purge_history() also deletes plan samples older than the cutoff; it
-- still returns the metrics_history rows deleted.  The rest is 1.1's.
CREATE OR REPLACE FUNCTION query_perf_ml.purge_history(older_than interval DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_keep   interval := coalesce(older_than, query_perf_ml.history_retention());
    v_cutoff timestamptz;
    v_n      bigint;
BEGIN
    IF v_keep IS NULL THEN
        RETURN 0;               -- history_retention = 0: keep forever
    END IF;
    IF v_keep < interval '0' THEN
        RAISE EXCEPTION 'older_than must not be negative' USING ERRCODE = '22023';
    END IF;
    v_cutoff := now() - v_keep;
    DELETE FROM query_perf_ml.metrics_history
     WHERE snapshot_id IN (SELECT snapshot_id FROM query_perf_ml.snapshots
                            WHERE captured_at < v_cutoff);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    DELETE FROM query_perf_ml.snapshots WHERE captured_at < v_cutoff;
    DELETE FROM query_perf_ml.prediction_log WHERE made_at < v_cutoff;
    DELETE FROM query_perf_ml.plan_samples WHERE captured_at < v_cutoff;
    DELETE FROM query_perf_ml.query_texts t
     WHERE NOT EXISTS (SELECT 1 FROM query_perf_ml.metrics_history h
                        WHERE h.dbid = t.dbid AND h.queryid = t.queryid);
    RETURN v_n;
END
$$;
COMMENT ON FUNCTION query_perf_ml.purge_history(interval) IS
    'delete history, logged predictions and plan samples older than older_than (NULL: history_retention); returns the history rows deleted';

-- ---------------------------------------------------------------------------
-- Predicting statements that have never run (README "Predicting a statement
-- before it runs"): the statement is planned as plan_features() plans it,
-- never executed, and its plan/1 vector goes through a plan/1 model (by
-- default the most recently activated one).  Both run as the caller (not
-- SECURITY DEFINER); VOLATILE and PARALLEL UNSAFE because planning runs in
-- a subtransaction.  explain_prediction keeps its (bigint, ...) and
-- (jsonb, ...) forms only: a text overload would take untyped literals.
-- ---------------------------------------------------------------------------
CREATE FUNCTION query_perf_ml.predict_statement(sql text, model text DEFAULT NULL)
RETURNS query_perf_ml.prediction
AS 'MODULE_PATHNAME', 'qpm_predict_statement'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;

CREATE FUNCTION query_perf_ml.explain_statement_prediction(sql text, model text DEFAULT NULL)
RETURNS TABLE (feature text, value double precision, contribution double precision)
AS 'MODULE_PATHNAME', 'qpm_explain_statement_prediction'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE ROWS 46;

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
COMMENT ON TABLE query_perf_ml.snapshots IS
  'One row per snapshot() of pg_stat_statements: when, how many statements, and whether statistics were reset since the previous one';
COMMENT ON TABLE query_perf_ml.metrics_history IS
  'The pg_stat_statements counters of every statement at every snapshot (cumulative, as pg_stat_statements reports them)';
COMMENT ON TABLE query_perf_ml.query_texts IS
  'Normalized statement texts, stored once per (dbid, queryid) when first seen by snapshot()';
COMMENT ON TABLE query_perf_ml.prediction_log IS
  'Predictions by queryid logged when query_perf_ml.log_predictions is on; prediction_accuracy() matches them with later history';
COMMENT ON TABLE query_perf_ml.training_job_store IS
  'Asynchronous training jobs as submitted and finished (read it through the training_jobs view)';

COMMENT ON FUNCTION query_perf_ml.train_model(text, text, regclass, jsonb) IS
  'Train a model on a pg_stat_statements-style source (NULL = pg_stat_statements) and store it as the new active version of name';
COMMENT ON FUNCTION query_perf_ml.train_model_async(text, text, regclass, jsonb) IS
  'train_model in a background worker running as the caller; returns the job id (see training_jobs)';
COMMENT ON FUNCTION query_perf_ml.cancel_training(bigint) IS
  'Cancel a queued asynchronous training job or signal a running one; false when it had already finished';
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
COMMENT ON FUNCTION query_perf_ml.history_retention() IS
  'The query_perf_ml.history_retention setting as an interval (NULL when 0: keep forever)';
COMMENT ON FUNCTION query_perf_ml.anomalies(text, regclass, integer) IS
  'Statements slower than the upper end of their prediction interval, ranked by the excess time they cost';
COMMENT ON FUNCTION query_perf_ml.predict_statement(text, text) IS
  'Predicted execution time of one statement that need not have run: planned with the caller''s privileges, never executed, predicted by a plan/1 model';
COMMENT ON FUNCTION query_perf_ml.explain_statement_prediction(text, text) IS
  'Contribution of each plan/1 feature (exact SHAP values on the log-ms scale) to predict_statement''s prediction';
