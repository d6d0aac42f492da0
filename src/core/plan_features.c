/*
 * plan_features.c — feature set plan/1 (QPM_FS_PLAN): a described query
 * plan to 45 features.
 *
 * What the features measure, and why this shape:
 *  - The root's costs, rows and width: the planner's own summary, which a
 *    model corrects rather than replaces.
 *  - Per operator class (12 classes, below) a node count and the estimated
 *    bytes its nodes produce over all their executions, on a log scale:
 *    where the work is, in units the planner estimated.  "All executions"
 *    matters: the inner side of a NestLoop runs once per outer row, which
 *    the per-loop row estimates of a plan do not show.  Bytes are rows x
 *    (width + 24), 24 being a heap tuple header, so zero-width nodes
 *    (bitmap index scans) still count their rows.
 *  - Table sizes from pg_class, never-analysed tables counted apart (their
 *    sizes are missing, not zero), the largest memory overflow risk (rows
 *    x width over work_mem of sorts, hashes and hashed aggregates), the
 *    largest NestLoop repetition, parallelism, JIT, subplans, command type.
 *
 * Estimated executions ("loops"): 1 for each root; a NestLoop's inner
 * (second) child runs loops(NestLoop) x outer rows times; the child of a
 * Gather runs in workers + 1 processes (its row estimates are per process);
 * every other child inherits its parent's loops.  Correlated subplans count
 * once: where the expression that runs them sits is not described.
 *
 * Robustness: the description may come from a fuzzer.  Every output is
 * finite or NAN: logs of non-finite sums are capped at log1p(DBL_MAX),
 * products of 0 and infinity are 0, negative or NAN inputs of sums count
 * as 0, and a NAN root estimate gives a NAN (missing) root feature.  A
 * malformed array (parent not before its child) is refused, never read out
 * of bounds.  No allocation: the nodes carry the scratch fields.
 */
#include <float.h>
#include <math.h>
#include <stddef.h>

#include "feature_set.h"
#include "plan_features.h"
#include "qpm_util.h"

#define TUPLE_OVERHEAD_BYTES 24.0

/* Operator classes, in the order of their feature pairs. */
enum
{
	C_SEQSCAN,
	C_INDEXSCAN,
	C_BITMAPSCAN,
	C_NESTLOOP,
	C_HASHJOIN,
	C_MERGEJOIN,
	C_SORT,
	C_HASHAGG,
	C_AGG,
	C_MATERIAL,
	C_APPEND,
	C_OTHER,
	C_COUNT
};

/* Vector positions, in the order of qpm_feature_set_plan.names. */
enum
{
	F_TOTAL_COST_LOG,
	F_STARTUP_COST_LOG,
	F_PLAN_ROWS_LOG,
	F_PLAN_WIDTH_LOG,
	F_NODES,
	F_DEPTH,
	F_JOINS,
	F_REL_SCANS,
	F_REL_PAGES_SUM_LOG,
	F_REL_PAGES_MAX_LOG,
	F_REL_TUPLES_SUM_LOG,
	F_REL_TUPLES_MAX_LOG,
	F_RELS_WITHOUT_STATS,
	F_PARALLEL_WORKERS,
	F_JIT,
	F_SUBPLANS,
	F_INITPLANS,
	F_COMMAND_TYPE,
	F_WORK_MEM_LOG,
	F_SPILL_RATIO_MAX,
	F_NESTLOOP_INNER_LOOPS_LOG,
	F_CLASS_FIRST,				/* then count and bytes_log per class */
	F_COUNT = F_CLASS_FIRST + 2 * C_COUNT
};

/* A mismatch with the header's count would silently misalign vectors. */
typedef char plan_feature_count_matches[(F_COUNT == QPM_PLAN_N_FEATURES) ? 1 : -1];

/* The class of a node kind; unknown kinds are OTHER. */
static int
kind_class(int32_t kind)
{
	switch (kind)
	{
		case QPM_PN_SEQ_SCAN:
		case QPM_PN_SAMPLE_SCAN:
			return C_SEQSCAN;
		case QPM_PN_INDEX_SCAN:
		case QPM_PN_INDEX_ONLY_SCAN:
			return C_INDEXSCAN;
		case QPM_PN_BITMAP_HEAP_SCAN:
		case QPM_PN_BITMAP_INDEX_SCAN:
		case QPM_PN_BITMAP_AND:
		case QPM_PN_BITMAP_OR:
			return C_BITMAPSCAN;
		case QPM_PN_NEST_LOOP:
			return C_NESTLOOP;
		case QPM_PN_HASH_JOIN:
		case QPM_PN_HASH:
			return C_HASHJOIN;
		case QPM_PN_MERGE_JOIN:
			return C_MERGEJOIN;
		case QPM_PN_SORT:
		case QPM_PN_INCREMENTAL_SORT:
			return C_SORT;
		case QPM_PN_AGG_HASHED:
			return C_HASHAGG;
		case QPM_PN_AGG_SORTED:
		case QPM_PN_GROUP:
		case QPM_PN_WINDOW_AGG:
			return C_AGG;
		case QPM_PN_MATERIAL:
		case QPM_PN_MEMOIZE:
			return C_MATERIAL;
		case QPM_PN_APPEND:
		case QPM_PN_MERGE_APPEND:
			return C_APPEND;
		default:
			return C_OTHER;
	}
}

