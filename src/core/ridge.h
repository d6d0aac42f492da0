/*
 * ridge.h — ridge regression by streaming normal equations, solved with
 * LAPACKE.
 *
 * Accumulate X'X and X'y one row at a time (so cross-validation folds are
 * accumulators that can be added and subtracted), then solve
 * (X'X + lambda * D) b = X'y with D = identity except the intercept, using
 * an SVD-based least-squares solver so rank-deficient systems (an always-0
 * column) give the minimum-norm solution instead of failing.
 */
#ifndef QPM_RIDGE_H
#define QPM_RIDGE_H

#include <stddef.h>

#include "feature_set.h"

#define QPM_RIDGE_MAX_DIM (QPM_MAX_FEATURES + 1)

typedef struct QpmRidgeAcc
{
	int			dim;			/* p + 1 (intercept first) */
	double		n;
	double		xtx[QPM_RIDGE_MAX_DIM * QPM_RIDGE_MAX_DIM];
	double		xty[QPM_RIDGE_MAX_DIM];
} QpmRidgeAcc;

void		qpm_ridge_acc_init(QpmRidgeAcc *acc, int p);
void		qpm_ridge_acc_add_row(QpmRidgeAcc *acc, const double *x, double y);
/* dst = a - b (for leave-one-fold-out systems). */
void		qpm_ridge_acc_sub(QpmRidgeAcc *dst, const QpmRidgeAcc *a,
							  const QpmRidgeAcc *b);

/*
 * Solve for coef[0] = intercept, coef[1..p] = slopes.  Returns 0, or -1
 * with err filled when LAPACK reports failure.
 */
int			qpm_ridge_solve(const QpmRidgeAcc *acc, double lambda, double *coef,
							char *err, size_t errlen);

#endif
