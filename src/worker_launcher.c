/*
 * worker_launcher.c — the background worker ("launcher") and its settings.
 *
 * Preloaded, one static worker is registered.  Idle and unconnected while
 * snapshot_interval = 0 and auto_retrain is off (a reload can change
 * either), it connects to query_perf_ml.database as the bootstrap superuser
 * and runs, each on its own schedule:
 *  - every snapshot_interval: snapshot() then purge_history();
 *  - every auto_retrain_interval, with auto_retrain on: for each active
 *    model prediction_accuracy() flags drifted, a training job
 *    (training_jobs.c) retraining it with its algorithm, options, feature
 *    set and source, as the role that created it, keeping the new version
 *    only if better (train_and_record there).
 *
 * Security.  The launcher is a superuser session in a database whose owner
 * need not be one, so nothing it runs may depend on anything a user can
 * change: its search_path is pinned to pg_catalog, pg_temp right after it
 * connects (ALTER DATABASE ... SET search_path must not bring a user's
 * count()), every name in its SQL is qualified, and it runs no user code
 * itself.  A retraining's source is model_store.source_relation, never a
 * name read from a table: a model without one (imported, or trained before
 * 1.2 on a source that no longer resolves) is skipped, and so is one whose
 * relation lost the qualified name it was trained under (a dropped
 * relation's OID, kept by the regclass column, could name another relation
 * later or after a restore).  A full job cap or a role that cannot log in is
 * logged, the model retried at the next check.
 *
 * Conventions (pg_cron's): signals set before they are unblocked; SIGHUP
 * rereads the configuration; SIGTERM ends the worker with exit code 0,
 * between steps or by cancelling the step in progress at its next interrupt
 * check (retrainings run in job workers, so steps are short); latch waits
 * with WL_EXIT_ON_PM_DEATH.  Each step runs in its own transaction inside
 * PG_TRY: an ERROR is logged at LOG, the transaction aborted, the error
 * state flushed: one bad cycle never kills the worker; repeated failures
 * double the delay up to an hour.  A database without the extension (or
 * pg_stat_statements) is logged once, checked every 10 s and at once after a
 * reload.  Nothing runs in recovery (BgWorkerStart_RecoveryFinished; each
 * step checks RecoveryInProgress()).  bgw_restart_time is 60 s: a dying
 * worker is retried once a minute, not in a tight loop.
 */
#include "postgres.h"

#include <signal.h>

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "source_reader.h"
#include "qpm_worker.h"

#define NOT_READY_RECHECK_S 10
#define MAX_BACKOFF_S 3600

int			qpm_snapshot_interval_s = 0;
char	   *qpm_worker_database = NULL;
bool		qpm_auto_retrain = false;
int			qpm_auto_retrain_interval_s = 3600;
volatile sig_atomic_t qpm_worker_got_sigterm = false;

/* Why the database cannot be served yet; logged once per change. */
typedef enum ReadyState
{
	READY_UNKNOWN,
	READY_OK,
	READY_NO_EXTENSION,
	READY_OLD_EXTENSION,
	READY_NO_PGSS
} ReadyState;

/* One step of a cycle, run in its own transaction. */
typedef void (*StepFn) (void *arg);

static ReadyState ready_state = READY_UNKNOWN;
static bool reloaded = false;	/* a reload reschedules everything to now */

/* Define the settings; register the launcher when preloaded. */
void
qpm_worker_init(void)
{
	BackgroundWorker worker;

	DefineCustomIntVariable("query_perf_ml.snapshot_interval",
							"How often the background worker snapshots pg_stat_statements.",
							"0 (the default) turns periodic snapshots off; at most 1 day.  "
							"Needs query_perf_ml in shared_preload_libraries.",
							&qpm_snapshot_interval_s,
							0, 0, 86400,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);
	/*
	 * Read once, when the launcher connects: PGC_POSTMASTER.  A library
	 * loaded later by a backend (no preload, no launcher) may not define
	 * postmaster settings, so there it is an informational SIGHUP one.
	 */
	DefineCustomStringVariable("query_perf_ml.database",
							   "Database the background worker connects to.",
							   "The extension must be installed there.  Read at server start.",
							   &qpm_worker_database,
							   "postgres",
							   process_shared_preload_libraries_in_progress ?
							   PGC_POSTMASTER : PGC_SIGHUP, 0,
							   NULL, NULL, NULL);
	DefineCustomBoolVariable("query_perf_ml.auto_retrain",
							 "Let the background worker retrain active models that have drifted.",
							 "Drift as flagged by prediction_accuracy(); the new version is kept only if it is better.",
							 &qpm_auto_retrain,
							 false,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("query_perf_ml.auto_retrain_interval",
							"How often the background worker looks for drifted models.",
							"Range 1 s to 7 days; a model is retrained at most once per interval.",
							&qpm_auto_retrain_interval_s,
							3600, 1, 7 * 86400,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);

	if (!process_shared_preload_libraries_in_progress)
		return;
	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 60;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "query_perf_ml");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "qpm_launcher_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, QPM_LAUNCHER_WORKER_TYPE);
	snprintf(worker.bgw_type, BGW_MAXLEN, QPM_LAUNCHER_WORKER_TYPE);
	RegisterBackgroundWorker(&worker);
}

