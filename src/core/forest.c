/*
 * forest.c — flat tree ensembles: allocation, the validator, and the
 * walkers predict() uses.  The XGBoost dump parser that builds a forest
 * from training is xgb_dump.c; forest_perfect.c is the fastest walker.
 *
 * Prediction must match XGBoost bit for bit, because the same model is
 * scored by XGBoost during training (validation metrics, intervals) and by
 * this walker in predict().  XGBoost 1.7 keeps thresholds and leaf values
 * as float, stores input features as float, tests `fvalue < split_cond`,
 * sends missing (NaN) values to the node's default child, and accumulates
 * the margin in float, starting from base_score, tree after tree.  Every
 * walker here does exactly that; test_forest.c checks it against XGBoost.
 *
 * Invariants.  qpm_forest_validate is the one gate: a forest from the dump
 * parser, from a blob or from an import document is walked only after it
 * passed.  It guarantees children inside their tree and after their parent
 * (so a walk moves forward and ends), one parent per node, features <
 * n_features, finite values; forest.h requires the nodes not to change
 * after validate.  Each validate rebuilds the walker's layout in the
 * forest's block (or drops it, when validation fails), so the layout always
 * matches the nodes.
 *
 * Walkers, in the order build_eval tries them: forest_perfect.c's padded
 * perfect trees (always for depth <= 6), then the compact copy (EvalNode,
 * 8 bytes, each tree re-laid out breadth first so right = left + 1; NaN
 * handled by reading the feature from a row half where NaN is -inf or
 * +inf; a leaf "goes left" onto itself, so EVAL_LANES trees advance side
 * by side without a leaf test), then the canonical QpmTreeNode walk for a
 * forest the copy cannot encode.  Leaves are always added one tree at a
 * time in tree order, so every walker's result is the canonical walk's,
 * bit for bit (test_forest.c and the dump fuzzer compare them).  What each
 * costs is measured in the README's Performance section.
 *
 * Memory: a forest is one qpm_alloc block (struct, walker room, nodes,
 * offsets, walker scratch), freed with one call or with its memory
 * context; validate's scratch is freed before it returns, on every path.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qpm_util.h"
#include "forest.h"
#include "forest_eval.h"
#include "qpm_alloc.h"


/* Bytes of the walker's room: see forest_eval.h. */
static size_t
eval_room(int32_t n_trees, int32_t n_nodes)
{
	size_t		compact = sizeof(EvalNode) * (size_t) n_nodes;
	/* the perfect walks run in whole groups: room for the last one's spare trees */
	size_t		perfect = (size_t) PERFECT_BYTES_DEPTH6 * EVAL_LANES * (size_t) eval_groups(n_trees);

	/* a multiple of 8, so what follows stays aligned */
	return compact > perfect ? compact : perfect;
}

/* Bytes of the single block holding a forest of this size. */
static size_t
forest_block_size(int32_t n_trees, int32_t n_nodes)
{
	/*
	 * struct and eval header hold pointers, so what follows stays aligned;
	 * the room may start up to EVAL_ALIGN - 8 bytes further on
	 */
	return sizeof(QpmForest) + sizeof(QpmForestEval) + EVAL_ALIGN +
		eval_room(n_trees, n_nodes) +
		sizeof(QpmTreeNode) * (size_t) n_nodes +
		sizeof(int32_t) * ((size_t) n_trees + 1) +
		sizeof(int32_t) * (size_t) eval_groups(n_trees) +
		sizeof(float) * ((size_t) n_nodes / 2 + 1 + PERFECT_THRESHOLD_PAD);
}

/* Most nodes of a tree of that depth on that many rows (forest.h). */
int64_t
qpm_tree_node_bound(int max_depth, size_t n_rows)
{
	int64_t		by_depth;
	int64_t		by_rows;

	if (max_depth <= 0 || n_rows <= 1)
		return 1;
	by_depth = max_depth >= 62 ? INT64_MAX : ((int64_t) 2 << max_depth) - 1;
	by_rows = n_rows > (size_t) (INT64_MAX / 2) ? INT64_MAX : 2 * (int64_t) n_rows - 1;
	return by_depth < by_rows ? by_depth : by_rows;
}

