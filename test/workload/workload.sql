/*
 * test/workload/workload.sql -- realistic mixed workload for query_perf_ml
 * ========================================================================
 *
 * Plain SQL + PL/pgSQL for PostgreSQL >= 15.  It does NOT use the
 * query_perf_ml extension, nor pg_stat_statements (it only produces the
 * statements that pg_stat_statements records).  Used by the demo, the
 * end-to-end tests and the benchmarks.
 *
 * Quick start (the -v variables are optional; without them the file only
 * (re)defines the functions, which is idempotent):
 *
 *   psql -X -q -v ON_ERROR_STOP=1 -d DB -f test/workload/workload.sql \
 *        -v scale=1.0 -v n_statements=600 -v repeats=5 -v seed=1 [-v jit=true]
 *
 *   -v scale=S        SELECT qpm_workload.setup(S), then VACUUM (ANALYZE) the
 *                     workload tables (hint bits, visibility map, stats)
 *   -v n_statements=N \connect (fresh backend), pg_stat_statements_reset()
 *                     (if that extension is installed in DB; skip with
 *                     -v reset=0), then
 *                     SELECT * FROM qpm_workload.run(N, repeats, seed, jit)
 *                     (-v repeats / -v seed / -v jit default to 5 / 1 / false)
 *   Do not combine -v scale with psql -1 (VACUUM cannot run in a transaction).
 *
 * or by hand:
 *   SELECT qpm_workload.setup(0.1);
 *   VACUUM (ANALYZE);                    -- optional but recommended
 *   -- reconnect: in the backend that just ran setup() the workload runs
 *   -- ~40 % slower (same counters); the psql driver does \connect
 *   SELECT pg_stat_statements_reset();
 *   SELECT * FROM qpm_workload.run(300, 3, 1);
 *
 * pg_stat_statements must be configured by the caller:
 *   shared_preload_libraries = 'pg_stat_statements'
 *   pg_stat_statements.track = 'all'   -- run() executes the workload nested
 *   pg_stat_statements.max   >= n_statements + 100  (e.g. 10000)
 *
 * Functions (schema qpm_workload)
 * -------------------------------
 *   setup(scale float8 DEFAULT 1.0) RETURNS text
 *       Drops and recreates the tables; deterministic data (setseed).
 *       Rows at scale 1.0 (all but the first three scale linearly):
 *         regions 12, categories 60 (a tree), suppliers 400,
 *         customers 30k, products 5k (long text), orders 150k,
 *         order_items 300k, events 300k (text + jsonb), wide_profile 20k
 *         (61 columns), scratch_orders 20k + scratch_log + scratch_kv (DML
 *         targets).  ~150 MB, i.e. more than the default shared_buffers, so
 *         both shared_blks_hit and shared_blks_read occur.  Indexes on the
 *         primary keys and on some (deliberately not all) filter columns.
 *       Takes ~7 s (scale 1.0) / ~1 s (scale 0.1) on 2 cores.  New tables
 *       mean new OIDs, so queryids are only stable between two setup()s.
 *
 *   run(n_statements int DEFAULT 600, repeats int DEFAULT 5, seed int DEFAULT 1,
 *       jit boolean DEFAULT false)
 *       RETURNS TABLE(statements, executions, failures, lowmem_statements,
 *                     elapsed_ms)
 *       Executes n_statements structurally different statements (every one
 *       gets its own pg_stat_statements queryid; verified with EXPLAIN
 *       VERBOSE for the whole pool of 3682) `repeats` times each, in rounds,
 *       via EXECUTE, with fresh random constants each time.  Families: index
 *       point lookups / IN lists of several lengths / range scans, filtered
 *       full scans (AND / OR), GROUP BY (HAVING, ROLLUP, CUBE, GROUPING
 *       SETS), 2-4 table inner and LEFT joins (nested loop, hash, parallel),
 *       ORDER BY with and without LIMIT / OFFSET, DISTINCT / DISTINCT ON,
 *       window functions, UNION [ALL] / INTERSECT / EXCEPT, EXISTS / NOT
 *       EXISTS / IN / NOT IN / scalar / LATERAL subqueries, (MATERIALIZED,
 *       RECURSIVE) CTEs, text / jsonb / full-text functions, and DML on the
 *       scratch tables (INSERT ... SELECT, multi-row VALUES, upserts, UPDATE,
 *       UPDATE ... FROM, DELETE, DELETE ... USING, RETURNING) -> wal_bytes.
 *       Class mix of the picks: light 48 %, medium 28 %, heavy 10 % (full
 *       scans / big joins on the 150k-300k row tables), dml 8 %, spill 6 %
 *       (executed with work_mem = 64kB so sorts / hashes go to temp files;
 *       some big sorts spill at the default work_mem as well).
 *       Deterministic: the statement set and order depend only on
 *       (n_statements, seed), and run(300, r, s) executes a prefix of
 *       run(600, r, s); the constants depend only on seed (same rows per
 *       statement on every run with the same setup).  Scratch tables are
 *       reset at the start.  jit is turned off for the transaction (JIT
 *       compile time is invisible in pgss/1's counters) unless jit => true,
 *       which leaves the server's jit settings (on by default: statements
 *       costlier than jit_above_cost are compiled, which fills the jit_*
 *       columns of pg_stat_statements 15+); nothing else is changed,
 *       so parallel query is used where the planner wants it.  Everything
 *       runs in the caller's transaction; a failing statement is caught,
 *       reported as a WARNING and counted in `failures` (expected: 0).
 *
 *   statements(n_statements int DEFAULT 600, seed int DEFAULT 1)
 *       The templates run() would execute, in order, with family, class and
 *       lowmem flag.  Templates contain {...} placeholders (see fill()).
 *   script(n_statements int DEFAULT 600, repeats int DEFAULT 5, seed int DEFAULT 1)
 *       run()'s executions as lines of a psql script of top-level
 *       statements (same constants, same order), for plan capture.
 *   templates()  the whole template pool (before deduplication by
 *       structure key); validate()  EXPLAINs every template, returns the
 *       failing ones; fill(template, meta)  instantiates one template.
 *
 * What ends up in pg_stat_statements
 * ----------------------------------
 *   The n_statements workload entries (toplevel = false, calls = repeats),
 *   plus ~15 bookkeeping entries: the toplevel SELECT ... run(...) itself
 *   (its time is the whole run), run()'s internal selects, setseed, the
 *   scratch reset (TRUNCATE / INSERT).  Filter with NOT toplevel if needed.
 *   Note: with track = 'all', EXPLAIN (without ANALYZE) of a statement also
 *   adds a call (with zero rows) to its queryid, so do not call validate()
 *   between pg_stat_statements_reset() and reading the statistics.
 *
 * Measured (2 cores, PG 15.20, default config + the settings above, via the
 * psql driver):
 *   scale 1.0: setup + VACUUM ~8 s; run(600, 5) 28-34 s (3000 executions);
 *     600 workload queryids (calls = 5), mean_exec_time 0.001 ms .. ~465 ms
 *     (p10 0.04, median 0.4, p90 24 ms; 13 statements > 100 ms),
 *     40 with temp_blks_written > 0, 49 with wal_bytes > 0.
 *   scale 0.1: whole driver run with run(300, 3) ~3.5 s (run ~1.5 s).
 *   test/bench/workload_sanity.py (gradient boosting on per-call counters,
 *   80/20 split by queryid): held-out median q-error ~1.34 at scale 1.0,
 *   ~1.5 at scale 0.1 (baseline "predict the median": ~6.6 / ~3.6).
 */

\set ON_ERROR_STOP 1
\set qpm_saved_quiet :QUIET
\set QUIET 1
SET client_min_messages = warning;

CREATE SCHEMA IF NOT EXISTS qpm_workload;

-- ---------------------------------------------------------------------------
-- setup(scale): (re)create the data
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION qpm_workload.setup(scale float8 DEFAULT 1.0)
RETURNS text
LANGUAGE plpgsql
SET search_path = qpm_workload, pg_catalog
SET client_min_messages = warning
AS $fn$
DECLARE
	n_cust   int := greatest(200, round(30000 * scale))::int;
	n_prod   int := greatest(100, round(5000 * scale))::int;
	n_ord    int := greatest(500, round(150000 * scale))::int;
	n_ev     int := greatest(500, round(300000 * scale))::int;
	n_wide   int := greatest(100, round(20000 * scale))::int;
	n_scr    int;
	n_kv     int := greatest(100, round(5000 * scale))::int;
	t0       timestamptz := clock_timestamp();
	n_items  bigint;
