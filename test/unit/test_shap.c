/*
 * test_shap.c — unit tests of explanations (src/core/shap.c).
 *
 * TreeSHAP is checked three ways: against a brute-force Shapley value
 * computed from its definition (every subset of features, the
 * path-dependent conditional expectation) on small hand-built forests that
 * repeat features along a path, send NaN to defaults and have a cold child
 * without cover; for additivity (bias + sum = the walker's prediction) on
 * thousands of rows of real models; and against XGBoost's own SHAP values
 * (XGBoosterPredictFromDMatrix, type 2) for a boosted model and a random
 * forest, per feature and bias.  The last is why this program links
 * -lxgboost, like test_forest.  Linear contributions, refusals and
 * importance have their own tests.
 */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>

#include "forest_fixture.h"
#include "shap.h"
#include "split.h"
#include "unit.h"
#include "xgb_fixture.h"

#define BF_FEATURES		4
#define PARITY_ROWS		2000
#define PARITY_FEATURES	12

/* Nodes with statistics (cover, gain), for SHAP and importance. */
static QpmTreeNode
split_stats(int32_t feature, float threshold, int32_t left, int32_t right,
			int dleft, float cover, float gain)
{
	QpmTreeNode n = split_node(feature, threshold, left, right, dleft);

	n.cover = cover;
	n.gain = gain;
	return n;
}

/* A leaf with its cover. */
static QpmTreeNode
leaf_stats(float value, float cover)
{
	QpmTreeNode n = leaf(value);

	n.cover = cover;
	return n;
}

/*
 * Three trees over 4 features, base 0.25:
 *   tree 0: f0 < 1 (NaN left, cover 10) ? (f1 < 0 (NaN right) ? 2 : -1)
 *           : (f0 < 3 (f0 again) ? 0.5 : (f2 < 5 ? 4 : -3))
 *   tree 1: f3 < 0 ? (f3 < -2 (f3 again, cold child without cover) ? 7 : 1)
 *           : -0.5
 *   tree 2: a single leaf 0.125
 */
static QpmForest *
hand_forest(void)
{
	QpmForest  *f = qpm_forest_alloc(3, 15, BF_FEATURES);
	QpmTreeNode *n = f->nodes;

	f->base_score = 0.25f;
	f->tree_offset[0] = 0;
	f->tree_offset[1] = 9;
	f->tree_offset[2] = 14;
	f->tree_offset[3] = 15;
	n[0] = split_stats(0, 1.0f, 1, 4, 1, 10.0f, 8.0f);
	n[1] = split_stats(1, 0.0f, 2, 3, 0, 4.0f, 2.0f);
	n[2] = leaf_stats(2.0f, 3.0f);
	n[3] = leaf_stats(-1.0f, 1.0f);
	n[4] = split_stats(0, 3.0f, 5, 6, 0, 6.0f, 4.0f);
	n[5] = leaf_stats(0.5f, 2.0f);
	n[6] = split_stats(2, 5.0f, 7, 8, 1, 4.0f, 6.0f);
	n[7] = leaf_stats(4.0f, 1.5f);
	n[8] = leaf_stats(-3.0f, 2.5f);
	n[9] = split_stats(3, 0.0f, 1, 4, 1, 8.0f, 5.0f);
	n[10] = split_stats(3, -2.0f, 2, 3, 0, 5.0f, 1.0f);
	n[11] = leaf_stats(7.0f, 0.0f);
	n[12] = leaf_stats(1.0f, 5.0f);
	n[13] = leaf_stats(-0.5f, 3.0f);
	n[14] = leaf_stats(0.125f, 8.0f);
	return f;
}

/* E[tree | x_S]: follow x on features in S, average by cover elsewhere. */
static double
cond_expectation(const QpmTreeNode *tree, int32_t i, const double *x, unsigned s)
{
	const QpmTreeNode *n = &tree[i];
	float		v;

	if (n->left < 0)
		return n->value;
	if (s & (1u << n->feature))
	{
		v = (float) x[n->feature];
		if (isnan(v))
			return cond_expectation(tree, n->default_left ? n->left : n->right, x, s);
		return cond_expectation(tree, v < n->value ? n->left : n->right, x, s);
	}
	return (tree[n->left].cover * cond_expectation(tree, n->left, x, s) +
			tree[n->right].cover * cond_expectation(tree, n->right, x, s)) / n->cover;
}

