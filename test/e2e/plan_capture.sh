#!/usr/bin/env bash
# test/e2e/plan_capture.sh — plan capture on a real workload, on a
# throwaway cluster with query_perf_ml preloaded and capture_plans on:
#  1. the workload of test/workload run as top-level statements: one sample
#     per execution, every vector 45 finite-or-NULL values, the same vector
#     for every execution of a statement, as plan_features() computes it;
#  2. per-database separation: a flush takes its own database's samples and
#     leaves another database's in the buffer for that database;
#  3. a statement cancelled by statement_timeout is kept as incomplete, its
#     time a lower bound; parallel workers sample nothing; sample rate 0.1
#     samples about a tenth; capture_plans off samples nothing;
#  4. the background worker's snapshot() flushes;
#  5. restarted with a 16-sample buffer: the oldest are overwritten and
#     counted, a flush gets the 16 newest.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=plan_capture
. "$top/test/lib/cluster.sh"
QPM_EXTRA_CONF="shared_preload_libraries = 'pg_stat_statements,query_perf_ml'
query_perf_ml.capture_plans = on
query_perf_ml.capture_buffer = 5000"
qpm_cluster_start
work=$(mktemp -d /tmp/qpm_plan_capture.XXXXXX)
trap 'qpm_cluster_stop; rm -rf "$work"' EXIT

