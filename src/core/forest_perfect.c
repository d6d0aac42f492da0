/*
 * forest_perfect.c — the perfect-tree layout and its level-synchronous walks.
 *
 * Every tree of a forest is padded to the same shape, a perfect binary
 * tree as deep as the forest's deepest leaf (D), numbered as a binary heap
 * (root 1, children of h at 2 h and 2 h + 1), so a walk is the same few
 * integer operations at every level of every tree and h - 2^D is the leaf:
 * h = 2 h + (row[slot[h]] >= key[h]).  A leaf above depth D becomes a node
 * that always goes right, every leaf position under it holding its value.
 *
 * Comparisons as bytes.  Each feature's thresholds are sorted and made
 * distinct (u_0 < ... < u_{m-1}) once per forest; a split on u_i gets key
 * i + 1, a row's value v (rounded to float as XGBoost rounds it) gets its
 * rank r = #{u_k <= v}.  Then `v < u_i` is exactly `r < i + 1`, for
 * infinities too, and a padding node (key 0) always goes right.  A node is
 * two bytes (its row slot and its key).  A feature with more than 255
 * thresholds gets a further slot per further 255 (the rank among those,
 * clamped, exact for the keys in its range); so at most PERFECT_ROW slots
 * and depth PERFECT_MAX_DEPTH, other forests keep the compact walk.
 *
 * A NaN input goes to each node's default side, which a rank cannot say:
 * such a row (only a bare forest gets one; the transform imputes) takes
 * the canonical walk.  Two walks of one layout: the portable one advances
 * 16 trees level by level; the AVX-512 VBMI one (chosen at run time, D <=
 * 6) decides all 63 nodes of a tree with one byte permute and one byte
 * compare (a 64-bit mask), then advances 8 trees' paths together.
 *
 * Memory: tree t's slots then keys (at least 64 bytes each, two cache lines
 * for D <= 6), then all leaves in a second array (kept apart so the
 * prefetcher does not fetch them with the nodes), in the room
 * qpm_forest_alloc reserves: max(8 bytes per node, PERFECT_BYTES_DEPTH6
 * per tree), so any forest of depth <= 6 fits.
 *
 * Exactness: leaves are added to the float sum from base_score one tree at
 * a time in tree order, as XGBoost adds them, so the result is the
 * canonical walk's and XGBoost's bit for bit on every CPU; summing in lanes
 * would leave XGBoost's result (test/bench/sum_order.sh; README Performance
 * has the costs).
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forest.h"
#include "forest_eval.h"
#include "qpm_alloc.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define PERFECT_AVX512 1
#include <immintrin.h>
#endif

/* Deeper trees would not fit any room anyway (2^D positions per tree). */
#define PERFECT_MAX_DEPTH 12
/* A key is one byte; key 0 is the padding node's. */
#define PERFECT_MAX_KEY 255
/* Bytes of a row: one register of the vector walk. */
#define PERFECT_ROW 64
/* The vector walk holds a tree's slots in one register: 64 positions. */
#define VECTOR_MAX_DEPTH 6
#define VECTOR_NODES 64
#if VECTOR_NODES * 2 + VECTOR_NODES * 4 != PERFECT_BYTES_DEPTH6
#error "PERFECT_BYTES_DEPTH6 must be the size of a depth-6 tree"
#endif
#if PERFECT_MAX_FEATURES > PERFECT_ROW || PERFECT_ROW != VECTOR_NODES
#error "the row must fit one 64-byte register, as the slots of a tree do"
#endif

/* Node positions of a tree of depth d: heap indexes below 2^d, at least 64. */
static size_t
node_bytes(int32_t d)
{
	size_t		n = (size_t) 1 << d;

	return n < VECTOR_NODES ? VECTOR_NODES : n;
}

/* Bytes of one tree: its slots and keys, and its 2^d leaf values. */
static size_t
tree_bytes(int32_t d)
{
	return 2 * node_bytes(d) + sizeof(float) * ((size_t) 1 << d);
}

