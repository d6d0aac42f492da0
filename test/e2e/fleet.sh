#!/usr/bin/env bash
# test/e2e/fleet.sh — many servers, one model (README "Many servers").
# Three servers on loopback run the workload of test/workload (different
# sizes and statement mixes) between snapshots; a fourth, central, cluster
# runs docs/fleet_central.sql: postgres_fdw's IMPORT FOREIGN SCHEMA of each
# server's metrics_intervals, the union view fleet.live_intervals (with a
# server column) and fleet.collect() into fleet.intervals (test/lib/fleet.sh
# sets this up).  It checks:
#   - the union has every server's rows; train_model reads it through
#     postgres_fdw with the projection and the queryid condition sent to the
#     servers, in FETCHes of fetch_size rows (the servers' statement logs);
#   - the central model, exported and imported on every server (psql pipe),
#     predicts there bit for bit what it predicts centrally
#     (predict(model, float8[]) on the same vectors), and the import records
#     where it came from (metrics.exported_from: the central cluster's system
#     identifier, by fleet.export_model; metrics.imported_from: model, version);
#   - activate_model rolls a server back to its own earlier version;
#   - with one server down, training on the live view fails clearly
#     (08001, nothing stored), fleet.collect() skips that server with a
#     WARNING (its condition on interval_end runs remotely) and the model
#     trains on what was collected, which still holds
#     the down server's earlier rows;
# and prints the numbers the README quotes: rows per server, union rows,
# training time, and the held-out median q-error of the union model against
# each server's own model (statements held out by their text on every
# server, so the union model has not seen them on any server either).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=fleet
. "$top/test/lib/cluster.sh"
. "$top/test/lib/fleet.sh"
work=$(mktemp -d /tmp/qpm_fleet.XXXXXX)
export PGOPTIONS="-c client_min_messages=warning"
QPM_EXTRA_CONF="log_statement = 'all'"	# the servers' logs show what postgres_fdw sends
trap 'qpm_clusters_stop; rm -rf "$work"' EXIT
qpm_fleet_start "$top"	# servers 1..3 with their workload history, the central database 4
C=$QPM_FLEET_CENTRAL
on() { qpm_on "$@"; }
q() { qpm_q "$@"; }
workload() { qpm_fleet_workload "$@"; }

fail=0; n=0
check() {	# check NAME EXPECTED ACTUAL
	n=$((n + 1))
	if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: expected '$2', got '$3'"; fail=$((fail + 1)); fi
}

rows=(-); total=0
for k in 1 2 3; do
	rows[k]=$(q $C "SELECT count(*) FROM fleet_s$k.metrics_intervals")
	check "server s$k: its intervals, read locally and through postgres_fdw, are the same" \
		"$(q "$k" "SELECT count(*) || ' ' || md5(string_agg(queryid || '/' || interval_end || '/' || calls || '/' || total_exec_time, ',' ORDER BY queryid, userid, dbid, toplevel, interval_end)) FROM query_perf_ml.metrics_intervals")" \
		"$(q $C "SELECT count(*) || ' ' || md5(string_agg(queryid || '/' || interval_end || '/' || calls || '/' || total_exec_time, ',' ORDER BY queryid, userid, dbid, toplevel, interval_end)) FROM fleet_s$k.metrics_intervals")"
	total=$((total + rows[k]))
done
union_rows=$(q $C "SELECT count(*) FROM fleet.live_intervals")
check "the union view has every server's rows, each with its server" "$total 3" \
	"$union_rows $(q $C "SELECT count(DISTINCT server) FROM fleet.live_intervals")"
echo "# rows per server: s1 ${rows[1]}, s2 ${rows[2]}, s3 ${rows[3]}; union $union_rows"

