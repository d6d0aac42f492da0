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
 * the README and the SQL-visible feature report (feature_names()).
 *
 * plan/1's rows carry their vector (a plan sample, computed by
 * plan_features.c when the statement ran), so it has no row function.
 *
 * pgss/2 begins with pgss/1's twelve features, same formulas and order, so
 * the first twelve values of a pgss/2 vector are the pgss/1 vector.
 */
#include <math.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "feature_set.h"
#include "plan_features.h"

/* pgss/1's names and descriptions, also the first twelve of pgss/2. */
#define STMT_STATS_NAMES \
	"calls_log", \
	"rows_per_call", \
	"shared_blks_hit_per_call", \
	"shared_blks_read_per_call", \
	"shared_blks_dirtied_per_call", \
	"shared_blks_written_per_call", \
	"local_blks_per_call", \
	"temp_blks_per_call", \
	"wal_bytes_per_call", \
	"mean_plan_time", \
	"cache_hit_ratio", \
	"query_complexity",

#define STMT_STATS_DESCRIPTIONS \
	"ln(1 + calls): how often the statement has run", \
	"rows returned or affected per call", \
	"shared buffer hits per call", \
	"shared blocks read (from the OS cache or disk) per call", \
	"shared blocks dirtied per call", \
	"shared blocks written per call", \
	"local (temporary table) blocks hit or read per call", \
	"temporary file blocks read or written per call", \
	"WAL bytes generated per call", \
	"mean planning time in ms (total_plan_time / plans, 0 if never planned)", \
	"shared buffer hit ratio hit / (hit + read), 1 when no blocks were accessed", \
	"count of JOIN, GROUP BY, ORDER BY, DISTINCT, UNION/INTERSECT/EXCEPT, OVER and extra SELECTs in the query text",

static const char *const stmt_stats_names[QPM_STMT_N_FEATURES] = {
	STMT_STATS_NAMES
};

static const char *const stmt_stats_descriptions[QPM_STMT_N_FEATURES] = {
	STMT_STATS_DESCRIPTIONS
};

/* The pg_stat_statements columns pgss/1's formulas read. */
static const char *const stmt_stats_inputs[] = {
	"rows", "shared_blks_hit", "shared_blks_read", "shared_blks_dirtied",
	"shared_blks_written", "local_blks_hit", "local_blks_read",
	"temp_blks_read", "temp_blks_written", "wal_bytes", "plans",
	"total_plan_time",
};

const QpmFeatureSet qpm_feature_set_stmt_stats = {
	QPM_FS_STMT_STATS,
	QPM_FS_STMT_STATS_VERSION,
	"pgss",
	QPM_STMT_N_FEATURES,
	stmt_stats_names,
	stmt_stats_descriptions,
	sizeof(stmt_stats_inputs) / sizeof(stmt_stats_inputs[0]),
	stmt_stats_inputs,
	qpm_stmt_features,
};

static const char *const stmt_stats_v2_names[QPM_STMT2_N_FEATURES] = {
	STMT_STATS_NAMES
	"blk_read_time_per_call",
	"blk_write_time_per_call",
	"temp_blk_time_per_call",
	"wal_records_per_call",
	"wal_fpi_per_call",
	"local_blks_dirtied_written_per_call",
	"plans_per_call",
	"jit_functions_per_call",
	"jit_time_per_call",
	"jit_inlining_share",
	"jit_optimization_share",
	"query_tokens",
	"query_selects",
	"query_joins",
	"query_group_bys",
	"query_order_bys",
	"query_distincts",
	"query_set_operations",
	"query_windows",
	"query_function_calls",
	"query_aggregates",
	"query_limits",
	"query_ctes",
	"query_predicates",
	"query_pattern_matches",
	"query_in_lists",
	"query_parameters",
	"kind_select",
	"kind_insert",
	"kind_update",
	"kind_delete",
	"kind_merge",
	"kind_other",
};

static const char *const stmt_stats_v2_descriptions[QPM_STMT2_N_FEATURES] = {
	STMT_STATS_DESCRIPTIONS
	"ms reading data file blocks per call (blk_read_time; needs track_io_timing)",
	"ms writing data file blocks per call (blk_write_time; needs track_io_timing)",
	"ms reading and writing temporary file blocks per call (temp_blk_read_time + temp_blk_write_time)",
	"WAL records generated per call",
	"WAL full page images generated per call",
	"local blocks dirtied or written per call (local_blks_dirtied + local_blks_written)",
	"plans / calls: below 1 when cached plans are reused (needs track_planning)",
	"JIT-compiled functions per call",
	"ms of JIT generation, inlining, optimization and emission (and deforming, 17+) per call",
	"share of calls whose JIT inlined functions (jit_inlining_count / calls)",
	"share of calls whose JIT optimized the code (jit_optimization_count / calls)",
	"tokens in the query text: words, numbers, strings, parameters, operators, punctuation",
	"SELECT keywords in the query text (subqueries and set operation branches)",
	"JOIN keywords in the query text",
	"GROUP BY clauses in the query text",
	"ORDER BY clauses in the query text (also in windows and WITHIN GROUP)",
	"DISTINCT keywords in the query text",
	"UNION, INTERSECT and EXCEPT keywords in the query text",
	"window functions: OVER keywords in the query text",
	"function calls: a name other than a keyword followed by ( in the query text",
	"aggregate calls: count, sum, avg, min, max, *_agg and other aggregates followed by (",
	"LIMIT and FETCH keywords in the query text",
	"common table expressions: AS ( and AS [NOT] MATERIALIZED ( in the query text",
	"predicates: = <> != < > <= >=, pattern matches, BETWEEN, IN, IS, EXISTS",
	"pattern matches: LIKE, ILIKE, SIMILAR TO and the ~ / ~~ operator family",
	"IN lists and IN subqueries: IN followed by (",
	"parameters $1, $2, ... (the constants pg_stat_statements normalized away)",
	"1 if the statement is a SELECT (also VALUES, TABLE, and WITH ... SELECT)",
	"1 if the statement is an INSERT (also WITH ... INSERT)",
	"1 if the statement is an UPDATE (also WITH ... UPDATE)",
	"1 if the statement is a DELETE (also WITH ... DELETE)",
	"1 if the statement is a MERGE",
	"1 if the statement is anything else (utility statements, EXPLAIN, ...)",
};