/* The leaf array: after the nodes of padded trees of depth d. */
static const float *
leaf_array(const QpmForestEval *e, size_t padded)
{
	/* cppcheck-suppress invalidPointerCast ; the leaves follow the node bytes in the room, 64-byte aligned */
	return (const float *) ((const uint8_t *) e->nodes + 2 * node_bytes(e->depth) * padded);
}

/* qsort order of floats (thresholds are finite). */
static int
cmp_float(const void *a, const void *b)
{
	float		x = *(const float *) a;
	float		y = *(const float *) b;

	return (x > y) - (x < y);
}

/*
 * Sorted distinct thresholds of every feature into e->thresholds, and the
 * row's slots; false if they need more than PERFECT_ROW.  Each feature's segment
 * is laid out for the vector rank (row_table_avx512): 16 search keys, then
 * the thresholds u[0 .. m), then +inf up to the next multiple of 16 (a
 * whole block of it when m is one already).  Search key i is the last
 * value of block i, u[16 i + 15] (+inf past the end); a feature with
 * more than 255 thresholds is searched by rank_of instead.  Room: validate
 * allows at most (n_nodes - 1) / 2 splits, and each feature adds at most
 * 32 floats (PERFECT_THRESHOLD_PAD).
 */
static bool
collect_thresholds(const QpmForest *f, QpmForestEval *e)
{
	int32_t		nf = f->n_features;
	int32_t		fill[PERFECT_MAX_FEATURES];
	int32_t		start = 0;
	int32_t		i,
				j;

	memset(e->thr_count, 0, sizeof(e->thr_count));
	for (i = 0; i < f->n_nodes; i++)
		if (f->nodes[i].left >= 0)
			e->thr_count[f->nodes[i].feature]++;
	for (j = 0; j < nf; j++)
	{
		e->thr_start[j] = fill[j] = start + 16;
		start += 16 + 16 * (e->thr_count[j] / 16 + 1);
	}
	for (i = 0; i < f->n_nodes; i++)
		if (f->nodes[i].left >= 0)
			e->thresholds[fill[f->nodes[i].feature]++] = f->nodes[i].value;
	for (j = 0; j < nf; j++)
	{
		float	   *u = e->thresholds + e->thr_start[j];
		int32_t		m = 0;

		qsort(u, (size_t) e->thr_count[j], sizeof(float), cmp_float);
		/* -0 and 0 are one threshold: `v < -0` is `v < 0` */
		for (i = 0; i < e->thr_count[j]; i++)
			if (m == 0 || u[i] != u[m - 1])
				u[m++] = u[i];
		e->thr_count[j] = m;
		for (i = m; i < 16 * (m / 16 + 1); i++)
			u[i] = INFINITY;
		for (i = 0; i < 16; i++)
			u[i - 16] = i <= m / 16 && m <= PERFECT_MAX_KEY ? u[16 * i + 15] : INFINITY;
	}
	e->n_slots = nf;
	for (j = 0; j < nf; j++)
		for (i = PERFECT_MAX_KEY; i < e->thr_count[j]; i += PERFECT_MAX_KEY)
		{
			if (e->n_slots == PERFECT_ROW)
				return false;
			if (i == PERFECT_MAX_KEY)
				e->extra_slot[j] = e->n_slots;
			e->slot_feature[e->n_slots] = j;
			e->slot_first[e->n_slots++] = i;
		}
	return true;
}

/* Number of sorted thresholds u[0 .. m) that are <= v (v not NaN). */
static inline uint32_t
rank_of(const float *u, int32_t m, float v)
{
	const float *b = u;
	int32_t		n = m;

	if (n == 0)
		return 0;
	while (n > 1)
	{
		int32_t		half = n / 2;

		b = (b[half] <= v) ? b + half : b;
		n -= half;
	}
	return (uint32_t) (b - u) + (*b <= v);
}

