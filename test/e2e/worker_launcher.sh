#!/usr/bin/env bash
# test/e2e/worker_launcher.sh — the background worker (launcher) with
# shared_preload_libraries: it logs once and waits while the extension is
# missing, takes a snapshot every snapshot_interval and purges by retention,
# keeps the history across a restart, stops on a reload that sets the
# interval to 0, survives failing cycles with back-off, does nothing on a
# standby, and shuts down cleanly.  Starts its own throwaway clusters.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=worker_launcher
. "$top/test/lib/cluster.sh"
QPM_EXTRA_CONF="shared_preload_libraries = 'pg_stat_statements,query_perf_ml'
query_perf_ml.snapshot_interval = 1s
wal_level = replica
max_wal_senders = 2"
qpm_cluster_start
standby=""
cleanup() {
	[ -n "$standby" ] && qpm_pguser "$QPM_PGBIN/pg_ctl" -D "$standby/data" -m immediate -w stop >/dev/null 2>&1 || true
	[ -n "$standby" ] && rm -rf "$standby"
	qpm_cluster_stop
}
trap cleanup EXIT

fail=0; n=0
check() { n=$((n + 1)); if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: expected '$2', got '$3'"; fail=$((fail + 1)); fi; }
q() { psql -X -qAt -d postgres -c "$1"; }
log=$QPM_DATA/server.log
snapshots() { q "SELECT count(*) FROM query_perf_ml.snapshots"; }
launcher_pid() { q "SELECT pid FROM pg_stat_activity WHERE backend_type = 'query_perf_ml launcher'"; }
# wait_for SQL-CONDITION SECONDS: poll until the query returns t
wait_for() {
	local i
	for i in $(seq 1 $(($2 * 10))); do
		[ "$(q "SELECT ($1)")" = "t" ] && return 0
		sleep 0.1
	done
	return 1
}

# 1. Extension missing: one LOG line, the worker waits (no restart loop).
for _ in $(seq 1 100); do
	grep -q 'is not installed in database "postgres"' "$log" && break
	sleep 0.1
done
sleep 1
pid0=$(launcher_pid)
check "launcher runs before the extension exists" "1" "$([ -n "$pid0" ] && echo 1 || echo 0)"
check "missing extension is logged once" "1" "$(grep -c 'extension "query_perf_ml" is not installed in database "postgres"' "$log")"

# 2. Install; a reload makes the worker look again at once.
q "CREATE EXTENSION pg_stat_statements; CREATE EXTENSION query_perf_ml; SELECT pg_reload_conf()" >/dev/null
wait_for "(SELECT count(*) FROM query_perf_ml.snapshots) >= 1" 5 || true
t0=$(date +%s%N); c0=$(snapshots)
sleep 3.2
c1=$(snapshots); t1=$(date +%s%N)
check "snapshots every second (2-5 in 3.2 s)" "1" "$([ $((c1 - c0)) -ge 2 ] && [ $((c1 - c0)) -le 5 ] && echo 1 || echo "0 ($((c1 - c0)))")"
echo "# $((c1 - c0)) snapshots in $(( (t1 - t0) / 1000000 )) ms"
check "same launcher process after install" "$pid0" "$(launcher_pid)"
check "serving is logged" "1" "$(grep -c 'query_perf_ml launcher: serving database "postgres"' "$log")"

# 3. Purge by retention: an old snapshot disappears at the next cycle.
q "INSERT INTO query_perf_ml.snapshots (captured_at, statements) VALUES (now() - interval '30 days', 0)" >/dev/null
wait_for "NOT EXISTS (SELECT 1 FROM query_perf_ml.snapshots WHERE captured_at < now() - interval '7 days')" 5 \
	&& check "purge_history removes snapshots older than history_retention" 1 1 \
	|| check "purge_history removes snapshots older than history_retention" 1 0

# 4. A failing cycle: logged, backed off, the worker survives; a reload retries at once.
q "ALTER TABLE query_perf_ml.snapshots ADD CONSTRAINT test_boom CHECK (statements < 0) NOT VALID" >/dev/null
sleep 6
fails=$(grep -c 'query_perf_ml launcher: SELECT query_perf_ml.snapshot() failed' "$log" || true)
check "failing snapshots are logged with back-off (2-4 in 6 s, not 6)" "1" "$([ "$fails" -ge 2 ] && [ "$fails" -le 4 ] && echo 1 || echo "0 ($fails)")"
check "the launcher survives failing cycles" "$pid0" "$(launcher_pid)"
q "ALTER TABLE query_perf_ml.snapshots DROP CONSTRAINT test_boom" >/dev/null
c2=$(snapshots)
q "SELECT pg_reload_conf()" >/dev/null
wait_for "(SELECT count(*) FROM query_perf_ml.snapshots) > $c2" 3 \
	&& check "snapshots resume after a reload" 1 1 || check "snapshots resume after a reload" 1 0

# 5. pg_stat_statements dropped: logged once, then resumes when it is back.
q "DROP EXTENSION pg_stat_statements" >/dev/null
sleep 2.5
check "missing pg_stat_statements is logged once" "1" "$(grep -c 'pg_stat_statements is not available in database "postgres"' "$log")"
q "CREATE EXTENSION pg_stat_statements; SELECT pg_reload_conf()" >/dev/null
c3=$(snapshots)
wait_for "(SELECT count(*) FROM query_perf_ml.snapshots) > $c3" 3 \
	&& check "snapshots resume with pg_stat_statements back" 1 1 || check "snapshots resume with pg_stat_statements back" 1 0

# 6. Restart keeps the history and the schedule resumes.
before=$(snapshots)
qpm_pguser "$QPM_PGBIN/pg_ctl" -D "$QPM_DATA/data" -l "$log" -m fast -w restart >/dev/null
check "history survives a restart" "1" "$([ "$(snapshots)" -ge "$before" ] && echo 1 || echo 0)"
wait_for "(SELECT count(*) FROM query_perf_ml.snapshots) >= $before + 2" 5 \
	&& check "snapshots continue after the restart" 1 1 || check "snapshots continue after the restart" 1 0

# 7. Reload with snapshot_interval = 0: no more snapshots.
q "ALTER SYSTEM SET query_perf_ml.snapshot_interval = 0" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
sleep 1.5
c4=$(snapshots); sleep 2.5
check "snapshot_interval = 0 stops snapshots after a reload" "$c4" "$(snapshots)"
q "ALTER SYSTEM SET query_perf_ml.snapshot_interval = '1s'" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null

# 8. A standby (pg_basebackup -R) does not run the worker: it only starts
#    once recovery has finished.
standby=$(mktemp -d /tmp/qpm_standby.XXXXXX)
chown postgres "$standby"
sport=$(qpm_free_port)
qpm_pguser "$QPM_PGBIN/pg_basebackup" -h "$QPM_SOCK" -p "$QPM_PORT" -U postgres -D "$standby/data" -R -X stream -c fast >/dev/null
qpm_pguser tee -a "$standby/data/postgresql.conf" >/dev/null <<CONF
port = $sport
unix_socket_directories = '$standby'
CONF
qpm_pguser "$QPM_PGBIN/pg_ctl" -D "$standby/data" -l "$standby/server.log" -w start >/dev/null
sq() { psql -X -qAt -h "$standby" -p "$sport" -d postgres -c "$1"; }
check "standby is in recovery" "t" "$(sq "SELECT pg_is_in_recovery()")"
sleep 2
check "no launcher on the standby" "0" "$(sq "SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'query_perf_ml%'")"
check "standby log has no launcher activity" "0" "$(grep -c 'query_perf_ml launcher' "$standby/server.log" || true)"
check "primary keeps snapshotting meanwhile" "t" "$(q "SELECT count(*) > $c4 FROM query_perf_ml.snapshots")"
qpm_pguser "$QPM_PGBIN/pg_ctl" -D "$standby/data" -m fast -w stop >/dev/null
rm -rf "$standby"; standby=""

# 9. Fast shutdown is clean, even in the middle of a step: a session holds a
#    lock the snapshot step waits for when the shutdown arrives.  No crash,
#    no signal deaths, no FATAL or exit code from the worker.
psql -X -q -d postgres -c "BEGIN" -c "LOCK query_perf_ml.snapshots" -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
locker=$!
wait_for "EXISTS (SELECT 1 FROM pg_stat_activity WHERE backend_type = 'query_perf_ml launcher' AND wait_event_type = 'Lock')" 5 \
	&& check "launcher is inside a step (waiting for a lock)" 1 1 || check "launcher is inside a step (waiting for a lock)" 1 0
qpm_pguser "$QPM_PGBIN/pg_ctl" -D "$QPM_DATA/data" -m fast -w stop >/dev/null
wait $locker || true
check "clean shutdown (no crash or signal lines)" "0" \
	"$(grep -cE 'terminated by signal|was terminated|PANIC|server process .* exited|query_perf_ml.* exited with exit code|all server processes terminated' "$log" || true)"
check "no launcher errors besides the provoked ones" "0" \
	"$(grep -E 'ERROR|FATAL' "$log" | grep -v 'terminating connection due to administrator command' | grep -vc 'test_boom' || true)"

# 10. A database that does not exist: the worker cannot connect, exits, and
#     is retried once a minute (bgw_restart_time), never in a tight loop;
#     the server is unaffected.
qpm_pguser tee -a "$QPM_DATA/data/postgresql.conf" >/dev/null <<<"query_perf_ml.database = 'no_such_db'"
qpm_pguser "$QPM_PGBIN/pg_ctl" -D "$QPM_DATA/data" -l "$log" -w start >/dev/null
sleep 3
check "missing database: one failed connection in 3 s" "1" "$(grep -c 'FATAL:  database "no_such_db" does not exist' "$log")"
check "missing database: no crash restart" "0" "$(grep -cE 'terminated by signal|all server processes terminated|PANIC' "$log" || true)"
check "missing database: the server serves" "1" "$(q "SELECT 1")"

echo "worker_launcher: $((n - fail)) passed, $fail failed"
exit $((fail > 0))
