/*
 * test_plan_features.c — feature set plan/1: the registry entry, every
 * formula on small hand-built plans (a scan, NestLoops with their loops, a
 * Gather, a hash join that overflows work_mem, subplans), the missing-value
 * rules, and the refusal of malformed descriptions.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "feature_set.h"
#include "plan_features.h"
#include "unit.h"

#define TOL 1e-9
#define N QPM_PLAN_N_FEATURES

/* Positions, spelled out here so a reordering in src/ fails the test. */
enum
{
	TOTAL_COST, STARTUP_COST, PLAN_ROWS, PLAN_WIDTH, NODES, DEPTH, JOINS,
	REL_SCANS, PAGES_SUM, PAGES_MAX, TUPLES_SUM, TUPLES_MAX, WITHOUT_STATS,
	WORKERS, JIT, SUBPLANS, INITPLANS, COMMAND, WORK_MEM, SPILL, NL_LOOPS,
	SEQ_N, SEQ_B, IDX_N, IDX_B, BMP_N, BMP_B, NL_N, NL_B, HJ_N, HJ_B,
	MJ_N, MJ_B, SORT_N, SORT_B, HAGG_N, HAGG_B, AGG_N, AGG_B, MAT_N, MAT_B,
	APP_N, APP_B, OTHER_N, OTHER_B
};

/* A node with round estimates and no table. */
static QpmPlanNode
node(int parent, int child_no, int kind, double rows, double width)
{
	QpmPlanNode nd;

	memset(&nd, 0x5a, sizeof(nd));	/* the scratch fields must be set by the code */
	nd.parent = parent;
	nd.child_no = child_no;
	nd.kind = kind;
	nd.workers = 0;
	nd.init_plans = 0;
	nd.scans_relation = 0;
	nd.startup_cost = 0;
	nd.total_cost = 10;
	nd.plan_rows = rows;
	nd.plan_width = width;
	nd.rel_pages = 0;
	nd.rel_tuples = 0;
	return nd;
}

/* The same node scanning a table of the given size. */
static QpmPlanNode
scan(int parent, int child_no, int kind, double rows, double width,
	 double pages, double tuples)
{
	QpmPlanNode nd = node(parent, child_no, kind, rows, width);

	nd.scans_relation = 1;
	nd.rel_pages = pages;
	nd.rel_tuples = tuples;
	return nd;
}

static QpmPlanInfo
select_info(void)
{
	QpmPlanInfo info;

	info.command = QPM_CMD_SELECT;
	info.jit = 0;
	info.subplans = 0;
	info.work_mem_kb = 4096;
	info.hash_mem_kb = 8192;
	return info;
}

/* Every output finite or NAN, whatever the input. */
static int
all_finite_or_nan(const double *f)
{
	int			i;

	for (i = 0; i < N; i++)
		if (!isnan(f[i]) && !isfinite(f[i]))
			return 0;
	return 1;
}

/* Id, version, name; 45 distinct names with one-line descriptions. */
static void
test_registry(void)
{
	const QpmFeatureSet *fs = &qpm_feature_set_plan;
	int			i,
				j;

	/* Found by id and label: models of plan/1 load, train and predict. */
	CHECK(qpm_feature_set_find(QPM_FS_PLAN, QPM_FS_PLAN_VERSION) == fs);
	CHECK(qpm_feature_set_by_label("plan/1") == fs);
	CHECK(fs->row_features == NULL);	/* rows carry their vector */
	CHECK(fs->id == QPM_FS_PLAN && fs->version == QPM_FS_PLAN_VERSION);
	CHECK(QPM_FS_PLAN == 2 && QPM_FS_PLAN_VERSION == 1);
	CHECK(strcmp(fs->name, "plan") == 0);
	CHECK(fs->n_features == N);
	CHECK(N == 45 && N <= QPM_MAX_FEATURES);
	for (i = 0; i < N; i++)
	{
		CHECK(fs->names[i] != NULL && fs->descriptions[i] != NULL);
		if (fs->names[i] == NULL || fs->descriptions[i] == NULL)
			continue;
		CHECK(strlen(fs->descriptions[i]) > 10 && strlen(fs->descriptions[i]) < 120);
		CHECK(strchr(fs->descriptions[i], '\n') == NULL);
		CHECK(qpm_feature_set_index(fs, fs->names[i]) == i);
		for (j = 0; j < i; j++)
			CHECK(fs->names[j] == NULL || strcmp(fs->names[i], fs->names[j]) != 0);
	}
	CHECK(qpm_feature_set_index(fs, "total_cost_log") == TOTAL_COST);
	CHECK(qpm_feature_set_index(fs, "nestloop_inner_loops_log") == NL_LOOPS);
	CHECK(qpm_feature_set_index(fs, "seqscan_count") == SEQ_N);
	CHECK(qpm_feature_set_index(fs, "other_bytes_log") == OTHER_B);
	/* the statement-statistics set is unchanged beside it */
	CHECK(qpm_feature_set_find(1, 1) == &qpm_feature_set_stmt_stats);
}