/*
 * One block: struct, eval header, walker room (on a cache line boundary,
 * so the perfect layout's 64-byte loads never split a line), nodes,
 * offsets, group steps, thresholds; NULL for counts out of range.
 */
QpmForest *
qpm_forest_alloc(int32_t n_trees, int32_t n_nodes, int32_t n_features)
{
	QpmForest  *f;
	QpmForestEval *e;
	char	   *p;

	if (n_trees < 1 || n_trees > QPM_FOREST_MAX_TREES ||
		n_nodes < n_trees || n_nodes > QPM_FOREST_MAX_NODES ||
		n_features < 1)
		return NULL;
	p = qpm_alloc0(forest_block_size(n_trees, n_nodes));
	f = (QpmForest *) p;
	p += sizeof(QpmForest);
	e = (QpmForestEval *) p;
	p += sizeof(QpmForestEval);
	p += (EVAL_ALIGN - (uintptr_t) p % EVAL_ALIGN) % EVAL_ALIGN;
	e->nodes = (EvalNode *) p;
	e->room = eval_room(n_trees, n_nodes);
	p = (char *) f + sizeof(QpmForest) + sizeof(QpmForestEval) + EVAL_ALIGN + e->room;
	f->nodes = (QpmTreeNode *) p;
	p += sizeof(QpmTreeNode) * (size_t) n_nodes;
	f->tree_offset = (int32_t *) p;
	p += sizeof(int32_t) * ((size_t) n_trees + 1);
	e->group_steps = (int32_t *) p;
	p += sizeof(int32_t) * (size_t) eval_groups(n_trees);
	/* cppcheck-suppress invalidPointerCast ; one allocation carved into typed regions, offsets 4-byte aligned */
	e->thresholds = (float *) p;
	e->max_trees = n_trees;
	e->max_nodes = n_nodes;
	f->eval = e;
	f->n_trees = n_trees;
	f->n_nodes = n_nodes;
	f->n_features = n_features;
	return f;
}

/* The arrays live in the same block, so one free releases everything. */
void
qpm_forest_free(QpmForest *f)
{
	if (f != NULL)
		qpm_free(f);
}

/*
 * The canonical walk, on QpmTreeNode: for forests without a compact copy,
 * and the reference the compact walk must equal.  The float cast is
 * XGBoost's own rounding of the input (its DMatrix holds floats), and NaN
 * is tested after it because a double too small or large for float still
 * rounds to a number, never to NaN.  Float accumulation relies on
 * FLT_EVAL_METHOD 0 (SSE on x86-64, any arm64).
 */
static inline float
canonical_leaf(const QpmTreeNode *tree, const double *x)
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

/* The canonical prediction: base_score plus each tree's leaf, in order. */
static float
predict_canonical(const QpmForest *f, const double *x)
{
	float		sum = f->base_score;
	int32_t		t;

	for (t = 0; t < f->n_trees; t++)
		sum += canonical_leaf(f->nodes + f->tree_offset[t], x);
	return sum;
}

/*
 * One step of the compact walk: the node to go to from n.  The slot read
 * holds no NaN for a split (see predict_compact), so `v >= value` is the
 * canonical `!(v < value)`; for a leaf it reads NaN, the comparison is
 * false and child 0 keeps the walk there.  Computed, not branched on:
 * which way a row goes is as good as random, and with EVAL_LANES walks in
 * flight each branch would mispredict.
 */
static inline const EvalNode *
eval_step(const EvalNode *n, const float *xs)
{
	return n + n->child + (uint32_t) (xs[n->input] >= n->value);
}

/*
 * The compact walk (see the file header).  The input vector xs is the row
 * rounded to float twice over, once with NaN as -inf and once as +inf:
 * thresholds are finite, so that sends NaN to the default child with the
 * same one comparison as any number, and an infinite input compares as it
 * did.  Slot 2 n_features is the NaN every leaf reads.  Trees go in groups
 * of EVAL_LANES, each group walked in lock step for its deepest leaf's
 * number of steps, then its leaves added in tree order.  In the last,
 * partial group the spare lanes re-walk the last tree and are not added,
 * so every group runs the same fully unrolled code.
 */