/*
 * SIGTERM of both workers (the launcher and training jobs): remember it and
 * cancel what is in progress at its next interrupt check, so the worker
 * unwinds through its PG_CATCH (the launcher exits with code 0, a job
 * records 'failed' rather than staying 'running').
 */
void
qpm_worker_sigterm(SIGNAL_ARGS)
{
	int			save_errno = errno;

	qpm_worker_got_sigterm = true;
	InterruptPending = true;
	QueryCancelPending = true;
	SetLatch(MyLatch);
	errno = save_errno;
}

/* Is any background task enabled? */
static bool
launcher_enabled(void)
{
	return qpm_snapshot_interval_s > 0 || qpm_auto_retrain;
}

/* Sleep until the timeout, a signal or a reload; exit cleanly on SIGTERM. */
static void
launcher_wait(long timeout_ms)
{
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_EXIT_ON_PM_DEATH |
					 (timeout_ms >= 0 ? WL_TIMEOUT : 0),
					 timeout_ms, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	if (qpm_worker_got_sigterm)
		proc_exit(0);
	CHECK_FOR_INTERRUPTS();
	if (ConfigReloadPending)
	{
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
		reloaded = true;
	}
}

/*
 * Run fn in a transaction; an ERROR is logged at LOG and swallowed.
 * Returns whether it succeeded.
 */
static bool
run_step(const char *what, StepFn fn, void *arg)
{
	MemoryContext ctx = CurrentMemoryContext;
	volatile bool ok = true;

	if (qpm_worker_got_sigterm)
		proc_exit(0);
	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, what);
		fn(arg);
		PopActiveSnapshot();
		CommitTransactionCommand();
		MemoryContextSwitchTo(ctx);
	}
	PG_CATCH();
	{
		ErrorData  *ed;

		MemoryContextSwitchTo(ctx);
		ed = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		if (qpm_worker_got_sigterm)
			proc_exit(0);		/* the cancel came from SIGTERM */
		ereport(LOG,
				(errmsg("query_perf_ml launcher: %s failed: %s", what, ed->message),
				 ed->detail ? errdetail_internal("%s", ed->detail) : 0));
		FreeErrorData(ed);
		ok = false;
	}
	PG_END_TRY();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	return ok;
}

/* One statement through the gateway (as the launcher's own superuser role). */
static void
exec_sql(const char *sql, int expected)
{
	QpmOwnerSession os;

	qpm_owner_begin(&os, false);
	qpm_spi_run(sql, 0, NULL, NULL, NULL, false, expected);
	qpm_owner_end(&os);
}

/* Step: is the database ready (extension 1.1+, pg_stat_statements)? */
static void
check_ready(void *arg)
{
	ReadyState *st = (ReadyState *) arg;
	QpmOwnerSession os;
	bool		isnull;

	qpm_owner_begin(&os, false);
	qpm_spi_run("SELECT (SELECT pg_catalog.count(*) FROM pg_catalog.pg_extension "
				"        WHERE extname OPERATOR(pg_catalog.=) 'query_perf_ml'), "
				"pg_catalog.to_regprocedure('query_perf_ml.snapshot()') IS NOT NULL "
				"AND pg_catalog.to_regclass('query_perf_ml.training_job_store') IS NOT NULL",
				0, NULL, NULL, NULL, true, SPI_OK_SELECT);
	if (DatumGetInt64(qpm_spi_col(0, 1, &isnull)) == 0)
		*st = READY_NO_EXTENSION;
	else if (!DatumGetBool(qpm_spi_col(0, 2, &isnull)))
		*st = READY_OLD_EXTENSION;
	else
		*st = READY_OK;
	qpm_owner_end(&os);
	if (*st == READY_OK && qpm_snapshot_interval_s > 0 && !qpm_pgss_available(NULL))
		*st = READY_NO_PGSS;
}

