/*
 * test_forest.c — unit tests of the tree ensemble (src/core/forest.c).
 *
 * Hand-built forests pin the walk's rules (x < threshold goes left, NaN
 * follows the default, inputs rounded to float), hand-written dumps pin the
 * parser, malformed dumps and forests must be refused with a message.  The
 * parity tests train real XGBoost models through its C API and require the
 * native walker to reproduce XGBoost's own predictions; that is the reason
 * this program alone links -lxgboost (see the Makefile).  predict() walks
 * the compact copy validate builds; the canonical walk it must equal bit
 * for bit is reached through a copy of the forest struct without it
 * (canonical_predict), and both are compared on hand-built, random and
 * XGBoost-trained forests.
 *
 * Dumps are passed as exact-size heap copies so a sanitizer build catches
 * any read past a string's end.
 */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>

#include "forest.h"
#include "forest_fixture.h"
#include "split.h"
#include "unit.h"
#include "xgb_fixture.h"

/*
 * Two trees over 3 features, base 0.5:
 *   tree 0: f0 < 0.5 (NaN left) ? 1.0 : 2.0
 *   tree 1: f1 < -1 (NaN right) ? (f2 < 3 (NaN left) ? 0.25 : 0.5) : -0.125
 */
static QpmForest *
small_forest(void)
{
	QpmForest  *f = qpm_forest_alloc(2, 8, 3);

	f->base_score = 0.5f;
	f->tree_offset[0] = 0;
	f->tree_offset[1] = 3;
	f->tree_offset[2] = 8;
	f->nodes[0] = split_node(0, 0.5f, 1, 2, 1);
	f->nodes[1] = leaf(1.0f);
	f->nodes[2] = leaf(2.0f);
	f->nodes[3] = split_node(1, -1.0f, 1, 4, 0);
	f->nodes[4] = split_node(2, 3.0f, 2, 3, 1);
	f->nodes[5] = leaf(0.25f);
	f->nodes[6] = leaf(0.5f);
	f->nodes[7] = leaf(-0.125f);
	return f;
}

/* Bitwise float equality (-0 differs from 0). */
static int
same_float(float a, float b)
{
	return memcmp(&a, &b, sizeof(float)) == 0;
}

/* Bitwise equality of two forests. */
static int
forests_equal(const QpmForest *a, const QpmForest *b)
{
	int32_t		i;

	if (a->n_trees != b->n_trees || a->n_nodes != b->n_nodes ||
		a->n_features != b->n_features || !same_float(a->base_score, b->base_score))
		return 0;
	for (i = 0; i <= a->n_trees; i++)
		if (a->tree_offset[i] != b->tree_offset[i])
			return 0;
	for (i = 0; i < a->n_nodes; i++)
	{
		const QpmTreeNode *x = &a->nodes[i];
		const QpmTreeNode *y = &b->nodes[i];

		if (x->left != y->left || x->right != y->right ||
			x->feature != y->feature || x->default_left != y->default_left ||
			!same_float(x->value, y->value) || !same_float(x->cover, y->cover) ||
			!same_float(x->gain, y->gain))
			return 0;
	}
	return 1;
}

/* f's prediction by the canonical walk: a struct copy without the compact one. */
static float
canonical_predict(const QpmForest *f, const double *x)
{
	QpmForest	plain = *f;

	plain.eval = NULL;
	return qpm_forest_predict(&plain, x);
}

/* Parse dumps given as literals, each through an exact-size heap copy. */
static QpmForest *
parse(const char *const *dumps, int32_t n, int32_t n_features, float base,
	  char *err, size_t errlen)
{
	char	  **copies = calloc((size_t) (n > 0 ? n : 1), sizeof(char *));
	QpmForest  *f;
	int32_t		i;

	for (i = 0; i < n; i++)
		copies[i] = dumps[i] ? strdup(dumps[i]) : NULL;
	f = qpm_forest_from_xgb_dump((const char *const *) copies, n, n_features,
								 base, err, errlen);
	for (i = 0; i < n; i++)
		free(copies[i]);
	free(copies);
	return f;
}

/* One tree's dump parsed alone. */
static QpmForest *
parse1(const char *dump, int32_t n_features, char *err, size_t errlen)
{
	return parse(&dump, 1, n_features, 0.0f, err, errlen);
}

/* Expect the dump (one tree) to be refused with a message starting with want. */
static int
rejects(const char *dump, int32_t n_features, const char *want)
{
	char		err[256] = "";
	QpmForest  *f = parse1(dump, n_features, err, sizeof(err));
	int			ok = f == NULL && strncmp(err, want, strlen(want)) == 0;

	if (!ok)
		fprintf(stderr, "  dump \"%s\": expected \"%s...\", got %s \"%s\"\n",
				dump, want, f ? "a forest" : "NULL", err);
	qpm_forest_free(f);
	return ok;
}

/* Expect validate to refuse f with a message starting with want. */
static int
invalid(QpmForest *f, const char *want)
{
	char		err[256] = "";
	int			rc = qpm_forest_validate(f, err, sizeof(err));
	int			ok = rc == -1 && strncmp(err, want, strlen(want)) == 0;

	if (!ok)
		fprintf(stderr, "  expected \"%s...\", got rc %d \"%s\"\n", want, rc, err);
	return ok;
}

/*
 * Write tree t of f back in XGBoost's text format with statistics (as
 * with_stats 1 prints them), ids = flat indexes (%.9g gives back the exact
 * float through strtof).
 */
static char *
dump_tree(const QpmForest *f, int32_t t)
{
	const QpmTreeNode *tree = f->nodes + f->tree_offset[t];
	int32_t		size = f->tree_offset[t + 1] - f->tree_offset[t];
	size_t		cap = 128 * (size_t) size + 1;
	char	   *out = malloc(cap);
	size_t		len = 0;
	int32_t		i;

	out[0] = '\0';
	for (i = 0; i < size; i++)
	{
		const QpmTreeNode *n = &tree[i];

		if (n->left < 0)
			len += (size_t) snprintf(out + len, cap - len, "%d:leaf=%.9g,cover=%.9g\n",
									 i, (double) n->value, (double) n->cover);
		else
			len += (size_t) snprintf(out + len, cap - len,
									 "%d:[f%d<%.9g] yes=%d,no=%d,missing=%d,gain=%.9g,cover=%.9g\n",
									 i, n->feature, (double) n->value, n->left,
									 n->right, n->default_left ? n->left : n->right,
									 (double) n->gain, (double) n->cover);
	}
	return out;
}

/* Dump every tree of f and parse the result: must give f back exactly. */
static int
redump_matches(const QpmForest *f)
{
	char	  **dumps = malloc(sizeof(char *) * (size_t) f->n_trees);
	char		err[256] = "";
	QpmForest  *g;
	int			ok;
	int32_t		t;

	for (t = 0; t < f->n_trees; t++)
		dumps[t] = dump_tree(f, t);
	g = qpm_forest_from_xgb_dump((const char *const *) dumps, f->n_trees,
								 f->n_features, f->base_score, err, sizeof(err));
	ok = g != NULL && forests_equal(f, g);
	if (g == NULL)
		fprintf(stderr, "  re-dump refused: %s\n", err);
	for (t = 0; t < f->n_trees; t++)
		free(dumps[t]);
	free(dumps);
	qpm_forest_free(g);
	return ok;
}

