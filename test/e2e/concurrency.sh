#!/usr/bin/env bash
# test/e2e/concurrency.sh [SECONDS] — 8 pgbench clients predict while
# another session retrains, activates and drops versions of the same model
# (default 12 s; test/stress.sh runs it for 60 s).
#
# The clients are rate-limited to 2000 transactions per second in all, so
# that on two cores the mutator gets through a dozen cycles in 12 s.
# Clients call predict_query_execution (which returns model_id) and the
# bulk predict(); each result is logged.  The mutator records, right after
# every training (when the new version is the active one and it is the only
# session changing models), what that version predicts for every
# statement.  Afterwards:
#   * every logged predict_query_execution row equals, to the last bit,
#     the recorded prediction (value, lower, upper) of the version it names:
#     a prediction never mixes versions;
#   * every logged predict() value equals the recorded value of some
#     version for that statement;
#   * the only errors are the documented ones of a model being dropped
#     under the clients: 42704 (model does not exist) and 55000 (no active
#     version); they are caught and counted, anything else aborts the
#     pgbench client and fails the test;
#   * the clients saw several versions, and the server never restarted.
# Starts its own throwaway cluster.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=concurrency
. "$top/test/lib/cluster.sh"
secs=${1:-12}
QPM_EXTRA_CONF="max_connections = 30" qpm_cluster_start
trap qpm_cluster_stop EXIT
pgbench=$QPM_PGBIN/pgbench

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
  FROM generate_series(1, 500) g;
ALTER TABLE stats ADD PRIMARY KEY (queryid);
-- the default feature set's vectors: the versions below are trained on it
CREATE TABLE vecs AS SELECT queryid AS q, features AS v FROM query_perf_ml.feature_vectors('stats', 'pgss/2');
-- what each version predicts (filled by the mutator) and what clients got
CREATE TABLE expected (model_id bigint, q bigint, predicted float8, lower float8, upper float8,
                       bulk float8, PRIMARY KEY (model_id, q));
