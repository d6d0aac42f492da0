/*
 * shap.c — SHAP values and feature importance for the core's models.
 *
 * TreeSHAP.  For one tree and input, feature j's SHAP value is its Shapley
 * value in the game v(S) = E[tree(x) | x_S], the expectation over features
 * outside S taken the path-dependent way: at a split on a feature outside S
 * both children are followed, weighted by their share of the parent's
 * training cover.  Lundberg, Erion & Lee (2018)'s Algorithm 2 computes all
 * of them in one recursion over the tree, in O(leaves x depth^2): it carries
 * the "unique path" of features split on from the root, each with the
 * fraction of covers that flows down the path when the feature is absent
 * (zero_fraction) and whether x itself follows it (one_fraction), plus the
 * permutation weights (pweight) of every subset size; a feature met twice is
 * first unwound from the path and re-extended with the product of its
 * fractions.  At a leaf, each feature on the path gets (one - zero) x leaf
 * value x the weight sum with that feature unwound.
 *
 * This is XGBoost's recursion (RegTree::CalculateContributions,
 * tree_model.cc) with its conventions: a NaN input follows the node's
 * default child, inputs are compared as floats (`x < threshold` goes left),
 * the expected value of a tree is the cover-weighted mean of its leaves
 * computed bottom-up with the node's own cover as denominator.  It runs in
 * double rather than float, so it agrees with XGBoost to float rounding, not
 * bit for bit (test_shap.c measures it), and bias + sum of contributions
 * equals the exact sum of the leaves on the path; the walker's float sum
 * differs from that by rounding only.
 *
 * A cold child (no cover) carries zero weight down every path, so its
 * subtree contributes exactly 0 and is skipped, which keeps unwinding free
 * of division by zero.  Splits need a positive cover whose children's covers
 * add up to it (true of every tree XGBoost grows): a forest parsed from a
 * dump without statistics, or with covers edited into inconsistency
 * (fractions above 1 make the weights cancel catastrophically), is refused,
 * not explained wrongly.  Depth is bounded (QPM_SHAP_MAX_DEPTH; trained
 * trees are far shallower): the recursion uses the C stack and the path
 * buffer grows with depth^2.
 *
 * Importance, the global view: total split gain per feature for trees,
 * |coefficient| of the z-scored features for ridge, normalized to sum to 1.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "qpm_util.h"
#include "qpm_alloc.h"
#include "shap.h"

/*
 * How far the children's covers may be from adding up to their parent's:
 * XGBoost sums hessians in double and stores floats, so real trees agree
 * to ~1e-7; a larger gap means covers edited by hand.
 */
#define COVER_TOLERANCE 1e-3

/* One feature on the unique path from the root to the current node. */
typedef struct PathElement
{
	int32_t		feature;		/* -1 for the root's placeholder */
	double		zero_fraction;	/* share of cover flowing here without x_j */
	double		one_fraction;	/* 1 if x itself goes this way, else 0 */
	double		pweight;		/* permutation weight of one subset size */
} PathElement;

/* What the recursion over one tree shares. */
typedef struct ShapWalk
{
	const QpmTreeNode *tree;
	const double *x;
	double	   *phi;
} ShapWalk;

/* Add a feature to the path, updating the weight of every subset size. */
static void
extend_path(PathElement *path, int depth, double zero_fraction,
			double one_fraction, int32_t feature)
{
	int			i;

	path[depth].feature = feature;
	path[depth].zero_fraction = zero_fraction;
	path[depth].one_fraction = one_fraction;
	path[depth].pweight = depth == 0 ? 1.0 : 0.0;
	for (i = depth - 1; i >= 0; i--)
	{
		path[i + 1].pweight += one_fraction * path[i].pweight * (i + 1) /
			(double) (depth + 1);
		path[i].pweight = zero_fraction * path[i].pweight * (depth - i) /
			(double) (depth + 1);
	}
}

