/*
 * forest_perfect.c — the perfect-tree layout and its level-synchronous walks.
 *
 * The compact walk (forest.c) follows each tree's own shape, so every step
 * loads a node, then the input it names, then picks a child: about 1 800
 * dependent loads for 300 depth-6 trees, 16 trees in flight.  This layout
 * pads every tree of a forest to the same shape, a perfect binary tree as
 * deep as the forest's deepest leaf (D), so a walk is the same few integer
 * operations at every level of every tree:
 *
 *     k = 2 k + 1 + (row[slot] >= node)         (k: breadth-first position)
 *
 * Padding.  A leaf above depth D becomes a node that always goes right,
 * and every leaf position under it holds its value, so the walk ends on
 * that value.
 *
 * Comparisons as integers.  Each feature's thresholds are sorted and made
 * distinct (u_0 < u_1 < ... < u_{m-1}), once per forest.  A split on u_i
 * gets key i + 1; a row's value v, rounded to float as XGBoost rounds it,
 * gets its rank r = #{u_k <= v}, once per row and feature.  Then `v < u_i`
 * is exactly `r < i + 1`, for infinities too.  NaN works as in the compact
 * walk: the row table has two halves, one where NaN ranks below every key
 * (slot f, for splits whose missing values go left) and one above (slot
 * n_features + f, go right).  A node is one 16-bit word, key << 5 | slot,
 * and a row slot holds r << 5 | 31, so one unsigned `row[slot] >= node` is
 * `r >= key`, and a padding node (0) always goes right.  Hence the limits:
 * at most PERFECT_MAX_FEATURES features (32 slots), PERFECT_MAX_KEY
 * distinct thresholds per feature (XGBoost's histogram method makes at
 * most 255), depth PERFECT_MAX_DEPTH; other forests keep the compact walk.
 *
 * Two walks of the same layout.  The portable one advances 16 trees level
 * by level.  The AVX-512 one (chosen at run time when the CPU has it, for
 * D <= 6) decides all 63 nodes of a tree at once with two vector lookups
 * and compares, then follows the path on the resulting bit mask, 8 trees
 * per instruction: no gathers (on the Zen 4 this was measured on, a gather
 * walk, one gather per level, was slower than the portable walk) and no
 * load that waits for the previous level.  Both are tested against the
 * canonical walk and XGBoost on every machine, the vector one where the
 * CPU has it.
 *
 * Memory.  Tree t's block holds its node words in breadth-first order (at
 * least 64, so the vector walk can load two full registers), then its 2^D
 * leaf values.  The blocks live in the room qpm_forest_alloc reserves for
 * the walker: 8 bytes per node or PERFECT_BYTES_DEPTH6 per tree, whichever
 * is more, so any forest of depth <= 6 fits (a full depth-6 tree of 127
 * nodes would have had 1016 bytes of compact copy; it now needs 384) and a
 * deeper one fits only if its trees are full enough.  The thresholds, with
 * 16 search keys per feature for the vector rank, have their own room.
 *
 * Exactness.  Leaves are added to the float sum from base_score one tree at
 * a time in tree order, so the result is the canonical walk's bit for bit.
 * That chain of 300 dependent float additions is now the largest single
 * cost of a 300-tree prediction; summing in another order would be faster
 * and not bit-identical to XGBoost.
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
/* A node is key << 5 | slot in 16 bits. */
#define PERFECT_MAX_KEY 2047
/* The vector walk holds a tree's nodes in two registers: 64 positions. */
#define VECTOR_MAX_DEPTH 6
#define VECTOR_NODES 64
#if VECTOR_NODES * 2 + VECTOR_NODES * 4 != PERFECT_BYTES_DEPTH6
#error "PERFECT_BYTES_DEPTH6 must be the size of a depth-6 tree"
#endif

/* Node words of a tree of depth d: 2^d - 1 used, at least VECTOR_NODES. */
static size_t
node_words(int32_t d)
{
	size_t		n = (size_t) 1 << d;

	return n < VECTOR_NODES ? VECTOR_NODES : n;
}