/*
 * A split's slot and key: its threshold's position i among its feature's
 * falls in range k = i / 255 of them, and the key is 1 + its position
 * there.
 */
static void
slot_and_key(const QpmForestEval *e, int32_t feature, float threshold,
			 uint8_t *slot, uint8_t *key)
{
	const float *u = e->thresholds + e->thr_start[feature];
	/* the threshold is in the table, so the rank of it is its position + 1 */
	int32_t		i = (int32_t) rank_of(u, e->thr_count[feature], threshold) - 1;
	int32_t		k = i / PERFECT_MAX_KEY;

	*slot = (uint8_t) (k == 0 ? feature : e->extra_slot[feature] + k - 1);
	*key = (uint8_t) (i - k * PERFECT_MAX_KEY + 1);
}

/* Edges from the root to the deepest leaf of tree t; depth is scratch. */
static int32_t
tree_depth(const QpmForest *f, int32_t t, int32_t *depth)
{
	const QpmTreeNode *tree = f->nodes + f->tree_offset[t];
	int32_t		size = f->tree_offset[t + 1] - f->tree_offset[t];
	int32_t		deepest = 0;
	int32_t		i;

	/* validate put children after their parent: one forward pass */
	depth[0] = 0;
	for (i = 0; i < size; i++)
	{
		if (depth[i] > deepest)
			deepest = depth[i];
		if (tree[i].left >= 0)
			depth[tree[i].left] = depth[tree[i].right] = depth[i] + 1;
	}
	return deepest;
}

/*
 * Write node n of a tree, at level d and heap position h of the perfect
 * tree of depth D, and what lies under it, into the tree's node block and
 * leaves.  Recursion depth is at most D.
 */
static void
place(const QpmForestEval *e, const QpmTreeNode *tree, const QpmTreeNode *n,
	  uint8_t *block, float *leaves, int32_t D, uint32_t h, int32_t d)
{
	uint8_t    *slots = block;
	uint8_t    *keys = block + node_bytes(D);

	if (d == D)
	{
		/* a leaf: D is the deepest leaf's level */
		leaves[h - ((uint32_t) 1 << D)] = n->value;
		return;
	}
	if (n->left < 0)
	{
		/* padding: slot 0, key 0 goes right; the value fills every leaf below */
		slots[h] = keys[h] = 0;
		place(e, tree, n, block, leaves, D, 2 * h, d + 1);
		place(e, tree, n, block, leaves, D, 2 * h + 1, d + 1);
		return;
	}
	slot_and_key(e, n->feature, n->value, &slots[h], &keys[h]);
	place(e, tree, tree + n->left, block, leaves, D, 2 * h, d + 1);
	place(e, tree, tree + n->right, block, leaves, D, 2 * h + 1, d + 1);
}

/* See the file header; false leaves the room to the compact layout. */
bool
qpm_perfect_build(QpmForest *f)
{
	QpmForestEval *e = f->eval;
	size_t		room = e->room;
	int32_t		max_size = 0;
	int32_t    *depth;
	uint8_t    *base = (uint8_t *) e->nodes;
	size_t		padded;
	int32_t		D = 0;
	int32_t		t;

	if (f->n_features > PERFECT_MAX_FEATURES || !collect_thresholds(f, e))
		return false;
	for (t = 0; t < f->n_trees; t++)
		if (f->tree_offset[t + 1] - f->tree_offset[t] > max_size)
			max_size = f->tree_offset[t + 1] - f->tree_offset[t];
	depth = qpm_alloc(sizeof(int32_t) * (size_t) max_size);
	for (t = 0; t < f->n_trees; t++)
	{
		int32_t		d = tree_depth(f, t, depth);

		if (d > D)
			D = d;
	}
	qpm_free(depth);
	/* the walks' last group of EVAL_LANES trees may run past the forest */
	padded = (size_t) eval_groups(f->n_trees) * EVAL_LANES;
	if (D > PERFECT_MAX_DEPTH || tree_bytes(D) * padded > room)
		return false;

	/* position 0 of every tree, never walked, and the trees past the last stay 0 */
	e->depth = D;
	memset(base, 0, tree_bytes(D) * padded);
	for (t = 0; t < f->n_trees; t++)
		place(e, f->nodes + f->tree_offset[t], f->nodes + f->tree_offset[t],
			  base + 2 * node_bytes(D) * (size_t) t,
			  (float *) leaf_array(e, padded) + ((size_t) t << D), D, 1, 0);
	return true;
}

