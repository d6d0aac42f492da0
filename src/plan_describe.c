/*
 * plan_describe.c — a PlannedStmt as the core's plain plan description
 * (core/plan_features.h), and its plan/1 vector.
 *
 * Every tree of the statement is walked: the main plan first (node 0 is its
 * root), then each non-NULL entry of PlannedStmt->subplans (initPlans, CTEs
 * and correlated subqueries all live there) as a root of its own.  Inside a
 * tree, children come in preorder: lefttree (outer, child 0), righttree
 * (inner, child 1), then the node-specific lists (Append, MergeAppend,
 * BitmapAnd/Or, SubqueryScan, CustomScan), numbered on.  The core relies
 * on a child coming after its parent and a NestLoop's outer child before
 * its inner one; preorder gives both.
 *
 * This runs in ExecutorStart for captured statements, so it reads only the
 * plan and the tables' sizes: from the relcache entries the executor has
 * open when the caller passes them (capture: no catalog access at all),
 * else from pg_class through the syscache (the tables are locked by the
 * statement, or by planning).  The two are the same pg_class row, kept
 * current by the same invalidations.  It takes no lock of its own and
 * allocates nothing once the description's array is large enough: the
 * caller keeps the array across calls.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "jit/jit.h"
#include "miscadmin.h"
#include "nodes/plannodes.h"
#include "parser/parsetree.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "qpm_plan.h"

static void describe_tree(PlannedStmt *ps, Plan *plan, int parent, int child_no,
						  QpmPlanDescription *d);

/* Room for one more node: double the array in the description's context. */
static QpmPlanNode *
next_node(QpmPlanDescription *d)
{
	if (d->n == d->capacity)
	{
		MemoryContext cxt = d->cxt ? d->cxt : CurrentMemoryContext;
		int			cap = d->capacity > 0 ? d->capacity * 2 : 64;

		if (d->nodes == NULL)
			d->nodes = MemoryContextAlloc(cxt, sizeof(QpmPlanNode) * cap);
		else
			d->nodes = repalloc(d->nodes, sizeof(QpmPlanNode) * cap);
		d->capacity = cap;
	}
	return &d->nodes[d->n++];
}

/* The core's kind of a plan node; Agg by strategy. */
static int32
node_kind(const Plan *plan)
{
	switch (nodeTag(plan))
	{
		case T_SeqScan:
			return QPM_PN_SEQ_SCAN;
		case T_SampleScan:
			return QPM_PN_SAMPLE_SCAN;
		case T_IndexScan:
			return QPM_PN_INDEX_SCAN;
		case T_IndexOnlyScan:
			return QPM_PN_INDEX_ONLY_SCAN;
		case T_BitmapHeapScan:
			return QPM_PN_BITMAP_HEAP_SCAN;
		case T_BitmapIndexScan:
			return QPM_PN_BITMAP_INDEX_SCAN;
		case T_BitmapAnd:
			return QPM_PN_BITMAP_AND;
		case T_BitmapOr:
			return QPM_PN_BITMAP_OR;
		case T_NestLoop:
			return QPM_PN_NEST_LOOP;
		case T_HashJoin:
			return QPM_PN_HASH_JOIN;
		case T_Hash:
			return QPM_PN_HASH;
		case T_MergeJoin:
			return QPM_PN_MERGE_JOIN;
		case T_Sort:
			return QPM_PN_SORT;
		case T_IncrementalSort:
			return QPM_PN_INCREMENTAL_SORT;
		case T_Agg:
			return (((const Agg *) plan)->aggstrategy == AGG_HASHED ||
					((const Agg *) plan)->aggstrategy == AGG_MIXED)
				? QPM_PN_AGG_HASHED : QPM_PN_AGG_SORTED;
		case T_Group:
			return QPM_PN_GROUP;
		case T_WindowAgg:
			return QPM_PN_WINDOW_AGG;
		case T_Material:
			return QPM_PN_MATERIAL;
		case T_Memoize:
			return QPM_PN_MEMOIZE;
		case T_Append:
			return QPM_PN_APPEND;
		case T_MergeAppend:
			return QPM_PN_MERGE_APPEND;
		case T_Gather:
			return QPM_PN_GATHER;
		case T_GatherMerge:
			return QPM_PN_GATHER_MERGE;
		case T_ModifyTable:
			return QPM_PN_MODIFY_TABLE;
		default:
			return QPM_PN_OTHER;
	}
}

