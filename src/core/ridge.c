/*
 * ridge.c — ridge regression from accumulated normal equations.
 *
 * The system is at most 65 x 65, so accumulating X'X costs O(p^2) per row
 * and solving is negligible.  LAPACKE_dgelsd (SVD, divide and conquer)
 * gives the minimum-norm least-squares solution, which is what makes a
 * column that is always 0 (after z-scoring: a constant column) harmless
 * even with lambda = 0.  A column that is exactly 0 on every row carries no
 * information at all; it is left out of the system and gets coefficient 0
 * exactly (with a small lambda the SVD would otherwise return rounding
 * noise there).  The intercept is not penalized.  Only the upper triangle is accumulated; it is mirrored when
 * solving.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <lapacke.h>

#include "ridge.h"

/* Start an empty accumulator for p features (+ intercept). */
void
qpm_ridge_acc_init(QpmRidgeAcc *acc, int p)
{
	memset(acc, 0, sizeof(*acc));
	acc->dim = p + 1;
}

/* Add one transformed row x (p values) with target y. */
void
qpm_ridge_acc_add_row(QpmRidgeAcc *acc, const double *x, double y)
{
	double		z[QPM_RIDGE_MAX_DIM];
	int			d = acc->dim;
	int			i,
				j;

	z[0] = 1.0;
	memcpy(z + 1, x, sizeof(double) * (size_t) (d - 1));
	for (i = 0; i < d; i++)
	{
		double	   *row = acc->xtx + (size_t) i * d;

		for (j = i; j < d; j++)
			row[j] += z[i] * z[j];
		acc->xty[i] += z[i] * y;
	}
	acc->n += 1.0;
}

/* dst = a - b, elementwise; dst may alias a. */
void
qpm_ridge_acc_sub(QpmRidgeAcc *dst, const QpmRidgeAcc *a, const QpmRidgeAcc *b)
{
	int			d = a->dim;
	int			i;

	dst->dim = d;
	dst->n = a->n - b->n;
	for (i = 0; i < d * d; i++)
		dst->xtx[i] = a->xtx[i] - b->xtx[i];
	for (i = 0; i < d; i++)
		dst->xty[i] = a->xty[i] - b->xty[i];
}

/* Solve the penalized normal equations for intercept and slopes. */
int
qpm_ridge_solve(const QpmRidgeAcc *acc, double lambda, double *coef,
				char *err, size_t errlen)
{
	double		a[QPM_RIDGE_MAX_DIM * QPM_RIDGE_MAX_DIM];
	double		b[QPM_RIDGE_MAX_DIM];
	double		s[QPM_RIDGE_MAX_DIM];
	int			keep[QPM_RIDGE_MAX_DIM];
	lapack_int	rank;
	lapack_int	info;
	int			d = acc->dim;
	int			m = 0;
	int			i,
				j;

	if (acc->n < 1)
	{
		snprintf(err, errlen, "no rows to fit");
		return -1;
	}
	for (i = 0; i < d; i++)
		if (i == 0 || acc->xtx[i * d + i] != 0.0)
			keep[m++] = i;
	for (i = 0; i < m; i++)
	{
		for (j = i; j < m; j++)
		{
			int			r = keep[i],
						c = keep[j];

			a[i * m + j] = a[j * m + i] = acc->xtx[r * d + c];
		}
		if (i > 0)
			a[i * m + i] += lambda;
		b[i] = acc->xty[keep[i]];
	}
	info = LAPACKE_dgelsd(LAPACK_ROW_MAJOR, m, m, 1, a, m, b, 1, s, 1e-12, &rank);
	if (info != 0)
	{
		snprintf(err, errlen, "LAPACKE_dgelsd failed with info %d", (int) info);
		return -1;
	}
	for (i = 0; i < d; i++)
		coef[i] = 0.0;
	for (i = 0; i < m; i++)
	{
		if (!isfinite(b[i]))
		{
			snprintf(err, errlen, "ridge solution is not finite");
			return -1;
		}
		coef[keep[i]] = b[i];
	}
	return 0;
}
