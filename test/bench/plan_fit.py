#!/usr/bin/python3
"""Offline check of feature set plan/1 on captured plan samples.

Usage: plan_fit.py SAMPLES.csv [SEEDS]

SAMPLES.csv: queryid, exec_ms, total_cost, features (a float8[] literal,
45 values, NULL = missing), one row per execution.  For each seed (default
5), 20 % of the statements are held out by queryid; on the other 80 %:

  cost      ln(ms) = a + b ln(1 + total_cost), least squares (the planner's
            cost turned into time: the baseline the issue compares with)
  rf        scikit-learn RandomForestRegressor on the vector (mean imputation)
  gbm       scikit-learn HistGradientBoostingRegressor on the vector
  gbm-cost  the same on ln(1 + total_cost) alone (the cost, non-linearly)

all fitted on ln(ms).  Printed: median and p90 q-error per sample on held-out
statements, medians over seeds; and the noise floor: each held-out
execution against the median of its statement's other executions.  Also
the gbm's most important features (permutation importance, one seed).
The product has no Python: this is a benchmark only.
"""
import csv
import statistics
import sys

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline

NAMES = """total_cost_log startup_cost_log plan_rows_log plan_width_log nodes depth joins
rel_scans rel_pages_sum_log rel_pages_max_log rel_tuples_sum_log rel_tuples_max_log
rels_without_stats parallel_workers jit subplans initplans command_type work_mem_log
spill_ratio_max nestloop_inner_loops_log seqscan_count seqscan_bytes_log indexscan_count
indexscan_bytes_log bitmapscan_count bitmapscan_bytes_log nestloop_count nestloop_bytes_log
hashjoin_count hashjoin_bytes_log mergejoin_count mergejoin_bytes_log sort_count
sort_bytes_log hashagg_count hashagg_bytes_log agg_count agg_bytes_log material_count
material_bytes_log append_count append_bytes_log other_count other_bytes_log""".split()


def load(path):
    qid, ms, cost, X = [], [], [], []
    with open(path) as f:
        for row in csv.reader(f):
            qid.append(int(row[0]))
            ms.append(float(row[1]))
            cost.append(float(row[2]))
            X.append([np.nan if v == "NULL" else float(v) for v in row[3].strip("{}").split(",")])
    return np.array(qid), np.array(ms), np.array(cost), np.array(X, dtype=float)


def qerr(actual, pred):
    q = np.exp(np.abs(np.log(actual) - np.log(pred)))
    return float(np.median(q)), float(np.percentile(q, 90))


def held_out(qid, seed):
    stmts = np.unique(qid)
    rng = np.random.RandomState(seed)
    test = set(rng.choice(stmts, size=max(1, len(stmts) // 5), replace=False))
    return np.array([q in test for q in qid])


def noise_floor(qid, ms, test):
    """Each held-out execution against the median of its statement's others."""
    by = {}
    for q, m in zip(qid[test], ms[test]):
        by.setdefault(q, []).append(m)
    actual, pred = [], []
    for runs in by.values():
        for i, m in enumerate(runs):
            others = runs[:i] + runs[i + 1:]
            if others:
                actual.append(m)
                pred.append(statistics.median(others))
    return qerr(np.array(actual), np.array(pred))


def main():
    qid, ms, cost, X = load(sys.argv[1])
    seeds = range(1, 1 + (int(sys.argv[2]) if len(sys.argv) > 2 else 5))
    keep = ms > 0
    qid, ms, cost, X = qid[keep], ms[keep], cost[keep], X[keep]
    y = np.log(ms)
    lc = np.log1p(cost).reshape(-1, 1)
    print(f"{len(ms)} executions of {len(np.unique(qid))} statements, "
          f"{X.shape[1]} features; exec ms p10 {np.percentile(ms, 10):.3g}, "
          f"median {np.median(ms):.3g}, p90 {np.percentile(ms, 90):.3g}, max {ms.max():.4g}")
    res = {k: [] for k in ("cost", "rf", "gbm", "gbm-cost", "noise")}
    for seed in seeds:
        test = held_out(qid, seed)
        tr = ~test
        m = LinearRegression().fit(lc[tr], y[tr])
        res["cost"].append(qerr(ms[test], np.exp(m.predict(lc[test]))))
        rf = make_pipeline(SimpleImputer(), RandomForestRegressor(
            n_estimators=200, max_features=0.5, min_samples_leaf=2, random_state=seed, n_jobs=1))
        rf.fit(X[tr], y[tr])
        res["rf"].append(qerr(ms[test], np.exp(rf.predict(X[test]))))
        gbm = HistGradientBoostingRegressor(random_state=seed, max_iter=300, learning_rate=0.1)
        gbm.fit(X[tr], y[tr])
        res["gbm"].append(qerr(ms[test], np.exp(gbm.predict(X[test]))))
        gc = HistGradientBoostingRegressor(random_state=seed).fit(lc[tr], y[tr])
        res["gbm-cost"].append(qerr(ms[test], np.exp(gc.predict(lc[test]))))
        res["noise"].append(noise_floor(qid, ms, test))
        if seed == 1:
            imp = permutation_importance(gbm, X[test], y[test], n_repeats=5, random_state=0)
            top = np.argsort(-imp.importances_mean)[:12]
    print("| model | median q-error | p90 q-error |  (held out by queryid, medians over %d seeds)" % len(seeds))
    print("|---|---|---|")
    label = {"cost": "planner cost, log-log least squares", "rf": "random forest on plan/1",
             "gbm": "gradient boosting on plan/1", "gbm-cost": "gradient boosting on the cost alone",
             "noise": "noise floor: another run of the same statement"}
    for k, v in res.items():
        print(f"| {label[k]} | {statistics.median(a for a, _ in v):.3f} | {statistics.median(b for _, b in v):.2f} |")
    cm = statistics.median(a for a, _ in res["cost"])
    gm = statistics.median(a for a, _ in res["gbm"])
    print(f"gbm median / cost median = {gm / cm:.2f} (issue target <= 0.7, median <= 1.5, p90 <= 3.5)")
    print("gbm permutation importance (seed 1, held-out rows, drop in R^2 of ln ms):")
    for i in top:
        print(f"  {NAMES[i] if i < len(NAMES) else i:26s} {imp.importances_mean[i]:.3f}")


if __name__ == "__main__":
    main()
