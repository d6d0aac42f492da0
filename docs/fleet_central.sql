/*
 * docs/fleet_central.sql -- the central database of a fleet of servers that
 * run query_perf_ml (README "Many servers"; test/e2e/fleet.sh runs it).
 *
 *   psql -d central -v ON_ERROR_STOP=1 -f docs/fleet_central.sql
 *
 * Every server keeps its own workload history (snapshot() by hand, cron or
 * the background worker).  The central database reads it with postgres_fdw:
 *
 *   fleet.add_server(srv)   IMPORT FOREIGN SCHEMA of the server's
 *                           metrics_intervals into schema fleet_<srv> and
 *                           rebuild the union view fleet.live_intervals
 *   fleet.live_intervals    every server's intervals, live, with a column
 *                           "server"; reading it fails while a server is down
 *   fleet.collect()         copy each server's new intervals into the table
 *                           fleet.intervals; a server that cannot be reached
 *                           is skipped with a WARNING and reported in the
 *                           result, its earlier rows stay
 *   fleet.intervals         the collected history: train on it
 *   fleet.export_model(m)   export_model plus metrics.exported_from: this
 *                           cluster (system identifier, cluster_name, database)
 *
 * Create the foreign servers and user mappings first (CREATE SERVER srv
 * FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host, port, dbname,
 * fetch_size '10000'); CREATE USER MAPPING ...); the remote role needs
 * pg_read_all_stats (the history is readable only by it).  Every server runs
 * the same query_perf_ml version as the central database, whose own
 * query_perf_ml.metrics_intervals gives fleet.intervals its columns.
 *
 * Re-running the file keeps fleet.servers and fleet.intervals and replaces
 * the functions.
 */
\set ON_ERROR_STOP 1
CREATE EXTENSION IF NOT EXISTS postgres_fdw;
CREATE EXTENSION IF NOT EXISTS query_perf_ml;
CREATE SCHEMA IF NOT EXISTS fleet;

CREATE TABLE IF NOT EXISTS fleet.servers (
	server name PRIMARY KEY,			-- a foreign server (pg_foreign_server)
	last_collected timestamptz,			-- newest interval_end copied
	last_error text						-- why the last collect() skipped it
);

-- The collected history: query_perf_ml.metrics_intervals' columns plus the server.
DO $$
BEGIN
	IF pg_catalog.to_regclass('fleet.intervals') IS NULL THEN
		CREATE TABLE fleet.intervals AS
			SELECT NULL::pg_catalog.text AS server, i.*
			  FROM query_perf_ml.metrics_intervals i WITH NO DATA;
		CREATE INDEX ON fleet.intervals (server, interval_end);
	END IF;
END $$;

-- Rebuild the union view over every member's foreign table.
CREATE OR REPLACE FUNCTION fleet.rebuild_view() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	body text;
BEGIN
	SELECT string_agg(format('SELECT %L::text AS server, * FROM %I.metrics_intervals',
	                         server, 'fleet_' || server), ' UNION ALL ' ORDER BY server)
	  INTO body FROM fleet.servers;
	DROP VIEW IF EXISTS fleet.live_intervals;
	IF body IS NOT NULL THEN
		EXECUTE 'CREATE VIEW fleet.live_intervals AS ' || body;
	END IF;
END $$;

-- Make a foreign server a member of the fleet.
CREATE OR REPLACE FUNCTION fleet.add_server(srv name) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	EXECUTE format('CREATE SCHEMA %I', 'fleet_' || srv);
	EXECUTE format('IMPORT FOREIGN SCHEMA query_perf_ml LIMIT TO (metrics_intervals, snapshots) '
	               'FROM SERVER %I INTO %I', srv, 'fleet_' || srv);
	INSERT INTO fleet.servers (server) VALUES (srv);
	PERFORM fleet.rebuild_view();
END $$;

-- Copy every member's intervals newer than those already collected.  A server
-- that cannot be reached (SQLSTATE class 08) is skipped: WARNING, status
-- 'skipped', last_error; any other error is an error.
CREATE OR REPLACE FUNCTION fleet.collect()
RETURNS TABLE (server name, rows_added bigint, status text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	s record;
	cols text;
	newest timestamptz;
	n bigint;
BEGIN
	FOR s IN SELECT * FROM fleet.servers ORDER BY 1 LOOP
		-- the columns both sides have (a server on another version may lack some)
		SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
		  FROM pg_attribute a
		 WHERE a.attrelid = 'fleet.intervals'::regclass AND a.attnum > 0 AND NOT a.attisdropped
		   AND a.attname <> 'server'
		   AND EXISTS (SELECT FROM pg_attribute r
		                WHERE r.attrelid = format('%I.metrics_intervals', 'fleet_' || s.server)::regclass
		                  AND r.attname = a.attname AND NOT r.attisdropped);
		BEGIN
			-- EXECUTE ... USING plans with the values: postgres_fdw sends the
			-- condition on interval_end to the server as a constant
			EXECUTE format('INSERT INTO fleet.intervals (server, %s) SELECT $1, %s FROM %I.metrics_intervals '
			               'WHERE $2 IS NULL OR interval_end > $2', cols, cols, 'fleet_' || s.server)
			  USING s.server, s.last_collected;
			GET DIAGNOSTICS n = ROW_COUNT;
			SELECT max(i.interval_end) INTO newest FROM fleet.intervals i WHERE i.server = s.server;
			UPDATE fleet.servers f SET last_collected = newest, last_error = NULL WHERE f.server = s.server;
			server := s.server; rows_added := n; status := 'ok';
		EXCEPTION WHEN connection_exception THEN
			UPDATE fleet.servers f SET last_error = SQLERRM WHERE f.server = s.server;
			RAISE WARNING 'fleet server "%" skipped: %', s.server, SQLERRM
				USING HINT = 'Its intervals collected earlier stay in fleet.intervals; the next collect() catches up.';
			server := s.server; rows_added := 0; status := 'skipped: ' || SQLERRM;
		END;
		RETURN NEXT;
	END LOOP;
END $$;

-- export_model with where it comes from: the document's metrics get
-- exported_from (this cluster's system identifier, which initdb chose and no
-- other cluster has, its cluster_name and the database), which import_model
-- keeps with the rest of the metrics; imported_from then names the model and
-- version.  pg_control_system() is for superusers unless granted.
CREATE OR REPLACE FUNCTION fleet.export_model(model text, version integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT jsonb_set(d, '{metrics,exported_from}',
	                 jsonb_build_object('system_identifier', (SELECT c.system_identifier::text FROM pg_control_system() c),
	                                    'cluster_name', current_setting('cluster_name'),
	                                    'database', current_database()))
	  FROM query_perf_ml.export_model(model, version) d
$$;