/* Log a change of readiness once. */
static void
report_ready(ReadyState st)
{
	if (st == ready_state)
		return;
	ready_state = st;
	switch (st)
	{
		case READY_NO_EXTENSION:
			ereport(LOG,
					(errmsg("query_perf_ml launcher: extension \"query_perf_ml\" is not installed in database \"%s\"",
							qpm_worker_database),
					 errhint("Run CREATE EXTENSION query_perf_ml there, or set query_perf_ml.database; the worker checks again every %d seconds.",
							 NOT_READY_RECHECK_S)));
			break;
		case READY_OLD_EXTENSION:
			ereport(LOG,
					(errmsg("query_perf_ml launcher: extension \"query_perf_ml\" in database \"%s\" is older than 1.1",
							qpm_worker_database),
					 errhint("Run ALTER EXTENSION query_perf_ml UPDATE there; the worker checks again every %d seconds.",
							 NOT_READY_RECHECK_S)));
			break;
		case READY_NO_PGSS:
			ereport(LOG,
					(errmsg("query_perf_ml launcher: pg_stat_statements is not available in database \"%s\"",
							qpm_worker_database),
					 errhint("Run CREATE EXTENSION pg_stat_statements there and preload it; the worker checks again every %d seconds.",
							 NOT_READY_RECHECK_S)));
			break;
		case READY_OK:
			ereport(LOG,
					(errmsg("query_perf_ml launcher: serving database \"%s\" (snapshot_interval %d s, auto_retrain %s)",
							qpm_worker_database, qpm_snapshot_interval_s,
							qpm_auto_retrain ? "on" : "off")));
			break;
		case READY_UNKNOWN:
			break;
	}
}

/* Step: record jobs whose worker died as failed. */
static void
reconcile_step(void *arg)
{
	int64		n = qpm_reconcile_training_jobs();

	if (n > 0)
		ereport(LOG,
				(errmsg("query_perf_ml launcher: " INT64_FORMAT " training job(s) whose worker exited without a result marked failed", n)));
}

/* Step: snapshot(). */
static void
snapshot_step(void *arg)
{
	exec_sql("SELECT query_perf_ml.snapshot()", SPI_OK_SELECT);
}

/* Step: purge_history(). */
static void
purge_step(void *arg)
{
	exec_sql("SELECT query_perf_ml.purge_history()", SPI_OK_SELECT);
}

/*
 * The relation a model version was trained on, if it still exists under
 * the qualified name stored with the model; InvalidOid otherwise.
 */
static Oid
trainable_source(Oid relid, const char *name)
{
	char	   *relname;
	char	   *nspname;

	if (!OidIsValid(relid) || name == NULL)
		return InvalidOid;
	relname = get_rel_name(relid);
	if (relname == NULL)
		return InvalidOid;
	nspname = get_namespace_name(get_rel_namespace(relid));
	if (nspname == NULL || strcmp(quote_qualified_identifier(nspname, relname), name) != 0)
		return InvalidOid;
	return relid;
}

/* Does model_store have source_relation (extension 1.2)?  Logged once if not. */
static bool
has_source_relation(void)
{
	static bool reported = false;
	Oid			relid = get_relname_relid("model_store", get_namespace_oid("query_perf_ml", false));

	if (OidIsValid(relid) && get_attnum(relid, "source_relation") != InvalidAttrNumber)
		return true;
	if (!reported)
		ereport(LOG,
				(errmsg("query_perf_ml launcher: auto_retrain needs extension \"query_perf_ml\" 1.2 in database \"%s\"",
						qpm_worker_database),
				 errhint("Run ALTER EXTENSION query_perf_ml UPDATE there; until then drifted models are not retrained.")));
	reported = true;
	return false;
}

