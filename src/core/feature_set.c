/*
 * feature_set.c — the static registry of described, versioned feature sets.
 *
 * A feature set is identified by (id, version) and never changes once
 * released: a model blob records the pair, and prediction refuses a vector
 * built by a different set.  Changing a formula, the order or the count of
 * features therefore means a new version (or a new id), added next to the
 * old one so existing models keep loading.
 *
 * The name and description arrays are sized by the feature count macro, so
 * adding a name without bumping the count fails to compile; the unit test
 * checks no entry was left NULL.  Descriptions are one line each: they feed
 * the README and the SQL-visible feature report.
 */
#include <stddef.h>
#include <string.h>

#include "feature_set.h"

static const char *const stmt_stats_names[QPM_STMT_N_FEATURES] = {
	"calls_log",
	"rows_per_call",
	"shared_blks_hit_per_call",
	"shared_blks_read_per_call",
	"shared_blks_dirtied_per_call",
	"shared_blks_written_per_call",
	"local_blks_per_call",
	"temp_blks_per_call",
	"wal_bytes_per_call",
	"mean_plan_time",
	"cache_hit_ratio",
	"query_complexity",
};

static const char *const stmt_stats_descriptions[QPM_STMT_N_FEATURES] = {
	"ln(1 + calls): how often the statement has run",
	"rows returned or affected per call",
	"shared buffer hits per call",
	"shared blocks read (from the OS cache or disk) per call",
	"shared blocks dirtied per call",
	"shared blocks written per call",
	"local (temporary table) blocks hit or read per call",
	"temporary file blocks read or written per call",
	"WAL bytes generated per call",
	"mean planning time in ms (total_plan_time / plans, 0 if never planned)",
	"shared buffer hit ratio hit / (hit + read), 1 when no blocks were accessed",
	"count of JOIN, GROUP BY, ORDER BY, DISTINCT, UNION/INTERSECT/EXCEPT, OVER and extra SELECTs in the query text",
};

const QpmFeatureSet qpm_feature_set_stmt_stats = {
	QPM_FS_STMT_STATS,
	QPM_FS_STMT_STATS_VERSION,
	"pgss",
	QPM_STMT_N_FEATURES,
	stmt_stats_names,
	stmt_stats_descriptions,
};

/* Every known set; old versions stay listed so their models still load. */
static const QpmFeatureSet *const all_feature_sets[] = {
	&qpm_feature_set_stmt_stats,
};

/* Linear search: there are a handful of sets and this runs once per model load. */
const QpmFeatureSet *
qpm_feature_set_find(uint16_t id, uint16_t version)
{
	size_t		i;

	for (i = 0; i < sizeof(all_feature_sets) / sizeof(all_feature_sets[0]); i++)
	{
		if (all_feature_sets[i]->id == id &&
			all_feature_sets[i]->version == version)
			return all_feature_sets[i];
	}
	return NULL;
}

/* NULL arguments give -1 rather than a crash: names come from user SQL. */
int
qpm_feature_set_index(const QpmFeatureSet *fs, const char *name)
{
	int			i;

	if (fs == NULL || name == NULL)
		return -1;
	for (i = 0; i < fs->n_features; i++)
	{
		if (strcmp(fs->names[i], name) == 0)
			return i;
	}
	return -1;
}
