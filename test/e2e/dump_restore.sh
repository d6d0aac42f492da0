#!/usr/bin/env bash
# test/e2e/dump_restore.sh — pg_dump / pg_restore keeps every model version
# (every algorithm, inactive versions, an imported one), every row of every
# table the extension registers with pg_extension_config_dump (models,
# workload history, prediction log), and the sequences; the relation each
# version was trained on (source_relation, a regclass: dumped by name, so
# it names the restored relation, also in another schema); restored models
# predict identically, to the last bit, version
# by version; a cache in a restored database works from the first call and
# new versions continue after the restored ones.  Own throwaway cluster.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=dump_restore
. "$top/test/lib/cluster.sh"
qpm_cluster_start
dump=$(mktemp /tmp/qpm_dump.XXXXXX)
trap 'qpm_cluster_stop; rm -f "$dump"' EXIT
[ "$(id -u)" -eq 0 ] && chown postgres "$dump"

fail=0; n=0
check() {	# check NAME EXPECTED ACTUAL
	n=$((n + 1))
	if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: expected '$2', got '$3'"; fail=$((fail + 1)); fi
}
q() { psql -X -qAt -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE src" -c "CREATE DATABASE dst"
psql -X -q -v ON_ERROR_STOP=1 -d src >/dev/null <<'SQL'
CREATE EXTENSION query_perf_ml;
CREATE TABLE stats AS
SELECT g::bigint AS queryid, 'SELECT ' || g AS query, 1 + g % 20 AS calls,
       (1 + g % 20) * (0.5 + (g % 97) * (1 + g % 7)) AS total_exec_time,
       (1 + g % 20) * (g % 97) AS shared_blks_hit, (1 + g % 20) * (g % 7) AS shared_blks_read
  FROM generate_series(1, 500) g;
SELECT version FROM query_perf_ml.train_model('m', 'linear', 'stats');
SELECT version FROM query_perf_ml.train_model('m', 'linear', 'stats', '{"seed": 3, "activate": false}');
SELECT version FROM query_perf_ml.train_model('m', 'gradient_boosting', 'stats', '{"n_trees": 30, "activate": false}');
SELECT version FROM query_perf_ml.train_model('trees', 'gradient_boosting', 'stats', '{"n_trees": 50}');
SELECT version FROM query_perf_ml.train_model('trees', 'random_forest', 'stats', '{"n_trees": 20}');
SELECT version FROM query_perf_ml.train_model('trees', 'random_forest', 'stats', '{"n_trees": 10, "seed": 9, "activate": false}');
SELECT version FROM query_perf_ml.train_model('other', 'linear', 'stats', '{"interval_level": 0.8}');
SELECT query_perf_ml.import_model(query_perf_ml.export_model('trees', 1), 'imported') > 0;
CREATE SCHEMA elsewhere;
CREATE TABLE elsewhere."Stats 2" AS SELECT * FROM stats;
SELECT version FROM query_perf_ml.train_model('moved', 'linear', 'elsewhere."Stats 2"');
-- workload history and logged predictions
CREATE EXTENSION pg_stat_statements;
SELECT query_perf_ml.snapshot();
SELECT count(*) FROM stats WHERE calls > 3;
SELECT query_perf_ml.snapshot();
SET query_perf_ml.log_predictions = on;
SELECT count(p.*) FROM generate_series(1, 20) g, query_perf_ml.predict_query_execution(g, 'm', 'stats') p;
SQL

# Every version's predictions, bit for bit (float8send), one line per
# version: each version is activated in turn (in both databases alike, after
# the dump), predict_query_execution and predict() on every 7th statement.
predictions() {	# predictions DB
	q "$1" "SELECT name || ' ' || version FROM query_perf_ml.models ORDER BY model_id" | while read -r name version; do
		q "$1" "SELECT query_perf_ml.activate_model('$name', $version)" >/dev/null
		q "$1" "SELECT '$name/$version ' || string_agg(encode(float8send(p.predicted_ms), 'hex') || encode(float8send(p.lower_ms), 'hex')
		                 || encode(float8send(p.upper_ms), 'hex') || encode(float8send(query_perf_ml.predict('$name', f.features)), 'hex'), ',' ORDER BY f.queryid)
		          FROM query_perf_ml.feature_vectors('stats', (SELECT feature_set FROM query_perf_ml.models WHERE name = '$name' AND version = $version)) f,
		               query_perf_ml.predict_query_execution(f.queryid, '$name', 'stats') p
		         WHERE f.queryid % 7 = 0"
	done
}
# Every configuration table (pg_extension_config_dump) and sequence, summarized.
config_tables() {	# config_tables DB
	q "$1" "SELECT c.oid::regclass FROM pg_extension e, unnest(e.extconfig) c(oid) WHERE e.extname = 'query_perf_ml' ORDER BY 1" | while read -r rel; do
		if [ "$(q "$1" "SELECT relkind FROM pg_class WHERE oid = '$rel'::regclass")" = S ]; then
			q "$1" "SELECT '$rel ' || last_value FROM $rel"
		else
			q "$1" "SELECT '$rel ' || count(*) || ' ' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM $rel t"
		fi
	done
}

