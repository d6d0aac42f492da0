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