/* Known outputs of a hand-built forest, defaults and float rounding included. */
static void
test_hand_built(void)
{
	QpmForest  *f = small_forest();
	char		err[256] = "";
	double		x[3];

	CHECK(qpm_forest_validate(f, err, sizeof(err)) == 0);
	CHECK(err[0] == '\0');

	x[0] = 0;
	x[1] = -2;
	x[2] = 1;
	CHECK(qpm_forest_predict(f, x) == 0.5f + 1.0f + 0.25f);
	x[2] = 3;					/* equal to the threshold: goes right */
	CHECK(qpm_forest_predict(f, x) == 0.5f + 1.0f + 0.5f);
	x[0] = 0.5;
	x[1] = -1;
	CHECK(qpm_forest_predict(f, x) == 0.5f + 2.0f - 0.125f);

	/* NaN follows each node's default: left, right, left */
	x[0] = NAN;
	x[1] = NAN;
	x[2] = NAN;
	CHECK(qpm_forest_predict(f, x) == 0.5f + 1.0f - 0.125f);
	x[1] = -5;
	CHECK(qpm_forest_predict(f, x) == 0.5f + 1.0f + 0.25f);

	/* the input is rounded to float first, as XGBoost stores it */
	x[0] = 0.5 - 1e-12;			/* rounds to 0.5f: not < 0.5f */
	x[1] = -1.0 - 1e-12;
	x[2] = 0;
	CHECK(qpm_forest_predict(f, x) == 0.5f + 2.0f - 0.125f);
	x[0] = 0.5 - 1e-7;			/* a float below 0.5f */
	CHECK(qpm_forest_predict(f, x) == 0.5f + 1.0f - 0.125f);

	/* infinities and doubles beyond float range are ordinary numbers */
	x[0] = INFINITY;
	x[1] = -INFINITY;
	x[2] = 1e300;				/* rounds to +inf in float */
	CHECK(qpm_forest_predict(f, x) == 0.5f + 2.0f + 0.5f);
	x[0] = -1e300;
	x[2] = -DBL_MAX;
	CHECK(qpm_forest_predict(f, x) == 0.5f + 1.0f + 0.25f);

	/*
	 * The sum is in float, from base_score, tree by tree: floats near 1e8
	 * are 8 apart, so each + 3 rounds back to 1e8, where a double sum
	 * (1e8 + 6) would round to 1e8 + 8.
	 */
	f->base_score = 1e8f;
	f->nodes[1].value = 3.0f;
	f->nodes[5].value = 3.0f;
	x[0] = 0;
	x[1] = -2;
	x[2] = 0;
	CHECK(qpm_forest_validate(f, NULL, 0) == 0);	/* nodes changed */
	CHECK(qpm_forest_predict(f, x) == (1e8f + 3.0f) + 3.0f);
	CHECK((double) qpm_forest_predict(f, x) == 100000000.0);
	CHECK(redump_matches(f));
	qpm_forest_free(f);

	/* a forest of single-leaf trees is a constant */
	f = qpm_forest_alloc(3, 3, 1);
	f->tree_offset[1] = 1;
	f->tree_offset[2] = 2;
	f->tree_offset[3] = 3;
	f->nodes[0] = leaf(0.25f);
	f->nodes[1] = leaf(-0.5f);
	f->nodes[2] = leaf(2.0f);
	f->base_score = -1.0f;
	CHECK(qpm_forest_validate(f, NULL, 0) == 0);
	x[0] = NAN;
	CHECK(qpm_forest_predict(f, x) == 0.75f);
	CHECK(redump_matches(f));
	qpm_forest_free(f);
}

/* The node bound: a full tree of the depth, or two nodes per row at most. */
static void
test_node_bound(void)
{
	CHECK(qpm_tree_node_bound(6, 1000000) == 127);
	CHECK(qpm_tree_node_bound(20, 2000000) == 2097151);
	CHECK(qpm_tree_node_bound(20, 1000000) == 1999999);
	CHECK(qpm_tree_node_bound(20, 1000) == 1999);
	CHECK(qpm_tree_node_bound(1, 2) == 3);
	CHECK(qpm_tree_node_bound(10, 1) == 1);
	CHECK(qpm_tree_node_bound(10, 0) == 1);
	CHECK(qpm_tree_node_bound(0, 100) == 1);
	CHECK(qpm_tree_node_bound(63, (size_t) 1 << 40) == ((int64_t) 1 << 41) - 1);
	CHECK(qpm_tree_node_bound(70, SIZE_MAX) == INT64_MAX);
}

/* Allocation limits and the single-block layout. */
static void
test_alloc(void)
{
	QpmForest  *f;

	CHECK(qpm_forest_alloc(0, 1, 1) == NULL);
	CHECK(qpm_forest_alloc(-1, 1, 1) == NULL);
	CHECK(qpm_forest_alloc(QPM_FOREST_MAX_TREES + 1, QPM_FOREST_MAX_TREES + 1, 1) == NULL);
	CHECK(qpm_forest_alloc(2, 1, 1) == NULL);
	CHECK(qpm_forest_alloc(1, QPM_FOREST_MAX_NODES + 1, 1) == NULL);
	CHECK(qpm_forest_alloc(1, 1, 0) == NULL);
	qpm_forest_free(NULL);

	f = qpm_forest_alloc(2, 5, 4);
	CHECK(f != NULL);
	CHECK(f->n_trees == 2 && f->n_nodes == 5 && f->n_features == 4);
	CHECK(f->base_score == 0.0f);
	CHECK(f->tree_offset[2] == 0 && f->nodes[4].value == 0.0f);
	/* writing every entry stays inside the block (ASan checks) */
	memset(f->nodes, 0xff, sizeof(QpmTreeNode) * 5);
	memset(f->tree_offset, 0xff, sizeof(int32_t) * 3);
	qpm_forest_free(f);
}

/* Single-leaf trees, with and without the final newline. */
static void
test_parse_single_leaf(void)
{
	char		err[256] = "";
	const char *dumps[] = {"0:leaf=0.0746268705\n", "0:leaf=-2", "\n0:leaf=1e-05\n\n"};
	QpmForest  *f = parse(dumps, 3, 12, 0.5f, err, sizeof(err));
	double		x[12] = {0};

	CHECK(f != NULL);
	if (f == NULL)
	{
		fprintf(stderr, "  %s\n", err);
		return;
	}
	CHECK(f->n_trees == 3 && f->n_nodes == 3 && f->n_features == 12);
	CHECK(f->tree_offset[0] == 0 && f->tree_offset[1] == 1 &&
		  f->tree_offset[2] == 2 && f->tree_offset[3] == 3);
	CHECK(f->nodes[0].left == -1 && f->nodes[0].right == -1 &&
		  f->nodes[0].feature == -1 && f->nodes[0].default_left == 0);
	CHECK(same_float(f->nodes[0].value, strtof("0.0746268705", NULL)));
	CHECK(f->nodes[1].value == -2.0f);
	CHECK(same_float(f->nodes[2].value, 1e-05f));
	CHECK(qpm_forest_predict(f, x) == ((0.5f + strtof("0.0746268705", NULL)) - 2.0f) + 1e-05f);
	qpm_forest_free(f);
}

/*
 * Lines out of id order, ids with gaps (pruned nodes), negative and
 * exponent thresholds, both default directions: the renumbered tree is in
 * preorder with the structure intact.
 */
static void
test_parse_unordered(void)
{
	/* same tree as XGBoost would print it, then shuffled, with ids 0,1,2,5,6,9,10 */
	const char *dump =
		"\t\t10:leaf=0.5\n"
		"\t2:[f1<-1.5e-05] yes=5,no=6,missing=6\n"
		"\t1:leaf=-0.25\n"
		"0:[f0<1e-05] yes=1,no=2,missing=1\n"
		"\t\t5:leaf=1.25E+2\n"
		"\t\t6:[f2<-3] yes=9,no=10,missing=9\n"
		"\t\t\t9:leaf=-0\n";
	char		err[256] = "";
	QpmForest  *f = parse1(dump, 3, err, sizeof(err));
	const QpmTreeNode *n;
	double		x[3];

	CHECK(f != NULL);
	if (f == NULL)
	{
		fprintf(stderr, "  %s\n", err);
		return;
	}
	n = f->nodes;
	CHECK(f->n_nodes == 7 && f->tree_offset[1] == 7);
	/* preorder: 0, 1, 2, 5, 6, 9, 10 -> 0..6; left child right after its parent */
	CHECK(n[0].feature == 0 && n[0].left == 1 && n[0].right == 2 && n[0].default_left == 1);
	CHECK(same_float(n[0].value, 1e-05f));
	CHECK(n[1].left == -1 && n[1].value == -0.25f);
	CHECK(n[2].feature == 1 && n[2].left == 3 && n[2].right == 4 && n[2].default_left == 0);
	CHECK(same_float(n[2].value, -1.5e-05f));
	CHECK(n[3].left == -1 && n[3].value == 125.0f);
	CHECK(n[4].feature == 2 && n[4].left == 5 && n[4].right == 6 && n[4].default_left == 1);
	CHECK(n[4].value == -3.0f);
	CHECK(n[5].left == -1 && n[5].value == 0.0f && signbit(n[5].value));
	CHECK(n[6].left == -1 && n[6].value == 0.5f);

	x[0] = 0;
	x[1] = 0;
	x[2] = 0;
	CHECK(qpm_forest_predict(f, x) == -0.25f);
	x[0] = 1e-05;				/* not below the threshold */
	CHECK(qpm_forest_predict(f, x) == 0.5f);
	x[1] = -1e-4;
	CHECK(qpm_forest_predict(f, x) == 125.0f);
	x[1] = NAN;					/* f1 defaults right, f2 NaN defaults left */
	x[2] = NAN;
	CHECK(qpm_forest_predict(f, x) == 0.0f);
	x[0] = NAN;					/* f0 defaults left */
	CHECK(qpm_forest_predict(f, x) == -0.25f);
	CHECK(redump_matches(f));
	qpm_forest_free(f);
}

