/*
 * metrics.h — accuracy metrics, accumulated one prediction at a time.
 *
 * r2 is on the log scale (what the models fit); MAE and RMSE are in ms;
 * q-error = max(pred/actual, actual/pred).  Quantiles of q-error need the
 * values: up to `cap` are kept, beyond that a seeded reservoir sample, so
 * validating a huge source uses bounded memory.
 */
#ifndef QPM_METRICS_H
#define QPM_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct QpmMetrics
{
	size_t		n;
	double		r2;
	double		mae_ms;
	double		rmse_ms;
	double		median_q_error;
	double		p90_q_error;
	double		interval_coverage;
} QpmMetrics;

typedef struct QpmMetricsAcc
{
	size_t		n;
	/* Welford on log(actual) for SST, plain sum for SSE */
	double		mean_log;
	double		m2_log;
	double		sse_log;
	double		sum_abs_ms;
	double		sum_sq_ms;
	size_t		covered;
	double	   *qerr;
	size_t		qerr_n;
	size_t		qerr_cap;
	uint64_t	rng;
} QpmMetricsAcc;

void		qpm_metrics_init(QpmMetricsAcc *acc, size_t cap, uint64_t seed);
void		qpm_metrics_add(QpmMetricsAcc *acc, double actual_ms, double pred_ms,
							double lower_ms, double upper_ms);
/* Fill out (NAN for metrics undefined at this n); sorts the q-errors. */
void		qpm_metrics_finish(QpmMetricsAcc *acc, QpmMetrics *out);
void		qpm_metrics_free(QpmMetricsAcc *acc);

/* q-error of one prediction (both > 0). */
double		qpm_q_error(double actual, double pred);

#endif
