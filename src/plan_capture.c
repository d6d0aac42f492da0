/*
 * plan_capture.c — sampling executed statements' plans: the capture
 * settings, the shared-memory request and the executor hooks.
 *
 * Only with query_perf_ml in shared_preload_libraries (the ring buffer is
 * shared memory).  With capture_plans on, a top-level statement is sampled
 * with probability capture_sample_rate when ExecutorStart runs: never in a
 * parallel worker, never for EXPLAIN without ANALYZE.  "Top-level" is
 * counted the pg_stat_statements way: ExecutorRun, ExecutorFinish and
 * ProcessUtility raise a nesting level around the hooks they chain to, so
 * statements run by functions, DO blocks, procedures, EXPLAIN ANALYZE,
 * CREATE TABLE AS or DECLARE CURSOR are nested and not sampled.  EXECUTE of
 * a prepared statement is the exception: its statement is the client's.
 *
 * A sampled statement gets queryDesc->totaltime if no other extension
 * allocated it (INSTRUMENT_ALL, as pg_stat_statements and auto_explain do:
 * the first allocator's flags are everyone's, and a timer-only instrument
 * would zero pg_stat_statements' buffer counters when query_perf_ml comes
 * first in shared_preload_libraries; the buffer and WAL snapshots cost two
 * struct copies per ExecutorRun).  No per-node instrumentation.  Its plan
 * vector is computed right after ExecutorStart, from the PlannedStmt, so
 * that a statement that never reaches ExecutorEnd (cancelled by
 * statement_timeout, failed, terminated) can still be recorded: a memory
 * context callback on the executor's query context, which is deleted at
 * ExecutorEnd and at abort alike, appends such a statement with completed =
 * false and the time it ran until then, a lower bound.  That path allocates
 * nothing and calls no user code: a clock read and a memcpy under the
 * ring's lock.  The executor's time is totaltime's (ExecutorRun and
 * ExecutorFinish, as pg_stat_statements' exec time); a portal fetched with
 * a row limit whose last fetch filled the limit is recorded as not
 * completed, since the rest was never run.
 *
 * Per sampled statement: one small allocation in the executor's query
 * context, the plan walk (into an array reused across statements; table
 * sizes from the relations the executor opened), and one append under one
 * short lock.
 * No table is written; flush_plan_samples() does that later.
 */
#include "postgres.h"

#include <math.h>

#include "access/parallel.h"
#include "common/pg_prng.h"
#include "executor/executor.h"
#include "executor/instrument.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "tcop/utility.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "qpm_plan.h"

bool		qpm_capture_plans = false;
double		qpm_capture_sample_rate = 1.0;
int			qpm_capture_buffer = 10000;

/* A sampled statement, from ExecutorStart until its query context goes. */
typedef struct CaptureState
{
	struct CaptureState *next;	/* the list of open samples */
	MemoryContextCallback on_delete;
	const QueryDesc *query_desc;	/* identity only: may be freed before us */
	Instrumentation *totaltime; /* in the query context, like us */
	bool		done;
	bool		partial;		/* last limited fetch filled its limit */
	QpmPlanSample sample;
} CaptureState;

static int	nesting_level = 0;
static CaptureState *captures = NULL;	/* open samples: a few at most */
static QpmPlanDescription capture_description;

#if PG_VERSION_NUM >= 150000
static shmem_request_hook_type prev_shmem_request_hook = NULL;
#endif
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorRun_hook_type prev_ExecutorRun = NULL;
static ExecutorFinish_hook_type prev_ExecutorFinish = NULL;
static ExecutorEnd_hook_type prev_ExecutorEnd = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

static void request_shmem(void);
static void capture_shmem_startup(void);
static void capture_ExecutorStart(QueryDesc *queryDesc, int eflags);
static void capture_ExecutorRun(QueryDesc *queryDesc, ScanDirection direction,
								uint64 count, bool execute_once);
static void capture_ExecutorFinish(QueryDesc *queryDesc);
static void capture_ExecutorEnd(QueryDesc *queryDesc);
static void capture_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
								   bool readOnlyTree, ProcessUtilityContext context,
								   ParamListInfo params, QueryEnvironment *queryEnv,
								   DestReceiver *dest, QueryCompletion *qc);