/* A dump exactly as XGBoost 1.7.4 printed it (tabs, 9 digits), two trees. */
static void
test_parse_real_format(void)
{
	const char *dumps[] = {
		"0:[f0<9.99999975e-06] yes=1,no=2,missing=2\n"
		"\t1:[f0<-2.49900007] yes=3,no=4,missing=4\n"
		"\t\t3:[f1<9.99999975e-06] yes=7,no=8,missing=8\n"
		"\t\t\t7:leaf=-1.49930763\n"
		"\t\t\t8:leaf=-1.78760207\n"
		"\t\t4:[f1<9.99999975e-06] yes=9,no=10,missing=10\n"
		"\t\t\t9:leaf=-1.20221293\n"
		"\t\t\t10:leaf=-1.47089005\n"
		"\t2:[f1<-1.01400006] yes=5,no=6,missing=6\n"
		"\t\t5:leaf=0.745614052\n"
		"\t\t6:leaf=0.433928579\n",
		"0:leaf=0.0523501895\n"
	};
	char		err[256] = "";
	QpmForest  *f = parse(dumps, 2, 12, 0.5f, err, sizeof(err));
	double		x[12] = {0};

	CHECK(f != NULL);
	if (f == NULL)
	{
		fprintf(stderr, "  %s\n", err);
		return;
	}
	CHECK(f->n_nodes == 12 && f->tree_offset[1] == 11 && f->tree_offset[2] == 12);
	x[0] = -3;
	x[1] = -2;
	CHECK(qpm_forest_predict(f, x) ==
		  (0.5f + strtof("-1.49930763", NULL)) + strtof("0.0523501895", NULL));
	x[0] = NAN;					/* missing=2: right */
	x[1] = NAN;
	CHECK(qpm_forest_predict(f, x) ==
		  (0.5f + strtof("0.433928579", NULL)) + strtof("0.0523501895", NULL));
	CHECK(redump_matches(f));
	qpm_forest_free(f);
}

/*
 * Statistics as XGBoost 1.7.4 prints them with with_stats 1 (this dump is
 * its output, trimmed to two trees): gain on splits, cover on every node.
 * The same dump without them gives the same walk, with covers and gains 0.
 */
static void
test_parse_stats(void)
{
	const char *with[] = {
		"0:[f0<0.344250947] yes=1,no=2,missing=1,gain=518.323608,cover=500\n"
		"\t1:[f0<0.0587232448] yes=3,no=4,missing=3,gain=21.5750141,cover=196\n"
		"\t\t3:leaf=-0.0987428278,cover=2\n"
		"\t\t4:leaf=0.13101615,cover=194\n"
		"\t2:[f1<0.501835346] yes=5,no=6,missing=5,gain=30.8889923,cover=304\n"
		"\t\t5:leaf=0.17274271,cover=89.5\n"
		"\t\t6:leaf=0.449427605,cover=214.5\n",
		"0:leaf=-0,cover=500\n"
	};
	const char *without[] = {
		"0:[f0<0.344250947] yes=1,no=2,missing=1\n"
		"\t1:[f0<0.0587232448] yes=3,no=4,missing=3\n"
		"\t\t3:leaf=-0.0987428278\n"
		"\t\t4:leaf=0.13101615\n"
		"\t2:[f1<0.501835346] yes=5,no=6,missing=5\n"
		"\t\t5:leaf=0.17274271\n"
		"\t\t6:leaf=0.449427605\n",
		"0:leaf=-0\n"
	};
	const char *mixed_trees[] = {"0:leaf=1,cover=3\n", "0:leaf=2\n"};
	char		err[256] = "";
	QpmForest  *f = parse(with, 2, 3, 0.5f, err, sizeof(err));
	QpmForest  *g = parse(without, 2, 3, 0.5f, err, sizeof(err));
	const QpmTreeNode *n;
	int32_t		i;

	CHECK(f != NULL && g != NULL);
	if (f == NULL || g == NULL)
	{
		fprintf(stderr, "  %s\n", err);
		qpm_forest_free(f);
		qpm_forest_free(g);
		return;
	}
	n = f->nodes;
	/* preorder: ids 0, 1, 3, 4, 2, 5, 6, then tree 1 */
	CHECK(same_float(n[0].gain, strtof("518.323608", NULL)) && n[0].cover == 500.0f);
	CHECK(same_float(n[1].gain, strtof("21.5750141", NULL)) && n[1].cover == 196.0f);
	CHECK(n[2].gain == 0.0f && n[2].cover == 2.0f);
	CHECK(n[3].gain == 0.0f && n[3].cover == 194.0f);
	CHECK(same_float(n[4].gain, strtof("30.8889923", NULL)) && n[4].cover == 304.0f);
	CHECK(n[5].cover == 89.5f && n[6].cover == 214.5f);
	CHECK(n[7].cover == 500.0f && n[7].gain == 0.0f);
	CHECK(redump_matches(f));
	CHECK(redump_matches(g));
	/* without statistics: the same forest, covers and gains 0 */
	for (i = 0; i < f->n_nodes; i++)
	{
		CHECK(g->nodes[i].cover == 0.0f && g->nodes[i].gain == 0.0f);
		g->nodes[i].cover = f->nodes[i].cover;
		g->nodes[i].gain = f->nodes[i].gain;
	}
	CHECK(forests_equal(f, g));
	qpm_forest_free(f);
	qpm_forest_free(g);

	/* malformed or partial statistics */
	CHECK(rejects("0:[f0<1] yes=1,no=2,missing=1,gain=2,cover=3\n1:leaf=1,cover=1\n2:leaf=2", 3,
				  "tree 0 line 3: statistics (gain, cover) on some lines only"));
	CHECK(rejects("0:[f0<1] yes=1,no=2,missing=1\n1:leaf=1,cover=1\n2:leaf=2", 3,
				  "tree 0 line 2: statistics (gain, cover) on some lines only"));
	CHECK(parse(mixed_trees, 2, 3, 0.0f, err, sizeof(err)) == NULL);
	CHECK(strcmp(err, "tree 1 line 1: statistics (gain, cover) on some lines only") == 0);
	CHECK(rejects("0:leaf=1,cover=-1", 3,
				  "tree 0 line 1: expected a finite cover >= 0 after \",cover=\""));
	CHECK(rejects("0:leaf=1,cover=nan", 3, "tree 0 line 1: expected a finite cover"));
	CHECK(rejects("0:leaf=1,cover=1e39", 3, "tree 0 line 1: expected a finite cover"));
	CHECK(rejects("0:leaf=1,cover=", 3, "tree 0 line 1: expected a finite cover"));
	CHECK(rejects("0:leaf=1,cover=2,gain=1", 3, "tree 0 line 1: expected the end of the line"));
	CHECK(rejects("0:leaf=1,cover=2 ", 3, "tree 0 line 1: expected the end of the line"));
	CHECK(rejects("0:[f0<1] yes=1,no=2,missing=1,gain=2\n1:leaf=1,cover=1\n2:leaf=2,cover=1", 3,
				  "tree 0 line 1: expected \",cover=\" after the gain"));
	CHECK(rejects("0:[f0<1] yes=1,no=2,missing=1,cover=2\n1:leaf=1,cover=1\n2:leaf=2,cover=1", 3,
				  "tree 0 line 1: expected the end of the line"));
	CHECK(rejects("0:[f0<1] yes=1,no=2,missing=1,gain=inf,cover=2\n1:leaf=1,cover=1\n2:leaf=2,cover=1", 3,
				  "tree 0 line 1: expected a finite gain"));
	CHECK(rejects("0:[f0<1] yes=1,no=2,missing=1,gain=1,cover=-0.5\n1:leaf=1,cover=1\n2:leaf=2,cover=1", 3,
				  "tree 0 line 1: expected a finite cover >= 0"));
}