/* v(S) of the forest: base plus every tree's conditional expectation. */
static double
forest_value(const QpmForest *f, const double *x, unsigned s)
{
	double		sum = f->base_score;
	int32_t		t;

	for (t = 0; t < f->n_trees; t++)
		sum += cond_expectation(f->nodes + f->tree_offset[t], 0, x, s);
	return sum;
}

/* Shapley values by definition: every subset, weighted |S|! (M-|S|-1)! / M!. */
static void
brute_force_shap(const QpmForest *f, const double *x, double *phi)
{
	static const double fact[] = {1, 1, 2, 6, 24};
	int			m = f->n_features;
	int			j;
	unsigned	s;

	for (j = 0; j < m; j++)
	{
		phi[j] = 0;
		for (s = 0; s < (1u << m); s++)
		{
			int			size = __builtin_popcount(s);

			if (s & (1u << j))
				continue;
			phi[j] += fact[size] * fact[m - size - 1] / fact[m] *
				(forest_value(f, x, s | (1u << j)) - forest_value(f, x, s));
		}
	}
}

/* TreeSHAP equals the Shapley values by definition, and adds up. */
static void
test_brute_force(void)
{
	static const double xs[][BF_FEATURES] = {
		{0, -1, 0, -3}, {0, 1, 0, -1}, {2, 0, 9, 1}, {5, -1, 4, -2},
		{5, 1, 6, 0}, {NAN, NAN, NAN, NAN}, {1, 0, 5, -2}, {4, NAN, 1, NAN},
		{0.999999, 1e-30, 5.000001, -1.9999},
	};
	QpmForest  *f = hand_forest();
	char		err[256] = "";
	size_t		r;

	CHECK(qpm_forest_validate(f, err, sizeof(err)) == 0);
	for (r = 0; r < sizeof(xs) / sizeof(xs[0]); r++)
	{
		double		phi[BF_FEATURES];
		double		want[BF_FEATURES];
		double		bias = NAN;
		double		sum;
		int			j;

		CHECK(qpm_forest_shap(f, xs[r], phi, &bias, err, sizeof(err)) == 0);
		brute_force_shap(f, xs[r], want);
		sum = bias;
		for (j = 0; j < BF_FEATURES; j++)
		{
			CHECK_NEAR(phi[j], want[j], 1e-12);
			sum += phi[j];
		}
		CHECK_NEAR(bias, forest_value(f, xs[r], 0), 1e-12);
		CHECK_NEAR(sum, forest_value(f, xs[r], (1u << BF_FEATURES) - 1), 1e-12);
		CHECK_NEAR(sum, qpm_forest_predict(f, xs[r]), 1e-6);
	}
	/* f2 only matters on the right of f0 < 3: zero where x never gets there */
	{
		double		phi[BF_FEATURES];
		double		bias;

		CHECK(qpm_forest_shap(f, xs[0], phi, &bias, NULL, 0) == 0);
		CHECK(phi[2] != 0.0);	/* absent f0 still sends weight there */
	}
	qpm_forest_free(f);
}

