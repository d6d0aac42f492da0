/*
 * metrics.c — streaming accuracy metrics.
 *
 * Sums and a Welford variance cover r2, MAE, RMSE and coverage in O(1)
 * memory; q-error quantiles keep the values, up to cap of them (then a
 * seeded reservoir sample), so memory stays bounded on any source.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qpm_util.h"
#include "metrics.h"
#include "qpm_alloc.h"
#include "split.h"
#include "transform.h"

/* q-error: the factor by which the prediction is off, >= 1. */
double
qpm_q_error(double actual, double pred)
{
	return actual > pred ? actual / pred : pred / actual;
}

/* Start an empty accumulator keeping at most cap q-errors. */
void
qpm_metrics_init(QpmMetricsAcc *acc, size_t cap, uint64_t seed)
{
	memset(acc, 0, sizeof(*acc));
	acc->qerr_cap = cap > 0 ? cap : 1;
	acc->rng = seed ^ UINT64_C(0x2545f4914f6cdd1d);
}

/* Account one prediction (all values in ms, actual and pred > 0). */
void
qpm_metrics_add(QpmMetricsAcc *acc, double actual_ms, double pred_ms,
				double lower_ms, double upper_ms)
{
	double		la = log(actual_ms);
	double		lp = log(pred_ms);
	double		d = la - acc->mean_log;
	double		e = actual_ms - pred_ms;
	double		q = qpm_q_error(actual_ms, pred_ms);

	acc->n++;
	acc->mean_log += d / (double) acc->n;
	acc->m2_log += d * (la - acc->mean_log);
	acc->sse_log += (la - lp) * (la - lp);
	acc->sum_abs_ms += fabs(e);
	acc->sum_sq_ms += e * e;
	if (actual_ms >= lower_ms && actual_ms <= upper_ms)
		acc->covered++;

	if (acc->qerr_n < acc->qerr_cap)
	{
		if (acc->qerr_n % 4096 == 0)
		{
			size_t		want = acc->qerr_n + 4096;

			if (want > acc->qerr_cap)
				want = acc->qerr_cap;
			acc->qerr = qpm_realloc(acc->qerr, want * sizeof(double));
		}
		acc->qerr[acc->qerr_n++] = q;
	}
	else
	{
		uint64_t	j = qpm_rand_next(&acc->rng) % acc->n;

		if (j < acc->qerr_cap)
			acc->qerr[j] = q;
	}
}

/* Final metrics; NAN where undefined (no rows, or r2 with no variance). */
void
qpm_metrics_finish(QpmMetricsAcc *acc, QpmMetrics *out)
{
	out->n = acc->n;
	if (acc->n == 0)
	{
		out->r2 = out->mae_ms = out->rmse_ms = NAN;
		out->median_q_error = out->p90_q_error = out->interval_coverage = NAN;
		return;
	}
	out->r2 = acc->n > 1 && acc->m2_log > 0 ? 1.0 - acc->sse_log / acc->m2_log : NAN;
	out->mae_ms = acc->sum_abs_ms / (double) acc->n;
	out->rmse_ms = sqrt(acc->sum_sq_ms / (double) acc->n);
	out->interval_coverage = (double) acc->covered / (double) acc->n;
	qsort(acc->qerr, acc->qerr_n, sizeof(double), qpm_cmp_double);
	out->median_q_error = qpm_percentile_sorted(acc->qerr, acc->qerr_n, 50.0);
	out->p90_q_error = qpm_percentile_sorted(acc->qerr, acc->qerr_n, 90.0);
}

/* Release the kept q-errors. */
void
qpm_metrics_free(QpmMetricsAcc *acc)
{
	qpm_free(acc->qerr);
	acc->qerr = NULL;
	acc->qerr_n = 0;
}