/* Every malformed line or tree is refused, with a message that says where. */
static void
test_parse_rejects(void)
{
	/* empty input */
	CHECK(rejects("", 3, "tree 0 is empty"));
	CHECK(rejects("\n\n", 3, "tree 0 is empty"));

	/* numbers */
	CHECK(rejects("0:leaf=nan", 3, "tree 0 line 1: expected a finite leaf value"));
	CHECK(rejects("0:leaf=-inf", 3, "tree 0 line 1: expected a finite leaf value"));
	CHECK(rejects("0:leaf=1e39", 3, "tree 0 line 1: expected a finite leaf value"));
	CHECK(rejects("0:leaf=0x1p3", 3, "tree 0 line 1: expected the end of the line"));
	CHECK(rejects("0:leaf= 1", 3, "tree 0 line 1: expected a finite leaf value"));
	CHECK(rejects("0:leaf=", 3, "tree 0 line 1: expected a finite leaf value"));
	CHECK(rejects("0:leaf=--1", 3, "tree 0 line 1: expected a finite leaf value"));
	CHECK(rejects("0:leaf=1e", 3, "tree 0 line 1: expected a finite leaf value"));
	CHECK(rejects("0:leaf=1.5.5", 3, "tree 0 line 1: expected a finite leaf value"));
	CHECK(rejects("0:leaf=0.0000000000000000000000000000000000000000000000000000000000000001", 3,
				  "tree 0 line 1: expected a finite leaf value"));
	CHECK(rejects("0:[f0<nan] yes=1,no=2,missing=1\n1:leaf=1\n2:leaf=2", 3,
				  "tree 0 line 1: expected a finite threshold"));
	CHECK(rejects("0:[f0<1e400] yes=1,no=2,missing=1\n1:leaf=1\n2:leaf=2", 3,
				  "tree 0 line 1: expected a finite threshold"));

	/* syntax */
	CHECK(rejects("hello", 3, "tree 0 line 1: expected a node id"));
	CHECK(rejects("-1:leaf=1", 3, "tree 0 line 1: expected a node id"));
	CHECK(rejects("0 leaf=1", 3, "tree 0 line 1: expected ':'"));
	CHECK(rejects("0:leaf=1,gain=3", 3, "tree 0 line 1: expected the end of the line"));
	CHECK(rejects("0:leaf=1\r\n", 3, "tree 0 line 1: expected the end of the line"));
	CHECK(rejects("0:leaf=1 ", 3, "tree 0 line 1: expected the end of the line"));
	CHECK(rejects("0:[x0<1] yes=1,no=2,missing=1", 3, "tree 0 line 1: expected \"leaf=\""));
	CHECK(rejects("0:[f<1] yes=1,no=2,missing=1", 3, "tree 0 line 1: expected a feature index"));
	CHECK(rejects("0:[f0>1] yes=1,no=2,missing=1", 3, "tree 0 line 1: expected '<'"));
	CHECK(rejects("0:[f0<1]yes=1,no=2,missing=1", 3, "tree 0 line 1: expected \"] yes=\""));
	CHECK(rejects("0:[f0<1] yes=1,no=", 3, "tree 0 line 1: expected a node id after \"no=\""));
	CHECK(rejects("0:[f0<1] yes=1,no=2", 3, "tree 0 line 1: expected \",missing=\""));
	CHECK(rejects("0:[f0<1] yes=1", 3, "tree 0 line 1: expected \",no=\""));
	CHECK(rejects("0:[f0<1] yes=1,no=2,missing=", 3,
				  "tree 0 line 1: expected a node id after \"missing=\""));
	CHECK(rejects("0:leaf=1\n\t  1:leaf=2", 3, "tree 0 line 2: expected a node id"));
	CHECK(rejects("\n\n0:leaf=1\n\nX", 3, "tree 0 line 5: expected a node id"));

	/* integer overflow */
	CHECK(rejects("99999999999:leaf=1", 3, "tree 0 line 1: expected a node id"));
	CHECK(rejects("2147483648:leaf=1", 3, "tree 0 line 1: expected a node id"));
	CHECK(rejects("0:[f99999999999<1] yes=1,no=2,missing=1", 3,
				  "tree 0 line 1: expected a feature index"));
	CHECK(rejects("0:[f0<1] yes=4294967297,no=2,missing=1", 3,
				  "tree 0 line 1: expected a node id after \"yes=\""));

	/* features */
	CHECK(rejects("0:[f3<1] yes=1,no=2,missing=1\n1:leaf=1\n2:leaf=2", 3,
				  "tree 0 line 1: feature f3 out of range (3 features)"));
	CHECK(rejects("0:[f2147483647<1] yes=1,no=2,missing=1\n1:leaf=1\n2:leaf=2", 3,
				  "tree 0 line 1: feature f2147483647 out of range"));

	/* structure */
	CHECK(rejects("0:[f0<1] yes=1,no=2,missing=7\n1:leaf=1\n2:leaf=2", 3,
				  "tree 0 line 1: missing=7 is neither yes=1 nor no=2"));
	CHECK(rejects("0:[f0<1] yes=1,no=2,missing=1\n1:leaf=1\n", 3,
				  "tree 0 line 1: child node 2 does not exist"));
	CHECK(rejects("0:[f0<1] yes=5,no=2,missing=2\n1:leaf=1\n2:leaf=2", 3,
				  "tree 0 line 1: child node 5 does not exist"));
	CHECK(rejects("0:leaf=1\n0:leaf=2", 3, "tree 0: node id 0 appears twice (lines 1 and 2)"));
	CHECK(rejects("0:[f0<1] yes=1,no=2,missing=1\n2:leaf=1\n1:leaf=1\n2:leaf=3", 3,
				  "tree 0: node id 2 appears twice"));
	CHECK(rejects("1:leaf=1", 3, "tree 0 has no node 0"));
	CHECK(rejects("1:[f0<1] yes=2,no=3,missing=2\n2:leaf=1\n3:leaf=2", 3, "tree 0 has no node 0"));
	CHECK(rejects("0:leaf=1\n1:leaf=2", 3, "tree 0 line 2: node 1 is not reachable from node 0"));
	/* self loop, loop back to the root, loop below it */
	CHECK(rejects("0:[f0<1] yes=0,no=1,missing=0\n1:leaf=1", 3,
				  "tree 0 line 1: node 0 is reached twice"));
	CHECK(rejects("0:[f0<1] yes=1,no=2,missing=1\n1:[f1<2] yes=3,no=0,missing=3\n"
				  "2:leaf=2\n3:leaf=3", 3, "tree 0 line 2: node 0 is reached twice"));
	CHECK(rejects("0:[f0<1] yes=1,no=2,missing=1\n1:[f1<2] yes=3,no=4,missing=3\n"
				  "2:leaf=2\n3:leaf=3\n4:[f2<1] yes=1,no=5,missing=5\n5:leaf=5", 3,
				  "tree 0 line 5: node 1 is reached twice"));
	/* a cycle that the root does not reach */
	CHECK(rejects("0:leaf=0\n1:[f0<1] yes=2,no=3,missing=2\n2:[f0<1] yes=1,no=4,missing=1\n"
				  "3:leaf=3\n4:leaf=4", 3, "tree 0 line 2: node 1 is not reachable"));
	/* shared children */
	CHECK(rejects("0:[f0<1] yes=1,no=1,missing=1\n1:leaf=1", 3,
				  "tree 0 line 1: node 1 is reached twice"));
	CHECK(rejects("0:[f0<1] yes=1,no=2,missing=1\n1:[f1<2] yes=3,no=4,missing=3\n"
				  "2:[f1<2] yes=4,no=5,missing=4\n3:leaf=3\n4:leaf=4\n5:leaf=5", 3,
				  "tree 0 line 3: node 4 is reached twice"));
}

/* Whole-dump errors: counts, arguments, the second tree failing, limits. */
static void
test_parse_rejects_dump(void)
{
	char		err[256];
	const char *good = "0:leaf=1\n";
	const char *two[] = {"0:leaf=1\n", "0:leaf=x"};
	const char *with_null[] = {"0:leaf=1\n", NULL};
	char	   *big;
	const char **many;
	size_t		line_len = strlen(good);
	size_t		i;
	QpmForest  *f;

	strcpy(err, "");
	CHECK(parse(two, 2, 3, 0.0f, err, sizeof(err)) == NULL);
	CHECK(strcmp(err, "tree 1 line 1: expected a finite leaf value") == 0);
	CHECK(parse(with_null, 2, 3, 0.0f, err, sizeof(err)) == NULL);
	CHECK(strcmp(err, "tree 1 is missing") == 0);
	CHECK(qpm_forest_from_xgb_dump(NULL, 1, 3, 0.0f, err, sizeof(err)) == NULL);
	CHECK(strcmp(err, "no dump") == 0);
	CHECK(qpm_forest_from_xgb_dump(&good, 0, 3, 0.0f, err, sizeof(err)) == NULL);
	CHECK(strncmp(err, "dump has 0 trees", 16) == 0);
	CHECK(qpm_forest_from_xgb_dump(&good, -5, 3, 0.0f, err, sizeof(err)) == NULL);
	CHECK(qpm_forest_from_xgb_dump(&good, QPM_FOREST_MAX_TREES + 1, 3, 0.0f,
								   err, sizeof(err)) == NULL);
	CHECK(strncmp(err, "dump has 100001 trees, need 1 to 100000", 39) == 0);
	CHECK(qpm_forest_from_xgb_dump(&good, 1, 0, 0.0f, err, sizeof(err)) == NULL);
	CHECK(strncmp(err, "forest needs at least one feature", 33) == 0);
	CHECK(qpm_forest_from_xgb_dump(&good, 1, 3, NAN, err, sizeof(err)) == NULL);
	CHECK(strcmp(err, "base score nan is not finite") == 0);
	CHECK(qpm_forest_from_xgb_dump(&good, 1, 3, INFINITY, err, sizeof(err)) == NULL);

	/* err may be NULL or short */
	CHECK(parse(two, 2, 3, 0.0f, NULL, 0) == NULL);
	memset(err, 'Z', sizeof(err));
	CHECK(parse(two, 2, 3, 0.0f, err, 7) == NULL);
	CHECK(strcmp(err, "tree 1") == 0);

	/* one tree with one line too many; then trees that together are too many */
	big = malloc(line_len * ((size_t) QPM_FOREST_MAX_TREE_NODES + 1) + 1);
	for (i = 0; i <= (size_t) QPM_FOREST_MAX_TREE_NODES; i++)
		memcpy(big + i * line_len, good, line_len);
	big[line_len * ((size_t) QPM_FOREST_MAX_TREE_NODES + 1)] = '\0';
	CHECK(qpm_forest_from_xgb_dump((const char *const *) &big, 1, 3, 0.0f,
								   err, sizeof(err)) == NULL);
	CHECK(strcmp(err, "tree 0 has more than 1048576 nodes") == 0);
	big[line_len * (size_t) QPM_FOREST_MAX_TREE_NODES] = '\0';	/* exactly the limit */
	many = malloc(sizeof(char *) * 17);
	for (i = 0; i < 17; i++)
		many[i] = big;
	CHECK(qpm_forest_from_xgb_dump(many, 17, 3, 0.0f, err, sizeof(err)) == NULL);
	CHECK(strcmp(err, "dump has more than 16777216 nodes") == 0);
	/* the limit itself parses (a million duplicate ids: refused, but after counting) */
	f = qpm_forest_from_xgb_dump(many, 1, 3, 0.0f, err, sizeof(err));
	CHECK(f == NULL);
	CHECK(strncmp(err, "tree 0: node id 0 appears twice", 31) == 0);
	free(many);
	free(big);
}