/* Forests TreeSHAP must refuse, leaving zeros and a message. */
static void
test_refusals(void)
{
	QpmForest  *f = hand_forest();
	double		x[BF_FEATURES] = {0, 0, 0, 0};
	double		phi[BF_FEATURES] = {9, 9, 9, 9};
	double		bias = 9;
	char		err[256] = "";
	int32_t		depth = QPM_SHAP_MAX_DEPTH + 1;
	QpmForest  *chain;
	int32_t		d;

	/* parsed without statistics: splits have no cover (checked tree by tree) */
	for (d = 9; d < 14; d++)
		f->nodes[d].cover = 0.0f;
	CHECK(qpm_forest_shap(f, x, phi, &bias, err, sizeof(err)) == -1);
	CHECK(strcmp(err, "tree 1 node 0 has no cover: the forest lacks node statistics") == 0);
	CHECK(phi[0] == 0.0 && phi[3] == 0.0 && bias == 0.0);
	qpm_forest_free(f);
	f = hand_forest();
	CHECK(qpm_forest_shap(f, x, phi, &bias, err, sizeof(err)) == 0);

	/* covers edited so the children do not add up: fractions above 1 */
	f->nodes[11].cover = 7e30f;
	CHECK(qpm_forest_shap(f, x, phi, &bias, err, sizeof(err)) == -1);
	CHECK(strcmp(err, "tree 1 node 1: children covers 7e+30 and 5 do not add up to the node's 5") == 0);
	f->nodes[11].cover = 0.004f;	/* within the tolerance of float sums */
	CHECK(qpm_forest_shap(f, x, phi, &bias, err, sizeof(err)) == 0);
	qpm_forest_free(f);

	/* a chain deeper than the limit; one level less is fine */
	chain = qpm_forest_alloc(1, 2 * depth + 1, 1);
	for (d = 0; d < depth; d++)
	{
		chain->nodes[2 * d] = split_stats(0, (float) d, 2 * d + 1, 2 * d + 2, 0,
										 (float) (depth - d + 1), 1.0f);
		chain->nodes[2 * d + 1] = leaf_stats((float) d, 1.0f);
	}
	chain->nodes[2 * depth] = leaf_stats(-1.0f, 1.0f);
	chain->tree_offset[1] = 2 * depth + 1;
	CHECK(qpm_forest_validate(chain, err, sizeof(err)) == 0);
	CHECK(qpm_forest_shap(chain, x, phi, &bias, err, sizeof(err)) == -1);
	CHECK(strcmp(err, "tree 0 is deeper than 64 levels") == 0);
	qpm_forest_free(chain);
	depth = QPM_SHAP_MAX_DEPTH;
	chain = qpm_forest_alloc(1, 2 * depth + 1, 1);
	for (d = 0; d < depth; d++)
	{
		chain->nodes[2 * d] = split_stats(0, (float) d, 2 * d + 1, 2 * d + 2, 0,
										 (float) (depth - d + 1), 1.0f);
		chain->nodes[2 * d + 1] = leaf_stats((float) d, 1.0f);
	}
	chain->nodes[2 * depth] = leaf_stats(-1.0f, 1.0f);
	chain->tree_offset[1] = 2 * depth + 1;
	x[0] = 30.5;
	CHECK(qpm_forest_shap(chain, x, phi, &bias, err, sizeof(err)) == 0);
	CHECK_NEAR(bias + phi[0], qpm_forest_predict(chain, x), 1e-9);
	CHECK(phi[0] != 0.0);
	qpm_forest_free(chain);
}

/* Linear: coef x transformed value, bias the intercept; trees via the transform. */
static void
test_model_shap(void)
{
	const QpmFeatureSet *fs = qpm_feature_set_find(QPM_FS_STMT_STATS,
												   QPM_FS_STMT_STATS_VERSION);
	QpmModel	m;
	double		raw[QPM_MAX_FEATURES];
	double		xt[QPM_MAX_FEATURES];
	double		out[QPM_MAX_FEATURES];
	double		bias;
	double		sum;
	char		err[256] = "";
	int			n = fs->n_features;
	int			j;

	memset(&m, 0, sizeof(m));
	m.algorithm = QPM_ALG_LINEAR;
	m.feature_set = fs;
	m.transform.n_features = n;
	m.transform.standardize = 1;
	for (j = 0; j < n; j++)
	{
		m.transform.f[j].impute = 2.0 + j;
		m.transform.f[j].clip_lo = 0.0;
		m.transform.f[j].clip_hi = 100.0;
		m.transform.f[j].log1p = (uint8_t) (j % 2);
		m.transform.f[j].center = 1.0;
		m.transform.f[j].scale = 0.5 + j;
		m.linear.coef[j] = 0.3 * (j - 4);
		raw[j] = j % 3 == 0 ? NAN : 7.5 * j;
	}
	m.linear.intercept = 1.25;
	CHECK(qpm_model_shap(&m, raw, xt, out, &bias, err, sizeof(err)) == 0);
	CHECK(bias == 1.25);
	sum = bias;
	for (j = 0; j < n; j++)
	{
		double		want[QPM_MAX_FEATURES];

		qpm_transform_apply(&m.transform, raw, want);
		CHECK(xt[j] == want[j]);
		CHECK(out[j] == m.linear.coef[j] * want[j]);
		sum += out[j];
	}
	CHECK(out[4] == 0.0);		/* coefficient 0 */
	CHECK_NEAR(sum, qpm_model_predict_log(&m, raw), 1e-12);
	/* xt may be NULL */
	CHECK(qpm_model_shap(&m, raw, NULL, out, &bias, err, sizeof(err)) == 0);

	/* a tree model explains the transformed vector */
	m.algorithm = QPM_ALG_GRADIENT_BOOSTING;
	CHECK(qpm_model_shap(&m, raw, xt, out, &bias, err, sizeof(err)) == -1);
	CHECK(strcmp(err, "tree model without a forest of 12 features") == 0);
	{
		QpmForest  *f = qpm_forest_alloc(1, 3, n);

		f->nodes[0] = split_stats(5, 0.0f, 1, 2, 1, 10.0f, 3.0f);
		f->nodes[1] = leaf_stats(-1.0f, 4.0f);
		f->nodes[2] = leaf_stats(2.0f, 6.0f);
		f->tree_offset[1] = 3;
		f->base_score = 0.5f;
		m.forest = f;
		CHECK(qpm_model_shap(&m, raw, xt, out, &bias, err, sizeof(err)) == 0);
		/* xt[5] = (log1p(37.5) - 1) / 5.5 > 0: right, worth 2 - 0.8 */
		CHECK_NEAR(bias, 0.5 + 0.8, 1e-12);
		CHECK_NEAR(out[5], 2.0 - 0.8, 1e-12);
		CHECK(out[0] == 0.0 && out[11] == 0.0);
		CHECK_NEAR(bias + out[5], qpm_model_predict_log(&m, raw), 1e-6);
		qpm_model_release(&m);
	}
	m.algorithm = (QpmAlgorithm) 99;
	CHECK(qpm_model_shap(&m, raw, xt, out, &bias, err, sizeof(err)) == -1);
	CHECK(strcmp(err, "algorithm 99 cannot be explained") == 0);
}

