/*
 * model.c — prediction with a trained model.
 *
 * Everything here is on the hot path of predict(): no allocation, the
 * transformed vector lives on the stack.  Tree models get the same
 * transform as linear ones (XGBoost trains on transformed features) and
 * walk their forest; a tree model without a forest predicts NaN, which
 * the clamp turns into the floor rather than a crash.  The log-scale
 * prediction is clamped to a range of plausible times (1 ns .. 1 year) so
 * exp() can never overflow into Inf whatever the inputs.
 *
 * qpm_model_validate, off the hot path, holds the value rules a model must
 * meet before it is used: the blob reader (serialize.c) and import_model
 * (model_document.c) apply the same ones, so neither path can let in a model
 * the other would refuse.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "qpm_util.h"
#include "model.h"

#define QPM_LOG_MS_MIN (-13.8)	/* ~1e-6 ms */
#define QPM_LOG_MS_MAX (24.2)	/* ~3e10 ms, about a year */

static const struct
{
	QpmAlgorithm alg;
	const char *name;
}			algorithm_names[] =
{
	{QPM_ALG_LINEAR, "linear"},
	{QPM_ALG_GRADIENT_BOOSTING, "gradient_boosting"},
	{QPM_ALG_RANDOM_FOREST, "random_forest"},
};

/* Name of an algorithm, NULL if unknown. */
const char *
qpm_algorithm_name(QpmAlgorithm alg)
{
	size_t		i;

	for (i = 0; i < sizeof(algorithm_names) / sizeof(algorithm_names[0]); i++)
		if (algorithm_names[i].alg == alg)
			return algorithm_names[i].name;
	return NULL;
}

/* Algorithm of a name, 0 if unknown. */
QpmAlgorithm
qpm_algorithm_from_name(const char *name)
{
	size_t		i;

	for (i = 0; i < sizeof(algorithm_names) / sizeof(algorithm_names[0]); i++)
		if (strcmp(algorithm_names[i].name, name) == 0)
			return algorithm_names[i].alg;
	return (QpmAlgorithm) 0;
}

/* Keep a log-ms value inside the plausible range. */
static double
clamp_log_ms(double v)
{
	if (!(v >= QPM_LOG_MS_MIN))	/* also catches NaN */
		return QPM_LOG_MS_MIN;
	if (v > QPM_LOG_MS_MAX)
		return QPM_LOG_MS_MAX;
	return v;
}

/* Log-scale prediction from a transformed vector. */
double
qpm_model_predict_transformed(const QpmModel *m, const double *xt)
{
	double		v = 0;
	int			j;

	switch (m->algorithm)
	{
		case QPM_ALG_LINEAR:
			v = m->linear.intercept;
			for (j = 0; j < m->transform.n_features; j++)
				v += m->linear.coef[j] * xt[j];
			break;
		case QPM_ALG_GRADIENT_BOOSTING:
		case QPM_ALG_RANDOM_FOREST:
			v = m->forest ? (double) qpm_forest_predict(m->forest, xt) : NAN;
			break;
		default:
			v = NAN;
			break;
	}
	return clamp_log_ms(v);
}

/* Log-scale prediction from a raw feature vector. */
double
qpm_model_predict_log(const QpmModel *m, const double *raw)
{
	double		xt[QPM_MAX_FEATURES];

	qpm_transform_apply(&m->transform, raw, xt);
	return qpm_model_predict_transformed(m, xt);
}

/* Milliseconds and interval bounds from a raw feature vector. */
void
qpm_model_predict(const QpmModel *m, const double *raw, QpmPrediction *out)
{
	double		lp = qpm_model_predict_log(m, raw);

	out->predicted_ms = exp(lp);
	out->lower_ms = exp(clamp_log_ms(lp + m->interval.resid_lo));
	out->upper_ms = exp(clamp_log_ms(lp + m->interval.resid_hi));
}

/* The forest is the only allocation a model owns. */
void
qpm_model_release(QpmModel *m)
{
	if (m == NULL)
		return;
	qpm_forest_free(m->forest);
	m->forest = NULL;
}

/* ---- validation (shared by the blob reader and import) ---- */

