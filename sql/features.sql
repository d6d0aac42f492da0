-- features: the 12 features, their order, and feature_report on known data.
SELECT * FROM query_perf_ml.feature_names();

-- One hand-checked row: calls 4, rows 40, hit 8, read 8, 2 JOINs + ORDER BY + a subselect.
CREATE TABLE one_row (queryid bigint, query text, calls bigint, total_exec_time float8,
    rows bigint, shared_blks_hit bigint, shared_blks_read bigint,
    shared_blks_dirtied bigint, shared_blks_written bigint,
    local_blks_hit bigint, local_blks_read bigint,
    temp_blks_read bigint, temp_blks_written bigint, wal_bytes numeric,
    plans bigint, total_plan_time float8);
INSERT INTO one_row VALUES (1,
    'SELECT a FROM t JOIN u ON (1) LEFT JOIN v ON (2) WHERE b IN (SELECT b FROM w) ORDER BY 1 -- JOIN in a comment',
    4, 20, 40, 8, 8, 4, 2, 3, 1, 6, 2, 4096, 2, 3.0);
SELECT feature, n, missing, non_finite, round(mean::numeric, 6) AS value
  FROM query_perf_ml.feature_report('one_row');

-- Missing optional columns are counted as missing, not as errors.
SELECT feature, n, missing FROM query_perf_ml.feature_report('history')
 WHERE missing > 0 ORDER BY feature;

-- Distribution summary of the generated source (rounded).
SELECT feature, n, missing, round(min::numeric, 3) AS min, round(p50::numeric, 3) AS p50,
       round(max::numeric, 3) AS max
  FROM query_perf_ml.feature_report('synth');
