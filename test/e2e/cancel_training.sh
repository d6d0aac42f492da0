#!/usr/bin/env bash
# test/e2e/cancel_training.sh — statement_timeout and pg_cancel_backend stop
# a long training promptly, nothing is written, the backend stays usable and
# the server never restarts.  Starts its own throwaway cluster.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=cancel_training
. "$top/test/lib/cluster.sh"
qpm_cluster_start
trap qpm_cluster_stop EXIT

fail=0
check() { if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: expected '$2', got '$3'"; fail=$((fail + 1)); fi; }
q() { psql -X -qAt -d postgres -c "$1"; }

psql -X -q -v ON_ERROR_STOP=1 -d postgres >/dev/null <<'SQL'
CREATE EXTENSION query_perf_ml;
CREATE UNLOGGED TABLE big AS
SELECT g::bigint % 100000 AS queryid, 1 + g % 20 AS calls,
       (1 + g % 20) * (0.5 + (g % 97)) AS total_exec_time,
       (1 + g % 20) * (g % 97) AS shared_blks_hit, (g % 7) AS shared_blks_read
  FROM generate_series(1, 3000000) g;
SQL
started=$(q "SELECT pg_postmaster_start_time()")

# statement_timeout: the session gets the timeout error and can go on.
out=$(psql -X -qAt -d postgres -c "SET statement_timeout = '300ms'" \
	-c "SELECT * FROM query_perf_ml.train_model('big', 'linear', 'big', '{\"max_rows\": 3000000}')" \
	-c "RESET statement_timeout" -c "SELECT 'alive'" 2>&1 || true)
check "statement_timeout cancels training" "1" "$(grep -c 'canceling statement due to statement timeout' <<<"$out")"
check "the same session answers after the timeout" "1" "$(grep -c '^alive$' <<<"$out")"

# pg_cancel_backend from another session, timed, for each algorithm; for
# the tree algorithms the cancel lands inside XGBoost fitting (after the
# source scan of the smaller table).
cancel_one() {	# cancel_one ALGORITHM TABLE DELAY_S
	local alg=$1 table=$2 delay=$3 pid="" t0 ms
	psql -X -qAt -d postgres -c "SET query_perf_ml.training_progress = off" \
		-c "SELECT * FROM query_perf_ml.train_model('c_$alg', '$alg', '$table', '{\"max_rows\": 3000000}')" \
		>/dev/null 2>"$QPM_DATA/cancel_$alg.err" &
	local bg=$!
	for _ in $(seq 1 100); do
		pid=$(q "SELECT pid FROM pg_stat_activity WHERE query LIKE '%train_model(''c_$alg''%' AND pid <> pg_backend_pid() AND state = 'active'")
		[ -n "$pid" ] && break
		sleep 0.05
	done
	sleep "$delay"
	t0=$(date +%s%N)
	q "SELECT pg_cancel_backend($pid)" >/dev/null
	wait $bg || true
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	check "pg_cancel_backend cancels $alg training" "1" "$(grep -c 'canceling statement due to user request' "$QPM_DATA/cancel_$alg.err")"
	check "$alg cancel answered within a second" "1" "$([ "$ms" -lt 1000 ] && echo 1 || echo "0 ($ms ms)")"
	echo "# $alg: cancel took $ms ms"
}
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE UNLOGGED TABLE mid AS SELECT * FROM big WHERE queryid < 100000 LIMIT 200000" >/dev/null
cancel_one linear big 0.5
cancel_one gradient_boosting mid 1.5
cancel_one random_forest mid 1.5
check "the session works after a cancel" "ok" "$(q "SELECT CASE WHEN version > 0 THEN 'ok' END FROM query_perf_ml.train_model('after', 'linear', 'mid')")"
q "SELECT query_perf_ml.drop_model('after')" >/dev/null

check "nothing was written" "0" "$(q "SELECT count(*) FROM query_perf_ml.models")"
check "server did not restart" "$started" "$(q "SELECT pg_postmaster_start_time()")"

echo "cancel_training: $((11 - fail)) passed, $fail failed"
exit $((fail > 0))
