#!/usr/bin/python3
"""One plain XGBoost fit with a trained model's final parameters: the
baseline column of test/bench/train_time.sh.

Usage: plain_xgb_fit.py CONNINFO SOURCE ALGORITHM N_TREES

Reads the training statements' feature vectors (query_perf_ml.feature_vectors,
the rows train_model does not hold out with its default seed and test
fraction; a missing value replaced by its column's mean, as the model's
transform imputes) and ln(ms), and fits Debian's python3-xgboost (the
libxgboost the extension loads) once, one thread, histogram method, with the parameters
train_model uses by default: gradient_boosting N_TREES rounds of depth 6,
eta 0.1, subsample 0.8; random_forest N_TREES parallel trees of depth 10,
subsample 0.8, colsample_bynode 0.8.  Prints the fit's CPU seconds and
wall seconds (reading the rows is not counted).  Benchmark only: the
product has no Python.
"""
import math
import sys
import time
import warnings

import numpy as np
import psycopg2
import xgboost as xgb


def main():
    conninfo, source, algorithm, n_trees = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    conn = psycopg2.connect(conninfo)
    cur = conn.cursor()
    cur.execute("SELECT features, actual_ms FROM query_perf_ml.feature_vectors(%s::regclass)"
                " WHERE NOT query_perf_ml.is_held_out(queryid)", (source,))
    rows = cur.fetchall()
    conn.close()
    X = np.array([[math.nan if v is None else v for v in f] for f, _ in rows], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a column with no value at all: 0
        X = np.where(np.isnan(X), np.nan_to_num(np.nanmean(X, axis=0)), X)
    y = np.log(np.array([a for _, a in rows], dtype=np.float64))
    params = {"objective": "reg:squarederror", "tree_method": "hist", "nthread": 1, "seed": 42,
              "min_child_weight": 1.0, "lambda": 1.0, "base_score": float(y.mean()), "verbosity": 0}
    if algorithm == "random_forest":
        params.update({"max_depth": 10, "eta": 1.0, "subsample": 0.8, "colsample_bynode": 0.8,
                       "num_parallel_tree": n_trees})
        rounds = 1
    else:
        params.update({"max_depth": 6, "eta": 0.1, "subsample": 0.8})
        rounds = n_trees
    cpu0, wall0 = time.process_time(), time.monotonic()
    d = xgb.DMatrix(X, label=y, nthread=1)
    xgb.train(params, d, num_boost_round=rounds)
    print("%.2f %.2f" % (time.process_time() - cpu0, time.monotonic() - wall0))


if __name__ == "__main__":
    main()
