/*
 * forest.h — tree ensembles in a flat form, evaluated natively.
 *
 * XGBoost trains the trees (src/xgb_train.c, server side only); its text
 * dump is parsed into this flat layout, which is what the model blob stores
 * and what predict() walks: no XGBoost call at prediction time.  The walk
 * reproduces XGBoost's own arithmetic bit for bit: thresholds and leaf
 * values are floats, the sum is done in float starting from base_score,
 * `x < threshold` goes left, a NaN input follows the node's default
 * direction.
 */
#ifndef QPM_FOREST_H
#define QPM_FOREST_H

#include <stddef.h>
#include <stdint.h>

typedef struct QpmTreeNode
{
	int32_t		left;			/* index within the tree; -1 for a leaf */
	int32_t		right;
	int32_t		feature;		/* split feature, -1 for a leaf */
	uint8_t		default_left;	/* NaN goes left? */
	float		value;			/* threshold, or leaf value */
} QpmTreeNode;

typedef struct QpmForest
{
	int32_t		n_trees;
	int32_t		n_nodes;		/* total over all trees */
	int32_t		n_features;
	float		base_score;		/* added once (margin space, identity link) */
	int32_t    *tree_offset;	/* n_trees + 1 entries: node range of tree t */
	QpmTreeNode *nodes;			/* n_nodes entries, each tree's root first */
} QpmForest;

/* Allocate an empty forest with room for n_trees / n_nodes (qpm_alloc). */
QpmForest  *qpm_forest_alloc(int32_t n_trees, int32_t n_nodes, int32_t n_features);
void		qpm_forest_free(QpmForest *f);

/* Prediction (margin = sum of leaves + base_score), float arithmetic. */
float		qpm_forest_predict(const QpmForest *f, const double *x);

/*
 * Check structure: every child index inside its tree, every non-leaf
 * reachable once from the root (no cycles, no sharing), feature indexes
 * < n_features, finite thresholds and leaf values.  Returns 0, or -1 with
 * err filled.  Deserialization and import call it before any walk.
 */
int			qpm_forest_validate(const QpmForest *f, char *err, size_t errlen);

/*
 * Parse XGBoost's text dump (one string per tree, as returned by
 * XGBoosterDumpModelEx with fmap "" and format "text", with_stats 0) into a
 * forest.  Node ids in the dump are renumbered into the flat layout.
 * Returns NULL with err filled on any malformed input.
 */
QpmForest  *qpm_forest_from_xgb_dump(const char *const *trees, int32_t n_trees,
									 int32_t n_features, float base_score,
									 char *err, size_t errlen);

#endif