/*
 * The row from the features' ranks: byte j is feature j's rank, capped at
 * 255, and each further slot holds its feature's rank within the slot's
 * range of thresholds, clamped to 0 .. 255 (unused bytes of the 64 are 0).
 */
static void
fill_row(const QpmForest *f, const QpmForestEval *e, const uint32_t *rank, uint8_t *row)
{
	int32_t		j;

	memset(row, 0, PERFECT_ROW);
	for (j = 0; j < f->n_features; j++)
		row[j] = (uint8_t) (rank[j] < PERFECT_MAX_KEY ? rank[j] : PERFECT_MAX_KEY);
	for (j = f->n_features; j < e->n_slots; j++)
	{
		int32_t		r = (int32_t) rank[e->slot_feature[j]] - e->slot_first[j];

		row[j] = (uint8_t) (r < 0 ? 0 : r > PERFECT_MAX_KEY ? PERFECT_MAX_KEY : r);
	}
}

/*
 * The row of x (see fill_row); false when an input is NaN: that row takes
 * the canonical walk.
 */
static bool
row_table(const QpmForest *f, const QpmForestEval *e, const double *x, uint8_t *row)
{
	uint32_t	rank[PERFECT_MAX_FEATURES];
	int32_t		j;

	for (j = 0; j < f->n_features; j++)
	{
		/* XGBoost's DMatrix holds floats: round first, then test NaN */
		float		v = (float) x[j];

		if (isnan(v))
			return false;
		rank[j] = rank_of(e->thresholds + e->thr_start[j], e->thr_count[j], v);
	}
	fill_row(f, e, rank, row);
	return true;
}

/*
 * EVAL_LANES trees in flight, one level at a time (the loop over lanes is
 * fully unrolled, see forest_eval.h), leaves added in tree order.  A last,
 * partial group walks the all-zero trees after the forest's and does not
 * add them.
 */
static float
walk_portable(const QpmForest *f, const QpmForestEval *e, const uint8_t *row)
{
	const uint8_t *base = (const uint8_t *) e->nodes;
	size_t		nodes = node_bytes(e->depth);
	size_t		stride = 2 * nodes;
	int32_t		D = e->depth;
	uint32_t	first_leaf = (uint32_t) 1 << D;
	float		sum = f->base_score;
	int32_t		first;
	const float *leaves = leaf_array(e, (size_t) eval_groups(f->n_trees) * EVAL_LANES);

	for (first = 0; first < f->n_trees; first += EVAL_LANES)
	{
		const uint8_t *group = base + stride * (size_t) first;
		uint32_t	h[EVAL_LANES];
		int32_t		used = f->n_trees - first;
		int32_t		d;
		int			l;

		for (l = 0; l < EVAL_LANES; l++)
			h[l] = 1;
		for (d = 0; d < D; d++)
		{
			UNROLL_LANES
			for (l = 0; l < EVAL_LANES; l++)
			{
				const uint8_t *w = group + stride * (size_t) l;

				h[l] = 2 * h[l] + (row[w[h[l]]] >= w[nodes + h[l]]);
			}
		}
		if (used > EVAL_LANES)
			used = EVAL_LANES;
		for (l = 0; l < used; l++)
			/* cppcheck-suppress invalidPointerCast ; the leaves written as float by place() */
			sum += leaves[((size_t) (first + l) << D) + h[l] - first_leaf];
	}
	return sum;
}

