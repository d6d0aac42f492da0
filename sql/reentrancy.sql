-- reentrancy: a function that scans a source keeps the model it looked up
-- while the source runs user SQL that calls the extension back: more model
-- names than the backend cache holds (16), activations and trainings, a
-- reset of every relation cache entry, nested scans, and errors caught
-- inside the source.  Each call must answer exactly what it answers on a
-- plain table (before pins, it walked freed trees and the server crashed).
-- The models are pgss/1's: the source's rows predict from 12-value vectors.
SET query_perf_ml.training_progress = off;
SET query_perf_ml.default_feature_set = 'pgss/1';
CREATE TABLE re_src AS SELECT * FROM synth WHERE queryid <= 60;
-- 20 linear models, and a gradient boosting model whose forest is one
-- allocation of about 1 MB (freed, it is unmapped: a stale read faults).
SELECT count(*) AS trained
  FROM (SELECT query_perf_ml.train_model('re_m' || i, 'linear', 'synth', jsonb_build_object('lambda', i))
          FROM generate_series(1, 20) i) s;
SELECT version FROM query_perf_ml.train_model('re_gbm', 'gradient_boosting', 'synth',
       '{"n_trees": 300, "max_depth": 6, "early_stopping_rounds": 0}');
SELECT version FROM query_perf_ml.train_model('re_gbm', 'gradient_boosting', 'synth_noisy',
       '{"n_trees": 20, "activate": false}');
-- What each function answers on the plain table.
CREATE TABLE re_expect AS
SELECT queryid, predicted_ms FROM query_perf_ml.predict_all('re_gbm', 're_src');
CREATE TABLE re_expect_validate AS SELECT * FROM query_perf_ml.validate_model('re_gbm', 're_src');
CREATE TABLE re_expect_explain AS SELECT * FROM query_perf_ml.explain_prediction(7, 're_gbm', 're_src');

-- The source: re_src behind a filter that runs, for every row, what
-- re.mode says (names qualified: anomalies() pins search_path).  re_bad
-- fails half-way through a scan.
CREATE VIEW re_bad AS SELECT queryid, calls, total_exec_time / (queryid - 30) AS total_exec_time FROM re_src;
CREATE FUNCTION re_gate(q bigint) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    mode text := current_setting('re.mode');
    x float8[] := ARRAY[2, 10, 100, 10, 0, 0, 0, 0, 0, 0, 0.9, 1];
BEGIN
    IF mode = 'evict' THEN          -- 20 names: every entry is evicted
        PERFORM query_perf_ml.predict('re_m' || i, x) FROM generate_series(1, 20) i;
    ELSIF mode = 'activate' THEN    -- the scanned model's own name changes version, and back
        PERFORM query_perf_ml.activate_model('re_gbm', 2);
        PERFORM query_perf_ml.predict('re_m1', x);
        PERFORM query_perf_ml.activate_model('re_gbm', 1);
        PERFORM query_perf_ml.predict('re_m2', x);
    ELSIF mode = 'train' THEN       -- a new version of the scanned model's name
        IF q % 20 = 1 THEN
            PERFORM query_perf_ml.train_model('re_gbm', 'linear', 'public.re_src');
        END IF;
        PERFORM query_perf_ml.predict('re_gbm', x);
    ELSIF mode = 'reset' THEN       -- every relation cache entry invalidated
        PERFORM set_config('client_min_messages', 'error', false);  -- wal_level
        CREATE PUBLICATION re_pub FOR ALL TABLES;
        DROP PUBLICATION re_pub;
        PERFORM set_config('client_min_messages', 'warning', false);
        PERFORM query_perf_ml.predict('re_m1', x);
    ELSIF mode = 'nested' THEN      -- the scanning functions one level down, 20 names
        PERFORM count(*) FROM generate_series(1, 20) i, query_perf_ml.predict_all('re_m' || i, 'public.re_src');
        PERFORM query_perf_ml.predict_query_execution(q, 're_m' || (1 + q % 20), 'public.re_src');
    ELSIF mode = 'caught' THEN      -- 20 calls that fail inside EXCEPTION blocks
        FOR i IN 1..20 LOOP
            BEGIN
                PERFORM count(*) FROM query_perf_ml.predict_all('re_m' || i, 'public.re_bad');
            EXCEPTION WHEN division_by_zero THEN
                NULL;
            END;
        END LOOP;
    END IF;
    RETURN true;
