/*
 * feature_set.h — described, versioned feature sets.
 *
 * A model records which feature set (id + version) it was trained on, so
 * models built from different inputs (statement statistics today, query
 * plans later) live side by side and a blob can never be fed the wrong
 * vector.  Feature sets are static tables; adding one never changes an
 * existing one.
 */
#ifndef QPM_FEATURE_SET_H
#define QPM_FEATURE_SET_H

#include <stdint.h>

#define QPM_MAX_FEATURES 64

typedef struct QpmFeatureSet
{
	uint16_t	id;
	uint16_t	version;
	const char *name;			/* e.g. "pgss" */
	int			n_features;
	const char *const *names;	/* n_features entries, in vector order */
	const char *const *descriptions;
} QpmFeatureSet;

/* Feature set 1: statement statistics from pg_stat_statements. */
#define QPM_FS_STMT_STATS		1
#define QPM_FS_STMT_STATS_VERSION 1
#define QPM_STMT_N_FEATURES		12

extern const QpmFeatureSet qpm_feature_set_stmt_stats;

/*
 * Feature set 2: the query plan (plan_features.h).  Described here, not yet
 * returned by qpm_feature_set_find (see feature_set.c).
 */
#define QPM_FS_PLAN				2
#define QPM_FS_PLAN_VERSION		1

extern const QpmFeatureSet qpm_feature_set_plan;

/* Look up a feature set by id and version; NULL if unknown. */
const QpmFeatureSet *qpm_feature_set_find(uint16_t id, uint16_t version);

/* Index of a feature by (case-sensitive) name, or -1. */
int			qpm_feature_set_index(const QpmFeatureSet *fs, const char *name);

#endif
