#!/usr/bin/python3
"""Accuracy of query_perf_ml's three algorithms against scikit-learn
reference fits on the same feature vectors and the same held-out statements,
per feature set.

Usage: accuracy.py CONNINFO --sources SOURCE [SOURCE ...] [--seeds SEED ...]
                   [--feature-sets SET ...] [--options JSON]
       accuracy.py CONNINFO SOURCE [SEED ...]          (1.1's form: pgss/1)

For each source, feature set and seed: query_perf_ml.train_model() is run
for linear, random_forest and gradient_boosting with options
{"seed": S, "feature_set": SET} (held-out metrics come from the extension);
the same rows (query_perf_ml.feature_vectors(source, SET)) and the same
split (query_perf_ml.is_held_out) are given to scikit-learn's Ridge,
RandomForestRegressor and HistGradientBoostingRegressor, fitted on log(ms)
with mean imputation.  Prints per-algorithm medians over seeds (coverage:
mean), and, when pgss/1 and pgss/2 are both measured, the issue 13 target
per source: pgss/2 gradient boosting's median q-error at least 0.05 below
the best pgss/1 scikit-learn model's, its p90 not above that model's, and
its 90% coverage within 0.87-0.93.
The product has no Python: this is a benchmark only (Debian python3-sklearn).
"""
import argparse
import json
import statistics
import sys

import numpy as np
import psycopg2
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

REFS = {
    "linear": lambda s: make_pipeline(SimpleImputer(), StandardScaler(), Ridge(alpha=1.0)),
    "random_forest": lambda s: make_pipeline(SimpleImputer(), RandomForestRegressor(
        n_estimators=100, max_features=0.8, random_state=s, n_jobs=1)),
    "gradient_boosting": lambda s: HistGradientBoostingRegressor(random_state=s),
}


def metrics(actual, pred):
    la, lp = np.log(actual), np.log(pred)
    q = np.exp(np.abs(la - lp))
    ss_res = float(np.sum((la - lp) ** 2))
    ss_tot = float(np.sum((la - la.mean()) ** 2))
    return {"median_q_error": float(np.median(q)), "p90_q_error": float(np.percentile(q, 90)),
            "r2": 1 - ss_res / ss_tot if ss_tot > 0 else float("nan")}


def measure(cur, source, fset, seeds, extra):
    """Ours and theirs per algorithm: lists of per-seed metrics."""
    cur.execute("SELECT queryid, features, actual_ms FROM query_perf_ml.feature_vectors(%s::regclass, %s) "
                "WHERE actual_ms IS NOT NULL", (source, fset))
    rows = cur.fetchall()
    qid = np.array([r[0] for r in rows])
    X = np.array([[np.nan if v is None else v for v in r[1]] for r in rows], dtype=float)
    y = np.array([r[2] for r in rows], dtype=float)
    ours = {a: [] for a in REFS}
    theirs = {a: [] for a in REFS}
    for seed in seeds:
        cur.execute("SELECT queryid, query_perf_ml.is_held_out(queryid, %s, 0.2) FROM "
                    "(SELECT DISTINCT queryid FROM query_perf_ml.feature_vectors(%s::regclass)) q",
                    (seed, source))
        held = dict(cur.fetchall())
        test = np.array([held[q] for q in qid])
        for alg, make in REFS.items():
            opts = dict(extra.get(alg, {}), seed=seed, activate=False, feature_set=fset)
            cur.execute("SELECT median_q_error, p90_q_error, r2, interval_coverage, train_ms "
                        "FROM query_perf_ml.train_model(%s, %s, %s::regclass, %s)",
                        ("bench_" + alg, alg, source, json.dumps(opts)))
            mq, p90, r2, cov, ms = cur.fetchone()
            ours[alg].append({"median_q_error": mq, "p90_q_error": p90, "r2": r2,
                              "coverage": cov, "train_ms": ms})
            model = make(seed)
            model.fit(X[~test], np.log(y[~test]))
            theirs[alg].append(metrics(y[test], np.exp(model.predict(X[test]))))
    return len(rows), len(set(qid)), ours, theirs


def med(vals, k):
    return statistics.median(v[k] for v in vals)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("conninfo")
    ap.add_argument("legacy", nargs="*", help="1.1's form: SOURCE [SEED ...]")
    ap.add_argument("--sources", nargs="+")
    ap.add_argument("--seeds", nargs="+", type=int)
    ap.add_argument("--feature-sets", nargs="+", default=["pgss/1"])
    ap.add_argument("--options", default="{}",
                    help='more training options per algorithm, e.g. {"gradient_boosting": {"max_depth": 4}}')
    args = ap.parse_args()
    sources = args.sources or args.legacy[:1]
    seeds = args.seeds or [int(s) for s in args.legacy[1:]] or [42]
    if not sources:
        ap.error("no source")

    conn = psycopg2.connect(args.conninfo)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET query_perf_ml.training_progress = off")
    cur.execute("SET client_min_messages = warning")

    print(f"seeds {seeds}; medians over seeds, coverage the mean")
    print("| source | statements | set | algorithm | query_perf_ml median q | p90 q | r2 | 90% coverage "
          "| train ms | scikit-learn median q | p90 q | r2 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    results = {}
    for source in sources:
        for fset in args.feature_sets:
            n_rows, n_stmt, ours, theirs = measure(cur, source, fset, seeds, json.loads(args.options))
            results[(source, fset)] = (ours, theirs)
            for alg in REFS:
                print(f"| {source} | {n_stmt} | {fset} | {alg} "
                      f"| {med(ours[alg], 'median_q_error'):.3f} | {med(ours[alg], 'p90_q_error'):.2f} "
                      f"| {med(ours[alg], 'r2'):.3f} | {statistics.mean(v['coverage'] for v in ours[alg]):.3f} "
                      f"| {med(ours[alg], 'train_ms'):.0f} "
                      f"| {med(theirs[alg], 'median_q_error'):.3f} | {med(theirs[alg], 'p90_q_error'):.2f} "
                      f"| {med(theirs[alg], 'r2'):.3f} |", flush=True)
    cur.execute("SELECT query_perf_ml.drop_model(name) FROM (SELECT DISTINCT name FROM "
                "query_perf_ml.models WHERE name LIKE 'bench\\_%%') n")

    if "pgss/1" in args.feature_sets and "pgss/2" in args.feature_sets:
        print()
        print("| source | pgss/2 gradient_boosting median q | p90 q | 90% coverage | best pgss/1 reference "
              "| its median q | its p90 q | median gain | target met |")
        print("|---|---|---|---|---|---|---|---|---|")
        all_met = True
        for source in sources:
            ours2, _ = results[(source, "pgss/2")]
            _, theirs1 = results[(source, "pgss/1")]
            gbm = ours2["gradient_boosting"]
            m2, p2 = med(gbm, "median_q_error"), med(gbm, "p90_q_error")
            cov = statistics.mean(v["coverage"] for v in gbm)
            best = min(REFS, key=lambda a: med(theirs1[a], "median_q_error"))
            m1, p1 = med(theirs1[best], "median_q_error"), med(theirs1[best], "p90_q_error")
            met = m2 <= m1 - 0.05 and p2 <= p1 and 0.87 <= cov <= 0.93
            all_met = all_met and met
            print(f"| {source} | {m2:.3f} | {p2:.2f} | {cov:.3f} | {best} | {m1:.3f} | {p1:.2f} "
                  f"| {m1 - m2:+.3f} | {'yes' if met else 'no'} |")
        print(f"target met on every source: {'yes' if all_met else 'no'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