static float
predict_compact(const QpmForest *f, const QpmForestEval *e, const double *x)
{
	float		xs[2 * EVAL_MAX_FEATURES + 1];
	float		sum = f->base_score;
	int32_t		nf = f->n_features;
	int32_t		first;
	int32_t		g;
	int32_t		j;

	for (j = 0; j < nf; j++)
	{
		float		v = (float) x[j];

		xs[j] = isnan(v) ? -INFINITY : v;
		xs[nf + j] = isnan(v) ? INFINITY : v;
	}
	xs[2 * nf] = NAN;

	for (first = 0, g = 0; first < f->n_trees; first += EVAL_LANES, g++)
	{
		const EvalNode *n[EVAL_LANES];
		int32_t		steps = e->group_steps[g];
		int32_t		used = f->n_trees - first;
		int32_t		s;
		int			l;

		if (used > EVAL_LANES)
			used = EVAL_LANES;
		for (l = 0; l < EVAL_LANES; l++)
			n[l] = e->nodes + f->tree_offset[first + (l < used ? l : used - 1)];
		for (s = 0; s < steps; s++)
		{
			UNROLL_LANES
			for (l = 0; l < EVAL_LANES; l++)
				n[l] = eval_step(n[l], xs);
		}
		for (l = 0; l < used; l++)
			sum += n[l]->value;
	}
	return sum;
}

/*
 * The hot path: the walker's copy when validate built it, else (and for a
 * row with a NaN input, which the perfect layout leaves to it) the
 * canonical walk.
 */
float
qpm_forest_predict(const QpmForest *f, const double *x)
{
	float		out;

	if (f->eval != NULL && f->eval->ready)
	{
		if (!f->eval->perfect)
			return predict_compact(f, f->eval, x);
		if (qpm_perfect_predict(f, x, &out))
			return out;
	}
	return predict_canonical(f, x);
}

/* The canonical walk, recording the running sum after each tree. */
void
qpm_forest_predict_prefixes(const QpmForest *f, const double *x, float *out)
{
	float		sum = f->base_score;
	int32_t		t;

	for (t = 0; t < f->n_trees; t++)
	{
		sum += canonical_leaf(f->nodes + f->tree_offset[t], x);
		out[t] = sum;
	}
}

/* Trees are stored one after the other, so a prefix is a shorter count. */
int
qpm_forest_truncate(QpmForest *f, int32_t n_trees, char *err, size_t errlen)
{
	if (f == NULL || n_trees < 1 || n_trees > f->n_trees)
	{
		qpm_set_error(err, errlen, "cannot cut a forest of %d trees to %d",
					  f ? f->n_trees : 0, n_trees);
		return -1;
	}
	f->n_trees = n_trees;
	f->n_nodes = f->tree_offset[n_trees];
	return qpm_forest_validate(f, err, errlen);
}

/* The layout qpm_forest_predict walks, by the same test it makes. */
QpmForestLayout
qpm_forest_layout(const QpmForest *f)
{
	if (f->eval == NULL || !f->eval->ready)
		return QPM_FOREST_CANONICAL;
	return f->eval->perfect ? QPM_FOREST_PERFECT : QPM_FOREST_COMPACT;
}

