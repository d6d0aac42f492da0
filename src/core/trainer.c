/*
 * trainer.c — split, fit, calibrate, evaluate.
 *
 * Interval calibration is cross-conformal: training statements are hashed
 * into cv_folds groups by queryid; for each fold a model is fitted on the
 * other folds (for ridge, by subtracting that fold's normal equations from
 * the total: no refit from scratch) and the fold's residuals on the log
 * scale are collected.  The interval offsets are the empirical
 * (1-level)/2 and (1+level)/2 quantiles of those out-of-fold residuals,
 * with the finite-sample correction of split conformal prediction.  Grouping
 * by queryid makes the interval honest for statements the model has not
 * seen, which is what held-out coverage measures.
 *
 * The transform is fitted once on all training rows (it never looks at the
 * target, so reusing it across folds leaks nothing about residuals).
 *
 * Tree models on large sources calibrate split-conformally instead.
 * Cross-conformal calibration costs cv_folds + 1 fits whatever the size,
 * which buys two things when data is scarce: every statement calibrates
 * the interval and every row trains the final model.  With many rows
 * neither matters (a fifth of 100 000 rows is plenty to calibrate a 90%
 * quantile, and a learning curve is flat long before), so from
 * split_conformal_rows training rows on (QPM_SPLIT_CONFORMAL_ROWS: about
 * 10 s of cross-conformal gradient boosting on one core), and when the
 * rows hold at least QPM_SPLIT_MIN_STATEMENTS statements (so the held-out
 * fold has about 400 of them, enough for a stable quantile), one fold of
 * statements is held out: the trees are fitted once on the other folds
 * (boosting stops early on the held-out fold, whose errors per round also
 * choose the number of rounds), and their residuals on the held-out
 * statements calibrate the interval: one fit instead of cv_folds + 1, and
 * the final model is the one calibrated, as split-conformal prediction
 * assumes.  The held-out coverage on both sides of the switch is in the
 * README (Prediction intervals).
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qpm_util.h"
#include "qpm_alloc.h"
#include "ridge.h"
#include "split.h"
#include "trainer.h"

#define QPM_MIN_CALIBRATION_RESIDUALS 10

/* Defaults documented in the README's options table. */
void
qpm_train_options_default(QpmTrainOptions *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->algorithm = QPM_ALG_LINEAR;
	opt->test_fraction = 0.2;
	opt->seed = 42;
	opt->lambda = 1.0;
	opt->interval_level = 0.90;
	opt->clip_lo_pct = 0.5;
	opt->clip_hi_pct = 99.5;
	opt->cv_folds = 5;
	opt->split_conformal_rows = QPM_SPLIT_CONFORMAL_ROWS;
	opt->select_rounds = 0;
}

/*
 * Conformal quantile of sorted residuals: the k-th smallest with
 * k = ceil((n + 1) * q) (upper side) or floor((n + 1) * q) (lower side),
 * clamped to the sample.
 */
static double
conformal_quantile(const double *sorted, size_t n, double q, int upper)
{
	double		pos = (double) (n + 1) * q;
	long		k = upper ? (long) ceil(pos) : (long) floor(pos);

	if (k < 1)
		k = 1;
	if (k > (long) n)
		k = (long) n;
	return sorted[k - 1];
}

/* Set the interval offsets from residuals (actual - predicted, log scale). */
static void
calibrate_interval(QpmInterval *iv, double *resid, size_t n, double level)
{
	qsort(resid, n, sizeof(double), qpm_cmp_double);
	iv->level = level;
	iv->resid_lo = conformal_quantile(resid, n, (1.0 - level) / 2.0, 0);
	iv->resid_hi = conformal_quantile(resid, n, (1.0 + level) / 2.0, 1);
	if (iv->resid_lo > 0)
		iv->resid_lo = 0;
	if (iv->resid_hi < 0)
		iv->resid_hi = 0;
}

/*
 * Calibrate m's interval from the n_resid out-of-fold residuals in resid
 * (room for n).  Too few statements to cross-validate: fall back to the
 * model's in-sample residuals, which are narrower but better than none.
 */
