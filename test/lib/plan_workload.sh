# test/lib/plan_workload.sh — shared by the plan/1 benchmarks (plan_fit.sh,
# plan_accuracy.sh): a throwaway cluster with plan capture on, the realistic
# workload run once with every top-level statement sampled, and the samples
# flushed into query_perf_ml.plan_samples.  Source it after cluster.sh.

# qpm_plan_workload SCALE STATEMENTS REPEATS WORKLOAD_SEED
# Starts the cluster, sets work (a temporary directory removed on exit), q()
# (one psql command, unaligned), and first (the first sample_id of the run).
qpm_plan_workload() {
	local scale=$1 statements=$2 repeats=$3 wseed=$4 start
	QPM_EXTRA_CONF="shared_preload_libraries = 'pg_stat_statements,query_perf_ml'
query_perf_ml.capture_plans = on
query_perf_ml.capture_buffer = 50000"
	qpm_cluster_start
	work=$(mktemp -d "/tmp/qpm_${QPM_SCRIPT}.XXXXXX")
	trap 'qpm_cluster_stop; rm -rf "$work"' EXIT
	q() { psql -X -qAt -v ON_ERROR_STOP=1 -d postgres -c "$1"; }

	echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
	q "CREATE EXTENSION pg_stat_statements" >/dev/null
	q "CREATE EXTENSION query_perf_ml" >/dev/null
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -f "$top/test/workload/workload.sql" -v scale="$scale" >/dev/null
	q "SELECT qpm_workload.script($statements, $repeats, $wseed)" >"$work/workload.sql"
	q "SELECT query_perf_ml.flush_plan_samples()" >/dev/null
	first=$(q "SELECT coalesce(max(sample_id), 0) + 1 FROM query_perf_ml.plan_samples")
	start=$(date +%s)
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -f "$work/workload.sql" >/dev/null
	echo "workload: $(( $(date +%s) - start )) s; flushed $(q "SELECT query_perf_ml.flush_plan_samples()") samples"
	echo "load average after the workload: $(cut -d' ' -f1-3 /proc/loadavg)"
}