fail=0; n=0
check() { n=$((n + 1)); if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: expected '$2', got '$3'"; fail=$((fail + 1)); fi; }
q() { psql -X -qAt -v ON_ERROR_STOP=1 -d "${DB:-postgres}" -c "$1"; }
status() { q "SELECT $1 FROM query_perf_ml.plan_capture_status()"; }
reload() { q "SELECT pg_reload_conf()" >/dev/null; sleep 0.5; }

q "CREATE EXTENSION pg_stat_statements; CREATE EXTENSION query_perf_ml" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d postgres -f "$top/test/workload/workload.sql" >/dev/null
q "SELECT qpm_workload.setup(0.1)" >/dev/null
q "VACUUM ANALYZE" >/dev/null

# 1. The workload, top-level: every execution is one sample.
q "SELECT qpm_workload.script(300, 2, 1)" >"$work/workload.sql"
executions=$(q "SELECT count(*) FROM qpm_workload.script(300, 2, 1) l WHERE l !~ '^(SET|RESET) '")
q "SELECT query_perf_ml.flush_plan_samples()" >/dev/null	# start from an empty buffer
first=$(q "SELECT coalesce(max(sample_id), 0) + 1 FROM query_perf_ml.plan_samples")
psql -X -q -v ON_ERROR_STOP=1 -d postgres -f "$work/workload.sql" >/dev/null
flushed=$(q "SELECT query_perf_ml.flush_plan_samples()")
# + 2: the flush that emptied the buffer and the max(sample_id) query are sampled too
check "one sample per workload execution" "$((executions + 2))" "$flushed"
check "all completed" "0" "$(q "SELECT count(*) FROM query_perf_ml.plan_samples WHERE sample_id >= $first AND NOT completed")"
check "every vector has 45 finite or NULL values" "0" \
	"$(q "SELECT count(*) FROM query_perf_ml.plan_samples WHERE sample_id >= $first
	      AND (cardinality(features) <> 45 OR feature_set <> 'plan/1'
	           OR EXISTS (SELECT FROM unnest(features) f WHERE f IN ('NaN', 'Infinity', '-Infinity')))")"
check "every sample has a queryid and a positive time" "0" \
	"$(q "SELECT count(*) FROM query_perf_ml.plan_samples WHERE sample_id >= $first AND (queryid IS NULL OR exec_ms <= 0)")"
statements=$(q "SELECT count(DISTINCT queryid) FROM query_perf_ml.plan_samples WHERE sample_id >= $first")
echo "# $flushed samples of $statements statements"
check "about 300 distinct statements" "1" "$([ "$statements" -ge 250 ] && [ "$statements" -le 320 ] && echo 1 || echo 0)"
# The captured vector of a statement is what plan_features() computes for it.
q "SELECT count(*) FROM qpm_workload.orders WHERE id < 500" >/dev/null
q "SELECT query_perf_ml.flush_plan_samples()" >/dev/null
check "captured vector = plan_features() vector" "t" \
	"$(q "SELECT s.features = (SELECT array_agg(value ORDER BY k) FROM query_perf_ml.plan_features(
	                             'SELECT count(*) FROM qpm_workload.orders WHERE id < 500') WITH ORDINALITY f(feature, value, k))
	      FROM query_perf_ml.plan_samples s
	     WHERE s.queryid = (SELECT queryid FROM pg_stat_statements WHERE query = 'SELECT count(*) FROM qpm_workload.orders WHERE id < \$1')
	     ORDER BY sample_id DESC LIMIT 1")"

# 2. Two databases: each flush takes its own.
q "CREATE DATABASE other" >/dev/null
DB=other q "CREATE EXTENSION query_perf_ml" >/dev/null
DB=other q "SELECT query_perf_ml.flush_plan_samples()" >/dev/null
base=$(status "buffered - buffered_here")	# the other's flush statement itself
for i in 1 2 3 4 5 6 7; do DB=other q "SELECT $i" >/dev/null; done
check "the other database's 7 are buffered as its own" "7" "$(( $(status "buffered - buffered_here") - base ))"
q "SELECT query_perf_ml.flush_plan_samples()" >/dev/null
check "a flush here leaves them in the buffer" "7" "$(( $(status "buffered - buffered_here") - base ))"
check "the other database flushes its own" "$((base + 7))" "$(DB=other q "SELECT query_perf_ml.flush_plan_samples()")"
check "no sample of the other database here" "0" \
	"$(q "SELECT count(*) FROM query_perf_ml.plan_samples WHERE dbid <> (SELECT oid FROM pg_database WHERE datname = 'postgres')")"
check "the other database's table has only its own" "0" \
	"$(DB=other q "SELECT count(*) FROM query_perf_ml.plan_samples WHERE dbid <> (SELECT oid FROM pg_database WHERE datname = 'other')")"

# 3. A cancelled statement: incomplete, timed up to the cancel (a lower bound).
q "SELECT query_perf_ml.flush_plan_samples()" >/dev/null
psql -X -q -d postgres -c "SET statement_timeout = '500ms'" -c "SELECT pg_sleep(3)" >/dev/null 2>&1 || true
q "SELECT query_perf_ml.flush_plan_samples()" >/dev/null
check "the cancelled statement is kept, incomplete, with 400-3000 ms" "1|f|t" \
	"$(q "SELECT count(*), bool_or(completed), bool_and(exec_ms BETWEEN 400 AND 3000)
	      FROM query_perf_ml.plan_samples WHERE NOT completed AND features[8] = 0")"

# Parallel query: the leader samples the statement once, the workers nothing.
before=$(status captured)
parallel=$(psql -X -qAt -v ON_ERROR_STOP=1 -d postgres -c "SET parallel_setup_cost = 0" -c "SET parallel_tuple_cost = 0" \
	-c "SET min_parallel_table_scan_size = 0" -c "SET max_parallel_workers_per_gather = 2" \
	-c "SELECT value FROM query_perf_ml.plan_features('SELECT count(*) FROM qpm_workload.events') WHERE feature = 'parallel_workers'" \
	-c "SELECT count(*) FROM qpm_workload.events")
check "the statement was planned in parallel" "t" "$([ "$(sed -n 1p <<<"$parallel")" -ge 1 ] && echo t || echo f)"
check "two statements and the status query, three samples (none from the workers)" "3" "$(( $(status captured) - before ))"

# Sample rate 0.1: about a tenth of 1000 statements (binomial, 5 sigma: 50-150).
q "ALTER SYSTEM SET query_perf_ml.capture_sample_rate = 0.1" >/dev/null; reload
before=$(status captured)
for i in $(seq 1 1000); do echo "SELECT $i;"; done >"$work/thousand.sql"
psql -X -q -d postgres -f "$work/thousand.sql" >/dev/null
sampled=$(( $(status captured) - before ))
echo "# sample rate 0.1: $sampled of 1000 (+1 status query)"
check "sample rate 0.1 samples about a tenth" "1" "$([ "$sampled" -ge 50 ] && [ "$sampled" -le 150 ] && echo 1 || echo 0)"
q "ALTER SYSTEM SET query_perf_ml.capture_plans = off" >/dev/null; reload
before=$(status captured)
psql -X -q -d postgres -f "$work/thousand.sql" >/dev/null
check "capture_plans off samples nothing" "$before" "$(status captured)"
check "status says capture is off" "f" "$(status capturing)"
q "ALTER SYSTEM RESET query_perf_ml.capture_sample_rate" >/dev/null
q "ALTER SYSTEM RESET query_perf_ml.capture_plans" >/dev/null; reload	# on again (postgresql.conf)

# 4. The background worker's snapshot() flushes (query_perf_ml.database = postgres).
q "SELECT count(*) FROM qpm_workload.regions" >/dev/null
check "something waits in the buffer" "t" "$(status "buffered_here > 0")"
q "ALTER SYSTEM SET query_perf_ml.snapshot_interval = '1s'" >/dev/null; reload
flushed_by_worker=0
for _ in $(seq 1 50); do
	if [ "$(q "SELECT count(*) FROM query_perf_ml.plan_samples WHERE queryid =
	             (SELECT queryid FROM pg_stat_statements WHERE query = 'SELECT count(*) FROM qpm_workload.regions')")" = 1 ]; then
		flushed_by_worker=1; break
	fi
	sleep 0.2
done
check "the worker's snapshot flushed the sample" "1" "$flushed_by_worker"
q "ALTER SYSTEM RESET query_perf_ml.snapshot_interval" >/dev/null; reload

# 5. A 16-sample buffer: the oldest are overwritten and counted.
q "ALTER SYSTEM SET query_perf_ml.capture_buffer = 16" >/dev/null
qpm_pguser "$QPM_PGBIN/pg_ctl" -D "$QPM_DATA/data" -m fast -w restart >/dev/null
for i in $(seq 1 50); do echo "SELECT $i;"; done >"$work/fifty.sql"
echo "SELECT buffer_size, captured, overwritten FROM query_perf_ml.plan_capture_status();" >>"$work/fifty.sql"
check "16 slots; 50 captured, 34 overwritten" "16|50|34" "$(psql -X -qAt -d postgres -f "$work/fifty.sql" | tail -n 1)"
check "a flush gets the 16 newest" "16" "$(q "SELECT query_perf_ml.flush_plan_samples()")"
check "the samples survive the restart in the table" "t" "$(q "SELECT count(*) > $executions FROM query_perf_ml.plan_samples")"

echo "plan_capture: $((n - fail)) of $n checks passed"
[ $fail -eq 0 ]