static void
finish_calibration(QpmModel *m, const double *T, const double *y, size_t n, int p,
				   double *resid, size_t n_resid, double level)
{
	size_t		i;

	if (n_resid < QPM_MIN_CALIBRATION_RESIDUALS)
	{
		n_resid = 0;
		for (i = 0; i < n; i++)
			resid[n_resid++] = y[i] - qpm_model_predict_transformed(m, T + i * (size_t) p);
	}
	calibrate_interval(&m->interval, resid, n_resid, level);
}

/* Check option ranges; the SQL layer validates too, this guards the core. */
static int
check_options(const QpmTrainOptions *opt, char *err, size_t errlen)
{
	if (!(opt->test_fraction >= 0 && opt->test_fraction <= 0.9))
		snprintf(err, errlen, "test_fraction must be between 0 and 0.9");
	else if (!(opt->lambda >= 0 && isfinite(opt->lambda)))
		snprintf(err, errlen, "lambda must be a finite number >= 0");
	else if (!(opt->interval_level > 0 && opt->interval_level < 1))
		snprintf(err, errlen, "interval_level must be between 0 and 1 (exclusive)");
	else if (opt->cv_folds < 2 || opt->cv_folds > 20)
		snprintf(err, errlen, "cv_folds must be between 2 and 20");
	else if (opt->algorithm != QPM_ALG_LINEAR &&
			 opt->algorithm != QPM_ALG_GRADIENT_BOOSTING &&
			 opt->algorithm != QPM_ALG_RANDOM_FOREST)
		snprintf(err, errlen, "algorithm %d is not supported by this trainer",
				 (int) opt->algorithm);
	else if (opt->algorithm != QPM_ALG_LINEAR && opt->fit_trees == NULL)
		snprintf(err, errlen, "no tree fitter for a tree algorithm");
	else
		return 0;
	return -1;
}

/* Fit ridge on transformed rows T and calibrate its interval by CV. */
static int
fit_linear(QpmModel *m, const double *T, const double *y, const int *fold,
		   size_t n, const QpmTrainOptions *opt, char *err, size_t errlen)
{
	int			p = m->transform.n_features;
	int			k = opt->cv_folds;
	QpmRidgeAcc *acc = qpm_alloc(sizeof(QpmRidgeAcc) * (size_t) (k + 2));
	QpmRidgeAcc *total = &acc[k];
	QpmRidgeAcc *rest = &acc[k + 1];
	double		coef[QPM_RIDGE_MAX_DIM];
	double	   *resid = qpm_alloc(sizeof(double) * (n > 0 ? n : 1));
	size_t		n_resid = 0;
	size_t		i;
	int			f,
				rc = -1;

	for (f = 0; f < k + 1; f++)
		qpm_ridge_acc_init(&acc[f], p);
	for (i = 0; i < n; i++)
	{
		qpm_ridge_acc_add_row(&acc[fold[i]], T + i * (size_t) p, y[i]);
		qpm_ridge_acc_add_row(total, T + i * (size_t) p, y[i]);
		if (opt->check_interrupts && (i & 0xFFFF) == 0xFFFF)
			opt->check_interrupts();
	}
	if (opt->check_interrupts)
		opt->check_interrupts();
	if (qpm_ridge_solve(total, opt->lambda, coef, err, errlen) != 0)
		goto done;
	m->linear.intercept = coef[0];
	memcpy(m->linear.coef, coef + 1, sizeof(double) * (size_t) p);

	/* Out-of-fold residuals for every fold that has rows on both sides. */
	for (f = 0; f < k; f++)
	{
		QpmModel	fm = *m;

		if (acc[f].n < 1 || total->n - acc[f].n < 2)
			continue;
		qpm_ridge_acc_sub(rest, total, &acc[f]);
		if (qpm_ridge_solve(rest, opt->lambda, coef, err, errlen) != 0)
			goto done;
		fm.linear.intercept = coef[0];
		memcpy(fm.linear.coef, coef + 1, sizeof(double) * (size_t) p);
		for (i = 0; i < n; i++)
			if (fold[i] == f)
				resid[n_resid++] = y[i] - qpm_model_predict_transformed(&fm, T + i * (size_t) p);
	}
	finish_calibration(m, T, y, n, p, resid, n_resid, opt->interval_level);
	rc = 0;
done:
	qpm_free(resid);
	qpm_free(acc);
	return rc;
}

