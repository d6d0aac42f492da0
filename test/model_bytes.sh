#!/usr/bin/env bash
# test/model_bytes.sh — md5s of the stored blobs, options, metrics and
# exported documents (created_at removed) of deterministic models (a fixed
# table, fixed seeds, one thread; every algorithm, 'auto', both feature
# sets, two imports), one "name what md5" line each.  Not a pass/fail test:
# run it against two installations (QPM_PGBIN=...) and diff the outputs to
# show that a change which must not change any byte did not.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
QPM_SCRIPT=model_bytes
. "$top/test/lib/cluster.sh"
export PATH=$QPM_PGBIN:$PATH
qpm_cluster_start >/dev/null 2>&1
trap 'qpm_cluster_stop' EXIT
q() { psql -X -qAt -v ON_ERROR_STOP=1 -d postgres -c "$1"; }
psql -X -q -v ON_ERROR_STOP=1 -d postgres >/dev/null <<'SQL'
CREATE EXTENSION query_perf_ml;
SET query_perf_ml.training_threads = 1;
CREATE TABLE stats AS
SELECT g::bigint AS queryid, 'SELECT ' || g || ' FROM t JOIN u USING (id) WHERE x = ' || (g % 13) AS query,
       1 + g % 20 AS calls,
       (1 + g % 20) * (0.5 + (g % 97) * (1 + g % 7)) AS total_exec_time,
       (1 + g % 20) * (g % 97) AS shared_blks_hit, (1 + g % 20) * (g % 7) AS shared_blks_read,
       (1 + g % 20) * (g % 11) AS rows
  FROM generate_series(1, 800) g;
SELECT version FROM query_perf_ml.train_model('lin1', 'linear', 'stats', '{"seed": 3, "feature_set": "pgss/1"}');
SELECT version FROM query_perf_ml.train_model('lin2', 'linear', 'stats', '{"seed": 5, "feature_set": "pgss/2"}');
SELECT version FROM query_perf_ml.train_model('gbm', 'gradient_boosting', 'stats', '{"seed": 7, "n_trees": 40}');
SELECT version FROM query_perf_ml.train_model('gbm1', 'gradient_boosting', 'stats', '{"seed": 7, "n_trees": 40, "feature_set": "pgss/1"}');
SELECT version FROM query_perf_ml.train_model('rf', 'random_forest', 'stats', '{"seed": 11, "n_trees": 20}');
SELECT version FROM query_perf_ml.train_model('auto', 'auto', 'stats', '{"seed": 13, "n_trees": 20}');
SELECT query_perf_ml.import_model(query_perf_ml.export_model('gbm'), 'imp_gbm') > 0;
SELECT query_perf_ml.import_model(query_perf_ml.export_model('lin2'), 'imp_lin') > 0;
SQL
q "SELECT name || ' blob ' || md5(model) FROM query_perf_ml.model_store ORDER BY name, version"
q "SELECT name || ' options ' || md5(options::text) FROM query_perf_ml.model_store ORDER BY name, version"
q "SELECT name || ' export ' || md5((query_perf_ml.export_model(name) - 'created_at' - 'metrics' - 'name')::text) FROM query_perf_ml.model_store ORDER BY name, version"
q "SELECT name || ' metric_keys ' || md5(string_agg(k, ',' ORDER BY k)) FROM query_perf_ml.model_store, jsonb_object_keys(metrics) k GROUP BY name ORDER BY name"
q "SELECT name || ' metrics ' || md5(metrics::text) FROM query_perf_ml.model_store ORDER BY name, version"
q "SELECT name || ' export_full ' || md5((query_perf_ml.export_model(name) - 'created_at')::text) FROM query_perf_ml.model_store ORDER BY name, version"
q "SELECT name || ' row ' || algorithm || ' ' || feature_set || ' ' || coalesce(source, '-') || ' ' || n_train || ' ' || n_test || ' ' || is_active FROM query_perf_ml.model_store ORDER BY name"
