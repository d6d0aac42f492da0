/*
 * forest_eval.h — the tree walkers' private layouts, shared by forest.c
 * (the canonical nodes, the compact layout, the block that holds them)
 * and forest_perfect.c (the perfect layout and its vector walk).  Nothing
 * outside those two files includes it: forest.h is the interface.
 */
#ifndef QPM_FOREST_EVAL_H
#define QPM_FOREST_EVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "forest.h"

/*
 * Trees the compact walk advances side by side.  Each step of one walk
 * waits for the previous node's load; many walks in flight keep the core
 * busy instead.  Measured on 300 depth-6 XGBoost trees and random rows,
 * against the canonical walk: 6 lanes 7x faster, 8 lanes 8x, 12 lanes
 * 10x, 16 lanes 11x, where it levels off.
 */
#define EVAL_LANES 16

/* Fully unroll the loop over lanes, so each lane's pointer is a register. */
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 8)
#define EVAL_PRAGMA_TEXT(text) _Pragma(#text)
#define EVAL_PRAGMA(text) EVAL_PRAGMA_TEXT(text)	/* expands EVAL_LANES first */
#define UNROLL_LANES EVAL_PRAGMA(GCC unroll EVAL_LANES)
#else
#define UNROLL_LANES
#endif

/*
 * Widest forest the compact copy encodes.  The walker's input vector (see
 * predict_compact) has 2 n_features + 1 slots, on its stack, and a node's
 * slot index must fit its 12 bits.  The feature sets have at most 64.
 */
#define EVAL_MAX_FEATURES 255

/*
 * One node of the compact copy.  child is the distance from this node to
 * its left child (the right one follows it), so 20 bits cover any tree
 * within QPM_FOREST_MAX_TREE_NODES.  input is the slot of the walker's
 * input vector the split reads: the feature's slot in the half where NaN
 * reads as -inf (NaN goes left) or +inf (NaN goes right).  A leaf has
 * child 0 and reads the NaN slot, so it "goes left" onto itself.
 */
typedef struct EvalNode
{
	float		value;			/* threshold, or leaf value */
	uint32_t	input:12;		/* slot of predict_compact's xs[] */
	uint32_t	child:20;		/* left child = this node + child */
} EvalNode;

/*
 * Widest forest the perfect layout encodes (forest_perfect.c): a row is
 * one byte per feature (and per further 255 thresholds of a feature that
 * has more), and the vector walk holds it in one 64-byte register.  The
 * feature sets have at most QPM_MAX_FEATURES (64).
 */
#define PERFECT_MAX_FEATURES 64

/*
 * Floats of threshold room beyond one per split: forest_perfect.c puts 16
 * search keys before each feature's thresholds and pads them to a multiple
 * of 16 after.
 */
#define PERFECT_THRESHOLD_PAD (32 * PERFECT_MAX_FEATURES)

/*
 * Bytes of the perfect layout per tree of depth <= 6 (forest_perfect.c:
 * 64 slot bytes, 64 key bytes, 64 leaves of 4), which qpm_forest_alloc
 * reserves at least, so that every forest of such trees gets it.
 */
#define PERFECT_BYTES_DEPTH6 (64 * 2 + 64 * 4)

/*
 * The walker's copy of a forest, in the forest's own block.  Its room
 * (max_nodes EvalNodes, or PERFECT_BYTES_DEPTH6 per tree if that is more)
 * holds either the compact layout (forest.c) or, when it fits there, the
 * perfect layout (forest_perfect.c): which one is a property of the trees,
 * rebuilt by every validate.
 */
typedef struct QpmForestEval
{
	bool		ready;			/* built from the current nodes by validate */
	bool		perfect;		/* the room holds the perfect layout */
	int32_t		max_trees;		/* room reserved by qpm_forest_alloc */
	int32_t		max_nodes;
	size_t		room;			/* bytes at nodes */
	EvalNode   *nodes;			/* the room, 64-byte aligned; compact: same tree
								 * ranges as the nodes */
	int32_t    *group_steps;	/* per group of EVAL_LANES trees: deepest leaf */
	/* perfect layout only */
	int32_t		depth;			/* of every tree, padded: the deepest leaf's level */
	float	   *thresholds;		/* room: max_nodes / 2 + 1 + PERFECT_THRESHOLD_PAD */
	int32_t		thr_start[PERFECT_MAX_FEATURES];	/* a feature's sorted distinct ones */
	int32_t		thr_count[PERFECT_MAX_FEATURES];
	/* row bytes: one per feature, then one per further range of 255 thresholds */
	int32_t		n_slots;
	int32_t		extra_slot[PERFECT_MAX_FEATURES];	/* a feature's second range's slot */
	int32_t		slot_feature[PERFECT_MAX_FEATURES]; /* of slots n_features and up */
	int32_t		slot_first[PERFECT_MAX_FEATURES];	/* their first threshold's position */
} QpmForestEval;

/* Alignment of the walker's room in the forest's block: a cache line. */
#define EVAL_ALIGN 64

/* Groups of EVAL_LANES trees among n_trees. */
static inline int32_t
eval_groups(int32_t n_trees)
{
	return (n_trees + EVAL_LANES - 1) / EVAL_LANES;
}

/*
 * forest_perfect.c: build the perfect layout of a forest that just passed
 * validation into its eval room, if it fits (true), and walk it (false,
 * nothing walked, for a row with a NaN input).
 */
bool		qpm_perfect_build(QpmForest *f);
bool		qpm_perfect_predict(const QpmForest *f, const double *x, float *out);

#endif
