#!/usr/bin/env bash
# test/e2e/async_training.sh — train_model_async without shared_preload
# (query_perf_ml is not preloaded here): a job yields the same model as
# train_model with the same seed, reports progress, can be cancelled
# (nothing written), records failures (bad source, missing privilege) with
# their SQLSTATE, leaves nothing behind when the submitting transaction
# rolls back, refuses clearly when no worker slot is free, and a job
# interrupted by a fast shutdown is recorded as failed, with a clean server
# log.  Starts its own throwaway cluster.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=async_training
. "$top/test/lib/cluster.sh"
# The logical replication launcher takes one of the 3 slots; the job caps
# are raised so that the slots run out first.
QPM_EXTRA_CONF="max_worker_processes = 3
query_perf_ml.max_training_jobs_per_role = 10
query_perf_ml.max_training_jobs = 10"
qpm_cluster_start
trap qpm_cluster_stop EXIT

fail=0; n=0
check() { n=$((n + 1)); if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: expected '$2', got '$3'"; fail=$((fail + 1)); fi; }
q() { psql -X -qAt -d postgres -c "$1"; }
log=$QPM_DATA/server.log
# wait_job ID SECONDS: until the job is finished; prints its state
wait_job() {
	local i s
	for i in $(seq 1 $(($2 * 10))); do
		s=$(q "SELECT state FROM query_perf_ml.training_jobs WHERE job_id = $1")
		case "$s" in done|failed|cancelled) echo "$s"; return 0 ;; esac
		sleep 0.1
	done
	echo "timeout ($s)"
}

psql -X -q -v ON_ERROR_STOP=1 -d postgres >/dev/null <<'SQL'
CREATE EXTENSION query_perf_ml;
CREATE TABLE src AS
SELECT g::bigint % 3000 AS queryid, 1 + g % 20 AS calls,
       (1 + g % 20) * (0.5 + (g % 97)) * (1 + (g % 3000) % 7) AS total_exec_time,
       (1 + g % 20) * (g % 97) AS shared_blks_hit, (g % 7) AS shared_blks_read, g % 13 AS rows
  FROM generate_series(1, 20000) g;
CREATE UNLOGGED TABLE big AS
SELECT g::bigint % 50000 AS queryid, 1 + g % 20 AS calls,
       (1 + g % 20) * (0.5 + (g % 97)) AS total_exec_time,
       (1 + g % 20) * (g % 97) AS shared_blks_hit, (g % 7) AS shared_blks_read
  FROM generate_series(1, 200000) g;
CREATE TABLE tiny AS SELECT * FROM src LIMIT 3;
CREATE ROLE trainer LOGIN;
GRANT EXECUTE ON FUNCTION query_perf_ml.train_model_async(text, text, regclass, jsonb),
                          query_perf_ml.train_model(text, text, regclass, jsonb),
                          query_perf_ml.cancel_training(bigint) TO trainer;
GRANT SELECT ON src TO trainer;
SQL
check "query_perf_ml is not preloaded" "0" "$(q "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'query_perf_ml launcher'")"

# 1. Same model as synchronous training with the same seed.
t0=$(date +%s%N)
j1=$(q "SELECT query_perf_ml.train_model_async('a1', 'gradient_boosting', 'src', '{\"seed\": 7}')")
ms_submit=$(( ($(date +%s%N) - t0) / 1000000 ))
check "async job finishes" "done" "$(wait_job "$j1" 60)"
echo "# submit took $ms_submit ms; job: $(q "SELECT progress || ', ' || round(extract(epoch FROM finished_at - submitted_at)::numeric, 2) || ' s submit to finish' FROM query_perf_ml.training_jobs WHERE job_id = $j1")"
q "SELECT version FROM query_perf_ml.train_model('s1', 'gradient_boosting', 'src', '{\"seed\": 7}')" >/dev/null
check "async model predicts exactly like the synchronous one" "20000" \
	"$(q "SELECT count(*) FILTER (WHERE query_perf_ml.predict('a1', features) = query_perf_ml.predict('s1', features)) FROM query_perf_ml.feature_vectors('src', (SELECT feature_set FROM query_perf_ml.models WHERE name = 's1'))")"
check "job row points at the stored model" "a1 1 postgres" \
	"$(q "SELECT m.name || ' ' || m.version || ' ' || m.created_by FROM query_perf_ml.training_jobs j JOIN query_perf_ml.models m USING (model_id) WHERE j.job_id = $j1")"
check "same options stored" "t" "$(q "SELECT a.options = s.options FROM query_perf_ml.models a, query_perf_ml.models s WHERE a.name = 'a1' AND s.name = 's1'")"
# The job trains with the submitter's default feature set, as train_model would.
ja=$(psql -X -qAt -v ON_ERROR_STOP=1 -d postgres -c "SET query_perf_ml.default_feature_set = 'pgss/1'" \
	-c "SELECT query_perf_ml.train_model_async('a2', 'linear', 'src')")
check "async job finishes with the submitter's default feature set" "done pgss/1" \
	"$(wait_job "$ja" 60) $(q "SELECT feature_set FROM query_perf_ml.models WHERE name = 'a2'")"