/* Undo extend_path for the element at index, and remove it from the path. */
static void
unwind_path(PathElement *path, int depth, int index)
{
	double		one_fraction = path[index].one_fraction;
	double		zero_fraction = path[index].zero_fraction;
	double		next_one_portion = path[depth].pweight;
	int			i;

	for (i = depth - 1; i >= 0; i--)
	{
		if (one_fraction != 0.0)
		{
			double		tmp = path[i].pweight;

			path[i].pweight = next_one_portion * (depth + 1) /
				((i + 1) * one_fraction);
			next_one_portion = tmp - path[i].pweight * zero_fraction *
				(depth - i) / (double) (depth + 1);
		}
		else
			path[i].pweight = path[i].pweight * (depth + 1) /
				(zero_fraction * (depth - i));
	}
	for (i = index; i < depth; i++)
	{
		path[i].feature = path[i + 1].feature;
		path[i].zero_fraction = path[i + 1].zero_fraction;
		path[i].one_fraction = path[i + 1].one_fraction;
	}
}

/* Total permutation weight the path would have with element index unwound. */
static double
unwound_path_sum(const PathElement *path, int depth, int index)
{
	double		one_fraction = path[index].one_fraction;
	double		zero_fraction = path[index].zero_fraction;
	double		next_one_portion = path[depth].pweight;
	double		total = 0.0;
	int			i;

	for (i = depth - 1; i >= 0; i--)
	{
		if (one_fraction != 0.0)
		{
			double		tmp = next_one_portion * (depth + 1) /
				((i + 1) * one_fraction);

			total += tmp;
			next_one_portion = path[i].pweight - tmp * zero_fraction *
				((depth - i) / (double) (depth + 1));
		}
		else if (zero_fraction != 0.0)
			total += (path[i].pweight / zero_fraction) /
				((depth - i) / (double) (depth + 1));
	}
	return total;
}

/*
 * Algorithm 2's RECURSE.  parent_path holds depth + 1 elements; this
 * node's path is built right after it in the same buffer (sized by the
 * caller for the tree's depth), so nothing is allocated per node.
 */
static void
tree_shap(const ShapWalk *w, int32_t node, int depth, PathElement *parent_path,
		  double parent_zero, double parent_one, int32_t parent_feature)
{
	const QpmTreeNode *n = &w->tree[node];
	PathElement *path = parent_path + depth + 1;
	int32_t		hot;
	int32_t		cold;
	double		hot_zero;
	double		cold_zero;
	double		incoming_zero = 1.0;
	double		incoming_one = 1.0;
	float		v;
	int			k;

	memcpy(path, parent_path, sizeof(PathElement) * (size_t) (depth + 1));
	extend_path(path, depth, parent_zero, parent_one, parent_feature);

	if (n->left < 0)
	{
		for (k = 1; k <= depth; k++)
		{
			const PathElement *el = &path[k];

			w->phi[el->feature] += unwound_path_sum(path, depth, k) *
				(el->one_fraction - el->zero_fraction) * (double) n->value;
		}
		return;
	}

	/* the walker's rule: float input, NaN to the default, x < threshold left */
	v = (float) w->x[n->feature];
	if (isnan(v))
		hot = n->default_left ? n->left : n->right;
	else
		hot = v < n->value ? n->left : n->right;
	cold = hot == n->left ? n->right : n->left;
	hot_zero = (double) w->tree[hot].cover / (double) n->cover;
	cold_zero = (double) w->tree[cold].cover / (double) n->cover;

	/* a feature split on before is unwound, then re-extended below */
	for (k = 0; k <= depth; k++)
		if (path[k].feature == n->feature)
			break;
	if (k <= depth)
	{
		incoming_zero = path[k].zero_fraction;
		incoming_one = path[k].one_fraction;
		unwind_path(path, depth, k);
		depth--;
	}

	tree_shap(w, hot, depth + 1, path, hot_zero * incoming_zero,
			  incoming_one, n->feature);
	/* no cover, no weight: the cold subtree would add exactly 0 */
	if (cold_zero * incoming_zero > 0.0)
		tree_shap(w, cold, depth + 1, path, cold_zero * incoming_zero,
				  0.0, n->feature);
}

