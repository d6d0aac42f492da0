/*
 * trainer.h — the whole training pipeline on rows already in memory.
 *
 * Split by queryid hash into train / test; fit the transform on train rows;
 * fit the model; calibrate the interval; evaluate on the test rows.
 *
 * Linear: interval by grouped cross-validation on the train rows
 * (cross-conformal: out-of-fold residual quantiles), model on all of them.
 * Trees: the same cross-conformal calibration, with one tree fit per fold;
 * for boosting the same folds also choose the number of rounds (the one
 * with the lowest pooled out-of-fold error), and the final trees are
 * fitted on all train rows with that many rounds.  From
 * split_conformal_rows training rows on, one fold of statements is held
 * out instead: the trees are fitted once on the others (boosting stops on
 * the held-out fold) and the held-out statements calibrate the interval.
 * The trees themselves are fitted by a callback (XGBoost in the server,
 * anything in tests), so this file stays pure computation: no I/O, no
 * PostgreSQL, no XGBoost.
 */
#ifndef QPM_TRAINER_H
#define QPM_TRAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataset.h"
#include "forest.h"
#include "metrics.h"
#include "model.h"

#define QPM_MIN_TRAIN_ROWS 10

/*
 * Tree models switch from cross-conformal to split-conformal calibration
 * at this many training rows (trainer.c explains the switch), provided the
 * training rows hold at least QPM_SPLIT_MIN_STATEMENTS statements.
 */
#define QPM_SPLIT_CONFORMAL_ROWS 100000
#define QPM_SPLIT_MIN_STATEMENTS 2000

/* What a tree fitter gets: transformed rows to fit on and to stop early with. */
typedef struct QpmTreeFitInput
{
	int			p;
	const double *X_fit;		/* n_fit x p, transformed */
	const double *y_fit;		/* ln(ms) */
	size_t		n_fit;
	/*
	 * Rows to stop early on, or NULL: boosting stops once their error has
	 * not improved for its patience, and the forest returned holds every
	 * round trained, not only the best ones (the trainer picks the count).
	 */
	const double *X_valid;		/* n_valid x p, transformed */
	const double *y_valid;
	size_t		n_valid;
	int			max_trees;		/* > 0: at most this many boosting rounds */
} QpmTreeFitInput;

/* Fits trees; returns 0 and *out, or -1 with err filled.  May longjmp. */
typedef int (*QpmTreeFitFn) (const QpmTreeFitInput *in, void *arg,
							 QpmForest **out, char *err, size_t errlen);

typedef struct QpmTrainOptions
{
	QpmAlgorithm algorithm;
	double		test_fraction;	/* [0, 0.9] */
	uint64_t	seed;
	double		lambda;			/* ridge penalty, >= 0 */
	double		interval_level; /* (0, 1) */
	double		clip_lo_pct;
	double		clip_hi_pct;
	int			cv_folds;		/* interval calibration, 2..20 */
	/* trees: split-conformal from this many training rows on (0: never) */
	size_t		split_conformal_rows;
	/* boosting: choose the number of rounds by cross-validation (early stopping) */
	int			select_rounds;
	QpmTreeFitFn fit_trees;		/* required for tree algorithms */
	void	   *fit_trees_arg;
	/* Called between stages; may longjmp (cancel).  NULL = none. */
	void		(*check_interrupts) (void);
} QpmTrainOptions;

void		qpm_train_options_default(QpmTrainOptions *opt);

typedef struct QpmTrainResult
{
	QpmModel	model;
	size_t		n_train;
	size_t		n_test;
	bool		split_conformal;	/* trees calibrated on one held-out fold */
	QpmMetrics	test;			/* n == 0 and NANs when no test rows */
} QpmTrainResult;

/* Returns 0, or -1 with err filled (too few rows, solver failure, ...). */
int			qpm_train(const QpmDataset *data, const QpmTrainOptions *opt,
					  const QpmFeatureSet *fs, QpmTrainResult *res,
					  char *err, size_t errlen);

#endif
