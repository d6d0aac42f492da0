/*
 * forest.c — flat tree ensembles: XGBoost dump parser, validator, walker.
 *
 * Prediction must match XGBoost bit for bit, because the same model is
 * scored by XGBoost during training (validation metrics, intervals) and by
 * this walker in predict().  XGBoost 1.7 keeps thresholds and leaf values
 * as float, stores input features as float, tests `fvalue < split_cond`,
 * sends missing (NaN) values to the node's default child, and accumulates
 * the margin in float, starting from base_score, tree after tree.  The
 * walker does exactly that; test_forest.c checks it against XGBoost itself.
 *
 * The text dump (XGBoosterDumpModelEx, fmap "", with_stats 1, "text") is
 * one string per tree, one node per line, indented by depth with tabs:
 *
 *   0:[f2<0.5] yes=1,no=2,missing=1,gain=123.400002,cover=456
 *   \t1:leaf=0.123,cover=200
 *   \t2:[f0<-1.25e-05] yes=3,no=4,missing=4,gain=7.5,cover=256
 *   \t\t3:leaf=-0.5,cover=56
 *   \t\t4:leaf=0.25,cover=200
 *
 * The statistics (split gain, and cover: the hessian sum of the training
 * rows reaching the node) feed explanations (shap.c) and importance, never
 * the walk.  A dump with with_stats 0 has lines without them and parses to
 * covers and gains of 0; a dump with them on some lines only is refused.
 *
 * Lines come in depth-first order while ids are XGBoost's own (creation
 * order, so roughly breadth-first, with gaps if nodes were pruned), so the
 * parser looks children up by id (sorted records, binary search) and
 * renumbers the tree in depth-first preorder: root first, every child
 * after its parent, left child right after its parent (the walker's
 * compact copy, below, re-lays each tree out breadth first).  Lines are
 * matched strictly (only tabs before the id, nothing after the last
 * field): anything else is not a dump this parser was verified against.
 * Numbers are printed with 9 significant digits, enough for strtof to give
 * back the exact float; strtof is locale-dependent, but the server runs
 * with LC_NUMERIC=C and a token is accepted only if strtof consumes all of
 * it, so another locale fails loudly instead of silently.
 *
 * The parser is fed untrusted text (a dump can be imported) and fuzzed:
 * it never reads past a string's NUL, checks every number for overflow and
 * finiteness, and refuses duplicate or missing ids, unreachable nodes,
 * cycles and shared children, and sizes beyond forest.h's limits before it
 * allocates.  Its output then goes through qpm_forest_validate, the same
 * gate a deserialized blob passes, so the walker relies on one set of
 * invariants: children inside the tree and after their parent (so a walk
 * moves forward and ends), features < n_features.
 *
 * predict() does not walk QpmTreeNode.  At 28 bytes, with fields only SHAP
 * and serialization need and children anywhere after their parent, walking
 * it made a 300-tree model's predict() cost over 20 times a trivial SQL
 * function on the same row.  Once a forest passes qpm_forest_validate it
 * gets a compact copy (EvalNode, 8 bytes: the value, then the input slot
 * and child distance in one word), each tree re-laid out breadth first so
 * siblings are adjacent (right = left + 1, no second index) and a tree's
 * top levels share a cache line.  NaN handling becomes data: the walker
 * rounds the row to float once, into two halves where NaN reads as -inf or
 * as +inf, and a split reads its feature from the half that sends NaN to
 * its default child (thresholds are finite, so nothing else changes).  A
 * leaf reads an always-NaN slot, so the comparison fails and it "goes
 * left" onto itself (child distance 0): the walk needs no leaf test and
 * no branch, so it can advance EVAL_LANES trees side by side for as many
 * steps as the deepest of them needs.  That overlap of independent walks,
 * more than the smaller nodes, is where the time goes: a single walk waits
 * for each node's load before it knows the next.  The leaves are still
 * added one tree at a time in tree order, so the result is the canonical
 * walk's bit for bit (test_forest.c and the dump fuzzer compare the two).
 * The copy lives in the forest's block, so it is freed with it, and every
 * validate rebuilds it (or drops it, when validation fails), so it matches
 * the nodes as long as they do not change after validate, which forest.h
 * requires.  A forest the copy cannot encode (more than EVAL_MAX_FEATURES
 * features), or never validated, is walked on its canonical nodes.
 *
 * The compact walk is the fallback.  A forest whose trees can be padded to
 * perfect trees within the same room (always for depth <= 6: the room is
 * at least PERFECT_BYTES_DEPTH6 per tree) is walked by forest_perfect.c
 * instead, level-synchronously and with AVX-512 where the CPU has it, about
 * twice as fast again; build_eval tries that layout first.
 *
 * Memory: a forest is one qpm_alloc block (struct, walker room, nodes,
 * offsets, walker scratch), so it is freed with one call or with its
 * memory context.  The
 * parser's and validate's scratch buffers are freed before they return, on
 * every path.
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

/* Longest number token accepted; XGBoost prints at most ~16 characters. */
#define MAX_NUMBER_CHARS 64

