/*
 * xgb_train.h — fitting trees with XGBoost (xgb_train.c): the tree
 * fitter the core's trainer calls back, and its resource estimates.
 */
#ifndef QPM_XGB_TRAIN_H
#define QPM_XGB_TRAIN_H

#include "postgres.h"

#include "core/forest.h"
#include "core/trainer.h"
#include "options.h"

int			qpm_xgb_fit(const QpmTreeFitInput *in, void *arg, QpmForest **out,
						char *err, size_t errlen);
/* Estimated bytes XGBoost needs for the rows of one fit of n_fit rows. */
double		qpm_xgb_data_bytes(size_t n_fit, int p);
/* Estimated bytes of the trees of such a fit (XGBoost's and ours). */
double		qpm_xgb_tree_bytes(size_t n_fit, int p, QpmAlgorithm alg,
							   const QpmTreeParams *tp);
/* Threads a fit uses (training_threads capped by max_training_threads). */
int			qpm_xgb_threads(void);
/* Progress of a tree fit after each round or chunk (set by training job workers). */
typedef void (*qpm_training_progress_hook_type) (const char *algorithm, int done,
												 int total, double elapsed_ms);
extern qpm_training_progress_hook_type qpm_training_progress_hook;

/* Training settings, defined by qpm_training_init; max_* are superuser-only limits. */
extern int	qpm_training_threads;
extern bool qpm_training_progress;
extern int	qpm_max_training_memory_kb;
extern int	qpm_max_training_threads;
void		qpm_training_init(void);

#endif