/* Define the settings; when preloaded, request shared memory and hook the executor. */
void
qpm_plan_capture_init(void)
{
	DefineCustomBoolVariable("query_perf_ml.capture_plans",
							 "Sample executed top-level statements' plans into the capture buffer.",
							 "Needs query_perf_ml in shared_preload_libraries; flush_plan_samples() "
							 "moves the samples into query_perf_ml.plan_samples.",
							 &qpm_capture_plans,
							 false,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);
	DefineCustomRealVariable("query_perf_ml.capture_sample_rate",
							 "Share of top-level statements whose plans are captured.",
							 "Range 0 to 1.  Each statement is drawn independently.",
							 &qpm_capture_sample_rate,
							 1.0, 0.0, 1.0,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);
	/* As query_perf_ml.database: postmaster-only settings need the preload. */
	DefineCustomIntVariable("query_perf_ml.capture_buffer",
							"Plan samples the capture buffer holds (shared memory, about 450 bytes each).",
							"Range 16 to 1000000.  When full, the oldest unflushed samples are overwritten "
							"and counted.  Read at server start.",
							&qpm_capture_buffer,
							10000, 16, 1000000,
							process_shared_preload_libraries_in_progress ?
							PGC_POSTMASTER : PGC_SIGHUP, 0,
							NULL, NULL, NULL);

	if (!process_shared_preload_libraries_in_progress)
		return;

#if PG_VERSION_NUM >= 150000
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = request_shmem;
#else
	request_shmem();
#endif
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = capture_shmem_startup;
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = capture_ExecutorStart;
	prev_ExecutorRun = ExecutorRun_hook;
	ExecutorRun_hook = capture_ExecutorRun;
	prev_ExecutorFinish = ExecutorFinish_hook;
	ExecutorFinish_hook = capture_ExecutorFinish;
	prev_ExecutorEnd = ExecutorEnd_hook;
	ExecutorEnd_hook = capture_ExecutorEnd;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = capture_ProcessUtility;
}

/* The ring's shared memory and its lock. */
static void
request_shmem(void)
{
#if PG_VERSION_NUM >= 150000
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
#endif
	RequestAddinShmemSpace(qpm_ring_shmem_size());
	RequestNamedLWLockTranche(QPM_RING_TRANCHE, 1);
}

/* Create or attach the ring. */
static void
capture_shmem_startup(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	qpm_ring_shmem_init();
	LWLockRelease(AddinShmemInitLock);
}

/* Should the statement starting now be sampled? */
static bool
sample_this_statement(int eflags)
{
	if (!qpm_capture_plans || nesting_level != 0 || !qpm_ring_available())
		return false;
	if (IsParallelWorker() || (eflags & EXEC_FLAG_EXPLAIN_ONLY))
		return false;
	if (qpm_capture_sample_rate >= 1.0)
		return true;
	return pg_prng_double(&pg_global_prng_state) < qpm_capture_sample_rate;
}

/* The sampled statement of queryDesc, or NULL. */
static CaptureState *
find_capture(const QueryDesc *queryDesc)
{
	CaptureState *st;

	for (st = captures; st != NULL; st = st->next)
		if (st->query_desc == queryDesc)
			return st;
	return NULL;
}

/* Take st off the list of open samples. */
static void
forget_capture(const CaptureState *st)
{
	CaptureState **link;

	for (link = &captures; *link != NULL; link = &(*link)->next)
	{
		if (*link == st)
		{
			*link = st->next;
			return;
		}
	}
}

/* Milliseconds totaltime has measured, counting a run still in progress. */
static double
measured_ms(const Instrumentation *instr)
{
	double		s = instr->total + INSTR_TIME_GET_DOUBLE(instr->counter);

	if (!INSTR_TIME_IS_ZERO(instr->starttime))
	{
		instr_time	now;

		INSTR_TIME_SET_CURRENT(now);
		INSTR_TIME_SUBTRACT(now, instr->starttime);
		s += INSTR_TIME_GET_DOUBLE(now);
	}
	return s * 1000.0;
}

/* Record a sampled statement once, and forget it. */
static void
record_sample(CaptureState *st, bool reached_end)
{
	double		ms;

	if (st->done)
		return;
	st->done = true;
	forget_capture(st);
	ms = measured_ms(st->totaltime);
	if (!reached_end && ms == 0 && st->totaltime->nloops == 0)
		return;					/* aborted before it ever ran */
	st->sample.exec_ms = ms;
	st->sample.completed = reached_end && !st->partial;
	st->sample.captured_at = GetCurrentTimestamp();
	qpm_ring_append(&st->sample);
}

