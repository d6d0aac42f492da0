/*
 * test_trainer.c — the training pipeline end to end on generated data.
 */
#include <stdlib.h>

#include "split.h"
#include "stmt_features.h"
#include "trainer.h"
#include "unit.h"

static double
unit_rand(uint64_t *s)
{
	return (double) (qpm_rand_next(s) >> 11) / 9007199254740992.0;
}

/* Standard normal by Box-Muller. */
static double
normal(uint64_t *s)
{
	double		u = unit_rand(s) + 1e-12,
				v = unit_rand(s);

	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/*
 * 12-feature rows where ln(ms) is linear in the (already normal) first
 * three features plus noise of sd sigma; other features are noise or 0.
 */
static void
make_data(QpmDataset *d, int n_stmt, int rows_per_stmt, double sigma, uint64_t seed)
{
	uint64_t	s = seed;
	int			q,
				r,
				j;

	qpm_dataset_init(d, QPM_STMT_N_FEATURES, 1000000, seed);
	for (q = 0; q < n_stmt; q++)
	{
		double		base[QPM_STMT_N_FEATURES];

		for (j = 0; j < QPM_STMT_N_FEATURES; j++)
			base[j] = normal(&s);
		base[6] = 0;			/* always-0 column, like local blocks */
		for (r = 0; r < rows_per_stmt; r++)
		{
			double		x[QPM_STMT_N_FEATURES];
			double		y;

			memcpy(x, base, sizeof(x));
			x[0] += 0.1 * normal(&s);
			if (r % 7 == 3)
				x[4] = NAN;		/* missing values get imputed */
			y = 1.0 + 1.5 * x[0] - 0.7 * x[1] + 0.3 * x[2] + sigma * normal(&s);
			qpm_dataset_add(d, x, y, ((int64_t) q * 1000003 + 17));
		}
	}
}

/* Noise-free: the model recovers the relation almost exactly. */
static void
test_recovers_relation(void)
{
	QpmDataset d;
	QpmTrainOptions opt;
	QpmTrainResult res;
	char		err[256] = "";

	make_data(&d, 400, 3, 0.0, 1);
	qpm_train_options_default(&opt);
	opt.lambda = 1e-6;
	opt.clip_lo_pct = 0;
	opt.clip_hi_pct = 100;
	CHECK(qpm_train(&d, &opt, &qpm_feature_set_stmt_stats, &res, err, sizeof(err)) == 0);
	CHECK(res.n_train + res.n_test == 1200);
	CHECK(res.n_test > 150 && res.n_test < 350);
	CHECK(res.test.r2 > 0.999);
	CHECK(res.test.median_q_error < 1.01);
	CHECK(res.model.linear.coef[6] == 0.0);
	qpm_dataset_free(&d);
}

/* With noise, held-out interval coverage sits near the nominal level. */
static void
test_interval_coverage(void)
{
	QpmDataset d;
	QpmTrainOptions opt;
	QpmTrainResult res;
	char		err[256] = "";

	make_data(&d, 3000, 1, 0.3, 2);
	qpm_train_options_default(&opt);
	CHECK(qpm_train(&d, &opt, &qpm_feature_set_stmt_stats, &res, err, sizeof(err)) == 0);
	CHECK(res.test.interval_coverage > 0.86 && res.test.interval_coverage < 0.94);
	CHECK(res.model.interval.resid_lo < -0.3 && res.model.interval.resid_hi > 0.3);
	CHECK(res.test.r2 > 0.8);

	opt.interval_level = 0.5;
	CHECK(qpm_train(&d, &opt, &qpm_feature_set_stmt_stats, &res, err, sizeof(err)) == 0);
	CHECK(res.test.interval_coverage > 0.44 && res.test.interval_coverage < 0.56);
	qpm_dataset_free(&d);
}

/* Same data and seed: the same model; another seed: another split. */
static void
test_deterministic(void)
{
	QpmDataset d;
	QpmTrainOptions opt;
	QpmTrainResult a,
				b;
	char		err[256] = "";

	make_data(&d, 200, 2, 0.2, 3);
	qpm_train_options_default(&opt);
	CHECK(qpm_train(&d, &opt, &qpm_feature_set_stmt_stats, &a, err, sizeof(err)) == 0);
	CHECK(qpm_train(&d, &opt, &qpm_feature_set_stmt_stats, &b, err, sizeof(err)) == 0);
	CHECK(memcmp(&a.model.linear, &b.model.linear, sizeof(a.model.linear)) == 0);
	opt.seed = 7;
	CHECK(qpm_train(&d, &opt, &qpm_feature_set_stmt_stats, &b, err, sizeof(err)) == 0);
	CHECK(a.n_test != b.n_test || a.model.linear.intercept != b.model.linear.intercept);
	qpm_dataset_free(&d);
}

/* Too few rows, no test part, bad options. */
static void
test_edges(void)
{
	QpmDataset d;
	QpmTrainOptions opt;
	QpmTrainResult res;
	char		err[256] = "";

	make_data(&d, 5, 1, 0.1, 4);
	qpm_train_options_default(&opt);
	CHECK(qpm_train(&d, &opt, &qpm_feature_set_stmt_stats, &res, err, sizeof(err)) != 0);
	CHECK(strstr(err, "too few") != NULL);
	qpm_dataset_free(&d);

	/* one statement, many rows: CV impossible, falls back to in-sample */
	make_data(&d, 1, 50, 0.1, 5);
	opt.test_fraction = 0;
	CHECK(qpm_train(&d, &opt, &qpm_feature_set_stmt_stats, &res, err, sizeof(err)) == 0);
	CHECK(res.n_test == 0 && res.test.n == 0 && isnan(res.test.r2));
	CHECK(isfinite(res.model.interval.resid_lo) && isfinite(res.model.interval.resid_hi));

	opt.interval_level = 1.0;
	CHECK(qpm_train(&d, &opt, &qpm_feature_set_stmt_stats, &res, err, sizeof(err)) != 0);
	opt.interval_level = 0.9;
	opt.test_fraction = 0.95;
	CHECK(qpm_train(&d, &opt, &qpm_feature_set_stmt_stats, &res, err, sizeof(err)) != 0);
	opt.test_fraction = 0.2;
	opt.lambda = NAN;
	CHECK(qpm_train(&d, &opt, &qpm_feature_set_stmt_stats, &res, err, sizeof(err)) != 0);
	qpm_dataset_free(&d);
}

/*
 * A stand-in for XGBoost: every tree is one leaf of 0.1, so a forest of r
 * trees predicts 0.1 r.  It records how the trainer called it; its first
 * call stops "early" after 5 trees, the others train 30 unless told fewer.
 */
typedef struct FakeFitter
{
	int			calls;
	int			valid_calls;	/* calls given rows to stop early on */
	int			last_max_trees;
	size_t		last_n_valid;
	size_t		last_n_fit;
} FakeFitter;

static int
fake_fit(const QpmTreeFitInput *in, void *arg, QpmForest **out, char *err, size_t errlen)
{
	FakeFitter *ff = arg;
	int32_t		n = in->max_trees > 0 ? in->max_trees : (ff->calls == 0 ? 5 : 30);
	QpmForest  *f = qpm_forest_alloc(n, n, in->p);
	int32_t		t;

	ff->calls++;
	ff->valid_calls += in->n_valid > 0;
	ff->last_max_trees = in->max_trees;
	ff->last_n_valid = in->n_valid;
	ff->last_n_fit = in->n_fit;
	for (t = 0; t < n; t++)
	{
		f->tree_offset[t] = t;
		f->nodes[t].left = f->nodes[t].right = f->nodes[t].feature = -1;
		f->nodes[t].value = 0.1f;
	}
	f->tree_offset[n] = n;
	if (qpm_forest_validate(f, err, errlen) != 0)
	{
		qpm_forest_free(f);
		return -1;
	}
	*out = f;
	return 0;
}

/*
 * Boosting chooses its number of rounds on the cross-validation folds: with
 * every ln(ms) at 1.0 the pooled out-of-fold error is lowest at 10 rounds,
 * even though one fold stopped at 5.  The folds watch their own held-out
 * statements; the final fit gets every train row, no rows to stop on and
 * exactly 10 rounds.  Without round selection no fit gets validation rows
 * and the final fit is not capped.
 */
static void
test_select_rounds(void)
{
	QpmDataset	d;
	QpmTrainOptions opt;
	QpmTrainResult res;
	FakeFitter	ff;
	char		err[256] = "";
	double		x[QPM_STMT_N_FEATURES] = {0};
	int			q;

	qpm_dataset_init(&d, QPM_STMT_N_FEATURES, 1000, 5);
	for (q = 0; q < 300; q++)
	{
		x[0] = q;
		qpm_dataset_add(&d, x, 1.0, (int64_t) q * 7919 + 3);
	}
	qpm_train_options_default(&opt);
	opt.algorithm = QPM_ALG_GRADIENT_BOOSTING;
	opt.fit_trees = fake_fit;
	opt.fit_trees_arg = &ff;
	opt.select_rounds = 1;
	memset(&ff, 0, sizeof(ff));
	CHECK(qpm_train(&d, &opt, &qpm_feature_set_stmt_stats, &res, err, sizeof(err)) == 0);
	CHECK(ff.calls == opt.cv_folds + 1);
	CHECK(ff.valid_calls == opt.cv_folds);
	CHECK(ff.last_max_trees == 10);
	CHECK(ff.last_n_valid == 0 && ff.last_n_fit == res.n_train);
	CHECK(res.model.forest != NULL && res.model.forest->n_trees == 10);
	/*
	 * The folds' residuals come from their first 10 trees: about 0, except
	 * the fold that stopped at 5 (1.0 - 0.5), a fifth of the rows; at 30
	 * trees they would have been -2.
	 */
	CHECK(fabs(res.model.interval.resid_lo) < 1e-5);
	CHECK_NEAR(res.model.interval.resid_hi, 0.5, 1e-5);
	CHECK(res.test.median_q_error < 1.0001);
	qpm_model_release(&res.model);

	opt.select_rounds = 0;
	memset(&ff, 0, sizeof(ff));
	CHECK(qpm_train(&d, &opt, &qpm_feature_set_stmt_stats, &res, err, sizeof(err)) == 0);
	CHECK(ff.calls == opt.cv_folds + 1);
	CHECK(ff.valid_calls == 0);
	CHECK(ff.last_max_trees == 0);
	CHECK(res.model.forest != NULL && res.model.forest->n_trees == 30);
	qpm_model_release(&res.model);
	qpm_dataset_free(&d);
}

/*
 * A crude real model for the coverage tests: one stump on feature 0 at
 * 0, each leaf the mean target of its side (base score 0).
 */
static int
stump_fit(const QpmTreeFitInput *in, void *arg, QpmForest **out, char *err, size_t errlen)
{
	QpmForest  *f = qpm_forest_alloc(1, 3, in->p);
	double		sum[2] = {0, 0};
	size_t		cnt[2] = {0, 0};
	size_t		i;

	(void) arg;
	for (i = 0; i < in->n_fit; i++)
	{
		int			right = !(in->X_fit[i * (size_t) in->p] < 0.0);

		sum[right] += in->y_fit[i];
		cnt[right]++;
	}
	f->tree_offset[0] = 0;
	f->tree_offset[1] = 3;
	memset(f->nodes, 0, sizeof(QpmTreeNode) * 3);
	f->nodes[0].left = 1;
	f->nodes[0].right = 2;
	f->nodes[0].feature = 0;
	f->nodes[0].value = 0.0f;
	for (i = 1; i < 3; i++)
	{
		f->nodes[i].left = f->nodes[i].right = f->nodes[i].feature = -1;
		f->nodes[i].value = (float) (cnt[i - 1] ? sum[i - 1] / (double) cnt[i - 1] : 0.0);
	}
	if (qpm_forest_validate(f, err, errlen) != 0)
	{
		qpm_forest_free(f);
		return -1;
	}
	*out = f;
	return 0;
}

/*
 * From split_conformal_rows training rows on (and with at least
 * QPM_SPLIT_MIN_STATEMENTS statements), trees are fitted once: on every
 * fold but one, stopping on the held-out fold, whose residuals calibrate
 * the interval; below either bound, cross-conformal (cv_folds + 1 fits).
 * Held-out coverage of the 90% interval is near 0.90 both ways.
 */
static void
test_split_conformal(void)
{
	QpmDataset	d,
				few;
	QpmTrainOptions opt;
	QpmTrainResult res;
	FakeFitter	ff;
	char		err[256] = "";
	double		x[QPM_STMT_N_FEATURES] = {0};
	int			q;

	qpm_dataset_init(&d, QPM_STMT_N_FEATURES, 10000, 5);
	for (q = 0; q < 3000; q++)
	{
		x[0] = q;
		qpm_dataset_add(&d, x, 1.0, (int64_t) q * 7919 + 3);
	}
	qpm_train_options_default(&opt);
	opt.algorithm = QPM_ALG_GRADIENT_BOOSTING;
	opt.fit_trees = fake_fit;
	opt.fit_trees_arg = &ff;
	opt.select_rounds = 1;
	opt.split_conformal_rows = 1000;
	memset(&ff, 0, sizeof(ff));
	CHECK(qpm_train(&d, &opt, &qpm_feature_set_stmt_stats, &res, err, sizeof(err)) == 0);
	CHECK(res.split_conformal);
	CHECK(ff.calls == 1 && ff.valid_calls == 1);
	CHECK(ff.last_n_fit + ff.last_n_valid == res.n_train);
	/* one fold of five held out, by statement */
	CHECK(ff.last_n_valid > res.n_train / 7 && ff.last_n_valid < res.n_train / 3);
	/* the fake's first fit stops at 5 trees: each predicts 0.5 for 1.0 */
	CHECK(res.model.forest != NULL && res.model.forest->n_trees == 5);
	CHECK_NEAR(res.model.interval.resid_hi, 0.5, 1e-5);
	CHECK(res.model.interval.resid_lo == 0.0);
	qpm_model_release(&res.model);

	/* one row short of the bound: cross-conformal */
	opt.split_conformal_rows = res.n_train + 1;
	memset(&ff, 0, sizeof(ff));
	CHECK(qpm_train(&d, &opt, &qpm_feature_set_stmt_stats, &res, err, sizeof(err)) == 0);
	CHECK(!res.split_conformal && ff.calls == opt.cv_folds + 1);
	qpm_model_release(&res.model);
	/* 0: never */
	opt.split_conformal_rows = 0;
	memset(&ff, 0, sizeof(ff));
	CHECK(qpm_train(&d, &opt, &qpm_feature_set_stmt_stats, &res, err, sizeof(err)) == 0);
	CHECK(!res.split_conformal && ff.calls == opt.cv_folds + 1);
	qpm_model_release(&res.model);
	qpm_dataset_free(&d);

	/* many rows, too few statements (300 x 10 rows): cross-conformal */
	qpm_dataset_init(&few, QPM_STMT_N_FEATURES, 10000, 5);
	for (q = 0; q < 3000; q++)
	{
		x[0] = q % 300;
		qpm_dataset_add(&few, x, 1.0, (int64_t) (q % 300) * 7919 + 3);
	}
	opt.split_conformal_rows = 1000;
	memset(&ff, 0, sizeof(ff));
	CHECK(qpm_train(&few, &opt, &qpm_feature_set_stmt_stats, &res, err, sizeof(err)) == 0);
	CHECK(!res.split_conformal && ff.calls == opt.cv_folds + 1);
	qpm_model_release(&res.model);
	qpm_dataset_free(&few);

	/* coverage with a crude real model, both ways, 6000 statements */
	make_data(&d, 6000, 1, 0.3, 8);
	opt.fit_trees = stump_fit;
	opt.select_rounds = 0;
	for (q = 0; q < 2; q++)
	{
		opt.split_conformal_rows = q == 0 ? 1000 : 0;
		CHECK(qpm_train(&d, &opt, &qpm_feature_set_stmt_stats, &res, err, sizeof(err)) == 0);
		CHECK(res.split_conformal == (q == 0));
		printf("test_trainer: stump, %s-conformal: held-out coverage %.3f on %zu statements\n",
			   q == 0 ? "split" : "cross", res.test.interval_coverage, res.n_test);
		CHECK(res.test.interval_coverage > 0.87 && res.test.interval_coverage < 0.93);
		qpm_model_release(&res.model);
	}
	qpm_dataset_free(&d);
}

int
main(void)
{
	RUN(test_recovers_relation);
	RUN(test_interval_coverage);
	RUN(test_deterministic);
	RUN(test_edges);
	RUN(test_select_rounds);
	RUN(test_split_conformal);
	return unit_report("test_trainer");
}
