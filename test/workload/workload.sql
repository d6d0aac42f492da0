/*
 * test/workload/workload.sql -- realistic mixed workload for query_perf_ml
 * ========================================================================
 *
 * Plain SQL + PL/pgSQL.  Needs nothing but PostgreSQL >= 15; it does NOT use
 * the query_perf_ml extension (nor pg_stat_statements: it only produces the
 * statements that pg_stat_statements records).  It is used by the demo, the
 * end-to-end tests and the benchmarks.
 *
 * What it creates (schema qpm_workload)
 * -------------------------------------
 *   setup(scale float8 DEFAULT 1.0) RETURNS text
 *       (Re)creates the data tables.  Row counts at scale 1.0:
 *         regions 12, categories 60, suppliers 400 (these three fixed),
 *         customers 30k, products 5k, orders 150k, order_items ~300k,
 *         events 300k (text + jsonb), wide_profile 20k (61 columns),
 *         scratch_orders 20k / scratch_log / scratch_kv 5k (DML targets).
 *       Indexes on primary keys and on some (not all) filter columns.
 *       Data is deterministic (setseed).  About 10 s at scale 1.0 on 2
 *       cores, ~1 s at scale 0.1.  Tables are dropped and recreated, so
 *       their OIDs, and therefore pg_stat_statements queryids, change with
 *       every setup().
 *
 *   run(n_statements int DEFAULT 600, repeats int DEFAULT 5, seed int DEFAULT 1)
 *       RETURNS TABLE(statements int, executions int, failures int,
 *                     lowmem_statements int, elapsed_ms float8)
 *       Picks n_statements structurally different statements (so they get
 *       distinct pg_stat_statements queryids) and executes each of them
 *       `repeats` times via dynamic SQL (EXECUTE), every time with fresh
 *       random constants.  Families: index point lookups / IN lists / range
 *       scans, filtered full scans, GROUP BY aggregates, 2-4 table inner and
 *       left joins (nested loop and hash), ORDER BY with/without LIMIT,
 *       DISTINCT / DISTINCT ON, window functions, UNION / INTERSECT /
 *       EXCEPT, EXISTS / IN / scalar / LATERAL subqueries, (recursive,
 *       materialized) CTEs, text and jsonb functions, and DML on scratch
 *       tables (INSERT ... SELECT, multi-row VALUES, upserts, UPDATE,
 *       UPDATE ... FROM, DELETE) so that wal_bytes show up.  Some sort /
 *       hash statements run with work_mem = 64kB so that they spill
 *       (temp_blks_*).  jit is switched off for the run (transaction-local)
 *       because JIT compilation time is not visible in the counters the
 *       model learns from.  Scratch tables are reset at the start.
 *       Everything runs in the caller's transaction; a failing statement is
 *       caught, reported as a WARNING and counted in `failures` (expected 0).
 *       Statement selection is deterministic given (n_statements, seed) and a
 *       prefix-stable: run(300, r, s) uses the first 300 of run(600, r, s).
 *       Roughly 12 % of the picks are "heavy" (full scans / big joins /
 *       spills on the largest tables), 33 % medium, 55 % light.
 *
 *   statements(n_statements int DEFAULT 600, seed int DEFAULT 1)
 *       The statement templates run() would use, in run order, with their
 *       family, cost class and lowmem flag.  Templates contain {...}
 *       placeholders that run() replaces by random constants (fill()).
 *   templates()  the whole deduplicated-before-selection template pool.
 *   fill(template text, meta jsonb)  instantiate one template.
 *
 * pg_stat_statements must be configured by the caller:
 *   shared_preload_libraries = 'pg_stat_statements'
 *   pg_stat_statements.track = 'all'   -- statements run inside run() are nested
 *   pg_stat_statements.max   >= 2 * n_statements + 100  (e.g. 10000)
 * Besides the n_statements workload statements, pg_stat_statements will also
 * contain a few dozen bookkeeping entries (the CALL/SELECT of run() itself,
 * its internal selects, set_config, scratch reset, setup's DDL if setup ran
 * after the reset).  Workload statements are toplevel = false.
 *
 * Usage (psql; the variables are optional, without them the file only
 * (re)defines the functions):
 *
 *   psql -X -v ON_ERROR_STOP=1 -d DB -f test/workload/workload.sql \
 *        -v scale=1.0 -v n_statements=600 -v repeats=5 -v seed=1
 *
 *   -v scale=S        run setup(S), then VACUUM ANALYZE the workload tables
 *   -v n_statements=N run run(N, repeats, seed) (defaults 5 and 1), after
 *                     pg_stat_statements_reset() if pg_stat_statements is
 *                     installed in DB and -v reset=0 was not given
 *
 * or by hand:
 *   SELECT qpm_workload.setup(0.1);
 *   VACUUM ANALYZE;                      -- optional; sets hint bits / VM
 *   SELECT pg_stat_statements_reset();
 *   SELECT * FROM qpm_workload.run(300, 3, 1);
 *
 * Measured on 2 cores (PG 15, shared_buffers 128MB): see
 * test/bench/workload_sanity.py and the report of the commit that added this
 * file for timings; setup(1.0) ~10 s + run(600,5) ~1.5 min; setup(0.1) +
 * run(300,3) a few seconds.
 */

\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE SCHEMA IF NOT EXISTS qpm_workload;

-- ---------------------------------------------------------------------------
-- setup(scale): (re)create the data
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION qpm_workload.setup(scale float8 DEFAULT 1.0)
RETURNS text
LANGUAGE plpgsql
SET search_path = qpm_workload, pg_catalog
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
				  'Baker','Evans'])[1 + (i * 13) % 30] AS name,
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
