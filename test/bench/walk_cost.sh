#!/usr/bin/env bash
# test/bench/walk_cost.sh [ROUNDS] [callgrind] — the tree walker alone,
# outside PostgreSQL (walk_cost.c): CPU time per row of a ROUNDS-tree
# (default 300) depth-6 XGBoost model with the AVX-512 and the portable
# walk, built with the server's optimization flags.  With "callgrind", the
# instructions per row of the portable walk instead (valgrind cannot run
# AVX-512), which a busy machine does not disturb.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-300}
bin=$(mktemp /tmp/qpm_walk_cost.XXXXXX)
trap 'rm -f "$bin" "$bin.cg" "$bin.dump"' EXIT
core=$top/src/core
gcc -O2 -fno-strict-aliasing -fwrapv -fexcess-precision=standard -std=gnu99 -I"$core" -I"$top/test/unit" \
	"$top/test/bench/walk_cost.c" "$core/forest.c" "$core/xgb_dump.c" "$core/forest_perfect.c" "$core/qpm_util.c" \
	"$top/test/unit/test_alloc.c" -lxgboost -lm -o "$bin"
if [ "${2:-}" = callgrind ]; then
	"$bin" "$rounds" save "$bin.dump"
	valgrind --tool=callgrind --callgrind-out-file="$bin.cg" "$bin" 0 once "$bin.dump" >/dev/null 2>&1
	callgrind_annotate --inclusive=yes "$bin.cg" 2>/dev/null |
		awk '/qpm_forest_predict / { gsub(",", "", $1); printf "portable walk: %.0f instructions per row (callgrind, inclusive, 5 000 rows)\n", $1 / 5000 }'
else
	"$bin" "$rounds"
fi
