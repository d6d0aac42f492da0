/*
 * transform.c — fitting and applying the per-feature transform.
 *
 * Fitting makes one pass per feature over the training rows: finite values
 * are copied out and sorted (percentiles need order statistics), then the
 * imputation mean, clip bounds, log decision and scaling are derived.
 * The log decision compares skewness: a non-negative feature whose clipped
 * values are right-skewed (skewness > QPM_LOG_SKEW_THRESHOLD) is logged when
 * log1p makes it more symmetric.  Counters per call (blocks, rows, WAL
 * bytes) span orders of magnitude and become near-symmetric after log1p;
 * ratios and small counts stay as they are.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qpm_util.h"
#include "qpm_alloc.h"
#include "transform.h"

/* Percentile with linear interpolation between closest ranks. */
double
qpm_percentile_sorted(const double *sorted, size_t n, double pct)
{
	double		pos;
	size_t		i;
	double		frac;

	if (n == 0)
		return NAN;
	if (pct <= 0)
		return sorted[0];
	if (pct >= 100)
		return sorted[n - 1];
	pos = pct / 100.0 * (double) (n - 1);
	i = (size_t) pos;
	frac = pos - (double) i;
	if (i + 1 >= n)
		return sorted[n - 1];
	return sorted[i] + frac * (sorted[i + 1] - sorted[i]);
}

/* Clip, then log1p if chosen: the part of the transform before scaling. */
static double
clip_and_log(const QpmFeatureTransform *f, double v)
{
	if (!isfinite(v))
		v = f->impute;
	if (v < f->clip_lo)
		v = f->clip_lo;
	if (v > f->clip_hi)
		v = f->clip_hi;
	if (f->log1p)
		v = log1p(v);
	return v;
}

/* Sample skewness (0 for constant or tiny samples). */
static double
skewness(const double *v, size_t n)
{
	double		mean = 0,
				m2 = 0,
				m3 = 0;
	size_t		i;

	if (n < 3)
		return 0;
	for (i = 0; i < n; i++)
		mean += v[i];
	mean /= (double) n;
	for (i = 0; i < n; i++)
	{
		double		d = v[i] - mean;

		m2 += d * d;
		m3 += d * d * d;
	}
	m2 /= (double) n;
	m3 /= (double) n;
	if (m2 <= 1e-300)
		return 0;
	return m3 / pow(m2, 1.5);
}

/* Fit one feature's transform from its training values. */
static void
fit_feature(QpmFeatureTransform *f, const double *X, int p, int j,
			const size_t *rows, size_t n_rows, double lo_pct, double hi_pct,
			int standardize, double *buf)
{
	size_t		m = 0;
	size_t		i;
	double		sum = 0;

	for (i = 0; i < n_rows; i++)
	{
		double		v = X[(rows ? rows[i] : i) * (size_t) p + j];

		if (isfinite(v))
		{
			buf[m++] = v;
			sum += v;
		}
	}
	f->impute = m > 0 ? sum / (double) m : 0.0;
	if (!isfinite(f->impute))
		f->impute = 0.0;		/* finite values whose sum overflowed */
	f->log1p = 0;
	f->center = 0.0;
	f->scale = 1.0;
	if (m == 0)
	{
		f->clip_lo = f->clip_hi = 0.0;
		return;
	}
	qsort(buf, m, sizeof(double), qpm_cmp_double);
	f->clip_lo = fmax(qpm_percentile_sorted(buf, m, lo_pct), -QPM_FEATURE_LIMIT);
	f->clip_hi = fmin(qpm_percentile_sorted(buf, m, hi_pct), QPM_FEATURE_LIMIT);
	if (f->clip_lo > f->clip_hi)	/* every value beyond one limit */
		f->clip_lo = f->clip_hi = f->clip_lo > 0 ? QPM_FEATURE_LIMIT : -QPM_FEATURE_LIMIT;
	if (f->impute < f->clip_lo || f->impute > f->clip_hi)
		f->impute = qpm_percentile_sorted(buf, m, 50.0);
	f->impute = fmin(fmax(f->impute, f->clip_lo), f->clip_hi);

	/* Clip in place (order is preserved), then decide on the log. */
	for (i = 0; i < m; i++)
		buf[i] = buf[i] < f->clip_lo ? f->clip_lo : (buf[i] > f->clip_hi ? f->clip_hi : buf[i]);
	if (f->clip_lo >= 0)
	{
		double		skew_raw = skewness(buf, m);

		if (skew_raw > QPM_LOG_SKEW_THRESHOLD)
		{
			for (i = 0; i < m; i++)
				buf[i] = log1p(buf[i]);
			if (fabs(skewness(buf, m)) < skew_raw)
				f->log1p = 1;
		}
	}

	if (standardize)
	{
		double		mean = 0,
					m2 = 0;
		size_t		k = 0;

		/* Statistics over all training rows, imputed ones included. */
		for (i = 0; i < n_rows; i++)
		{
			double		v = clip_and_log(f, X[(rows ? rows[i] : i) * (size_t) p + j]);
			double		d = v - mean;

			k++;
			mean += d / (double) k;
			m2 += d * (v - mean);
		}
		f->center = mean;
		if (k > 1 && m2 / (double) (k - 1) > 1e-24 * (1.0 + mean * mean))
			f->scale = sqrt(m2 / (double) (k - 1));
		else
			f->scale = 1.0;		/* constant column: maps to 0 */
	}
}

/* Fit every feature's transform on the given training rows. */
int
qpm_transform_fit(QpmTransform *t, const double *X, int p,
				  const size_t *rows, size_t n_rows,
				  double clip_lo_pct, double clip_hi_pct,
				  int standardize, char *err, size_t errlen)
{
	double	   *buf;
	int			j;

	if (p <= 0 || p > QPM_MAX_FEATURES)
	{
		snprintf(err, errlen, "feature count %d out of range 1..%d", p, QPM_MAX_FEATURES);
		return -1;
	}
	if (!(clip_lo_pct >= 0 && clip_lo_pct < clip_hi_pct && clip_hi_pct <= 100))
	{
		snprintf(err, errlen, "clip percentiles must satisfy 0 <= low < high <= 100");
		return -1;
	}
	memset(t, 0, sizeof(*t));
	t->n_features = p;
	t->clip_lo_pct = clip_lo_pct;
	t->clip_hi_pct = clip_hi_pct;
	t->standardize = standardize ? 1 : 0;
	buf = qpm_alloc(sizeof(double) * (n_rows > 0 ? n_rows : 1));
	for (j = 0; j < p; j++)
		fit_feature(&t->f[j], X, p, j, rows, n_rows, clip_lo_pct, clip_hi_pct,
					standardize, buf);
	qpm_free(buf);
	return 0;
}

/* Transform one raw vector; the output is always finite. */
void
qpm_transform_apply(const QpmTransform *t, const double *in, double *out)
{
	int			j;

	for (j = 0; j < t->n_features; j++)
	{
		const QpmFeatureTransform *f = &t->f[j];

		out[j] = (clip_and_log(f, in[j]) - f->center) / f->scale;
	}
}
