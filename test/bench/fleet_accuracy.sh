#!/usr/bin/env bash
# test/bench/fleet_accuracy.sh [SPLITS] — does a model trained on a fleet's
# union predict a server's unseen statements better than the server's own
# model?  The fleet of test/lib/fleet.sh (three servers with different
# sizes and statement mixes, a central database reading them through
# postgres_fdw).  For each of SPLITS (default 5) splits, statements are held
# out by their text (a salted md5: one in five, the same texts on every
# server, so the union model has not seen them on any server either); the
# union model and each server's own model (gradient_boosting, defaults,
# training seed = split) are trained on the rest, and both are scored with
# validate_model on the server's held-out statements (median q-error,
# nested statements only: the workload's).  Prints one line per split and
# server, then the means; the own model is the same-run baseline.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=fleet_accuracy
. "$top/test/lib/cluster.sh"
. "$top/test/lib/fleet.sh"
splits=${1:-5}
export PGOPTIONS="-c client_min_messages=warning"
start=$(date +%s)
out=$(mktemp /tmp/qpm_fleet_accuracy.XXXXXX)
trap 'qpm_clusters_stop; rm -f "$out"' EXIT
qpm_fleet_start "$top"
C=$QPM_FLEET_CENTRAL

qpm_q $C "CREATE SCHEMA acc;
          CREATE FUNCTION acc.held_out(q text, salt int) RETURNS boolean IMMUTABLE LANGUAGE sql
                 AS \$\$SELECT ('x' || substr(md5(salt || '/' || q), 1, 7))::bit(28)::int % 5 = 0\$\$" >/dev/null
echo "split server held_out own_median_q union_median_q"
for ((s = 1; s <= splits; s++)); do
	qpm_q $C "CREATE OR REPLACE VIEW acc.union_train AS SELECT * FROM fleet.live_intervals WHERE NOT acc.held_out(query, $s)" >/dev/null
	qpm_q $C "SELECT 1 FROM query_perf_ml.train_model('acc_union_$s', 'gradient_boosting', 'acc.union_train', '{\"seed\": $s}')" >/dev/null
	for k in 1 2 3; do
		qpm_q $C "CREATE OR REPLACE VIEW acc.train_s$k AS SELECT * FROM fleet_s$k.metrics_intervals WHERE NOT acc.held_out(query, $s);
		          CREATE OR REPLACE VIEW acc.test_s$k AS SELECT * FROM fleet_s$k.metrics_intervals WHERE acc.held_out(query, $s) AND NOT toplevel" >/dev/null
		qpm_q $C "SELECT 1 FROM query_perf_ml.train_model('acc_s${k}_$s', 'gradient_boosting', 'acc.train_s$k', '{\"seed\": $s}')" >/dev/null
		qpm_q $C "SELECT '$s s$k ' || o.n || ' ' || round(o.median_q_error::numeric, 3) || ' ' || round(u.median_q_error::numeric, 3)
		          FROM query_perf_ml.validate_model('acc_s${k}_$s', 'acc.test_s$k') o,
		               query_perf_ml.validate_model('acc_union_$s', 'acc.test_s$k') u"
	done
done | tee "$out"
awk '{ own[$2] += $4; uni[$2] += $5; n[$2]++; if ($5 < $4) w[$2]++; to += $4; tu += $5; tn++; if ($5 < $4) tw++ }
	END { for (s in n) printf "mean %s: own %.3f, union %.3f (union better in %d of %d splits)\n", s, own[s] / n[s], uni[s] / n[s], w[s], n[s];
	      printf "mean all: own %.3f, union %.3f (union better in %d of %d)\n", to / tn, tu / tn, tw, tn }' "$out" | sort
echo "# $(( $(date +%s) - start )) s"
