/*
 * model.h — a trained model: feature set, transform, predictor, interval.
 *
 * Models predict ln(ms) internally; qpm_model_predict turns that into
 * milliseconds with a prediction interval.  The struct is self-contained
 * (no pointers for the linear model) so the cache can hold it as is.
 */
#ifndef QPM_MODEL_H
#define QPM_MODEL_H

#include <stdint.h>

#include "feature_set.h"
#include "transform.h"

typedef enum QpmAlgorithm
{
	QPM_ALG_LINEAR = 1,
	QPM_ALG_GRADIENT_BOOSTING = 2,
	QPM_ALG_RANDOM_FOREST = 3
} QpmAlgorithm;

/* Algorithm name <-> id; NULL / 0 when unknown. */
const char *qpm_algorithm_name(QpmAlgorithm alg);
QpmAlgorithm qpm_algorithm_from_name(const char *name);

typedef struct QpmLinear
{
	double		intercept;
	double		coef[QPM_MAX_FEATURES];
} QpmLinear;

/*
 * Interval calibration: on the log scale, the actual value lies in
 * [pred + resid_lo, pred + resid_hi] with probability ~level.
 */
typedef struct QpmInterval
{
	double		level;
	double		resid_lo;		/* <= 0 */
	double		resid_hi;		/* >= 0 */
} QpmInterval;

typedef struct QpmModel
{
	QpmAlgorithm algorithm;
	const QpmFeatureSet *feature_set;
	QpmTransform transform;
	QpmInterval interval;
	QpmLinear	linear;
} QpmModel;

typedef struct QpmPrediction
{
	double		predicted_ms;
	double		lower_ms;
	double		upper_ms;
} QpmPrediction;

/* Prediction on the log scale from an already transformed vector. */
double		qpm_model_predict_transformed(const QpmModel *m, const double *xt);

/* Prediction on the log scale from a raw feature vector. */
double		qpm_model_predict_log(const QpmModel *m, const double *raw);

/* Milliseconds with interval from a raw feature vector. */
void		qpm_model_predict(const QpmModel *m, const double *raw,
							  QpmPrediction *out);

#endif