/*
 * Fit trees on the rows selected by use[] (1 = fit, 2 = watch for early
 * stopping); returns the forest or NULL with err filled.
 */
static QpmForest *
fit_subset(const double *T, const double *y, size_t n, int p, const char *use,
		   int max_trees, double *Xf, double *yf, double *Xv, double *yv,
		   const QpmTrainOptions *opt, char *err, size_t errlen)
{
	QpmTreeFitInput in;
	QpmForest  *forest = NULL;
	size_t		nf = 0,
				nv = 0,
				i;

	for (i = 0; i < n; i++)
	{
		if (use[i] == 1)
		{
			memcpy(Xf + nf * (size_t) p, T + i * (size_t) p, sizeof(double) * (size_t) p);
			yf[nf++] = y[i];
		}
		else if (use[i] == 2)
		{
			memcpy(Xv + nv * (size_t) p, T + i * (size_t) p, sizeof(double) * (size_t) p);
			yv[nv++] = y[i];
		}
	}
	memset(&in, 0, sizeof(in));
	in.p = p;
	in.X_fit = Xf;
	in.y_fit = yf;
	in.n_fit = nf;
	in.max_trees = max_trees;
	if (nv > 0)
	{
		in.X_valid = Xv;
		in.y_valid = yv;
		in.n_valid = nv;
	}
	if (opt->fit_trees(&in, opt->fit_trees_arg, &forest, err, errlen) != 0)
		return NULL;
	return forest;
}

/*
 * Squared log errors of fold f's rows after every round of its forest,
 * added into sse[0 .. forest->n_trees); margins is scratch of that length.
 */
static void
add_round_errors(const QpmForest *forest, const double *T, const double *y,
				 const int *fold, size_t n, int p, int f, float *margins,
				 double *sse, const QpmTrainOptions *opt)
{
	size_t		i;
	int32_t		r;

	for (i = 0; i < n; i++)
	{
		/* a fold of a large source walks its trees for a second or so */
		if (opt->check_interrupts && (i & 0xFFF) == 0xFFF)
			opt->check_interrupts();
		if (fold[i] != f)
			continue;
		qpm_forest_predict_prefixes(forest, T + i * (size_t) p, margins);
		for (r = 0; r < forest->n_trees; r++)
		{
			double		d = y[i] - (double) margins[r];

			sse[r] += d * d;
		}
	}
}

/*
 * The number of rounds with the lowest out-of-fold error pooled over the
 * folds.  A fold that stopped early counts with its last round's error for
 * every later round: it stopped because more rounds had not helped it.
 */
static int
best_round_count(QpmForest **forests, double **sse, int k)
{
	int32_t		longest = 0,
				r;
	double		best = INFINITY;
	int			best_count = 0,
				f;

	for (f = 0; f < k; f++)
		if (forests[f] != NULL && forests[f]->n_trees > longest)
			longest = forests[f]->n_trees;
	for (r = 0; r < longest; r++)
	{
		double		total = 0;

		for (f = 0; f < k; f++)
			if (forests[f] != NULL)
				total += sse[f][r < forests[f]->n_trees ? r : forests[f]->n_trees - 1];
		if (total < best)
		{
			best = total;
			best_count = r + 1;
		}
	}
	return best_count;
}