/* Check one tree's nodes; parents is zeroed scratch of at least size bytes. */
static int
validate_tree(const QpmForest *f, int32_t t, uint8_t *parents,
			  char *err, size_t errlen)
{
	const QpmTreeNode *tree = f->nodes + f->tree_offset[t];
	int32_t		size = f->tree_offset[t + 1] - f->tree_offset[t];
	int32_t		i;

	for (i = 0; i < size; i++)
	{
		const QpmTreeNode *n = &tree[i];

		if (!isfinite(n->value))
		{
			qpm_set_error(err, errlen, "tree %d node %d: %s %g is not finite",
					  t, i, n->left == -1 ? "leaf value" : "threshold",
					  (double) n->value);
			return -1;
		}
		/* written as a negation so NaN fails too */
		if (!(n->cover >= 0.0f) || !isfinite(n->cover))
		{
			qpm_set_error(err, errlen, "tree %d node %d: cover %g is not finite and >= 0",
					  t, i, (double) n->cover);
			return -1;
		}
		if (!isfinite(n->gain))
		{
			qpm_set_error(err, errlen, "tree %d node %d: gain %g is not finite",
					  t, i, (double) n->gain);
			return -1;
		}
		if (n->left == -1)
		{
			if (n->right != -1 || n->feature != -1 || n->default_left != 0)
			{
				qpm_set_error(err, errlen,
						  "tree %d node %d: leaf with right child %d, feature %d, default %u",
						  t, i, n->right, n->feature, (unsigned) n->default_left);
				return -1;
			}
			if (n->gain != 0.0f)
			{
				qpm_set_error(err, errlen, "tree %d node %d: leaf with gain %g, need 0",
						  t, i, (double) n->gain);
				return -1;
			}
			continue;
		}
		/* "after the parent" is what makes every walk terminate */
		if (n->left <= i || n->left >= size || n->right <= i || n->right >= size)
		{
			qpm_set_error(err, errlen,
					  "tree %d node %d: children %d, %d must lie after it and inside the tree (%d nodes)",
					  t, i, n->left, n->right, size);
			return -1;
		}
		if (n->feature < 0 || n->feature >= f->n_features)
		{
			qpm_set_error(err, errlen,
					  "tree %d node %d: feature %d out of range (%d features)",
					  t, i, n->feature, f->n_features);
			return -1;
		}
		if (n->default_left > 1)
		{
			qpm_set_error(err, errlen, "tree %d node %d: default direction %u is not 0 or 1",
					  t, i, (unsigned) n->default_left);
			return -1;
		}
		if (parents[n->left]++ != 0 || parents[n->right]++ != 0)
		{
			qpm_set_error(err, errlen, "tree %d node %d: a child has two parents",
					  t, i);
			return -1;
		}
	}
	/* with children after parents, one parent each means one path from the root */
	for (i = 1; i < size; i++)
	{
		if (parents[i] != 1)
		{
			qpm_set_error(err, errlen, "tree %d node %d is not reachable from the root",
					  t, i);
			return -1;
		}
	}
	return 0;
}

/*
 * Lay tree t of a valid forest out breadth first into the compact copy;
 * order is scratch for the tree's size.  Returns the deepest leaf's depth
 * (edges from the root), the number of steps a walk of this tree needs.
 */
static int32_t
build_eval_tree(const QpmForest *f, int32_t t, int32_t *order)
{
	const QpmTreeNode *tree = f->nodes + f->tree_offset[t];
	EvalNode   *out = f->eval->nodes + f->tree_offset[t];
	int32_t		size = f->tree_offset[t + 1] - f->tree_offset[t];
	int32_t		tail = 1;		/* order[] is the BFS queue: new -> old index */
	int32_t		level_end = 1;	/* first position of the next level */
	int32_t		depth = 0;
	int32_t		i;

	order[0] = 0;
	for (i = 0; i < size; i++)
	{
		const QpmTreeNode *n = &tree[order[i]];
		EvalNode   *o = &out[i];

		if (i == level_end)
		{
			depth++;
			level_end = tail;
		}
		o->value = n->value;
		if (n->left < 0)
		{
			o->child = 0;
			o->input = (uint32_t) (2 * f->n_features);
			continue;
		}
		/* validate guarantees a tree: each node is queued exactly once */
		o->child = (uint32_t) (tail - i);
		o->input = (uint32_t) (n->default_left ? n->feature
							   : f->n_features + n->feature);
		order[tail++] = n->left;
		order[tail++] = n->right;
	}
	return depth;
}

/*
 * Build the walker's copy of a forest that just passed validation, if
 * qpm_forest_alloc left room for it and its features fit the encoding:
 * the perfect layout when it fits the room, else the compact one.
 */