/* Step: submit a retraining job for each drifted active model. */
static void
retrain_step(void *arg)
{
	QpmOwnerSession os;
	Oid			types[1] = {INT4OID};
	Datum		values[1];
	uint64		i,
				n;
	QpmJobRequest *reqs;
	char	  **why;
	MemoryContext outer = CurrentMemoryContext;

	if (!has_source_relation())
		return;
	qpm_owner_begin(&os, false);
	values[0] = Int32GetDatum(qpm_auto_retrain_interval_s);
	qpm_spi_run("SELECT a.model_name, ms.algorithm, ms.source_relation::pg_catalog.oid, ms.source, "
				"       ms.options OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('feature_set', ms.feature_set), "
				/* (the model's feature set: 1.1's options do not name it) */
				"       r.oid, "
				"       pg_catalog.format('median q-error %s (held out at training: %s), coverage %s of %s, %s predictions', "
				"         pg_catalog.round(a.median_q_error::pg_catalog.numeric, 3), "
				"         pg_catalog.round(a.train_median_q_error::pg_catalog.numeric, 3), "
				"         pg_catalog.round(a.interval_coverage::pg_catalog.numeric, 3), a.interval_level, a.n) "
				"  FROM query_perf_ml.prediction_accuracy() a "
				"  JOIN query_perf_ml.model_store ms ON ms.model_id OPERATOR(pg_catalog.=) a.model_id AND ms.is_active "
				"  LEFT JOIN pg_catalog.pg_authid r ON r.rolname OPERATOR(pg_catalog.=) ms.created_by "
				" WHERE a.drifted "
				"   AND NOT EXISTS (SELECT 1 FROM query_perf_ml.training_job_store j "
				"                    WHERE j.name OPERATOR(pg_catalog.=) a.model_name AND j.auto_retrain "
				"                      AND (j.state OPERATOR(pg_catalog.=) ANY ('{queued,running}') "
				"                           OR j.submitted_at OPERATOR(pg_catalog.>) (pg_catalog.now() "
				"                              OPERATOR(pg_catalog.-) pg_catalog.make_interval(secs => $1))))",
				1, types, values, NULL, false, SPI_OK_SELECT);
	n = SPI_processed;
	reqs = MemoryContextAllocZero(outer, sizeof(QpmJobRequest) * (n + 1));
	why = MemoryContextAllocZero(outer, sizeof(char *) * (n + 1));
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		MemoryContext old = MemoryContextSwitchTo(outer);
		bool		isnull;
		Datum		d;

		reqs[i].name = SPI_getvalue(tup, td, 1);
		reqs[i].algorithm = SPI_getvalue(tup, td, 2);
		d = SPI_getbinval(tup, td, 3, &isnull);
		reqs[i].source = trainable_source(isnull ? InvalidOid : DatumGetObjectId(d),
										  SPI_getvalue(tup, td, 4));
		reqs[i].options = DatumGetJsonbPCopy(SPI_getbinval(tup, td, 5, &isnull));
		d = SPI_getbinval(tup, td, 6, &isnull);
		reqs[i].run_as = isnull ? InvalidOid : DatumGetObjectId(d);
		why[i] = SPI_getvalue(tup, td, 7);
		MemoryContextSwitchTo(old);
	}
	qpm_owner_end(&os);

	for (i = 0; i < n; i++)
	{
		QpmJobRefusal refusal;
		int64		job_id;

		if (!OidIsValid(reqs[i].source))
		{
			ereport(LOG,
					(errmsg("query_perf_ml launcher: model \"%s\" drifted but cannot be retrained", reqs[i].name),
					 errdetail("It has no trainable source: it was imported, or the relation it was trained on was dropped or renamed.")));
			continue;
		}
		if (!OidIsValid(reqs[i].run_as))
		{
			ereport(LOG,
					(errmsg("query_perf_ml launcher: model \"%s\" drifted but cannot be retrained", reqs[i].name),
					 errdetail("The role that created it no longer exists.")));
			continue;
		}
		reqs[i].auto_retrain = true;
		job_id = qpm_submit_training_job(&reqs[i], &refusal);
		if (job_id == 0)
		{
			ereport(LOG,
					(errmsg("query_perf_ml launcher: model \"%s\" drifted but is not retrained now: %s",
							reqs[i].name, refusal.message),
					 refusal.detail ? errdetail_internal("%s", refusal.detail) : 0));
			continue;
		}
		ereport(LOG,
				(errmsg("query_perf_ml launcher: model \"%s\" drifted (%s); retraining it as job " INT64_FORMAT,
						reqs[i].name, why[i] ? why[i] : "", job_id)));
	}
}

