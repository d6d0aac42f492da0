#!/usr/bin/env bash
# test/e2e/workload_accuracy.sh — train on pg_stat_statements filled by the
# realistic workload (test/workload, small scale) and check that accuracy
# and interval coverage are in the range a working model reaches there.
# Thresholds are loose on purpose: the held-out part is ~60 statements.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=workload_accuracy
. "$top/test/lib/cluster.sh"
qpm_cluster_start
trap qpm_cluster_stop EXIT

psql -X -q -v ON_ERROR_STOP=1 -d postgres -f "$top/test/workload/workload.sql" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SELECT qpm_workload.setup(0.1)" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE EXTENSION pg_stat_statements" \
	-c "SELECT pg_stat_statements_reset()" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SELECT failures FROM qpm_workload.run(300, 3, 1)" >/dev/null

fail=0
check() { if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: expected '$2', got '$3'"; fail=$((fail + 1)); fi; }
q() { psql -X -qAt -v ON_ERROR_STOP=1 -d postgres -c "$1"; }

q "CREATE EXTENSION query_perf_ml" >/dev/null
echo "# $(q "SELECT format('n_train=%s n_test=%s r2=%s median_q=%s p90_q=%s coverage=%s', n_train, n_test,
        round(r2::numeric, 3), round(median_q_error::numeric, 2), round(p90_q_error::numeric, 2),
        round(interval_coverage::numeric, 3)) FROM query_perf_ml.train_model('default', 'linear')")"
m="(SELECT metrics FROM query_perf_ml.models WHERE name = 'default' AND is_active)"
check "trained on every workload statement" "t" "$(q "SELECT n_train + n_test >= 300 FROM query_perf_ml.models WHERE name = 'default'")"
check "held-out r2 (log scale) > 0.6" "t" "$(q "SELECT ($m->>'r2')::float8 > 0.6")"
check "held-out median q-error < 2.5" "t" "$(q "SELECT ($m->>'median_q_error')::float8 < 2.5")"
check "held-out 90% interval coverage in [0.75, 0.99]" "t" "$(q "SELECT ($m->>'interval_coverage')::float8 BETWEEN 0.75 AND 0.99")"
check "validate_model covers every statement" "t" "$(q "SELECT n >= 300 AND skipped = 0 FROM query_perf_ml.validate_model()")"
check "validate_model coverage in [0.8, 0.98]" "t" "$(q "SELECT interval_coverage BETWEEN 0.8 AND 0.98 FROM query_perf_ml.validate_model()")"
check "predict_all returns every statement" "t" "$(q "SELECT count(*) >= 300 FROM query_perf_ml.predict_all()")"

echo "workload_accuracy: $((7 - fail)) passed, $fail failed"
exit $((fail > 0))
