/*
 * sum_order.c — why predict() adds leaves in XGBoost's order (built and run
 * by sum_order.sh).  Trains XGBoost models (300 and 1000 rounds of depth 6,
 * a 100-tree random forest) on generated rows whose targets sit where
 * ln(ms) does, and compares XGBoost's own predictions on 5 000 new rows
 * with other orders of the same leaf additions: the sequential float sum
 * (XGBoost's order), the exact sum (in double) rounded to float, 16 float
 * lanes, 8 double lanes.  For each it prints the largest relative
 * difference from XGBoost, on the margin (ln ms) and on the prediction in
 * ms, and how many rows exceed 1e-6.  Benchmark only.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xgboost/c_api.h>

#include "forest.h"
#include "split.h"

#define ROWS 5000
#define P 12
#define ORDERS 4

static const char *const order_names[ORDERS] = {
	"XGBoost's (sequential float)", "exact, rounded to float", "16 float lanes", "8 double lanes"
};

/* Uniform in [0, 1) from the core's seeded generator. */
static double
unit_rand(uint64_t *s)
{
	return (double) (qpm_rand_next(s) >> 11) / 9007199254740992.0;
}

/* Rows like the parity tests' (test_forest.c), y shifted by shift. */
static void
make_rows(double *x, float *y, uint64_t seed, double shift)
{
	uint64_t	s = seed;
	int			i,
				j;

	for (i = 0; i < ROWS; i++)
	{
		double	   *r = x + (size_t) i * P;

		for (j = 0; j < P; j++)
		{
			double		u = unit_rand(&s);

			r[j] = j % 4 == 0 ? u * 10 - 5 : j % 4 == 1 ? exp(u * 12) : j % 4 == 2 ? floor(u * 8) : (u < 0.5);
			if (unit_rand(&s) < 0.06)
				r[j] = NAN;
		}
		if (y != NULL)
		{
			double		a = isnan(r[0]) ? 0 : r[0];
			double		b = isnan(r[1]) ? 1 : log(r[1]);
			double		c = isnan(r[2]) ? 3 : r[2];

			y[i] = (float) (shift + sin(a) * 2 + 0.3 * b + (c > 4 ? 1.5 : -0.5) +
							(r[3] == 1.0 ? 0.7 : 0) + 0.2 * (unit_rand(&s) - 0.5));
		}
	}
}

/* The leaf of one tree for row x: the canonical walk. */
static float
leaf_of(const QpmTreeNode *tree, const double *x)
{
	const QpmTreeNode *n = tree;

	while (n->left >= 0)
	{
		float		v = (float) x[n->feature];

		if (isnan(v))
			n = tree + (n->default_left ? n->left : n->right);
		else
			n = tree + (v < n->value ? n->left : n->right);
	}
	return n->value;
}

/* The prediction of forest f for x with the leaves added in order o. */
static double
sum_in_order(const QpmForest *f, const double *x, int o)
{
	float		seq = f->base_score;
	double		exact = f->base_score;
	float		fl[16] = {0};
	double		dl[8] = {0};
	int32_t		t;
	int			w,
				k;

	for (t = 0; t < f->n_trees; t++)
	{
		float		l = leaf_of(f->nodes + f->tree_offset[t], x);

		seq += l;
		exact += l;
		fl[t % 16] += l;
		dl[t % 8] += l;
	}
	for (w = 8; w >= 1; w /= 2)
		for (k = 0; k < w; k++)
			fl[k] += fl[k + w];
	for (w = 4; w >= 1; w /= 2)
		for (k = 0; k < w; k++)
			dl[k] += dl[k + w];
	switch (o)
	{
		case 0:
			return seq;
		case 1:
			return (float) exact;
		case 2:
			return (float) (f->base_score + fl[0]);
		default:
			return (float) (f->base_score + dl[0]);
	}
}