/* Range checks on the interval; 0 or -1 with err filled. */
static int
check_interval(const QpmInterval *iv, char *err, size_t errlen)
{
	/* written as negations so NaN fails every test */
	if (!(iv->level > 0.0 && iv->level < 1.0))
	{
		qpm_set_error(err, errlen, "interval level %g not in (0, 1)", iv->level);
		return -1;
	}
	if (!isfinite(iv->resid_lo) || !isfinite(iv->resid_hi) ||
		!(iv->resid_lo <= 0.0 && iv->resid_hi >= 0.0))
	{
		qpm_set_error(err, errlen,
				  "interval residuals lo %g, hi %g: need finite lo <= 0 <= hi",
				  iv->resid_lo, iv->resid_hi);
		return -1;
	}
	return 0;
}

/* Range checks on the transform; 0 or -1 with err filled. */
static int
check_transform(const QpmTransform *t, char *err, size_t errlen)
{
	int			j;

	if (!(t->clip_lo_pct >= 0.0 && t->clip_lo_pct < t->clip_hi_pct &&
		  t->clip_hi_pct <= 100.0))
	{
		qpm_set_error(err, errlen,
				  "clip percentiles lo %g, hi %g: need 0 <= lo < hi <= 100",
				  t->clip_lo_pct, t->clip_hi_pct);
		return -1;
	}
	if (t->standardize > 1)
	{
		qpm_set_error(err, errlen, "standardize flag %u is not 0 or 1",
				  (unsigned) t->standardize);
		return -1;
	}
	for (j = 0; j < t->n_features; j++)
	{
		const QpmFeatureTransform *f = &t->f[j];

		if (!isfinite(f->impute))
		{
			qpm_set_error(err, errlen, "feature %d: impute %g is not finite",
					  j, f->impute);
			return -1;
		}
		if (!isfinite(f->clip_lo) || !isfinite(f->clip_hi) ||
			!(f->clip_lo <= f->clip_hi))
		{
			qpm_set_error(err, errlen,
					  "feature %d: clip range [%g, %g] is not finite and ordered",
					  j, f->clip_lo, f->clip_hi);
			return -1;
		}
		if (f->log1p > 1)
		{
			qpm_set_error(err, errlen, "feature %d: log1p flag %u is not 0 or 1",
					  j, (unsigned) f->log1p);
			return -1;
		}
		if (!isfinite(f->center))
		{
			qpm_set_error(err, errlen, "feature %d: center %g is not finite",
					  j, f->center);
			return -1;
		}
		if (!isfinite(f->scale) || !(f->scale > 0.0))
		{
			qpm_set_error(err, errlen,
					  "feature %d: scale %g is not finite and positive",
					  j, f->scale);
			return -1;
		}
	}
	return 0;
}

/* Range checks on the linear model's parameters; 0 or -1 with err filled. */
static int
check_linear(const QpmLinear *lin, int n, char *err, size_t errlen)
{
	int			j;

	if (!isfinite(lin->intercept))
	{
		qpm_set_error(err, errlen, "intercept %g is not finite", lin->intercept);
		return -1;
	}
	for (j = 0; j < n; j++)
	{
		if (!isfinite(lin->coef[j]))
		{
			qpm_set_error(err, errlen, "coefficient %d is %g, not finite",
					  j, lin->coef[j]);
			return -1;
		}
	}
	return 0;
}

/* Shape first (what the value checks index by), then the values. */
int
qpm_model_validate(const QpmModel *m, char *err, size_t errlen)
{
	int			n;

	if (m == NULL || m->feature_set == NULL)
	{
		qpm_set_error(err, errlen, "model has no feature set");
		return -1;
	}
	n = m->transform.n_features;
	if (n < 0 || n > QPM_MAX_FEATURES || n != m->feature_set->n_features)
	{
		qpm_set_error(err, errlen,
				  "transform has %d features, feature set %s has %d",
				  n, m->feature_set->name, m->feature_set->n_features);
		return -1;
	}
	if (check_interval(&m->interval, err, errlen) != 0 ||
		check_transform(&m->transform, err, errlen) != 0)
		return -1;
	switch (m->algorithm)
	{
		case QPM_ALG_LINEAR:
			return check_linear(&m->linear, n, err, errlen);
		case QPM_ALG_GRADIENT_BOOSTING:
		case QPM_ALG_RANDOM_FOREST:
			if (m->forest == NULL || m->forest->n_features != n)
			{
				qpm_set_error(err, errlen, "tree model without a forest of %d features", n);
				return -1;
			}
			return 0;
		default:
			qpm_set_error(err, errlen, "unsupported algorithm %d", (int) m->algorithm);
			return -1;
	}
}