/* Importance: gain per feature, |coef| for linear, both summing to 1. */
static void
test_importance(void)
{
	QpmForest  *f = hand_forest();
	double		imp[QPM_MAX_FEATURES];
	QpmModel	m;
	int			j;

	/* gains: f0 8 + 4, f1 2, f2 6, f3 5 + 1: total 26 */
	CHECK(qpm_forest_importance(f, imp) == 0);
	CHECK_NEAR(imp[0], 12.0 / 26, 1e-15);
	CHECK_NEAR(imp[1], 2.0 / 26, 1e-15);
	CHECK_NEAR(imp[2], 6.0 / 26, 1e-15);
	CHECK_NEAR(imp[3], 6.0 / 26, 1e-15);
	/* a negative gain counts as nothing */
	f->nodes[1].gain = -2.0f;
	CHECK(qpm_forest_importance(f, imp) == 0);
	CHECK(imp[1] == 0.0);
	CHECK_NEAR(imp[0] + imp[2] + imp[3], 1.0, 1e-15);
	/* no statistics: nothing to distribute */
	for (j = 0; j < f->n_nodes; j++)
		f->nodes[j].gain = 0.0f;
	CHECK(qpm_forest_importance(f, imp) == -1);
	CHECK(imp[0] == 0.0 && imp[3] == 0.0);

	memset(&m, 0, sizeof(m));
	m.algorithm = QPM_ALG_LINEAR;
	m.transform.n_features = 3;
	m.linear.coef[0] = -3.0;
	m.linear.coef[1] = 1.0;
	m.linear.coef[2] = 0.0;
	CHECK(qpm_model_importance(&m, imp) == 0);
	CHECK(imp[0] == 0.75 && imp[1] == 0.25 && imp[2] == 0.0);
	m.linear.coef[0] = m.linear.coef[1] = 0.0;
	CHECK(qpm_model_importance(&m, imp) == -1);
	m.algorithm = QPM_ALG_RANDOM_FOREST;
	CHECK(qpm_model_importance(&m, imp) == -1);	/* no forest */
	f->nodes[0].gain = 1.0f;
	m.forest = f;				/* 4 features, the transform has 3 */
	CHECK(qpm_model_importance(&m, imp) == -1);
	m.transform.n_features = BF_FEATURES;
	CHECK(qpm_model_importance(&m, imp) == 0);
	CHECK(imp[0] == 1.0);
	qpm_forest_free(f);
}

/* ---- real models: additivity and parity with XGBoost ---- */

/* Uniform in [0, 1) from the core's generator. */
static double
unit_rand(uint64_t *s)
{
	return (double) (qpm_rand_next(s) >> 11) / 9007199254740992.0;
}

