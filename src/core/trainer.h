/*
 * trainer.h — the whole training pipeline on rows already in memory.
 *
 * Split by queryid hash into train / test; fit the transform on train rows;
 * fit the model; calibrate the interval by grouped cross-validation on the
 * train rows (cross-conformal: out-of-fold residual quantiles); evaluate on
 * the test rows.  Pure computation: no I/O, no PostgreSQL.
 */
#ifndef QPM_TRAINER_H
#define QPM_TRAINER_H

#include <stddef.h>
#include <stdint.h>

#include "dataset.h"
#include "metrics.h"
#include "model.h"

#define QPM_MIN_TRAIN_ROWS 10

typedef struct QpmTrainOptions
{
	QpmAlgorithm algorithm;
	double		test_fraction;	/* [0, 0.9] */
	uint64_t	seed;
	double		lambda;			/* ridge penalty, >= 0 */
	double		interval_level; /* (0, 1) */
	double		clip_lo_pct;
	double		clip_hi_pct;
	int			cv_folds;		/* for interval calibration, >= 2 */
	/* Called between stages; may longjmp (cancel).  NULL = none. */
	void		(*check_interrupts) (void);
} QpmTrainOptions;

void		qpm_train_options_default(QpmTrainOptions *opt);

typedef struct QpmTrainResult
{
	QpmModel	model;
	size_t		n_train;
	size_t		n_test;
	QpmMetrics	test;			/* n == 0 and NANs when no test rows */
} QpmTrainResult;

/* Returns 0, or -1 with err filled (too few rows, solver failure, ...). */
int			qpm_train(const QpmDataset *data, const QpmTrainOptions *opt,
					  const QpmFeatureSet *fs, QpmTrainResult *res,
					  char *err, size_t errlen);

#endif
