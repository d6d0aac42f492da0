/*
 * forest.h — tree ensembles in a flat form, evaluated natively.
 *
 * XGBoost trains the trees (src/xgb_train.c, server side only); its text
 * dump is parsed into this flat layout, which is what the model blob stores
 * and (through a copy laid out for speed) what predict() walks: no XGBoost
 * call at prediction time.  The walk reproduces XGBoost's own arithmetic bit for
 * bit: thresholds and leaf values are floats, each compared feature is
 * rounded to float first (as XGBoost's DMatrix stores it), the sum is done
 * in float starting from base_score, `x < threshold` goes left, a NaN
 * input follows the node's default direction.
 *
 * Layout: tree t owns nodes[tree_offset[t] .. tree_offset[t + 1]), its root
 * first; child indexes are relative to the tree's first node and always
 * greater than their parent's (the parser writes depth-first preorder), so
 * a walk moves strictly forward and always ends at a leaf.
 *
 * Those nodes are the canonical form (serialized, exported, read by SHAP).
 * predict() walks a copy instead, built by qpm_forest_validate in room
 * qpm_forest_alloc reserved: the trees padded to perfect trees with 16-bit
 * nodes (forest_perfect.c), or, when they do not fit that, a compact copy
 * of 8 bytes a node in breadth-first order (forest.c explains both and
 * why).  So whoever changes the nodes, offsets or feature count of a
 * validated forest validates it again before the next predict.  The copy
 * is rebuilt from the nodes at load time: the blob format does not change.
 */
#ifndef QPM_FOREST_H
#define QPM_FOREST_H

#include <stddef.h>
#include <stdint.h>

/*
 * Size limits, enforced by the parser and by validate (so by the blob
 * reader): they bound the allocation a crafted dump or blob can cause.  A
 * depth-6 booster has at most 127 nodes per tree.
 */
#define QPM_FOREST_MAX_TREES		100000
#define QPM_FOREST_MAX_TREE_NODES	(1 << 20)
#define QPM_FOREST_MAX_NODES		(1 << 24)

/*
 * cover and gain are XGBoost's node statistics (dump with_stats 1): cover is
 * the hessian sum of the training rows that reached the node (the row count
 * for squared error), which TreeSHAP uses as the node's probability mass;
 * gain is the split's loss reduction, summed per feature for importance.
 * Both are 0 in a forest parsed from a dump without statistics.  The walker
 * never reads them.
 */
typedef struct QpmTreeNode
{
	int32_t		left;			/* index within the tree; -1 for a leaf */
	int32_t		right;			/* -1 for a leaf */
	int32_t		feature;		/* split feature, -1 for a leaf */
	uint8_t		default_left;	/* NaN goes left? (0 for a leaf) */
	float		value;			/* threshold, or leaf value */
	float		cover;			/* hessian sum (XGBoost "cover"), >= 0 */
	float		gain;			/* split gain; 0 for a leaf */
} QpmTreeNode;

typedef struct QpmForest
{
	int32_t		n_trees;
	int32_t		n_nodes;		/* total over all trees */
	int32_t		n_features;
	float		base_score;		/* added once (margin space, identity link) */
	int32_t    *tree_offset;	/* n_trees + 1 entries: node range of tree t */
	QpmTreeNode *nodes;			/* n_nodes entries, each tree's root first */
	/* private to forest.c and forest_perfect.c: the walker's copy (NULL,
	 * or not built yet: predict walks nodes) */
	struct QpmForestEval *eval;
} QpmForest;

/*
 * Allocate a zeroed forest with room for n_trees / n_nodes, and for the
 * walker's copy, in one qpm_alloc block (so qpm_forest_free, or the
 * server's memory context, releases it at once).  NULL when a count is
 * outside the limits above.  The caller fills tree_offset (n_trees + 1
 * entries) and nodes, then calls qpm_forest_validate.
 */
