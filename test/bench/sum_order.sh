#!/usr/bin/env bash
# test/bench/sum_order.sh — how far other orders of the leaf sum land from
# XGBoost's predictions (sum_order.c): the measurement behind keeping
# XGBoost's order in the tree walker (README, "Prediction cost").
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(mktemp /tmp/qpm_sum_order.XXXXXX)
trap 'rm -f "$bin"' EXIT
core=$top/src/core
gcc -O2 -std=gnu99 -I"$core" -I"$top/test/unit" "$top/test/bench/sum_order.c" "$core/forest.c" "$core/xgb_dump.c" \
	"$core/forest_perfect.c" "$core/qpm_util.c" "$core/split.c" "$top/test/unit/test_alloc.c" \
	-lxgboost -lm -o "$bin"
"$bin"