/* A deep chain (one split per level, a million levels) parses and walks. */
static void
test_parse_deep_chain(void)
{
	int32_t		depth = QPM_FOREST_MAX_TREE_NODES / 2 - 1;	/* 2 depth + 1 nodes */
	size_t		cap = 64 * (size_t) (2 * depth + 1) + 1;
	char	   *dump = malloc(cap);
	size_t		len = 0;
	char		err[256] = "";
	QpmForest  *f;
	double		x[1];
	int32_t		d;

	/* node 2d: x < d goes to leaf 2d+1 (value d), else on to node 2d+2 */
	for (d = 0; d < depth; d++)
		len += (size_t) snprintf(dump + len, cap - len,
								 "%d:[f0<%d] yes=%d,no=%d,missing=%d\n%d:leaf=%d\n",
								 2 * d, d, 2 * d + 1, 2 * d + 2, 2 * d + 2,
								 2 * d + 1, d);
	snprintf(dump + len, cap - len, "%d:leaf=-1\n", 2 * depth);
	f = qpm_forest_from_xgb_dump((const char *const *) &dump, 1, 1, 0.0f,
								 err, sizeof(err));
	CHECK(f != NULL);
	if (f != NULL)
	{
		CHECK(f->n_nodes == 2 * depth + 1);
		x[0] = 100.5;			/* first below d = 101 */
		CHECK(qpm_forest_predict(f, x) == 101.0f);
		CHECK(canonical_predict(f, x) == 101.0f);
		x[0] = NAN;				/* always right: to the bottom */
		CHECK(qpm_forest_predict(f, x) == -1.0f);
		CHECK(canonical_predict(f, x) == -1.0f);
		qpm_forest_free(f);
	}
	else
		fprintf(stderr, "  %s\n", err);
	free(dump);
}

/* validate refuses each kind of broken forest with its own message. */
static void
test_validate_rejects(void)
{
	QpmForest  *f = small_forest();
	QpmTreeNode saved;
	int32_t		n;

	CHECK(invalid(NULL, "no forest"));
	CHECK(qpm_forest_validate(NULL, NULL, 0) == -1);

	/* cycles: a child at or before its parent */
	saved = f->nodes[4];
	f->nodes[4].left = 0;		/* back to the root of tree 1 */
	CHECK(invalid(f, "tree 1 node 1: children 0, 3 must lie after it"));
	f->nodes[4].left = 1;		/* itself */
	CHECK(invalid(f, "tree 1 node 1: children 1, 3"));
	f->nodes[4] = saved;

	/* children outside the tree */
	f->nodes[0].right = 3;		/* tree 0 has 3 nodes */
	CHECK(invalid(f, "tree 0 node 0: children 1, 3 must lie after it and inside the tree (3 nodes)"));
	f->nodes[0].right = -2;
	CHECK(invalid(f, "tree 0 node 0: children 1, -2"));
	f->nodes[0].right = INT32_MAX;
	CHECK(invalid(f, "tree 0 node 0: children"));
	f->nodes[0].right = 2;

	/* shared child, unreachable node */
	f->nodes[3].right = 1;		/* node 1 of tree 1 is also its left */
	CHECK(invalid(f, "tree 1 node 0: a child has two parents"));
	f->nodes[3].right = 4;
	f->nodes[4].right = 2;		/* node 2 twice, node 3 orphaned */
	CHECK(invalid(f, "tree 1 node 1: a child has two parents"));
	f->nodes[4].right = 3;
	saved = f->nodes[3];
	f->nodes[3] = leaf(1.0f);	/* root a leaf: the rest is unreachable */
	CHECK(invalid(f, "tree 1 node 1 is not reachable from the root"));
	f->nodes[3] = saved;

	/* features */
	f->nodes[4].feature = 3;
	CHECK(invalid(f, "tree 1 node 1: feature 3 out of range (3 features)"));
	f->nodes[4].feature = -1;
	CHECK(invalid(f, "tree 1 node 1: feature -1 out of range"));
	f->nodes[4].feature = 2;

	/* leaf markers and flags */
	f->nodes[5].right = 0;
	CHECK(invalid(f, "tree 1 node 2: leaf with right child 0, feature -1, default 0"));
	f->nodes[5].right = -1;
	f->nodes[5].feature = 0;
	CHECK(invalid(f, "tree 1 node 2: leaf with right child -1, feature 0"));
	f->nodes[5].feature = -1;
	f->nodes[5].default_left = 1;
	CHECK(invalid(f, "tree 1 node 2: leaf with"));
	f->nodes[5].default_left = 0;
	f->nodes[3].default_left = 2;
	CHECK(invalid(f, "tree 1 node 0: default direction 2 is not 0 or 1"));
	f->nodes[3].default_left = 0;

	/* values */
	f->nodes[3].value = NAN;
	CHECK(invalid(f, "tree 1 node 0: threshold nan is not finite"));
	f->nodes[3].value = -1.0f;
	f->nodes[7].value = INFINITY;
	CHECK(invalid(f, "tree 1 node 4: leaf value inf is not finite"));
	f->nodes[7].value = -0.125f;
	f->base_score = -INFINITY;
	CHECK(invalid(f, "base score -inf is not finite"));
	f->base_score = 0.5f;

	/* statistics */
	f->nodes[3].cover = -1.0f;
	CHECK(invalid(f, "tree 1 node 0: cover -1 is not finite and >= 0"));
	f->nodes[3].cover = NAN;
	CHECK(invalid(f, "tree 1 node 0: cover nan is not finite"));
	f->nodes[3].cover = 10.0f;
	f->nodes[7].cover = INFINITY;
	CHECK(invalid(f, "tree 1 node 4: cover inf is not finite"));
	f->nodes[7].cover = 0.0f;
	f->nodes[4].gain = -INFINITY;
	CHECK(invalid(f, "tree 1 node 1: gain -inf is not finite"));
	f->nodes[4].gain = -2.5f;	/* a negative split gain is legal */
	CHECK(qpm_forest_validate(f, NULL, 0) == 0);
	f->nodes[4].gain = 0.0f;
	f->nodes[6].gain = 1.0f;
	CHECK(invalid(f, "tree 1 node 3: leaf with gain 1, need 0"));
	f->nodes[6].gain = 0.0f;

	/* offsets and counts */
	f->tree_offset[0] = 1;
	CHECK(invalid(f, "first tree starts at node 1, not 0"));
	f->tree_offset[0] = 0;
	f->tree_offset[1] = 0;
	CHECK(invalid(f, "tree 0 spans nodes 0 to 0"));
	f->tree_offset[1] = 9;
	CHECK(invalid(f, "tree 0 spans nodes 0 to 9"));
	f->tree_offset[1] = INT32_MIN;
	CHECK(invalid(f, "tree 0 spans nodes 0 to -2147483648"));
	f->tree_offset[1] = 3;
	f->tree_offset[2] = 7;
	CHECK(invalid(f, "trees cover 7 nodes, forest has 8"));
	f->tree_offset[2] = 8;
	n = f->n_trees;
	f->n_trees = 0;
	CHECK(invalid(f, "forest has 0 trees, need 1 to 100000"));
	f->n_trees = n;
	f->n_nodes = 1;
	CHECK(invalid(f, "forest has 1 nodes, need 2 to 16777216"));
	f->n_nodes = 8;
	f->n_features = 0;
	CHECK(invalid(f, "forest has 0 features"));
	f->n_features = 3;

	CHECK(qpm_forest_validate(f, NULL, 0) == 0);
	qpm_forest_free(f);
}

/* ---- the compact walk against the canonical one ---- */

/* Uniform in [0, 1) from the core's generator. */
static double
unit_rand(uint64_t *s)
{
	return (double) (qpm_rand_next(s) >> 11) / 9007199254740992.0;
}

/*
 * A row for f, each feature drawn from what could make the walks differ:
 * NaN (when nan_ok), infinities, doubles beyond float range, some node's
 * value exactly, one float step either side of it, or a double that rounds
 * to it, and plain numbers.
 */