/* One dump line, before renumbering. */
typedef struct DumpNode
{
	int32_t		id;				/* XGBoost's node id */
	int32_t		yes;			/* child ids, -1 for a leaf; once looked */
	int32_t		no;				/* up, positions in the sorted records */
	int32_t		missing;		/* child id; once looked up, 1 = NaN left */
	int32_t		feature;		/* -1 for a leaf */
	float		value;			/* threshold or leaf value */
	float		cover;			/* 0 without statistics */
	float		gain;			/* 0 for a leaf or without statistics */
	bool		has_stats;		/* the line had gain / cover */
	int32_t		line;			/* 1-based, for messages */
	int32_t		index;			/* flat index; UNPLACED / PUSHED until set */
} DumpNode;

#define UNPLACED	(-1)
#define PUSHED		(-2)

/* Scratch buffers shared by all trees of one parse, sized for the largest. */
typedef struct DumpScratch
{
	DumpNode   *recs;
	int32_t    *stack;
	int			stats;			/* lines have statistics: -1 not yet known, 0, 1 */
} DumpScratch;

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

/* ---- XGBoost text dump parser ---- */

/* Non-empty lines of a dump string, stopping early once past limit. */
static int32_t
count_lines(const char *s, int32_t limit)
{
	int32_t		n = 0;
	bool		in_line = false;

	for (; *s != '\0'; s++)
	{
		if (*s == '\n')
			in_line = false;
		else if (!in_line)
		{
			in_line = true;
			if (++n > limit)
				break;
		}
	}
	return n;
}

/* Consume literal lit at *p; false (nothing consumed) if it is not there. */
static bool
take_literal(const char **p, const char *lit)
{
	size_t		n = strlen(lit);

	/* strncmp stops at the input's NUL, so this never reads past it */
	if (strncmp(*p, lit, n) != 0)
		return false;
	*p += n;
	return true;
}

/* A non-negative decimal int32 at *p; false when absent or too large. */
static bool
take_uint(const char **p, int32_t *out)
{
	const char *s = *p;
	int64_t		v = 0;

	if (*s < '0' || *s > '9')
		return false;
	while (*s >= '0' && *s <= '9')
	{
		v = v * 10 + (*s - '0');
		if (v > INT32_MAX)
			return false;
		s++;
	}
	*out = (int32_t) v;
	*p = s;
	return true;
}

/*
 * A finite float at *p.  The token is delimited by the characters a decimal
 * number can contain and copied out, and strtof must use all of it: that
 * rules out "nan", "inf", hex floats and leading blanks, which strtof would
 * otherwise accept.
 */
static bool
take_float(const char **p, float *out)
{
	char		buf[MAX_NUMBER_CHARS + 1];
	const char *s = *p;
	char	   *end;
	size_t		n = 0;
	float		v;

	while (s[n] != '\0' && strchr("0123456789+-.eE", s[n]) != NULL)
	{
		if (n == MAX_NUMBER_CHARS)
			return false;
		n++;
	}
	if (n == 0)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	v = strtof(buf, &end);
	if (end != buf + n || !isfinite(v))
		return false;
	*out = v;
	*p = s + n;
	return true;
}