tables_before=$(config_tables src)
models_before=$(q src "SELECT string_agg(format('%s/%s/%s/%s/%s', name, version, algorithm, is_active, md5(model)), ',' ORDER BY model_id) FROM query_perf_ml.model_store")
qpm_pguser pg_dump -Fc -h "$PGHOST" -p "$PGPORT" -U postgres -f "$dump" src
qpm_pguser pg_restore -h "$PGHOST" -p "$PGPORT" -U postgres -d dst "$dump"

# first call in the restored database, before anything else touched its cache
first_src=$(q src "SELECT encode(float8send(predicted_ms), 'hex') FROM query_perf_ml.predict_query_execution(42, 'trees', 'stats')")
first_dst=$(q dst "SELECT encode(float8send(predicted_ms), 'hex') FROM query_perf_ml.predict_query_execution(42, 'trees', 'stats')")
check "the first prediction in the restored database is identical" "$first_src" "$first_dst"
check "every model version, algorithm, activation and blob restored" "$models_before" \
	"$(q dst "SELECT string_agg(format('%s/%s/%s/%s/%s', name, version, algorithm, is_active, md5(model)), ',' ORDER BY model_id) FROM query_perf_ml.model_store")"
check "every configuration table and sequence restored" "$tables_before" "$(config_tables dst)"
check "the relation each version was trained on, in the restored database" \
	"$(q src "SELECT string_agg(name || ':' || coalesce(source_relation::text, '-'), ',' ORDER BY model_id) FROM query_perf_ml.models")" \
	"$(q dst "SELECT string_agg(name || ':' || coalesce(source_relation::text, '-'), ',' ORDER BY model_id) FROM query_perf_ml.models")"
check "source_relation is the restored relation itself" "true:true:true" \
	"$(q dst "SELECT bool_and(source_relation = 'stats'::regclass) FILTER (WHERE name IN ('m', 'trees', 'other'))
	           || ':' || bool_and(source_relation IS NULL) FILTER (WHERE name = 'imported')
	           || ':' || bool_and(source_relation = 'elsewhere.\"Stats 2\"'::regclass) FILTER (WHERE name = 'moved')
	      FROM query_perf_ml.models")"
check "all three algorithms and inactive versions were dumped" "3:4" \
	"$(q dst "SELECT count(DISTINCT algorithm) || ':' || count(*) FILTER (WHERE NOT is_active) FROM query_perf_ml.models")"
check "history and logged predictions were dumped" "1:1:20" \
	"$(q dst "SELECT (count(*) > 0)::int FROM query_perf_ml.metrics_history")":"$(q dst "SELECT (count(*) > 0)::int FROM query_perf_ml.metrics_intervals")":"$(q dst "SELECT count(*) FROM query_perf_ml.prediction_log")"
pred_src=$(predictions src); pred_dst=$(predictions dst)
check "every version predicts bit for bit identically after restore ($(wc -l <<<"$pred_src") versions)" "$pred_src" "$pred_dst"
# New versions continue after the restored ones (the sequence is dumped too).
check "training after restore gets the next version" "4" \
	"$(q dst "SELECT version FROM query_perf_ml.train_model('m', 'linear', 'stats')")"
check "model ids stay unique after restore" "0" \
	"$(q dst "SELECT count(*) - count(DISTINCT model_id) FROM query_perf_ml.model_store")"

echo "dump_restore: $((n - fail)) passed, $fail failed"
exit $((fail > 0))
