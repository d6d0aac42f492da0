#!/usr/bin/env bash
# test/bench/capture_overhead.sh [SECONDS] [ROUNDS] [SCALE] — what plan
# capture costs the statements it samples.
#
# 1. TPS: one throwaway cluster with pg_stat_statements and query_perf_ml
#    preloaded, pgbench at SCALE (default 10), two workloads: -S (select
#    only) and a mixed read/write one (select-only 80 %, simple-update 20 %),
#    both with -M prepared and 2 clients.  Capture off, on at sample rate
#    1.0 and on at 0.1 are switched by ALTER SYSTEM + reload and alternated
#    in ROUNDS rounds (default 5) of SECONDS each (default 10), the order
#    rotated every round; the median TPS of each and its change against
#    "off" are printed.  "off" keeps the hooks installed (they count nesting
#    levels), so a server without the preload would be a little faster still.
# 2. Instructions (with valgrind): 2000 index lookups in a single-user
#    backend under callgrind, capture off and at rate 1.0, as plain
#    statements and as EXECUTE of a prepared one; the difference per
#    statement, which machine load does not disturb.
# The load average is printed before and after: on a shared machine the TPS
# differences are within its noise unless they are large.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=capture_overhead
. "$top/test/lib/cluster.sh"
secs=${1:-10}; rounds=${2:-5}; scale=${3:-10}
QPM_EXTRA_CONF="shared_preload_libraries = 'pg_stat_statements,query_perf_ml'
pg_stat_statements.track = top
shared_buffers = 256MB"
qpm_cluster_start
work=$(mktemp -d /tmp/qpm_capture_overhead.XXXXXX)
[ "$(id -u)" -eq 0 ] && chown postgres "$work"
trap 'qpm_cluster_stop; rm -rf "$work"' EXIT
q() { psql -X -qAt -v ON_ERROR_STOP=1 -d postgres -c "$1"; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
q "CREATE EXTENSION pg_stat_statements" >/dev/null
q "CREATE EXTENSION query_perf_ml" >/dev/null
"$QPM_PGBIN/pgbench" -q -i -s "$scale" postgres >/dev/null 2>&1

configure() {	# configure off|1.0|0.1
	if [ "$1" = off ]; then
		q "ALTER SYSTEM SET query_perf_ml.capture_plans = off" >/dev/null
	else
		q "ALTER SYSTEM SET query_perf_ml.capture_plans = on" >/dev/null
		q "ALTER SYSTEM SET query_perf_ml.capture_sample_rate = $1" >/dev/null
	fi
	q "SELECT pg_reload_conf()" >/dev/null
	sleep 0.3
}
tps() {	# tps WORKLOAD: one pgbench run, prints its TPS
	local args
	case $1 in
		select) args=(-S) ;;
		mixed) args=(-b select-only@80 -b simple-update@20) ;;
	esac
	"$QPM_PGBIN/pgbench" -n -M prepared -c 2 -j 2 -T "$secs" "${args[@]}" postgres 2>/dev/null |
		sed -n 's/^tps = \([0-9.]*\) .*/\1/p'
}

configs=(off 1.0 0.1)
for workload in select mixed; do
	: >"$work/$workload.tps"
	for r in $(seq 1 "$rounds"); do
		for k in 0 1 2; do
			c=${configs[$(( (k + r) % 3 ))]}
			configure "$c"
			echo "$c $(tps "$workload")" >>"$work/$workload.tps"
		done
	done
	captured=$(q "SELECT captured FROM query_perf_ml.plan_capture_status()")
	echo "pgbench $workload ($rounds rounds x ${secs}s per setting, $captured statements captured so far):"
	awk '{v[$1] = v[$1] " " $2} END {
		n = split("off 1.0 0.1", order, " ");
		for (i = 1; i <= n; i++) {
			c = order[i]; m = split(substr(v[c], 2), a, " ");
			for (x = 1; x <= m; x++) for (y = x + 1; y <= m; y++) if (a[y] < a[x]) { t = a[x]; a[x] = a[y]; a[y] = t }
			med[c] = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2;
			printf "  capture %-4s median %9.1f tps (runs:%s)", c, med[c], v[c];
			if (c != "off") printf "  %+.1f%% vs off", 100 * (med[c] / med["off"] - 1);
			printf "\n";
		}
	}' "$work/$workload.tps"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# 2. Instructions per statement in a single-user backend (no client, no
# scheduler noise).
if ! command -v valgrind >/dev/null; then
	echo "instructions: valgrind not installed, skipped"; exit 0
fi
# Plain statements (parsed and planned each time) and EXECUTE of a prepared
# statement (plan cached, as pgbench -M prepared; EXECUTE is sampled).
for i in $(seq 1 2000); do echo "SELECT abalance FROM pgbench_accounts WHERE aid = $(( (i * 7919) % (scale * 100000) + 1 ));"; done >"$work/plain.sql"
{ echo "PREPARE lookup(int) AS SELECT abalance FROM pgbench_accounts WHERE aid = \$1;"
  for i in $(seq 1 2000); do echo "EXECUTE lookup($(( (i * 7919) % (scale * 100000) + 1 )));"; done; } >"$work/prepared.sql"
[ "$(id -u)" -eq 0 ] && chown postgres "$work"/*.sql
qpm_pguser "$QPM_PGBIN/pg_ctl" -D "$QPM_DATA/data" -m fast -w stop >/dev/null
instructions() {	# instructions plain|prepared on|off: total Ir of the single-user backend
	qpm_pguser valgrind --tool=callgrind --callgrind-out-file="$work/cg.$1.$2" \
		"$QPM_PGBIN/postgres" --single -D "$QPM_DATA/data" -c "query_perf_ml.capture_plans=$2" \
		-c query_perf_ml.capture_sample_rate=1.0 postgres <"$work/$1.sql" >/dev/null 2>&1
	sed -n 's/^summary: *//p; s/^totals: *//p' "$work/cg.$1.$2" | head -n 1
}
instructions plain off >/dev/null	# warm-up: the first backend after a restart builds the relcache init file
for kind in plain prepared; do
	off=$(instructions $kind off); on=$(instructions $kind on)
	echo "instructions, 2000 $kind index lookups in one backend: off $off, on $on:" \
		"$(( (on - off) / 2000 )) more per statement ($(awk -v a="$off" -v b="$on" 'BEGIN {printf "%+.2f%%", 100 * (b / a - 1)}'))"
done
if command -v callgrind_annotate >/dev/null; then
	echo "instructions per captured statement in capture's own functions (inclusive):"
	callgrind_annotate --inclusive=yes --threshold=100 "$work/cg.prepared.on" 2>/dev/null |
		sed -n 's/^ *\([0-9,]*\) ([^)]*) *[^ ]*:\(qpm_plan_vector_open\|qpm_plan_features\|qpm_ring_append\|InstrAlloc\|InstrStartNode\|InstrStopNode\|InstrEndLoop\) .*/\2 \1/p' |
		awk '{gsub(",", "", $2); printf "  %-20s %8.0f\n", $1, $2 / 2000}'
fi
qpm_pguser "$QPM_PGBIN/pg_ctl" -D "$QPM_DATA/data" -l "$QPM_DATA/server.log" -w start >/dev/null
