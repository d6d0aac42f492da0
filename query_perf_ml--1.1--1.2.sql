/* query_perf_ml--1.1--1.2.sql — upgrade from 1.1; CREATE EXTENSION runs 1.0, 1.0--1.1, then this. */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION query_perf_ml UPDATE TO '1.2'" to load this file. \quit

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