/* The pg_stat_statements columns pgss/2's formulas read. */
static const char *const stmt_stats_v2_inputs[] = {
	"rows", "shared_blks_hit", "shared_blks_read", "shared_blks_dirtied",
	"shared_blks_written", "local_blks_hit", "local_blks_read",
	"temp_blks_read", "temp_blks_written", "wal_bytes", "plans",
	"total_plan_time", "blk_read_time", "blk_write_time",
	"temp_blk_read_time", "temp_blk_write_time", "wal_records", "wal_fpi",
	"local_blks_dirtied", "local_blks_written", "jit_functions",
	"jit_generation_time", "jit_inlining_count", "jit_inlining_time",
	"jit_optimization_count", "jit_optimization_time", "jit_emission_time",
	"jit_deform_time",
};

const QpmFeatureSet qpm_feature_set_stmt_stats_v2 = {
	QPM_FS_STMT_STATS,
	QPM_FS_STMT_STATS_V2,
	"pgss",
	QPM_STMT2_N_FEATURES,
	stmt_stats_v2_names,
	stmt_stats_v2_descriptions,
	sizeof(stmt_stats_v2_inputs) / sizeof(stmt_stats_v2_inputs[0]),
	stmt_stats_v2_inputs,
	qpm_stmt_features_v2,
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
	0,
	NULL,
	NULL,						/* rows carry a ready vector (plan_samples) */
};

/* Every known set; old versions stay listed so their models still load. */
static const QpmFeatureSet *const all_feature_sets[] = {
	&qpm_feature_set_stmt_stats,
	&qpm_feature_set_stmt_stats_v2,
	&qpm_feature_set_plan,
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

/* Labels are short: "pgss/2" and the like. */
void
qpm_feature_set_label(const QpmFeatureSet *fs, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%u", fs->name, (unsigned) fs->version);
}

/* By label, as the training option and feature_names() spell it; NULL-safe. */
const QpmFeatureSet *
qpm_feature_set_by_label(const char *label)
{
	char		buf[QPM_FS_LABEL_LEN];
	size_t		i;

	if (label == NULL)
		return NULL;
	for (i = 0; i < sizeof(all_feature_sets) / sizeof(all_feature_sets[0]); i++)
	{
		qpm_feature_set_label(all_feature_sets[i], buf, sizeof(buf));
		if (strcmp(buf, label) == 0)
			return all_feature_sets[i];
	}
	return NULL;
}

/* Iteration over the registry, for listing the sets in messages. */
const QpmFeatureSet *
qpm_feature_set_at(int i)
{
	if (i < 0 || (size_t) i >= sizeof(all_feature_sets) / sizeof(all_feature_sets[0]))
		return NULL;
	return all_feature_sets[i];
}

/*
 * The one place a row becomes a vector: the set's own function, or for a
 * set without one, the row's ready vector (a plan sample's).  A row
 * without calls, or without a vector of the set's length, computes
 * nothing: all missing, as a statement row without calls.  Infinite
 * elements are missing values too: a source is user data, and a model
 * never sees a non-finite input.
 */
QpmRowStatus
qpm_row_features(const QpmFeatureSet *fs, const QpmStmtStats *row,
				 double *features, double *target_ms)
{
	int			j;

	if (fs->row_features != NULL)
		return fs->row_features(row, features, target_ms);
	if (row->vector == NULL || row->n_vector != fs->n_features ||
		!isfinite(row->calls) || row->calls <= 0)
	{
		for (j = 0; j < fs->n_features; j++)
			features[j] = NAN;
		if (target_ms != NULL)
			*target_ms = NAN;
		return QPM_ROW_BAD_CALLS;
	}
	for (j = 0; j < fs->n_features; j++)
		features[j] = isfinite(row->vector[j]) ? row->vector[j] : NAN;
	if (target_ms != NULL)
	{
		double		t = row->total_exec_time / row->calls;

		if (!isfinite(t) || t <= 0)
		{
			*target_ms = NAN;
			return QPM_ROW_BAD_TIME;
		}
		*target_ms = t;
	}
	return QPM_ROW_OK;
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