QpmForest  *qpm_forest_alloc(int32_t n_trees, int32_t n_nodes, int32_t n_features);

/*
 * Most nodes a binary tree of depth max_depth fitted on n_rows rows can
 * have, each leaf holding at least one row: min(2^(max_depth+1) - 1,
 * 2 n_rows - 1).  The size rule behind training's model size check.
 */
int64_t		qpm_tree_node_bound(int max_depth, size_t n_rows);

/* Release a forest from qpm_forest_alloc; NULL is allowed. */
void		qpm_forest_free(QpmForest *f);

/*
 * Prediction (margin = base_score + sum of leaves), float arithmetic.
 * x holds at least n_features values.  Hot path: no allocation, no checks
 * beyond the walk; only call it on a forest that passed validate since
 * its nodes last changed (the walker's copy is not rebuilt here).  A
 * hand-built forest never validated (tests) is walked on its canonical
 * nodes: same result, only slower.
 */
float		qpm_forest_predict(const QpmForest *f, const double *x);

/*
 * Margins of every prefix of the forest: out[r] is what the forest cut to
 * its first r + 1 trees predicts for x (n_trees entries), bit for bit,
 * because the float sum runs in tree order either way.  Training uses it
 * to pick the number of boosting rounds from one fit; not a hot path.
 */
void		qpm_forest_predict_prefixes(const QpmForest *f, const double *x, float *out);

/*
 * Cut a valid forest to its first n_trees trees (1 .. f->n_trees) and
 * validate it again, which rebuilds the walker's copy.  The block keeps
 * its size.  Returns 0, or -1 with err filled.
 */
int			qpm_forest_truncate(QpmForest *f, int32_t n_trees, char *err, size_t errlen);

/*
 * Which layout predict walks (diagnostics and tests): the canonical nodes
 * (never validated, or too wide), the compact copy, or the perfect-tree
 * layout of forest_perfect.c.
 */
typedef enum QpmForestLayout
{
	QPM_FOREST_CANONICAL,
	QPM_FOREST_COMPACT,
	QPM_FOREST_PERFECT
} QpmForestLayout;

QpmForestLayout qpm_forest_layout(const QpmForest *f);

/*
 * Tests only: 0 makes predict use the portable walk where it would use the
 * AVX-512 one; 1 goes back to what the CPU supports.  Returns 1 when the
 * AVX-512 walk is now in use.
 */
int			qpm_forest_set_vector(int enabled);

/*
 * Check structure: counts within the limits, tree offsets increasing from 0
 * to n_nodes, every child index inside its tree and after its parent, every
 * non-root node the child of exactly one node (so each is reached exactly
 * once from the root and a walk ends), leaves marked consistently, feature
 * indexes < n_features, finite base score, thresholds and leaf values,
 * finite covers >= 0, finite gains (0 for leaves).
 * Returns 0, or -1 with err filled.  On success it also (re)builds the
 * walker's copy, which is why it takes a non-const forest; a
 * failure drops the copy.  Every creator (the parser, the blob reader,
 * import, the random forest merge) calls it before any walk.  Uses
 * scratch buffers of the largest tree's size.
 */
int			qpm_forest_validate(QpmForest *f, char *err, size_t errlen);

/*
 * Parse XGBoost's text dump (one NUL-terminated string per tree, as
 * returned by XGBoosterDumpModelEx with fmap "", with_stats 1 or 0 and
 * format "text") into a forest.  Node ids in the dump are renumbered into
 * the flat layout.  A dump without statistics gives covers and gains of 0;
 * a dump must be consistent (statistics on every line or on none).
 * Returns NULL with err filled on any malformed input; the result has
 * passed qpm_forest_validate.
 */
QpmForest  *qpm_forest_from_xgb_dump(const char *const *trees, int32_t n_trees,
									 int32_t n_features, float base_score,
									 char *err, size_t errlen);

#endif
