/*
 * forest_fixture.h — node constructors for hand-built forests, shared by
 * the unit tests that build trees (test_forest, test_shap, test_serialize),
 * so hand-built trees read like XGBoost's dump.
 */
#ifndef QPM_FOREST_FIXTURE_H
#define QPM_FOREST_FIXTURE_H

#include <stdint.h>
#include <string.h>

#include "forest.h"

/* A split: x[feature] < threshold goes left; NaN goes left if dleft. */
static inline QpmTreeNode
split_node(int32_t feature, float threshold, int32_t left, int32_t right, int dleft)
{
	QpmTreeNode n;

	memset(&n, 0, sizeof(n));
	n.feature = feature;
	n.value = threshold;
	n.left = left;
	n.right = right;
	n.default_left = (uint8_t) dleft;
	return n;
}

/* A leaf. */
static inline QpmTreeNode
leaf(float value)
{
	QpmTreeNode n;

	memset(&n, 0, sizeof(n));
	n.left = n.right = n.feature = -1;
	n.value = value;
	return n;
}

#endif