static void
random_row(const QpmForest *f, uint64_t *s, double *x, int nan_ok)
{
	int32_t		j;

	for (j = 0; j < f->n_features; j++)
	{
		double		u = unit_rand(s);
		float		v = f->nodes[qpm_rand_next(s) % (uint64_t) f->n_nodes].value;

		if (u < 0.1 && !nan_ok)
			x[j] = (double) v;
		else if (u < 0.1)
			x[j] = NAN;
		else if (u < 0.15)
			x[j] = u < 0.125 ? INFINITY : -INFINITY;
		else if (u < 0.2)
			x[j] = u < 0.175 ? 1e300 : -1e300;
		else if (u < 0.4)
			x[j] = v;
		else if (u < 0.5)
			x[j] = nextafterf(v, u < 0.45 ? INFINITY : -INFINITY);
		else if (u < 0.6)
			x[j] = (double) v * (1.0 + (u - 0.55) * 1e-9);
		else
			x[j] = (unit_rand(s) - 0.5) * 20.0;
	}
}

/*
 * The walk predict takes and the canonical one agree bit for bit on random
 * rows for f; every other row has no NaN (a row with one takes the
 * canonical walk in the perfect layout, see forest_perfect.c).
 */
static int
compact_matches(const QpmForest *f, int rows, uint64_t seed)
{
	double	   *x = malloc(sizeof(double) * (size_t) f->n_features);
	uint64_t	s = seed;
	int			bad = 0;
	int			i;

	for (i = 0; i < rows; i++)
	{
		float		a;
		float		b;

		random_row(f, &s, x, i % 2);
		a = qpm_forest_predict(f, x);
		b = canonical_predict(f, x);
		if (!same_float(a, b) && bad++ < 3)
			fprintf(stderr, "  row %d: compact %.9g, canonical %.9g\n",
					i, (double) a, (double) b);
	}
	free(x);
	return bad == 0;
}

/*
 * A random valid forest of n_trees trees of at most max_nodes nodes each,
 * over n_features.  A tree grows by splitting a random pending leaf (so
 * trees come lopsided as well as bushy), numbers the two children after
 * every node so far but not always left first, takes thresholds from a
 * grid (so rows hit them exactly) and leaf values of magnitudes up to 1e7
 * (so the order of the float sum shows).
 */
static QpmForest *
random_forest(uint64_t *s, int32_t n_trees, int32_t max_nodes, int32_t n_features)
{
	int32_t    *size = malloc(sizeof(int32_t) * (size_t) n_trees);
	int32_t    *pending = malloc(sizeof(int32_t) * (size_t) max_nodes);
	int32_t		total = 0;
	QpmForest  *f;
	int32_t		t;

	for (t = 0; t < n_trees; t++)
	{
		/* a full binary tree has an odd number of nodes */
		size[t] = 1 + 2 * (int32_t) (qpm_rand_next(s) % (uint64_t) ((max_nodes + 1) / 2));
		total += size[t];
	}
	f = qpm_forest_alloc(n_trees, total, n_features);
	f->base_score = (float) (unit_rand(s) - 0.5);
	total = 0;
	for (t = 0; t < n_trees; t++)
	{
		QpmTreeNode *tree = f->nodes + total;
		int32_t		n_pending = 1;
		int32_t		next = 1;
		int32_t		k;

		f->tree_offset[t] = total;
		pending[0] = 0;
		while (next < size[t])
		{
			int32_t		i;
			int			swap = (int) (qpm_rand_next(s) & 1);

			k = (int32_t) (qpm_rand_next(s) % (uint64_t) n_pending);
			i = pending[k];
			pending[k] = pending[--n_pending];
			tree[i] = split_node((int32_t) (qpm_rand_next(s) % (uint64_t) n_features),
								 (float) ((int) (qpm_rand_next(s) % 21) - 10) * 0.25f,
								 swap ? next + 1 : next, swap ? next : next + 1,
								 (int) (qpm_rand_next(s) & 1));
			pending[n_pending++] = next;
			pending[n_pending++] = next + 1;
			next += 2;
		}
		for (k = 0; k < n_pending; k++)
			tree[pending[k]] = leaf((float) ((unit_rand(s) - 0.5) *
											 pow(10.0, (double) (qpm_rand_next(s) % 8))));
		total += size[t];
	}
	f->tree_offset[n_trees] = total;
	free(pending);
	free(size);
	return f;
}

/*
 * predict walks the copy validate builds; it equals the canonical walk on
 * hand-built forests and on random ones of every shape: tree counts around
 * the walker's groups of trees, lopsided and bushy trees, and a forest too
 * wide for the copy.
 */
static void
test_compact_walk(void)
{
	static const int32_t tree_counts[] = {1, 2, 15, 16, 17, 31, 32, 33, 48, 300};
	QpmForest  *f = small_forest();
	double		x[3] = {0, -2, 1};
	char		err[256] = "";
	uint64_t	s = 20240607;
	int			round;
	int32_t		i;

	CHECK(qpm_forest_validate(f, NULL, 0) == 0);
	CHECK(compact_matches(f, 5000, 1));

	/* white box: the copy is what predict walks, until validate rebuilds it */
	f->nodes[5].value = 8.0f;
	CHECK(qpm_forest_predict(f, x) == 0.5f + 1.0f + 0.25f);
	CHECK(canonical_predict(f, x) == 0.5f + 1.0f + 8.0f);
	CHECK(qpm_forest_validate(f, NULL, 0) == 0);
	CHECK(qpm_forest_predict(f, x) == 0.5f + 1.0f + 8.0f);
	/* a failed validate drops the copy, so predict walks the nodes */
	f->nodes[6].value = NAN;
	CHECK(qpm_forest_validate(f, NULL, 0) == -1);
	f->nodes[6].value = 0.5f;
	f->nodes[5].value = 0.25f;
	CHECK(qpm_forest_predict(f, x) == 0.5f + 1.0f + 0.25f);
	qpm_forest_free(f);

	for (round = 0; round < 300; round++)
	{
		int32_t		n_trees = round < 10 ? tree_counts[round] :
			1 + (int32_t) (qpm_rand_next(&s) % 70);
		int32_t		max_nodes = 1 + (int32_t) (qpm_rand_next(&s) % 80);
		int32_t		n_features = 1 + (int32_t) (qpm_rand_next(&s) % 12);

		f = random_forest(&s, n_trees, max_nodes, n_features);
		if (qpm_forest_validate(f, err, sizeof(err)) != 0)
		{
			fprintf(stderr, "  random forest %d refused: %s\n", round, err);
			CHECK(0);
		}
		else if (!compact_matches(f, 300, (uint64_t) round))
		{
			fprintf(stderr, "  random forest %d: %d trees, at most %d nodes, %d features\n",
					round, n_trees, max_nodes, n_features);
			CHECK(0);
		}
		qpm_forest_free(f);
	}

	/* 300 features: more than the copy encodes, so predict walks the nodes */
	f = random_forest(&s, 20, 41, 300);
	CHECK(qpm_forest_validate(f, NULL, 0) == 0);
	CHECK(compact_matches(f, 1000, 3));
	/* leaves changed without validate: a copy would still have the old ones */
	for (i = 0; i < f->n_nodes; i++)
		if (f->nodes[i].left < 0)
			f->nodes[i].value += 1000.0f;
	CHECK(compact_matches(f, 100, 4));
	qpm_forest_free(f);
}

/*
 * Subtree of depth at most max_depth in preorder from tree[*next] on (so
 * children come after their parent), splitting with probability p_split;
 * thresholds from a small grid, some -0 beside 0, leaves of any magnitude.
 */
static int32_t
grow(uint64_t *s, QpmTreeNode *tree, int32_t *next, int32_t depth, int32_t max_depth,
	 double p_split, int32_t n_features)
{
	int32_t		me = (*next)++;

	if (depth < max_depth && unit_rand(s) < p_split)
	{
		int32_t		feature = (int32_t) (qpm_rand_next(s) % (uint64_t) n_features);
		float		thr = (float) ((int) (qpm_rand_next(s) % 21) - 10) * 0.25f;
		int			default_left = (int) (qpm_rand_next(s) & 1);
		int32_t		left,
					right;

		if (thr == 0.0f && (qpm_rand_next(s) & 1))
			thr = -0.0f;
		left = grow(s, tree, next, depth + 1, max_depth, p_split, n_features);
		right = grow(s, tree, next, depth + 1, max_depth, p_split, n_features);
		tree[me] = split_node(feature, thr, left, right, default_left);
	}
	else
		tree[me] = leaf((float) ((unit_rand(s) - 0.5) * pow(10.0, (double) (qpm_rand_next(s) % 8))));
	return me;
}

/* A forest of trees no deeper than max_depth (nodes sized for full trees). */
static QpmForest *
bounded_forest(uint64_t *s, int32_t n_trees, int32_t max_depth, double p_split,
			   int32_t n_features)
{
	int32_t		full = (1 << (max_depth + 1)) - 1;
	QpmTreeNode *tmp = malloc(sizeof(QpmTreeNode) * (size_t) full * (size_t) n_trees);
	int32_t    *offset = malloc(sizeof(int32_t) * ((size_t) n_trees + 1));
	int32_t		total = 0;
	QpmForest  *f;
	int32_t		t;

	for (t = 0; t < n_trees; t++)
	{
		int32_t		next = 0;

		offset[t] = total;
		grow(s, tmp + total, &next, 0, max_depth, p_split, n_features);
		total += next;
	}
	offset[n_trees] = total;
	f = qpm_forest_alloc(n_trees, total, n_features);
	memcpy(f->nodes, tmp, sizeof(QpmTreeNode) * (size_t) total);
	memcpy(f->tree_offset, offset, sizeof(int32_t) * ((size_t) n_trees + 1));
	f->base_score = (float) (unit_rand(s) - 0.5);
	free(tmp);
	free(offset);
	return f;
}

