-- cleanup: the extension drops cleanly.
DROP EXTENSION query_perf_ml;
SELECT count(*) FROM pg_namespace WHERE nspname = 'query_perf_ml';
