/*
 * test_ridge.c — ridge regression against closed-form solutions.
 */
#include <stdlib.h>

#include "ridge.h"
#include "split.h"
#include "unit.h"

/* Gaussian elimination with partial pivoting: an independent solver. */
static void
solve_dense(int d, double *a, double *b)
{
	int			i,
				j,
				k;

	for (k = 0; k < d; k++)
	{
		int			piv = k;

		for (i = k + 1; i < d; i++)
			if (fabs(a[i * d + k]) > fabs(a[piv * d + k]))
				piv = i;
		for (j = 0; j < d; j++)
		{
			double		t = a[k * d + j];

			a[k * d + j] = a[piv * d + j];
			a[piv * d + j] = t;
		}
		{
			double		t = b[k];

			b[k] = b[piv];
			b[piv] = t;
		}
		for (i = k + 1; i < d; i++)
		{
			double		f = a[i * d + k] / a[k * d + k];

			for (j = k; j < d; j++)
				a[i * d + j] -= f * a[k * d + j];
			b[i] -= f * b[k];
		}
	}
	for (i = d - 1; i >= 0; i--)
	{
		for (j = i + 1; j < d; j++)
			b[i] -= a[i * d + j] * b[j];
		b[i] /= a[i * d + i];
	}
}

static double
unit_rand(uint64_t *s)
{
	return (double) (qpm_rand_next(s) >> 11) / 9007199254740992.0;
}

/* Noise-free data: lambda = 0 recovers the generating coefficients. */
static void
test_exact_recovery(void)
{
	QpmRidgeAcc acc;
	double		coef[4];
	char		err[128];
	uint64_t	s = 1;
	int			i;

	qpm_ridge_acc_init(&acc, 3);
	for (i = 0; i < 200; i++)
	{
		double		x[3] = {unit_rand(&s), unit_rand(&s) * 10, unit_rand(&s) - 0.5};

		qpm_ridge_acc_add_row(&acc, x, 1.5 + 2 * x[0] - 0.25 * x[1] + 4 * x[2]);
	}
	CHECK(qpm_ridge_solve(&acc, 0.0, coef, err, sizeof(err)) == 0);
	CHECK_NEAR(coef[0], 1.5, 1e-9);
	CHECK_NEAR(coef[1], 2.0, 1e-9);
	CHECK_NEAR(coef[2], -0.25, 1e-9);
	CHECK_NEAR(coef[3], 4.0, 1e-9);
}

/* With a penalty: compare with (X'X + lambda*D)^-1 X'y solved directly. */
static void
test_penalized_closed_form(void)
{
	QpmRidgeAcc acc;
	double		coef[3];
	double		a[9] = {0},
				b[3] = {0};
	char		err[128];
	uint64_t	s = 7;
	int			i,
				j,
				k;

	qpm_ridge_acc_init(&acc, 2);
	for (i = 0; i < 50; i++)
	{
		double		x[2] = {unit_rand(&s), unit_rand(&s)};
		double		z[3] = {1, x[0], x[1]};
		double		y = 0.3 + x[0] - x[1] + (unit_rand(&s) - 0.5);

		qpm_ridge_acc_add_row(&acc, x, y);
		for (j = 0; j < 3; j++)
		{
			for (k = 0; k < 3; k++)
				a[j * 3 + k] += z[j] * z[k];
			b[j] += z[j] * y;
		}
	}
	a[4] += 2.5;
	a[8] += 2.5;
	solve_dense(3, a, b);
	CHECK(qpm_ridge_solve(&acc, 2.5, coef, err, sizeof(err)) == 0);
	for (j = 0; j < 3; j++)
		CHECK_NEAR(coef[j], b[j], 1e-10);
}

/* An all-zero column and a duplicated column must not break the solve. */
static void
test_rank_deficient(void)
{
	QpmRidgeAcc acc;
	double		coef[5];
	char		err[128];
	uint64_t	s = 3;
	int			i;

	qpm_ridge_acc_init(&acc, 4);
	for (i = 0; i < 100; i++)
	{
		double		u = unit_rand(&s),
					v = unit_rand(&s);
		double		x[4] = {u, 0.0, v, v};

		qpm_ridge_acc_add_row(&acc, x, 1 + u + 2 * v);
	}
	CHECK(qpm_ridge_solve(&acc, 0.0, coef, err, sizeof(err)) == 0);
	CHECK_NEAR(coef[0], 1.0, 1e-8);
	CHECK_NEAR(coef[1], 1.0, 1e-8);
	CHECK(coef[2] == 0.0);
	/* minimum norm splits the duplicated weight evenly */
	CHECK_NEAR(coef[3], 1.0, 1e-8);
	CHECK_NEAR(coef[4], 1.0, 1e-8);
	CHECK(qpm_ridge_solve(&acc, 1.0, coef, err, sizeof(err)) == 0);
	CHECK(coef[2] == 0.0);
}

/* Subtracting a fold's accumulator equals accumulating the rest. */
static void
test_fold_subtraction(void)
{
	QpmRidgeAcc all,
				part,
				rest,
				direct;
	double		c1[3],
				c2[3];
	char		err[128];
	uint64_t	s = 11;
	int			i;

	qpm_ridge_acc_init(&all, 2);
	qpm_ridge_acc_init(&part, 2);
	qpm_ridge_acc_init(&direct, 2);
	for (i = 0; i < 60; i++)
	{
		double		x[2] = {unit_rand(&s), unit_rand(&s)};
		double		y = x[0] * 3 + unit_rand(&s);

		qpm_ridge_acc_add_row(&all, x, y);
		qpm_ridge_acc_add_row(i % 3 == 0 ? &part : &direct, x, y);
	}
	qpm_ridge_acc_sub(&rest, &all, &part);
	CHECK(qpm_ridge_solve(&rest, 0.5, c1, err, sizeof(err)) == 0);
	CHECK(qpm_ridge_solve(&direct, 0.5, c2, err, sizeof(err)) == 0);
	for (i = 0; i < 3; i++)
		CHECK_NEAR(c1[i], c2[i], 1e-9);
}

/* No rows: an error, not a garbage solution. */
static void
test_empty(void)
{
	QpmRidgeAcc acc;
	double		coef[2];
	char		err[128] = "";

	qpm_ridge_acc_init(&acc, 1);
	CHECK(qpm_ridge_solve(&acc, 1.0, coef, err, sizeof(err)) != 0);
	CHECK(strlen(err) > 0);
}

int
main(void)
{
	RUN(test_exact_recovery);
	RUN(test_penalized_closed_form);
	RUN(test_rank_deficient);
	RUN(test_fold_subtraction);
	RUN(test_empty);
	return unit_report("test_ridge");
}