/*
 * One pass over a tree (nodes in preorder, children after parents): check
 * that every split has a positive cover and the depth is within bounds,
 * and compute the tree's expected value bottom-up into *mean.  depth and
 * means are scratch of the tree's size.  Returns the tree's depth, or -1
 * with err filled.
 */
static int
prepare_tree(const QpmTreeNode *tree, int32_t size, int32_t t, int32_t *depth,
			 double *means, double *mean, char *err, size_t errlen)
{
	int			max_depth = 0;
	int32_t		i;

	depth[0] = 0;
	for (i = 0; i < size; i++)
	{
		const QpmTreeNode *n = &tree[i];

		if (n->left < 0)
			continue;
		if (!(n->cover > 0.0f))
		{
			qpm_set_error(err, errlen,
					  "tree %d node %d has no cover: the forest lacks node statistics",
					  t, i);
			return -1;
		}
		/* so every fraction is in [0, 1] and the weights stay well scaled */
		if (fabs((double) tree[n->left].cover + (double) tree[n->right].cover -
				 (double) n->cover) > COVER_TOLERANCE * (double) n->cover)
		{
			qpm_set_error(err, errlen,
					  "tree %d node %d: children covers %g and %g do not add up to the node's %g",
					  t, i, (double) tree[n->left].cover,
					  (double) tree[n->right].cover, (double) n->cover);
			return -1;
		}
		if (depth[i] + 1 > QPM_SHAP_MAX_DEPTH)
		{
			qpm_set_error(err, errlen, "tree %d is deeper than %d levels",
					  t, QPM_SHAP_MAX_DEPTH);
			return -1;
		}
		depth[n->left] = depth[n->right] = depth[i] + 1;
		if (depth[i] + 1 > max_depth)
			max_depth = depth[i] + 1;
	}
	for (i = size - 1; i >= 0; i--)
	{
		const QpmTreeNode *n = &tree[i];

		if (n->left < 0)
			means[i] = (double) n->value;
		else
			means[i] = (means[n->left] * (double) tree[n->left].cover +
						means[n->right] * (double) tree[n->right].cover) /
				(double) n->cover;
	}
	*mean = means[0];
	return max_depth;
}

/*
 * Every tree is checked before any contribution is added, so a refused
 * forest leaves out zeroed, never half-filled.
 */
int
qpm_forest_shap(const QpmForest *f, const double *x, double *out,
				double *bias, char *err, size_t errlen)
{
	int32_t		max_size = 0;
	int			max_depth = 0;
	double		expected = (double) f->base_score;
	int32_t    *depth;
	double	   *means;
	PathElement *path;
	size_t		path_len;
	int32_t		t;
	int			rc = 0;

	memset(out, 0, sizeof(double) * (size_t) f->n_features);
	*bias = 0.0;
	for (t = 0; t < f->n_trees; t++)
		if (f->tree_offset[t + 1] - f->tree_offset[t] > max_size)
			max_size = f->tree_offset[t + 1] - f->tree_offset[t];
	depth = qpm_alloc(sizeof(int32_t) * (size_t) max_size);
	means = qpm_alloc(sizeof(double) * (size_t) max_size);
	for (t = 0; t < f->n_trees && rc == 0; t++)
	{
		double		mean;
		int			d = prepare_tree(f->nodes + f->tree_offset[t],
									 f->tree_offset[t + 1] - f->tree_offset[t], t,
									 depth, means, &mean, err, errlen);

		if (d < 0)
			rc = -1;
		else
		{
			expected += mean;
			if (d > max_depth)
				max_depth = d;
		}
	}
	qpm_free(depth);
	qpm_free(means);
	if (rc != 0)
		return -1;

	/* level k of the recursion holds a path of at most k + 1 elements */
	path_len = (size_t) (max_depth + 2) * (size_t) (max_depth + 3) / 2;
	path = qpm_alloc(sizeof(PathElement) * path_len);
	for (t = 0; t < f->n_trees; t++)
	{
		ShapWalk	w;

		w.tree = f->nodes + f->tree_offset[t];
		w.x = x;
		w.phi = out;
		tree_shap(&w, 0, 0, path, 1.0, 1.0, -1);
	}
	qpm_free(path);

	/* only covers that contradict each other (a crafted model) get here */
	for (t = 0; t < f->n_features; t++)
		if (!isfinite(out[t]))
			break;
	if (t < f->n_features || !isfinite(expected))
	{
		memset(out, 0, sizeof(double) * (size_t) f->n_features);
		qpm_set_error(err, errlen, "contributions are not finite: node covers are inconsistent");
		return -1;
	}
	*bias = expected;
	return 0;
}

