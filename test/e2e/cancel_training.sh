#!/usr/bin/env bash
# test/e2e/cancel_training.sh — statement_timeout and pg_cancel_backend stop
# a long training of every algorithm within a second, nothing is written
# (model_store byte for byte unchanged, the active version stays active),
# the same backend answers afterwards and the server never restarts.
# Starts its own throwaway cluster and prints the measured latencies.
#
# Latency is measured on the server's clock: for statement_timeout, the
# statement's elapsed time minus the timeout; for pg_cancel_backend, from
# the canceller's clock_timestamp() to the victim's next statement.  For
# the tree algorithms the interrupt lands inside XGBoost fitting (after the
# scan of the 200 000-row table), for linear inside the scan or the ridge
# accumulation of 3 million rows.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=cancel_training
. "$top/test/lib/cluster.sh"
qpm_cluster_start
trap qpm_cluster_stop EXIT

fail=0; n=0
check() { n=$((n + 1)); if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: expected '$2', got '$3'"; fail=$((fail + 1)); fi; }
q() { psql -X -qAt -d postgres -c "$1"; }

psql -X -q -v ON_ERROR_STOP=1 -d postgres >/dev/null <<'SQL'
CREATE EXTENSION query_perf_ml;
CREATE UNLOGGED TABLE big AS
SELECT g::bigint % 100000 AS queryid, 1 + g % 20 AS calls,
       (1 + g % 20) * (0.5 + (g % 97)) AS total_exec_time,
       (1 + g % 20) * (g % 97) AS shared_blks_hit, (g % 7) AS shared_blks_read
  FROM generate_series(1, 3000000) g;
CREATE UNLOGGED TABLE mid AS SELECT * FROM big WHERE queryid < 100000 LIMIT 200000;
ANALYZE big, mid;
-- A model that exists before: a canceled retraining must leave it active.
SELECT version FROM query_perf_ml.train_model('keep', 'linear', 'mid');
SQL
started=$(q "SELECT pg_postmaster_start_time()")
catalog() { q "SELECT count(*) || ':' || md5(coalesce(string_agg(format('%s/%s/%s/%s/%s', model_id, name, version, is_active, md5(model)), ',' ORDER BY model_id), ''))
               || ':' || (SELECT last_value FROM query_perf_ml.model_store_model_id_seq) FROM query_perf_ml.model_store"; }
before=$(catalog)

table_for() { [ "$1" = linear ] && echo big || echo mid; }
# Boosting: 1000 rounds without early stopping, so the fit outlasts the
# interrupt (from 100 000 rows on, calibration is one fit, not six; random
# forests of 100 depth-10 trees still take several seconds).
train_sql() {
	local opts='{"max_rows": 3000000}'
	[ "$1" = gradient_boosting ] && opts='{"max_rows": 3000000, "n_trees": 1000, "early_stopping_rounds": 0}'
	echo "SELECT * FROM query_perf_ml.train_model('keep', '$1', '$(table_for "$1")', '$opts')"
}
latencies=()

# statement_timeout: the session gets the timeout error and goes on.
timeout_one() {	# timeout_one ALGORITHM TIMEOUT_MS
	local alg=$1 to=$2 out ms
	out=$(psql -X -qAt -d postgres -c "SET query_perf_ml.training_progress = off" \
		-c "SELECT 'start', extract(epoch FROM clock_timestamp())" \
		-c "SET statement_timeout = $to" -c "$(train_sql "$alg")" -c "RESET statement_timeout" \
		-c "SELECT 'end', extract(epoch FROM clock_timestamp())" \
		-c "SELECT 'alive', (query_perf_ml.predict_query_execution('{}'::jsonb, 'keep')).predicted_ms > 0" 2>&1 || true)
	ms=$(awk -F'|' -v to="$to" '$1 == "start" { s = $2 } $1 == "end" { e = $2 } END { printf "%d", (e - s) * 1000 - to }' <<<"$out")
	check "statement_timeout cancels $alg training" "1" "$(grep -c 'canceling statement due to statement timeout' <<<"$out")"
	check "$alg: timeout answered within a second" "1" "$([ "$ms" -lt 1000 ] && echo 1 || echo "0 ($ms ms)")"
	check "$alg: the same session predicts after the timeout" "1" "$(grep -c '^alive|t$' <<<"$out")"
	check "$alg: model_store unchanged after the timeout" "$before" "$(catalog)"
	latencies+=("$alg statement_timeout ${to} ms: stopped $ms ms after the timeout")
}

# pg_cancel_backend from another session.
cancel_one() {	# cancel_one ALGORITHM DELAY_S
	local alg=$1 delay=$2 pid="" out t_cancel ms bg
	psql -X -qAt -d postgres -c "SET query_perf_ml.training_progress = off" -c "$(train_sql "$alg")" \
		-c "SELECT 'end', extract(epoch FROM clock_timestamp())" \
		-c "SELECT 'alive', (query_perf_ml.predict_query_execution('{}'::jsonb, 'keep')).predicted_ms > 0" \
		>"$QPM_DATA/cancel_$alg.out" 2>&1 &
	bg=$!
	for _ in $(seq 1 100); do
		pid=$(q "SELECT pid FROM pg_stat_activity WHERE query LIKE '%train_model(''keep'', ''$alg''%' AND pid <> pg_backend_pid() AND state = 'active'")
		[ -n "$pid" ] && break
		sleep 0.05
	done
	sleep "$delay"
	t_cancel=$(q "SELECT extract(epoch FROM clock_timestamp()) FROM pg_cancel_backend($pid) c WHERE c")
	wait $bg || true
	out=$(cat "$QPM_DATA/cancel_$alg.out")
	ms=$(awk -F'|' -v c="$t_cancel" '$1 == "end" { printf "%d", ($2 - c) * 1000 }' <<<"$out")
	check "pg_cancel_backend cancels $alg training" "1" "$(grep -c 'canceling statement due to user request' <<<"$out")"
	check "$alg: cancel answered within a second" "1" "$([ -n "$ms" ] && [ "$ms" -lt 1000 ] && echo 1 || echo "0 (${ms:-?} ms)")"
	check "$alg: the same session predicts after the cancel" "1" "$(grep -c '^alive|t$' <<<"$out")"
	check "$alg: model_store unchanged after the cancel" "$before" "$(catalog)"
	latencies+=("$alg pg_cancel_backend after ${delay} s: stopped $ms ms after the cancel")
}

timeout_one linear 300
timeout_one gradient_boosting 1500
timeout_one random_forest 1500
cancel_one linear 0.5
cancel_one gradient_boosting 1.5
cancel_one random_forest 1.5

check "a new training works after all that" "ok" "$(q "SELECT CASE WHEN version = 2 THEN 'ok' END FROM query_perf_ml.train_model('keep', 'linear', 'mid')")"
check "server did not restart" "$started" "$(q "SELECT pg_postmaster_start_time()")"
check "no backend crashed (server log)" "0" "$(grep -c 'terminated by signal\|server process .* exited with exit code [^0]' "$QPM_DATA/server.log" || true)"

for l in "${latencies[@]}"; do echo "# $l"; done
echo "cancel_training: $((n - fail)) passed, $fail failed"
exit $((fail > 0))
