/*
 * test_transform.c — imputation, clipping, log decision, scaling.
 */
#include <stdlib.h>

#include "transform.h"
#include "unit.h"

static void
test_percentile(void)
{
	double		v[5] = {1, 2, 3, 4, 5};

	CHECK_NEAR(qpm_percentile_sorted(v, 5, 0), 1, 0);
	CHECK_NEAR(qpm_percentile_sorted(v, 5, 50), 3, 0);
	CHECK_NEAR(qpm_percentile_sorted(v, 5, 100), 5, 0);
	CHECK_NEAR(qpm_percentile_sorted(v, 5, 12.5), 1.5, 1e-12);
	CHECK(isnan(qpm_percentile_sorted(v, 0, 50)));
}

/* Missing and non-finite values become the training mean. */
static void
test_impute(void)
{
	double		X[6] = {1, NAN, 3, INFINITY, 5, -INFINITY};	/* 3 rows x 2 */
	QpmTransform t;
	char		err[128];
	double		in[2] = {NAN, NAN},
				out[2];

	/* column 1 has no finite value at all */
	CHECK(qpm_transform_fit(&t, X, 2, NULL, 3, 0, 100, 0, err, sizeof(err)) == 0);
	CHECK_NEAR(t.f[0].impute, 3.0, 1e-12);
	CHECK_NEAR(t.f[1].impute, 0.0, 0);
	qpm_transform_apply(&t, in, out);
	CHECK_NEAR(out[0], 3.0, 1e-12);
	CHECK_NEAR(out[1], 0.0, 0);
	in[0] = INFINITY;
	qpm_transform_apply(&t, in, out);
	CHECK_NEAR(out[0], 3.0, 1e-12);
}

/* Outliers are clipped to the training percentiles. */
static void
test_clip(void)
{
	double		X[1000];
	QpmTransform t;
	char		err[128];
	double		in,
				out;
	int			i;

	for (i = 0; i < 1000; i++)
		X[i] = i - 500.0;		/* symmetric: no log */
	X[999] = 1e12;
	CHECK(qpm_transform_fit(&t, X, 1, NULL, 1000, 1, 99, 0, err, sizeof(err)) == 0);
	CHECK(t.f[0].log1p == 0);
	CHECK(t.f[0].clip_hi < 500);
	CHECK(t.f[0].clip_lo > -500);
	in = 1e15;
	qpm_transform_apply(&t, &in, &out);
	CHECK_NEAR(out, t.f[0].clip_hi, 0);
	in = -1e15;
	qpm_transform_apply(&t, &in, &out);
	CHECK_NEAR(out, t.f[0].clip_lo, 0);
}

/* A heavy-tailed non-negative feature is logged; a symmetric one is not. */
static void
test_log_decision(void)
{
	double		X[2000];
	QpmTransform t;
	char		err[128];
	int			i;

	for (i = 0; i < 1000; i++)
	{
		X[2 * i] = exp((double) (i % 100) / 8.0);	/* heavy tail */
		X[2 * i + 1] = (double) (i % 100);	/* uniform */
	}
	CHECK(qpm_transform_fit(&t, X, 2, NULL, 1000, 0.5, 99.5, 1, err, sizeof(err)) == 0);
	CHECK(t.f[0].log1p == 1);
	CHECK(t.f[1].log1p == 0);

	/* Moderately skewed (skewness ~2): log1p makes it uniform, so take it. */
	for (i = 0; i < 1000; i++)
	{
		X[2 * i] = exp(7.0 * (double) i / 1000.0) - 1;
		X[2 * i + 1] = 1.0 - exp(-(double) i / 100.0);	/* left-skewed ratio */
	}
	CHECK(qpm_transform_fit(&t, X, 2, NULL, 1000, 0.5, 99.5, 1, err, sizeof(err)) == 0);
	CHECK(t.f[0].log1p == 1);
	CHECK(t.f[1].log1p == 0);
}

