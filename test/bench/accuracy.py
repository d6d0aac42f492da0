#!/usr/bin/python3
"""Accuracy of query_perf_ml's three algorithms against scikit-learn
reference fits on the same 12 features and the same held-out statements.

Usage: accuracy.py CONNINFO SOURCE [SEED ...]

For each seed: query_perf_ml.train_model() is run for linear, random_forest
and gradient_boosting on SOURCE (held-out metrics come from the extension);
the same rows (query_perf_ml.feature_vectors) and the same split
(query_perf_ml.is_held_out) are given to scikit-learn's Ridge,
RandomForestRegressor and HistGradientBoostingRegressor, fitted on
log(ms) with mean imputation.  Prints per-algorithm medians over seeds.
The product has no Python: this is a benchmark only (Debian python3-sklearn).
"""
import math
import statistics
import sys

import numpy as np
import psycopg2
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def metrics(actual, pred):
    la, lp = np.log(actual), np.log(pred)
    q = np.exp(np.abs(la - lp))
    ss_res = float(np.sum((la - lp) ** 2))
    ss_tot = float(np.sum((la - la.mean()) ** 2))
    return {"median_q_error": float(np.median(q)), "p90_q_error": float(np.percentile(q, 90)),
            "r2": 1 - ss_res / ss_tot if ss_tot > 0 else float("nan")}


def main():
    conninfo, source = sys.argv[1], sys.argv[2]
    seeds = [int(s) for s in sys.argv[3:]] or [42]
    conn = psycopg2.connect(conninfo)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET query_perf_ml.training_progress = off")
    cur.execute("SELECT queryid, features, actual_ms FROM query_perf_ml.feature_vectors(%s::regclass) "
                "WHERE actual_ms IS NOT NULL", (source,))
    rows = cur.fetchall()
    qid = np.array([r[0] for r in rows])
    X = np.array([[np.nan if v is None else v for v in r[1]] for r in rows], dtype=float)
    y = np.array([r[2] for r in rows], dtype=float)

    refs = {
        "linear": lambda s: make_pipeline(SimpleImputer(), StandardScaler(), Ridge(alpha=1.0)),
        "random_forest": lambda s: make_pipeline(SimpleImputer(), RandomForestRegressor(
            n_estimators=100, max_features=0.8, random_state=s, n_jobs=1)),
        "gradient_boosting": lambda s: HistGradientBoostingRegressor(random_state=s),
    }
    ours = {a: [] for a in refs}
    theirs = {a: [] for a in refs}
    for seed in seeds:
        cur.execute("SELECT queryid, query_perf_ml.is_held_out(queryid, %s, 0.2) FROM "
                    "(SELECT DISTINCT queryid FROM query_perf_ml.feature_vectors(%s::regclass)) q",
                    (seed, source))
        held = dict(cur.fetchall())
        test = np.array([held[q] for q in qid])
        for alg, make in refs.items():
            cur.execute("SELECT median_q_error, p90_q_error, r2, interval_coverage, train_ms "
                        "FROM query_perf_ml.train_model(%s, %s, %s::regclass, %s)",
                        ("bench_" + alg, alg, source, '{"seed": %d, "activate": false}' % seed))
            mq, p90, r2, cov, ms = cur.fetchone()
            ours[alg].append({"median_q_error": mq, "p90_q_error": p90, "r2": r2,
                              "coverage": cov, "train_ms": ms})
            model = make(seed)
            model.fit(X[~test], np.log(y[~test]))
            theirs[alg].append(metrics(y[test], np.exp(model.predict(X[test]))))
    cur.execute("SELECT query_perf_ml.drop_model(name) FROM (SELECT DISTINCT name FROM "
                "query_perf_ml.models WHERE name LIKE 'bench\\_%%') n")

    med = lambda vals, k: statistics.median(v[k] for v in vals)
    print(f"source {source}: {len(rows)} rows, {len(set(qid))} statements, seeds {seeds}")
    print("| algorithm | query_perf_ml median q | p90 q | r2 | 90% coverage | train ms "
          "| scikit-learn median q | p90 q | r2 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for alg in refs:
        print(f"| {alg} | {med(ours[alg], 'median_q_error'):.3f} | {med(ours[alg], 'p90_q_error'):.2f} "
              f"| {med(ours[alg], 'r2'):.3f} | {statistics.mean(v['coverage'] for v in ours[alg]):.3f} "
              f"| {med(ours[alg], 'train_ms'):.0f} "
              f"| {med(theirs[alg], 'median_q_error'):.3f} | {med(theirs[alg], 'p90_q_error'):.2f} "
              f"| {med(theirs[alg], 'r2'):.3f} |")


if __name__ == "__main__":
    main()