#ifdef PERFECT_AVX512
/*
 * row_table with a two-step vector search for each rank: one compare with
 * the feature's 16 search keys counts the blocks of 16 thresholds wholly
 * <= v, one compare within the next block counts the rest.  That covers
 * 255 thresholds (16 blocks, the last one ending in +inf); a feature with
 * more is searched by rank_of.  v is clamped to FLT_MAX so that +inf
 * counts every (finite) threshold but never the +inf padding.
 */
__attribute__((target("avx512f,popcnt")))
static bool
row_table_avx512(const QpmForest *f, const QpmForestEval *e, const double *x, uint8_t *row)
{
	uint32_t	rank[PERFECT_MAX_FEATURES];
	int32_t		j;

	for (j = 0; j < f->n_features; j++)
	{
		const float *u = e->thresholds + e->thr_start[j];
		float		v = (float) x[j];
		__m512		vv;
		uint32_t	blocks;

		if (isnan(v))
			return false;
		if (e->thr_count[j] > PERFECT_MAX_KEY)
		{
			rank[j] = rank_of(u, e->thr_count[j], v);
			continue;
		}
		vv = _mm512_set1_ps(v < FLT_MAX ? v : FLT_MAX);
		blocks = (uint32_t) __builtin_popcount(
			_mm512_cmp_ps_mask(_mm512_loadu_ps(u - 16), vv, _CMP_LE_OQ));
		rank[j] = 16 * blocks + (uint32_t) __builtin_popcount(
			_mm512_cmp_ps_mask(_mm512_loadu_ps(u + 16 * blocks), vv, _CMP_LE_OQ));
	}
	fill_row(f, e, rank, row);
	return true;
}

/*
 * Every node of a tree at once, then the path: vpermb looks each node's
 * feature up in the row (the 64 slot bytes index the 64-byte row), one
 * unsigned byte compare with the keys gives the tree's decisions as a
 * mask, bit h = position h goes right.  The paths of 8 trees then advance
 * together, one 64-bit lane each: h = 2 h | bit h of the mask (one shift
 * and one ternary logic per level), and become the byte offsets of their
 * leaves from the group's first leaf.  The leaves of a group of
 * EVAL_LANES trees are added in tree order while the next group is being
 * walked (the sum is a chain of dependent float additions, the walk is
 * independent work that fills the wait).  A last, partial group walks the
 * all-zero trees after the forest's (the room has them, see
 * qpm_perfect_build) and does not add them.
 */