/* The range-table index a node scans, 0 if it scans no table of its own. */
static Index
scanned_rti(const Plan *plan)
{
	switch (nodeTag(plan))
	{
		case T_SeqScan:
		case T_SampleScan:
		case T_IndexScan:
		case T_IndexOnlyScan:
		case T_BitmapHeapScan:
		case T_TidScan:
		case T_TidRangeScan:
		case T_ForeignScan:
		case T_CustomScan:
			return ((const Scan *) plan)->scanrelid;
		default:
			return 0;			/* bitmap index scans: their heap scan counts */
	}
}

/*
 * relpages / reltuples of a scanned table, from the executor's open
 * relation when there is one, else the syscache; unknown (-1) if gone.
 */
static void
describe_relation(PlannedStmt *ps, Index rti, const QpmPlanDescription *d,
				  QpmPlanNode *nd)
{
	RangeTblEntry *rte;
	HeapTuple	tup;

	nd->scans_relation = 0;
	nd->rel_pages = 0;
	nd->rel_tuples = 0;
	if (rti == 0 || rti > (Index) list_length(ps->rtable))
		return;
	rte = rt_fetch(rti, ps->rtable);
	if (rte->rtekind != RTE_RELATION)
		return;
	nd->scans_relation = 1;
	if (d->relations != NULL && rti <= (Index) d->n_relations &&
		d->relations[rti - 1] != NULL)
	{
		nd->rel_pages = d->relations[rti - 1]->rd_rel->relpages;
		nd->rel_tuples = d->relations[rti - 1]->rd_rel->reltuples;
		return;
	}
	nd->rel_pages = -1;
	nd->rel_tuples = -1;
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(rte->relid));
	if (!HeapTupleIsValid(tup))
		return;
	nd->rel_pages = ((Form_pg_class) GETSTRUCT(tup))->relpages;
	nd->rel_tuples = ((Form_pg_class) GETSTRUCT(tup))->reltuples;
	ReleaseSysCache(tup);
}

/* Walk a list of child plans, numbering them from child_no on. */
static int
describe_list(PlannedStmt *ps, List *plans, int parent, int child_no,
			  QpmPlanDescription *d)
{
	ListCell   *lc;

	foreach(lc, plans)
		describe_tree(ps, (Plan *) lfirst(lc), parent, child_no++, d);
	return child_no;
}