/*
 * Parse one line (starting at *p, not empty) into r and move *p past its
 * newline.  Returns NULL, or what was expected where the line went wrong.
 */
static const char *
parse_line(const char **p, DumpNode *r)
{
	const char *s = *p;

	while (*s == '\t')
		s++;
	r->yes = r->no = r->missing = r->feature = -1;
	r->cover = r->gain = 0.0f;
	r->has_stats = false;
	r->index = UNPLACED;
	if (!take_uint(&s, &r->id))
		return "a node id";
	if (!take_literal(&s, ":"))
		return "':' after the node id";
	if (take_literal(&s, "leaf="))
	{
		if (!take_float(&s, &r->value))
			return "a finite leaf value";
		if (take_literal(&s, ",cover="))
		{
			if (!take_float(&s, &r->cover) || r->cover < 0.0f)
				return "a finite cover >= 0 after \",cover=\"";
			r->has_stats = true;
		}
	}
	else
	{
		if (!take_literal(&s, "[f"))
			return "\"leaf=\" or \"[f\"";
		if (!take_uint(&s, &r->feature))
			return "a feature index after \"[f\"";
		if (!take_literal(&s, "<"))
			return "'<' after the feature";
		if (!take_float(&s, &r->value))
			return "a finite threshold";
		if (!take_literal(&s, "] yes="))
			return "\"] yes=\" after the threshold";
		if (!take_uint(&s, &r->yes))
			return "a node id after \"yes=\"";
		if (!take_literal(&s, ",no="))
			return "\",no=\"";
		if (!take_uint(&s, &r->no))
			return "a node id after \"no=\"";
		if (!take_literal(&s, ",missing="))
			return "\",missing=\"";
		if (!take_uint(&s, &r->missing))
			return "a node id after \"missing=\"";
		if (take_literal(&s, ",gain="))
		{
			if (!take_float(&s, &r->gain))
				return "a finite gain after \",gain=\"";
			if (!take_literal(&s, ",cover="))
				return "\",cover=\" after the gain";
			if (!take_float(&s, &r->cover) || r->cover < 0.0f)
				return "a finite cover >= 0 after \",cover=\"";
			r->has_stats = true;
		}
	}
	if (*s != '\n' && *s != '\0')
		return "the end of the line";
	if (*s == '\n')
		s++;
	*p = s;
	return NULL;
}

/* qsort order of dump records: by node id, then line. */
static int
compare_ids(const void *a, const void *b)
{
	const DumpNode *x = a;
	const DumpNode *y = b;

	/* ties (duplicate ids, refused next) broken by line, for stable messages */
	if (x->id != y->id)
		return (x->id > y->id) - (x->id < y->id);
	return (x->line > y->line) - (x->line < y->line);
}