/* Rows like test_forest's: mixed scales, discrete columns, NaN, all-NaN rows. */
static void
make_rows(double *x, float *y, int rows, uint64_t seed)
{
	uint64_t	s = seed;
	int			i;
	int			j;

	for (i = 0; i < rows; i++)
	{
		double	   *r = x + (size_t) i * PARITY_FEATURES;

		for (j = 0; j < PARITY_FEATURES; j++)
		{
			double		u = unit_rand(&s);

			switch (j % 4)
			{
				case 0:
					r[j] = u * 10.0 - 5.0;
					break;
				case 1:
					r[j] = exp(u * 12.0);
					break;
				case 2:
					r[j] = floor(u * 8.0);
					break;
				default:
					r[j] = u < 0.5 ? 0.0 : 1.0;
					break;
			}
			if (unit_rand(&s) < 0.06)
				r[j] = NAN;
		}
		if (i % 97 == 0)
			for (j = 0; j < PARITY_FEATURES; j++)
				r[j] = NAN;
		if (y != NULL)
		{
			double		a = isnan(r[0]) ? 0.0 : r[0];
			double		b = isnan(r[1]) ? 1.0 : log(r[1]);
			double		c = isnan(r[2]) ? 3.0 : r[2];

			y[i] = (float) (sin(a) * 2.0 + 0.3 * b + (c > 4.0 ? 1.5 : -0.5) +
							(r[3] == 1.0 ? 0.7 : 0.0) + 0.4 * a * (c > 2.0) +
							0.2 * (unit_rand(&s) - 0.5));
		}
	}
}

/*
 * Our SHAP values against XGBoost's (type 2: one column per feature, then
 * the bias) on rows, and additivity against the walker.  Prints the
 * largest differences; requires < 1e-4 for SHAP and bias.
 */
static void
compare_shap(const char *label, BoosterHandle h, const QpmForest *forest,
			 const double *x, int rows)
{
	static const char contrib_cfg[] =
		"{\"type\": 2, \"training\": false, \"iteration_begin\": 0,"
		" \"iteration_end\": 0, \"strict_shape\": false}";
	float	   *xf = as_float(x, rows, PARITY_FEATURES);
	DMatrixHandle d;
	const bst_ulong *shape;
	bst_ulong	dim;
	const float *out;
	double		max_feature = 0;
	double		max_bias = 0;
	double		max_additive = 0;
	double		max_additive_rel = 0;
	double		max_abs_shap = 0;
	int			failed = 0;
	int			i;
	int			j;

	if (!xgb_ok(XGDMatrixCreateFromMat(xf, (bst_ulong) rows, PARITY_FEATURES,
									   NAN, &d), "DMatrixCreateFromMat"))
		goto done;
	if (xgb_ok(XGBoosterPredictFromDMatrix(h, d, contrib_cfg, &shape, &dim, &out),
			   "PredictFromDMatrix"))
	{
		CHECK(dim == 2 && shape[0] == (bst_ulong) rows &&
			  shape[1] == PARITY_FEATURES + 1);
		for (i = 0; i < rows && !failed; i++)
		{
			const double *r = x + (size_t) i * PARITY_FEATURES;
			const float *theirs = out + (size_t) i * (PARITY_FEATURES + 1);
			double		phi[PARITY_FEATURES];
			double		bias;
			double		sum;
			double		pred;
			char		err[256] = "";

			if (qpm_forest_shap(forest, r, phi, &bias, err, sizeof(err)) != 0)
			{
				fprintf(stderr, "  %s row %d: %s\n", label, i, err);
				failed = 1;
				break;
			}
			sum = bias;
			for (j = 0; j < PARITY_FEATURES; j++)
			{
				max_feature = fmax(max_feature, fabs(phi[j] - (double) theirs[j]));
				max_abs_shap = fmax(max_abs_shap, fabs(phi[j]));
				sum += phi[j];
			}
			max_bias = fmax(max_bias, fabs(bias - (double) theirs[PARITY_FEATURES]));
			pred = (double) qpm_forest_predict(forest, r);
			max_additive = fmax(max_additive, fabs(sum - pred));
			max_additive_rel = fmax(max_additive_rel, fabs(sum - pred) / fmax(fabs(pred), 1.0));
		}
		CHECK(!failed);
		CHECK(max_feature < 1e-4);
		CHECK(max_bias < 1e-4);
		CHECK(max_additive_rel < 1e-5);
		CHECK(max_abs_shap > 0.1);	/* the comparison is not of zeros */
		printf("test_shap: %s: %d rows, max |SHAP - XGBoost| %.3g per feature, %.3g bias;"
			   " max |bias + sum - walker| %.3g (%.3g relative)\n",
			   label, rows, max_feature, max_bias, max_additive, max_additive_rel);
	}
	XGDMatrixFree(d);
done:
	free(xf);
}