END
$$;
CREATE VIEW re_view AS SELECT * FROM re_src WHERE re_gate(queryid);

-- A fresh backend: its first freed forest is returned to the system.
\c
SET query_perf_ml.default_feature_set = 'pgss/1';
SET query_perf_ml.training_progress = off;
SET client_min_messages = warning;
SELECT cache_misses AS misses0 FROM query_perf_ml.status() \gset

-- Each scanning function, once per mode, compared with its answer on re_src.
CREATE FUNCTION re_each_mode(check_sql text) RETURNS TABLE (mode text, identical boolean)
LANGUAGE plpgsql AS $$
BEGIN
    FOREACH mode IN ARRAY ARRAY['evict', 'activate', 'reset', 'nested', 'caught'] LOOP
        PERFORM set_config('re.mode', mode, false);
        EXECUTE check_sql INTO identical;
        PERFORM query_perf_ml.activate_model('re_gbm', 1);
        RETURN NEXT;
    END LOOP;
END
$$;

-- 1. predict_all, and anomalies() which is predict_all underneath.
SELECT * FROM re_each_mode($$
  SELECT count(*) = 60 AND bool_and(p.predicted_ms = e.predicted_ms)
    FROM query_perf_ml.predict_all('re_gbm', 're_view') p JOIN re_expect e USING (queryid)$$);
SELECT cache_misses - :misses0 >= 60 * 20 AS evicted_and_reloaded FROM query_perf_ml.status();
SELECT * FROM re_each_mode($$
  SELECT count(*) = (SELECT count(*) FROM query_perf_ml.anomalies('re_gbm', 're_src', 0))
    FROM query_perf_ml.anomalies('re_gbm', 're_view', 0)$$);

-- 2. predict_query_execution(queryid, ...): the source is scanned after the lookup.
SELECT * FROM re_each_mode($$
  SELECT p.predicted_ms = e.predicted_ms
    FROM query_perf_ml.predict_query_execution(7, 're_gbm', 're_view') p, re_expect e
   WHERE e.queryid = 7$$);

-- 3. validate_model: every row of the source.
SELECT * FROM re_each_mode($$
  SELECT v.n = e.n AND v.r2 = e.r2 AND v.median_q_error = e.median_q_error
    FROM query_perf_ml.validate_model('re_gbm', 're_view') v, re_expect_validate e$$);

-- 4. explain_prediction(queryid, ...): the source is scanned before the lookup.
SELECT * FROM re_each_mode($$
  SELECT count(*) = 13 AND bool_and(x.contribution = e.contribution)
    FROM query_perf_ml.explain_prediction(7, 're_gbm', 're_view') x
    JOIN re_expect_explain e USING (feature)$$);

-- 5. train_model: the source evicts everything while it is read.
SET re.mode = 'evict';
SELECT v.n_train = s.n_train AND v.r2 = s.r2 AS same_model
  FROM query_perf_ml.train_model('re_from_view', 'linear', 're_view') v,
       query_perf_ml.train_model('re_from_table', 'linear', 're_src') s;

-- 6. Training the scanned model's name inside its own scan: the call
-- keeps the version it started with; the next statement uses the new one.
SET re.mode = 'train';
SELECT count(*) AS rows, count(*) FILTER (WHERE p.predicted_ms = e.predicted_ms) AS identical
  FROM query_perf_ml.predict_all('re_gbm', 're_view') p JOIN re_expect e USING (queryid);
SELECT algorithm FROM query_perf_ml.validate_model('re_gbm', 're_src');

-- Nothing stayed pinned: a pin that outlived its call would be a WARNING
-- at the end of the transaction, and its entry would never be freed.
SELECT cache_entries <= 16 AS bounded FROM query_perf_ml.status();
RESET client_min_messages;