static void
build_eval(QpmForest *f, int32_t max_size)
{
	QpmForestEval *e = f->eval;
	int32_t    *order;
	int32_t		t;

	if (e == NULL || f->n_trees > e->max_trees || f->n_nodes > e->max_nodes ||
		f->n_features > EVAL_MAX_FEATURES)
		return;
	e->perfect = qpm_perfect_build(f);
	if (e->perfect)
	{
		e->ready = true;
		return;
	}
	order = qpm_alloc(sizeof(int32_t) * (size_t) max_size);
	for (t = 0; t < f->n_trees; t++)
	{
		int32_t		depth = build_eval_tree(f, t, order);
		int32_t    *steps = &e->group_steps[t / EVAL_LANES];

		if (t % EVAL_LANES == 0 || depth > *steps)
			*steps = depth;
	}
	qpm_free(order);
	e->ready = true;
}

/*
 * Counts and offsets first (they size the scratch), then tree by tree;
 * a forest that passes gets its compact copy rebuilt.
 */
int
qpm_forest_validate(QpmForest *f, char *err, size_t errlen)
{
	int32_t		max_size = 0;
	int32_t		t;
	uint8_t    *parents;
	int			rc = 0;

	if (f == NULL)
	{
		qpm_set_error(err, errlen, "no forest");
		return -1;
	}
	/* whatever happens below, the old copy may no longer match the nodes */
	if (f->eval != NULL)
		f->eval->ready = false;
	if (f->n_trees < 1 || f->n_trees > QPM_FOREST_MAX_TREES)
	{
		qpm_set_error(err, errlen, "forest has %d trees, need 1 to %d",
				  f->n_trees, QPM_FOREST_MAX_TREES);
		return -1;
	}
	if (f->n_nodes < f->n_trees || f->n_nodes > QPM_FOREST_MAX_NODES)
	{
		qpm_set_error(err, errlen, "forest has %d nodes, need %d to %d",
				  f->n_nodes, f->n_trees, QPM_FOREST_MAX_NODES);
		return -1;
	}
	if (f->n_features < 1)
	{
		qpm_set_error(err, errlen, "forest has %d features", f->n_features);
		return -1;
	}
	if (!isfinite(f->base_score))
	{
		qpm_set_error(err, errlen, "base score %g is not finite",
				  (double) f->base_score);
		return -1;
	}
	if (f->tree_offset == NULL || f->nodes == NULL)
	{
		qpm_set_error(err, errlen, "forest has no node arrays");
		return -1;
	}
	if (f->tree_offset[0] != 0)
	{
		qpm_set_error(err, errlen, "first tree starts at node %d, not 0",
				  f->tree_offset[0]);
		return -1;
	}
	for (t = 0; t < f->n_trees; t++)
	{
		/* 64-bit difference: crafted offsets may be anywhere in int32 */
		int64_t		size = (int64_t) f->tree_offset[t + 1] - f->tree_offset[t];

		if (size < 1 || size > QPM_FOREST_MAX_TREE_NODES ||
			f->tree_offset[t + 1] > f->n_nodes)
		{
			qpm_set_error(err, errlen,
					  "tree %d spans nodes %d to %d: need 1 to %d nodes within %d",
					  t, f->tree_offset[t], f->tree_offset[t + 1],
					  QPM_FOREST_MAX_TREE_NODES, f->n_nodes);
			return -1;
		}
		if (size > max_size)
			max_size = (int32_t) size;
	}
	if (f->tree_offset[f->n_trees] != f->n_nodes)
	{
		qpm_set_error(err, errlen, "trees cover %d nodes, forest has %d",
				  f->tree_offset[f->n_trees], f->n_nodes);
		return -1;
	}

	parents = qpm_alloc((size_t) max_size);
	for (t = 0; t < f->n_trees && rc == 0; t++)
	{
		memset(parents, 0, (size_t) (f->tree_offset[t + 1] - f->tree_offset[t]));
		rc = validate_tree(f, t, parents, err, errlen);
	}
	qpm_free(parents);
	if (rc == 0)
		build_eval(f, max_size);
	return rc;
}
