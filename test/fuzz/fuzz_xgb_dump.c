/*
 * fuzz_xgb_dump.c — libFuzzer target for the XGBoost text dump parser.
 *
 * The input is a dump of one or more trees separated by NUL bytes (the C
 * API returns one string per tree); each piece is copied into its own
 * exact-size buffer, so ASan flags any read past a string's end.  The
 * forest has 12 features, like the statement feature set, so f12 and up
 * must be refused.  Whatever qpm_forest_from_xgb_dump accepts must:
 *   (1) pass qpm_forest_validate, the gate the blob reader uses;
 *   (2) predict, on vectors of zeros, NaN, infinities, extremes and values
 *       near the thresholds, exactly what an independent reference walker
 *       computes, and that walker must reach a leaf within the tree's node
 *       count (so no walk can loop);
 *   (3) print back in XGBoost's format with statistics (ids = flat
 *       indexes, %.9g numbers) and re-parse to a bitwise identical forest,
 *       covers and gains included: the renumbering is canonical and no
 *       value is altered on the way.
 * A rejection must come with a message.  Any violation aborts.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *     -fno-sanitize-recover=undefined -Isrc/core test/fuzz/fuzz_xgb_dump.c \
 *     src/core/forest.c src/core/qpm_util.c test/unit/test_alloc.c -lm -o fuzz_xgb_dump
 *   mkdir -p /tmp/xgb_dump_corpus
 *   ./fuzz_xgb_dump -max_total_time=60 /tmp/xgb_dump_corpus \
 *     test/fuzz/corpus/xgb_dump
 *
 * New inputs go to the first directory, so keep a scratch one there and
 * the committed seeds second.  The seeds: real XGBoost 1.7.4 dumps (hist,
 * a boosted model and a random forest over 12 features, NaN in the data;
 * one with statistics, with_stats 1, as training dumps them),
 * plus hand-written edge cases (single leaf, ids out of line order and
 * with gaps, exponent and negative thresholds, a deep chain).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forest.h"

#define FUZZ_FEATURES 12
#define FUZZ_MAX_TREES 4096

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Report which invariant broke, then crash so libFuzzer saves the input. */
static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_xgb_dump: %s\n", what);
	abort();
}

/* Bitwise float equality, NaN included. */
static int
same_float(float a, float b)
{
	return memcmp(&a, &b, sizeof(float)) == 0;
}

/*
 * An independent walk: explicit bounds and a step limit instead of trust
 * in validate, so a forest validate wrongly accepted shows up here.
 */
static float
reference_predict(const QpmForest *f, const double *x)
{
	float		sum = f->base_score;
	int32_t		t;

	for (t = 0; t < f->n_trees; t++)
	{
		int32_t		lo = f->tree_offset[t];
		int32_t		size = f->tree_offset[t + 1] - lo;
		int32_t		i = 0;
		int32_t		steps = 0;

		for (;;)
		{
			const QpmTreeNode *n;
			float		v;

			if (i < 0 || i >= size)
				fail("walk left its tree");
			n = &f->nodes[lo + i];
			if (n->feature == -1)
				break;
			if (n->feature < 0 || n->feature >= f->n_features)
				fail("walk met a bad feature");
			if (++steps > size)
				fail("walk does not terminate");
			v = (float) x[n->feature];
			if (v != v)
				i = n->default_left ? n->left : n->right;
			else if (v < n->value)
				i = n->left;
			else
				i = n->right;
		}
		sum += f->nodes[lo + i].value;
	}
	return sum;
}

