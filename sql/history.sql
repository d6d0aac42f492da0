-- history: snapshots, interval deltas, retention, the split by time, the
-- prediction log, prediction_accuracy() and anomalies().

CREATE ROLE regress_qpm_hist;

-- 1. Real snapshots of pg_stat_statements.
SELECT query_perf_ml.snapshot() > 0 AS first_snapshot;
SELECT count(*) FROM synth WHERE queryid < 17;
SELECT count(*) FROM synth WHERE queryid < 17;
SELECT query_perf_ml.snapshot() > 0 AS second_snapshot;
SELECT count(*) = 2 AS two_snapshots, bool_and(statements > 0) AS counted,
       count(*) FILTER (WHERE prev_snapshot_id IS NULL) = 1 AS one_without_predecessor,
       bool_or(series_break) AS any_break
  FROM query_perf_ml.snapshots;
-- The statement ran twice between the snapshots: one interval, 2 calls.
SELECT calls, rows, total_exec_time > 0 AS timed, mean_exec_time > 0 AS has_mean,
       interval_end > interval_start AS ordered, query
  FROM query_perf_ml.metrics_intervals
 WHERE query = 'SELECT count(*) FROM synth WHERE queryid < $1';
-- Texts are stored once per statement, not per snapshot.
SELECT count(*) = count(DISTINCT (dbid, queryid)) AS texts_unique FROM query_perf_ml.query_texts;
SELECT query_perf_ml.purge_history('0') > 0 AS purged_all;
SELECT (SELECT count(*) FROM query_perf_ml.metrics_history) AS history,
       (SELECT count(*) FROM query_perf_ml.snapshots) AS snapshots,
       (SELECT count(*) FROM query_perf_ml.query_texts) AS texts;

-- 2. Interval rules on a synthetic history (all of it older than 7 days):
--    snapshot 105 follows a pg_stat_statements_reset (series_break).
INSERT INTO query_perf_ml.snapshots (snapshot_id, captured_at, prev_snapshot_id, series_break)
SELECT 100 + i, timestamptz '2020-01-01 00:00+00' + i * interval '1 hour',
       CASE WHEN i > 1 THEN 99 + i END, i = 5
  FROM generate_series(1, 5) i;
INSERT INTO query_perf_ml.metrics_history
       (snapshot_id, captured_at, userid, dbid, queryid, calls, total_exec_time, rows)
SELECT v.snap, s.captured_at, 10, 1, v.qid, v.calls, v.total, v.rows
  FROM (VALUES
        -- A: grows, then goes down at 104 (evicted and back), reset at 105
        (101, 1, 10, 100.0, 10), (102, 1, 20, 200.0, 20), (103, 1, 30, 300.0, 30),
        (104, 1, 5, 50.0, 5), (105, 1, 15, 150.0, 15),
        -- B: missing from 102 (new again at 103), no calls between 103 and 104
        (101, 2, 3, 3.0, 3), (103, 2, 4, 8.0, 4), (104, 2, 4, 8.0, 4),
        -- C: only in the first snapshot, which has no start
        (101, 3, 7, 7.0, 7),
        -- D: calls grow but rows go down: an entry reset
        (102, 4, 1, 1.0, 10), (103, 4, 3, 6.0, 5)) v(snap, qid, calls, total, rows)
  JOIN query_perf_ml.snapshots s ON s.snapshot_id = v.snap;
INSERT INTO query_perf_ml.query_texts VALUES (1, 1, 'SELECT a', now());
SELECT queryid, snapshot_id, calls, total_exec_time, mean_exec_time, rows, new_series,
       extract(hour FROM interval_start AT TIME ZONE 'UTC') AS start_h,
       extract(hour FROM interval_end AT TIME ZONE 'UTC') AS end_h, query
  FROM query_perf_ml.metrics_intervals
 ORDER BY queryid, snapshot_id;
SELECT queryid, snapshot_id FROM query_perf_ml.latest_intervals;