BEGIN
	IF scale IS NULL OR scale <= 0 OR scale > 100 THEN
		RAISE EXCEPTION 'qpm_workload.setup: scale must be in (0, 100], got %', scale;
	END IF;
	n_wide := least(n_wide, n_cust);
	n_scr := least(n_ord, greatest(200, round(20000 * scale))::int);

	DROP TABLE IF EXISTS meta, regions, categories, suppliers, customers,
		products, orders, order_items, events, wide_profile,
		scratch_orders, scratch_log, scratch_kv CASCADE;

	PERFORM setseed(0.4242);

	CREATE TABLE meta (k text PRIMARY KEY, v bigint NOT NULL);

	CREATE TABLE regions AS
	SELECT i AS id,
		   (ARRAY['North America East','North America West','South America','Western Europe',
				  'Northern Europe','Eastern Europe','Middle East','Africa','South Asia',
				  'East Asia','Southeast Asia','Oceania'])[i] AS name,
		   (ARRAY['US','US','BR','FR','SE','PL','AE','ZA','IN','JP','SG','AU'])[i] AS hq_country
	FROM generate_series(1, 12) i;
	ALTER TABLE regions ADD PRIMARY KEY (id);

	CREATE TABLE categories AS
	SELECT i AS id,
		   CASE WHEN i <= 8 THEN NULL WHEN i <= 24 THEN 1 + (i % 8) ELSE 9 + (i % 16) END AS parent_id,
		   (ARRAY['Books','Electronics','Garden','Home','Kitchen','Music','Sports','Toys',
				  'Tools','Beauty','Office','Outdoor'])[1 + i % 12] || ' ' || i AS name,
		   repeat(md5(i::text), 1 + i % 4) AS description
	FROM generate_series(1, 60) i;
	ALTER TABLE categories ADD PRIMARY KEY (id);
	CREATE INDEX ON categories (parent_id);

	CREATE TABLE suppliers AS
	SELECT i AS id,
		   'Supplier ' || md5(i::text) AS name,
		   (ARRAY['US','DE','FR','GB','IN','BR','JP','CN','CA','AU','ES','IT','NL','SE','PL',
				  'MX','KR','ZA','AR','NG'])[1 + floor(20 * random() ^ 2)::int] AS country_code,
		   round((1 + 4 * random())::numeric, 2) AS rating,
		   date '2010-01-01' + (random() * 4000)::int AS since
	FROM generate_series(1, 400) i;
	ALTER TABLE suppliers ADD PRIMARY KEY (id);

	CREATE TABLE customers AS
	SELECT i AS id,
		   (ARRAY['Maria','James','Anna','Mohammed','Wei','Olga','Carlos','Aisha','John','Marta',
				  'Lucas','Sofia','Ivan','Chen','Fatima','Peter','Laura','Mateo','Yuki','Emma',
				  'Noah','Mia','Liam','Zoe','Omar','Nina','Hugo','Lea','Arjun','Sara'])[1 + (i * 7) % 30]
			 || ' ' ||
		   (ARRAY['Smith','Mueller','Garcia','Rossi','Kowalski','Tanaka','Silva','Khan','Novak',
				  'Martin','Jensen','Ivanova','Lopez','Kim','Nguyen','Brown','Dubois','Costa',
				  'Meyer','Sato','Ali','Hansen','Moreau','Petrov','Wang','Lee','Clark','Young',
				  'Baker','Evans'])[1 + (i / 30 + i * 13) % 30] AS name,
		   'user' || i || '@' || (ARRAY['example.com','mail.test','corp.test','shop.test','web.test'])[1 + i % 5] AS email,
		   (ARRAY['US','DE','FR','GB','IN','BR','JP','CN','CA','AU','ES','IT','NL','SE','PL',
				  'MX','KR','ZA','AR','NG'])[1 + floor(20 * random() ^ 2)::int] AS country_code,
		   (ARRAY['Springfield','Riverside','Fairview','Franklin','Greenville','Bristol','Clinton',
				  'Salem','Madison','Georgetown','Arlington','Ashland','Burlington','Manchester',
				  'Milton','Newport','Oxford','Dover','Hudson','Kingston','Lebanon','Marion',
				  'Mount Vernon','Oakland','Auburn','Dayton','Jackson','Lexington','Winchester',
				  'Clayton','Chester','Florence','Hamilton','Lincoln','Monroe','Portland','Troy',
				  'Union','Warren','York'])[1 + floor(40 * random())::int] AS city,
		   (ARRAY['consumer','consumer','consumer','smb','smb','enterprise','partner'])[1 + floor(7 * random())::int] AS segment,
		   1 + floor(12 * random())::int AS region_id,
		   date '2016-01-01' + floor(random() * 3287)::int AS signup_date,
		   round((500 + 9500 * random())::numeric, 2) AS credit_limit,
		   random() < 0.85 AS is_active,
		   CASE WHEN random() < 0.3 THEN NULL
				ELSE left(repeat(md5(i::text) || ' note ', 1 + (i % 10)), (random() * 400)::int) END AS notes
	FROM generate_series(1, n_cust) i;
	ALTER TABLE customers ADD PRIMARY KEY (id);
	CREATE UNIQUE INDEX ON customers (email);
	CREATE INDEX ON customers (country_code);
	CREATE INDEX ON customers (signup_date);

	CREATE TABLE products AS
	SELECT i AS id,
		   'SKU-' || lpad(i::text, 6, '0') AS sku,
		   (ARRAY['Red','Blue','Smart','Classic','Eco','Ultra','Mini','Pro','Deluxe','Basic'])[1 + i % 10]
			 || ' ' ||
		   (ARRAY['Lamp','Chair','Phone','Book','Kettle','Drill','Shoe','Watch','Table','Speaker',
				  'Camera','Bottle','Jacket','Guitar','Monitor'])[1 + (i / 10) % 15] || ' ' || i AS name,
		   1 + floor(60 * random() ^ 1.5)::int AS category_id,
		   1 + floor(400 * random())::int AS supplier_id,
		   round((1 + 499 * random())::numeric, 2) AS price,
		   round((1 + 300 * random())::numeric, 2) AS cost,
		   round((0.05 + 20 * random() ^ 2)::numeric, 3) AS weight,
		   repeat(md5(i::text) || ' ' || md5((i + 1)::text) || ' ', 1 + floor(10 * random())::int) AS description,
		   timestamptz '2018-01-01 00:00:00+00' + random() * interval '2000 days' AS created_at,
		   random() < 0.1 AS is_discontinued
	FROM generate_series(1, n_prod) i;
	ALTER TABLE products ADD PRIMARY KEY (id);
	CREATE UNIQUE INDEX ON products (sku);
	CREATE INDEX ON products (category_id);
	CREATE INDEX ON products (supplier_id);

	CREATE TABLE orders AS
	SELECT i AS id,
		   1 + floor(n_cust * random())::int AS customer_id,
		   timestamptz '2021-01-01 00:00:00+00' + random() * interval '1461 days' AS order_date,
		   (ARRAY['delivered','delivered','delivered','shipped','shipped','paid','pending',
				  'cancelled','returned'])[1 + floor(9 * random())::int] AS status,
		   (ARRAY['web','web','web','mobile','mobile','store','phone','partner'])[1 + floor(8 * random())::int] AS channel,
		   1 + floor(12 * random())::int AS region_id,
		   round((5 + 1995 * random() ^ 2)::numeric, 2) AS total_amount,
		   round((10 * random())::numeric, 2) AS shipping_cost,
		   round((CASE WHEN random() < 0.7 THEN 0 ELSE 50 * random() END)::numeric, 2) AS discount,
		   CASE WHEN random() < 0.7 THEN NULL ELSE 'gift wrap; deliver after ' || (1 + i % 12) || ' pm' END AS note
	FROM generate_series(1, n_ord) i;
	ALTER TABLE orders ADD PRIMARY KEY (id);
	CREATE INDEX ON orders (customer_id);
	CREATE INDEX ON orders (order_date);

	CREATE TABLE order_items AS
	SELECT o.id AS order_id, l AS line_no,
		   1 + floor(n_prod * random() ^ 1.3)::int AS product_id,
		   1 + floor(10 * random() ^ 2)::int AS quantity,
		   round((1 + 499 * random())::numeric, 2) AS unit_price,
		   round((CASE WHEN random() < 0.8 THEN 0 ELSE 0.3 * random() END)::numeric, 2) AS discount
	FROM orders o, generate_series(1, 1 + (o.id * 7) % 3) l;
	ALTER TABLE order_items ADD PRIMARY KEY (order_id, line_no);
	CREATE INDEX ON order_items (product_id);

	CREATE TABLE events AS
	SELECT i::bigint AS id,
		   1 + floor(n_cust * random())::int AS customer_id,
		   md5((i / 8)::text) AS session_id,
		   timestamptz '2024-01-01 00:00:00+00' + random() * interval '366 days' AS event_time,
		   (ARRAY['page_view','page_view','page_view','page_view','click','click','search',
				  'add_to_cart','checkout','login','logout','error'])[1 + floor(12 * random())::int] AS event_type,
		   (ARRAY['/products/','/search?q=','/cart','/checkout/','/account/','/help/'])[1 + floor(6 * random() ^ 1.5)::int]
			 || (i % 997) AS page,
		   floor(60000 * random() ^ 3)::int AS duration_ms,
		   jsonb_build_object('device', (ARRAY['desktop','ios','android','tablet'])[1 + floor(4 * random())::int],
							  'ref', (ARRAY['google','direct','newsletter','partner','social'])[1 + floor(5 * random())::int],
							  'v', i % 7)
			 || CASE WHEN random() < 0.2 THEN jsonb_build_object('campaign', 'c' || (i % 50)) ELSE '{}'::jsonb END
			 AS properties
	FROM generate_series(1, n_ev) i;
	ALTER TABLE events ADD PRIMARY KEY (id);
	CREATE INDEX ON events (customer_id, event_time);
	CREATE INDEX ON events (event_time);

	CREATE TABLE wide_profile AS
	SELECT i AS id, i % 10 AS g1, i % 100 AS g2,
		   (i * 3) % 1000 AS n01, (i * 7) % 1000 AS n02, floor(1000 * random())::int AS n03,
		   floor(1000 * random())::int AS n04, floor(1000 * random())::int AS n05,
		   floor(1000 * random())::int AS n06, floor(1000 * random())::int AS n07,
		   floor(1000 * random())::int AS n08, floor(1000 * random())::int AS n09,
		   floor(1000 * random())::int AS n10, floor(1000 * random())::int AS n11,
		   floor(1000 * random())::int AS n12, floor(1000 * random())::int AS n13,
		   floor(1000 * random())::int AS n14, floor(1000 * random())::int AS n15,
		   floor(1000 * random())::int AS n16, floor(1000 * random())::int AS n17,
		   floor(1000 * random())::int AS n18,
		   round((1000 * random())::numeric, 2) AS x01, round((1000 * random())::numeric, 2) AS x02,
		   round((1000 * random())::numeric, 2) AS x03, round((1000 * random())::numeric, 2) AS x04,
		   round((1000 * random())::numeric, 2) AS x05, round((1000 * random())::numeric, 2) AS x06,
		   round((1000 * random())::numeric, 2) AS x07, round((1000 * random())::numeric, 2) AS x08,
		   round((1000 * random())::numeric, 2) AS x09, round((1000 * random())::numeric, 2) AS x10,
		   md5(i::text) AS t01, left(md5((i + 1)::text), 12) AS t02, left(md5((i + 2)::text), 8) AS t03,
		   left(md5((i + 3)::text), 20) AS t04, left(md5((i + 4)::text), 16) AS t05,
		   left(md5((i + 5)::text), 10) AS t06, left(md5((i + 6)::text), 14) AS t07,
		   left(md5((i + 7)::text), 18) AS t08, left(md5((i + 8)::text), 9) AS t09,
		   left(md5((i + 9)::text), 11) AS t10, left(md5((i + 10)::text), 13) AS t11,
		   left(md5((i + 11)::text), 15) AS t12, left(md5((i + 12)::text), 17) AS t13,
		   left(md5((i + 13)::text), 19) AS t14, left(md5((i + 14)::text), 21) AS t15,
		   date '2020-01-01' + floor(1500 * random())::int AS d01,
		   date '2020-01-01' + floor(1500 * random())::int AS d02,
		   date '2020-01-01' + floor(1500 * random())::int AS d03,
		   date '2020-01-01' + floor(1500 * random())::int AS d04,
		   date '2020-01-01' + floor(1500 * random())::int AS d05,
		   random() < 0.5 AS b01, random() < 0.3 AS b02, random() < 0.7 AS b03,
		   random() < 0.1 AS b04, random() < 0.9 AS b05
	FROM generate_series(1, n_wide) i;
	ALTER TABLE wide_profile ADD PRIMARY KEY (id);

	-- DML targets; filled by reset_scratch()
	CREATE TABLE scratch_orders (LIKE orders INCLUDING ALL);
	ALTER TABLE scratch_orders ADD COLUMN updated_at timestamptz;
	CREATE TABLE scratch_log (
		id bigserial PRIMARY KEY,
		src text NOT NULL,
		ref_id bigint,
		amount numeric,
		note text,
		created_at timestamptz NOT NULL DEFAULT now()
	);
	CREATE INDEX ON scratch_log (src, ref_id);
	CREATE TABLE scratch_kv (k int PRIMARY KEY, v text, n int NOT NULL DEFAULT 1);

	SELECT count(*) INTO n_items FROM order_items;
	INSERT INTO meta(k, v) VALUES
		('scale_x1000', round(scale * 1000)), ('customers', n_cust), ('products', n_prod),
		('orders', n_ord), ('order_items', n_items), ('events', n_ev), ('wide', n_wide),
		('scratch', n_scr), ('kv', n_kv), ('categories', 60), ('regions', 12), ('suppliers', 400);

	PERFORM qpm_workload.reset_scratch();

	ANALYZE regions, categories, suppliers, customers, products, orders, order_items,
		events, wide_profile, scratch_orders, scratch_log, scratch_kv;

	RETURN format('qpm_workload.setup(%s): customers=%s products=%s orders=%s order_items=%s events=%s wide=%s in %s ms',
				  scale, n_cust, n_prod, n_ord, n_items, n_ev, n_wide,
				  round(extract(epoch FROM clock_timestamp() - t0) * 1000));
END
$fn$;

-- Bring the DML target tables back to their initial state.
CREATE OR REPLACE FUNCTION qpm_workload.reset_scratch()
RETURNS void
LANGUAGE plpgsql
SET search_path = qpm_workload, pg_catalog
AS $fn$
DECLARE
	n_scr int;
	n_kv  int;
BEGIN
	SELECT v INTO n_scr FROM meta WHERE k = 'scratch';
	SELECT v INTO n_kv FROM meta WHERE k = 'kv';
	TRUNCATE scratch_orders, scratch_log, scratch_kv RESTART IDENTITY;
	INSERT INTO scratch_orders SELECT o.*, NULL FROM orders o WHERE o.id <= n_scr;
	INSERT INTO scratch_kv (k, v, n) SELECT i, md5(i::text), 1 FROM generate_series(1, n_kv, 2) i;
END
$fn$;

-- ---------------------------------------------------------------------------
-- Template placeholders.  A template is SQL text with {...} tokens that
-- fill() replaces by fresh random constants (random(), so the stream is
-- governed by setseed()).  Token kinds:
--   {int:lo:hi} {num:lo:hi}         integer / numeric(,2) literal
--   {cust} {prod} {order} {event} {wide} {sorder} {kv} {cat} {region} {supp}
--                                   an existing key of that table
--   {email} {sku}                   an existing customers.email / products.sku
--   {country} {city} {segment} {status} {channel} {etype} {device} {word}
--   {src}                           a quoted value of that domain
--   {prefix} {sub} {hexprefix} {page}  LIKE patterns
--   {oday} {sday} {wday}            DATE literal (orders / signup / wide range)
--   {ots} {ets}                     TIMESTAMPTZ literal (orders / events range)
--   {range:KIND:lo:hi}              "BETWEEN a AND b" with b = a + span, span
--                                   in [lo,hi] (days for *day, hours for *ts)
--   {inlist:KIND:n}                 "(v1, ..., vn)"
-- Only fill() and its helpers are PL/pgSQL "simple expressions", so they do
-- not show up in pg_stat_statements.
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION qpm_workload._rint(lo bigint, hi bigint)
RETURNS bigint LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
	RETURN lo + floor(random() * (hi - lo + 1))::bigint;
END
$fn$;

-- a random "position" for a kind (key, list index, day or hour offset)
CREATE OR REPLACE FUNCTION qpm_workload._pos(kind text, m jsonb)
RETURNS bigint LANGUAGE plpgsql VOLATILE AS $fn$
BEGIN
	RETURN CASE kind
		WHEN 'cust'   THEN qpm_workload._rint(1, (m->>'customers')::bigint)
		WHEN 'email'  THEN qpm_workload._rint(1, (m->>'customers')::bigint)
		WHEN 'prod'   THEN qpm_workload._rint(1, (m->>'products')::bigint)
		WHEN 'sku'    THEN qpm_workload._rint(1, (m->>'products')::bigint)
		WHEN 'order'  THEN qpm_workload._rint(1, (m->>'orders')::bigint)
		WHEN 'event'  THEN qpm_workload._rint(1, (m->>'events')::bigint)
		WHEN 'wide'   THEN qpm_workload._rint(1, (m->>'wide')::bigint)
		WHEN 'sorder' THEN qpm_workload._rint(1, (m->>'scratch')::bigint)
		WHEN 'kv'     THEN qpm_workload._rint(1, (m->>'kv')::bigint)
		WHEN 'cat'    THEN qpm_workload._rint(1, 60)
		WHEN 'region' THEN qpm_workload._rint(1, 12)
		WHEN 'supp'   THEN qpm_workload._rint(1, 400)
		WHEN 'country' THEN qpm_workload._rint(1, 20)
		WHEN 'city'   THEN qpm_workload._rint(1, 40)
		WHEN 'segment' THEN qpm_workload._rint(1, 4)
		WHEN 'status' THEN qpm_workload._rint(1, 6)
		WHEN 'channel' THEN qpm_workload._rint(1, 5)
		WHEN 'etype'  THEN qpm_workload._rint(1, 8)
		WHEN 'device' THEN qpm_workload._rint(1, 4)
		WHEN 'word'   THEN qpm_workload._rint(1, 12)
		WHEN 'src'    THEN qpm_workload._rint(1, 5)
		WHEN 'prefix' THEN qpm_workload._rint(1, 12)
		WHEN 'sub'    THEN qpm_workload._rint(1, 10)
		WHEN 'hexprefix' THEN qpm_workload._rint(0, 255)
		WHEN 'page'   THEN qpm_workload._rint(1, 6)
		WHEN 'oday'   THEN qpm_workload._rint(0, 1460)
		WHEN 'sday'   THEN qpm_workload._rint(0, 3286)
		WHEN 'wday'   THEN qpm_workload._rint(0, 1499)
		WHEN 'ots'    THEN qpm_workload._rint(0, 1461 * 24 - 1)
		WHEN 'ets'    THEN qpm_workload._rint(0, 366 * 24 - 1)
	END;
END
$fn$;

CREATE OR REPLACE FUNCTION qpm_workload._fmt(kind text, v bigint)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $fn$
BEGIN
	RETURN CASE kind
		WHEN 'email' THEN quote_literal('user' || v || '@' ||
			(ARRAY['example.com','mail.test','corp.test','shop.test','web.test'])[1 + v % 5])
		WHEN 'sku' THEN quote_literal('SKU-' || lpad(v::text, 6, '0'))
		WHEN 'country' THEN quote_literal((ARRAY['US','DE','FR','GB','IN','BR','JP','CN','CA','AU',
			'ES','IT','NL','SE','PL','MX','KR','ZA','AR','NG'])[v])
		WHEN 'city' THEN quote_literal((ARRAY['Springfield','Riverside','Fairview','Franklin',
			'Greenville','Bristol','Clinton','Salem','Madison','Georgetown','Arlington','Ashland',
			'Burlington','Manchester','Milton','Newport','Oxford','Dover','Hudson','Kingston',
			'Lebanon','Marion','Mount Vernon','Oakland','Auburn','Dayton','Jackson','Lexington',
			'Winchester','Clayton','Chester','Florence','Hamilton','Lincoln','Monroe','Portland',
			'Troy','Union','Warren','York'])[v])
		WHEN 'segment' THEN quote_literal((ARRAY['consumer','smb','enterprise','partner'])[v])
		WHEN 'status' THEN quote_literal((ARRAY['delivered','shipped','paid','pending','cancelled','returned'])[v])
		WHEN 'channel' THEN quote_literal((ARRAY['web','mobile','store','phone','partner'])[v])
		WHEN 'etype' THEN quote_literal((ARRAY['page_view','click','search','add_to_cart','checkout',
			'login','logout','error'])[v])
		WHEN 'device' THEN quote_literal((ARRAY['desktop','ios','android','tablet'])[v])
		WHEN 'word' THEN quote_literal((ARRAY['alpha','bravo','charlie','delta','echo','foxtrot','golf',
			'hotel','india','juliet','kilo','lima'])[v])
		WHEN 'src' THEN quote_literal((ARRAY['orders','items','events','customers','products'])[v])
		WHEN 'prefix' THEN quote_literal((ARRAY['Ma%','Jo%','An%','Ca%','Wei%','Ol%','Lu%','So%','Pe%',
			'Yu%','No%','Sa%'])[v])
		WHEN 'sub' THEN quote_literal((ARRAY['%son%','%ar%','%Lamp%','%Pro %','%99%','%e4%','%note%',
			'%Kim%','%abc%','%7f%'])[v])
		WHEN 'hexprefix' THEN quote_literal(lpad(to_hex(v::int), 2, '0') || '%')
		WHEN 'page' THEN quote_literal((ARRAY['/products/%','/search%','/cart%','/checkout/%',
			'/account/%','/help/1%'])[v])
		WHEN 'oday' THEN 'DATE ' || quote_literal(to_char(date '2021-01-01' + v::int, 'YYYY-MM-DD'))
		WHEN 'sday' THEN 'DATE ' || quote_literal(to_char(date '2016-01-01' + v::int, 'YYYY-MM-DD'))
		WHEN 'wday' THEN 'DATE ' || quote_literal(to_char(date '2020-01-01' + v::int, 'YYYY-MM-DD'))
		WHEN 'ots' THEN 'TIMESTAMPTZ ' || quote_literal(to_char(timestamp '2021-01-01' + v * interval '1 hour',
			'YYYY-MM-DD HH24:MI:SS') || '+00')
		WHEN 'ets' THEN 'TIMESTAMPTZ ' || quote_literal(to_char(timestamp '2024-01-01' + v * interval '1 hour',
			'YYYY-MM-DD HH24:MI:SS') || '+00')
		ELSE v::text
	END;