/* One Seq Scan: every feature by hand. */
static void
test_single_scan(void)
{
	QpmPlanNode nd[1];
	QpmPlanInfo info = select_info();
	double		f[N];
	int			i;

	nd[0] = scan(-1, 0, QPM_PN_SEQ_SCAN, 1000, 40, 10, 1000);
	nd[0].startup_cost = 0.5;
	nd[0].total_cost = 20.5;
	CHECK(qpm_plan_features(nd, 1, &info, f, NULL, 0) == 0);
	CHECK_NEAR(f[TOTAL_COST], log1p(20.5), TOL);
	CHECK_NEAR(f[STARTUP_COST], log1p(0.5), TOL);
	CHECK_NEAR(f[PLAN_ROWS], log1p(1000), TOL);
	CHECK_NEAR(f[PLAN_WIDTH], log1p(40), TOL);
	CHECK(f[NODES] == 1 && f[DEPTH] == 1 && f[JOINS] == 0);
	CHECK(f[REL_SCANS] == 1 && f[WITHOUT_STATS] == 0);
	CHECK_NEAR(f[PAGES_SUM], log1p(10), TOL);
	CHECK_NEAR(f[PAGES_MAX], log1p(10), TOL);
	CHECK_NEAR(f[TUPLES_SUM], log1p(1000), TOL);
	CHECK_NEAR(f[TUPLES_MAX], log1p(1000), TOL);
	CHECK(f[WORKERS] == 0 && f[JIT] == 0 && f[SUBPLANS] == 0 && f[INITPLANS] == 0);
	CHECK(f[COMMAND] == 1);
	CHECK_NEAR(f[WORK_MEM], log1p(4096), TOL);
	CHECK(f[SPILL] == 0);		/* no sort, hash or hashed aggregate */
	CHECK(f[NL_LOOPS] == 0);
	CHECK(f[SEQ_N] == 1);
	CHECK_NEAR(f[SEQ_B], log1p(1000.0 * (40 + 24)), TOL);
	for (i = IDX_N; i <= OTHER_B; i++)
		CHECK(f[i] == 0);
	CHECK(nd[0].depth == 0 && nd[0].loops == 1);
}

/*
 * NestLoop (outer Seq Scan of 100 rows, inner Index Scan of 2 rows) under
 * another NestLoop whose outer side gives 5 rows: the inner scan runs
 * 5 x 100 times.
 */
static void
test_nested_loops(void)
{
	QpmPlanNode nd[5];
	QpmPlanInfo info = select_info();
	double		f[N];

	nd[0] = node(-1, 0, QPM_PN_NEST_LOOP, 1000, 16);
	nd[1] = scan(0, 0, QPM_PN_SEQ_SCAN, 5, 8, 1, 5);
	nd[2] = node(0, 1, QPM_PN_NEST_LOOP, 200, 8);
	nd[3] = scan(2, 0, QPM_PN_SEQ_SCAN, 100, 4, 3, 100);
	nd[4] = scan(2, 1, QPM_PN_INDEX_SCAN, 2, 4, 50, 10000);
	CHECK(qpm_plan_features(nd, 5, &info, f, NULL, 0) == 0);
	CHECK(nd[1].loops == 1 && nd[2].loops == 5 && nd[3].loops == 5);
	CHECK(nd[4].loops == 500);
	CHECK(nd[0].outer_rows == 5 && nd[2].outer_rows == 100);
	CHECK(nd[4].depth == 2 && nd[2].depth == 1);
	CHECK(f[DEPTH] == 3 && f[NODES] == 5 && f[JOINS] == 2);
	CHECK(f[NL_N] == 2);
	CHECK_NEAR(f[NL_B], log1p(1000.0 * 40 + 5 * 200.0 * 32), TOL);
	CHECK(f[SEQ_N] == 2);
	CHECK_NEAR(f[SEQ_B], log1p(5.0 * 32 + 5 * 100.0 * 28), TOL);
	CHECK(f[IDX_N] == 1);
	CHECK_NEAR(f[IDX_B], log1p(500.0 * 2 * 28), TOL);
	/* largest inner-side repetition: 5 x 100 for the lower NestLoop */
	CHECK_NEAR(f[NL_LOOPS], log1p(500), TOL);
	CHECK(f[REL_SCANS] == 3);
	CHECK_NEAR(f[PAGES_SUM], log1p(54), TOL);
	CHECK_NEAR(f[PAGES_MAX], log1p(50), TOL);
	CHECK_NEAR(f[TUPLES_SUM], log1p(10105), TOL);
	CHECK_NEAR(f[TUPLES_MAX], log1p(10000), TOL);

	/* an outer side estimated below one row still runs the inner side once */
	nd[3].plan_rows = 0.2;
	CHECK(qpm_plan_features(nd, 5, &info, f, NULL, 0) == 0);
	CHECK(nd[4].loops == 5);
}

