/*
 * policy.h — the model-selection policy of query_perf_ml, in one place.
 *
 * Three decisions pick or replace a model; each lives in exactly one spot:
 *  - 'auto' (train_model, sql_train.c): of the algorithms trained on the
 *    same rows and split, keep the better one by qpm_policy_better;
 *  - keep-if-better (auto-retraining, training_jobs.c): the retrained
 *    version replaces the active one only if qpm_policy_better says so;
 *  - drift (when the launcher retrains): SQL, the drifted column of
 *    prediction_accuracy() in query_perf_ml--1.1--1.2.sql, because it is a
 *    query over the prediction log and the history (README "Prediction log
 *    and accuracy" states the rule).
 */
#ifndef QPM_POLICY_H
#define QPM_POLICY_H

#include <stdbool.h>

/*
 * Is a model with held-out median q-error candidate_q better than one with
 * incumbent_q?  Lower is better; a candidate without one (NaN: nothing was
 * held out) is never better, and any candidate beats an incumbent without
 * one.  Ties keep the incumbent.
 */
bool		qpm_policy_better(double candidate_q, double incumbent_q);

#endif
