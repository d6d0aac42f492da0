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
#include "plan_features.h"

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

/* plan/1: see plan_features.c for the reasoning behind each feature. */
static const char *const plan_names[QPM_PLAN_N_FEATURES] = {
	"total_cost_log",
	"startup_cost_log",
	"plan_rows_log",
	"plan_width_log",
	"nodes",
	"depth",
	"joins",
	"rel_scans",
	"rel_pages_sum_log",
	"rel_pages_max_log",
	"rel_tuples_sum_log",
	"rel_tuples_max_log",
	"rels_without_stats",
	"parallel_workers",
	"jit",
	"subplans",
	"initplans",
	"command_type",
	"work_mem_log",
	"spill_ratio_max",
	"nestloop_inner_loops_log",
	"seqscan_count",
	"seqscan_bytes_log",
	"indexscan_count",
	"indexscan_bytes_log",
	"bitmapscan_count",
	"bitmapscan_bytes_log",
	"nestloop_count",
	"nestloop_bytes_log",
	"hashjoin_count",
	"hashjoin_bytes_log",
	"mergejoin_count",
	"mergejoin_bytes_log",
	"sort_count",
	"sort_bytes_log",
	"hashagg_count",
	"hashagg_bytes_log",
	"agg_count",
	"agg_bytes_log",
	"material_count",
	"material_bytes_log",
	"append_count",
	"append_bytes_log",
	"other_count",
	"other_bytes_log",
};

static const char *const plan_descriptions[QPM_PLAN_N_FEATURES] = {
	"ln(1 + total cost) of the plan's root",
	"ln(1 + startup cost) of the plan's root",
	"ln(1 + estimated rows) of the plan's root",
	"ln(1 + estimated row width in bytes) of the plan's root",
	"plan nodes, subplans included",
	"levels of the deepest plan tree",
	"NestLoop, HashJoin and MergeJoin nodes",
	"nodes that scan a table",
	"ln(1 + sum of pg_class.relpages) over scans of analysed tables (missing if none is)",
	"ln(1 + largest pg_class.relpages) of a scanned, analysed table",
	"ln(1 + sum of pg_class.reltuples) over scans of analysed tables",
	"ln(1 + largest pg_class.reltuples) of a scanned, analysed table",
	"scans of tables never vacuumed or analysed (reltuples -1)",
	"workers planned by Gather and Gather Merge nodes",
	"1 if the plan is JIT-compiled",
	"subplans (correlated subqueries, not initPlans)",
	"initPlans (uncorrelated subqueries and CTEs run once)",
	"1 SELECT, 2 INSERT, 3 UPDATE, 4 DELETE, 5 MERGE",
	"ln(1 + work_mem in kB)",
	"largest estimated rows x (width + 24) of a Sort, Hash or hashed Agg over its memory (work_mem, or hash memory)",
	"ln(1 + largest estimated number of inner-side executions of a NestLoop)",
	"Seq Scan and Sample Scan nodes",
	"ln(1 + estimated bytes, rows x (width + 24) over all executions) of those nodes",
	"Index Scan and Index Only Scan nodes",
	"ln(1 + estimated bytes over all executions) of those nodes",
	"Bitmap Heap Scan, Bitmap Index Scan, BitmapAnd and BitmapOr nodes",
	"ln(1 + estimated bytes over all executions) of those nodes",
	"Nested Loop nodes",
	"ln(1 + estimated bytes over all executions) of those nodes",
	"Hash Join and Hash nodes",
	"ln(1 + estimated bytes over all executions) of those nodes",
	"Merge Join nodes",
	"ln(1 + estimated bytes over all executions) of those nodes",
	"Sort and Incremental Sort nodes",
	"ln(1 + estimated bytes over all executions) of those nodes",
	"Agg nodes with a hashed or mixed strategy",
	"ln(1 + estimated bytes over all executions) of those nodes",
	"sorted and plain Agg, Group and WindowAgg nodes",
	"ln(1 + estimated bytes over all executions) of those nodes",
	"Materialize and Memoize nodes",
	"ln(1 + estimated bytes over all executions) of those nodes",
	"Append and Merge Append nodes",
	"ln(1 + estimated bytes over all executions) of those nodes",
	"every other node (Result, Limit, Gather, Unique, ModifyTable, subquery and function scans ...)",
	"ln(1 + estimated bytes over all executions) of those nodes",
};

const QpmFeatureSet qpm_feature_set_plan = {
	QPM_FS_PLAN,
	QPM_FS_PLAN_VERSION,
	"plan",
	QPM_PLAN_N_FEATURES,
	plan_names,
	plan_descriptions,
};

/* Every known set; old versions stay listed so their models still load. */
static const QpmFeatureSet *const all_feature_sets[] = {
	&qpm_feature_set_stmt_stats,
	/*
	 * plan/1 (qpm_feature_set_plan) joins this list when every glue path
	 * sizes its vectors from the model's set: until then a model blob or an
	 * import document claiming set 2 must stay refused, because predict and
	 * explain still fill 12-element arrays.
	 */
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
