#!/usr/bin/python3
"""Predictability sanity check for test/workload/workload.sql.

Reads pg_stat_statements from a database in which qpm_workload.run() has been
executed and checks that mean execution time is learnable from the resource
counters alone: a GradientBoostingRegressor is fitted on log(mean_exec_time)
from per-call counters, with a random 80/20 split by queryid, and the
held-out q-error (exp|log pred - log actual|) is reported.

This is independent of the query_perf_ml extension (it is a reference point
for what the extension's models should be able to reach).

Usage (Debian's python3 with python3-sklearn and python3-psycopg2):
    /usr/bin/python3 test/bench/workload_sanity.py "host=/tmp port=5432 dbname=wl" \
        [--splits 20] [--seed 0] [--nested-only] [--max-median 2.0]

Exit status 1 if the median q-error of the first split exceeds --max-median
(default: no check), 2 on usage / connection errors.
"""
import argparse
import math
import sys

try:
    import numpy as np
    import psycopg2
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.model_selection import GroupShuffleSplit
except ImportError as exc:  # pragma: no cover
    sys.stderr.write("workload_sanity.py: %s\n(use /usr/bin/python3 with python3-sklearn "
                     "and python3-psycopg2 installed)\n" % exc)
    sys.exit(2)

FEATURES = ["rows/call", "shared_hit/call", "shared_read/call", "temp_read/call",
            "temp_written/call", "wal_bytes/call", "ln(1+calls)"]

QUERY = """
SELECT queryid, calls, mean_exec_time, rows, shared_blks_hit, shared_blks_read,
       temp_blks_read, temp_blks_written, wal_bytes::float8, toplevel, query
FROM pg_stat_statements
WHERE calls > 0 AND mean_exec_time > 0
"""


def load(dsn, nested_only):
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(QUERY + (" AND NOT toplevel" if nested_only else ""))
        rows = cur.fetchall()
    groups, X, y, queries = [], [], [], []
    for (qid, calls, mean_ms, nrows, hit, read, tread, twrite, wal, _top, query) in rows:
        c = float(calls)
        X.append([nrows / c, hit / c, read / c, tread / c, twrite / c, (wal or 0.0) / c,
                  math.log1p(c)])
        y.append(math.log(mean_ms))
        groups.append(qid)
        queries.append(query)
    return np.array(groups), np.array(X, dtype=float), np.array(y), queries


def qerr(pred_log, true_log):
    return np.exp(np.abs(pred_log - true_log))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dsn", help="libpq connection string")
    ap.add_argument("--splits", type=int, default=20, help="number of random 80/20 splits")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--nested-only", action="store_true",
                    help="only statements executed inside run() (toplevel = false)")
    ap.add_argument("--max-median", type=float, default=None,
                    help="fail if the first split's median q-error is above this")
    ap.add_argument("--show-worst", type=int, default=0,
                    help="print the N worst held-out statements of the first split")
    args = ap.parse_args()

    try:
        groups, X, y, queries = load(args.dsn, args.nested_only)
    except psycopg2.Error as exc:
        sys.stderr.write("workload_sanity.py: %s\n" % exc)
        return 2
    n = len(y)
    if n < 20:
        sys.stderr.write("workload_sanity.py: only %d usable pg_stat_statements rows\n" % n)
        return 2

    ms = np.exp(y)
    print("rows: %d (distinct queryids %d)" % (n, len(set(groups.tolist()))))
    print("mean_exec_time ms: min %.4f p10 %.4f p50 %.4f p90 %.3f max %.1f"
          % (ms.min(), *np.percentile(ms, [10, 50, 90]), ms.max()))
    print("rows with temp_blks_written > 0: %d, wal_bytes > 0: %d"
          % (int((X[:, 4] > 0).sum()), int((X[:, 5] > 0).sum())))

    gss = GroupShuffleSplit(n_splits=args.splits, test_size=0.2, random_state=args.seed)
    medians, p90s, base_medians = [], [], []
    first = None
    for k, (tr, te) in enumerate(gss.split(X, y, groups)):
        model = GradientBoostingRegressor(n_estimators=300, max_depth=3, learning_rate=0.05,
                                          subsample=0.8, random_state=args.seed + k)
        model.fit(X[tr], y[tr])
        q = qerr(model.predict(X[te]), y[te])
        base = qerr(np.full(len(te), np.median(y[tr])), y[te])
        medians.append(np.median(q))
        p90s.append(np.percentile(q, 90))
        base_medians.append(np.median(base))
        if first is None:
            first = (te, q, model)

    te, q, model = first
    print("split 1 (train %d / test %d): median q-error %.3f, p90 %.3f, max %.2f"
          % (n - len(te), len(te), np.median(q), np.percentile(q, 90), q.max()))
    print("over %d splits: median q-error mean %.3f (min %.3f, max %.3f); p90 mean %.3f"
          % (len(medians), np.mean(medians), np.min(medians), np.max(medians), np.mean(p90s)))
    print("baseline (predict the training median): median q-error mean %.2f"
          % np.mean(base_medians))
    print("feature importances: " + ", ".join(
        "%s %.2f" % (f, v) for f, v in zip(FEATURES, model.feature_importances_)))
    if args.show_worst:
        pred = model.predict(X[te])
        order = np.argsort(-q)[:args.show_worst]
        for i in order:
            j = te[i]
            print("  q=%.2f actual %.3f ms pred %.3f ms  %s"
                  % (q[i], math.exp(y[j]), math.exp(pred[i]), queries[j][:110].replace("\n", " ")))

    if args.max_median is not None and np.median(q) > args.max_median:
        print("FAIL: median q-error %.3f > %.3f" % (np.median(q), args.max_median))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