/* Walker and reference agree on a spread of inputs, NaN and extremes included. */
static void
check_predicts(const QpmForest *f)
{
	static const double fixed[] = {0.0, -0.0, NAN, INFINITY, -INFINITY, 1e300,
	-1e300, 1e-45, 0.5, -1.0, 3.4028235e38};
	double		x[FUZZ_FEATURES];
	size_t		k;
	int32_t		i;
	int			j;

	for (k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++)
	{
		for (j = 0; j < FUZZ_FEATURES; j++)
			x[j] = fixed[(k + (size_t) j) % (sizeof(fixed) / sizeof(fixed[0]))];
		if (!same_float(qpm_forest_predict(f, x), reference_predict(f, x)))
			fail("walker and reference disagree");
	}
	/* exactly at, and just below, the first thresholds of the forest */
	for (i = 0; i < f->n_nodes && i < 64; i++)
	{
		const QpmTreeNode *n = &f->nodes[i];

		if (n->feature < 0)
			continue;
		for (j = 0; j < FUZZ_FEATURES; j++)
			x[j] = (i + j) % 3 == 0 ? NAN : (double) n->value;
		x[n->feature] = (double) n->value;
		if (!same_float(qpm_forest_predict(f, x), reference_predict(f, x)))
			fail("walker and reference disagree at a threshold");
		x[n->feature] = (double) nextafterf(n->value, -INFINITY);
		if (!same_float(qpm_forest_predict(f, x), reference_predict(f, x)))
			fail("walker and reference disagree below a threshold");
	}
}

/* Tree t printed as XGBoost would with with_stats 1, the flat indexes as ids. */
static char *
print_tree(const QpmForest *f, int32_t t)
{
	const QpmTreeNode *tree = f->nodes + f->tree_offset[t];
	int32_t		size = f->tree_offset[t + 1] - f->tree_offset[t];
	size_t		cap = 160 * (size_t) size + 1;
	char	   *out = malloc(cap);
	size_t		len = 0;
	int32_t		i;

	if (out == NULL)
		abort();
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

/* Printing and re-parsing gives back the same forest, bit for bit. */
static void
check_reprints(const QpmForest *f)
{
	char	  **text = malloc(sizeof(char *) * (size_t) f->n_trees);
	char		err[256];
	QpmForest  *g;
	int32_t		i;

	if (text == NULL)
		abort();
	for (i = 0; i < f->n_trees; i++)
		text[i] = print_tree(f, i);
	g = qpm_forest_from_xgb_dump((const char *const *) text, f->n_trees,
								 f->n_features, f->base_score, err, sizeof(err));
	if (g == NULL)
		fail(err);
	if (g->n_trees != f->n_trees || g->n_nodes != f->n_nodes ||
		memcmp(g->tree_offset, f->tree_offset,
			   sizeof(int32_t) * ((size_t) f->n_trees + 1)) != 0)
		fail("re-parsed forest has another shape");
	for (i = 0; i < f->n_nodes; i++)
	{
		const QpmTreeNode *a = &f->nodes[i];
		const QpmTreeNode *b = &g->nodes[i];

		if (a->left != b->left || a->right != b->right ||
			a->feature != b->feature || a->default_left != b->default_left ||
			!same_float(a->value, b->value) || !same_float(a->cover, b->cover) ||
			!same_float(a->gain, b->gain))
			fail("re-parsed forest differs");
	}
	qpm_forest_free(g);
	for (i = 0; i < f->n_trees; i++)
		free(text[i]);
	free(text);
}

/* libFuzzer entry point: split on NUL, parse, check whatever parses. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *trees[FUZZ_MAX_TREES];
	int32_t		n = 0;
	size_t		start = 0;
	size_t		i;
	char		err[256];
	QpmForest  *f;

	for (i = 0; i <= size && n < FUZZ_MAX_TREES; i++)
	{
		if (i == size || data[i] == '\0')
		{
			size_t		len = i - start;
			char	   *s = malloc(len + 1);

			if (s == NULL)
				abort();
			memcpy(s, data + start, len);
			s[len] = '\0';
			trees[n++] = s;
			start = i + 1;
		}
	}

	err[0] = '\0';
	f = qpm_forest_from_xgb_dump((const char *const *) trees, n, FUZZ_FEATURES,
								 0.5f, err, sizeof(err));
	if (f == NULL)
	{
		if (err[0] == '\0')
			fail("rejected without a message");
	}
	else
	{
		if (f->n_trees != n || f->n_features != FUZZ_FEATURES ||
			f->base_score != 0.5f)
			fail("forest does not match the request");
		if (qpm_forest_validate(f, err, sizeof(err)) != 0)
			fail(err);
		check_predicts(f);
		check_reprints(f);
		qpm_forest_free(f);
	}
	for (i = 0; i < (size_t) n; i++)
		free(trees[i]);
	return 0;
}
