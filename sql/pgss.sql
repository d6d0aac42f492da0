-- pgss: the default source is pg_stat_statements itself.
SELECT pg_stat_statements_reset() IS NOT NULL AS reset;
-- 50 structurally different statements, three times each (track = all).
DO $$
DECLARE
    i int;
    r int;
BEGIN
    FOR r IN 1..3 LOOP
        FOR i IN 1..40 LOOP
            -- target lists of different lengths are different statements
            EXECUTE format('SELECT count(*)%s FROM synth WHERE queryid < $1',
                           repeat(', sum(calls)', i)) USING i * 50;
            IF i % 4 = 0 THEN
                EXECUTE format('SELECT count(*)%s FROM synth s JOIN synth_noisy n USING (queryid) WHERE s.queryid %% 7 = 0',
                               repeat(', max(n.calls)', i));
            END IF;
        END LOOP;
    END LOOP;
END
$$;
SELECT n_train + n_test >= 40 AS enough_rows, r2 IS NOT NULL AS evaluated
  FROM query_perf_ml.train_model('pgss_model', 'linear', NULL, '{"test_fraction": 0.2}');
SELECT queryid AS qid FROM pg_stat_statements
 WHERE query = 'SELECT count(*), sum(calls), sum(calls) FROM synth WHERE queryid < $1' \gset
SELECT queryid = :qid AS same_qid, predicted_ms > 0 AS positive, model_name
  FROM query_perf_ml.predict_query_execution(:qid);
SELECT count(*) >= 40 AS statements FROM query_perf_ml.predict_all('pgss_model');
SELECT n >= 40 AS rows_checked FROM query_perf_ml.validate_model('pgss_model');
SELECT extension_version, pg_stat_statements_available, pg_stat_statements_rows > 0 AS has_rows
  FROM query_perf_ml.status();
SELECT count(*) = 12 AS twelve FROM query_perf_ml.feature_report() WHERE n > 0;