/* Gather with 2 workers: the partial scan runs in 3 processes. */
static void
test_gather(void)
{
	QpmPlanNode nd[2];
	QpmPlanInfo info = select_info();
	double		f[N];

	nd[0] = node(-1, 0, QPM_PN_GATHER, 3000, 8);
	nd[0].workers = 2;
	nd[1] = scan(0, 0, QPM_PN_SEQ_SCAN, 1000, 8, 100, 3000);
	CHECK(qpm_plan_features(nd, 2, &info, f, NULL, 0) == 0);
	CHECK(nd[1].loops == 3);
	CHECK(f[WORKERS] == 2);
	CHECK_NEAR(f[SEQ_B], log1p(3000.0 * 32), TOL);
	CHECK(f[OTHER_N] == 1);		/* Gather is an "other" node */
	CHECK_NEAR(f[OTHER_B], log1p(3000.0 * 32), TOL);
}

/* Hash join whose Hash overflows hash memory; a Sort on top; JIT; DML. */
static void
test_hash_spill(void)
{
	QpmPlanNode nd[6];
	QpmPlanInfo info = select_info();
	double		f[N];

	info.command = QPM_CMD_UPDATE;
	info.jit = 1;
	nd[0] = node(-1, 0, QPM_PN_MODIFY_TABLE, 0, 0);
	nd[1] = node(0, 0, QPM_PN_SORT, 1000, 100);
	nd[2] = node(1, 0, QPM_PN_HASH_JOIN, 1000, 100);
	nd[3] = scan(2, 0, QPM_PN_SEQ_SCAN, 1000, 50, 10, 1000);
	nd[4] = node(2, 1, QPM_PN_HASH, 1000000, 76);
	nd[5] = scan(4, 0, QPM_PN_SEQ_SCAN, 1000000, 76, 20000, -1);	/* never analysed */
	CHECK(qpm_plan_features(nd, 6, &info, f, NULL, 0) == 0);
	/* the hash holds 1e6 x (76 + 24) bytes in 8 MB; the sort 1000 x 124 in 4 MB */
	CHECK_NEAR(f[SPILL], 1e8 / (8192.0 * 1024), 1e-9);
	CHECK(f[HJ_N] == 2 && f[JOINS] == 1 && f[SORT_N] == 1);
	CHECK(f[COMMAND] == 3 && f[JIT] == 1);
	/* the never-analysed table is counted apart, the other one summed */
	CHECK(f[REL_SCANS] == 2 && f[WITHOUT_STATS] == 1);
	CHECK_NEAR(f[PAGES_SUM], log1p(10), TOL);
	CHECK_NEAR(f[TUPLES_MAX], log1p(1000), TOL);
	/* the hash's loops are its join's: no NestLoop above */
	CHECK(nd[5].loops == 1);

	/* only never-analysed tables: sizes missing, not zero */
	nd[3].rel_tuples = -1;
	CHECK(qpm_plan_features(nd, 6, &info, f, NULL, 0) == 0);
	CHECK(f[WITHOUT_STATS] == 2);
	CHECK(isnan(f[PAGES_SUM]) && isnan(f[PAGES_MAX]));
	CHECK(isnan(f[TUPLES_SUM]) && isnan(f[TUPLES_MAX]));

	/* no usable memory setting: the ratio is unknown, the rest unchanged */
	info.hash_mem_kb = 0;
	CHECK(qpm_plan_features(nd, 6, &info, f, NULL, 0) == 0);
	CHECK(isnan(f[SPILL]));
	CHECK(f[HJ_N] == 2);
	/* a denormal memory setting overflows the ratio: capped, not infinite (fuzzer) */
	info.hash_mem_kb = 5e-324;
	CHECK(qpm_plan_features(nd, 6, &info, f, NULL, 0) == 0);
	CHECK(f[SPILL] == DBL_MAX);
	info.hash_mem_kb = NAN;
	info.work_mem_kb = NAN;
	CHECK(qpm_plan_features(nd, 6, &info, f, NULL, 0) == 0);
	CHECK(isnan(f[SPILL]) && isnan(f[WORK_MEM]));
}