/* log1p of an estimate: NAN stays missing, negatives are 0, overflow is capped. */
static double
log_estimate(double x)
{
	if (isnan(x))
		return NAN;
	if (x <= 0)
		return 0.0;
	if (!isfinite(x))
		return log1p(DBL_MAX);
	return log1p(x);
}

/* An input of a sum or product: what cannot be a quantity counts as 0. */
static double
quantity(double x)
{
	return (isnan(x) || x < 0) ? 0.0 : x;
}

/* a x b where 0 wins over infinity (no NAN from 0 x inf). */
static double
product(double a, double b)
{
	if (a == 0 || b == 0)
		return 0.0;
	return a * b;
}

/* Bytes a node produces over all its executions. */
static double
node_bytes(const QpmPlanNode *nd)
{
	double		width = quantity(nd->plan_width) + TUPLE_OVERHEAD_BYTES;

	return product(product(quantity(nd->plan_rows), nd->loops), width);
}

/* Memory a node would hold at once over the memory it may use (0 if none). */
static double
spill_ratio(const QpmPlanNode *nd, const QpmPlanInfo *info)
{
	double		mem_kb;
	double		bytes;
	double		ratio;

	switch (nd->kind)
	{
		case QPM_PN_SORT:
		case QPM_PN_INCREMENTAL_SORT:
			mem_kb = info->work_mem_kb;
			break;
		case QPM_PN_HASH:
		case QPM_PN_AGG_HASHED:
			mem_kb = info->hash_mem_kb;
			break;
		default:
			return 0.0;
	}
	if (!isfinite(mem_kb) || mem_kb <= 0)
		return NAN;
	bytes = product(quantity(nd->plan_rows),
					quantity(nd->plan_width) + TUPLE_OVERHEAD_BYTES);
	ratio = bytes / (mem_kb * 1024.0);
	/* huge rows, or a denormal memory setting (found by the fuzzer) */
	return isfinite(ratio) ? ratio : DBL_MAX;
}

/*
 * Refuse descriptions this file cannot walk safely; set each node's depth,
 * loops and, for NestLoops, outer rows, in one pass (parents come first).
 */
static int
derive_structure(QpmPlanNode *nodes, int n, char *err, size_t errlen)
{
	int			i;

	if (n < 1 || n > QPM_PLAN_MAX_NODES)
	{
		qpm_set_error(err, errlen, "a plan needs 1 to %d nodes, not %d",
					  QPM_PLAN_MAX_NODES, n);
		return -1;
	}
	if (nodes[0].parent != -1)
	{
		qpm_set_error(err, errlen, "node 0 must be the root of the main plan");
		return -1;
	}
	for (i = 0; i < n; i++)
	{
		QpmPlanNode *nd = &nodes[i];

		nd->outer_rows = NAN;
		if (nd->parent == -1)
		{
			nd->depth = 0;
			nd->loops = 1.0;
			continue;
		}
		if (nd->parent < 0 || nd->parent >= i)
		{
			qpm_set_error(err, errlen, "node %d has parent %d, which is not an earlier node",
						  i, (int) nd->parent);
			return -1;
		}
		{
			QpmPlanNode *p = &nodes[nd->parent];

			nd->depth = p->depth + 1;
			nd->loops = p->loops;
			if (p->kind == QPM_PN_NEST_LOOP && nd->child_no == 0)
				p->outer_rows = nd->plan_rows;
			else if (p->kind == QPM_PN_NEST_LOOP && nd->child_no == 1 &&
					 !isnan(p->outer_rows))
				nd->loops = product(p->loops, fmax(quantity(p->outer_rows), 1.0));
			else if (p->kind == QPM_PN_GATHER || p->kind == QPM_PN_GATHER_MERGE)
				nd->loops = product(p->loops, (double) (p->workers > 0 ? p->workers : 0) + 1.0);
		}
	}
	return 0;
}