/* Describe plan and its subtree in preorder. */
static void
describe_tree(PlannedStmt *ps, Plan *plan, int parent, int child_no,
			  QpmPlanDescription *d)
{
	QpmPlanNode *nd;
	int			self;
	int			next_child = 0;

	if (plan == NULL || d->n > QPM_PLAN_MAX_NODES)
		return;					/* too large: the core refuses it, stop growing */
	check_stack_depth();
	self = d->n;
	nd = next_node(d);
	nd->parent = parent;
	nd->child_no = child_no;
	nd->kind = node_kind(plan);
	nd->workers = IsA(plan, Gather) ? ((Gather *) plan)->num_workers :
		IsA(plan, GatherMerge) ? ((GatherMerge *) plan)->num_workers : 0;
	nd->init_plans = list_length(plan->initPlan);
	nd->startup_cost = plan->startup_cost;
	nd->total_cost = plan->total_cost;
	nd->plan_rows = plan->plan_rows;
	nd->plan_width = plan->plan_width;
	describe_relation(ps, scanned_rti(plan), d, nd);
	/* nd may move when the array grows: not used below */

	if (plan->lefttree)
		describe_tree(ps, plan->lefttree, self, next_child, d);
	next_child = 1;
	if (plan->righttree)
		describe_tree(ps, plan->righttree, self, next_child, d);
	next_child = 2;
	switch (nodeTag(plan))
	{
		case T_Append:
			describe_list(ps, ((Append *) plan)->appendplans, self, next_child, d);
			break;
		case T_MergeAppend:
			describe_list(ps, ((MergeAppend *) plan)->mergeplans, self, next_child, d);
			break;
		case T_BitmapAnd:
			describe_list(ps, ((BitmapAnd *) plan)->bitmapplans, self, next_child, d);
			break;
		case T_BitmapOr:
			describe_list(ps, ((BitmapOr *) plan)->bitmapplans, self, next_child, d);
			break;
		case T_SubqueryScan:
			describe_tree(ps, ((SubqueryScan *) plan)->subplan, self, next_child, d);
			break;
		case T_CustomScan:
			describe_list(ps, ((CustomScan *) plan)->custom_plans, self, next_child, d);
			break;
		default:
			break;
	}
}

/* Describe every tree of ps into d (reset first) and fill the statement facts. */
static void
describe_statement(PlannedStmt *ps, QpmPlanDescription *d)
{
	ListCell   *lc;
	int			subplan_trees = 0;
	int			initplans = 0;
	int			i;

	d->n = 0;
	describe_tree(ps, ps->planTree, -1, 0, d);
	foreach(lc, ps->subplans)
	{
		if (lfirst(lc) == NULL)
			continue;			/* removed by setrefs as unused */
		subplan_trees++;
		describe_tree(ps, (Plan *) lfirst(lc), -1, 0, d);
	}
	for (i = 0; i < d->n; i++)
		initplans += d->nodes[i].init_plans;

	switch (ps->commandType)
	{
		case CMD_SELECT:
			d->info.command = QPM_CMD_SELECT;
			break;
		case CMD_INSERT:
			d->info.command = QPM_CMD_INSERT;
			break;
		case CMD_UPDATE:
			d->info.command = QPM_CMD_UPDATE;
			break;
		case CMD_DELETE:
			d->info.command = QPM_CMD_DELETE;
			break;
		case CMD_MERGE:
			d->info.command = QPM_CMD_MERGE;
			break;
		default:
			d->info.command = 0;	/* missing */
			break;
	}
	d->info.jit = (ps->jitFlags & PGJIT_PERFORM) ? 1 : 0;
	/* every initPlan is a subplan tree; the others are correlated subplans */
	d->info.subplans = Max(subplan_trees - initplans, 0);
	d->info.work_mem_kb = work_mem;
	d->info.hash_mem_kb = (double) get_hash_memory_limit() / 1024.0;
}

/*
 * Describe ps and compute its plan/1 vector.  False when the core refuses
 * the description, which for a real plan means more than
 * QPM_PLAN_MAX_NODES nodes (or no plan tree at all).
 */
bool
qpm_plan_vector(PlannedStmt *ps, QpmPlanDescription *d, double *out)
{
	return qpm_plan_vector_open(ps, NULL, 0, d, out);
}

/* qpm_plan_vector, with table sizes from the executor's open relations. */
bool
qpm_plan_vector_open(PlannedStmt *ps, Relation *relations, int n_relations,
					 QpmPlanDescription *d, double *out)
{
	d->relations = relations;
	d->n_relations = n_relations;
	describe_statement(ps, d);
	d->relations = NULL;		/* valid only during this call */
	if (d->n == 0 || d->n > QPM_PLAN_MAX_NODES)
		return false;
	return qpm_plan_features(d->nodes, d->n, &d->info, out, NULL, 0) == 0;
}
