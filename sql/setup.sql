-- setup: install the extension and build generated sources with known relations.
CREATE EXTENSION query_perf_ml;
SELECT extversion FROM pg_extension WHERE extname = 'query_perf_ml';

-- Deterministic pseudo-random numbers in [0, 1) without random().
CREATE FUNCTION u(g bigint, k bigint) RETURNS float8
LANGUAGE sql IMMUTABLE AS $$ SELECT ((g * k + 12345) % 10007) / 10007.0 $$;

-- A pg_stat_statements-shaped table whose mean time per call follows
--   ln(ms) = -2 + 0.8 ln(1 + hit/call) + 1.2 ln(1 + read/call) + 0.3 complexity
-- exactly (synth) or with uniform noise of +-0.5 on the log scale (synth_noisy).
CREATE TABLE synth AS
SELECT g AS queryid,
       'SELECT a FROM t' || repeat(' JOIN t USING (a)', (g % 4)::int) AS query,
       calls,
       calls * exp(-2 + 0.8 * ln(1 + hpc) + 1.2 * ln(1 + rpc) + 0.3 * (g % 4)) AS total_exec_time,
       calls * 10 AS rows,
       calls * hpc AS shared_blks_hit,
       calls * rpc AS shared_blks_read,
       0::bigint AS shared_blks_dirtied, 0::bigint AS shared_blks_written,
       0::bigint AS local_blks_hit, 0::bigint AS local_blks_read,
       0::bigint AS temp_blks_read, 0::bigint AS temp_blks_written,
       0::numeric AS wal_bytes, 0::bigint AS plans, 0::float8 AS total_plan_time
  FROM generate_series(1::bigint, 2000) g,
       LATERAL (SELECT 1 + g % 50 AS calls,
                       exp(9 * u(g, 7919)) - 1 AS hpc,
                       exp(7 * u(g, 104729)) - 1 AS rpc) r;

CREATE TABLE synth_noisy AS
SELECT queryid, query, calls,
       total_exec_time * exp(u(queryid, 31337) - 0.5) AS total_exec_time,
       rows, shared_blks_hit, shared_blks_read
  FROM synth;

-- A history table: several snapshots per statement, only mean_exec_time,
-- no optional columns at all, plus rows that must be skipped.
CREATE TABLE history AS
SELECT s.queryid, i AS snapshot, s.calls AS calls,
       s.total_exec_time / s.calls AS mean_exec_time
  FROM synth s, generate_series(1, 3) i
 WHERE s.queryid <= 300;
INSERT INTO history VALUES (5001, 1, 0, 1.0), (5002, 1, NULL, 1.0),
                           (5003, 1, 10, -1.0), (5004, 1, 10, NULL);