/* Sizes of the scanned tables: sums and maxima over those with statistics. */
static void
relation_features(const QpmPlanNode *nodes, int n, double *out)
{
	double		scans = 0,
				without = 0,
				pages_sum = 0,
				pages_max = 0,
				tuples_sum = 0,
				tuples_max = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		const QpmPlanNode *nd = &nodes[i];

		if (!nd->scans_relation)
			continue;
		scans++;
		if (isnan(nd->rel_tuples) || nd->rel_tuples < 0 ||
			isnan(nd->rel_pages) || nd->rel_pages < 0)
		{
			without++;
			continue;
		}
		pages_sum += nd->rel_pages;
		pages_max = fmax(pages_max, nd->rel_pages);
		tuples_sum += nd->rel_tuples;
		tuples_max = fmax(tuples_max, nd->rel_tuples);
	}
	out[F_REL_SCANS] = scans;
	out[F_RELS_WITHOUT_STATS] = without;
	if (scans > 0 && without == scans)
	{
		/* only never-analysed tables: their sizes are unknown, not 0 */
		out[F_REL_PAGES_SUM_LOG] = out[F_REL_PAGES_MAX_LOG] = NAN;
		out[F_REL_TUPLES_SUM_LOG] = out[F_REL_TUPLES_MAX_LOG] = NAN;
		return;
	}
	/* one table (the usual case): sum = max, one log each (capture's hot path) */
	out[F_REL_PAGES_SUM_LOG] = log_estimate(pages_sum);
	out[F_REL_PAGES_MAX_LOG] = pages_max == pages_sum ? out[F_REL_PAGES_SUM_LOG] : log_estimate(pages_max);
	out[F_REL_TUPLES_SUM_LOG] = log_estimate(tuples_sum);
	out[F_REL_TUPLES_MAX_LOG] = tuples_max == tuples_sum ? out[F_REL_TUPLES_SUM_LOG] : log_estimate(tuples_max);
}

/* The plan/1 vector; see the header for the contract. */
int
qpm_plan_features(QpmPlanNode *nodes, int n, const QpmPlanInfo *info,
				  double *out, char *err, size_t errlen)
{
	double		class_count[C_COUNT] = {0};
	double		class_bytes[C_COUNT] = {0};
	double		max_depth = 0,
				joins = 0,
				workers = 0,
				initplans = 0,
				spill_max = 0,
				inner_loops_max = 0;
	int			i;

	if (derive_structure(nodes, n, err, errlen) != 0)
		return -1;

	for (i = 0; i < n; i++)
	{
		const QpmPlanNode *nd = &nodes[i];
		int			c = kind_class(nd->kind);
		double		spill = spill_ratio(nd, info);

		class_count[c]++;
		class_bytes[c] += node_bytes(nd);
		max_depth = fmax(max_depth, (double) nd->depth);
		if (c == C_NESTLOOP || c == C_MERGEJOIN || nd->kind == QPM_PN_HASH_JOIN)
			joins++;
		if ((nd->kind == QPM_PN_GATHER || nd->kind == QPM_PN_GATHER_MERGE) && nd->workers > 0)
			workers += nd->workers;
		if (nd->init_plans > 0)
			initplans += nd->init_plans;
		/* NAN (no usable memory setting) wins: the ratio is then unknown */
		if (isnan(spill) || isnan(spill_max))
			spill_max = NAN;
		else
			spill_max = fmax(spill_max, spill);
		if (nd->kind == QPM_PN_NEST_LOOP && !isnan(nd->outer_rows))
			inner_loops_max = fmax(inner_loops_max,
								   product(nd->loops, quantity(nd->outer_rows)));
	}

	out[F_TOTAL_COST_LOG] = log_estimate(nodes[0].total_cost);
	out[F_STARTUP_COST_LOG] = log_estimate(nodes[0].startup_cost);
	out[F_PLAN_ROWS_LOG] = log_estimate(nodes[0].plan_rows);
	out[F_PLAN_WIDTH_LOG] = log_estimate(nodes[0].plan_width);
	out[F_NODES] = (double) n;
	out[F_DEPTH] = max_depth + 1;
	out[F_JOINS] = joins;
	relation_features(nodes, n, out);
	out[F_PARALLEL_WORKERS] = workers;
	out[F_JIT] = info->jit ? 1.0 : 0.0;
	out[F_SUBPLANS] = info->subplans > 0 ? (double) info->subplans : 0.0;
	out[F_INITPLANS] = initplans;
	out[F_COMMAND_TYPE] = (info->command >= QPM_CMD_SELECT && info->command <= QPM_CMD_MERGE)
		? (double) info->command : NAN;
	out[F_WORK_MEM_LOG] = log_estimate(info->work_mem_kb);
	out[F_SPILL_RATIO_MAX] = spill_max;
	out[F_NESTLOOP_INNER_LOOPS_LOG] = log_estimate(inner_loops_max);
	for (i = 0; i < C_COUNT; i++)
	{
		out[F_CLASS_FIRST + 2 * i] = class_count[i];
		out[F_CLASS_FIRST + 2 * i + 1] = log_estimate(class_bytes[i]);
	}
	return 0;
}