-- 3. Retention: the setting as an interval; the synthetic rows are older.
SELECT query_perf_ml.history_retention();
SET query_perf_ml.history_retention = '90min';
SELECT query_perf_ml.history_retention();
SET query_perf_ml.history_retention = 0;
SELECT query_perf_ml.history_retention() IS NULL AS keep_forever,
       query_perf_ml.purge_history() AS purged;
RESET query_perf_ml.history_retention;
SELECT query_perf_ml.purge_history('-1 day');
SELECT query_perf_ml.purge_history() AS purged,
       (SELECT count(*) FROM query_perf_ml.snapshots) AS snapshots_left,
       (SELECT count(*) FROM query_perf_ml.query_texts) AS texts_left;

-- 4. Training with the split by time: 5 interval ends x 400 statements.
CREATE TABLE timed AS
SELECT s.queryid, s.calls, s.total_exec_time, s.rows, s.shared_blks_hit, s.shared_blks_read,
       timestamptz '2020-01-01 00:00+00' + i * interval '1 hour' AS interval_end
  FROM synth s, generate_series(1, 5) i
 WHERE s.queryid <= 400;
-- 20%: exactly the newest interval end is held out.
SELECT model_id AS timed_model, n_train, n_test
  FROM query_perf_ml.train_model('timed_lin', 'linear', 'timed', '{"split": "time"}') \gset
SELECT :n_train AS n_train, :n_test AS n_test, options->>'split' AS split
  FROM query_perf_ml.models WHERE model_id = :timed_model;
-- 35%: the two newest (40%) are closer than the newest alone (20%).
SELECT n_train, n_test
  FROM query_perf_ml.train_model('timed_lin', 'linear', 'timed',
                                 '{"split": "time", "test_fraction": 0.35}');
SELECT n_train, n_test
  FROM query_perf_ml.train_model('timed_lin', 'linear', 'timed',
                                 '{"split": "time", "test_fraction": 0}');
-- One interval end only: nothing can be held out (NOTICE), still trains.
CREATE TABLE timed_one AS SELECT * FROM timed WHERE interval_end = (SELECT min(interval_end) FROM timed);
SELECT n_train, n_test
  FROM query_perf_ml.train_model('timed_lin', 'linear', 'timed_one', '{"split": "time"}');
-- Errors: a source without interval_end, an unknown split.
SELECT * FROM query_perf_ml.train_model('timed_lin', 'linear', 'synth', '{"split": "time"}');
SELECT * FROM query_perf_ml.train_model('timed_lin', 'linear', 'timed', '{"split": "random"}');
SELECT * FROM query_perf_ml.train_model('timed_lin', 'linear', 'timed', '{"split": 1}');

-- 5. The prediction log.
SELECT model_id AS hist_model FROM query_perf_ml.train_model('hist_lin', 'linear', 'synth') \gset
SELECT query_perf_ml.predict_query_execution(5, 'hist_lin', 'synth') IS NOT NULL AS not_logged;
SELECT count(*) AS log_rows FROM query_perf_ml.prediction_log;
SET query_perf_ml.log_predictions = on;
SELECT predicted_ms AS p5 FROM query_perf_ml.predict_query_execution(5, 'hist_lin', 'synth') \gset
SELECT model_id = :hist_model AS model, model_name, queryid, predicted_ms = :p5 AS same_prediction,
       lower_ms <= predicted_ms AND predicted_ms <= upper_ms AS interval_ok, interval_level,
       dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AS this_db,
       made_by = current_user AS made_by
  FROM query_perf_ml.prediction_log;