# What the reader's scan sends (src/source_reader.c builds it): each server
# gets the projection and the queryid condition, no columns it does not need.
plan=$(q $C "EXPLAIN (VERBOSE, COSTS OFF) SELECT queryid::int8, calls::float8, total_exec_time::float8, query::text,
             shared_blks_hit::float8 FROM fleet.live_intervals WHERE queryid IS NOT NULL")
sed -n 's/^ *\(Remote SQL: .*\)/# \1/p' <<<"$plan" | sed -n 1p	# (head would make sed die of SIGPIPE, and pipefail the script)
check "EXPLAIN VERBOSE: three foreign scans, each pushing the condition and only the needed columns" "3 3 0" \
	"$(echo "$plan" | grep -c 'Foreign Scan on fleet_s') $(echo "$plan" | grep -c 'Remote SQL: SELECT queryid, calls, total_exec_time, shared_blks_hit, query FROM query_perf_ml.metrics_intervals WHERE ((queryid IS NOT NULL))') $(echo "$plan" | grep -c 'userid')"

# ---- training on the union ----
log_before=$(wc -c <"${QPM_DATAS[1]}/server.log")
res=$(q $C "SELECT n_train + n_test, round(train_ms::numeric), round(median_q_error::numeric, 2)
            FROM query_perf_ml.train_model('fleet', 'gradient_boosting', 'fleet.live_intervals')")
read -r used train_ms union_q <<<"$(echo "$res" | tr '|' ' ')"
check "train_model on the union view uses every server's rows" "$union_rows" "$used"
remote=$(tail -c +"$((log_before + 1))" "${QPM_DATAS[1]}/server.log")
check "the server saw cursors fetched 10000 rows at a time (fetch_size), never 100" "yes 0" \
	"$([ "$(grep -c 'FETCH 10000 FROM c' <<<"$remote")" -gt 0 ] && echo yes) $(grep -c 'FETCH 100 FROM c' <<<"$remote" || true)"
echo "# the training's remote query on s1: $(awk '/DECLARE c/ && !done { getline; print; done = 1 }' <<<"$remote" | sed 's/^[[:space:]]*//' | cut -c1-600)"
echo "# FETCHes on s1 during the training: $(echo "$remote" | grep -c 'FETCH 10000 FROM c')"
check "the training's remote scans read no column the feature set does not use (userid, dbid, interval_start)" "0" \
	"$(echo "$remote" | grep 'DECLARE c' | grep -c -E 'userid|dbid|interval_start' || true)"
t_local=$(q $C "CREATE TABLE fleet_copy AS SELECT * FROM fleet.live_intervals;
                SELECT round(train_ms::numeric) FROM query_perf_ml.train_model('fleet_local', 'gradient_boosting', 'fleet_copy');
                DROP TABLE fleet_copy; SELECT query_perf_ml.drop_model('fleet_local')" | sed -n 1p)
echo "# training on the union ($union_rows rows, gradient_boosting): ${train_ms} ms through postgres_fdw, ${t_local} ms on a local copy of the same rows; its held-out median q-error $union_q"

# ---- accuracy: the union model against each server's own model ----
# Statements held out by their text, the same on every server (a queryid
# differs between servers, the normalized text does not).
q $C "CREATE SCHEMA acc;
      CREATE FUNCTION acc.held_out(q text) RETURNS boolean IMMUTABLE LANGUAGE sql
             AS \$\$SELECT ('x' || substr(md5(q), 1, 7))::bit(28)::int % 5 = 0\$\$;
      CREATE VIEW acc.union_train AS SELECT * FROM fleet.live_intervals WHERE NOT acc.held_out(query)" >/dev/null
for k in 1 2 3; do
	q $C "CREATE VIEW acc.train_s$k AS SELECT * FROM fleet_s$k.metrics_intervals WHERE NOT acc.held_out(query);
	      CREATE VIEW acc.test_s$k AS SELECT * FROM fleet_s$k.metrics_intervals WHERE acc.held_out(query) AND NOT toplevel"
done
q $C "SELECT 1 FROM query_perf_ml.train_model('acc_union', 'gradient_boosting', 'acc.union_train')" >/dev/null
acc_line="# held-out median q-error, own model -> union model:"
better=0
for k in 1 2 3; do
	q $C "SELECT 1 FROM query_perf_ml.train_model('acc_s$k', 'gradient_boosting', 'acc.train_s$k')" >/dev/null
	r=$(q $C "SELECT o.n, round(o.median_q_error::numeric, 2), round(u.median_q_error::numeric, 2), u.median_q_error <= o.median_q_error
	          FROM query_perf_ml.validate_model('acc_s$k', 'acc.test_s$k') o, query_perf_ml.validate_model('acc_union', 'acc.test_s$k') u")
	IFS='|' read -r held own uni b <<<"$r"
	acc_line="$acc_line s$k ($held statements) $own -> $uni;"
	[ "$b" = t ] && better=$((better + 1))
	check "s$k: both models are evaluated on held-out statements" "t" "$(q $C "SELECT $held >= 20")"
done
echo "$acc_line"
echo "# the union model is at least as accurate as the server's own on $better of 3 servers"

# ---- distribution: export centrally, import everywhere, same predictions ----
fs=$(q $C "SELECT feature_set FROM query_perf_ml.models WHERE name = 'fleet' AND is_active")
q $C "COPY (SELECT features FROM query_perf_ml.feature_vectors('fleet.live_intervals', '$fs') ORDER BY queryid LIMIT 300) TO STDOUT" >"$work/vectors"
predictions() {	# predictions CLUSTER MODEL: predict() of every vector, as hex
	on "$1" -c "CREATE TEMP TABLE v (i serial, f float8[])" -c "\\copy v (f) FROM '$work/vectors'" \
		-c "SELECT count(*) || ' ' || count(DISTINCT p) || ' ' || md5(string_agg(encode(float8send(p), 'hex'), ',' ORDER BY i))
		      FROM (SELECT i, query_perf_ml.predict('$2', f) p FROM v) s"
}
central_v1=$(predictions $C fleet)
# each server has a model of its own called fleet already (version 1)
for k in 1 2 3; do q "$k" "SELECT 1 FROM query_perf_ml.train_model('fleet', 'gradient_boosting', 'query_perf_ml.metrics_intervals')" >/dev/null; done
own_s1=$(predictions 1 fleet)

# The recipe: psql pipes (the document is a psql variable, so any size and any quoting).
distribute() {	# distribute MODEL FILE CLUSTER...
	local model=$1 file=$2 k; shift 2
	for k in "$@"; do
		printf '\\set doc `cat %s`\nSELECT query_perf_ml.import_model(:'"'"'doc'"'"', '"'"'%s'"'"');\n' "$file" "$model" | on "$k" >/dev/null
	done
}
q $C "SELECT fleet.export_model('fleet')" >"$work/fleet.json"
distribute fleet "$work/fleet.json" 1 2 3
central_sysid=$(q $C "SELECT system_identifier FROM pg_control_system()")
check "the central cluster's system identifier is not s1's (it names a server)" t \
	"$([ "$central_sysid" != "$(q 1 "SELECT system_identifier FROM pg_control_system()")" ] && echo t)"
central_created=$(q $C "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM query_perf_ml.models WHERE name = 'fleet' AND version = 1")
echo "# central predictions of 300 feature vectors (count, distinct, md5): $central_v1"
for k in 1 2 3; do
	check "s$k predicts bit for bit what the central model predicts" "$central_v1" "$(predictions "$k" fleet)"
	check "s$k: the import is version 2, active, and records where it came from (server, model, version)" \
		"2 t import $central_sysid postgres fleet 1 $central_created" \
		"$(q "$k" "SELECT version, is_active, source, metrics->'exported_from'->>'system_identifier', metrics->'exported_from'->>'database',
		                  metrics->'imported_from'->>'name', metrics->'imported_from'->>'version',
		                  metrics->'imported_from'->>'created_at' FROM query_perf_ml.models WHERE name = 'fleet' ORDER BY version DESC LIMIT 1" | tr '|' ' ')"
done
q 1 "SELECT query_perf_ml.activate_model('fleet', 1)" >/dev/null
check "s1: activate_model('fleet', 1) rolls back to its own model" "$own_s1" "$(predictions 1 fleet)"
q 1 "SELECT query_perf_ml.activate_model('fleet')" >/dev/null
check "s1: activate_model('fleet') returns to the newest, the central one" "$central_v1" "$(predictions 1 fleet)"

# ---- one server down during collection ----
first=$(q $C "SELECT string_agg(server || ' ' || rows_added || ' ' || status, ', ' ORDER BY server) FROM fleet.collect()")
check "collect() with every server up copies every row" "s1 ${rows[1]} ok, s2 ${rows[2]} ok, s3 ${rows[3]} ok" "$first"
workload 1; workload 2
qpm_pguser "$QPM_PGBIN/pg_ctl" -D "${QPM_DATAS[3]}/data" -m fast -w stop >/dev/null
models_before=$(q $C "SELECT count(*) FROM query_perf_ml.model_store")
err=$(q $C "SELECT query_perf_ml.train_model('fleet', 'gradient_boosting', 'fleet.live_intervals')" 2>&1 >/dev/null || true)
check "training on the live view with s3 down fails clearly" "ERROR:  could not connect to server \"s3\"" "$(sed -n 1p <<<"$err")"
check "... and stores nothing" "$models_before" "$(q $C "SELECT count(*) FROM query_perf_ml.model_store")"
log_before=$(wc -c <"${QPM_DATAS[1]}/server.log")
out=$(on $C -c "SELECT server, rows_added > 0, split_part(status, ':', 1) FROM fleet.collect() ORDER BY 1" 2>&1)
remote=$(tail -c +"$((log_before + 1))" "${QPM_DATAS[1]}/server.log")
echo "# collect()'s remote query on s1: $(awk '/DECLARE c/ { getline; print }' <<<"$remote" | sed 's/^[[:space:]]*//' | cut -c1-80)...$(awk '/DECLARE c/ { getline; print }' <<<"$remote" | sed 's/.*\(.\{120\}\)$/\1/')"
check "collect() sends its condition on interval_end to the server" 1 \
	"$(awk '/DECLARE c/ { getline; print }' <<<"$remote" | grep -c "WHERE ((interval_end > '" || true)"
check "collect() with s3 down: new rows from s1 and s2, s3 skipped" "s1|t|ok s2|t|ok s3|f|skipped" "$(echo "$out" | grep '^s[0-9]|' | tr '\n' ' ' | sed 's/ $//')"
check "... with a WARNING naming it" "1" "$(echo "$out" | grep -c 'WARNING:  fleet server "s3" skipped: could not connect to server "s3"')"
check "fleet.intervals keeps s3's earlier rows" "${rows[3]}" "$(q $C "SELECT count(*) FROM fleet.intervals WHERE server = 's3'")"
collected=$(q $C "SELECT count(*) FROM fleet.intervals")
check "training on fleet.intervals uses what was collected" "$collected 2" \
	"$(q $C "SELECT n_train + n_test, version FROM query_perf_ml.train_model('fleet', 'gradient_boosting', 'fleet.intervals')" | tr '|' ' ')"
q $C "SELECT fleet.export_model('fleet')" >"$work/fleet2.json"
distribute fleet "$work/fleet2.json" 1 2
check "s2 runs the central version 2 after the distribution to the servers that are up" "3 t 2" \
	"$(q 2 "SELECT version, is_active, metrics->'imported_from'->>'version' FROM query_perf_ml.models WHERE name = 'fleet' ORDER BY version DESC LIMIT 1" | tr '|' ' ')"
check "s2 predicts bit for bit what the central version 2 predicts" "$(predictions $C fleet)" "$(predictions 2 fleet)"
echo "# collected after s3 went down: $collected rows ($(q $C "SELECT string_agg(server || ' ' || c, ', ' ORDER BY server) FROM (SELECT server, count(*) c FROM fleet.intervals GROUP BY 1) s"))"

echo "fleet: $((n - fail)) passed, $fail failed"
exit $((fail > 0))