/* Subplan trees after the main one; initPlans; the remaining classes. */
static void
test_subplans_and_classes(void)
{
	QpmPlanNode nd[12];
	QpmPlanInfo info = select_info();
	double		f[N];

	info.subplans = 1;
	nd[0] = node(-1, 0, QPM_PN_APPEND, 10, 8);
	nd[0].init_plans = 2;
	nd[1] = node(0, 0, QPM_PN_MERGE_JOIN, 5, 8);
	nd[2] = node(1, 0, QPM_PN_BITMAP_HEAP_SCAN, 5, 8);
	nd[3] = node(2, 0, QPM_PN_BITMAP_OR, 5, 0);
	nd[4] = node(3, 0, QPM_PN_BITMAP_INDEX_SCAN, 3, 0);
	nd[5] = node(3, 1, QPM_PN_BITMAP_INDEX_SCAN, 2, 0);
	nd[6] = node(1, 1, QPM_PN_MEMOIZE, 5, 8);
	nd[7] = node(0, 1, QPM_PN_AGG_HASHED, 5, 8);
	nd[8] = node(7, 0, QPM_PN_WINDOW_AGG, 5, 8);
	/* a subplan: its own root, loops 1 */
	nd[9] = node(-1, 0, QPM_PN_AGG_SORTED, 1, 8);
	nd[10] = node(9, 0, QPM_PN_GROUP, 1, 8);
	nd[11] = node(10, 0, 999, 1, 8);	/* unknown kind: "other" */
	CHECK(qpm_plan_features(nd, 12, &info, f, NULL, 0) == 0);
	CHECK(f[NODES] == 12 && f[DEPTH] == 5);
	CHECK(f[SUBPLANS] == 1 && f[INITPLANS] == 2);
	CHECK(f[APP_N] == 1 && f[MJ_N] == 1 && f[BMP_N] == 4 && f[MAT_N] == 1);
	CHECK(f[HAGG_N] == 1 && f[AGG_N] == 3 && f[OTHER_N] == 1);
	CHECK(f[JOINS] == 1);
	CHECK(nd[9].loops == 1 && nd[9].depth == 0 && nd[11].depth == 2);
	CHECK_NEAR(f[BMP_B], log1p(5.0 * 32 + 5 * 24 + 3 * 24 + 2 * 24), TOL);
	CHECK(f[REL_SCANS] == 0);
	/* no table scanned: sizes are 0, not missing */
	CHECK(f[PAGES_SUM] == 0 && f[TUPLES_MAX] == 0);
	/* the hashed aggregate's 5 x 32 bytes over 8 MB */
	CHECK_NEAR(f[SPILL], 160.0 / (8192.0 * 1024), 1e-15);
}

