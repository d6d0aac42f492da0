/*
 * shap.h — explaining models: per-prediction contributions (SHAP values)
 * and per-model feature importance.
 *
 * Contributions are on the model's own scale (the log of milliseconds) and
 * add up: bias + sum of contributions = the model's prediction before the
 * clamp in model.c.  Trees are explained with exact TreeSHAP (Lundberg,
 * Erion & Lee 2018, Algorithm 2, path-dependent: node covers stand in for
 * the data distribution), which needs the node statistics of forest.h; a
 * linear model's contributions are coef_j * x_j on the transformed vector.
 */
#ifndef QPM_SHAP_H
#define QPM_SHAP_H

#include <stddef.h>

#include "forest.h"
#include "model.h"

/*
 * Deepest tree TreeSHAP accepts: it recurses once per level and keeps a
 * path of O(depth^2) elements.  Trained trees are at most 20 deep (the
 * max_depth option); only a crafted forest can be deeper.
 */
#define QPM_SHAP_MAX_DEPTH 64

/*
 * SHAP values of the forest's margin for input x (n_features values, NaN =
 * missing: it follows the node's default direction; inputs are rounded to
 * float as the walker does).  out[j] receives feature j's contribution,
 * *bias the expected value: base_score + sum over trees of the
 * cover-weighted mean leaf value.  bias + sum(out) equals
 * qpm_forest_predict(f, x) up to float rounding (the walker sums in float,
 * this in double).  Returns 0, or -1 with err filled when the forest
 * cannot be explained: a split without cover (a forest parsed from a dump
 * without statistics) or a tree deeper than QPM_SHAP_MAX_DEPTH.  Allocates
 * scratch with qpm_alloc and frees it.  f must have passed validate.
 */
int			qpm_forest_shap(const QpmForest *f, const double *x, double *out,
							double *bias, char *err, size_t errlen);

/*
 * Contributions of a model for a raw feature vector (as qpm_model_predict
 * takes it): the transform is applied first and the contributions are
 * those of the transformed features the model sees.  Linear: out[j] =
 * coef_j * xt_j, *bias = intercept.  Trees: qpm_forest_shap on xt.  The sum
 * bias + sum(out) is the unclamped log-ms prediction.  xt, when not NULL,
 * receives the transformed vector.  Returns 0, or -1 with err filled.
 */
int			qpm_model_shap(const QpmModel *m, const double *raw, double *xt,
						   double *out, double *bias, char *err, size_t errlen);

/*
 * Feature importance, normalized to sum to 1: for a forest the total split
 * gain per feature (negative gains count as 0), for a linear model |coef_j|
 * (comparable across features because they are z-scored).  out gets
 * n_features values.  Returns 0, or -1 with out all zero when there is
 * nothing to distribute (no gain statistics, only single-leaf trees, all
 * coefficients zero).
 */
int			qpm_forest_importance(const QpmForest *f, double *out);
int			qpm_model_importance(const QpmModel *m, double *out);

#endif