# 2. Progress while running, then cancel: cancelled, nothing written.
j2=$(q "SELECT query_perf_ml.train_model_async('c1', 'random_forest', 'big', '{\"n_trees\": 3000, \"max_depth\": 6}')")
prog=""
for _ in $(seq 1 100); do
	prog=$(q "SELECT progress FROM query_perf_ml.training_jobs WHERE job_id = $j2 AND state = 'running'")
	[[ "$prog" == *trees* ]] && break
	sleep 0.1
done
echo "# progress: $prog"
check "progress of a running job" "1" "$([[ "$prog" == "random_forest fit 1: "*" of 3000 trees, "* ]] && echo 1 || echo 0)"

# 3. No free worker slot: a clear error in the caller, no job left behind.
j3=$(q "SELECT query_perf_ml.train_model_async('c2', 'random_forest', 'big', '{\"n_trees\": 3000, \"max_depth\": 6}')")
err=$(q "SELECT query_perf_ml.train_model_async('c3', 'linear', 'src')" 2>&1 || true)
check "no free slot is an error" "1" "$(grep -c 'no background worker slot is free for a training job' <<<"$err")"
check "no job row for the refused submission" "0" "$(q "SELECT count(*) FROM query_perf_ml.training_jobs WHERE name = 'c3'")"

t0=$(date +%s%N)
check "cancel_training returns true" "t" "$(q "SELECT query_perf_ml.cancel_training($j2)")"
check "cancelled job state" "cancelled" "$(wait_job "$j2" 10)"
echo "# cancel took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check "cancel of a finished job returns false" "f" "$(q "SELECT query_perf_ml.cancel_training($j2)")"
check "cancelled job wrote no model" "0" "$(q "SELECT count(*) FROM query_perf_ml.models WHERE name = 'c1'")"

# 4. A job running at a fast shutdown is recorded failed; the log stays clean.
qpm_pguser "$QPM_PGBIN/pg_ctl" -D "$QPM_DATA/data" -l "$log" -m fast -w restart >/dev/null
check "job interrupted by shutdown is failed" "failed 57P01" "$(q "SELECT state || ' ' || sqlstate FROM query_perf_ml.training_jobs WHERE job_id = $j3")"
check "its error says why" "training worker terminated by administrator command or server shutdown" \
	"$(q "SELECT error FROM query_perf_ml.training_jobs WHERE job_id = $j3")"

# 5. Failures are recorded with the error and SQLSTATE.
j4=$(q "SELECT query_perf_ml.train_model_async('f1', 'linear', 'tiny')")
check "too few rows: failed" "failed" "$(wait_job "$j4" 20)"
check "too few rows: message and SQLSTATE" "22000 too few usable rows in source public.tiny: 3 (at least 10 needed)" \
	"$(q "SELECT sqlstate || ' ' || split_part(error, E'\n', 1) FROM query_perf_ml.training_jobs WHERE job_id = $j4")"
j5=$(psql -X -qAt -U trainer -d postgres -c "SELECT query_perf_ml.train_model_async('f2', 'linear', 'tiny')")
check "no privilege on the source: failed" "failed" "$(wait_job "$j5" 20)"
check "no privilege: message, SQLSTATE, submitter" "42501 permission denied for table tiny trainer" \
	"$(q "SELECT sqlstate || ' ' || error || ' ' || submitted_by FROM query_perf_ml.training_jobs WHERE job_id = $j5")"
j6=$(psql -X -qAt -U trainer -d postgres -c "SELECT query_perf_ml.train_model_async('t1', 'linear', 'src')")
check "a job of another role runs as that role" "done trainer" \
	"$(wait_job "$j6" 20) $(q "SELECT created_by FROM query_perf_ml.models WHERE name = 't1'")"
check "a role sees only its own jobs" "$j5 $j6" \
	"$(psql -X -qAt -U trainer -d postgres -c "SELECT string_agg(job_id::text, ' ' ORDER BY job_id) FROM query_perf_ml.training_jobs")"
check "a role cannot cancel another role's job" "1" \
	"$(psql -X -qAt -U trainer -d postgres -c "SELECT query_perf_ml.cancel_training($j1)" 2>&1 | grep -c 'permission denied to cancel training job')"

# 6. Rolled back submission: no job, no model, its worker exits.
q "BEGIN; SELECT query_perf_ml.train_model_async('rb', 'linear', 'src'); ROLLBACK" >/dev/null
sleep 1
check "rolled back submission leaves no job" "0" "$(q "SELECT count(*) FROM query_perf_ml.training_job_store WHERE name = 'rb'")"
check "rolled back submission leaves no worker" "0" "$(q "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'query_perf_ml training'")"
check "rolled back submission trains nothing" "0" "$(q "SELECT count(*) FROM query_perf_ml.models WHERE name = 'rb'")"

check "no crash restart (one start, one restart)" "2" "$(grep -c 'database system is ready to accept connections' "$log")"
qpm_pguser "$QPM_PGBIN/pg_ctl" -D "$QPM_DATA/data" -m fast -w stop >/dev/null
check "clean server log (no crash or signal lines)" "0" \
	"$(grep -cE 'terminated by signal|was terminated|PANIC|server process .* exited|query_perf_ml.* exited with exit code|all server processes terminated' "$log" || true)"

echo "async_training: $((n - fail)) passed, $fail failed"
exit $((fail > 0))
