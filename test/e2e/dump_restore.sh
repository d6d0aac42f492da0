#!/usr/bin/env bash
# test/e2e/dump_restore.sh — models survive pg_dump / pg_restore and the
# restored models predict identically; a cache in a restored database
# works from the first call.  Starts its own throwaway cluster.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=dump_restore
. "$top/test/lib/cluster.sh"
qpm_cluster_start
dump=$(mktemp /tmp/qpm_dump.XXXXXX)
trap 'qpm_cluster_stop; rm -f "$dump"' EXIT
[ "$(id -u)" -eq 0 ] && chown postgres "$dump"

fail=0
check() {	# check NAME EXPECTED ACTUAL
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
SELECT version FROM query_perf_ml.train_model('other', 'linear', 'stats', '{"interval_level": 0.8}');
SQL
before=$(q src "SELECT string_agg(format('%s:%s:%s', p.queryid, p.predicted_ms, p.upper_ms), ',' ORDER BY p.queryid)
                FROM generate_series(1, 500, 37) g, query_perf_ml.predict_query_execution(g, 'm', 'stats') p")
models_before=$(q src "SELECT string_agg(format('%s/%s/%s/%s', name, version, is_active, md5(model)), ',' ORDER BY model_id) FROM query_perf_ml.model_store")

qpm_pguser pg_dump -Fc -h "$PGHOST" -p "$PGPORT" -U postgres -f "$dump" src
qpm_pguser pg_restore -h "$PGHOST" -p "$PGPORT" -U postgres -d dst "$dump"

models_after=$(q dst "SELECT string_agg(format('%s/%s/%s/%s', name, version, is_active, md5(model)), ',' ORDER BY model_id) FROM query_perf_ml.model_store")
after=$(q dst "SELECT string_agg(format('%s:%s:%s', p.queryid, p.predicted_ms, p.upper_ms), ',' ORDER BY p.queryid)
               FROM generate_series(1, 500, 37) g, query_perf_ml.predict_query_execution(g, 'm', 'stats') p")
check "every model version, activation and blob restored" "$models_before" "$models_after"
check "restored models predict identically" "$before" "$after"
# New versions continue after the restored ones (the sequence is dumped too).
check "training after restore gets the next version" "3" \
	"$(q dst "SELECT version FROM query_perf_ml.train_model('m', 'linear', 'stats')")"
check "model ids stay unique after restore" "0" \
	"$(q dst "SELECT count(*) - count(DISTINCT model_id) FROM query_perf_ml.model_store")"

echo "dump_restore: $((4 - fail)) passed, $fail failed"
exit $((fail > 0))
