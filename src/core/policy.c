/*
 * policy.c — which of two models is better (policy.h states where every
 * selection rule of the extension lives).  The held-out median q-error is
 * the measure: it is what users read in train_model's result and what
 * prediction_accuracy() compares with, and, unlike r2, it is defined on the
 * scale the error is felt on (a factor, whatever the statement's time).
 */
#include <math.h>

#include "policy.h"

bool
qpm_policy_better(double candidate_q, double incumbent_q)
{
	return !isnan(candidate_q) && (isnan(incumbent_q) || candidate_q < incumbent_q);
}