/*
 * Trees, cross-conformal like the linear model: for each fold, fit on the
 * other folds and collect the fold's residuals; then fit the final trees on
 * every train row.  This costs cv_folds + 1 fits, and in exchange every
 * train statement calibrates the interval and every train row trains the
 * final model.
 *
 * Boosting with early stopping (select_rounds) also takes its number of
 * rounds from the folds, as cross-validation does: each fold's fit watches
 * the fold's own statements to stop, keeps every round it trained, and the
 * trainer picks the count whose pooled out-of-fold squared error is lowest.
 * Each fold's residuals then come from its first that-many trees (the
 * model the final fit reproduces on more rows), and the final fit runs that
 * many rounds on all train rows.  No rows are set aside for stopping, so
 * each fit sees all the rows it can.
 *
 * Too few statements for folds: one fit, in-sample residuals.
 */
static int
fit_trees(QpmModel *m, const double *T, const double *y, const int *fold,
		  size_t n, const QpmTrainOptions *opt, char *err, size_t errlen)
{
	int			p = m->transform.n_features;
	int			k = opt->cv_folds;
	size_t		rows = n > 0 ? n : 1;
	double	   *Xf = qpm_alloc(sizeof(double) * rows * (size_t) p);
	double	   *yf = qpm_alloc(sizeof(double) * rows);
	double	   *Xv = qpm_alloc(sizeof(double) * rows * (size_t) p);
	double	   *yv = qpm_alloc(sizeof(double) * rows);
	double	   *resid = qpm_alloc(sizeof(double) * rows);
	char	   *use = qpm_alloc(rows);
	QpmForest **forests = qpm_alloc0(sizeof(QpmForest *) * (size_t) k);
	double	  **sse = qpm_alloc0(sizeof(double *) * (size_t) k);
	float	   *margins = NULL;
	int			n_rounds = 0;
	size_t		n_resid = 0,
				i;
	int			f,
				rc = -1;

	for (f = 0; f < k; f++)
	{
		size_t		in_fold = 0;

		for (i = 0; i < n; i++)
		{
			if (fold[i] == f)
			{
				use[i] = opt->select_rounds ? 2 : 0;
				in_fold++;
			}
			else
				use[i] = 1;
		}
		if (in_fold == 0 || n - in_fold < QPM_MIN_TRAIN_ROWS)
			continue;
		forests[f] = fit_subset(T, y, n, p, use, 0, Xf, yf, Xv, yv, opt, err, errlen);
		if (forests[f] == NULL)
			goto done;
		if (opt->select_rounds)
		{
			sse[f] = qpm_alloc0(sizeof(double) * (size_t) forests[f]->n_trees);
			margins = qpm_realloc(margins, sizeof(float) * (size_t) forests[f]->n_trees);
			add_round_errors(forests[f], T, y, fold, n, p, f, margins, sse[f], opt);
		}
	}
	if (opt->select_rounds)
		n_rounds = best_round_count(forests, sse, k);

	for (f = 0; f < k; f++)
	{
		QpmModel	fm = *m;

		if (forests[f] == NULL)
			continue;
		if (n_rounds > 0 && n_rounds < forests[f]->n_trees &&
			qpm_forest_truncate(forests[f], n_rounds, err, errlen) != 0)
			goto done;
		fm.forest = forests[f];
		for (i = 0; i < n; i++)
			if (fold[i] == f)
				resid[n_resid++] = y[i] - qpm_model_predict_transformed(&fm, T + i * (size_t) p);
		qpm_forest_free(forests[f]);
		forests[f] = NULL;
	}

	/* The final trees: every row; for boosting, the rounds chosen above. */
	memset(use, 1, rows);
	m->forest = fit_subset(T, y, n, p, use, n_rounds, Xf, yf, Xv, yv, opt, err, errlen);
	if (m->forest == NULL)
		goto done;
	finish_calibration(m, T, y, n, p, resid, n_resid, opt->interval_level);
	rc = 0;
done:
	for (f = 0; f < k; f++)
	{
		qpm_forest_free(forests[f]);
		qpm_free(sse[f]);
	}
	qpm_free(forests);
	qpm_free(sse);
	qpm_free(margins);
	qpm_free(Xf);
	qpm_free(yf);
	qpm_free(Xv);
	qpm_free(yv);
	qpm_free(resid);
	qpm_free(use);
	return rc;
}