/*
 * The executor's query context is going away: at ExecutorEnd (already
 * recorded), or at abort, when the statement never reached ExecutorEnd.
 */
static void
capture_context_deleted(void *arg)
{
	record_sample((CaptureState *) arg, false);
}

/* Set up the sample of a statement whose executor state now exists. */
static void
start_capture(QueryDesc *queryDesc)
{
	EState	   *estate = queryDesc->estate;
	PlannedStmt *ps = queryDesc->plannedstmt;
	MemoryContext old;
	CaptureState *st;
	bool		ok;

	if (capture_description.cxt == NULL)
		capture_description.cxt = AllocSetContextCreate(TopMemoryContext,
														"query_perf_ml plan capture",
														ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(estate->es_query_cxt);
	st = palloc0(sizeof(CaptureState));
	if (queryDesc->totaltime == NULL)
		queryDesc->totaltime = InstrAlloc(1, INSTRUMENT_ALL, false);
	MemoryContextSwitchTo(old);

	ok = qpm_plan_vector_open(ps, estate->es_relations, (int) estate->es_range_table_size,
							  &capture_description, st->sample.features);
	if (capture_description.capacity > 4096)
	{
		/* an exceptional plan: do not keep its array for the backend's life */
		pfree(capture_description.nodes);
		capture_description.nodes = NULL;
		capture_description.capacity = 0;
	}
	if (!ok)
		return;					/* a plan too large to describe; st goes with the context */
	st->query_desc = queryDesc;
	st->totaltime = queryDesc->totaltime;
	st->sample.dbid = MyDatabaseId;
	st->sample.userid = GetUserId();
	st->sample.queryid = (int64) ps->queryId;
	st->sample.total_cost = ps->planTree->total_cost;
	st->sample.plan_rows = ps->planTree->plan_rows;
	st->on_delete.func = capture_context_deleted;
	st->on_delete.arg = st;
	MemoryContextRegisterResetCallback(estate->es_query_cxt, &st->on_delete);
	st->next = captures;
	captures = st;
}

/* ExecutorStart: decide, start, then set up the sample. */
static void
capture_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	bool		sample = sample_this_statement(eflags);

	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
	if (sample)
		start_capture(queryDesc);
}

/* ExecutorRun: one level deeper; count the rows of a sampled statement. */
static void
capture_ExecutorRun(QueryDesc *queryDesc, ScanDirection direction, uint64 count,
					bool execute_once)
{
	CaptureState *st;

	nesting_level++;
	PG_TRY();
	{
		if (prev_ExecutorRun)
			prev_ExecutorRun(queryDesc, direction, count, execute_once);
		else
			standard_ExecutorRun(queryDesc, direction, count, execute_once);
	}
	PG_FINALLY();
	{
		nesting_level--;
	}
	PG_END_TRY();

	st = find_capture(queryDesc);
	if (st != NULL)
	{
		/* es_processed counts this run only (before PostgreSQL 16) */
		st->sample.rows += queryDesc->estate->es_processed;
		st->partial = count > 0 && queryDesc->estate->es_processed >= count;
	}
}

/* ExecutorFinish: one level deeper (AFTER triggers run here). */
static void
capture_ExecutorFinish(QueryDesc *queryDesc)
{
	nesting_level++;
	PG_TRY();
	{
		if (prev_ExecutorFinish)
			prev_ExecutorFinish(queryDesc);
		else
			standard_ExecutorFinish(queryDesc);
	}
	PG_FINALLY();
	{
		nesting_level--;
	}
	PG_END_TRY();
}

/* ExecutorEnd: record a sampled statement, then end it. */
static void
capture_ExecutorEnd(QueryDesc *queryDesc)
{
	CaptureState *st = find_capture(queryDesc);

	if (st != NULL)
		record_sample(st, true);
	if (prev_ExecutorEnd)
		prev_ExecutorEnd(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
}

/*
 * ProcessUtility: statements a utility runs are nested, except EXECUTE's,
 * which is the client's own statement.
 */
static void
capture_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
					   bool readOnlyTree, ProcessUtilityContext context,
					   ParamListInfo params, QueryEnvironment *queryEnv,
					   DestReceiver *dest, QueryCompletion *qc)
{
	bool		nests = !IsA(pstmt->utilityStmt, ExecuteStmt);

	if (nests)
		nesting_level++;
	PG_TRY();
	{
		if (prev_ProcessUtility)
			prev_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
									params, queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		if (nests)
			nesting_level--;
	}
	PG_END_TRY();
}