/* Transform, then the algorithm's own explanation. */
int
qpm_model_shap(const QpmModel *m, const double *raw, double *xt,
			   double *out, double *bias, char *err, size_t errlen)
{
	double		local[QPM_MAX_FEATURES];
	double	   *v = xt != NULL ? xt : local;
	int			j;

	qpm_transform_apply(&m->transform, raw, v);
	switch (m->algorithm)
	{
		case QPM_ALG_LINEAR:
			for (j = 0; j < m->transform.n_features; j++)
				out[j] = m->linear.coef[j] * v[j];
			*bias = m->linear.intercept;
			return 0;
		case QPM_ALG_GRADIENT_BOOSTING:
		case QPM_ALG_RANDOM_FOREST:
			if (m->forest == NULL || m->forest->n_features != m->transform.n_features)
			{
				qpm_set_error(err, errlen, "tree model without a forest of %d features",
						  m->transform.n_features);
				return -1;
			}
			return qpm_forest_shap(m->forest, v, out, bias, err, errlen);
		default:
			qpm_set_error(err, errlen, "algorithm %d cannot be explained",
					  (int) m->algorithm);
			return -1;
	}
}

/* Scale to sum 1; -1 (and all zero) when there is nothing to scale. */
static int
normalize(double *v, int n)
{
	double		total = 0.0;
	int			j;

	for (j = 0; j < n; j++)
		total += v[j];
	if (!(total > 0.0) || !isfinite(total))
	{
		memset(v, 0, sizeof(double) * (size_t) n);
		return -1;
	}
	for (j = 0; j < n; j++)
		v[j] /= total;
	return 0;
}

/* Total gain per split feature, normalized. */
int
qpm_forest_importance(const QpmForest *f, double *out)
{
	int32_t		i;

	memset(out, 0, sizeof(double) * (size_t) f->n_features);
	for (i = 0; i < f->n_nodes; i++)
	{
		const QpmTreeNode *n = &f->nodes[i];

		if (n->left >= 0 && n->gain > 0.0f)
			out[n->feature] += (double) n->gain;
	}
	return normalize(out, f->n_features);
}

/* |coef| for linear (z-scored features), gain for trees. */
int
qpm_model_importance(const QpmModel *m, double *out)
{
	int			n = m->transform.n_features;
	int			j;

	switch (m->algorithm)
	{
		case QPM_ALG_LINEAR:
			for (j = 0; j < n; j++)
				out[j] = fabs(m->linear.coef[j]);
			return normalize(out, n);
		case QPM_ALG_GRADIENT_BOOSTING:
		case QPM_ALG_RANDOM_FOREST:
			if (m->forest != NULL && m->forest->n_features == n)
				return qpm_forest_importance(m->forest, out);
			break;
		default:
			break;
	}
	memset(out, 0, sizeof(double) * (size_t) n);
	return -1;
}