/* Record with node id in recs sorted by id, or NULL. */
static DumpNode *
find_id(DumpNode *recs, int32_t n, int32_t id)
{
	int32_t		lo = 0;
	int32_t		hi = n;

	while (lo < hi)
	{
		int32_t		mid = lo + (hi - lo) / 2;

		if (recs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < n && recs[lo].id == id) ? &recs[lo] : NULL;
}

/*
 * Mark a child for placement and push it, refusing one already met (the
 * dump then has a cycle, or two parents share the child).
 */
static bool
push_child(DumpNode *recs, int32_t child, int32_t *stack, int32_t *top)
{
	if (recs[child].index != UNPLACED)
		return false;
	recs[child].index = PUSHED;
	stack[(*top)++] = child;
	return true;
}

/*
 * Parse tree number t (n_lines non-empty lines, counted beforehand) into
 * out[0 .. n_lines).  Returns 0, or -1 with err filled.
 */
static int
parse_tree(const char *text, int32_t t, int32_t n_lines, int32_t n_features,
		   DumpScratch *scratch, QpmTreeNode *out, char *err, size_t errlen)
{
	DumpNode   *recs = scratch->recs;
	int32_t    *stack = scratch->stack;
	const char *p = text;
	int32_t		line = 0;
	int32_t		n = 0;
	int32_t		top = 0;
	int32_t		next = 0;
	int32_t		i;
	int32_t		bad;
	DumpNode   *root;

	/* lines, into records in dump order */
	while (*p != '\0')
	{
		const char *what;

		line++;
		if (*p == '\n')
		{
			p++;
			continue;
		}
		if (n >= n_lines)		/* cannot happen: n_lines counted the same way */
		{
			qpm_set_error(err, errlen, "tree %d: more lines than counted", t);
			return -1;
		}
		recs[n].line = line;
		what = parse_line(&p, &recs[n]);
		if (what != NULL)
		{
			qpm_set_error(err, errlen, "tree %d line %d: expected %s", t, line, what);
			return -1;
		}
		if (scratch->stats < 0)
			scratch->stats = recs[n].has_stats;
		else if (scratch->stats != (int) recs[n].has_stats)
		{
			qpm_set_error(err, errlen,
					  "tree %d line %d: statistics (gain, cover) on some lines only",
					  t, line);
			return -1;
		}
		if (recs[n].feature >= n_features)
		{
			qpm_set_error(err, errlen,
					  "tree %d line %d: feature f%d out of range (%d features)",
					  t, line, recs[n].feature, n_features);
			return -1;
		}
		if (recs[n].yes >= 0 &&
			recs[n].missing != recs[n].yes && recs[n].missing != recs[n].no)
		{
			qpm_set_error(err, errlen,
					  "tree %d line %d: missing=%d is neither yes=%d nor no=%d",
					  t, line, recs[n].missing, recs[n].yes, recs[n].no);
			return -1;
		}
		n++;
	}
	if (n != n_lines)
	{
		qpm_set_error(err, errlen, "tree %d: fewer lines than counted", t);
		return -1;
	}

	/* ids: sorted for lookup, unique */
	qsort(recs, (size_t) n, sizeof(DumpNode), compare_ids);
	for (i = 1; i < n; i++)
	{
		if (recs[i].id == recs[i - 1].id)
		{
			qpm_set_error(err, errlen, "tree %d: node id %d appears twice (lines %d and %d)",
					  t, recs[i].id, recs[i - 1].line, recs[i].line);
			return -1;
		}
	}
	/* children ids to record positions, so the walk below needs no lookups */
	for (i = 0; i < n; i++)
	{
		DumpNode   *yes;
		DumpNode   *no;

		if (recs[i].yes < 0)
			continue;
		yes = find_id(recs, n, recs[i].yes);
		no = find_id(recs, n, recs[i].no);
		if (yes == NULL || no == NULL)
		{
			qpm_set_error(err, errlen, "tree %d line %d: child node %d does not exist",
					  t, recs[i].line, yes == NULL ? recs[i].yes : recs[i].no);
			return -1;
		}
		recs[i].missing = (recs[i].missing == recs[i].yes) ? 1 : 0;
		recs[i].yes = (int32_t) (yes - recs);
		recs[i].no = (int32_t) (no - recs);
	}

	/* depth-first preorder from node 0: left pushed last, so placed next */
	root = find_id(recs, n, 0);
	if (root == NULL)
	{
		qpm_set_error(err, errlen, "tree %d has no node 0 (the root)", t);
		return -1;
	}
	push_child(recs, (int32_t) (root - recs), stack, &top);
	while (top > 0)
	{
		DumpNode   *r = &recs[stack[--top]];

		r->index = next++;
		if (r->yes < 0)
			continue;
		bad = !push_child(recs, r->no, stack, &top) ? r->no :
			!push_child(recs, r->yes, stack, &top) ? r->yes : -1;
		if (bad >= 0)
		{
			qpm_set_error(err, errlen,
					  "tree %d line %d: node %d is reached twice (a cycle or a shared child)",
					  t, r->line, recs[bad].id);
			return -1;
		}
	}
	if (next != n)
	{
		for (i = 0; i < n; i++)
			if (recs[i].index == UNPLACED)
				break;
		qpm_set_error(err, errlen, "tree %d line %d: node %d is not reachable from node 0",
				  t, recs[i].line, recs[i].id);
		return -1;
	}

	for (i = 0; i < n; i++)
	{
		const DumpNode *r = &recs[i];
		QpmTreeNode *o = &out[r->index];

		o->value = r->value;
		o->cover = r->cover;
		o->gain = r->gain;
		if (r->yes < 0)
		{
			o->left = o->right = o->feature = -1;
			o->default_left = 0;
		}
		else
		{
			o->left = recs[r->yes].index;
			o->right = recs[r->no].index;
			o->feature = r->feature;
			o->default_left = (uint8_t) r->missing;
		}
	}
	return 0;
}

/*
 * Count first (sizes checked before anything is allocated), then parse
 * tree by tree into the forest, then validate the result.
 */
QpmForest *
qpm_forest_from_xgb_dump(const char *const *trees, int32_t n_trees,
						 int32_t n_features, float base_score,
						 char *err, size_t errlen)
{
	QpmForest  *f;
	DumpScratch scratch;
	int32_t		total = 0;
	int32_t		max_lines = 0;
	int32_t		t;

	if (trees == NULL)
	{
		qpm_set_error(err, errlen, "no dump");
		return NULL;
	}
	if (n_trees < 1 || n_trees > QPM_FOREST_MAX_TREES)
	{
		qpm_set_error(err, errlen, "dump has %d trees, need 1 to %d",
				  n_trees, QPM_FOREST_MAX_TREES);
		return NULL;
	}
	if (n_features < 1)
	{
		qpm_set_error(err, errlen, "forest needs at least one feature, got %d",
				  n_features);
		return NULL;
	}
	if (!isfinite(base_score))
	{
		qpm_set_error(err, errlen, "base score %g is not finite", (double) base_score);
		return NULL;
	}
	for (t = 0; t < n_trees; t++)
	{
		int32_t		lines;

		if (trees[t] == NULL)
		{
			qpm_set_error(err, errlen, "tree %d is missing", t);
			return NULL;
		}
		lines = count_lines(trees[t], QPM_FOREST_MAX_TREE_NODES);
		if (lines == 0)
		{
			qpm_set_error(err, errlen, "tree %d is empty", t);
			return NULL;
		}
		if (lines > QPM_FOREST_MAX_TREE_NODES)
		{
			qpm_set_error(err, errlen, "tree %d has more than %d nodes",
					  t, QPM_FOREST_MAX_TREE_NODES);
			return NULL;
		}
		if (lines > QPM_FOREST_MAX_NODES - total)
		{
			qpm_set_error(err, errlen, "dump has more than %d nodes",
					  QPM_FOREST_MAX_NODES);
			return NULL;
		}
		total += lines;
		if (lines > max_lines)
			max_lines = lines;
	}

	f = qpm_forest_alloc(n_trees, total, n_features);
	f->base_score = base_score;
	scratch.recs = qpm_alloc(sizeof(DumpNode) * (size_t) max_lines);
	scratch.stack = qpm_alloc(sizeof(int32_t) * (size_t) max_lines);
	scratch.stats = -1;
	total = 0;
	for (t = 0; t < n_trees; t++)
	{
		int32_t		lines = count_lines(trees[t], QPM_FOREST_MAX_TREE_NODES);

		f->tree_offset[t] = total;
		if (parse_tree(trees[t], t, lines, n_features, &scratch,
					   f->nodes + total, err, errlen) != 0)
			break;
		total += lines;
	}
	f->tree_offset[t] = total;
	qpm_free(scratch.recs);
	qpm_free(scratch.stack);

	/* the parser's own output must pass the gate the blob reader uses */
	if (t < n_trees || qpm_forest_validate(f, err, errlen) != 0)
	{
		qpm_forest_free(f);
		return NULL;
	}
	return f;
}