/*
 * The perfect layout (forest_perfect.c), walked by the AVX-512 and the
 * portable code, equals the canonical walk bit for bit: trees of every
 * depth up to 6 (always laid out: the room is reserved) and deeper ones
 * (laid out when they fit), sparse and bushy, tree counts around the
 * groups of 16, NaN (the canonical walk), infinities, values on
 * thresholds and -0, 1 to 64 features.  Forests the layout cannot encode
 * fall back to the compact walk: more than 64 features, more than 255
 * distinct thresholds for one feature.
 */
static void
test_perfect_walk(void)
{
	static const int32_t tree_counts[] = {1, 2, 15, 16, 17, 33, 300};
	uint64_t	s = 4242;
	int			vector = qpm_forest_set_vector(1);
	int			round;
	QpmForest  *f;
	int32_t		t;

	printf("test_forest: perfect layout walked with %s\n",
		   vector ? "AVX-512 and the portable code" : "the portable code only (no AVX-512)");
	for (round = 0; round < 200; round++)
	{
		int32_t		n_trees = round < 7 ? tree_counts[round] : 1 + (int32_t) (qpm_rand_next(&s) % 40);
		int32_t		max_depth = (int32_t) (qpm_rand_next(&s) % 10);
		double		p_split = round % 3 == 0 ? 0.95 : 0.3 + 0.6 * unit_rand(&s);
		int32_t		n_features = 1 + (int32_t) (qpm_rand_next(&s) % 64);
		char		err[256] = "";
		int			ok = 1;

		f = bounded_forest(&s, n_trees, max_depth, p_split, n_features);
		if (qpm_forest_validate(f, err, sizeof(err)) != 0)
		{
			fprintf(stderr, "  bounded forest %d refused: %s\n", round, err);
			CHECK(0);
			qpm_forest_free(f);
			continue;
		}
		if (max_depth <= 6)
			CHECK(qpm_forest_layout(f) == QPM_FOREST_PERFECT);
		qpm_forest_set_vector(0);
		ok &= compact_matches(f, 300, (uint64_t) round);
		qpm_forest_set_vector(1);
		ok &= compact_matches(f, 300, (uint64_t) round);
		if (!ok)
			fprintf(stderr, "  bounded forest %d: %d trees, depth <= %d, %d features, layout %d\n",
					round, n_trees, max_depth, n_features, (int) qpm_forest_layout(f));
		CHECK(ok);
		qpm_forest_free(f);
	}

	/* 64 features fill the row; 65 are too wide for it, so the compact walk */
	f = bounded_forest(&s, 40, 6, 0.95, 64);
	CHECK(qpm_forest_validate(f, NULL, 0) == 0);
	CHECK(qpm_forest_layout(f) == QPM_FOREST_PERFECT);
	qpm_forest_set_vector(0);
	CHECK(compact_matches(f, 1000, 5));
	qpm_forest_set_vector(1);
	CHECK(compact_matches(f, 1000, 5));
	qpm_forest_free(f);
	f = bounded_forest(&s, 20, 5, 0.8, 65);
	CHECK(qpm_forest_validate(f, NULL, 0) == 0);
	CHECK(qpm_forest_layout(f) == QPM_FOREST_COMPACT);
	CHECK(compact_matches(f, 1000, 5));
	qpm_forest_free(f);

	/*
	 * m stumps on feature 1 with m distinct thresholds, around the sizes
	 * where the vector rank's blocks of 16 fill up and where a feature
	 * needs a second and third slot of 255 (256, 511)
	 */
	{
		static const int32_t ms[] = {1, 15, 16, 17, 240, 255, 256, 257, 510, 511, 600};
		int			i;

		for (i = 0; i < (int) (sizeof(ms) / sizeof(ms[0])); i++)
		{
			int32_t		m = ms[i];

			f = qpm_forest_alloc(m, 3 * m, 2);
			for (t = 0; t < m; t++)
			{
				f->tree_offset[t] = 3 * t;
				f->nodes[3 * t] = split_node(1, (float) ((t * 7919) % m) * 0.375f - 20.0f,
											 1, 2, t % 3 == 0);
				f->nodes[3 * t + 1] = leaf((float) t * 0.001f);
				f->nodes[3 * t + 2] = leaf(-0.5f);
			}
			f->tree_offset[m] = 3 * m;
			CHECK(qpm_forest_validate(f, NULL, 0) == 0);
			CHECK(qpm_forest_layout(f) == QPM_FOREST_PERFECT);
			qpm_forest_set_vector(0);
			CHECK(compact_matches(f, 3000, (uint64_t) m));
			qpm_forest_set_vector(1);
			CHECK(compact_matches(f, 3000, (uint64_t) m));
			qpm_forest_free(f);
		}
	}

	/*
	 * 64 * 255 + 1 stumps on feature 0 with distinct thresholds: the row
	 * would need 66 slots; cut to 63 * 255 (63 slots, and feature 1's) it
	 * fits
	 */
	f = qpm_forest_alloc(64 * 255 + 1, 3 * (64 * 255 + 1), 2);
	for (t = 0; t < 64 * 255 + 1; t++)
	{
		f->tree_offset[t] = 3 * t;
		f->nodes[3 * t] = split_node(0, (float) t * 0.5f - 700.0f, 1, 2, t & 1);
		f->nodes[3 * t + 1] = leaf(0.25f);
		f->nodes[3 * t + 2] = leaf(-0.125f);
	}
	f->tree_offset[64 * 255 + 1] = 3 * (64 * 255 + 1);
	CHECK(qpm_forest_validate(f, NULL, 0) == 0);
	CHECK(qpm_forest_layout(f) == QPM_FOREST_COMPACT);
	CHECK(compact_matches(f, 200, 6));
	CHECK(qpm_forest_truncate(f, 63 * 255, NULL, 0) == 0);
	CHECK(qpm_forest_layout(f) == QPM_FOREST_PERFECT);
	qpm_forest_set_vector(0);
	CHECK(compact_matches(f, 200, 7));
	qpm_forest_set_vector(1);
	CHECK(compact_matches(f, 200, 7));
	qpm_forest_free(f);
	qpm_forest_set_vector(1);
}

/*
 * The margins of every prefix of a forest (which training uses to choose
 * the number of boosting rounds) are what the forest cut to that many
 * trees predicts, bit for bit, and cutting keeps the walk exact.
 */
static void
test_prefixes_and_truncate(void)
{
	enum
	{
		ROWS = 40
	};
	uint64_t	s = 777;
	int			round;

	for (round = 0; round < 40; round++)
	{
		int32_t		n_trees = 1 + (int32_t) (qpm_rand_next(&s) % 60);
		int32_t		n_features = 1 + (int32_t) (qpm_rand_next(&s) % 12);
		QpmForest  *f = random_forest(&s, n_trees, 1 + (int32_t) (qpm_rand_next(&s) % 60),
									  n_features);
		double	   *x = malloc(sizeof(double) * ROWS * (size_t) n_features);
		float	   *pre = malloc(sizeof(float) * ROWS * (size_t) n_trees);
		char		err[256] = "";
		int			bad = 0;
		int32_t		r;
		int			i;

		CHECK(qpm_forest_validate(f, NULL, 0) == 0);
		for (i = 0; i < ROWS; i++)
		{
			random_row(f, &s, x + i * n_features, i % 2);
			qpm_forest_predict_prefixes(f, x + i * n_features, pre + (size_t) i * n_trees);
			if (!same_float(pre[(size_t) i * n_trees + n_trees - 1],
							qpm_forest_predict(f, x + i * n_features)))
				bad++;
		}
		CHECK(qpm_forest_truncate(f, 0, err, sizeof(err)) == -1);
		CHECK(qpm_forest_truncate(f, n_trees + 1, err, sizeof(err)) == -1);
		for (r = n_trees; r >= 1; r -= 1 + (int32_t) (qpm_rand_next(&s) % 5))
		{
			CHECK(qpm_forest_truncate(f, r, err, sizeof(err)) == 0);
			CHECK(f->n_trees == r && f->n_nodes == f->tree_offset[r]);
			for (i = 0; i < ROWS; i++)
			{
				float		a = qpm_forest_predict(f, x + i * n_features);

				if (!same_float(a, pre[(size_t) i * n_trees + r - 1]) ||
					!same_float(a, canonical_predict(f, x + i * n_features)))
					bad++;
			}
		}
		CHECK(bad == 0);
		free(pre);
		free(x);
		qpm_forest_free(f);
	}
}

/* ---- parity with XGBoost ---- */

#define PARITY_ROWS		5000
#define PARITY_FEATURES	12

