/*
 * model.h — a trained model: feature set, transform, predictor, interval.
 *
 * Models predict ln(ms) internally; qpm_model_predict turns that into
 * milliseconds with a prediction interval.  A linear model is
 * self-contained (no pointers); a tree model points at its forest,
 * allocated by whoever built or deserialized it (qpm_alloc, so in the
 * server the current memory context), and lives as long as its owner
 * keeps it: a copy of the struct shares the forest and is valid no longer.
 * In the server the owner of a stored model is the backend's model cache,
 * whose banner (src/model_cache.c) says how long a model it returns lives.
 */
#ifndef QPM_MODEL_H
#define QPM_MODEL_H

#include <stdint.h>

#include "feature_set.h"
#include "forest.h"
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
	QpmLinear	linear;			/* QPM_ALG_LINEAR only */
	QpmForest  *forest;			/* tree algorithms only; NULL for linear */
} QpmModel;

typedef struct QpmPrediction
{
	double		predicted_ms;
	double		lower_ms;
	double		upper_ms;
} QpmPrediction;

/*
 * Check a model's values before it is used or stored: a known algorithm, a
 * feature set and a transform of its width, interval level in (0, 1) and
 * finite offsets lo <= 0 <= hi, clip percentiles 0 <= lo < hi <= 100, every
 * feature's parameters finite with clip_lo <= clip_hi, flags 0 or 1 and
 * scale > 0, finite linear coefficients, and for a tree model a forest of
 * the same width (whose nodes qpm_forest_validate checks; this does not walk
 * them).  Returns 0, or -1 with err filled (short, lower-case).  The blob
 * reader and import_model both apply it.
 */
int			qpm_model_validate(const QpmModel *m, char *err, size_t errlen);

/* Prediction on the log scale from an already transformed vector. */
double		qpm_model_predict_transformed(const QpmModel *m, const double *xt);

/* Prediction on the log scale from a raw feature vector. */
double		qpm_model_predict_log(const QpmModel *m, const double *raw);

/* Milliseconds with interval from a raw feature vector. */
void		qpm_model_predict(const QpmModel *m, const double *raw,
							  QpmPrediction *out);

/*
 * Free what the model owns (its forest) and clear the pointer; for
 * standalone code, the server leaves this to the memory context.
 */
void		qpm_model_release(QpmModel *m);

#endif
