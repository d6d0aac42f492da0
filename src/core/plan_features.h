/*
 * plan_features.h — feature set plan/1: a query plan to 45 features.
 *
 * The input is a plain description of a plan that the glue builds from a
 * PlannedStmt (src/plan_describe.c), so this file and its tests need no
 * PostgreSQL header: an array of nodes, each naming its parent, plus a few
 * statement-level facts.  The main plan tree comes first (node 0 is its
 * root); the trees of subplans follow, each with its own root (parent -1).
 * A child always comes after its parent; a NestLoop's outer (first) child
 * comes before its inner (second) one, which preorder gives.
 *
 * Output: QPM_PLAN_N_FEATURES values, each finite or NAN (missing: the
 * model's transform imputes it).  The order and formulas are those of the
 * names in feature_set.c and are frozen: a change is a new set version.
 */
#ifndef QPM_PLAN_FEATURES_H
#define QPM_PLAN_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#define QPM_PLAN_N_FEATURES		45
/* Larger plans are refused: an Append over 100 000 partitions is not a plan we learn from. */
#define QPM_PLAN_MAX_NODES		1000000

/* Node kinds the glue distinguishes; the features group them into classes. */
typedef enum QpmPlanNodeKind
{
	QPM_PN_OTHER = 0,
	QPM_PN_SEQ_SCAN,
	QPM_PN_SAMPLE_SCAN,
	QPM_PN_INDEX_SCAN,
	QPM_PN_INDEX_ONLY_SCAN,
	QPM_PN_BITMAP_HEAP_SCAN,
	QPM_PN_BITMAP_INDEX_SCAN,
	QPM_PN_BITMAP_AND,
	QPM_PN_BITMAP_OR,
	QPM_PN_NEST_LOOP,
	QPM_PN_HASH_JOIN,
	QPM_PN_HASH,
	QPM_PN_MERGE_JOIN,
	QPM_PN_SORT,
	QPM_PN_INCREMENTAL_SORT,
	QPM_PN_AGG_HASHED,			/* hashed or mixed strategy */
	QPM_PN_AGG_SORTED,			/* sorted or plain strategy */
	QPM_PN_GROUP,
	QPM_PN_WINDOW_AGG,
	QPM_PN_MATERIAL,
	QPM_PN_MEMOIZE,
	QPM_PN_APPEND,
	QPM_PN_MERGE_APPEND,
	QPM_PN_GATHER,
	QPM_PN_GATHER_MERGE,
	QPM_PN_MODIFY_TABLE,
	QPM_PN_N_KINDS
} QpmPlanNodeKind;

/* Command types, as feature command_type reports them. */
typedef enum QpmPlanCommand
{
	QPM_CMD_SELECT = 1,
	QPM_CMD_INSERT = 2,
	QPM_CMD_UPDATE = 3,
	QPM_CMD_DELETE = 4,
	QPM_CMD_MERGE = 5
} QpmPlanCommand;

typedef struct QpmPlanNode
{
	/* filled by the describer */
	int32_t		parent;			/* index of the parent, -1 for a tree's root */
	int32_t		child_no;		/* 0: first (outer) child, 1: second (inner), 2+: others */
	int32_t		kind;			/* QpmPlanNodeKind; unknown values count as OTHER */
	int32_t		workers;		/* Gather / Gather Merge: planned workers, else 0 */
	int32_t		init_plans;		/* initPlans attached to this node */
	int32_t		scans_relation; /* 1 if it scans a table (relpages/reltuples below) */
	double		startup_cost;
	double		total_cost;
	double		plan_rows;		/* estimated rows per loop */
	double		plan_width;		/* estimated average row width, bytes */
	double		rel_pages;		/* pg_class.relpages of the scanned table */
	double		rel_tuples;		/* pg_class.reltuples; < 0: never analysed */
	/* set by qpm_plan_features */
	double		loops;			/* estimated executions of this node */
	double		outer_rows;		/* NestLoop: its outer child's plan_rows */
	int32_t		depth;			/* 0 for a root */
} QpmPlanNode;

/* Statement-level facts. */
typedef struct QpmPlanInfo
{
	int32_t		command;		/* QpmPlanCommand */
	int32_t		jit;			/* 1 if the plan will be JIT-compiled */
	int32_t		subplans;		/* subplan trees that are not initPlans */
	double		work_mem_kb;
	double		hash_mem_kb;	/* work_mem x hash_mem_multiplier */
} QpmPlanInfo;

/*
 * Compute the plan/1 vector of a described plan into out (QPM_PLAN_N_FEATURES
 * values).  Returns 0, or -1 with a message in err (when err is not NULL)
 * if the description is malformed: no nodes, too many, node 0 not a root,
 * a parent index not before its child.  Writes the loops, outer_rows and
 * depth fields of the nodes.
 */
int			qpm_plan_features(QpmPlanNode *nodes, int n, const QpmPlanInfo *info,
							  double *out, char *err, size_t errlen);

#endif
