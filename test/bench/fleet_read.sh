#!/usr/bin/env bash
# test/bench/fleet_read.sh [REPEATS] — what reading a fleet's history through
# postgres_fdw costs a training.  The fleet of test/lib/fleet.sh (three
# servers, a central database, four more workload runs per server); linear training (cheap fitting, so the read
# dominates) on fleet.live_intervals with the foreign servers' fetch_size 100
# (postgres_fdw's default), 10000, and 10000 with async_capable (the
# servers compute their intervals at the same time), against the same rows
# in a local table (the same-run baseline).  Median train_ms of REPEATS
# (default 5) trainings each.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=fleet_read
. "$top/test/lib/cluster.sh"
. "$top/test/lib/fleet.sh"
repeats=${1:-5}
export PGOPTIONS="-c client_min_messages=warning"
trap qpm_clusters_stop EXIT
qpm_fleet_start "$top"
C=$QPM_FLEET_CENTRAL
for k in 1 2 3; do	# four more intervals per server: about 2500 rows each
	for i in 1 2 3 4; do qpm_fleet_workload "$k"; done
done

servers() {	# servers OPTIONS: ALTER SERVER s1..s3 OPTIONS (...)
	local k
	for k in 1 2 3; do qpm_q $C "ALTER SERVER s$k OPTIONS ($1)"; done
}
median_train() {	# median_train SOURCE
	local i
	for ((i = 1; i <= repeats; i++)); do
		qpm_q $C "SELECT round(train_ms::numeric) FROM query_perf_ml.train_model('read', 'linear', '$1')"
	done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
rows=$(qpm_q $C "SELECT count(*) FROM fleet.live_intervals")
qpm_q $C "CREATE TABLE local_copy AS SELECT * FROM fleet.live_intervals" >/dev/null
echo "# $rows rows from 3 servers; median train_ms of $repeats linear trainings"
echo "local table:                         $(median_train local_copy) ms"
servers "SET fetch_size '100'"
echo "fdw, fetch_size 100:                 $(median_train fleet.live_intervals) ms"
servers "SET fetch_size '10000'"
echo "fdw, fetch_size 10000:               $(median_train fleet.live_intervals) ms"
servers "ADD async_capable 'true'"
echo "fdw, fetch_size 10000, async_capable: $(median_train fleet.live_intervals) ms"