-- A read-only transaction predicts but does not log.
BEGIN READ ONLY;
SELECT predicted_ms > 0 AS predicted FROM query_perf_ml.predict_query_execution(6, 'hist_lin', 'synth');
COMMIT;
-- What-if predictions (features jsonb) are not logged either.
SELECT predicted_ms > 0 AS predicted FROM query_perf_ml.predict_query_execution('{}'::jsonb, 'hist_lin');
SELECT count(*) AS log_rows FROM query_perf_ml.prediction_log;
RESET query_perf_ml.log_predictions;
-- Only superusers (or ALTER SYSTEM / ALTER ROLE by one) change it.
SET ROLE regress_qpm_hist;
SET query_perf_ml.log_predictions = on;
RESET ROLE;
-- The log is bounded: beyond prediction_log_max_rows (superuser-only)
-- predictions are not logged, said once per session.
GRANT SELECT ON synth TO regress_qpm_hist;
SET query_perf_ml.log_predictions = on;
SET query_perf_ml.prediction_log_max_rows = 3;
SET ROLE regress_qpm_hist;
SET query_perf_ml.prediction_log_max_rows = 0;
SELECT count(*) AS predicted FROM generate_series(1, 5) q,
       query_perf_ml.predict_query_execution(q, 'hist_lin', 'synth') p WHERE p.predicted_ms > 0;
SELECT count(*) AS predicted FROM generate_series(1, 5) q,
       query_perf_ml.predict_query_execution(q, 'hist_lin', 'synth') p WHERE p.predicted_ms > 0;
RESET ROLE;
SELECT made_by = 'regress_qpm_hist' AS by_role, count(*) AS logged
  FROM query_perf_ml.prediction_log GROUP BY 1 ORDER BY 1;
RESET query_perf_ml.prediction_log_max_rows;
RESET query_perf_ml.log_predictions;
REVOKE SELECT ON synth FROM regress_qpm_hist;

-- 6. prediction_accuracy(): 25 statements predicted at 20 ms an hour ago,
--    taking 10 ms in the intervals since (q-error 2, all inside [5, 15]).
TRUNCATE query_perf_ml.prediction_log;
INSERT INTO query_perf_ml.snapshots (snapshot_id, captured_at, prev_snapshot_id)
VALUES (201, now() - interval '30 min', NULL), (202, now() - interval '10 min', 201);
INSERT INTO query_perf_ml.metrics_history
       (snapshot_id, captured_at, userid, dbid, queryid, calls, total_exec_time)
SELECT s.snapshot_id, s.captured_at, 10, d.oid, q, 10 * (s.snapshot_id - 200), 100.0 * (s.snapshot_id - 200)
  FROM query_perf_ml.snapshots s, generate_series(1, 25) q, pg_database d
 WHERE d.datname = current_database();
INSERT INTO query_perf_ml.prediction_log
       (made_at, model_id, model_name, queryid, dbid, predicted_ms, lower_ms, upper_ms,
        interval_level, made_by)
SELECT now() - interval '1 hour', :hist_model, 'hist_lin', q, d.oid, 20, 5, 15, 0.9, current_user
  FROM generate_series(1, 25) q, pg_database d WHERE d.datname = current_database();
-- Another model with too few matched predictions to judge (n < 20).
INSERT INTO query_perf_ml.prediction_log
       (made_at, model_id, model_name, queryid, dbid, predicted_ms, lower_ms, upper_ms,
        interval_level, made_by)
SELECT now() - interval '1 hour', -1, 'gone', q, d.oid, 10, 9, 11, 0.9, current_user
  FROM generate_series(1, 5) q, pg_database d WHERE d.datname = current_database();
-- Predictions made after the last interval ended have nothing to match yet.
INSERT INTO query_perf_ml.prediction_log
       (made_at, model_id, model_name, queryid, dbid, predicted_ms, interval_level, made_by)
SELECT now(), :hist_model, 'hist_lin', 1, d.oid, 10, 0.9, current_user
  FROM pg_database d WHERE d.datname = current_database();
SELECT model_id = :hist_model AS hist, model_name, n, median_q_error, p90_q_error,
       interval_coverage, interval_level, train_median_q_error < 1.5 AS trained_well, drifted
  FROM query_perf_ml.prediction_accuracy();