/* Missing and absurd estimates: missing roots stay missing, sums stay finite. */
static void
test_missing_and_absurd(void)
{
	QpmPlanNode nd[4];
	QpmPlanInfo info = select_info();
	double		f[N];

	nd[0] = node(-1, 0, QPM_PN_NEST_LOOP, NAN, NAN);
	nd[0].total_cost = NAN;
	nd[0].startup_cost = -5;
	nd[1] = node(0, 0, QPM_PN_SEQ_SCAN, INFINITY, 8);
	nd[2] = node(0, 1, QPM_PN_SORT, DBL_MAX, DBL_MAX);
	nd[3] = node(2, 0, QPM_PN_INDEX_SCAN, 0, INFINITY);
	nd[3].scans_relation = 1;
	nd[3].rel_pages = INFINITY;
	nd[3].rel_tuples = DBL_MAX;
	CHECK(qpm_plan_features(nd, 4, &info, f, NULL, 0) == 0);
	CHECK(all_finite_or_nan(f));
	CHECK(isnan(f[TOTAL_COST]) && isnan(f[PLAN_ROWS]) && isnan(f[PLAN_WIDTH]));
	CHECK(f[STARTUP_COST] == 0);
	/* infinite outer rows: the inner side's loops are infinite, its bytes capped */
	CHECK_NEAR(f[SORT_B], log1p(DBL_MAX), TOL);
	CHECK_NEAR(f[NL_LOOPS], log1p(DBL_MAX), TOL);
	/* 0 rows x infinite loops x infinite width is 0 bytes, not NAN */
	CHECK(f[IDX_B] == 0);
	CHECK_NEAR(f[PAGES_MAX], log1p(DBL_MAX), TOL);
	CHECK(f[SPILL] > 1e300 && isfinite(f[SPILL]));

	info.command = 0;
	CHECK(qpm_plan_features(nd, 4, &info, f, NULL, 0) == 0);
	CHECK(isnan(f[COMMAND]));
	info.command = QPM_CMD_MERGE + 1;
	CHECK(qpm_plan_features(nd, 4, &info, f, NULL, 0) == 0);
	CHECK(isnan(f[COMMAND]));
}

/* Malformed descriptions are refused with a message. */
static void
test_malformed(void)
{
	QpmPlanNode nd[3];
	QpmPlanInfo info = select_info();
	double		f[N];
	char		err[200];

	nd[0] = node(-1, 0, QPM_PN_SEQ_SCAN, 1, 1);
	nd[1] = node(0, 0, QPM_PN_SEQ_SCAN, 1, 1);
	nd[2] = node(0, 1, QPM_PN_SEQ_SCAN, 1, 1);

	err[0] = '\0';
	CHECK(qpm_plan_features(nd, 0, &info, f, err, sizeof(err)) == -1);
	CHECK(strstr(err, "not 0") != NULL);
	CHECK(qpm_plan_features(nd, -3, &info, f, err, sizeof(err)) == -1);
	CHECK(qpm_plan_features(nd, QPM_PLAN_MAX_NODES + 1, &info, f, err, sizeof(err)) == -1);

	nd[0].parent = 0;				/* node 0 must be a root */
	CHECK(qpm_plan_features(nd, 3, &info, f, err, sizeof(err)) == -1);
	CHECK(strstr(err, "root") != NULL);
	nd[0].parent = -1;

	nd[1].parent = 2;				/* a parent after its child */
	CHECK(qpm_plan_features(nd, 3, &info, f, err, sizeof(err)) == -1);
	CHECK(strstr(err, "node 1 has parent 2") != NULL);
	nd[1].parent = 1;				/* itself */
	CHECK(qpm_plan_features(nd, 3, &info, f, err, sizeof(err)) == -1);
	nd[1].parent = -7;
	CHECK(qpm_plan_features(nd, 3, &info, f, NULL, 0) == -1);	/* no room for a message */

	nd[1].parent = 0;
	CHECK(qpm_plan_features(nd, 3, &info, f, err, sizeof(err)) == 0);
	CHECK(f[NODES] == 3);
}

/* An inner NestLoop child before its outer one: loops fall back to the parent's. */
static void
test_inner_before_outer(void)
{
	QpmPlanNode nd[3];
	QpmPlanInfo info = select_info();
	double		f[N];

	nd[0] = node(-1, 0, QPM_PN_NEST_LOOP, 10, 8);
	nd[1] = node(0, 1, QPM_PN_INDEX_SCAN, 1, 8);
	nd[2] = node(0, 0, QPM_PN_SEQ_SCAN, 10, 8);
	CHECK(qpm_plan_features(nd, 3, &info, f, NULL, 0) == 0);
	CHECK(nd[1].loops == 1);
	CHECK(nd[0].outer_rows == 10);
	CHECK_NEAR(f[NL_LOOPS], log1p(10), TOL);
}

int
main(void)
{
	RUN(test_registry);
	RUN(test_single_scan);
	RUN(test_nested_loops);
	RUN(test_gather);
	RUN(test_hash_spill);
	RUN(test_subplans_and_classes);
	RUN(test_missing_and_absurd);
	RUN(test_malformed);
	RUN(test_inner_before_outer);
	return unit_report("test_plan_features");
}