/*
 * Rows of doubles that are mostly not floats (so the rounding to float is
 * exercised), some NaN, and discrete columns whose values XGBoost's cut
 * points hit exactly (so `x == threshold` is exercised).  y depends on a
 * few features nonlinearly.
 */
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
					r[j] = exp(u * 12.0);	/* skewed, like timings */
					break;
				case 2:
					r[j] = floor(u * 8.0);	/* discrete */
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
				r[j] = NAN;		/* an all-missing row */
		if (y != NULL)
		{
			double		a = isnan(r[0]) ? 0.0 : r[0];
			double		b = isnan(r[1]) ? 1.0 : log(r[1]);
			double		c = isnan(r[2]) ? 3.0 : r[2];

			y[i] = (float) (sin(a) * 2.0 + 0.3 * b + (c > 4.0 ? 1.5 : -0.5) +
							(r[3] == 1.0 ? 0.7 : 0.0) + 0.2 * (unit_rand(&s) - 0.5));
		}
	}
}

/*
 * Compare walker and XGBoost on rows: relative difference below 1e-6
 * everywhere; prints the largest difference and how many rows were
 * bit-exact.
 */
static void
compare_predictions(const char *label, BoosterHandle h, const QpmForest *forest,
					const double *x, int rows)
{
	static const char margin_cfg[] =
		"{\"type\": 1, \"training\": false, \"iteration_begin\": 0,"
		" \"iteration_end\": 0, \"strict_shape\": false}";
	static const char value_cfg[] =
		"{\"type\": 0, \"training\": false, \"iteration_begin\": 0,"
		" \"iteration_end\": 0, \"strict_shape\": false}";
	float	   *xf = as_float(x, rows, PARITY_FEATURES);
	float	   *margin = malloc(sizeof(float) * (size_t) rows);
	DMatrixHandle d;
	const bst_ulong *shape;
	bst_ulong	dim;
	const float *out;
	double		max_abs = 0;
	double		max_rel = 0;
	int			exact = 0;
	int			within = 0;
	int			differ = 0;
	int			shown = 0;
	int			i;

	/* a fresh DMatrix: no prediction cache left over from training */
	if (!xgb_ok(XGDMatrixCreateFromMat(xf, (bst_ulong) rows, PARITY_FEATURES,
									   NAN, &d), "DMatrixCreateFromMat"))
		goto done;
	if (xgb_ok(XGBoosterPredictFromDMatrix(h, d, margin_cfg, &shape, &dim, &out),
			   "PredictFromDMatrix"))
	{
		CHECK(dim == 1 && shape[0] == (bst_ulong) rows);
		memcpy(margin, out, sizeof(float) * (size_t) rows);
		/* identity link: the value prediction is the margin */
		if (xgb_ok(XGBoosterPredictFromDMatrix(h, d, value_cfg, &shape, &dim, &out),
				   "PredictFromDMatrix"))
			CHECK(memcmp(margin, out, sizeof(float) * (size_t) rows) == 0);
		for (i = 0; i < rows; i++)
		{
			const double *row = x + (size_t) i * PARITY_FEATURES;
			float		mine = qpm_forest_predict(forest, row);
			double		diff = fabs((double) mine - (double) margin[i]);
			double		rel = diff / fmax(fabs((double) margin[i]), 1e-30);

			if (!same_float(mine, canonical_predict(forest, row)))
				differ++;
			if (same_float(mine, margin[i]))
				exact++;
			if (rel < 1e-6)
				within++;
			else if (shown++ < 5)
				fprintf(stderr, "  %s row %d: walker %.9g, XGBoost %.9g\n",
						label, i, (double) mine, (double) margin[i]);
			max_abs = fmax(max_abs, diff);
			max_rel = fmax(max_rel, rel);
		}
		CHECK(within == rows);
		CHECK(differ == 0);		/* compact and canonical walks */
		printf("test_forest: %s: %d rows, %d bit-exact, max |diff| %.3g, max rel diff %.3g\n",
			   label, rows, exact, max_abs, max_rel);
	}
	XGDMatrixFree(d);
done:
	free(margin);
	free(xf);
}

/*
 * Statistics of a real dump: squared error has hessian 1 per row, so a
 * cover is a row count, every split's children add up to it exactly, and
 * XGBoost only keeps splits with a positive gain.
 */
static void
check_stats(const QpmForest *f)
{
	int			sums = 1;
	int			gains = 1;
	int32_t		t;
	int32_t		i;

	for (t = 0; t < f->n_trees; t++)
	{
		const QpmTreeNode *tree = f->nodes + f->tree_offset[t];

		for (i = 0; i < f->tree_offset[t + 1] - f->tree_offset[t]; i++)
		{
			if (tree[i].left < 0)
				continue;
			if (tree[tree[i].left].cover + tree[tree[i].right].cover != tree[i].cover)
				sums = 0;
			if (!(tree[i].gain > 0.0f))
				gains = 0;
		}
	}
	CHECK(f->nodes[0].cover > 0.0f && f->nodes[0].cover <= (float) PARITY_ROWS);
	CHECK(sums);
	CHECK(gains);
}

/*
 * Train with params (NULL-terminated name/value pairs) for rounds, parse
 * the dump, and compare on fresh rows and on the training rows.
 */
static void
check_parity(const char *label, const char *const *params, int rounds,
			 int expect_layout)
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
	char		err[256] = "";
	char		name[128];
	float		base;
	int			i;

	make_rows(x, y, PARITY_ROWS, 20240601);
	make_rows(xtest, NULL, PARITY_ROWS, 77);
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
	/* with statistics, as src/xgb_train.c dumps */
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
	CHECK(qpm_forest_validate(forest, NULL, 0) == 0);
	CHECK(redump_matches(forest));
	check_stats(forest);
	printf("test_forest: %s: %d trees, %d nodes, base_score %.9g\n",
		   label, forest->n_trees, forest->n_nodes, (double) base);

	/* expect_layout -1: whichever fits */
	CHECK(expect_layout < 0 || (int) qpm_forest_layout(forest) == expect_layout);
	/* the vector walk where the CPU has it, then the portable one */
	for (i = 1; i >= 0; i--)
	{
		int			vector = qpm_forest_set_vector(i);

		if (i == 1 && !vector)
			continue;
		snprintf(name, sizeof(name), "%s, new rows, %s", label,
				 vector ? "vector walk enabled" : "portable walk");
		compare_predictions(name, h, forest, xtest, PARITY_ROWS);
		snprintf(name, sizeof(name), "%s, training rows, %s", label,
				 vector ? "vector walk enabled" : "portable walk");
		compare_predictions(name, h, forest, x, PARITY_ROWS);
		CHECK(compact_matches(forest, 20000, 11));
	}
	qpm_forest_set_vector(1);

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
		NULL
	};
	check_parity("gradient boosting", params, 100, QPM_FOREST_PERFECT);
}

/*
 * The shape predict_cost.sh measures and the defaults train: 300 rounds of
 * depth 6, learning rate 0.1, subsample 0.8.  The longest float sum of the
 * parity tests, where any other order of the additions than XGBoost's
 * would show.
 */
static void
test_xgboost_parity_300(void)
{
	static const char *const params[] = {
		"objective", "reg:squarederror", "tree_method", "hist",
		"max_depth", "6", "eta", "0.1", "subsample", "0.8", "seed", "42", "nthread", "1",
		NULL
	};
	check_parity("gradient boosting 300 rounds", params, 300, QPM_FOREST_PERFECT);
}

/* Deeper boosting: the perfect layout, if it fits, walked without vectors. */
static void
test_xgboost_parity_deep(void)
{
	static const char *const params[] = {
		"objective", "reg:squarederror", "tree_method", "hist",
		"max_depth", "9", "eta", "0.3", "seed", "7", "nthread", "1",
		NULL
	};
	check_parity("gradient boosting depth 9", params, 30, -1);
}

/* Random forest: many parallel trees in one round, rows and columns sampled. */
static void
test_xgboost_parity_random_forest(void)
{
	static const char *const params[] = {
		"objective", "reg:squarederror", "tree_method", "hist",
		"max_depth", "6", "eta", "1", "seed", "42", "nthread", "1",
		"num_parallel_tree", "50", "subsample", "0.8", "colsample_bynode", "0.8",
		NULL
	};

	check_parity("random forest", params, 1, QPM_FOREST_PERFECT);
}

/* Each test is independent; unit_report sums them. */
int
main(void)
{
	RUN(test_hand_built);
	RUN(test_node_bound);
	RUN(test_alloc);
	RUN(test_parse_single_leaf);
	RUN(test_parse_unordered);
	RUN(test_parse_real_format);
	RUN(test_parse_stats);
	RUN(test_parse_rejects);
	RUN(test_parse_rejects_dump);
	RUN(test_parse_deep_chain);
	RUN(test_validate_rejects);
	RUN(test_compact_walk);
	RUN(test_prefixes_and_truncate);
	RUN(test_perfect_walk);
	RUN(test_xgboost_parity_boosting);
	RUN(test_xgboost_parity_300);
	RUN(test_xgboost_parity_random_forest);
	RUN(test_xgboost_parity_deep);
	return unit_report("test_forest");
}