-- Outside the window: nothing.
SELECT count(*) FROM query_perf_ml.prediction_accuracy('30 min');
-- A training metric that is not a number (an import 1.1 accepted) reads as
-- NULL and leaves only the coverage rule; it no longer fails the function
-- for every model.
UPDATE query_perf_ml.model_store SET metrics = metrics || '{"median_q_error": "1.1x"}'
 WHERE model_id = :hist_model;
SELECT model_name, n, train_median_q_error, drifted FROM query_perf_ml.prediction_accuracy();
UPDATE query_perf_ml.model_store SET metrics = metrics || '{"median_q_error": 1e400}'
 WHERE model_id = :hist_model;
SELECT model_name, n, train_median_q_error, drifted FROM query_perf_ml.prediction_accuracy();
UPDATE query_perf_ml.model_store SET metrics = metrics || '{"median_q_error": 1.1}'
 WHERE model_id = :hist_model;
SELECT model_name, n, train_median_q_error, drifted FROM query_perf_ml.prediction_accuracy();

-- 7. anomalies(): three statements made 50x slower join the few that are
--    above their interval anyway (a 90% interval leaves some out).
CREATE TABLE synth_slow AS
SELECT queryid, query, calls,
       total_exec_time * CASE WHEN queryid IN (7, 70, 700) THEN 50 ELSE 1 END AS total_exec_time,
       rows, shared_blks_hit, shared_blks_read
  FROM synth;
SELECT queryid, calls, actual_ms > upper_ms AS above,
       round((excess_ms / (calls * (actual_ms - upper_ms)))::numeric, 9) AS excess_is_calls_x_gap,
       query IS NOT NULL AS has_text
  FROM query_perf_ml.anomalies('hist_lin', 'synth_slow', 1)
 WHERE queryid IN (7, 70, 700)
 ORDER BY queryid;
-- Ranked by excess, largest first; every row is above its interval.
SELECT bool_and(e.ok) AS ranked, count(*) AS n
  FROM (SELECT actual_ms > upper_ms AND
               excess_ms <= coalesce(lag(excess_ms) OVER (ORDER BY ord), 'Infinity') AS ok
          FROM query_perf_ml.anomalies('hist_lin', 'synth_slow', 1) WITH ORDINALITY a(
               queryid, query, calls, actual_ms, predicted_ms, upper_ms, excess_ms, ord)) e;
-- min_calls filters (statement 7 has 8 calls), NULL means no minimum.
SELECT array_agg(queryid ORDER BY queryid) FROM query_perf_ml.anomalies('hist_lin', 'synth_slow', 10);
SELECT count(*) FROM query_perf_ml.anomalies('hist_lin', 'synth_slow', NULL);
-- Without the slowed statements: three fewer.
SELECT count(*) FROM query_perf_ml.anomalies('hist_lin', 'synth', 1);

-- 8. Privileges: history holds every role's statements.
SET ROLE regress_qpm_hist;
SELECT query_perf_ml.snapshot();
SELECT query_perf_ml.purge_history();
SELECT count(*) FROM query_perf_ml.metrics_history;
SELECT count(*) FROM query_perf_ml.metrics_intervals;
SELECT count(*) FROM query_perf_ml.prediction_log;
RESET ROLE;
GRANT pg_read_all_stats TO regress_qpm_hist;
SET ROLE regress_qpm_hist;
SELECT count(*) >= 0 AS readable FROM query_perf_ml.metrics_intervals;
SELECT count(*) >= 0 AS readable FROM query_perf_ml.prediction_log;
RESET ROLE;

-- Leave no history for later tests.
SELECT query_perf_ml.purge_history('0') >= 0 AS cleaned;
TRUNCATE query_perf_ml.prediction_log;
DROP TABLE timed, timed_one, synth_slow;
SELECT query_perf_ml.drop_model('timed_lin') > 0 AS dropped, query_perf_ml.drop_model('hist_lin') > 0 AS dropped;
DROP ROLE regress_qpm_hist;