__attribute__((target("avx512f,avx512bw,avx512vbmi")))
static float
walk_avx512(const QpmForest *f, const QpmForestEval *e, const uint8_t *row)
{
	const uint8_t *base = (const uint8_t *) e->nodes;
	const __m512i table = _mm512_loadu_si512((const void *) row);
	const __m512i one = _mm512_set1_epi64(1);
	int64_t		stride = 2 * VECTOR_NODES;	/* node bytes of a tree, D <= 6 */
	int32_t		D = e->depth;
	int32_t		groups = eval_groups(f->n_trees);
	/* leaf of tree l of a group: l ls + 4 (h - 2^D) bytes from the group's first */
	int64_t		ls = (int64_t) sizeof(float) << D;
	const uint8_t *leaves = (const uint8_t *) leaf_array(e, (size_t) groups * EVAL_LANES);
	const __m512i lane0 = _mm512_set_epi64(7 * ls, 6 * ls, 5 * ls, 4 * ls, 3 * ls, 2 * ls, ls, 0);
	const __m512i leaf0 = _mm512_sub_epi64(lane0, _mm512_set1_epi64(ls));
	const __m512i leaf8 = _mm512_add_epi64(leaf0, _mm512_set1_epi64(8 * ls));
	float		sum = f->base_score;
	int64_t		offset[2][EVAL_LANES];
	int32_t		g;
	int			l;

	for (g = 0; g <= groups; g++)
	{
		const uint8_t *group = base + (size_t) stride * EVAL_LANES * (size_t) g;
		int64_t    *off = offset[g & 1];
		const int64_t *prev = offset[(g & 1) ^ 1];
		uint64_t	right[EVAL_LANES];
		__m512i		h0,
					h1;
		int32_t		d;

		if (g < groups)
		{
			const uint8_t *t = group;

			for (l = 0; l < EVAL_LANES; l++)
			{
				__m512i		slots = _mm512_loadu_si512((const void *) t);
				__m512i		keys = _mm512_loadu_si512((const void *) (t + VECTOR_NODES));

				_store_mask64((__mmask64 *) &right[l],
							  _mm512_cmpge_epu8_mask(_mm512_permutexvar_epi8(slots, table), keys));
				t += stride;
			}
		}
		/* the previous group's leaves, in tree order */
		if (g > 0)
		{
			const uint8_t *last = leaves + (size_t) ls * EVAL_LANES * (size_t) (g - 1);
			int32_t		n = g < groups ? EVAL_LANES : f->n_trees - EVAL_LANES * (g - 1);

			for (l = 0; l < n; l++)
				/* cppcheck-suppress invalidPointerCast ; the leaves written as float by place() */
				sum += *(const float *) (last + prev[l]);
		}
		if (g == groups)
			break;
		h0 = _mm512_loadu_si512((const void *) right);
		h1 = _mm512_loadu_si512((const void *) (right + 8));
		{
			__m512i		r0 = h0,
						r1 = h1;

			h0 = h1 = one;
			for (d = 0; d < D; d++)
			{
				/* 0xF8: a | (b & c), here 2 h | ((mask >> h) & 1) */
				h0 = _mm512_ternarylogic_epi64(_mm512_add_epi64(h0, h0), _mm512_srlv_epi64(r0, h0), one, 0xF8);
				h1 = _mm512_ternarylogic_epi64(_mm512_add_epi64(h1, h1), _mm512_srlv_epi64(r1, h1), one, 0xF8);
			}
		}
		_mm512_storeu_si512((void *) off, _mm512_add_epi64(_mm512_slli_epi64(h0, 2), leaf0));
		_mm512_storeu_si512((void *) (off + 8), _mm512_add_epi64(_mm512_slli_epi64(h1, 2), leaf8));
	}
	return sum;
}
#endif

/* -1 not decided yet, 0 portable, 1 AVX-512 (see qpm_forest_set_vector). */
static int	use_vector = -1;

/* Whether this CPU (and OS) can run the AVX-512 walk. */
static int
cpu_has_vector(void)
{
#ifdef PERFECT_AVX512
	return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
		__builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("popcnt") ? 1 : 0;
#else
	return 0;
#endif
}

/* Tests force the portable walk (0) or go back to the CPU's best (1). */
int
qpm_forest_set_vector(int enabled)
{
	use_vector = enabled ? cpu_has_vector() : 0;
	return use_vector;
}

/*
 * The row, then the walk this CPU runs best for the forest's depth; false
 * (nothing written) for a row with a NaN input.
 */
bool
qpm_perfect_predict(const QpmForest *f, const double *x, float *out)
{
	uint8_t		row[PERFECT_ROW];

	if (use_vector < 0)
		use_vector = cpu_has_vector();
#ifdef PERFECT_AVX512
	if (use_vector)
	{
		if (!row_table_avx512(f, f->eval, x, row))
			return false;
		*out = f->eval->depth <= VECTOR_MAX_DEPTH ? walk_avx512(f, f->eval, row)
			: walk_portable(f, f->eval, row);
		return true;
	}
#endif
	if (!row_table(f, f->eval, x, row))
		return false;
	*out = walk_portable(f, f->eval, row);
	return true;
}
