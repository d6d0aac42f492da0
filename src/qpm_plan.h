/*
 * qpm_plan.h — query plans in the glue: describing a PlannedStmt for the
 * core's plan/1 features (plan_describe.c), planning a statement text
 * without running it (plan_statement.c), capturing executed plans into a
 * shared-memory ring buffer (plan_capture.c, plan_ring.c), the SQL entry
 * points over them (sql_plan.c) and the predicted time in EXPLAIN
 * (explain_hook.c).  Nothing in src/core includes this file.
 */
#ifndef QPM_PLAN_H
#define QPM_PLAN_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "nodes/plannodes.h"
#include "utils/relcache.h"

#include "core/plan_features.h"

/* ---- plan_describe.c: PlannedStmt -> core description ---- */

/* A growable description; nodes live in cxt (or CurrentMemoryContext if NULL). */
typedef struct QpmPlanDescription
{
	QpmPlanNode *nodes;
	int			n;
	int			capacity;
	MemoryContext cxt;
	QpmPlanInfo info;
	Relation   *relations;		/* during a call only: the executor's open tables */
	int			n_relations;
} QpmPlanDescription;

/*
 * Describe ps (every tree: main plan, subplans, initPlans) and compute its
 * plan/1 vector into out.  Returns false for a plan of more than
 * QPM_PLAN_MAX_NODES nodes (the walk stops growing there); the caller
 * decides how loud.
 */
bool		qpm_plan_vector(PlannedStmt *ps, QpmPlanDescription *d, double *out);
/*
 * The same with the executor's open relations (estate->es_relations, NULL
 * entries allowed): table sizes come from their relcache entries instead
 * of the syscache, so the capture's hot path touches no catalog.
 */
bool		qpm_plan_vector_open(PlannedStmt *ps, Relation *relations, int n_relations,
								 QpmPlanDescription *d, double *out);

/* ---- plan_statement.c: plan a statement text, never run it ---- */

typedef struct QpmPlannedStatement
{
	int64		queryid;		/* 0 when compute_query_id gives none */
	CmdType		command;
	int			n_params;		/* $n parameters, planned generically */
	double		total_cost;		/* the root's estimates */
	double		plan_rows;
	double		features[QPM_PLAN_N_FEATURES];
} QpmPlannedStatement;

/*
 * Parse, analyse, rewrite and plan exactly one SELECT / INSERT / UPDATE /
 * DELETE / MERGE statement with the caller's privileges and settings, check
 * the caller's table privileges as the executor would, and describe the
 * plan; all inside a subtransaction that is rolled back, so the locks that
 * planning took are released and nothing stays behind.  ERROR otherwise.
 */
void		qpm_plan_statement(const char *sql, QpmPlannedStatement *out);

/* ---- plan_ring.c: the shared-memory ring buffer of captured samples ---- */

#define QPM_RING_TRANCHE "query_perf_ml"

typedef struct QpmPlanSample
{
	TimestampTz captured_at;	/* when the statement ended (or was aborted) */
	Oid			dbid;
	Oid			userid;
	int64		queryid;		/* 0: none */
	bool		completed;		/* false: cancelled, failed, or fetched in part */
	double		total_cost;
	double		plan_rows;
	double		exec_ms;		/* a lower bound when not completed */
	uint64		rows;
	double		features[QPM_PLAN_N_FEATURES];
} QpmPlanSample;

typedef struct QpmRingStats
{
	int			size;
	int64		buffered;		/* waiting to be flushed, all databases */
	int64		buffered_here;	/* ... of the current database */
	int64		captured;
	int64		incomplete;
	int64		overwritten;	/* unflushed samples lost to newer ones */
	int64		flushed;
} QpmRingStats;

/* Shared memory needed for the configured capture_buffer. */
Size		qpm_ring_shmem_size(void);
/* Create or attach the ring (shmem_startup_hook, AddinShmemInitLock held by the caller). */
void		qpm_ring_shmem_init(void);
/* Is the ring there (library preloaded)? */
bool		qpm_ring_available(void);
/* Append a sample, overwriting the oldest when full; one short exclusive lock. */
void		qpm_ring_append(const QpmPlanSample *s);
/*
 * Claim up to max unflushed samples of dbid captured before *limit, from
 * *cursor on (both sequence numbers; *limit = 0 sets it to "now").  The
 * claims become final when the transaction commits and are released if
 * it (or the subtransaction) aborts.
 */
int			qpm_ring_claim(Oid dbid, uint64 *cursor, uint64 *limit,
						   QpmPlanSample *out, int max);
/* Counters and current fill (all zero when not preloaded). */
void		qpm_ring_stats(QpmRingStats *st);

/* ---- plan_capture.c: settings and executor hooks ---- */
extern bool qpm_capture_plans;
extern double qpm_capture_sample_rate;
extern int	qpm_capture_buffer;

/* Define the capture settings; install hooks and request shared memory when preloaded. */
void		qpm_plan_capture_init(void);

/* ---- explain_hook.c: the predicted time in EXPLAIN ---- */
/* Define query_perf_ml.explain_prediction and install the ExplainOneQuery hook. */
void		qpm_explain_hook_init(void);

#endif
