#!/usr/bin/env bash
# test/e2e/memory.sh — memory stays bounded in a long-lived backend.
#
#  1. One million predict() calls in one backend (1000 statements of 1000
#     rows, a gradient_boosting and a linear model, after warming the
#     model cache) grow the backend's memory, summed over
#     pg_backend_memory_contexts, by less than 1 MB: measured both inside
#     the transaction running them (catches per-statement leaks into
#     longer-lived contexts) and across it (catches leaks into the cache
#     or TopMemoryContext); and one statement of 1M calls holds no more
#     memory at its end than one of 10 000.
#  2. 200 cache invalidations (activate_model alternating two versions,
#     each followed by predictions that reload and deserialize the model)
#     also grow it by less than 1 MB: a replaced cache entry is freed.
#  3. Training respects maintenance_work_mem: with less memory it keeps a
#     sample of the source, says so in a NOTICE with a HINT, and keeps
#     fewer rows the less memory it has.  The backend's peak RSS is printed
#     (not asserted: XGBoost's memory is not in PostgreSQL's accounting).
# Starts its own throwaway cluster.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=memory
. "$top/test/lib/cluster.sh"
qpm_cluster_start
trap qpm_cluster_stop EXIT

fail=0; n=0
check() { n=$((n + 1)); if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: expected '$2', got '$3'"; fail=$((fail + 1)); fi; }
q() { psql -X -qAt -v ON_ERROR_STOP=1 -d postgres -c "$1"; }

psql -X -q -v ON_ERROR_STOP=1 -d postgres >/dev/null <<'SQL'
CREATE EXTENSION query_perf_ml;
CREATE TABLE stats AS
SELECT g::bigint AS queryid, 1 + g % 20 AS calls,
       (1 + g % 20) * (0.5 + (g % 97) * (1 + g % 7)) AS total_exec_time,
       (1 + g % 20) * (g % 97) AS rows, (1 + g % 20) * (g % 89) * 10 AS shared_blks_hit,
       (1 + g % 20) * (g % 7) AS shared_blks_read
  FROM generate_series(1, 5000) g;
SELECT version FROM query_perf_ml.train_model('gbm', 'gradient_boosting', 'stats', '{"n_trees": 100, "cv_folds": 2}');
SELECT version FROM query_perf_ml.train_model('gbm', 'gradient_boosting', 'stats', '{"n_trees": 50, "cv_folds": 2, "seed": 7}');
SELECT version FROM query_perf_ml.train_model('lin', 'linear', 'stats');
-- the default feature set's vectors (pgss/2), which the models above use
CREATE TABLE vecs AS SELECT features AS v FROM query_perf_ml.feature_vectors('stats', 'pgss/2') LIMIT 1000;
-- 100 000 rows of 12 features for the maintenance_work_mem part
CREATE UNLOGGED TABLE big AS
SELECT g::bigint % 20000 AS queryid, 1 + g % 20 AS calls,
       (1 + g % 20) * (0.5 + (g % 97)) AS total_exec_time,
       (1 + g % 20) * (g % 97) AS shared_blks_hit, (g % 7) AS shared_blks_read
  FROM generate_series(1, 100000) g;
SQL

# 1 and 2 in one backend; memory() is the sum over all its contexts.
out=$(psql -X -qAt -v ON_ERROR_STOP=1 -d postgres 2>&1 <<'SQL'
CREATE FUNCTION pg_temp.memory() RETURNS bigint LANGUAGE sql
    AS $$ SELECT sum(total_bytes)::bigint FROM pg_backend_memory_contexts $$;
-- warm up: both models cached, every code path of the loop run once
SELECT count(query_perf_ml.predict('gbm', v) + query_perf_ml.predict('lin', v)) FROM vecs;
SELECT count(query_perf_ml.predict('gbm', v) + query_perf_ml.predict('lin', v)) FROM vecs;
SELECT 'before', pg_temp.memory();
DO $$
DECLARE
    s float8;
    m bigint;
BEGIN
    -- the same loop with a trivial built-in function: what PL/pgSQL and
    -- the transaction themselves grow by (for comparison, not asserted)
    FOR i IN 1..1000 LOOP
        SELECT sum(cardinality(v)) + sum(cardinality(v)) INTO s FROM vecs;
        IF i = 10 THEN
            m := pg_temp.memory();
        ELSIF i = 1000 THEN
            RAISE NOTICE 'baseline|%', pg_temp.memory() - m;
        END IF;
    END LOOP;
    FOR i IN 1..1000 LOOP
        SELECT sum(query_perf_ml.predict('gbm', v)) + sum(query_perf_ml.predict('lin', v)) INTO s FROM vecs;
        IF i = 10 THEN
            RAISE NOTICE 'in_loop_10|%', pg_temp.memory();
        ELSIF i = 1000 THEN
            RAISE NOTICE 'in_loop_1000|%', pg_temp.memory();
        END IF;
    END LOOP;
END
$$;
SELECT 'after', pg_temp.memory();
-- one statement of 1M calls: memory at its end, while its executor state
-- still exists, against one of 10 000 calls (a per-call leak into the
-- statement's memory would show here)
WITH p AS MATERIALIZED (SELECT sum(query_perf_ml.predict('gbm', v)) s FROM vecs, generate_series(1, 10))
SELECT 'stmt_10k', pg_temp.memory() FROM p;
WITH p AS MATERIALIZED (SELECT sum(query_perf_ml.predict('gbm', v)) s FROM vecs, generate_series(1, 1000))
SELECT 'stmt_1m', pg_temp.memory() FROM p;
SELECT 'cache', cache_entries, cache_misses FROM query_perf_ml.status();
SQL
)
val() { awk -F'|' -v k="$1" '{ sub(/^NOTICE:  /, "") } $1 == k { print $2 }' <<<"$out"; }
before=$(val before); after=$(val after); l10=$(val in_loop_10); l1000=$(val in_loop_1000)
[ -n "$before" ] && [ -n "$after" ] && [ -n "$l10" ] && [ -n "$l1000" ] || { echo "not ok - memory run: $out"; exit 1; }
grow=$((after - before)); grow_in=$((l1000 - l10))
check "1M predict() calls: growth across the transaction < 1 MB ($grow bytes)" 1 $((grow < 1048576))
check "1M predict() calls: growth inside the transaction < 1 MB ($grow_in bytes)" 1 $((grow_in < 1048576))
s10k=$(val stmt_10k); s1m=$(val stmt_1m)
check "one statement of 1M predict() calls holds < 1 MB more than one of 10 000 ($((s1m - s10k)) bytes)" 1 $((s1m - s10k < 1048576))
echo "# 1M predict() calls per model (gradient_boosting 100 trees, linear): backend memory $before -> $after bytes ($grow); inside the loop, from statement 10 to 1000: $grow_in bytes (the same loop over cardinality(): $(val baseline) bytes)"

# 2: invalidations.  Each activate_model is its own transaction, so every
# following predict() sees the invalidation and reloads the model.
script=$QPM_DATA/invalidate.sql
{
	echo "CREATE FUNCTION pg_temp.memory() RETURNS bigint LANGUAGE sql AS \$\$ SELECT sum(total_bytes)::bigint FROM pg_backend_memory_contexts \$\$;"
	for v in 1 2 1 2; do
		echo "SELECT query_perf_ml.activate_model('gbm', $v) > 0 AS activated \\gset"
		echo "SELECT count(query_perf_ml.predict('gbm', v)) FROM vecs;"
	done
	echo "SELECT 'before', pg_temp.memory(), (SELECT cache_invalidations FROM query_perf_ml.status());"
	for i in $(seq 1 100); do
		for v in 1 2; do
			echo "SELECT query_perf_ml.activate_model('gbm', $v) > 0 AS activated \\gset"
			echo "SELECT count(query_perf_ml.predict('gbm', v)) FROM vecs;"
		done
	done
	echo "SELECT 'after', pg_temp.memory(), (SELECT cache_invalidations FROM query_perf_ml.status());"
} >"$script"
[ "$(id -u)" -eq 0 ] && chown postgres "$script"
out=$(psql -X -qAt -v ON_ERROR_STOP=1 -d postgres -f "$script" 2>&1)
before=$(awk -F'|' '$1 == "before" { print $2 }' <<<"$out"); after=$(awk -F'|' '$1 == "after" { print $2 }' <<<"$out")
inv=$(awk -F'|' '$1 == "before" { b = $3 } $1 == "after" { a = $3 } END { print a - b }' <<<"$out")
grow=$((after - before))
check "200 invalidations were seen" 1 $((inv >= 200))
check "200 reloads of a 50/100-tree model: growth < 1 MB ($grow bytes)" 1 $((grow < 1048576))
echo "# 200 activations + reloads: $inv invalidations, backend memory $before -> $after bytes ($grow)"

# 3: maintenance_work_mem bounds the rows held for training.
train_at() {	# train_at MWM -> "rows_kept|notice lines|peak RSS kB"
	psql -X -qAt -v ON_ERROR_STOP=1 -d postgres 2>&1 <<SQL
SET maintenance_work_mem = '$1';
SET query_perf_ml.training_progress = off;
-- pgss/1 rows (12 doubles), as the README's numbers; pgss/2 (45) holds about a third as many
SET query_perf_ml.default_feature_set = 'pgss/1';
SELECT 'rows', n_train + n_test FROM query_perf_ml.train_model('mwm_$1', 'gradient_boosting', 'big', '{"n_trees": 20, "cv_folds": 2}');
SELECT 'hwm', (regexp_match(pg_read_file('/proc/' || pg_backend_pid() || '/status'), 'VmHWM:\s+(\d+)'))[1];
SQL
}
out1=$(train_at 1MB); out8=$(train_at 8MB); out64=$(train_at 64MB)
rows() { awk -F'|' '$1 == "rows" { print $2 }' <<<"$1"; }
hwm() { awk -F'|' '$1 == "hwm" { print $2 }' <<<"$1"; }
r1=$(rows "$out1"); r8=$(rows "$out8"); r64=$(rows "$out64")
check "maintenance_work_mem 1MB: a NOTICE says the source is sampled" 1 "$(grep -c "NOTICE:  training on a sample of $r1 of 100000 usable rows" <<<"$out1")"
check "maintenance_work_mem 1MB: the NOTICE has a HINT" 1 "$(grep -c 'HINT:  Raise maintenance_work_mem or max_rows' <<<"$out1")"
check "fewer rows kept with less memory (1MB < 8MB < 64MB)" 1 $(( r1 < r8 && r8 < r64 ))
check "8 MB keeps about 8x the rows of 1 MB" 1 $(( r8 > 6 * r1 && r8 < 10 * r1 ))
check "64MB holds all 100000 rows, no NOTICE" "100000:0" "$r64:$(grep -c 'NOTICE:  training on a sample' <<<"$out64" || true)"
echo "# rows kept for training: 1MB $r1, 8MB $r8, 64MB $r64; peak RSS of the backend (VmHWM, includes XGBoost): $(hwm "$out1") / $(hwm "$out8") / $(hwm "$out64") kB"

echo "memory: $((n - fail)) passed, $fail failed"
exit $((fail > 0))