/* Train with params for rounds, parse the dump with statistics, compare. */
static void
check_parity(const char *label, const char *const *params, int rounds)
{
	double	   *x = malloc(sizeof(double) * PARITY_ROWS * PARITY_FEATURES);
	double	   *xtest = malloc(sizeof(double) * PARITY_ROWS * PARITY_FEATURES);
	float	   *y = malloc(sizeof(float) * PARITY_ROWS);
	float	   *xf;
	DMatrixHandle dtrain = NULL;
	BoosterHandle h = NULL;
	bst_ulong	n_dump;
	const char **dump;
	QpmForest  *forest = NULL;
	double		imp[PARITY_FEATURES];
	char		err[256] = "";
	char		name[128];
	float		base;
	int			i;

	make_rows(x, y, PARITY_ROWS, 20240607);
	make_rows(xtest, NULL, PARITY_ROWS, 99);
	xf = as_float(x, PARITY_ROWS, PARITY_FEATURES);
	if (!xgb_ok(XGDMatrixCreateFromMat(xf, PARITY_ROWS, PARITY_FEATURES, NAN,
									   &dtrain), "DMatrixCreateFromMat") ||
		!xgb_ok(XGDMatrixSetFloatInfo(dtrain, "label", y, PARITY_ROWS), "SetFloatInfo") ||
		!xgb_ok(XGBoosterCreate(&dtrain, 1, &h), "BoosterCreate"))
		goto done;
	for (i = 0; params[i] != NULL; i += 2)
		if (!xgb_ok(XGBoosterSetParam(h, params[i], params[i + 1]), params[i]))
			goto done;
	for (i = 0; i < rounds; i++)
		if (!xgb_ok(XGBoosterUpdateOneIter(h, i, dtrain), "UpdateOneIter"))
			goto done;

	base = booster_base_score(h);
	CHECK(isfinite(base));
	if (!xgb_ok(XGBoosterDumpModelEx(h, "", 1, "text", &n_dump, &dump), "DumpModelEx"))
		goto done;
	forest = qpm_forest_from_xgb_dump(dump, (int32_t) n_dump, PARITY_FEATURES,
									  base, err, sizeof(err));
	CHECK(forest != NULL);
	if (forest == NULL)
	{
		fprintf(stderr, "  %s: dump refused: %s\n", label, err);
		goto done;
	}

	snprintf(name, sizeof(name), "%s, new rows", label);
	compare_shap(name, h, forest, xtest, PARITY_ROWS);
	snprintf(name, sizeof(name), "%s, training rows", label);
	compare_shap(name, h, forest, x, PARITY_ROWS);

	/* the features y depends on carry the gain */
	CHECK(qpm_forest_importance(forest, imp) == 0);
	CHECK(imp[0] > imp[5] && imp[1] > imp[5] && imp[2] > imp[5]);
	printf("test_shap: %s: importance f0 %.3f f1 %.3f f2 %.3f f3 %.3f, f5 %.3f\n",
		   label, imp[0], imp[1], imp[2], imp[3], imp[5]);

done:
	qpm_forest_free(forest);
	if (h != NULL)
		XGBoosterFree(h);
	if (dtrain != NULL)
		XGDMatrixFree(dtrain);
	free(xf);
	free(y);
	free(xtest);
	free(x);
}

/* Gradient boosting as src/xgb_train.c configures it. */
static void
test_xgboost_parity_boosting(void)
{
	static const char *const params[] = {
		"objective", "reg:squarederror", "tree_method", "hist",
		"max_depth", "6", "eta", "0.1", "seed", "42", "nthread", "1",
		"base_score", "1.25", NULL
	};

	check_parity("gradient boosting", params, 100);
}

/* Random forest: parallel trees, rows and columns sampled, deeper trees. */
static void
test_xgboost_parity_random_forest(void)
{
	static const char *const params[] = {
		"objective", "reg:squarederror", "tree_method", "hist",
		"max_depth", "8", "eta", "1", "seed", "42", "nthread", "1",
		"num_parallel_tree", "30", "subsample", "0.8", "colsample_bynode", "0.8",
		NULL
	};

	check_parity("random forest", params, 1);
}

/* Each test is independent; unit_report sums them. */
int
main(void)
{
	RUN(test_brute_force);
	RUN(test_refusals);
	RUN(test_model_shap);
	RUN(test_importance);
	RUN(test_xgboost_parity_boosting);
	RUN(test_xgboost_parity_random_forest);
	return unit_report("test_shap");
}
