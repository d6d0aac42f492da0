/* query_perf_ml--1.0--1.1.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION query_perf_ml UPDATE TO '1.1'" to load this file. \quit

-- 1.0 is released: it is never edited again.  Everything new goes here, and
-- CREATE EXTENSION runs 1.0 then this script (the pg_stat_statements way),
-- so fresh installs and upgraded ones are the same by construction.

--
-- Workload history: snapshots of pg_stat_statements and interval deltas.
--
-- snapshot() copies the counters (not the texts: those go once per
-- statement into query_texts) as the extension owner, who can see every
-- statement; the tables hold every role's statements, so they are readable
-- only by pg_read_all_stats, like the query texts of pg_stat_statements.
--
CREATE TABLE query_perf_ml.snapshots (
    snapshot_id      serial PRIMARY KEY,
    captured_at      timestamptz NOT NULL,
    prev_snapshot_id integer,           -- the newest snapshot when this one was taken
    statements       integer NOT NULL DEFAULT 0,
    stats_reset      timestamptz,       -- pg_stat_statements_info (PostgreSQL 14+)
    dealloc          bigint,
    series_break     boolean NOT NULL DEFAULT false  -- reset since prev_snapshot_id
);

CREATE TABLE query_perf_ml.metrics_history (
    snapshot_id         integer NOT NULL,
    captured_at         timestamptz NOT NULL,
    userid              oid NOT NULL,
    dbid                oid NOT NULL,
    toplevel            boolean NOT NULL DEFAULT true,
    queryid             bigint NOT NULL,
    plans               bigint,
    total_plan_time     double precision,
    calls               bigint NOT NULL,
    total_exec_time     double precision NOT NULL,
    rows                bigint,
    shared_blks_hit     bigint,
    shared_blks_read    bigint,
    shared_blks_dirtied bigint,
    shared_blks_written bigint,
    local_blks_hit      bigint,
    local_blks_read     bigint,
    local_blks_dirtied  bigint,
    local_blks_written  bigint,
    temp_blks_read      bigint,
    temp_blks_written   bigint,
    blk_read_time       double precision,
    blk_write_time      double precision,
    wal_records         bigint,
    wal_fpi             bigint,
    wal_bytes           numeric,
    stats_since         timestamptz,    -- pg_stat_statements 1.11 (PostgreSQL 17+)
    -- snapshot_id first: a snapshot appends to the right edge of the index
    -- (cheap), and purging deletes a key range.
    PRIMARY KEY (snapshot_id, userid, dbid, queryid, toplevel)
);

CREATE TABLE query_perf_ml.query_texts (
    dbid       oid NOT NULL,
    queryid    bigint NOT NULL,
    query      text,
    first_seen timestamptz NOT NULL,
    PRIMARY KEY (dbid, queryid)
);

SELECT pg_catalog.pg_extension_config_dump('query_perf_ml.snapshots', '');
SELECT pg_catalog.pg_extension_config_dump('query_perf_ml.snapshots_snapshot_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('query_perf_ml.metrics_history', '');
SELECT pg_catalog.pg_extension_config_dump('query_perf_ml.query_texts', '');

REVOKE ALL ON query_perf_ml.snapshots, query_perf_ml.metrics_history,
    query_perf_ml.query_texts FROM PUBLIC;
GRANT SELECT ON query_perf_ml.snapshots, query_perf_ml.metrics_history,
    query_perf_ml.query_texts TO pg_read_all_stats;

-- The retention setting as an interval (NULL = keep forever).  A C function
-- so that reading it loads the library, which defines the setting.
CREATE FUNCTION query_perf_ml.history_retention()
RETURNS interval
AS 'MODULE_PATHNAME', 'qpm_history_retention'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION query_perf_ml.snapshot()
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

CREATE FUNCTION query_perf_ml.purge_history(older_than interval DEFAULT NULL)
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
    DELETE FROM query_perf_ml.query_texts t
     WHERE NOT EXISTS (SELECT 1 FROM query_perf_ml.metrics_history h
                        WHERE h.dbid = t.dbid AND h.queryid = t.queryid);
    RETURN v_n;
END
$$;

-- Deltas between consecutive snapshots, in pg_stat_statements column names:
-- a valid source for train_model, validate_model and predict_all.  Each
-- interval runs from the previous snapshot to this one.  When the entry is
-- new since the previous snapshot, or was reset in between (a counter went
-- down, pg_stat_statements_reset, stats_since changed on 17+), its counters
-- all accrued inside the interval, so they are the deltas: a new series
-- starts, never a negative delta.  Intervals without calls are dropped, and
-- so is the first snapshot (it has no start).
CREATE VIEW query_perf_ml.metrics_intervals AS
SELECT d.queryid, d.userid, d.dbid, d.toplevel,
       ps.captured_at AS interval_start, s.captured_at AS interval_end, d.snapshot_id,
       v.calls, v.total_exec_time, v.total_exec_time / v.calls AS mean_exec_time,
       v.plans, v.total_plan_time, v.rows,
       v.shared_blks_hit, v.shared_blks_read, v.shared_blks_dirtied, v.shared_blks_written,
       v.local_blks_hit, v.local_blks_read, v.local_blks_dirtied, v.local_blks_written,
       v.temp_blks_read, v.temp_blks_written, v.blk_read_time, v.blk_write_time,
       v.wal_records, v.wal_fpi, v.wal_bytes,
       f.fresh AS new_series, t.query
  FROM (SELECT h.*,
               lag(h.snapshot_id) OVER w AS p_snapshot_id,
               lag(h.stats_since) OVER w AS p_stats_since,
               lag(h.calls) OVER w AS p_calls,
               lag(h.total_exec_time) OVER w AS p_total_exec_time,
               lag(h.plans) OVER w AS p_plans,
               lag(h.total_plan_time) OVER w AS p_total_plan_time,
               lag(h.rows) OVER w AS p_rows,
               lag(h.shared_blks_hit) OVER w AS p_shared_blks_hit,
               lag(h.shared_blks_read) OVER w AS p_shared_blks_read,
               lag(h.shared_blks_dirtied) OVER w AS p_shared_blks_dirtied,
               lag(h.shared_blks_written) OVER w AS p_shared_blks_written,
               lag(h.local_blks_hit) OVER w AS p_local_blks_hit,
               lag(h.local_blks_read) OVER w AS p_local_blks_read,
               lag(h.local_blks_dirtied) OVER w AS p_local_blks_dirtied,
               lag(h.local_blks_written) OVER w AS p_local_blks_written,
               lag(h.temp_blks_read) OVER w AS p_temp_blks_read,
               lag(h.temp_blks_written) OVER w AS p_temp_blks_written,
               lag(h.blk_read_time) OVER w AS p_blk_read_time,
               lag(h.blk_write_time) OVER w AS p_blk_write_time,
               lag(h.wal_records) OVER w AS p_wal_records,
               lag(h.wal_fpi) OVER w AS p_wal_fpi,
               lag(h.wal_bytes) OVER w AS p_wal_bytes
          FROM query_perf_ml.metrics_history h
        WINDOW w AS (PARTITION BY h.userid, h.dbid, h.queryid, h.toplevel
                     ORDER BY h.snapshot_id)) d
  JOIN query_perf_ml.snapshots s ON s.snapshot_id = d.snapshot_id
  JOIN query_perf_ml.snapshots ps ON ps.snapshot_id = s.prev_snapshot_id
  CROSS JOIN LATERAL (
        SELECT d.p_snapshot_id IS DISTINCT FROM s.prev_snapshot_id
               OR s.series_break
               OR d.p_stats_since IS DISTINCT FROM d.stats_since
               -- LEAST ignores NULLs (columns this pg_stat_statements lacks)
               OR LEAST(
                           d.calls - d.p_calls,
                           d.total_exec_time - d.p_total_exec_time,
                           d.plans - d.p_plans,
                           d.total_plan_time - d.p_total_plan_time,
                           d.rows - d.p_rows,
                           d.shared_blks_hit - d.p_shared_blks_hit,
                           d.shared_blks_read - d.p_shared_blks_read,
                           d.shared_blks_dirtied - d.p_shared_blks_dirtied,
                           d.shared_blks_written - d.p_shared_blks_written,
                           d.local_blks_hit - d.p_local_blks_hit,
                           d.local_blks_read - d.p_local_blks_read,
                           d.local_blks_dirtied - d.p_local_blks_dirtied,
                           d.local_blks_written - d.p_local_blks_written,
                           d.temp_blks_read - d.p_temp_blks_read,
                           d.temp_blks_written - d.p_temp_blks_written,
                           d.blk_read_time - d.p_blk_read_time,
                           d.blk_write_time - d.p_blk_write_time,
                           d.wal_records - d.p_wal_records,
                           d.wal_fpi - d.p_wal_fpi,
                           d.wal_bytes - d.p_wal_bytes) < 0 AS fresh) f
  CROSS JOIN LATERAL (
        SELECT
               d.calls - CASE WHEN f.fresh THEN 0 ELSE d.p_calls END AS calls,
               d.total_exec_time - CASE WHEN f.fresh THEN 0 ELSE d.p_total_exec_time END AS total_exec_time,
               d.plans - CASE WHEN f.fresh THEN 0 ELSE d.p_plans END AS plans,
               d.total_plan_time - CASE WHEN f.fresh THEN 0 ELSE d.p_total_plan_time END AS total_plan_time,
               d.rows - CASE WHEN f.fresh THEN 0 ELSE d.p_rows END AS rows,
               d.shared_blks_hit - CASE WHEN f.fresh THEN 0 ELSE d.p_shared_blks_hit END AS shared_blks_hit,
               d.shared_blks_read - CASE WHEN f.fresh THEN 0 ELSE d.p_shared_blks_read END AS shared_blks_read,
               d.shared_blks_dirtied - CASE WHEN f.fresh THEN 0 ELSE d.p_shared_blks_dirtied END AS shared_blks_dirtied,
               d.shared_blks_written - CASE WHEN f.fresh THEN 0 ELSE d.p_shared_blks_written END AS shared_blks_written,
               d.local_blks_hit - CASE WHEN f.fresh THEN 0 ELSE d.p_local_blks_hit END AS local_blks_hit,
               d.local_blks_read - CASE WHEN f.fresh THEN 0 ELSE d.p_local_blks_read END AS local_blks_read,
               d.local_blks_dirtied - CASE WHEN f.fresh THEN 0 ELSE d.p_local_blks_dirtied END AS local_blks_dirtied,
               d.local_blks_written - CASE WHEN f.fresh THEN 0 ELSE d.p_local_blks_written END AS local_blks_written,
               d.temp_blks_read - CASE WHEN f.fresh THEN 0 ELSE d.p_temp_blks_read END AS temp_blks_read,
               d.temp_blks_written - CASE WHEN f.fresh THEN 0 ELSE d.p_temp_blks_written END AS temp_blks_written,
               d.blk_read_time - CASE WHEN f.fresh THEN 0 ELSE d.p_blk_read_time END AS blk_read_time,
               d.blk_write_time - CASE WHEN f.fresh THEN 0 ELSE d.p_blk_write_time END AS blk_write_time,
               d.wal_records - CASE WHEN f.fresh THEN 0 ELSE d.p_wal_records END AS wal_records,
               d.wal_fpi - CASE WHEN f.fresh THEN 0 ELSE d.p_wal_fpi END AS wal_fpi,
               d.wal_bytes - CASE WHEN f.fresh THEN 0 ELSE d.p_wal_bytes END AS wal_bytes) v
  LEFT JOIN query_perf_ml.query_texts t ON t.dbid = d.dbid AND t.queryid = d.queryid
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

REVOKE EXECUTE ON FUNCTION query_perf_ml.snapshot() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION query_perf_ml.purge_history(interval) FROM PUBLIC;

--
-- Prediction log, accuracy tracking, anomalies.
--
-- With query_perf_ml.log_predictions = on, predict_query_execution(queryid)
-- appends a row here (written as the extension owner; skipped in read-only
-- transactions and on standbys).
--
CREATE TABLE query_perf_ml.prediction_log (
    log_id         bigserial PRIMARY KEY,
    made_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
    model_id       bigint NOT NULL,
    model_name     text NOT NULL,
    queryid        bigint NOT NULL,
    dbid           oid NOT NULL,
    predicted_ms   double precision NOT NULL,
    lower_ms       double precision,
    upper_ms       double precision,
    interval_level double precision,
    made_by        name NOT NULL
);
CREATE INDEX prediction_log_made_at ON query_perf_ml.prediction_log (made_at);

-- It may write now (the log), so it is no longer STABLE.
ALTER FUNCTION query_perf_ml.predict_query_execution(bigint, text, regclass) VOLATILE;

SELECT pg_catalog.pg_extension_config_dump('query_perf_ml.prediction_log', '');
SELECT pg_catalog.pg_extension_config_dump('query_perf_ml.prediction_log_log_id_seq', '');
REVOKE ALL ON query_perf_ml.prediction_log FROM PUBLIC;
GRANT SELECT ON query_perf_ml.prediction_log TO pg_read_all_stats;

CREATE TYPE query_perf_ml.accuracy AS (
    model_id             bigint,
    model_name           text,
    n                    bigint,
    median_q_error       double precision,
    p90_q_error          double precision,
    interval_coverage    double precision,
    interval_level       double precision,
    train_median_q_error double precision,
    drifted              boolean
);

-- Logged predictions made since now() - since, each matched with the mean
-- time its statement actually had in the history intervals that end after
-- the prediction (the one it was made in and the later ones); per model.  drifted (README "Accuracy and
-- drift"): at least 20 matched predictions and a median q-error above 1.5
-- times the model's held-out one at training, or a coverage more than 0.2
-- below the nominal level.
CREATE FUNCTION query_perf_ml.prediction_accuracy(since interval DEFAULT '1 day')
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
)
SELECT p.model_id, p.model_name, p.n, p.median_q_error, p.p90_q_error,
       p.interval_coverage, p.interval_level,
       (ms.metrics ->> 'median_q_error')::double precision,
       p.n >= 20 AND (p.median_q_error > 1.5 * (ms.metrics ->> 'median_q_error')::double precision
                      OR p.interval_coverage < p.interval_level - 0.2)
  FROM per_model p
  LEFT JOIN query_perf_ml.model_store ms ON ms.model_id = p.model_id
 ORDER BY p.model_name, p.model_id
$$;

-- Statements whose actual mean time is above the prediction interval,
-- ranked by the time they cost beyond it: calls x (actual - upper).
CREATE FUNCTION query_perf_ml.anomalies(
    model     text DEFAULT NULL,
    source    regclass DEFAULT NULL,
    min_calls integer DEFAULT 10)
RETURNS TABLE (
    queryid      bigint,
    query        text,
    calls        bigint,
    actual_ms    double precision,
    predicted_ms double precision,
    upper_ms     double precision,
    excess_ms    double precision)
LANGUAGE sql STABLE PARALLEL RESTRICTED ROWS 100
SET search_path = pg_catalog, pg_temp
AS $$
SELECT p.queryid, p.query, p.calls, p.actual_ms, p.predicted_ms, p.upper_ms,
       p.calls * (p.actual_ms - p.upper_ms)
  FROM query_perf_ml.predict_all(anomalies.model, anomalies.source) p
 WHERE p.calls >= coalesce(anomalies.min_calls, 0)
   AND p.actual_ms > p.upper_ms
 ORDER BY 7 DESC, 1
$$;

--
-- Background worker and asynchronous training.
--
--
-- train_model_async() inserts a job here (as the extension owner) and
-- starts a dynamic background worker for it; the worker waits for the
-- submitting transaction to end, claims the job, trains as the submitting
-- role and records the outcome.  Written only by the extension's C code.
-- Not registered with pg_extension_config_dump: a job row describes a
-- process of this server (its pid, its live state); the models it produced
-- are in model_store, which is dumped, with their options and creator.
--
CREATE TABLE query_perf_ml.training_job_store (
    job_id        bigserial PRIMARY KEY,
    name          text NOT NULL,
    algorithm     text NOT NULL,
    source        regclass,
    options       jsonb NOT NULL,
    settings      jsonb NOT NULL DEFAULT '{}',  -- the submitter's training settings
    auto_retrain  boolean NOT NULL DEFAULT false,
    state         text NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    progress      text,
    submitted_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    error         text,
    sqlstate      text,
    model_id      bigint,
    submitted_by  name NOT NULL,
    run_as        oid NOT NULL,     -- role the training runs as
    pid           integer           -- the job's worker process
);
CREATE INDEX training_job_store_active
    ON query_perf_ml.training_job_store (name) WHERE state IN ('queued', 'running');
REVOKE ALL ON query_perf_ml.training_job_store FROM PUBLIC;

-- Live state of a job: a queued or running job whose worker process is
-- gone without recording an outcome is reported 'failed' (lost = true),
-- and a running job's progress is read from its worker (shown to roles
-- that may see the job's role, like pg_stat_activity's query text).
CREATE FUNCTION query_perf_ml.training_job_live(
    job_id bigint, state text, pid integer, row_xmax xid, run_as oid,
    OUT state text, OUT progress text, OUT lost boolean)
RETURNS record
AS 'MODULE_PATHNAME', 'qpm_training_job_live'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE VIEW query_perf_ml.training_jobs AS
SELECT j.job_id, j.name, j.algorithm, j.source, l.state,
       coalesce(l.progress, j.progress) AS progress,
       j.submitted_at, j.started_at, j.finished_at,
       CASE WHEN l.lost
            THEN pg_catalog.format('training worker (pid %s) exited without recording a result', j.pid)
            ELSE j.error END AS error,
       CASE WHEN l.lost THEN 'XX000' ELSE j.sqlstate END AS sqlstate,
       j.model_id, j.submitted_by, j.auto_retrain, j.options, j.pid
  FROM query_perf_ml.training_job_store j
  CROSS JOIN LATERAL query_perf_ml.training_job_live(j.job_id, j.state, j.pid, j.xmax, j.run_as) l
 WHERE pg_catalog.pg_has_role(j.run_as, 'USAGE')
    OR pg_catalog.pg_has_role('pg_read_all_stats', 'USAGE');
GRANT SELECT ON query_perf_ml.training_jobs TO PUBLIC;

-- Training in a background worker, as the calling role; returns the job id.
CREATE FUNCTION query_perf_ml.train_model_async(
    name      text,
    algorithm text DEFAULT 'gradient_boosting',
    source    regclass DEFAULT NULL,
    options   jsonb DEFAULT '{}')
RETURNS bigint
AS 'MODULE_PATHNAME', 'qpm_train_model_async'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;

CREATE FUNCTION query_perf_ml.cancel_training(job_id bigint)
RETURNS boolean
AS 'MODULE_PATHNAME', 'qpm_cancel_training'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;

REVOKE EXECUTE ON FUNCTION query_perf_ml.train_model_async(text, text, regclass, jsonb) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION query_perf_ml.cancel_training(bigint) FROM PUBLIC;