END
$fn$;

CREATE OR REPLACE FUNCTION qpm_workload._tok(tok text, m jsonb)
RETURNS text LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
	a   text[] := string_to_array(tok, ':');
	v   bigint;
	res text;
BEGIN
	IF a[1] = 'int' THEN
		RETURN qpm_workload._rint(a[2]::bigint, a[3]::bigint)::text;
	ELSIF a[1] = 'num' THEN
		RETURN to_char(a[2]::numeric + random()::numeric * (a[3]::numeric - a[2]::numeric), 'FM9999999990.00');
	ELSIF a[1] = 'range' THEN
		v := qpm_workload._pos(a[2], m);
		RETURN 'BETWEEN ' || qpm_workload._fmt(a[2], v) || ' AND '
			|| qpm_workload._fmt(a[2], v + qpm_workload._rint(a[3]::bigint, a[4]::bigint));
	ELSIF a[1] = 'inlist' THEN
		res := '(';
		FOR i IN 1 .. a[3]::int LOOP
			IF i > 1 THEN
				res := res || ', ';
			END IF;
			res := res || qpm_workload._fmt(a[2], qpm_workload._pos(a[2], m));
		END LOOP;
		RETURN res || ')';
	END IF;
	v := qpm_workload._pos(a[1], m);
	IF v IS NULL THEN
		RAISE EXCEPTION 'qpm_workload: unknown template token {%}', tok;
	END IF;
	RETURN qpm_workload._fmt(a[1], v);
END
$fn$;

-- Instantiate a template: replace every {...} token by a random constant.
CREATE OR REPLACE FUNCTION qpm_workload.fill(tpl text, m jsonb)
RETURNS text LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
	res  text := '';
	rest text := tpl;
	p    int;
	q    int;
BEGIN
	LOOP
		p := strpos(rest, '{');
		EXIT WHEN p = 0;
		q := strpos(rest, '}');
		IF q < p THEN
			RAISE EXCEPTION 'qpm_workload: malformed template: %', tpl;
		END IF;
		res := res || left(rest, p - 1) || qpm_workload._tok(substr(rest, p + 1, q - p - 1), m);
		rest := substr(rest, q + 1);
	END LOOP;
	RETURN res || rest;
END
$fn$;

-- Structure key: two templates with equal keys would (or could) get the same
-- queryid, because pg_stat_statements ignores constants.  Only the length of
-- IN lists is kept (it changes the queryid in PG <= 17).
CREATE OR REPLACE FUNCTION qpm_workload._skey(tpl text)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
	s text := tpl;
BEGIN
	s := regexp_replace(s, '\{inlist:[a-z]+:([0-9]+)\}', 'INLIST\1', 'g');
	s := regexp_replace(s, '\{[^}]*\}', '?', 'g');
	s := regexp_replace(s, '''([^'']|'''')*''', '?', 'g');
	s := regexp_replace(s, '\m[0-9]+(\.[0-9]+)?\M', '?', 'g');
	RETURN lower(regexp_replace(s, '\s+', ' ', 'g'));
END
$fn$;

-- ---------------------------------------------------------------------------
-- Catalog of the tables: alias -> FROM item, projections, predicates, ...
--   proj   select lists
--   ipred  selective predicates served by an index (few rows)
--   mpred  index predicates returning ~0.3k-10k rows
--   spred  predicates on unindexed columns (need a full scan)
--   gcol   low-cardinality grouping expressions;  hcol high-cardinality
--   ncol   numeric expressions;  ocol ORDER BY items;  iocol indexed ones
--   agg    aggregate lists
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION qpm_workload._from(t text)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $fn$
BEGIN
	RETURN CASE t
		WHEN 'c' THEN 'qpm_workload.customers c'
		WHEN 'o' THEN 'qpm_workload.orders o'
		WHEN 'oi' THEN 'qpm_workload.order_items oi'
		WHEN 'p' THEN 'qpm_workload.products p'
		WHEN 'e' THEN 'qpm_workload.events e'
		WHEN 'w' THEN 'qpm_workload.wide_profile w'
		WHEN 'cat' THEN 'qpm_workload.categories cat'
		WHEN 's' THEN 'qpm_workload.suppliers s'
		WHEN 'r' THEN 'qpm_workload.regions r'
	END;
END
$fn$;

-- cost class of a full scan of the table
CREATE OR REPLACE FUNCTION qpm_workload._scan_class(t text)
RETURNS text LANGUAGE plpgsql IMMUTABLE AS $fn$
BEGIN
	RETURN CASE WHEN t IN ('o', 'oi', 'e') THEN 'heavy'
				WHEN t IN ('c', 'w') THEN 'medium'
				ELSE 'light' END;
END
$fn$;

CREATE OR REPLACE FUNCTION qpm_workload._cat(t text, k text)
RETURNS text[] LANGUAGE plpgsql IMMUTABLE AS $fn$
BEGIN
	RETURN CASE t || '.' || k
	-- customers
	WHEN 'c.proj' THEN ARRAY['c.id, c.name', 'c.id, c.name, c.email', 'c.id, c.email, c.country_code, c.city',
		'c.*', 'c.name, c.segment, c.credit_limit', 'c.id, c.signup_date, c.is_active',
		'c.city, c.country_code, c.region_id', 'upper(c.name), length(c.notes)']
	WHEN 'c.ipred' THEN ARRAY['c.id = {cust}', 'c.email = {email}', 'c.id {range:cust:5:200}',
		'c.id IN {inlist:cust:3}', 'c.id IN {inlist:cust:8}', 'c.signup_date {range:sday:0:3}']
	WHEN 'c.mpred' THEN ARRAY['c.country_code = {country}', 'c.signup_date {range:sday:30:180}',
		'c.id {range:cust:500:3000}']
	WHEN 'c.spred' THEN ARRAY['c.city = {city}', 'c.segment = {segment}', 'c.credit_limit > {num:9000:9900}',
		'NOT c.is_active', 'c.name LIKE {prefix}', 'c.notes ILIKE {sub}', 'c.region_id = {region}']
	WHEN 'c.gcol' THEN ARRAY['c.country_code', 'c.segment', 'c.city', 'c.is_active', 'c.region_id',
		'date_trunc(''year'', c.signup_date)']
	WHEN 'c.hcol' THEN ARRAY['c.name', 'c.email']
	WHEN 'c.ncol' THEN ARRAY['c.credit_limit', 'length(c.notes)']
	WHEN 'c.ocol' THEN ARRAY['c.name', 'c.signup_date DESC', 'c.credit_limit DESC', 'c.id DESC']
	WHEN 'c.iocol' THEN ARRAY['c.signup_date DESC', 'c.id DESC']
	WHEN 'c.agg' THEN ARRAY['count(*)', 'count(*), avg(c.credit_limit)', 'min(c.signup_date), max(c.signup_date)',
		'count(DISTINCT c.city)', 'sum(c.credit_limit) FILTER (WHERE c.is_active)', 'string_agg(c.name, '', '')']
	-- orders
	WHEN 'o.proj' THEN ARRAY['o.id, o.order_date, o.status', 'o.*', 'o.id, o.customer_id, o.total_amount',
		'o.status, o.channel, o.total_amount, o.shipping_cost', 'o.id, o.order_date, o.total_amount - o.discount',
		'o.customer_id, o.region_id, o.note']
	WHEN 'o.ipred' THEN ARRAY['o.id = {order}', 'o.customer_id = {cust}', 'o.id {range:order:5:200}',
		'o.customer_id IN {inlist:cust:4}', 'o.order_date {range:ots:1:24}']
	WHEN 'o.mpred' THEN ARRAY['o.order_date {range:oday:3:30}', 'o.id {range:order:1000:8000}',
		'o.customer_id {range:cust:50:400}']
	WHEN 'o.spred' THEN ARRAY['o.status = {status}', 'o.channel = {channel}', 'o.total_amount > {num:1800:1990}',
		'o.discount > {num:45:49}', 'o.note IS NOT NULL', 'o.shipping_cost < {num:0.1:0.5}']
	WHEN 'o.gcol' THEN ARRAY['o.status', 'o.channel', 'o.region_id', 'date_trunc(''month'', o.order_date)']
	WHEN 'o.hcol' THEN ARRAY['o.customer_id', 'o.order_date::date']
	WHEN 'o.ncol' THEN ARRAY['o.total_amount', 'o.shipping_cost', 'o.discount']
	WHEN 'o.ocol' THEN ARRAY['o.order_date DESC', 'o.total_amount DESC', 'o.id']
	WHEN 'o.iocol' THEN ARRAY['o.order_date DESC', 'o.id']
	WHEN 'o.agg' THEN ARRAY['count(*)', 'count(*), sum(o.total_amount)',
		'avg(o.total_amount), min(o.total_amount), max(o.total_amount)', 'count(DISTINCT o.customer_id)',
		'sum(o.discount) FILTER (WHERE o.channel = ''web'')',
		'percentile_cont(0.5) WITHIN GROUP (ORDER BY o.total_amount)']
	-- order_items
	WHEN 'oi.proj' THEN ARRAY['oi.order_id, oi.line_no, oi.quantity', 'oi.*',
		'oi.product_id, oi.unit_price * oi.quantity', 'oi.order_id, oi.product_id, oi.discount']
	WHEN 'oi.ipred' THEN ARRAY['oi.order_id = {order}', 'oi.order_id {range:order:5:100}',
		'oi.product_id = {prod}', 'oi.order_id IN {inlist:order:6}']
	WHEN 'oi.mpred' THEN ARRAY['oi.order_id {range:order:1000:6000}', 'oi.product_id IN {inlist:prod:10}']
	WHEN 'oi.spred' THEN ARRAY['oi.quantity > {int:8:9}', 'oi.discount > {num:0.25:0.29}',
		'oi.unit_price > {num:490:499}']
	WHEN 'oi.gcol' THEN ARRAY['oi.quantity', 'oi.line_no']
	WHEN 'oi.hcol' THEN ARRAY['oi.product_id', 'oi.order_id']
	WHEN 'oi.ncol' THEN ARRAY['oi.quantity', 'oi.unit_price', 'oi.unit_price * oi.quantity']
	WHEN 'oi.ocol' THEN ARRAY['oi.unit_price DESC', 'oi.order_id DESC', 'oi.quantity']
	WHEN 'oi.iocol' THEN ARRAY['oi.order_id DESC']
	WHEN 'oi.agg' THEN ARRAY['count(*)', 'sum(oi.quantity)', 'sum(oi.unit_price * oi.quantity), avg(oi.discount)',
		'count(DISTINCT oi.order_id)']
	-- products
	WHEN 'p.proj' THEN ARRAY['p.id, p.name, p.price', 'p.*', 'p.sku, p.category_id',
		'p.name, length(p.description)', 'p.id, p.price - p.cost, p.weight']
	WHEN 'p.ipred' THEN ARRAY['p.id = {prod}', 'p.sku = {sku}', 'p.id {range:prod:5:100}', 'p.id IN {inlist:prod:5}']
	WHEN 'p.mpred' THEN ARRAY['p.category_id = {cat}', 'p.supplier_id = {supp}']
	WHEN 'p.spred' THEN ARRAY['p.price > {num:400:490}', 'p.name ILIKE {sub}', 'p.description LIKE {sub}',
		'p.weight < {num:0.1:0.5}', 'p.is_discontinued']
	WHEN 'p.gcol' THEN ARRAY['p.category_id', 'p.supplier_id', 'p.is_discontinued', 'width_bucket(p.price, 0, 500, 10)']
	WHEN 'p.hcol' THEN ARRAY['p.name']
	WHEN 'p.ncol' THEN ARRAY['p.price', 'p.cost', 'p.weight']
	WHEN 'p.ocol' THEN ARRAY['p.price DESC', 'p.name', 'p.created_at DESC']
	WHEN 'p.iocol' THEN ARRAY[]::text[]
	WHEN 'p.agg' THEN ARRAY['count(*)', 'avg(p.price), max(p.price)', 'sum(p.price - p.cost)',
		'count(*) FILTER (WHERE p.is_discontinued)']
	-- events
	WHEN 'e.proj' THEN ARRAY['e.id, e.event_time, e.event_type', 'e.*', 'e.customer_id, e.page, e.duration_ms',
		'e.session_id, e.properties ->> ''device''', 'e.id, e.properties']
	WHEN 'e.ipred' THEN ARRAY['e.id = {event}', 'e.customer_id = {cust}', 'e.event_time {range:ets:0:3}',
		'e.id {range:event:10:300}', 'e.customer_id IN {inlist:cust:3}']
	WHEN 'e.mpred' THEN ARRAY['e.event_time {range:ets:24:120}', 'e.customer_id {range:cust:20:150}']
	WHEN 'e.spred' THEN ARRAY['e.event_type = {etype}', 'e.duration_ms > {int:55000:59000}', 'e.page LIKE {page}',
		'e.properties ? ''campaign''', 'e.properties ->> ''device'' = {device}']
	WHEN 'e.gcol' THEN ARRAY['e.event_type', 'e.properties ->> ''device''', 'date_trunc(''day'', e.event_time)',
		'extract(hour FROM e.event_time)']
	WHEN 'e.hcol' THEN ARRAY['e.customer_id', 'e.session_id', 'e.page']
	WHEN 'e.ncol' THEN ARRAY['e.duration_ms']
	WHEN 'e.ocol' THEN ARRAY['e.event_time DESC', 'e.duration_ms DESC', 'e.id']
	WHEN 'e.iocol' THEN ARRAY['e.event_time DESC', 'e.id']
	WHEN 'e.agg' THEN ARRAY['count(*)', 'avg(e.duration_ms)', 'count(DISTINCT e.customer_id)',
		'max(e.event_time), min(e.event_time)', 'count(*) FILTER (WHERE e.event_type = ''error'')']
	-- wide_profile
	WHEN 'w.proj' THEN ARRAY['w.*', 'w.id, w.g1, w.g2', 'w.id, w.n01, w.n02, w.n03',
		'w.id, w.x01, w.x02, w.x03, w.x04, w.x05', 'w.t01, w.t02, w.t03', 'w.id, w.d01, w.d02, w.b01',
		'w.n04, w.n05, w.n06, w.n07, w.n08, w.n09, w.n10', 'w.id, w.t04, w.t05, w.t06, w.t07, w.t08',
		'w.x06, w.x07, w.x08, w.x09, w.x10, w.n11, w.n12', 'w.id, w.b02, w.b03, w.b04, w.b05',
		'w.t09, w.t10, w.t11, w.t12, w.t13, w.t14, w.t15',
		'w.n13, w.n14, w.n15, w.n16, w.n17, w.n18, w.d03, w.d04, w.d05',
		'w.id, w.n01 + w.n02, w.x01 * w.n03', 'w.id, w.t01 || w.t02, upper(w.t03)',
		'w.id, w.g1, w.n01, w.x01, w.t01, w.d01, w.b01', 'w.id, coalesce(w.t05, w.t06), greatest(w.n04, w.n05, w.n06)']
	WHEN 'w.ipred' THEN ARRAY['w.id = {wide}', 'w.id {range:wide:5:100}', 'w.id IN {inlist:wide:4}']
	WHEN 'w.mpred' THEN ARRAY['w.id {range:wide:500:3000}']
	WHEN 'w.spred' THEN ARRAY['w.n05 > {int:980:995}', 'w.t03 LIKE {hexprefix}', 'w.b04 AND w.n10 < {int:10:50}',
		'w.d01 {range:wday:1:10}']
	WHEN 'w.gcol' THEN ARRAY['w.g1', 'w.g2', 'w.b01']
	WHEN 'w.hcol' THEN ARRAY['w.n01', 'w.t03']
	WHEN 'w.ncol' THEN ARRAY['w.x01', 'w.n07', 'w.x05 * w.n03']
	WHEN 'w.ocol' THEN ARRAY['w.x02 DESC', 'w.n11', 'w.d02 DESC']
	WHEN 'w.iocol' THEN ARRAY[]::text[]
	WHEN 'w.agg' THEN ARRAY['count(*)', 'avg(w.x01), sum(w.n07)', 'max(w.d01)', 'count(DISTINCT w.n05)']
	-- small dimension tables
	WHEN 'cat.proj' THEN ARRAY['cat.id, cat.name', 'cat.*']
	WHEN 'cat.ipred' THEN ARRAY['cat.id = {cat}', 'cat.parent_id = {int:1:8}']
	WHEN 'cat.spred' THEN ARRAY['cat.name LIKE {prefix}']
	WHEN 'cat.gcol' THEN ARRAY['cat.parent_id']
	WHEN 'cat.ocol' THEN ARRAY['cat.name']
	WHEN 'cat.agg' THEN ARRAY['count(*)']
	WHEN 's.proj' THEN ARRAY['s.id, s.name, s.rating', 's.*']
	WHEN 's.ipred' THEN ARRAY['s.id = {supp}', 's.id IN {inlist:supp:3}']
	WHEN 's.spred' THEN ARRAY['s.rating > {num:4.5:4.9}', 's.country_code = {country}']
	WHEN 's.gcol' THEN ARRAY['s.country_code']
	WHEN 's.ocol' THEN ARRAY['s.rating DESC']
	WHEN 's.agg' THEN ARRAY['count(*), avg(s.rating)']
	WHEN 'r.proj' THEN ARRAY['r.*', 'r.id, r.name']
	WHEN 'r.ipred' THEN ARRAY['r.id = {region}']
	WHEN 'r.spred' THEN ARRAY['r.hq_country = {country}']
	WHEN 'r.ocol' THEN ARRAY['r.name']
	ELSE ARRAY[]::text[]
	END;