/* z-scoring gives mean 0 / sd 1 on training rows; constants map to 0. */
static void
test_standardize(void)
{
	double		X[300];
	QpmTransform t;
	char		err[128];
	double		sum = 0,
				sq = 0;
	int			i;

	for (i = 0; i < 100; i++)
	{
		X[3 * i] = (double) (i % 10);
		X[3 * i + 1] = 7.0;
		X[3 * i + 2] = 0.0;
	}
	CHECK(qpm_transform_fit(&t, X, 3, NULL, 100, 0, 100, 1, err, sizeof(err)) == 0);
	for (i = 0; i < 100; i++)
	{
		double		out[3];

		qpm_transform_apply(&t, X + 3 * i, out);
		sum += out[0];
		sq += out[0] * out[0];
		CHECK_NEAR(out[1], 0, 0);
		CHECK_NEAR(out[2], 0, 0);
	}
	CHECK_NEAR(sum / 100, 0, 1e-12);
	CHECK_NEAR(sq / 99, 1, 1e-12);
	CHECK_NEAR(t.f[1].scale, 1, 0);
}

/* Only the listed rows are used for fitting. */
static void
test_row_subset(void)
{
	double		X[4] = {1, 2, 100, 200};
	size_t		rows[2] = {0, 1};
	QpmTransform t;
	char		err[128];

	CHECK(qpm_transform_fit(&t, X, 1, rows, 2, 0, 100, 0, err, sizeof(err)) == 0);
	CHECK_NEAR(t.f[0].impute, 1.5, 1e-12);
	CHECK_NEAR(t.f[0].clip_hi, 2, 0);
}

/*
 * Absurd counters (bad_inputs.sql: 1e300 blocks per call) keep every
 * transform parameter and output finite and within QPM_FEATURE_LIMIT, so
 * ridge's normal equations and XGBoost's float matrix cannot overflow.
 * Before the limit, the z-score scale became Inf or NaN here.
 */
static void
test_absurd_values(void)
{
	double		X[3 * 200];
	QpmTransform t;
	char		err[128];
	int			i,
				j;

	for (i = 0; i < 200; i++)
	{
		X[3 * i] = 1e300 * (1 + i);		/* beyond the limit, spread out */
		X[3 * i + 1] = -1e306 - 1e304 * i;	/* all below -limit */
		X[3 * i + 2] = i % 2 ? 1.7e308 : 1.0;	/* mixed */
	}
	CHECK(qpm_transform_fit(&t, X, 3, NULL, 200, 0.5, 99.5, 1, err, sizeof(err)) == 0);
	for (j = 0; j < 3; j++)
	{
		CHECK(t.f[j].clip_lo >= -QPM_FEATURE_LIMIT && t.f[j].clip_hi <= QPM_FEATURE_LIMIT);
		CHECK(t.f[j].clip_lo <= t.f[j].impute && t.f[j].impute <= t.f[j].clip_hi);
		CHECK(isfinite(t.f[j].center) && isfinite(t.f[j].scale) && t.f[j].scale > 0);
	}
	CHECK_NEAR(t.f[1].clip_hi, -QPM_FEATURE_LIMIT, 0);
	for (i = 0; i < 200; i++)
	{
		double		out[3];

		qpm_transform_apply(&t, X + 3 * i, out);
		for (j = 0; j < 3; j++)
			CHECK(isfinite(out[j]) && fabs(out[j]) < 1e6);
	}
}

/* Bad arguments are errors. */
static void
test_bad_args(void)
{
	double		X[1] = {1};
	QpmTransform t;
	char		err[128];

	CHECK(qpm_transform_fit(&t, X, 0, NULL, 1, 0, 100, 0, err, sizeof(err)) != 0);
	CHECK(qpm_transform_fit(&t, X, QPM_MAX_FEATURES + 1, NULL, 1, 0, 100, 0, err, sizeof(err)) != 0);
	CHECK(qpm_transform_fit(&t, X, 1, NULL, 1, 50, 50, 0, err, sizeof(err)) != 0);
	CHECK(qpm_transform_fit(&t, X, 1, NULL, 0, 0, 100, 1, err, sizeof(err)) == 0);
}

int
main(void)
{
	RUN(test_percentile);
	RUN(test_impute);
	RUN(test_clip);
	RUN(test_log_decision);
	RUN(test_standardize);
	RUN(test_row_subset);
	RUN(test_absurd_values);
	RUN(test_bad_args);
	return unit_report("test_transform");
}