/* Delay after a cycle: the interval, doubled per consecutive failure. */
static long
next_delay_s(int interval_s, int failures)
{
	long		d = interval_s;

	while (failures-- > 0 && d < MAX_BACKOFF_S)
		d *= 2;
	return Max(Min(d, Max(MAX_BACKOFF_S, interval_s)), 1);
}

/* Entry point of the launcher. */
void
qpm_launcher_main(Datum arg)
{
	TimestampTz next_snapshot = 0;
	TimestampTz next_retrain = 0;
	int			snapshot_failures = 0;
	int			retrain_failures = 0;
	int			last_interval = -1;
	bool		last_retrain = false;
	MemoryContext cycle_ctx;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, qpm_worker_sigterm);
	BackgroundWorkerUnblockSignals();

	/* Connect only once there is something to do. */
	while (!launcher_enabled())
		launcher_wait(-1L);
	BackgroundWorkerInitializeConnection(qpm_worker_database, NULL, 0);
	/* Over the database's and role's defaults (see the banner). */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_SESSION);
	pgstat_report_appname(QPM_LAUNCHER_WORKER_TYPE);
	cycle_ctx = AllocSetContextCreate(TopMemoryContext, "query_perf_ml launcher cycle",
									  ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		TimestampTz now = GetCurrentTimestamp();
		TimestampTz wake;
		long		timeout_ms;

		/* A reload or a changed schedule starts now. */
		if (reloaded)
		{
			next_snapshot = next_retrain = now;
			reloaded = false;
		}
		if (qpm_snapshot_interval_s != last_interval)
		{
			next_snapshot = now;
			last_interval = qpm_snapshot_interval_s;
		}
		if (qpm_auto_retrain != last_retrain)
		{
			next_retrain = now;
			last_retrain = qpm_auto_retrain;
		}

		MemoryContextSwitchTo(cycle_ctx);
		if (!RecoveryInProgress() && launcher_enabled() &&
			((qpm_snapshot_interval_s > 0 && now >= next_snapshot) ||
			 (qpm_auto_retrain && now >= next_retrain)))
		{
			ReadyState st = READY_UNKNOWN;

			if (!run_step("checking the database", check_ready, &st))
				st = READY_UNKNOWN;
			report_ready(st);
			if (st != READY_OK)
			{
				if (qpm_snapshot_interval_s > 0)
					next_snapshot = TimestampTzPlusMilliseconds(now, 1000L * Max(NOT_READY_RECHECK_S, qpm_snapshot_interval_s));
				next_retrain = TimestampTzPlusMilliseconds(now, 1000L * Max(NOT_READY_RECHECK_S, qpm_auto_retrain_interval_s));
			}
			else
			{
				(void) run_step("reconciling training jobs", reconcile_step, NULL);
				if (qpm_snapshot_interval_s > 0 && now >= next_snapshot)
				{
					bool		ok = run_step("SELECT query_perf_ml.snapshot()", snapshot_step, NULL);

					if (ok)
						ok = run_step("SELECT query_perf_ml.purge_history()", purge_step, NULL);
					snapshot_failures = ok ? 0 : snapshot_failures + 1;
					next_snapshot = TimestampTzPlusMilliseconds(now,
																1000L * next_delay_s(qpm_snapshot_interval_s, snapshot_failures));
				}
				if (qpm_auto_retrain && now >= next_retrain)
				{
					bool		ok = run_step("looking for drifted models", retrain_step, NULL);

					retrain_failures = ok ? 0 : retrain_failures + 1;
					next_retrain = TimestampTzPlusMilliseconds(now,
															   1000L * next_delay_s(qpm_auto_retrain_interval_s, retrain_failures));
				}
			}
		}
		MemoryContextSwitchTo(TopMemoryContext);
		MemoryContextReset(cycle_ctx);

		/* Sleep until the next due task (at most a minute, to notice recovery ending). */
		wake = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 60 * 1000L);
		if (qpm_snapshot_interval_s > 0 && next_snapshot < wake)
			wake = next_snapshot;
		if (qpm_auto_retrain && next_retrain < wake)
			wake = next_retrain;
		timeout_ms = (long) ((wake - GetCurrentTimestamp()) / 1000);
		if (timeout_ms > 0)
			launcher_wait(timeout_ms);
		else
			launcher_wait(1L);
	}
}