/* Train one model, predict new rows with XGBoost, compare every order. */
static void
run(const char *label, double shift, int rounds, const char *eta, int forest)
{
	static const char margin_cfg[] = "{\"type\": 1, \"training\": false, \"iteration_begin\": 0,"
		" \"iteration_end\": 0, \"strict_shape\": false}";
	double	   *x = malloc(sizeof(double) * ROWS * P);
	double	   *xt = malloc(sizeof(double) * ROWS * P);
	float	   *y = malloc(sizeof(float) * ROWS);
	float	   *xf = malloc(sizeof(float) * ROWS * P);
	double		mean = 0,
				worst[ORDERS][2] = {{0}};
	int			over[ORDERS][2] = {{0}};
	DMatrixHandle d,
				dt;
	BoosterHandle h;
	bst_ulong	n,
				dim;
	const bst_ulong *shape;
	const char **dump;
	const float *out;
	char		buf[64],
				err[256];
	QpmForest  *f;
	int			i,
				o;

	make_rows(x, y, 20240601, shift);
	make_rows(xt, NULL, 77, 0);
	for (i = 0; i < ROWS; i++)
		mean += y[i] / (double) ROWS;
	for (i = 0; i < ROWS * P; i++)
		xf[i] = (float) x[i];
	snprintf(buf, sizeof(buf), "%.9g", (double) (float) mean);
	XGDMatrixCreateFromMat(xf, ROWS, P, NAN, &d);
	XGDMatrixSetFloatInfo(d, "label", y, ROWS);
	XGBoosterCreate(&d, 1, &h);
	XGBoosterSetParam(h, "objective", "reg:squarederror");
	XGBoosterSetParam(h, "tree_method", "hist");
	XGBoosterSetParam(h, "max_depth", forest ? "10" : "6");
	XGBoosterSetParam(h, "eta", eta);
	XGBoosterSetParam(h, "subsample", "0.8");
	XGBoosterSetParam(h, "base_score", buf);
	XGBoosterSetParam(h, "nthread", "1");
	XGBoosterSetParam(h, "seed", "42");
	if (forest)
	{
		XGBoosterSetParam(h, "num_parallel_tree", "100");
		XGBoosterSetParam(h, "colsample_bynode", "0.8");
	}
	for (i = 0; i < rounds; i++)
		XGBoosterUpdateOneIter(h, i, d);
	XGBoosterDumpModelEx(h, "", 1, "text", &n, &dump);
	f = qpm_forest_from_xgb_dump(dump, (int32_t) n, P, (float) mean, err, sizeof(err));
	if (f == NULL)
	{
		fprintf(stderr, "sum_order: %s\n", err);
		exit(1);
	}
	for (i = 0; i < ROWS * P; i++)
		xf[i] = (float) xt[i];
	XGDMatrixCreateFromMat(xf, ROWS, P, NAN, &dt);
	XGBoosterPredictFromDMatrix(h, dt, margin_cfg, &shape, &dim, &out);
	for (i = 0; i < ROWS; i++)
		for (o = 0; o < ORDERS; o++)
		{
			double		v = sum_in_order(f, xt + (size_t) i * P, o);
			double		rel[2] = {fabs(v - out[i]) / fabs(out[i]), fabs(expm1(v - out[i]))};
			int			m;

			for (m = 0; m < 2; m++)
			{
				worst[o][m] = fmax(worst[o][m], rel[m]);
				over[o][m] += rel[m] > 1e-6;
			}
		}
	printf("%s: %d trees\n", label, f->n_trees);
	for (o = 0; o < ORDERS; o++)
		printf("  %-30s margin: max %.2g, %4d rows > 1e-6   ms: max %.2g, %4d rows > 1e-6\n",
			   order_names[o], worst[o][0], over[o][0], worst[o][1], over[o][1]);
	qpm_forest_free(f);
	XGBoosterFree(h);
	XGDMatrixFree(d);
	XGDMatrixFree(dt);
	free(x);
	free(xt);
	free(y);
	free(xf);
}

/* The models of the README's statement. */
int
main(void)
{
	run("gradient boosting, 300 rounds, ln(ms) about 4-14", 6, 300, "0.1", 0);
	run("gradient boosting, 300 rounds, ln(ms) about -2-8", 0, 300, "0.1", 0);
	run("gradient boosting, 1000 rounds, eta 0.05", 6, 1000, "0.05", 0);
	run("random forest, 100 trees of depth 10", 6, 1, "1", 1);
	return 0;
}