CREATE UNLOGGED TABLE got (model_id bigint, q bigint, predicted float8, lower float8, upper float8);
CREATE UNLOGGED TABLE got_bulk (q bigint, value float8);
CREATE UNLOGGED TABLE errs (sqlstate text, message text);
-- documented errors are counted, anything else propagates to pgbench
CREATE FUNCTION client_pqe(qid bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO got SELECT p.model_id, qid, p.predicted_ms, p.lower_ms, p.upper_ms
      FROM query_perf_ml.predict_query_execution(qid, 'conc', 'stats') p;
EXCEPTION WHEN undefined_object OR object_not_in_prerequisite_state THEN
    INSERT INTO errs VALUES (SQLSTATE, SQLERRM);
END $$;
CREATE FUNCTION client_bulk(qid bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO got_bulk SELECT qid, query_perf_ml.predict('conc', v) FROM vecs WHERE q = qid;
EXCEPTION WHEN undefined_object OR object_not_in_prerequisite_state THEN
    INSERT INTO errs VALUES (SQLSTATE, SQLERRM);
END $$;
-- after a training: the new version is active; record its predictions
CREATE FUNCTION record_expected(new_id bigint) RETURNS boolean LANGUAGE sql AS $$
    WITH e AS (
        INSERT INTO expected
        SELECT p.model_id, s.queryid, p.predicted_ms, p.lower_ms, p.upper_ms,
               query_perf_ml.predict('conc', v.v)
          FROM stats s JOIN vecs v ON v.q = s.queryid,
               query_perf_ml.predict_query_execution(s.queryid, 'conc', 'stats') p
        RETURNING model_id)
    SELECT bool_and(model_id = new_id) AND count(*) = 500 FROM e $$;
SELECT record_expected(model_id) FROM query_perf_ml.train_model('conc', 'linear', 'stats');
SQL
started=$(q "SELECT pg_postmaster_start_time()")

cat >"$QPM_DATA/pqe.sql" <<'EOF'
\set q random(1, 500)
SELECT client_pqe(:q);
EOF
cat >"$QPM_DATA/bulk.sql" <<'EOF'
\set q random(1, 500)
SELECT client_bulk(:q);
EOF
[ "$(id -u)" -eq 0 ] && chown postgres "$QPM_DATA"/*.sql

# The mutator, in cycles: retrain (linear, or a small booster every other
# cycle) and record the new version's predictions, activate a random
# version, drop a random inactive one when there are more than three; in
# cycles 2, 5, 8 ... drop the active version (clients get 55000 until the
# next activation), in cycles 4, 8 ... the whole model (42704 until the
# next training).  Cycles take about 2 s, so both happen in 12 s on an idle
# machine; on a loaded one the mutator goes on past SECONDS until it has run
# four cycles (both drops), for at most 6 x SECONDS, and the clients with it.
mq() {	# one mutator statement: output, or its error logged as such
	local out
	out=$(q "$1" 2>&1) || { echo "mutator error: $out" >&2; return 0; }
	echo "$out"
}
mutator() {
	local start end last i=0 rec
	start=$(date +%s); end=$((start + secs)); last=$((start + 6 * secs))
	while [ "$(date +%s)" -lt "$end" ] || { [ $i -lt 4 ] && [ "$(date +%s)" -lt "$last" ]; }; do
		i=$((i + 1))
		if [ $((i % 2)) -eq 0 ]; then
			rec=$(mq "SELECT record_expected(model_id) FROM query_perf_ml.train_model('conc', 'gradient_boosting', 'stats', '{\"n_trees\": 20, \"cv_folds\": 2, \"seed\": $i}')")
		else
			rec=$(mq "SELECT record_expected(model_id) FROM query_perf_ml.train_model('conc', 'linear', 'stats', '{\"seed\": $i}')")
		fi
		[ "$rec" = t ] || echo "mutator: expected predictions not recorded for cycle $i ($rec)"
		echo train
		sleep 0.1
		mq "SELECT query_perf_ml.activate_model('conc', (SELECT version FROM query_perf_ml.models WHERE name = 'conc' ORDER BY random() LIMIT 1))" >/dev/null
		echo activate
		sleep 0.1
		if [ "$(mq "SELECT count(*) FROM query_perf_ml.models WHERE name = 'conc'")" -gt 3 ]; then
			mq "SELECT query_perf_ml.drop_model('conc', (SELECT version FROM query_perf_ml.models WHERE name = 'conc' AND NOT is_active ORDER BY random() LIMIT 1))" >/dev/null
			echo drop_version
		fi
		if [ $((i % 3)) -eq 2 ] && [ "$(mq "SELECT count(*) FROM query_perf_ml.models WHERE name = 'conc'")" -gt 1 ]; then
			mq "SELECT query_perf_ml.drop_model('conc', (SELECT version FROM query_perf_ml.models WHERE name = 'conc' AND is_active))" >/dev/null
			echo drop_active
			sleep 0.3
			mq "SELECT query_perf_ml.activate_model('conc')" >/dev/null
			echo activate
		fi
		if [ $((i % 4)) -eq 0 ]; then
			mq "SELECT query_perf_ml.drop_model('conc')" >/dev/null
			echo drop_model
			sleep 0.3
		fi
	done
}
mutator >"$QPM_DATA/mutator.log" 2>&1 &
mut=$!
# The clients run as long as the mutator does, in pgbench runs of at most
# SECONDS (the first one always whole).
: >"$QPM_DATA/pgbench.log"
run=0
while [ $run -eq 0 ] || kill -0 $mut 2>/dev/null; do
	run=$((run + 1))
	qpm_pguser "$pgbench" -h "$PGHOST" -p "$PGPORT" -U postgres -n -c 8 -j 2 -T "$([ $run -eq 1 ] && echo "$secs" || echo 3)" -R 2000 \
		-f "$QPM_DATA/pqe.sql@1" -f "$QPM_DATA/bulk.sql@1" postgres >>"$QPM_DATA/pgbench.log" 2>&1 || true
done
wait $mut || true
# the mutator's last action may have been a drop: leave a model for the checks below
q "SELECT count(*) FROM query_perf_ml.models WHERE name = 'conc'" >/dev/null

tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$QPM_DATA/pgbench.log" | awk '{ s += $1 } END { print s + 0 }')
check "pgbench ran and no client aborted" "1:0" \
	"$([ "${tx:-0}" -gt 0 ] && echo 1 || echo 0):$(grep -c 'aborted\|ERROR' "$QPM_DATA/pgbench.log" || true)"
check "the mutator worked without errors" "0" "$(grep -vc '^train$\|^activate$\|^drop_version$\|^drop_active$\|^drop_model$' "$QPM_DATA/mutator.log" || true)"
check "every predict_query_execution result equals its version's prediction exactly" "0" \
	"$(q "SELECT count(*) FROM got g LEFT JOIN expected e USING (model_id, q)
	       WHERE e.q IS NULL OR (g.predicted, g.lower, g.upper) IS DISTINCT FROM (e.predicted, e.lower, e.upper)")"
check "every predict() value equals some version's prediction exactly" "0" \
	"$(q "SELECT count(*) FROM got_bulk g WHERE NOT EXISTS (SELECT 1 FROM expected e WHERE e.q = g.q AND e.bulk = g.value)")"
check "only documented errors (42704, 55000)" "0" "$(q "SELECT count(*) FROM errs WHERE sqlstate NOT IN ('42704', '55000')")"
check "clients saw several versions" "1" "$(q "SELECT (count(DISTINCT model_id) > 2)::int FROM got")"
check "clients met both documented errors" "2" "$(q "SELECT count(DISTINCT sqlstate) FROM errs")"
check "server did not restart" "$started" "$(q "SELECT pg_postmaster_start_time()")"
check "no backend crashed (server log)" "0" "$(grep -c 'terminated by signal\|server process .* exited with exit code [^0]' "$QPM_DATA/server.log" || true)"

echo "# ${secs} s, 8 clients: $tx transactions in $run pgbench runs (first run $(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$QPM_DATA/pgbench.log" | head -1) tps)"
echo "# mutator: $(sort "$QPM_DATA/mutator.log" | uniq -c | awk '{ printf "%s %s, ", $1, $2 }')$(q "SELECT count(*) FROM expected") expected predictions recorded"
echo "# logged: $(q "SELECT count(*) || ' predict_query_execution rows over ' || count(DISTINCT model_id) || ' versions, ' FROM got")$(q "SELECT count(*) FROM got_bulk") predict() rows"
echo "# documented errors: $(q "SELECT coalesce(string_agg(sqlstate || ' x' || c, ', '), 'none') FROM (SELECT sqlstate, count(*) c FROM errs GROUP BY 1 ORDER BY 1) e")"
grep -v '^train$\|^activate$\|^drop_version$\|^drop_active$\|^drop_model$' "$QPM_DATA/mutator.log" | sed 's/^/# /' || true
echo "concurrency: $((n - fail)) passed, $fail failed"
exit $((fail > 0))
