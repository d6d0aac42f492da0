# test/lib/fleet.sh — a fleet on loopback for test/e2e/fleet.sh and
# test/bench/fleet_accuracy.sh (README "Many servers").  Source it after
# test/lib/cluster.sh.
#
# qpm_fleet_start starts four clusters: 1..3 are servers that each run the
# workload of test/workload (scales 0.1 / 0.2 / 0.3, statement mix seed =
# the server's number, 400 statements, 2 executions each) between three
# snapshots, so each has two intervals per statement; 4 is the central
# database, with a postgres_fdw server s1..s3 per server (fetch_size
# 10000, connecting as fleet_reader, a member of pg_read_all_stats and
# nothing else) and docs/fleet_central.sql run and every server added.
# QPM_FLEET_CENTRAL is 4.

QPM_FLEET_CENTRAL=4
QPM_FLEET_SCALES=(- 0.1 0.2 0.3)

# psql on cluster K's postgres database: qpm_on K psql-args...
qpm_on() {
	local k=$1; shift
	psql -X -qAt -v ON_ERROR_STOP=1 -h "${QPM_SOCKS[k]}" -p "${QPM_PORTS[k]}" -U postgres -d postgres "$@"
}
qpm_q() { qpm_on "$1" -c "$2"; }

# One run of server K's workload, then a snapshot.
qpm_fleet_workload() {
	qpm_q "$1" "SELECT failures FROM qpm_workload.run(400, 2, $1)" >/dev/null
	qpm_q "$1" "SELECT query_perf_ml.snapshot()" >/dev/null
}

qpm_fleet_start() {
	local top=$1 k C=$QPM_FLEET_CENTRAL
	qpm_clusters_start 4
	for k in 1 2 3; do
		qpm_on "$k" -f "$top/test/workload/workload.sql" -c "SELECT qpm_workload.setup(${QPM_FLEET_SCALES[k]})" >/dev/null
		qpm_q "$k" "CREATE EXTENSION pg_stat_statements; CREATE EXTENSION query_perf_ml"
		qpm_q "$k" "SELECT pg_stat_statements_reset()" >/dev/null
		qpm_q "$k" "SELECT query_perf_ml.snapshot()" >/dev/null
		qpm_fleet_workload "$k"; qpm_fleet_workload "$k"
		# what the central database connects as: only allowed to read statistics
		qpm_q "$k" "CREATE ROLE fleet_reader LOGIN IN ROLE pg_read_all_stats"
	done
	qpm_q $C "CREATE EXTENSION postgres_fdw" >/dev/null
	for k in 1 2 3; do
		qpm_q $C "CREATE SERVER s$k FOREIGN DATA WRAPPER postgres_fdw
		                 OPTIONS (host '127.0.0.1', port '${QPM_PORTS[k]}', dbname 'postgres', fetch_size '10000');
		          CREATE USER MAPPING FOR postgres SERVER s$k OPTIONS (user 'fleet_reader')"
	done
	qpm_on $C -f "$top/docs/fleet_central.sql" >/dev/null
	for k in 1 2 3; do qpm_q $C "SELECT fleet.add_server('s$k')" >/dev/null; done
}