END
$fn$;

DROP TYPE IF EXISTS qpm_workload.tpl CASCADE;
CREATE TYPE qpm_workload.tpl AS (family text, class text, lowmem boolean, sql text);

-- ---------------------------------------------------------------------------
-- templates(): the full, deterministic template pool (before deduplication).
-- class: light | medium | heavy | spill (run with work_mem = 64kB) | dml
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION qpm_workload.templates()
RETURNS TABLE(id int, family text, class text, lowmem boolean, sql text, skey text)
LANGUAGE plpgsql STABLE AS $fn$
#variable_conflict use_column
DECLARE
	acc     qpm_workload.tpl[] := '{}';
	main    text[] := ARRAY['c', 'o', 'oi', 'p', 'e', 'w'];
	alltabs text[] := ARRAY['c', 'o', 'oi', 'p', 'e', 'w', 'cat', 's', 'r'];
	x text; t text; tf text; pj text; ip text; mp text; sp text; g text; g2 text;
	a text; oc text; n text; w text; wc text; cls text; fm text; y text;
	parts text[]; arr text[]; arr2 text[]; srcs text[]; drv text[]; wh text[];
	i int; j int; k int; lj int;
BEGIN
	------------------------------------------------------------------ spill
	-- sorts of 3k-30k rows with work_mem = 64kB
	FOREACH x IN ARRAY ARRAY[
		'o|o.order_date {range:oday:20:90};o.customer_id {range:cust:300:1500}|o.total_amount DESC, o.id;o.channel, o.id',
		'e|e.event_time {range:ets:48:240};e.customer_id {range:cust:100:600}|e.duration_ms DESC, e.id;e.page, e.id',
		'oi|oi.order_id {range:order:3000:12000}|oi.unit_price DESC, oi.order_id, oi.line_no;oi.product_id, oi.order_id, oi.line_no',
		'c|-|c.credit_limit DESC, c.id;c.name, c.id',
		'w|-|w.x02 DESC, w.id;w.t05, w.id']
	LOOP
		parts := string_to_array(x, '|');
		t := parts[1];
		FOREACH mp IN ARRAY string_to_array(parts[2], ';') LOOP
			wc := CASE WHEN mp = '-' THEN '' ELSE ' WHERE ' || mp END;
			FOREACH oc IN ARRAY string_to_array(parts[3], ';') LOOP
				FOR i IN 1 .. 3 LOOP
					acc := acc || ROW('spill_sort', 'spill', true,
						format('SELECT %s FROM %s%s ORDER BY %s', (qpm_workload._cat(t, 'proj'))[i],
							   qpm_workload._from(t), wc, oc))::qpm_workload.tpl;
				END LOOP;
			END LOOP;
		END LOOP;
	END LOOP;
	-- hash aggregates / DISTINCT / count(DISTINCT) / windows on high-cardinality keys
	FOREACH x IN ARRAY ARRAY[
		'o|o.order_date {range:oday:20:90};o.id {range:order:5000:20000};-|o.customer_id;o.total_amount|count(*), sum(o.total_amount);max(o.order_date), min(o.shipping_cost)|o.total_amount',
		'e|e.event_time {range:ets:48:240};e.id {range:event:10000:40000};-|e.customer_id;e.session_id;e.page|count(*), max(e.event_time);avg(e.duration_ms), count(DISTINCT e.event_type)|e.duration_ms',
		'oi|oi.order_id {range:order:3000:12000}|oi.product_id;oi.unit_price|count(*), sum(oi.quantity);avg(oi.discount)|oi.unit_price',
		'c|-|lower(c.email);c.credit_limit|count(*);max(c.signup_date)|c.id']
	LOOP
		parts := string_to_array(x, '|');
		t := parts[1];
		tf := qpm_workload._from(t);
		FOREACH mp IN ARRAY string_to_array(parts[2], ';') LOOP
			wc := CASE WHEN mp = '-' THEN '' ELSE ' WHERE ' || mp END;
			FOREACH g IN ARRAY string_to_array(parts[3], ';') LOOP
				FOREACH a IN ARRAY string_to_array(parts[4], ';') LOOP
					acc := acc || ROW('spill_agg', 'spill', true,
						format('SELECT %s, %s FROM %s%s GROUP BY %s', g, a, tf, wc, g))::qpm_workload.tpl;
				END LOOP;
				acc := acc || ROW('spill_distinct', 'spill', true,
					format('SELECT DISTINCT %s FROM %s%s', g, tf, wc))::qpm_workload.tpl;
				acc := acc || ROW('spill_distinct', 'spill', true,
					format('SELECT count(DISTINCT %s) FROM %s%s', g, tf, wc))::qpm_workload.tpl;
				IF mp <> '-' OR t = 'c' THEN
					acc := acc || ROW('spill_window', 'spill', true,
						format('SELECT %s, %s, rank() OVER (PARTITION BY %s ORDER BY %s DESC) FROM %s%s',
							   g, parts[5], g, parts[5], tf, wc))::qpm_workload.tpl;
				END IF;
			END LOOP;
		END LOOP;
	END LOOP;
	-- hash joins with many batches
	FOREACH mp IN ARRAY ARRAY['o.order_date {range:oday:30:120}', 'o.id {range:order:5000:20000}'] LOOP
		FOREACH g IN ARRAY ARRAY['c.country_code', 'c.segment', 'c.region_id'] LOOP
			acc := acc || ROW('spill_join', 'spill', true,
				format('SELECT %s, count(*), sum(o.total_amount) FROM qpm_workload.customers c '
					   'JOIN qpm_workload.orders o ON o.customer_id = c.id WHERE %s GROUP BY %s', g, mp, g))::qpm_workload.tpl;
		END LOOP;
		FOREACH g IN ARRAY ARRAY['o.channel', 'oi.quantity'] LOOP
			acc := acc || ROW('spill_join', 'spill', true,
				format('SELECT %s, count(*), sum(oi.unit_price * oi.quantity) FROM qpm_workload.orders o '
					   'JOIN qpm_workload.order_items oi ON oi.order_id = o.id WHERE %s GROUP BY %s', g, mp, g))::qpm_workload.tpl;
		END LOOP;
	END LOOP;

	-------------------------------------------------------------------- dml
	-- INSERT ... SELECT into the log
	FOREACH x IN ARRAY ARRAY[
		'o|''orders'', o.id, o.total_amount, o.status|o.customer_id = {cust};o.id {range:order:10:200};o.order_date {range:ots:1:24}',
		'oi|''items'', oi.order_id, oi.unit_price * oi.quantity, oi.product_id::text|oi.order_id {range:order:10:100};oi.product_id = {prod}',
		'e|''events'', e.id, e.duration_ms, e.event_type|e.customer_id = {cust};e.event_time {range:ets:1:3}',
		'c|''customers'', c.id, c.credit_limit, c.email|c.id {range:cust:10:200};c.signup_date {range:sday:1:3}',
		'p|''products'', p.id, p.price, p.sku|p.category_id = {cat};p.id {range:prod:5:50}']
	LOOP
		parts := string_to_array(x, '|');
		FOREACH ip IN ARRAY string_to_array(parts[3], ';') LOOP
			fm := format('INSERT INTO qpm_workload.scratch_log (src, ref_id, amount, note) SELECT %s FROM %s WHERE %s',
						 parts[2], qpm_workload._from(parts[1]), ip);
			acc := acc || ROW('dml_insert_select', 'dml', false, fm)::qpm_workload.tpl;
			acc := acc || ROW('dml_insert_select', 'dml', false, fm || ' RETURNING id')::qpm_workload.tpl;
		END LOOP;
	END LOOP;
	-- multi-row VALUES (each row count is a different queryid)
	FOREACH k IN ARRAY ARRAY[1, 2, 3, 5, 8, 13, 20] LOOP
		fm := 'INSERT INTO qpm_workload.scratch_log (src, ref_id, amount, note) VALUES ';
		FOR i IN 1 .. k LOOP
			fm := fm || CASE WHEN i > 1 THEN ', ' ELSE '' END || '({src}, {int:1:1000000}, {num:1:500}, {word})';
		END LOOP;
		acc := acc || ROW('dml_insert_values', 'dml', false, fm)::qpm_workload.tpl;
		IF k IN (1, 3) THEN
			acc := acc || ROW('dml_insert_values', 'dml', false, fm || ' RETURNING id, created_at')::qpm_workload.tpl;
		END IF;
	END LOOP;
	-- upserts
	acc := acc || ROW('dml_upsert', 'dml', false,
		'INSERT INTO qpm_workload.scratch_kv AS kv (k, v, n) VALUES ({kv}, {word}, 1) ON CONFLICT (k) DO UPDATE SET n = kv.n + 1')::qpm_workload.tpl;
	acc := acc || ROW('dml_upsert', 'dml', false,
		'INSERT INTO qpm_workload.scratch_kv AS kv (k, v, n) VALUES ({kv}, {word}, 1) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v, n = kv.n + EXCLUDED.n')::qpm_workload.tpl;
	acc := acc || ROW('dml_upsert', 'dml', false,
		'INSERT INTO qpm_workload.scratch_kv AS kv (k, v, n) VALUES ({kv}, {word}, 1) ON CONFLICT (k) DO NOTHING')::qpm_workload.tpl;
	FOREACH k IN ARRAY ARRAY[2, 3, 5, 10, 25] LOOP
		fm := 'INSERT INTO qpm_workload.scratch_kv AS kv (k, v, n) VALUES ';
		FOR i IN 1 .. k LOOP
			fm := fm || CASE WHEN i > 1 THEN ', ' ELSE '' END || '({kv}, {word}, 1)';
		END LOOP;
		acc := acc || ROW('dml_upsert', 'dml', false, fm || ' ON CONFLICT (k) DO NOTHING')::qpm_workload.tpl;
	END LOOP;
	-- UPDATE
	FOREACH a IN ARRAY ARRAY['status = {status}', 'total_amount = s.total_amount + {num:1:10}',
							 'updated_at = now()', 'note = coalesce(s.note, {word})',
							 'discount = s.discount + {num:0:1}, updated_at = now()',
							 'shipping_cost = {num:0:10}, channel = {channel}']
	LOOP
		FOREACH w IN ARRAY ARRAY['s.id = {sorder}', 's.id {range:sorder:10:300}', 's.customer_id = {cust}',
								 's.id {range:sorder:100:1000} AND s.status = {status}',
								 's.channel = {channel} AND s.total_amount > {num:1900:1999}']
		LOOP
			acc := acc || ROW('dml_update', 'dml', false,
				format('UPDATE qpm_workload.scratch_orders s SET %s WHERE %s', a, w))::qpm_workload.tpl;
		END LOOP;
		acc := acc || ROW('dml_update', 'dml', false,
			format('UPDATE qpm_workload.scratch_orders s SET %s WHERE s.id = {sorder} RETURNING s.id', a))::qpm_workload.tpl;
	END LOOP;
	acc := acc || ROW('dml_update_from', 'dml', false,
		'UPDATE qpm_workload.scratch_orders s SET total_amount = o.total_amount, updated_at = now() FROM qpm_workload.orders o WHERE o.id = s.id AND s.id {range:sorder:10:300}')::qpm_workload.tpl;
	acc := acc || ROW('dml_update_from', 'dml', false,
		'UPDATE qpm_workload.scratch_orders s SET note = c.email FROM qpm_workload.customers c WHERE c.id = s.customer_id AND s.id {range:sorder:10:200}')::qpm_workload.tpl;
	acc := acc || ROW('dml_update_from', 'dml', false,
		'UPDATE qpm_workload.scratch_orders s SET region_id = c.region_id FROM qpm_workload.customers c WHERE c.id = s.customer_id AND c.id = {cust}')::qpm_workload.tpl;
	acc := acc || ROW('dml_update_from', 'dml', false,
		'UPDATE qpm_workload.scratch_kv kv SET n = kv.n + 1 FROM qpm_workload.scratch_orders s WHERE kv.k = s.id AND s.customer_id = {cust}')::qpm_workload.tpl;
	-- DELETE (and re-insert, so the tables stay about the same size)
	acc := acc || ROW('dml_delete', 'dml', false,
		'DELETE FROM qpm_workload.scratch_log l WHERE l.id IN (SELECT l2.id FROM qpm_workload.scratch_log l2 ORDER BY l2.id LIMIT {int:100:600})')::qpm_workload.tpl;
	acc := acc || ROW('dml_delete', 'dml', false,
		'DELETE FROM qpm_workload.scratch_log l WHERE l.src = {src} AND l.ref_id < {int:100:5000}')::qpm_workload.tpl;
	acc := acc || ROW('dml_delete', 'dml', false,
		'DELETE FROM qpm_workload.scratch_log l WHERE l.id < (SELECT min(l2.id) + {int:50:300} FROM qpm_workload.scratch_log l2) RETURNING l.id')::qpm_workload.tpl;
	acc := acc || ROW('dml_delete', 'dml', false,
		'DELETE FROM qpm_workload.scratch_orders s WHERE s.id {range:sorder:1:20}')::qpm_workload.tpl;
	acc := acc || ROW('dml_delete', 'dml', false,
		'DELETE FROM qpm_workload.scratch_orders s USING qpm_workload.customers c WHERE c.id = s.customer_id AND c.id = {cust}')::qpm_workload.tpl;
	acc := acc || ROW('dml_delete', 'dml', false,
		'DELETE FROM qpm_workload.scratch_orders s WHERE s.customer_id = {cust} RETURNING s.id, s.total_amount')::qpm_workload.tpl;
	acc := acc || ROW('dml_delete', 'dml', false,
		'DELETE FROM qpm_workload.scratch_kv kv WHERE kv.k {range:kv:1:30}')::qpm_workload.tpl;
	acc := acc || ROW('dml_delete', 'dml', false,
		'DELETE FROM qpm_workload.scratch_kv kv WHERE kv.n > {int:3:6}')::qpm_workload.tpl;
	FOREACH w IN ARRAY ARRAY['o.id {range:sorder:1:100}', 'o.customer_id = {cust} AND o.id <= {sorder}'] LOOP
		acc := acc || ROW('dml_insert_select', 'dml', false,
			format('INSERT INTO qpm_workload.scratch_orders (id, customer_id, order_date, status, channel, region_id, '
				   'total_amount, shipping_cost, discount, note) SELECT o.id, o.customer_id, o.order_date, o.status, '
				   'o.channel, o.region_id, o.total_amount, o.shipping_cost, o.discount, o.note '
				   'FROM qpm_workload.orders o WHERE %s ON CONFLICT (id) DO NOTHING', w))::qpm_workload.tpl;
	END LOOP;
	acc := acc || ROW('dml_insert_select', 'dml', false,
		'INSERT INTO qpm_workload.scratch_kv AS kv (k, v, n) SELECT i, md5(i::text), 1 FROM generate_series({kv}, {kv} + {int:10:50}) i ON CONFLICT (k) DO NOTHING')::qpm_workload.tpl;

	----------------------------------------------------------------- lookups
	FOREACH t IN ARRAY alltabs LOOP
		tf := qpm_workload._from(t);
		FOREACH pj IN ARRAY qpm_workload._cat(t, 'proj') LOOP
			FOREACH ip IN ARRAY qpm_workload._cat(t, 'ipred') LOOP
				acc := acc || ROW('lookup', 'light', false, format('SELECT %s FROM %s WHERE %s', pj, tf, ip))::qpm_workload.tpl;
			END LOOP;
		END LOOP;
		FOREACH ip IN ARRAY qpm_workload._cat(t, 'ipred') LOOP
			FOREACH sp IN ARRAY qpm_workload._cat(t, 'spred') LOOP
				acc := acc || ROW('lookup_filter', 'light', false,
					format('SELECT %s FROM %s WHERE %s AND %s', (qpm_workload._cat(t, 'proj'))[1], tf, ip, sp))::qpm_workload.tpl;
			END LOOP;
			CONTINUE WHEN ip LIKE '% = %';
			FOREACH oc IN ARRAY qpm_workload._cat(t, 'ocol') LOOP
				FOR i IN 1 .. least(3, cardinality(qpm_workload._cat(t, 'proj'))) LOOP
					acc := acc || ROW('lookup_sorted', 'light', false,
						format('SELECT %s FROM %s WHERE %s ORDER BY %s', (qpm_workload._cat(t, 'proj'))[i], tf, ip, oc))::qpm_workload.tpl;
				END LOOP;
				acc := acc || ROW('lookup_sorted', 'light', false,
					format('SELECT %s FROM %s WHERE %s ORDER BY %s LIMIT {int:1:10}', (qpm_workload._cat(t, 'proj'))[1], tf, ip, oc))::qpm_workload.tpl;
			END LOOP;
		END LOOP;
	END LOOP;

	------------------------------------------------------------ range scans
	FOREACH t IN ARRAY main LOOP
		tf := qpm_workload._from(t);
		arr := qpm_workload._cat(t, 'proj');
		FOREACH mp IN ARRAY qpm_workload._cat(t, 'mpred') LOOP
			FOR i IN 1 .. 4 LOOP
				acc := acc || ROW('range_scan', 'medium', false, format('SELECT %s FROM %s WHERE %s', arr[i], tf, mp))::qpm_workload.tpl;
			END LOOP;
			FOREACH sp IN ARRAY qpm_workload._cat(t, 'spred') LOOP
				acc := acc || ROW('range_scan', 'medium', false, format('SELECT %s FROM %s WHERE %s AND %s', arr[1], tf, mp, sp))::qpm_workload.tpl;
			END LOOP;
			FOREACH oc IN ARRAY qpm_workload._cat(t, 'ocol') LOOP
				acc := acc || ROW('range_topn', 'medium', false,
					format('SELECT %s FROM %s WHERE %s ORDER BY %s LIMIT {int:5:50}', arr[2], tf, mp, oc))::qpm_workload.tpl;
				acc := acc || ROW('range_sort', 'medium', false,
					format('SELECT %s FROM %s WHERE %s ORDER BY %s', arr[3], tf, mp, oc))::qpm_workload.tpl;
			END LOOP;
		END LOOP;
	END LOOP;

	------------------------------------------------------------- full scans
	FOREACH t IN ARRAY alltabs LOOP
		tf := qpm_workload._from(t);
		cls := qpm_workload._scan_class(t);
		arr := qpm_workload._cat(t, 'proj');
		arr2 := qpm_workload._cat(t, 'spred');
		FOR j IN 1 .. cardinality(arr2) LOOP
			FOR i IN 1 .. least(3, cardinality(arr)) LOOP
				acc := acc || ROW('full_scan', cls, false, format('SELECT %s FROM %s WHERE %s', arr[i], tf, arr2[j]))::qpm_workload.tpl;
			END LOOP;
			FOR k IN j + 1 .. cardinality(arr2) LOOP
				acc := acc || ROW('full_scan', cls, false,
					format('SELECT %s FROM %s WHERE %s AND %s', arr[1], tf, arr2[j], arr2[k]))::qpm_workload.tpl;
				acc := acc || ROW('full_scan', cls, false,
					format('SELECT %s FROM %s WHERE %s OR %s', arr[1], tf, arr2[j], arr2[k]))::qpm_workload.tpl;
			END LOOP;
			FOREACH oc IN ARRAY qpm_workload._cat(t, 'ocol') LOOP
				acc := acc || ROW('full_scan_topn', cls, false,
					format('SELECT %s FROM %s WHERE %s ORDER BY %s LIMIT {int:10:50}', arr[least(2, cardinality(arr))], tf, arr2[j], oc))::qpm_workload.tpl;
			END LOOP;
		END LOOP;
		-- top-N without predicate: cheap via an index, a full scan + sort otherwise
		FOREACH oc IN ARRAY qpm_workload._cat(t, 'ocol') LOOP
			wc := CASE WHEN oc = ANY (qpm_workload._cat(t, 'iocol')) THEN 'light' ELSE cls END;
			FOR i IN 1 .. least(2, cardinality(arr)) LOOP
				acc := acc || ROW('topn', wc, false, format('SELECT %s FROM %s ORDER BY %s LIMIT {int:5:50}', arr[i], tf, oc))::qpm_workload.tpl;
			END LOOP;
			acc := acc || ROW('topn', wc, false,
				format('SELECT %s FROM %s ORDER BY %s LIMIT {int:5:20} OFFSET {int:10:200}', arr[1], tf, oc))::qpm_workload.tpl;
		END LOOP;
		IF t IN ('cat', 's', 'r') THEN
			FOREACH pj IN ARRAY arr LOOP
				acc := acc || ROW('full_scan', 'light', false, format('SELECT %s FROM %s', pj, tf))::qpm_workload.tpl;
			END LOOP;
		END IF;
	END LOOP;

	---------------------------------------------------- DISTINCT / DISTINCT ON
	FOREACH t IN ARRAY main LOOP
		tf := qpm_workload._from(t);
		cls := qpm_workload._scan_class(t);
		arr := qpm_workload._cat(t, 'gcol');
		FOR i IN 1 .. cardinality(arr) LOOP
			acc := acc || ROW('distinct', cls, false, format('SELECT DISTINCT %s FROM %s', arr[i], tf))::qpm_workload.tpl;
			FOREACH mp IN ARRAY qpm_workload._cat(t, 'mpred') LOOP
				acc := acc || ROW('distinct', 'medium', false, format('SELECT DISTINCT %s FROM %s WHERE %s', arr[i], tf, mp))::qpm_workload.tpl;
			END LOOP;
			FOR j IN i + 1 .. cardinality(arr) LOOP
				acc := acc || ROW('distinct', 'medium', false,
					format('SELECT DISTINCT %s, %s FROM %s WHERE %s', arr[i], arr[j], tf, (qpm_workload._cat(t, 'mpred'))[1]))::qpm_workload.tpl;
			END LOOP;
			CONTINUE WHEN i > 2;
			FOREACH oc IN ARRAY (qpm_workload._cat(t, 'ocol'))[1:2] LOOP
				acc := acc || ROW('distinct_on', 'medium', false,
					format('SELECT DISTINCT ON (%s) %s, %s FROM %s WHERE %s ORDER BY %s, %s', arr[i], arr[i],
						   (qpm_workload._cat(t, 'proj'))[1], tf, (qpm_workload._cat(t, 'mpred'))[1], arr[i], oc))::qpm_workload.tpl;
			END LOOP;
		END LOOP;
	END LOOP;

	-------------------------------------------------------------- aggregates
	FOREACH t IN ARRAY ARRAY['c', 'o', 'oi', 'p', 'e', 'w', 's', 'cat'] LOOP
		tf := qpm_workload._from(t);
		cls := qpm_workload._scan_class(t);
		arr := qpm_workload._cat(t, 'gcol');
		-- (where clause, class) pairs
		wh := ARRAY['', cls];
		IF cardinality(qpm_workload._cat(t, 'mpred')) > 0 THEN
			wh := wh || ARRAY[' WHERE ' || (qpm_workload._cat(t, 'mpred'))[1], 'medium'];
		END IF;
		IF cardinality(qpm_workload._cat(t, 'spred')) > 0 THEN
			wh := wh || ARRAY[' WHERE ' || (qpm_workload._cat(t, 'spred'))[1], cls];
		END IF;
		FOREACH g IN ARRAY arr LOOP
			FOREACH a IN ARRAY qpm_workload._cat(t, 'agg') LOOP
				FOR i IN 1 .. cardinality(wh) / 2 LOOP
					acc := acc || ROW('agg', wh[2 * i], false,
						format('SELECT %s, %s FROM %s%s GROUP BY %s', g, a, tf, wh[2 * i - 1], g))::qpm_workload.tpl;
				END LOOP;
			END LOOP;
			IF cardinality(qpm_workload._cat(t, 'mpred')) > 0 THEN
				FOREACH mp IN ARRAY qpm_workload._cat(t, 'mpred') LOOP
					acc := acc || ROW('agg_having', 'medium', false,
						format('SELECT %s, count(*) FROM %s WHERE %s GROUP BY %s HAVING count(*) > {int:1:20} ORDER BY count(*) DESC',
							   g, tf, mp, g))::qpm_workload.tpl;
					acc := acc || ROW('agg_having', 'medium', false,
						format('SELECT %s, count(*) FROM %s WHERE %s GROUP BY %s ORDER BY %s LIMIT {int:3:10}',
							   g, tf, mp, g, g))::qpm_workload.tpl;
				END LOOP;
			END IF;
		END LOOP;
		FOR i IN 1 .. least(3, cardinality(arr)) LOOP
			FOR j IN i + 1 .. least(3, cardinality(arr)) LOOP
				acc := acc || ROW('agg_multi', cls, false,
					format('SELECT %s, %s, count(*) FROM %s GROUP BY %s, %s', arr[i], arr[j], tf, arr[i], arr[j]))::qpm_workload.tpl;
				CONTINUE WHEN cardinality(qpm_workload._cat(t, 'mpred')) = 0;
				mp := (qpm_workload._cat(t, 'mpred'))[1];
				n := (qpm_workload._cat(t, 'ncol'))[1];
				acc := acc || ROW('agg_multi', 'medium', false,
					format('SELECT %s, %s, count(*) FROM %s WHERE %s GROUP BY %s, %s', arr[i], arr[j], tf, mp, arr[i], arr[j]))::qpm_workload.tpl;
				acc := acc || ROW('agg_rollup', 'medium', false,
					format('SELECT %s, %s, count(*), sum(%s) FROM %s WHERE %s GROUP BY ROLLUP (%s, %s)', arr[i], arr[j], n, tf, mp, arr[i], arr[j]))::qpm_workload.tpl;
				acc := acc || ROW('agg_rollup', 'medium', false,
					format('SELECT %s, %s, avg(%s) FROM %s WHERE %s GROUP BY CUBE (%s, %s)', arr[i], arr[j], n, tf, mp, arr[i], arr[j]))::qpm_workload.tpl;
				acc := acc || ROW('agg_rollup', 'medium', false,
					format('SELECT %s, %s, count(*) FROM %s WHERE %s GROUP BY GROUPING SETS ((%s), (%s), ())', arr[i], arr[j], tf, mp, arr[i], arr[j]))::qpm_workload.tpl;
			END LOOP;
		END LOOP;
		-- global aggregates
		FOREACH a IN ARRAY qpm_workload._cat(t, 'agg') LOOP
			FOREACH ip IN ARRAY qpm_workload._cat(t, 'ipred') LOOP
				CONTINUE WHEN ip LIKE '% = %';
				acc := acc || ROW('agg_global', 'light', false, format('SELECT %s FROM %s WHERE %s', a, tf, ip))::qpm_workload.tpl;
			END LOOP;
			FOREACH mp IN ARRAY qpm_workload._cat(t, 'mpred') LOOP
				acc := acc || ROW('agg_global', 'medium', false, format('SELECT %s FROM %s WHERE %s', a, tf, mp))::qpm_workload.tpl;
			END LOOP;
			FOREACH sp IN ARRAY qpm_workload._cat(t, 'spred') LOOP
				acc := acc || ROW('agg_global', cls, false, format('SELECT %s FROM %s WHERE %s', a, tf, sp))::qpm_workload.tpl;
			END LOOP;
			acc := acc || ROW('agg_global', cls, false, format('SELECT %s FROM %s', a, tf))::qpm_workload.tpl;
		END LOOP;
	END LOOP;

	------------------------------------------------------------------ joins
	-- path | drivers (class letter L/M/H : predicate, empty = none) | select lists | group keys | aggregates
	FOREACH x IN ARRAY ARRAY[
		'qpm_workload.customers c JOIN qpm_workload.orders o ON o.customer_id = c.id'
		'|L:c.id = {cust};L:c.id IN {inlist:cust:5};L:c.email = {email};M:o.order_date {range:oday:1:4};M:c.country_code = {country} AND o.order_date {range:oday:5:20};M:c.signup_date {range:sday:1:10};H:o.total_amount > {num:1900:1990};H:'
		'|c.name, o.id, o.order_date, o.total_amount;c.*, o.*;c.email, o.status, o.channel'
		'|c.country_code;o.status;c.segment;date_trunc(''month'', o.order_date)|count(*), sum(o.total_amount)',
		'qpm_workload.orders o JOIN qpm_workload.order_items oi ON oi.order_id = o.id'
		'|L:o.id = {order};L:o.customer_id = {cust};L:o.id {range:order:10:150};M:o.order_date {range:oday:1:5};M:oi.product_id IN {inlist:prod:5};H:oi.quantity > {int:8:9};H:'
		'|o.id, o.order_date, oi.line_no, oi.quantity;o.*, oi.*;o.status, oi.product_id, oi.unit_price'
		'|o.status;o.channel;oi.quantity|count(*), sum(oi.quantity * oi.unit_price)',
		'qpm_workload.order_items oi JOIN qpm_workload.products p ON p.id = oi.product_id'
		'|L:oi.order_id = {order};L:oi.order_id {range:order:10:150};L:p.id = {prod};L:p.sku = {sku};M:p.supplier_id = {supp};M:oi.order_id {range:order:1000:5000};H:p.price > {num:450:490};H:'
		'|oi.order_id, p.name, oi.quantity;p.sku, p.price, oi.unit_price, oi.discount;oi.*, p.name'
		'|p.category_id;p.supplier_id;p.is_discontinued|count(*), sum(oi.quantity), avg(p.price)',
		'qpm_workload.products p JOIN qpm_workload.categories cat ON cat.id = p.category_id'
		'|L:p.id = {prod};L:cat.id = {cat};L:p.price > {num:400:490};L:cat.parent_id = {int:1:8};L:'
		'|p.name, cat.name;p.*, cat.name;p.id, p.price, cat.parent_id'
		'|cat.name;cat.parent_id|count(*), avg(p.price)',
		'qpm_workload.customers c JOIN qpm_workload.orders o ON o.customer_id = c.id JOIN qpm_workload.order_items oi ON oi.order_id = o.id'
		'|L:c.id = {cust};L:c.email = {email};M:o.order_date {range:oday:1:3};M:c.country_code = {country} AND o.order_date {range:oday:1:10};H:'
		'|c.name, o.id, oi.product_id, oi.quantity;c.email, o.order_date, oi.unit_price'
		'|c.country_code;c.segment;o.channel|count(*), sum(oi.unit_price * oi.quantity)',
		'qpm_workload.orders o JOIN qpm_workload.order_items oi ON oi.order_id = o.id JOIN qpm_workload.products p ON p.id = oi.product_id'
		'|L:o.id = {order};L:o.customer_id = {cust};M:o.order_date {range:oday:1:4};M:p.supplier_id = {supp} AND o.order_date {range:oday:10:60};H:p.category_id = {cat};H:'
		'|o.id, o.order_date, p.name, oi.quantity;o.status, p.sku, p.price'
		'|p.category_id;o.status;o.region_id|count(*), sum(oi.quantity * p.price)',
		'qpm_workload.customers c JOIN qpm_workload.orders o ON o.customer_id = c.id JOIN qpm_workload.order_items oi ON oi.order_id = o.id JOIN qpm_workload.products p ON p.id = oi.product_id'
		'|L:c.id = {cust};L:c.id IN {inlist:cust:3};M:o.order_date {range:oday:1:3};M:c.signup_date {range:sday:1:5};H:'
		'|c.name, o.order_date, p.name, oi.quantity;c.email, p.sku, oi.unit_price'
		'|c.country_code;p.category_id|count(*), sum(oi.quantity * oi.unit_price), count(DISTINCT c.id)',
		'qpm_workload.order_items oi JOIN qpm_workload.products p ON p.id = oi.product_id JOIN qpm_workload.categories cat ON cat.id = p.category_id'
		'|L:oi.order_id = {order};L:oi.order_id {range:order:10:150};M:cat.id = {cat};H:'
		'|oi.order_id, p.name, cat.name;cat.name, oi.quantity, oi.unit_price'
		'|cat.name;cat.parent_id|count(*), sum(oi.quantity)',
		'qpm_workload.events e JOIN qpm_workload.customers c ON c.id = e.customer_id'
		'|L:c.id = {cust};L:e.event_time {range:ets:0:2};M:e.event_time {range:ets:12:48};M:c.country_code = {country} AND e.event_time {range:ets:6:48};H:e.event_type = {etype};H:'
		'|c.name, e.event_time, e.event_type;c.email, e.page, e.duration_ms;c.*, e.properties'
		'|c.country_code;e.event_type;c.segment|count(*), avg(e.duration_ms)',
		'qpm_workload.orders o JOIN qpm_workload.regions r ON r.id = o.region_id'
		'|L:o.id = {order};L:o.customer_id = {cust};M:o.order_date {range:oday:2:20};H:'
		'|o.id, r.name, o.total_amount;r.*, o.status'
		'|r.name|count(*), sum(o.total_amount)',
		'qpm_workload.customers c JOIN qpm_workload.orders o ON o.customer_id = c.id JOIN qpm_workload.regions r ON r.id = o.region_id'
		'|L:c.id = {cust};M:o.order_date {range:oday:1:5};H:'
		'|c.name, r.name, o.total_amount'
		'|r.name;c.segment|count(*), avg(o.total_amount)',
		'qpm_workload.products p JOIN qpm_workload.suppliers s ON s.id = p.supplier_id'
		'|L:p.id = {prod};L:s.id = {supp};L:s.country_code = {country};L:'
		'|p.name, s.name, s.rating;p.*, s.country_code'
		'|s.country_code|count(*), avg(p.price), max(s.rating)',
		'qpm_workload.order_items oi JOIN qpm_workload.products p ON p.id = oi.product_id JOIN qpm_workload.suppliers s ON s.id = p.supplier_id'
		'|L:oi.order_id {range:order:10:150};M:s.id = {supp};H:'
		'|oi.order_id, p.name, s.name'
		'|s.country_code|count(*), sum(oi.quantity * oi.unit_price)',
		'qpm_workload.events e JOIN qpm_workload.customers c ON c.id = e.customer_id JOIN qpm_workload.regions r ON r.id = c.region_id'
		'|L:c.id = {cust};M:e.event_time {range:ets:6:48};H:'
		'|r.name, c.name, e.event_type'
		'|r.name;e.event_type|count(*), count(DISTINCT e.session_id)',
		'qpm_workload.customers c JOIN qpm_workload.wide_profile w ON w.id = c.id'
		'|L:c.id = {cust};L:c.id {range:cust:10:200};M:c.country_code = {country};M:'
		'|c.name, w.n01, w.x01, w.t01;c.*, w.*'
		'|c.country_code;w.g1|count(*), avg(w.x02)']
	LOOP
		parts := string_to_array(x, '|');
		FOR lj IN 0 .. 1 LOOP
			tf := CASE WHEN lj = 0 THEN parts[1] ELSE replace(parts[1], ' JOIN ', ' LEFT JOIN ') END;
			FOREACH y IN ARRAY string_to_array(parts[2], ';') LOOP
				cls := CASE left(y, 1) WHEN 'L' THEN 'light' WHEN 'M' THEN 'medium' ELSE 'heavy' END;
				w := substr(y, 3);
				wc := CASE WHEN w = '' THEN '' ELSE ' WHERE ' || w END;
				FOREACH pj IN ARRAY string_to_array(parts[3], ';') LOOP
					IF w = '' THEN
						acc := acc || ROW('join', 'medium', false,
							format('SELECT %s FROM %s LIMIT {int:10:100}', pj, tf))::qpm_workload.tpl;
					ELSE
						acc := acc || ROW('join', cls, false, format('SELECT %s FROM %s%s', pj, tf, wc))::qpm_workload.tpl;
					END IF;
				END LOOP;
				FOREACH g IN ARRAY string_to_array(parts[4], ';') LOOP
					acc := acc || ROW('join_agg', cls, false,
						format('SELECT %s, %s FROM %s%s GROUP BY %s', g, parts[5], tf, wc, g))::qpm_workload.tpl;
				END LOOP;
			END LOOP;
		END LOOP;
	END LOOP;

	----------------------------------------------------------------- windows
	FOREACH t IN ARRAY main LOOP
		tf := qpm_workload._from(t);
		pj := (qpm_workload._cat(t, 'proj'))[1];
		oc := (qpm_workload._cat(t, 'ocol'))[1];
		n := (qpm_workload._cat(t, 'ncol'))[1];
		wh := '{}';
		FOREACH ip IN ARRAY qpm_workload._cat(t, 'ipred') LOOP
			CONTINUE WHEN ip LIKE '% = %';
			wh := wh || ARRAY[' WHERE ' || ip, 'light'];
		END LOOP;
		FOREACH mp IN ARRAY qpm_workload._cat(t, 'mpred') LOOP
			wh := wh || ARRAY[' WHERE ' || mp, 'medium'];
		END LOOP;
		wh := wh || ARRAY['', qpm_workload._scan_class(t)];
		FOREACH g IN ARRAY (qpm_workload._cat(t, 'gcol'))[1:2] LOOP
			FOR i IN 1 .. cardinality(wh) / 2 LOOP
				wc := wh[2 * i - 1];
				cls := wh[2 * i];
				FOREACH fm IN ARRAY ARRAY[
					'SELECT %1$s, row_number() OVER (PARTITION BY %2$s ORDER BY %3$s) FROM %5$s%6$s',
					'SELECT %1$s, sum(%4$s) OVER (PARTITION BY %2$s) FROM %5$s%6$s',
					'SELECT %1$s, rank() OVER (ORDER BY %4$s DESC) FROM %5$s%6$s',
					'SELECT %1$s, avg(%4$s) OVER (ORDER BY %3$s ROWS BETWEEN 3 PRECEDING AND CURRENT ROW) FROM %5$s%6$s',
					'SELECT %1$s, lag(%4$s) OVER (PARTITION BY %2$s ORDER BY %3$s), lead(%4$s) OVER (PARTITION BY %2$s ORDER BY %3$s) FROM %5$s%6$s',
					'SELECT * FROM (SELECT %1$s, row_number() OVER (PARTITION BY %2$s ORDER BY %3$s) AS rn FROM %5$s%6$s) x WHERE x.rn <= {int:1:3}',
					'SELECT %2$s, %4$s, ntile(4) OVER (PARTITION BY %2$s ORDER BY %4$s) FROM %5$s%6$s',
					'SELECT %1$s, count(*) OVER (), percent_rank() OVER (ORDER BY %4$s) FROM %5$s%6$s']
				LOOP
					-- whole-table windows on the big tables only in the top-k form
					CONTINUE WHEN wc = '' AND cls = 'heavy' AND fm NOT LIKE 'SELECT * FROM%';
					acc := acc || ROW('window', cls, false, format(fm, pj, g, oc, n, tf, wc))::qpm_workload.tpl;
				END LOOP;
			END LOOP;
		END LOOP;
	END LOOP;

	---------------------------------------------------------------- set ops
	FOREACH y IN ARRAY ARRAY['cust', 'prod'] LOOP
		srcs := CASE y WHEN 'cust' THEN ARRAY[
			'L:SELECT c.id FROM qpm_workload.customers c WHERE c.signup_date {range:sday:0:5}',
			'M:SELECT c.id FROM qpm_workload.customers c WHERE c.country_code = {country}',
			'M:SELECT c.id FROM qpm_workload.customers c WHERE c.segment = {segment}',
			'L:SELECT o.customer_id FROM qpm_workload.orders o WHERE o.order_date {range:ots:1:48}',
			'M:SELECT o.customer_id FROM qpm_workload.orders o WHERE o.order_date {range:oday:5:30}',
			'H:SELECT o.customer_id FROM qpm_workload.orders o WHERE o.total_amount > {num:1900:1990}',
			'L:SELECT e.customer_id FROM qpm_workload.events e WHERE e.event_time {range:ets:0:3}',
			'M:SELECT e.customer_id FROM qpm_workload.events e WHERE e.event_time {range:ets:24:96}',
			'L:SELECT w.id FROM qpm_workload.wide_profile w WHERE w.id {range:wide:10:200}']
		ELSE ARRAY[
			'L:SELECT p.id FROM qpm_workload.products p WHERE p.category_id = {cat}',
			'L:SELECT p.id FROM qpm_workload.products p WHERE p.price > {num:450:490}',
			'L:SELECT oi.product_id FROM qpm_workload.order_items oi WHERE oi.order_id {range:order:10:300}',
			'M:SELECT oi.product_id FROM qpm_workload.order_items oi WHERE oi.order_id {range:order:2000:8000}'] END;
		FOR i IN 1 .. cardinality(srcs) LOOP
			FOR j IN 1 .. cardinality(srcs) LOOP
				CONTINUE WHEN i = j;
				cls := CASE greatest(strpos('LMH', left(srcs[i], 1)), strpos('LMH', left(srcs[j], 1)))
						WHEN 1 THEN 'light' WHEN 2 THEN 'medium' ELSE 'heavy' END;
				FOREACH a IN ARRAY ARRAY['UNION', 'UNION ALL', 'INTERSECT', 'EXCEPT'] LOOP
					CONTINUE WHEN i > j AND a <> 'EXCEPT';
					acc := acc || ROW('setop', cls, false,
						format('%s %s %s', substr(srcs[i], 3), a, substr(srcs[j], 3)))::qpm_workload.tpl;
					IF i < j AND a IN ('UNION', 'INTERSECT') THEN
						acc := acc || ROW('setop', cls, false,
							format('SELECT count(*) FROM (%s %s %s) u', substr(srcs[i], 3), a, substr(srcs[j], 3)))::qpm_workload.tpl;
					END IF;
				END LOOP;
			END LOOP;
		END LOOP;
	END LOOP;

	------------------------------------------------------------- subqueries
	drv := ARRAY['L:c.id {range:cust:5:200}', 'L:c.signup_date {range:sday:0:3}', 'L:c.id IN {inlist:cust:8}',
				 'M:c.country_code = {country}', 'M:c.signup_date {range:sday:30:180}'];
	FOREACH y IN ARRAY drv LOOP
		cls := CASE left(y, 1) WHEN 'L' THEN 'light' ELSE 'medium' END;
		w := substr(y, 3);
		FOREACH a IN ARRAY ARRAY['', ' AND o.status = {status}', ' AND o.order_date > {ots}', ' AND o.total_amount > {num:1000:1900}'] LOOP
			acc := acc || ROW('exists', cls, false, format(
				'SELECT c.id, c.name FROM qpm_workload.customers c WHERE %s AND EXISTS (SELECT 1 FROM qpm_workload.orders o WHERE o.customer_id = c.id%s)', w, a))::qpm_workload.tpl;
			acc := acc || ROW('exists', cls, false, format(
				'SELECT c.id, c.email FROM qpm_workload.customers c WHERE %s AND NOT EXISTS (SELECT 1 FROM qpm_workload.orders o WHERE o.customer_id = c.id%s)', w, a))::qpm_workload.tpl;
		END LOOP;
		acc := acc || ROW('exists', cls, false, format(
			'SELECT c.id, c.city FROM qpm_workload.customers c WHERE %s AND EXISTS (SELECT 1 FROM qpm_workload.events e WHERE e.customer_id = c.id AND e.event_type = {etype})', w))::qpm_workload.tpl;
		acc := acc || ROW('exists', cls, false, format(
			'SELECT c.id, c.segment FROM qpm_workload.customers c WHERE %s AND NOT EXISTS (SELECT 1 FROM qpm_workload.events e WHERE e.customer_id = c.id AND e.event_time > {ets})', w))::qpm_workload.tpl;
		FOREACH a IN ARRAY ARRAY['(SELECT count(*) FROM qpm_workload.orders o WHERE o.customer_id = c.id)',
								 '(SELECT max(o.order_date) FROM qpm_workload.orders o WHERE o.customer_id = c.id)',
								 '(SELECT sum(o.total_amount) FROM qpm_workload.orders o WHERE o.customer_id = c.id AND o.status = {status})',
								 '(SELECT count(*) FROM qpm_workload.events e WHERE e.customer_id = c.id)',
								 '(SELECT e.page FROM qpm_workload.events e WHERE e.customer_id = c.id ORDER BY e.event_time DESC LIMIT 1)']
		LOOP
			acc := acc || ROW('scalar_subquery', cls, false,
				format('SELECT c.id, c.name, %s FROM qpm_workload.customers c WHERE %s', a, w))::qpm_workload.tpl;
		END LOOP;
		FOREACH a IN ARRAY ARRAY['CROSS JOIN LATERAL (SELECT o.id, o.total_amount FROM qpm_workload.orders o WHERE o.customer_id = c.id ORDER BY o.order_date DESC LIMIT 3) x',
								 'LEFT JOIN LATERAL (SELECT o.id, o.total_amount FROM qpm_workload.orders o WHERE o.customer_id = c.id ORDER BY o.total_amount DESC LIMIT 1) x ON true',
								 'CROSS JOIN LATERAL (SELECT e.id, e.event_type FROM qpm_workload.events e WHERE e.customer_id = c.id ORDER BY e.event_time DESC LIMIT 5) x',
								 'LEFT JOIN LATERAL (SELECT count(*) AS n, max(e.event_time) AS last_seen FROM qpm_workload.events e WHERE e.customer_id = c.id) x ON true']
		LOOP
			acc := acc || ROW('lateral', cls, false,
				format('SELECT c.id, c.name, x.* FROM qpm_workload.customers c %s WHERE %s', a, w))::qpm_workload.tpl;
		END LOOP;
		acc := acc || ROW('in_subquery', cls, false, format(
			'SELECT o.id, o.order_date, o.total_amount FROM qpm_workload.orders o WHERE o.customer_id IN (SELECT c.id FROM qpm_workload.customers c WHERE %s)', w))::qpm_workload.tpl;
	END LOOP;
	FOREACH y IN ARRAY ARRAY['L:oi.order_id {range:order:10:300}', 'L:oi.order_id IN {inlist:order:6}',
							 'M:oi.order_id {range:order:1000:6000}', 'H:oi.quantity > {int:8:9}'] LOOP
		cls := CASE left(y, 1) WHEN 'L' THEN 'light' WHEN 'M' THEN 'medium' ELSE 'heavy' END;
		acc := acc || ROW('in_subquery', cls, false, format(
			'SELECT p.id, p.name, p.price FROM qpm_workload.products p WHERE p.id IN (SELECT oi.product_id FROM qpm_workload.order_items oi WHERE %s)', substr(y, 3)))::qpm_workload.tpl;
		acc := acc || ROW('in_subquery', CASE cls WHEN 'light' THEN 'light' ELSE 'heavy' END, false, format(
			'SELECT p.id, p.sku FROM qpm_workload.products p WHERE p.category_id = {cat} AND p.id NOT IN (SELECT oi.product_id FROM qpm_workload.order_items oi WHERE %s)', substr(y, 3)))::qpm_workload.tpl;
	END LOOP;
	FOREACH y IN ARRAY ARRAY['L:e.event_time {range:ets:0:3}', 'L:e.id {range:event:10:300}',
							 'M:e.event_time {range:ets:24:120}', 'H:e.event_type = {etype} AND e.duration_ms > {int:55000:59000}'] LOOP
		cls := CASE left(y, 1) WHEN 'L' THEN 'light' WHEN 'M' THEN 'medium' ELSE 'heavy' END;
		acc := acc || ROW('in_subquery', cls, false, format(
			'SELECT c.id, c.email FROM qpm_workload.customers c WHERE c.id IN (SELECT e.customer_id FROM qpm_workload.events e WHERE %s)', substr(y, 3)))::qpm_workload.tpl;
	END LOOP;
	FOREACH y IN ARRAY ARRAY['p.id {range:prod:5:100}', 'p.id = {prod}', 'p.category_id = {cat}', 'p.supplier_id = {supp}'] LOOP
		acc := acc || ROW('scalar_subquery', CASE WHEN y LIKE 'p.id%' THEN 'light' ELSE 'medium' END, false, format(
			'SELECT p.id, p.name, (SELECT count(*) FROM qpm_workload.order_items oi WHERE oi.product_id = p.id) FROM qpm_workload.products p WHERE %s', y))::qpm_workload.tpl;
	END LOOP;
	FOREACH y IN ARRAY ARRAY['o.customer_id = {cust}', 'o.id {range:order:10:200}'] LOOP
		acc := acc || ROW('scalar_subquery', 'light', false, format(
			'SELECT o.id, o.total_amount FROM qpm_workload.orders o WHERE %s AND o.total_amount > (SELECT avg(o2.total_amount) FROM qpm_workload.orders o2 WHERE o2.order_date {range:oday:1:5})', y))::qpm_workload.tpl;
		acc := acc || ROW('scalar_subquery', 'light', false, format(
			'SELECT o.id, o.order_date, o.total_amount - (SELECT avg(o2.total_amount) FROM qpm_workload.orders o2 WHERE o2.customer_id = o.customer_id) FROM qpm_workload.orders o WHERE %s', y))::qpm_workload.tpl;
	END LOOP;

	------------------------------------------------------------------- CTEs
	FOREACH y IN ARRAY ARRAY['L:o.customer_id IN {inlist:cust:4}', 'L:o.order_date {range:ots:1:24}',
							 'M:o.order_date {range:oday:3:30}', 'M:o.customer_id {range:cust:50:400}', 'H:o.status = {status}'] LOOP
		cls := CASE left(y, 1) WHEN 'L' THEN 'light' WHEN 'M' THEN 'medium' ELSE 'heavy' END;
		FOREACH a IN ARRAY ARRAY['', 'MATERIALIZED '] LOOP
			acc := acc || ROW('cte', cls, false, format(
				'WITH t AS %s(SELECT o.customer_id, sum(o.total_amount) AS amt, count(*) AS cnt FROM qpm_workload.orders o WHERE %s GROUP BY o.customer_id) '
				'SELECT c.name, t.amt, t.cnt FROM t JOIN qpm_workload.customers c ON c.id = t.customer_id ORDER BY t.amt DESC LIMIT {int:5:20}', a, substr(y, 3)))::qpm_workload.tpl;
		END LOOP;
		acc := acc || ROW('cte', cls, false, format(
			'WITH t AS (SELECT o.id, o.region_id, o.total_amount FROM qpm_workload.orders o WHERE %s), '
			'r AS (SELECT t.region_id, sum(t.total_amount) AS amt FROM t GROUP BY t.region_id) '
			'SELECT rg.name, r.amt FROM r JOIN qpm_workload.regions rg ON rg.id = r.region_id ORDER BY r.amt DESC', substr(y, 3)))::qpm_workload.tpl;
	END LOOP;
	FOREACH y IN ARRAY ARRAY['L:e.customer_id IN {inlist:cust:3}', 'L:e.event_time {range:ets:0:3}',
							 'M:e.event_time {range:ets:24:120}', 'M:e.customer_id {range:cust:20:150}'] LOOP
		cls := CASE left(y, 1) WHEN 'L' THEN 'light' ELSE 'medium' END;
		acc := acc || ROW('cte', cls, false, format(
			'WITH recent AS (SELECT e.customer_id, e.event_type FROM qpm_workload.events e WHERE %s), '
			'per_cust AS (SELECT recent.customer_id, count(*) AS n FROM recent GROUP BY recent.customer_id) '
			'SELECT c.country_code, sum(per_cust.n) FROM per_cust JOIN qpm_workload.customers c ON c.id = per_cust.customer_id GROUP BY c.country_code', substr(y, 3)))::qpm_workload.tpl;
	END LOOP;
	FOREACH y IN ARRAY qpm_workload._cat('p', 'ipred') || qpm_workload._cat('p', 'mpred') LOOP
		acc := acc || ROW('cte', 'light', false, format(
			'WITH x AS (SELECT p.category_id, avg(p.price) AS avg_price FROM qpm_workload.products p GROUP BY p.category_id) '
			'SELECT p.id, p.name, p.price - x.avg_price FROM qpm_workload.products p JOIN x ON x.category_id = p.category_id WHERE %s', y))::qpm_workload.tpl;
	END LOOP;
	-- recursive CTE over the category tree
	FOREACH y IN ARRAY ARRAY['cat.id = {int:1:8}', 'cat.id IN {inlist:cat:2}'] LOOP
		fm := format('WITH RECURSIVE tree AS (SELECT cat.id, cat.parent_id, 1 AS depth FROM qpm_workload.categories cat WHERE %s '
					 'UNION ALL SELECT c2.id, c2.parent_id, tree.depth + 1 FROM qpm_workload.categories c2 JOIN tree ON c2.parent_id = tree.id) ', y);
		acc := acc || ROW('recursive', 'light', false, fm || 'SELECT tree.id, tree.depth FROM tree')::qpm_workload.tpl;
		acc := acc || ROW('recursive', 'light', false,
			fm || 'SELECT tree.depth, count(p.id) FROM tree LEFT JOIN qpm_workload.products p ON p.category_id = tree.id GROUP BY tree.depth')::qpm_workload.tpl;
		acc := acc || ROW('recursive', 'light', false,
			fm || 'SELECT tree.id, avg(p.price), max(p.price) FROM tree JOIN qpm_workload.products p ON p.category_id = tree.id GROUP BY tree.id')::qpm_workload.tpl;
		acc := acc || ROW('recursive', 'heavy', false,
			fm || 'SELECT tree.depth, sum(oi.quantity) FROM tree JOIN qpm_workload.products p ON p.category_id = tree.id JOIN qpm_workload.order_items oi ON oi.product_id = p.id GROUP BY tree.depth')::qpm_workload.tpl;
	END LOOP;
	acc := acc || ROW('recursive', 'light', false,
		'WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT s.i + 1 FROM s WHERE s.i < {int:10:200}) SELECT count(*), sum(s.i) FROM s')::qpm_workload.tpl;

	-------------------------------------------------------- text and jsonb
	FOREACH y IN ARRAY ARRAY['L:c.id {range:cust:5:200}', 'L:c.id IN {inlist:cust:8}', 'M:c.country_code = {country}',
							 'M:c.signup_date {range:sday:30:180}', 'H:c.segment = {segment}'] LOOP
		cls := CASE left(y, 1) WHEN 'L' THEN 'light' WHEN 'M' THEN 'medium' ELSE 'medium' END;
		w := substr(y, 3);
		acc := acc || ROW('text', cls, false, format(
			'SELECT c.id, regexp_replace(c.notes, ''[0-9]+'', ''#'', ''g'') FROM qpm_workload.customers c WHERE %s', w))::qpm_workload.tpl;
		acc := acc || ROW('text', cls, false, format(
			'SELECT c.id, split_part(c.email, ''@'', 2), initcap(c.name) FROM qpm_workload.customers c WHERE %s', w))::qpm_workload.tpl;
		acc := acc || ROW('text', cls, false, format(
			'SELECT c.country_code, string_agg(c.email, '';'' ORDER BY c.email) FROM qpm_workload.customers c WHERE %s GROUP BY c.country_code', w))::qpm_workload.tpl;
		acc := acc || ROW('text', cls, false, format(
			'SELECT c.name, length(c.notes), left(c.notes, 20), position(''note'' IN c.notes) FROM qpm_workload.customers c WHERE %s', w))::qpm_workload.tpl;
		acc := acc || ROW('text', cls, false, format(
			'SELECT row_to_json(c) FROM qpm_workload.customers c WHERE %s', w))::qpm_workload.tpl;
	END LOOP;
	FOREACH y IN ARRAY ARRAY['L:o.customer_id = {cust}', 'L:o.id {range:order:5:200}', 'M:o.order_date {range:oday:3:30}'] LOOP
		cls := CASE left(y, 1) WHEN 'L' THEN 'light' ELSE 'medium' END;
		w := substr(y, 3);
		acc := acc || ROW('text', cls, false, format(
			'SELECT jsonb_agg(jsonb_build_object(''id'', o.id, ''amount'', o.total_amount, ''status'', o.status)) FROM qpm_workload.orders o WHERE %s', w))::qpm_workload.tpl;
		acc := acc || ROW('text', cls, false, format(
			'SELECT o.id, to_char(o.order_date, ''YYYY-MM-DD HH24:MI''), o.total_amount::text, upper(o.status) FROM qpm_workload.orders o WHERE %s', w))::qpm_workload.tpl;
	END LOOP;
	FOREACH y IN ARRAY ARRAY['L:e.customer_id = {cust}', 'L:e.event_time {range:ets:0:3}', 'M:e.event_time {range:ets:24:120}', 'H:e.properties ? ''campaign'''] LOOP
		cls := CASE left(y, 1) WHEN 'L' THEN 'light' WHEN 'M' THEN 'medium' ELSE 'heavy' END;
		w := substr(y, 3);
		acc := acc || ROW('json', cls, false, format(
			'SELECT e.id, e.properties || jsonb_build_object(''seen'', true) FROM qpm_workload.events e WHERE %s', w))::qpm_workload.tpl;
		acc := acc || ROW('json', cls, false, format(
			'SELECT e.properties ->> ''ref'', e.properties ->> ''device'', count(*) FROM qpm_workload.events e WHERE %s GROUP BY e.properties ->> ''ref'', e.properties ->> ''device''', w))::qpm_workload.tpl;
		acc := acc || ROW('json', cls, false, format(
			'SELECT jsonb_object_agg(e.id, e.properties) FROM qpm_workload.events e WHERE %s', w))::qpm_workload.tpl;
		acc := acc || ROW('json', cls, false, format(
			'SELECT e.id, jsonb_path_query_first(e.properties, ''$.device''), e.properties @> jsonb_build_object(''ref'', ''google'') FROM qpm_workload.events e WHERE %s', w))::qpm_workload.tpl;
	END LOOP;
	FOREACH y IN ARRAY ARRAY['L:p.id {range:prod:5:100}', 'L:p.category_id = {cat}', 'M:p.price > {num:100:450}'] LOOP
		cls := CASE left(y, 1) WHEN 'L' THEN 'light' ELSE 'medium' END;
		w := substr(y, 3);
		acc := acc || ROW('text', cls, false, format(
			'SELECT p.id, to_tsvector(''simple'', p.description) @@ plainto_tsquery(''simple'', {word}) FROM qpm_workload.products p WHERE %s', w))::qpm_workload.tpl;
		acc := acc || ROW('text', cls, false, format(
			'SELECT string_agg(p.name, '', '' ORDER BY p.name) FROM qpm_workload.products p WHERE %s', w))::qpm_workload.tpl;
		acc := acc || ROW('text', cls, false, format(
			'SELECT p.id, md5(p.description), length(p.description) FROM qpm_workload.products p WHERE %s', w))::qpm_workload.tpl;
	END LOOP;
	FOREACH y IN ARRAY ARRAY['L:w.id {range:wide:5:100}', 'M:w.id {range:wide:500:3000}', 'M:'] LOOP
		cls := CASE left(y, 1) WHEN 'L' THEN 'light' ELSE 'medium' END;
		wc := CASE WHEN substr(y, 3) = '' THEN '' ELSE ' WHERE ' || substr(y, 3) END;
		acc := acc || ROW('text', cls, false, format(
			'SELECT md5(string_agg(w.t01, '''' ORDER BY w.id)) FROM qpm_workload.wide_profile w%s', wc))::qpm_workload.tpl;
		acc := acc || ROW('text', cls, false, format(
			'SELECT w.g1, string_agg(DISTINCT w.t03, '','') FROM qpm_workload.wide_profile w%s GROUP BY w.g1', wc))::qpm_workload.tpl;
	END LOOP;

	------------------------------------------------------------------- misc
	FOREACH y IN ARRAY ARRAY['SELECT {int:1:100}', 'SELECT now()', 'SELECT current_database(), current_user',
							 'SELECT version()', 'SELECT pg_backend_pid()', 'SELECT {int:1:100} + {int:1:100}',
							 'SELECT current_setting(''work_mem'')', 'SELECT count(*) FROM qpm_workload.regions',
							 'SELECT r.id, r.name FROM qpm_workload.regions r ORDER BY r.id',
							 'SELECT cat.id, cat.name, cat.parent_id FROM qpm_workload.categories cat ORDER BY cat.parent_id NULLS FIRST, cat.id',
							 'SELECT txid_current_if_assigned()', 'SELECT clock_timestamp() - now()']
	LOOP
		acc := acc || ROW('misc', 'light', false, y)::qpm_workload.tpl;
	END LOOP;

	RETURN QUERY
		SELECT u.ord::int, u.family, u.class, u.lowmem, u.sql, qpm_workload._skey(u.sql)
		FROM unnest(acc) WITH ORDINALITY AS u(family, class, lowmem, sql, ord)
		ORDER BY u.ord;
END
$fn$;

-- ---------------------------------------------------------------------------
-- statements(n, seed): the n templates run() executes, in run order.
-- The pool is deduplicated by structure key, every template gets a random
-- key (setseed(seed)), and the classes are interleaved in fixed proportions
-- (light 48 %, medium 28 %, heavy 10 %, dml 8 %, spill 6 %), so a smaller n
-- is a prefix of a larger one and keeps the mix.
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION qpm_workload.statements(n_statements int DEFAULT 600, seed int DEFAULT 1)
RETURNS TABLE(ord int, id int, family text, class text, lowmem boolean, sql text)
LANGUAGE plpgsql VOLATILE AS $fn$
#variable_conflict use_column
DECLARE
	ids   int[];
	cls   text[];
	keys  float8[];
	total int;
BEGIN
	IF n_statements IS NULL OR n_statements < 1 THEN
		RAISE EXCEPTION 'qpm_workload.statements: n_statements must be >= 1';
	END IF;
	SELECT array_agg(d.id ORDER BY d.id), array_agg(d.class ORDER BY d.id)
	  INTO ids, cls
	  FROM (SELECT DISTINCT ON (t.skey) t.id, t.class FROM qpm_workload.templates() t ORDER BY t.skey, t.id) d;
	total := cardinality(ids);
	IF n_statements > total THEN
		RAISE WARNING 'qpm_workload: only % distinct statement templates, asked for %', total, n_statements;
	END IF;
	PERFORM setseed(hashint4(coalesce(seed, 1))::float8 / 2147483648.0);
	keys := array_fill(0::float8, ARRAY[total]);
	FOR i IN 1 .. total LOOP
		keys[i] := random();
	END LOOP;
	RETURN QUERY
		WITH u AS (
			SELECT u.id, u.class, u.k FROM unnest(ids, cls, keys) AS u(id, class, k)
		), r AS (
			SELECT u.id,
				   (row_number() OVER (PARTITION BY u.class ORDER BY u.k, u.id) - 0.5)
				   / CASE u.class WHEN 'light' THEN 0.48 WHEN 'medium' THEN 0.28 WHEN 'heavy' THEN 0.10
								  WHEN 'dml' THEN 0.08 ELSE 0.06 END AS gk
			FROM u
		), pick AS (
			SELECT r.id, row_number() OVER (ORDER BY r.gk, r.id)::int AS ord FROM r
			ORDER BY r.gk, r.id LIMIT n_statements
		)
		SELECT pick.ord, t.id, t.family, t.class, t.lowmem, t.sql
		FROM pick JOIN qpm_workload.templates() t ON t.id = pick.id
		ORDER BY pick.ord;
END
$fn$;

-- ---------------------------------------------------------------------------
-- run(n_statements, repeats, seed): execute the workload
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION qpm_workload.run(n_statements int DEFAULT 600, repeats int DEFAULT 5, seed int DEFAULT 1,
											 jit boolean DEFAULT false)
RETURNS TABLE(statements int, executions int, failures int, lowmem_statements int, elapsed_ms float8)
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
	m     jsonb;
	sqls  text[];
	lows  boolean[];
	q     text;
	wm    text := current_setting('work_mem');
	dummy text;
	nfail int := 0;
	nexec int := 0;
	t0    timestamptz := clock_timestamp();
BEGIN
	IF repeats IS NULL OR repeats < 1 THEN
		RAISE EXCEPTION 'qpm_workload.run: repeats must be >= 1';
	END IF;
	IF to_regclass('qpm_workload.meta') IS NULL THEN
		RAISE EXCEPTION 'qpm_workload.run: call qpm_workload.setup() first';
	END IF;
	SELECT jsonb_object_agg(mt.k, mt.v) INTO m FROM qpm_workload.meta mt;
	SELECT array_agg(s.sql ORDER BY s.ord), array_agg(s.lowmem ORDER BY s.ord)
	  INTO sqls, lows
	  FROM qpm_workload.statements(n_statements, seed) s;
	PERFORM qpm_workload.reset_scratch();
	-- Off by default: JIT compile time is invisible in the counters feature
	-- set pgss/1 learns from (pgss/2 reads the jit_* columns)
	IF NOT coalesce(jit, false) THEN
		dummy := set_config('jit', 'off', true);
	END IF;
	PERFORM setseed(hashint4(coalesce(seed, 1) + 7919)::float8 / 2147483648.0);
	FOR rep IN 1 .. repeats LOOP
		FOR i IN 1 .. cardinality(sqls) LOOP
			q := qpm_workload.fill(sqls[i], m);
			IF lows[i] THEN
				dummy := set_config('work_mem', '64kB', true);
			END IF;
			BEGIN
				EXECUTE q;
			EXCEPTION WHEN OTHERS THEN
				nfail := nfail + 1;
				RAISE WARNING 'qpm_workload.run: statement failed: % -- %', SQLERRM, q;
			END;
			IF lows[i] THEN
				dummy := set_config('work_mem', wm, true);
			END IF;
			nexec := nexec + 1;
		END LOOP;
	END LOOP;
	RETURN QUERY SELECT cardinality(sqls), nexec, nfail,
		(SELECT count(*)::int FROM unnest(lows) l WHERE l),
		round(extract(epoch FROM clock_timestamp() - t0) * 1000)::float8;
END
$fn$;

-- ---------------------------------------------------------------------------
-- script(n_statements, repeats, seed): run()'s executions as a psql script
-- of top-level statements, one per row, with the same constants in the same
-- order (the same random stream).  For tools that see only top-level
-- statements, such as query_perf_ml's plan capture:
--   psql -AtX -c 'SELECT qpm_workload.script(600, 5, 1)' > w.sql; psql -f w.sql
-- DML runs in autocommit, so unlike run() it is not one transaction.
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION qpm_workload.script(n_statements int DEFAULT 600, repeats int DEFAULT 5, seed int DEFAULT 1)
RETURNS SETOF text
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
	m     jsonb;
	sqls  text[];
	lows  boolean[];
BEGIN
	IF repeats IS NULL OR repeats < 1 THEN
		RAISE EXCEPTION 'qpm_workload.script: repeats must be >= 1';
	END IF;
	SELECT jsonb_object_agg(mt.k, mt.v) INTO m FROM qpm_workload.meta mt;
	SELECT array_agg(s.sql ORDER BY s.ord), array_agg(s.lowmem ORDER BY s.ord)
	  INTO sqls, lows
	  FROM qpm_workload.statements(n_statements, seed) s;
	RETURN NEXT 'SELECT qpm_workload.reset_scratch();';
	RETURN NEXT 'SET jit = off;';
	PERFORM setseed(hashint4(coalesce(seed, 1) + 7919)::float8 / 2147483648.0);
	FOR rep IN 1 .. repeats LOOP
		FOR i IN 1 .. cardinality(sqls) LOOP
			IF lows[i] THEN
				RETURN NEXT 'SET work_mem = ''64kB'';';
			END IF;
			RETURN NEXT qpm_workload.fill(sqls[i], m) || ';';
			IF lows[i] THEN
				RETURN NEXT 'RESET work_mem;';
			END IF;
		END LOOP;
	END LOOP;
END
$fn$;

-- ---------------------------------------------------------------------------
-- validate(): EXPLAIN every template of the pool once (nothing is executed);
-- returns the ones that fail.  For tests of this file.
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION qpm_workload.validate()
RETURNS TABLE(id int, family text, error text, sql text)
LANGUAGE plpgsql VOLATILE AS $fn$
#variable_conflict use_column
DECLARE
	m jsonb;
	r record;
	q text;
BEGIN
	SELECT jsonb_object_agg(mt.k, mt.v) INTO m FROM qpm_workload.meta mt;
	FOR r IN SELECT t.id, t.family, t.sql FROM qpm_workload.templates() t ORDER BY t.id LOOP
		BEGIN
			q := qpm_workload.fill(r.sql, m);
			EXECUTE 'EXPLAIN ' || q;
		EXCEPTION WHEN OTHERS THEN
			id := r.id; family := r.family; error := SQLERRM; sql := q;
			RETURN NEXT;
		END;
	END LOOP;
END
$fn$;

-- ---------------------------------------------------------------------------
-- optional driver: psql -v scale=... -v n_statements=... [-v repeats=R]
--                  [-v seed=S] [-v reset=0] [-v jit=true]
-- ---------------------------------------------------------------------------
RESET client_min_messages;
\set QUIET :qpm_saved_quiet
\if :{?scale}
	\echo qpm_workload: setup(:scale)
	SELECT qpm_workload.setup(:scale);
	VACUUM (ANALYZE) qpm_workload.regions, qpm_workload.categories, qpm_workload.suppliers,
		qpm_workload.customers, qpm_workload.products, qpm_workload.orders, qpm_workload.order_items,
		qpm_workload.events, qpm_workload.wide_profile, qpm_workload.scratch_orders,
		qpm_workload.scratch_log, qpm_workload.scratch_kv;
\endif
\if :{?n_statements}
	-- fresh backend: right after setup() the same backend runs the workload
	-- ~40 % slower (same counters), which would skew the timings
	\connect
	\if :{?repeats}
	\else
		\set repeats 5
	\endif
	\if :{?seed}
	\else
		\set seed 1
	\endif
	\if :{?reset}
	\else
		\set reset 1
	\endif
	\if :{?jit}
	\else
		\set jit false
	\endif
	SELECT (:reset::int <> 0 AND EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_stat_statements')) AS qpm_do_reset \gset
	\if :qpm_do_reset
		SELECT 'pg_stat_statements reset' AS qpm_workload FROM pg_stat_statements_reset();
	\endif
	\echo qpm_workload: run(:n_statements, :repeats, :seed, :jit)
	SELECT * FROM qpm_workload.run(:n_statements, :repeats, :seed, :jit);
\endif
