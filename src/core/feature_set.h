/*
 * feature_set.h — described, versioned feature sets.
 *
 * A model records which feature set (id + version) it was trained on, so
 * models built from different inputs (statement statistics today, query
 * plans later) live side by side and a blob can never be fed the wrong
 * vector.  Feature sets are static tables; adding one never changes an
 * existing one.
 *
 * A set also says how a source row becomes its vector: which source
 * columns its formulas read (the source reader selects those and no
 * others) and the function that computes the vector.  Every caller turns a
 * row into a vector with qpm_row_features(model's set, row, ...), so a new
 * set needs a registry entry, its columns and its function, and no change
 * to the callers.
 */
#ifndef QPM_FEATURE_SET_H
#define QPM_FEATURE_SET_H

#include <stddef.h>
#include <stdint.h>

#include "stmt_features.h"

#define QPM_MAX_FEATURES 64

/* One source row to the set's vector (and target); see qpm_stmt_features. */
typedef QpmRowStatus (*QpmRowFeaturesFn) (const QpmStmtStats *row, double *features,
										  double *target_ms);

typedef struct QpmFeatureSet
{
	uint16_t	id;
	uint16_t	version;
	const char *name;			/* e.g. "pgss"; shown as name/version: "pgss/2" */
	int			n_features;
	const char *const *names;	/* n_features entries, in vector order */
	const char *const *descriptions;
	/*
	 * The optional source columns the formulas read, by their
	 * pg_stat_statements 15 names (beyond queryid, calls, the execution
	 * time and query, which every statement-statistics set reads).
	 */
	int			n_inputs;
	const char *const *inputs;
	/* NULL for a set whose rows carry a ready vector (not a pgss row) */
	QpmRowFeaturesFn row_features;
} QpmFeatureSet;

/* Feature sets of statement statistics from pg_stat_statements. */
#define QPM_FS_STMT_STATS		1
#define QPM_FS_STMT_STATS_VERSION 1		/* pgss/1, the set of 1.0 and 1.1 */
#define QPM_STMT_N_FEATURES		12
#define QPM_FS_STMT_STATS_V2	2		/* pgss/2: pgss/1 + I/O, WAL, JIT, text shape */
#define QPM_STMT2_N_FEATURES	45

extern const QpmFeatureSet qpm_feature_set_stmt_stats;
extern const QpmFeatureSet qpm_feature_set_stmt_stats_v2;

/* Feature set 2: the query plan (plan_features.h); rows carry the vector. */
#define QPM_FS_PLAN				2
#define QPM_FS_PLAN_VERSION		1

extern const QpmFeatureSet qpm_feature_set_plan;

/* Look up a feature set by id and version; NULL if unknown. */
const QpmFeatureSet *qpm_feature_set_find(uint16_t id, uint16_t version);

/* Look up a feature set by its label "name/version" ("pgss/2"); NULL if unknown. */
const QpmFeatureSet *qpm_feature_set_by_label(const char *label);

/* The label "name/version" of a set into buf (at least QPM_FS_LABEL_LEN bytes). */
#define QPM_FS_LABEL_LEN 32
void		qpm_feature_set_label(const QpmFeatureSet *fs, char *buf, size_t len);

/* The i-th known set (0-based, registry order), or NULL past the end. */
const QpmFeatureSet *qpm_feature_set_at(int i);

/* Index of a feature by (case-sensitive) name, or -1. */
int			qpm_feature_set_index(const QpmFeatureSet *fs, const char *name);

/* One row to fs's vector (fs->n_features values) and target: the set's rule. */
QpmRowStatus qpm_row_features(const QpmFeatureSet *fs, const QpmStmtStats *row,
							  double *features, double *target_ms);

#endif
