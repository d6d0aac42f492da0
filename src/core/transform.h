/*
 * transform.h — feature engineering that is part of a model.
 *
 * Per feature, in this order: impute missing / non-finite values with the
 * training mean; clip to training percentiles; log1p when the clipped
 * training values are non-negative and right-skewed; z-score (when the
 * model asks for it).  Every parameter is fitted on training rows only and
 * serialized with the model, so prediction applies exactly the same steps.
 */
#ifndef QPM_TRANSFORM_H
#define QPM_TRANSFORM_H

#include <stddef.h>
#include <stdint.h>

#include "feature_set.h"

/*
 * Skewness above which a non-negative feature is a candidate for log1p
 * (taken when log1p reduces the absolute skewness).
 */
#define QPM_LOG_SKEW_THRESHOLD 1.0

/*
 * Clip bounds are also kept within +-QPM_FEATURE_LIMIT.  Per-call counters
 * never come near it, but a source can hold absurd values (1e300 blocks):
 * without the bound, cubes in the skewness, variances, ridge's normal
 * equations and XGBoost's float matrix overflow to Inf / NaN.
 */
#define QPM_FEATURE_LIMIT 1e15

typedef struct QpmFeatureTransform
{
	double		impute;			/* training mean of finite values, 0 if none */
	double		clip_lo;
	double		clip_hi;
	uint8_t		log1p;			/* 1: apply log1p after clipping */
	double		center;			/* subtracted after log (0 if not standardized) */
	double		scale;			/* divided by; 1 for constant features */
} QpmFeatureTransform;

typedef struct QpmTransform
{
	int			n_features;
	double		clip_lo_pct;	/* percentiles, e.g. 0.5 and 99.5 */
	double		clip_hi_pct;
	uint8_t		standardize;
	QpmFeatureTransform f[QPM_MAX_FEATURES];
} QpmTransform;

/*
 * Fit on n rows of X (row-major, n x p, NAN = missing).  Rows listed in
 * rows[] (n_rows of them) are used; rows == NULL means all n.
 * Returns 0, or -1 with err filled (e.g. p out of range).
 */
int			qpm_transform_fit(QpmTransform *t, const double *X, int p,
							  const size_t *rows, size_t n_rows,
							  double clip_lo_pct, double clip_hi_pct,
							  int standardize, char *err, size_t errlen);

/* Apply to one raw vector (p values); out may alias in.  Output is finite. */
void		qpm_transform_apply(const QpmTransform *t, const double *in,
								double *out);

/* Percentile (0..100) of sorted values, linear interpolation. */
double		qpm_percentile_sorted(const double *sorted, size_t n, double pct);

#endif