/*
 * Split-conformal trees (see the file banner): fit on every fold but 0,
 * stop boosting on fold 0, keep the rounds with the lowest error there,
 * calibrate on fold 0's residuals.  The forest fitted is the model.
 */
static int
fit_trees_split(QpmModel *m, const double *T, const double *y, const int *fold,
				size_t n, const QpmTrainOptions *opt, char *err, size_t errlen)
{
	int			p = m->transform.n_features;
	double	   *Xf = qpm_alloc(sizeof(double) * n * (size_t) p);
	double	   *yf = qpm_alloc(sizeof(double) * n);
	double	   *Xv = qpm_alloc(sizeof(double) * n * (size_t) p);
	double	   *yv = qpm_alloc(sizeof(double) * n);
	double	   *resid = qpm_alloc(sizeof(double) * n);
	char	   *use = qpm_alloc(n);
	double	   *sse = NULL;
	float	   *margins = NULL;
	QpmForest  *forest;
	size_t		n_resid = 0,
				i;
	int			rc = -1;

	for (i = 0; i < n; i++)
		use[i] = (char) (fold[i] != 0 ? 1 : opt->select_rounds ? 2 : 0);
	forest = fit_subset(T, y, n, p, use, 0, Xf, yf, Xv, yv, opt, err, errlen);
	if (forest == NULL)
		goto done;
	if (opt->select_rounds)
	{
		int			n_rounds;

		sse = qpm_alloc0(sizeof(double) * (size_t) forest->n_trees);
		margins = qpm_alloc(sizeof(float) * (size_t) forest->n_trees);
		add_round_errors(forest, T, y, fold, n, p, 0, margins, sse, opt);
		n_rounds = best_round_count(&forest, &sse, 1);
		if (n_rounds > 0 && n_rounds < forest->n_trees &&
			qpm_forest_truncate(forest, n_rounds, err, errlen) != 0)
		{
			qpm_forest_free(forest);
			goto done;
		}
	}
	m->forest = forest;
	for (i = 0; i < n; i++)
		if (fold[i] == 0)
			resid[n_resid++] = y[i] - qpm_model_predict_transformed(m, T + i * (size_t) p);
	finish_calibration(m, T, y, n, p, resid, n_resid, opt->interval_level);
	rc = 0;
done:
	qpm_free(sse);
	qpm_free(margins);
	qpm_free(Xf);
	qpm_free(yf);
	qpm_free(Xv);
	qpm_free(yv);
	qpm_free(resid);
	qpm_free(use);
	return rc;
}

/* qsort order of queryids. */
static int
cmp_int64(const void *a, const void *b)
{
	int64_t		x = *(const int64_t *) a;
	int64_t		y = *(const int64_t *) b;

	return (x > y) - (x < y);
}

/*
 * Whether the tree calibration is split-conformal: enough training rows
 * (opt->split_conformal_rows) holding enough statements, and rows on both
 * sides of fold 0 (always, with that many statements; checked all the same).
 */
static bool
use_split_conformal(const QpmDataset *data, const size_t *train_rows, size_t n_train,
					const int *fold, const QpmTrainOptions *opt)
{
	int64_t    *ids;
	size_t		distinct = 0,
				held = 0,
				i;

	if (opt->split_conformal_rows == 0 || n_train < opt->split_conformal_rows)
		return false;
	for (i = 0; i < n_train; i++)
		held += fold[i] == 0;
	if (held < QPM_MIN_CALIBRATION_RESIDUALS || n_train - held < QPM_MIN_TRAIN_ROWS)
		return false;
	ids = qpm_alloc(sizeof(int64_t) * n_train);
	for (i = 0; i < n_train; i++)
		ids[i] = data->queryid[train_rows[i]];
	qsort(ids, n_train, sizeof(int64_t), cmp_int64);
	for (i = 0; i < n_train && distinct < QPM_SPLIT_MIN_STATEMENTS; i++)
		if (i == 0 || ids[i] != ids[i - 1])
			distinct++;
	qpm_free(ids);
	return distinct >= QPM_SPLIT_MIN_STATEMENTS;
}

