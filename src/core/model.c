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
 */
#include <math.h>
#include <string.h>

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