/* Bytes of one tree: its node words, then its 2^d leaf values. */
static size_t
tree_bytes(int32_t d)
{
	return sizeof(uint16_t) * node_words(d) + sizeof(float) * ((size_t) 1 << d);
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
 * Sorted distinct thresholds of every feature into e->thresholds; false if
 * a feature has more than PERFECT_MAX_KEY of them.  Each feature's segment
 * is laid out for the vector rank (row_table_avx512): 16 search keys, then
 * the thresholds u[0 .. m), then +inf up to the next multiple of 16 (a
 * whole block of it when m is one already).  Search key i is the last
 * value of block i, u[16 i + 15] (+inf past the end).  Room: validate
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
		if (m > PERFECT_MAX_KEY)
			return false;
		for (i = m; i < 16 * (m / 16 + 1); i++)
			u[i] = INFINITY;
		for (i = 0; i < 16; i++)
			u[i - 16] = i <= m / 16 ? u[16 * i + 15] : INFINITY;
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

/* A split's key: 1 + the position of its threshold among its feature's. */
static uint32_t
key_of(const QpmForestEval *e, int32_t feature, float threshold)
{
	const float *u = e->thresholds + e->thr_start[feature];

	/* the threshold is in the table, so the rank of it is its position + 1 */
	return rank_of(u, e->thr_count[feature], threshold);
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
 * Write node n of a tree, at level d and breadth-first position k of the
 * perfect tree of depth D, and what lies under it, into the tree's node
 * words and leaves.  Recursion depth is at most D.
 */
static void
place(const QpmForest *f, const QpmForestEval *e, const QpmTreeNode *tree,
	  const QpmTreeNode *n, uint16_t *words, float *leaves, int32_t D,
	  uint32_t k, int32_t d)
{
	if (d == D)
	{
		/* a leaf: D is the deepest leaf's level */
		leaves[k - (((uint32_t) 1 << D) - 1)] = n->value;
		return;
	}
	if (n->left < 0)
	{
		/* padding: key 0 goes right; the value fills every leaf below */
		words[k] = 0;
		place(f, e, tree, n, words, leaves, D, 2 * k + 1, d + 1);
		place(f, e, tree, n, words, leaves, D, 2 * k + 2, d + 1);
		return;
	}
	words[k] = (uint16_t) (key_of(e, n->feature, n->value) << 5 |
						   (uint32_t) (n->default_left ? n->feature
									   : f->n_features + n->feature));
	place(f, e, tree, tree + n->left, words, leaves, D, 2 * k + 1, d + 1);
	place(f, e, tree, tree + n->right, words, leaves, D, 2 * k + 2, d + 1);
}

/* See the file header; false leaves the room to the compact layout. */
bool
qpm_perfect_build(QpmForest *f)
{
	QpmForestEval *e = f->eval;
	size_t		room = e->room;
	int32_t		max_size = 0;
	int32_t    *depth;
	char	   *base = (char *) e->nodes;
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
	if (D > PERFECT_MAX_DEPTH || tree_bytes(D) * (size_t) f->n_trees > room)
		return false;

	/* unused node words stay 0 (padding) */
	e->depth = D;
	memset(base, 0, tree_bytes(D) * (size_t) f->n_trees);
	for (t = 0; t < f->n_trees; t++)
	{
		uint16_t   *words = (uint16_t *) (base + tree_bytes(D) * (size_t) t);
		/* cppcheck-suppress invalidPointerCast ; leaves follow the nodes in one buffer, 4-byte aligned */
		float	   *leaves = (float *) (words + node_words(D));

		place(f, e, f->nodes + f->tree_offset[t], f->nodes + f->tree_offset[t],
			  words, leaves, D, 0, 0);
	}
	return true;
}

/*
 * The row table: slot f and n_features + f hold feature f's rank << 5 |
 * 31; a NaN ranks below every key in the first half (31: only a padding
 * node's 0 is <= it) and above in the second (0xFFFF).  Unused slots of
 * the 32 are 0.
 */
static void
row_table(const QpmForest *f, const QpmForestEval *e, const double *x, uint16_t *row)
{
	int32_t		nf = f->n_features;
	int32_t		j;

	memset(row, 0, sizeof(uint16_t) * 2 * PERFECT_MAX_FEATURES);
	for (j = 0; j < nf; j++)
	{
		/* XGBoost's DMatrix holds floats: round first, then test NaN */
		float		v = (float) x[j];

		if (isnan(v))
		{
			row[j] = 31;
			row[nf + j] = 0xFFFF;
		}
		else
			row[j] = row[nf + j] = (uint16_t)
				(rank_of(e->thresholds + e->thr_start[j], e->thr_count[j], v) << 5 | 31);
	}
}

/*
 * EVAL_LANES trees in flight, one level at a time (the loop over lanes is
 * fully unrolled, see forest_eval.h), leaves added in tree order.
 */
static float
walk_portable(const QpmForest *f, const QpmForestEval *e, const uint16_t *row)
{
	const char *base = (const char *) e->nodes;
	size_t		stride = tree_bytes(e->depth);
	size_t		nodes = node_words(e->depth);
	int32_t		D = e->depth;
	uint32_t	inner = ((uint32_t) 1 << D) - 1;
	float		sum = f->base_score;
	int32_t		first;

	for (first = 0; first < f->n_trees; first += EVAL_LANES)
	{
		const uint16_t *w[EVAL_LANES];
		uint32_t	k[EVAL_LANES];
		int32_t		used = f->n_trees - first;
		int32_t		d;
		int			l;

		if (used > EVAL_LANES)
			used = EVAL_LANES;
		/* spare lanes re-walk the last tree and are not added */
		for (l = 0; l < EVAL_LANES; l++)
		{
			w[l] = (const uint16_t *) (base + stride * (size_t) (first + (l < used ? l : used - 1)));
			k[l] = 0;
		}
		for (d = 0; d < D; d++)
		{
			UNROLL_LANES
			for (l = 0; l < EVAL_LANES; l++)
			{
				uint32_t	node = w[l][k[l]];

				k[l] = 2 * k[l] + 1 + (row[node & 31] >= node);
			}
		}
		for (l = 0; l < used; l++)
			/* cppcheck-suppress invalidPointerCast ; the leaves written as float by place() */
			sum += ((const float *) (w[l] + nodes))[k[l] - inner];
	}
	return sum;
}

#ifdef PERFECT_AVX512
/*
 * row_table with a two-step vector search for each rank: one compare with
 * the feature's 16 search keys counts the blocks of 16 thresholds wholly
 * <= v, one compare within the next block counts the rest.  That covers
 * up to 255 thresholds (16 blocks, the last one ending in +inf), which is
 * what XGBoost's histogram method produces; a feature with more is
 * searched by rank_of.  v is clamped to FLT_MAX so that +inf counts every
 * (finite) threshold but never the +inf padding.
 */
__attribute__((target("avx512f,popcnt")))
static void
row_table_avx512(const QpmForest *f, const QpmForestEval *e, const double *x, uint16_t *row)
{
	int32_t		nf = f->n_features;
	int32_t		j;

	memset(row, 0, sizeof(uint16_t) * 2 * PERFECT_MAX_FEATURES);
	for (j = 0; j < nf; j++)
	{
		const float *u = e->thresholds + e->thr_start[j];
		float		v = (float) x[j];
		uint32_t	r;

		if (isnan(v))
		{
			row[j] = 31;
			row[nf + j] = 0xFFFF;
			continue;
		}
		if (e->thr_count[j] < 256)
		{
			__m512		vv = _mm512_set1_ps(v < FLT_MAX ? v : FLT_MAX);
			uint32_t	blocks = (uint32_t) __builtin_popcount(
				_mm512_cmp_ps_mask(_mm512_loadu_ps(u - 16), vv, _CMP_LE_OQ));

			r = 16 * blocks + (uint32_t) __builtin_popcount(
				_mm512_cmp_ps_mask(_mm512_loadu_ps(u + 16 * blocks), vv, _CMP_LE_OQ));
		}
		else
			r = rank_of(u, e->thr_count[j], v);
		row[j] = row[nf + j] = (uint16_t) (r << 5 | 31);
	}
}

/*
 * Every node of a tree at once, then the path: a tree of depth <= 6 has at
 * most 63 nodes, two registers of 32 words.  vpermw looks each node's row
 * value up (it reads the low 5 bits of the word: the slot) and one
 * unsigned compare per register gives the tree's 64 decisions as a mask,
 * bit k = position k goes right: no gather, and no load waits for the
 * previous level.  The paths of 8 trees then advance together, one 64-bit
 * lane each: k = 2 k + 1 + bit k of the mask.  The leaves of a group of
 * EVAL_LANES trees are added in tree order while the next group is being
 * walked (the sum is a chain of dependent float additions, the walk is
 * independent work that fills the wait).
 */
__attribute__((target("avx512f,avx512bw")))
static float
walk_avx512(const QpmForest *f, const QpmForestEval *e, const uint16_t *row)
{
	const char *base = (const char *) e->nodes;
	const __m512i table = _mm512_loadu_si512((const void *) row);
	const __m512i one = _mm512_set1_epi64(1);
	size_t		stride = tree_bytes(e->depth);
	int32_t		D = e->depth;
	uint64_t	inner = ((uint64_t) 1 << D) - 1;
	float		sum = f->base_score;
	const uint16_t *w[2][EVAL_LANES];	/* this group's trees, the last one's */
	uint64_t	k[2][EVAL_LANES];
	int32_t		used[2] = {0, 0};
	int32_t		first;
	int			cur = 0;
	int			l;

	for (first = 0;; first += EVAL_LANES, cur ^= 1)
	{
		int			prev = cur ^ 1;
		uint64_t	right[EVAL_LANES];
		__m512i		r0,
					r1,
					k0,
					k1;
		int32_t		d;

		used[cur] = f->n_trees - first;
		if (used[cur] > EVAL_LANES)
			used[cur] = EVAL_LANES;
		if (used[cur] > 0)
		{
			UNROLL_LANES
			for (l = 0; l < EVAL_LANES; l++)
			{
				const uint16_t *t;
				__m512i		lo,
							hi;

				/* spare lanes re-walk the last tree and are not added */
				t = (const uint16_t *) (base + stride * (size_t) (first + (l < used[cur] ? l : used[cur] - 1)));
				w[cur][l] = t;
				lo = _mm512_loadu_si512((const void *) t);
				hi = _mm512_loadu_si512((const void *) (t + 32));
				_store_mask64((__mmask64 *) &right[l],
							  _mm512_kunpackd(_mm512_cmpge_epu16_mask(_mm512_permutexvar_epi16(hi, table), hi),
											  _mm512_cmpge_epu16_mask(_mm512_permutexvar_epi16(lo, table), lo)));
			}
		}
		/* the previous group's leaves, in tree order */
		for (l = 0; l < used[prev]; l++)
			sum += ((const float *) (w[prev][l] + VECTOR_NODES))[k[prev][l] - inner];
		if (used[cur] <= 0)
			break;
		r0 = _mm512_loadu_si512((const void *) right);
		r1 = _mm512_loadu_si512((const void *) (right + 8));
		k0 = k1 = _mm512_setzero_si512();
		for (d = 0; d < D; d++)
		{
			__m512i		b0 = _mm512_and_si512(_mm512_srlv_epi64(r0, k0), one);
			__m512i		b1 = _mm512_and_si512(_mm512_srlv_epi64(r1, k1), one);

			k0 = _mm512_add_epi64(_mm512_add_epi64(_mm512_add_epi64(k0, k0), one), b0);
			k1 = _mm512_add_epi64(_mm512_add_epi64(_mm512_add_epi64(k1, k1), one), b1);
		}
		_mm512_storeu_si512((void *) k[cur], k0);
		_mm512_storeu_si512((void *) (k[cur] + 8), k1);
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
		__builtin_cpu_supports("popcnt") ? 1 : 0;
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

/* The row table, then the walk this CPU runs best for the forest's depth. */
float
qpm_perfect_predict(const QpmForest *f, const double *x)
{
	uint16_t	row[2 * PERFECT_MAX_FEATURES];

	if (use_vector < 0)
		use_vector = cpu_has_vector();
#ifdef PERFECT_AVX512
	if (use_vector)
	{
		row_table_avx512(f, f->eval, x, row);
		if (f->eval->depth <= VECTOR_MAX_DEPTH)
			return walk_avx512(f, f->eval, row);
		return walk_portable(f, f->eval, row);
	}
#endif
	row_table(f, f->eval, x, row);
	return walk_portable(f, f->eval, row);
}