/* Is row i held out?  By seeded queryid hash, unless the rows carry flags. */
static int
row_is_test(const QpmDataset *data, size_t i, const QpmTrainOptions *opt)
{
	if (data->explicit_split)
		return data->held_out[i];
	return qpm_split_is_test(data->queryid[i], opt->seed, opt->test_fraction);
}

/* The whole pipeline; see the file banner. */
int
qpm_train(const QpmDataset *data, const QpmTrainOptions *opt,
		  const QpmFeatureSet *fs, QpmTrainResult *res,
		  char *err, size_t errlen)
{
	int			p = data->p;
	size_t	   *train_rows = NULL;
	double	   *T = NULL;
	double	   *ty = NULL;
	int		   *fold = NULL;
	size_t		n_train = 0;
	size_t		i;
	QpmModel   *m = &res->model;
	QpmMetricsAcc macc;
	int			rc = -1;

	memset(res, 0, sizeof(*res));
	if (check_options(opt, err, errlen) != 0)
		return -1;
	if (fs == NULL || fs->n_features != p)
	{
		snprintf(err, errlen, "feature set does not match the data (%d features)", p);
		return -1;
	}

	train_rows = qpm_alloc(sizeof(size_t) * (data->n > 0 ? data->n : 1));
	for (i = 0; i < data->n; i++)
		if (!row_is_test(data, i, opt))
			train_rows[n_train++] = i;
	res->n_train = n_train;
	res->n_test = data->n - n_train;
	if (n_train < QPM_MIN_TRAIN_ROWS)
	{
		snprintf(err, errlen,
				 "too few usable training rows: %zu (need at least %d; %zu rows usable in all, %zu held out)",
				 n_train, QPM_MIN_TRAIN_ROWS, (size_t) data->n, res->n_test);
		goto done;
	}

	memset(m, 0, sizeof(*m));
	m->algorithm = opt->algorithm;
	m->feature_set = fs;
	if (qpm_transform_fit(&m->transform, data->X, p, train_rows, n_train,
						  opt->clip_lo_pct, opt->clip_hi_pct,
						  opt->algorithm == QPM_ALG_LINEAR, err, errlen) != 0)
		goto done;
	if (opt->check_interrupts)
		opt->check_interrupts();

	T = qpm_alloc(sizeof(double) * n_train * (size_t) p);
	ty = qpm_alloc(sizeof(double) * n_train);
	fold = qpm_alloc(sizeof(int) * n_train);
	for (i = 0; i < n_train; i++)
	{
		size_t		r = train_rows[i];

		qpm_transform_apply(&m->transform, data->X + r * (size_t) p, T + i * (size_t) p);
		ty[i] = data->y[r];
		fold[i] = qpm_split_fold(data->queryid[r], opt->seed, opt->cv_folds);
	}

	if (opt->algorithm == QPM_ALG_LINEAR)
	{
		if (fit_linear(m, T, ty, fold, n_train, opt, err, errlen) != 0)
			goto done;
	}
	else if (use_split_conformal(data, train_rows, n_train, fold, opt))
	{
		res->split_conformal = true;
		if (fit_trees_split(m, T, ty, fold, n_train, opt, err, errlen) != 0)
			goto done;
	}
	else if (fit_trees(m, T, ty, fold, n_train, opt, err, errlen) != 0)
		goto done;
	if (opt->check_interrupts)
		opt->check_interrupts();

	qpm_metrics_init(&macc, res->n_test, opt->seed);
	for (i = 0; i < data->n; i++)
	{
		QpmPrediction pr;

		if (!row_is_test(data, i, opt))
			continue;
		qpm_model_predict(m, data->X + i * (size_t) p, &pr);
		qpm_metrics_add(&macc, exp(data->y[i]), pr.predicted_ms, pr.lower_ms, pr.upper_ms);
	}
	qpm_metrics_finish(&macc, &res->test);
	qpm_metrics_free(&macc);
	rc = 0;
done:
	qpm_free(train_rows);
	qpm_free(T);
	qpm_free(ty);
	qpm_free(fold);
	return rc;
}
