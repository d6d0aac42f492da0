/*
 * training_jobs.c — asynchronous training: submitting a job, the job worker,
 * recording lost jobs (SQL entry points: sql_training_jobs.c; the user's
 * view: README, Asynchronous training).
 *
 * A job is a row of training_job_store plus one dynamic worker registered by
 * the submitter (no preload: the entry point is looked up by name).  Every
 * job's worker is alive or its outcome recorded; the rest, a worker dead
 * without recording, is detectable:
 *  - Submission inserts the row (as the extension owner), registers the
 *    worker in the caller's transaction and stores its pid.  No free slot is
 *    an ERROR that rolls the row back: no job is queued without a worker.
 *  - The worker first waits on the submitter's xid lock, so it sees the row
 *    only once committed; after a rollback (or a cancel) its claim finds no
 *    'queued' row and it exits.
 *  - A job runs as its role (the submitter's current user; for a retraining
 *    the model's creator) from connection to commit, as pg_cron's jobs do
 *    (why, and the price for NOLOGIN roles: at the connection in
 *    qpm_training_worker_main).  Catalog writes go through qpm_owner_begin
 *    (catalog.c); the worker's search_path is pg_catalog, pg_temp;
 *    train_model() is called through SQL, so privileges are checked as for a
 *    synchronous call.  The row becomes 'done' in the transaction storing
 *    the model: a model exists if and only if its job is done.
 *  - Caps (max_training_jobs_per_role, max_training_jobs) keep one role from
 *    taking every slot.  A role's submissions are serialized by a
 *    transaction lock of that role (on the extension object, a sub-id SQL
 *    cannot reach) and count committed rows with a live worker plus its own;
 *    the global count is of live workers, which exist before their
 *    submitters commit, under a lock held until the new worker has a
 *    process.
 *  - Any ERROR is caught, aborted, and recorded in a new transaction:
 *    'cancelled' for a query cancel (cancel_training sends SIGINT), else
 *    'failed' with message and SQLSTATE; SIGTERM becomes a cancel, so a
 *    terminated job is not left 'running'.
 *  - A worker that dies anyway (crash, FATAL at connection) leaves a row
 *    whose pid is no training worker: training_job_live reports it 'failed'
 *    at once; the launcher or cancel_training writes that down.
 */
#include "postgres.h"

#include <math.h>
#include <signal.h>

#include "access/htup_details.h"
#include "access/transam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "core/policy.h"
#include "catalog.h"
#include "sql_common.h"
#include "xgb_train.h"
#include "qpm_worker.h"

int			qpm_max_training_jobs = 4;
int			qpm_max_training_jobs_per_role = 2;

/* The caps on queued and running jobs (superuser-only, query_perf_ml.c's banner). */
void
qpm_training_jobs_init(void)
{
	DefineCustomIntVariable("query_perf_ml.max_training_jobs",
							"Most training jobs queued or running at once, all roles together.",
							"Range 0 to 1024; 0 turns train_model_async and retraining off.",
							&qpm_max_training_jobs,
							4, 0, 1024,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("query_perf_ml.max_training_jobs_per_role",
							"Most training jobs queued or running at once for one role.",
							"Range 0 to 1024.",
							&qpm_max_training_jobs_per_role,
							2, 0, 1024,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
}

/* Sub-ids of the submission locks on the extension object (see the banner). */
#define JOB_LOCK_ALL 1
#define JOB_LOCK_ROLE(role) ((uint16) (2 + (role) % 65534))

/* What the submitting backend passes to the worker in bgw_extra. */
typedef struct JobWorkerArgs
{
	int64		job_id;
	Oid			database;
	Oid			role;			/* the worker connects as the job's role */
	TransactionId submit_xid;
} JobWorkerArgs;

/* A claimed job, in the worker's long-lived memory. */
typedef struct ClaimedJob
{
	int64		job_id;
	char	   *name;
	char	   *algorithm;
	Oid			source;
	char	   *options;		/* jsonb as text */
	bool		auto_retrain;
	Oid			run_as;
	int			n_settings;
	char	  **setting_names;
	char	  **setting_values;
} ClaimedJob;

/*
 * Settings of the submitting session that shape a training: copied into the
 * job and set in the worker with superuser context, since the limits among
 * them could only be in force in that session if a superuser (or the
 * configuration) put them there.
 */
static const char *const captured_settings[] = {
	"maintenance_work_mem",
	"query_perf_ml.training_threads",
	"query_perf_ml.source_batch_rows",
	"query_perf_ml.max_training_memory",
	"query_perf_ml.max_model_size",
	"query_perf_ml.max_training_threads",
	"query_perf_ml.default_feature_set",
};

static int64 current_job_id;
static int	progress_fit;
static int	progress_last_done;
static instr_time job_start;

/* Is pid a live query_perf_ml training worker? */
bool
qpm_training_worker_alive(int pid)
{
	const char *type;

	if (pid <= 0)
		return false;
	type = GetBackgroundWorkerTypeByPid((pid_t) pid);
	return type != NULL && strcmp(type, QPM_TRAINING_WORKER_TYPE) == 0;
}

/* The submitting session's training settings as a JSON object text. */
static char *
capture_settings(void)
{
	StringInfoData b;
	int			i;

	initStringInfo(&b);
	appendStringInfoChar(&b, '{');
	for (i = 0; i < (int) lengthof(captured_settings); i++)
	{
		const char *v = GetConfigOption(captured_settings[i], true, false);

		if (v == NULL)
			continue;
		if (b.len > 1)
			appendStringInfoString(&b, ", ");
		escape_json(&b, captured_settings[i]);
		appendStringInfoString(&b, ": ");
		escape_json(&b, v);
	}
	appendStringInfoChar(&b, '}');
	return b.data;
}

/* Fill *refusal, or ERROR with it when there is none to fill. */
static void
refuse(QpmJobRefusal *refusal, int sqlstate, char *message, char *detail, char *hint)
{
	if (refusal == NULL)
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg_internal("%s", message),
				 detail ? errdetail_internal("%s", detail) : 0,
				 hint ? errhint("%s", hint) : 0));
	refusal->sqlstate = sqlstate;
	refusal->message = message;
	refusal->detail = detail;
	refusal->hint = hint;
}

/* Refuse (true) unless role can connect to this database, as its worker will. */
static bool
role_cannot_connect(Oid role, QpmJobRefusal *refusal)
{
	HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(role));
	Form_pg_authid rform;
	char	   *name;
	bool		canlogin,
				super;

	if (!HeapTupleIsValid(tup))
	{
		refuse(refusal, ERRCODE_UNDEFINED_OBJECT,
			   psprintf("role with OID %u does not exist", role), NULL, NULL);
		return true;
	}
	rform = (Form_pg_authid) GETSTRUCT(tup);
	name = pstrdup(NameStr(rform->rolname));
	canlogin = rform->rolcanlogin;
	super = rform->rolsuper;
	ReleaseSysCache(tup);
	if (!canlogin)
		refuse(refusal, ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
			   psprintf("role \"%s\" cannot log in", name),
			   pstrdup("A training job connects as the role it runs as, and PostgreSQL refuses background worker connections of roles without LOGIN."),
			   pstrdup("Grant the role LOGIN, or submit the job as a role that can log in (not after SET ROLE to a group role)."));
	else if (!super && pg_database_aclcheck(MyDatabaseId, role, ACL_CONNECT) != ACLCHECK_OK)
		refuse(refusal, ERRCODE_INSUFFICIENT_PRIVILEGE,
			   psprintf("role \"%s\" may not connect to database \"%s\"", name,
						get_database_name(MyDatabaseId)),
			   pstrdup("A training job connects as the role it runs as."),
			   pstrdup("Grant the role CONNECT on the database."));
	else
		return false;
	return true;
}

/* Queued or running jobs of role whose worker is alive, committed or ours. */
static int
live_jobs_of(Oid role)
{
	QpmOwnerSession os;
	Oid			types[1] = {OIDOID};
	Datum		values[1];
	int			n = 0;
	uint64		i;

	values[0] = ObjectIdGetDatum(role);
	qpm_owner_begin(&os, true);
	/* A fresh snapshot, also under REPEATABLE READ: jobs committed meanwhile count. */
	PushActiveSnapshot(GetLatestSnapshot());
	qpm_spi_run("SELECT pid FROM query_perf_ml.training_job_store "
				"WHERE run_as OPERATOR(pg_catalog.=) $1 AND pid IS NOT NULL "
				"AND state OPERATOR(pg_catalog.=) ANY ('{queued,running}')",
				1, types, values, NULL, true, SPI_OK_SELECT);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		d = qpm_spi_col(i, 1, &isnull);

		if (!isnull && qpm_training_worker_alive(DatumGetInt32(d)))
			n++;
	}
	PopActiveSnapshot();
	qpm_owner_end(&os);
	return n;
}

/*
 * Training worker processes of the whole server, including those whose
 * submitting transaction is still open.  A worker has a PGPROC from its
 * first instructions on (InitProcess, before the library is loaded).
 */
static int
live_training_workers(void)
{
	int			n = 0;
	uint32		i;

	for (i = 0; i < ProcGlobal->allProcCount; i++)
	{
		int			pid = ((volatile PGPROC *) &ProcGlobal->allProcs[i])->pid;

		if (pid != 0 && pid != MyProcPid && qpm_training_worker_alive(pid))
			n++;
	}
	return n;
}

/* Does a process with this pid have a PGPROC yet? */
static bool
has_pgproc(int pid)
{
	uint32		i;

	for (i = 0; i < ProcGlobal->allProcCount; i++)
		if (((volatile PGPROC *) &ProcGlobal->allProcs[i])->pid == pid)
			return true;
	return false;
}

/*
 * Wait (briefly: the postmaster has forked it) until a started worker is
 * counted by live_training_workers, or has exited.
 */
static void
wait_until_counted(BackgroundWorkerHandle *handle, pid_t pid)
{
	int			i;

	for (i = 0; i < 10000 && !has_pgproc((int) pid); i++)
	{
		pid_t		now;

		if (GetBackgroundWorkerPid(handle, &now) != BGWH_STARTED)
			return;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 1L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/* Insert a queued job and start its worker; see the banner. */
int64
qpm_submit_training_job(const QpmJobRequest *req, QpmJobRefusal *refusal)
{
	QpmOwnerSession os;
	Oid			types[8] = {TEXTOID, TEXTOID, OIDOID, JSONBOID, JSONBOID, BOOLOID,
	NAMEOID, OIDOID};
	Datum		values[8];
	char		nulls[8];
	Oid			utypes[2] = {INT8OID, INT4OID};
	Datum		uvalues[2];
	NameData	submitted_by;
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	JobWorkerArgs args;
	BgwHandleStatus status;
	pid_t		pid = 0;
	int64		job_id;
	Oid			ext;
	int			n;
	bool		isnull;

	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot start a training job during recovery"),
				 errhint("Submit it on the primary server.")));
	if (role_cannot_connect(req->run_as, refusal))
		return 0;
	namestrcpy(&submitted_by, GetUserNameFromId(req->run_as, false));

	/* The caps (see the banner); the role lock is held until we commit. */
	ext = get_extension_oid("query_perf_ml", false);
	if (refusal == NULL)
		LockDatabaseObject(ExtensionRelationId, ext, JOB_LOCK_ROLE(req->run_as), ExclusiveLock);
	else if (!ConditionalLockDatabaseObject(ExtensionRelationId, ext,
											JOB_LOCK_ROLE(req->run_as), ExclusiveLock))
	{
		refuse(refusal, ERRCODE_LOCK_NOT_AVAILABLE,
			   psprintf("a training job of role \"%s\" is being submitted in a transaction still open",
						NameStr(submitted_by)), NULL, NULL);
		return 0;
	}
	n = live_jobs_of(req->run_as);
	if (n >= qpm_max_training_jobs_per_role)
	{
		refuse(refusal, ERRCODE_CONFIGURATION_LIMIT_EXCEEDED,
			   psprintf("too many training jobs of role \"%s\"", NameStr(submitted_by)),
			   psprintf("%d jobs of the role are queued or running; query_perf_ml.max_training_jobs_per_role is %d.",
						n, qpm_max_training_jobs_per_role),
			   pstrdup("Wait until one has finished, or ask a superuser to raise the setting."));
		return 0;
	}
	LockDatabaseObject(ExtensionRelationId, ext, JOB_LOCK_ALL, ExclusiveLock);
	n = live_training_workers();
	if (n >= qpm_max_training_jobs)
	{
		UnlockDatabaseObject(ExtensionRelationId, ext, JOB_LOCK_ALL, ExclusiveLock);
		refuse(refusal, ERRCODE_CONFIGURATION_LIMIT_EXCEEDED,
			   pstrdup("too many training jobs"),
			   psprintf("%d training jobs are queued or running; query_perf_ml.max_training_jobs is %d.",
						n, qpm_max_training_jobs),
			   pstrdup("Wait until one has finished, or ask a superuser to raise the setting."));
		return 0;
	}

	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(req->name);
	values[1] = CStringGetTextDatum(req->algorithm);
	values[2] = ObjectIdGetDatum(req->source);
	if (!OidIsValid(req->source))
		nulls[2] = 'n';
	values[3] = JsonbPGetDatum(req->options);
	values[4] = JsonbPGetDatum(qpm_jsonb_from_cstring(capture_settings()));
	values[5] = BoolGetDatum(req->auto_retrain);
	values[6] = NameGetDatum(&submitted_by);
	values[7] = ObjectIdGetDatum(req->run_as);
	qpm_owner_begin(&os, true);
	qpm_spi_run("INSERT INTO query_perf_ml.training_job_store "
				"(name, algorithm, source, options, settings, auto_retrain, submitted_by, run_as) "
				"VALUES ($1, $2, $3::pg_catalog.regclass, $4, $5, $6, $7, $8) RETURNING job_id",
				8, types, values, nulls, false, SPI_OK_INSERT_RETURNING);
	job_id = DatumGetInt64(qpm_spi_col(0, 1, &isnull));
	qpm_owner_end(&os);

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "query_perf_ml");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "qpm_training_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "query_perf_ml training job " INT64_FORMAT, job_id);
	snprintf(worker.bgw_type, BGW_MAXLEN, QPM_TRAINING_WORKER_TYPE);
	memset(&args, 0, sizeof(args));
	args.job_id = job_id;
	args.database = MyDatabaseId;
	args.role = req->run_as;
	args.submit_xid = GetTopTransactionId();
	memcpy(worker.bgw_extra, &args, sizeof(args));
	worker.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("no background worker slot is free for a training job"),
				 errdetail("All %d slots of max_worker_processes are in use.",
						   max_worker_processes),
				 errhint("Retry when a job has finished, raise max_worker_processes, or train synchronously with train_model().")));
	status = WaitForBackgroundWorkerStartup(handle, &pid);
	if (status != BGWH_STARTED)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start the background worker of training job " INT64_FORMAT, job_id),
				 errhint("The server log may say why.")));
	wait_until_counted(handle, pid);
	UnlockDatabaseObject(ExtensionRelationId, ext, JOB_LOCK_ALL, ExclusiveLock);

	uvalues[0] = Int64GetDatum(job_id);
	uvalues[1] = Int32GetDatum((int32) pid);
	qpm_owner_begin(&os, true);
	qpm_spi_run("UPDATE query_perf_ml.training_job_store SET pid = $2 WHERE job_id = $1",
				2, utypes, uvalues, NULL, false, SPI_OK_UPDATE);
	qpm_owner_end(&os);
	return job_id;
}

/* Mark a queued/running job of a dead worker failed; true if it was. */
bool
qpm_mark_training_job_lost(int64 job_id, int pid)
{
	Oid			types[2] = {INT8OID, INT4OID};
	Datum		values[2];

	values[0] = Int64GetDatum(job_id);
	values[1] = Int32GetDatum(pid);
	qpm_spi_run("UPDATE query_perf_ml.training_job_store "
				"SET state = 'failed', finished_at = pg_catalog.clock_timestamp(), sqlstate = 'XX000', "
				"    error = pg_catalog.format('training worker (pid %s) exited without recording a result', pid) "
				"WHERE job_id = $1 AND pid = $2 AND state IN ('queued', 'running')",
				2, types, values, NULL, false, SPI_OK_UPDATE);
	return SPI_processed > 0;
}

/* Record the jobs whose worker is gone as failed (launcher, cancel_training). */
int64
qpm_reconcile_training_jobs(void)
{
	QpmOwnerSession os;
	int64		n = 0;
	uint64		i,
				rows;
	int64	   *ids;
	int		   *pids;

	qpm_owner_begin(&os, true);
	qpm_spi_run("SELECT job_id, pid FROM query_perf_ml.training_job_store "
				"WHERE state IN ('queued', 'running') AND pid IS NOT NULL",
				0, NULL, NULL, NULL, false, SPI_OK_SELECT);
	rows = SPI_processed;
	ids = palloc(sizeof(int64) * (rows + 1));
	pids = palloc(sizeof(int) * (rows + 1));
	for (i = 0; i < rows; i++)
	{
		bool		isnull;

		ids[i] = DatumGetInt64(qpm_spi_col(i, 1, &isnull));
		pids[i] = DatumGetInt32(qpm_spi_col(i, 2, &isnull));
	}
	for (i = 0; i < rows; i++)
		if (!qpm_training_worker_alive(pids[i]) && qpm_mark_training_job_lost(ids[i], pids[i]))
			n++;
	qpm_owner_end(&os);
	return n;
}

/* ---------------------------------------------------------------------
 * The worker.
 * ---------------------------------------------------------------------
 */

/* Set the worker's pg_stat_activity text to "query_perf_ml training job N: what". */
static void
report_activity(const char *fmt,...)
{
	char		buf[256];
	int			len;
	va_list		ap;

	len = snprintf(buf, sizeof(buf), QPM_JOB_ACTIVITY_PREFIX INT64_FORMAT ": ", current_job_id);
	va_start(ap, fmt);
	vsnprintf(buf + len, sizeof(buf) - len, fmt, ap);
	va_end(ap);
	pgstat_report_activity(STATE_RUNNING, buf);
}

/* Seconds since the job started training. */
static double
job_elapsed_s(void)
{
	instr_time	now;

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, job_start);
	return INSTR_TIME_GET_DOUBLE(now);
}

/*
 * qpm_training_progress_hook (xgb_train.c calls it per boosting round or
 * forest chunk): into the worker's pg_stat_activity text, which
 * training_job_live reads, since the job row cannot change before the
 * training commits.  A new fit starts when the count goes down.
 */
static void
job_progress(const char *algorithm, int done, int total, double elapsed_ms)
{
	if (done < progress_last_done)
		progress_fit++;
	progress_last_done = done;
	report_activity("%s fit %d: %d of %d trees, %.1f s", algorithm, progress_fit, done,
					total, job_elapsed_s());
}

/*
 * Wait for the submitting transaction, then claim the job (queued ->
 * running).  NULL when there is nothing to do: the submitter rolled back,
 * or the job was cancelled before it started.
 */
static ClaimedJob *
claim_job(const JobWorkerArgs *args, MemoryContext keep)
{
	QpmOwnerSession os;
	Oid			types[2] = {INT8OID, INT4OID};
	Datum		values[2];
	ClaimedJob *job = NULL;
	bool		isnull;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	report_activity("waiting for the submitting transaction");
	if (TransactionIdIsValid(args->submit_xid))
		XactLockTableWait(args->submit_xid, NULL, NULL, XLTW_None);
	PushActiveSnapshot(GetTransactionSnapshot());
	values[0] = Int64GetDatum(args->job_id);
	values[1] = Int32GetDatum(MyProcPid);
	qpm_owner_begin(&os, true);
	qpm_spi_run("UPDATE query_perf_ml.training_job_store "
				"SET state = 'running', started_at = pg_catalog.clock_timestamp(), pid = $2 "
				"WHERE job_id = $1 AND state = 'queued' "
				"RETURNING name, algorithm, source::oid, options::text, auto_retrain, run_as, settings::text",
				2, types, values, NULL, false, SPI_OK_UPDATE_RETURNING);
	if (SPI_processed == 1)
	{
		MemoryContext old = MemoryContextSwitchTo(keep);
		Datum		d;
		char	   *settings;

		job = palloc0(sizeof(ClaimedJob));
		job->job_id = args->job_id;
		job->name = TextDatumGetCString(qpm_spi_col(0, 1, &isnull));
		job->algorithm = TextDatumGetCString(qpm_spi_col(0, 2, &isnull));
		d = qpm_spi_col(0, 3, &isnull);
		job->source = isnull ? InvalidOid : DatumGetObjectId(d);
		job->options = TextDatumGetCString(qpm_spi_col(0, 4, &isnull));
		job->auto_retrain = DatumGetBool(qpm_spi_col(0, 5, &isnull));
		job->run_as = DatumGetObjectId(qpm_spi_col(0, 6, &isnull));
		settings = TextDatumGetCString(qpm_spi_col(0, 7, &isnull));
		MemoryContextSwitchTo(old);

		values[0] = CStringGetTextDatum(settings);
		types[0] = TEXTOID;
		qpm_spi_run("SELECT key, value FROM pg_catalog.jsonb_each_text($1::pg_catalog.jsonb)",
					1, types, values, NULL, false, SPI_OK_SELECT);
		old = MemoryContextSwitchTo(keep);
		job->n_settings = (int) SPI_processed;
		job->setting_names = palloc0(sizeof(char *) * (job->n_settings + 1));
		job->setting_values = palloc0(sizeof(char *) * (job->n_settings + 1));
		for (int i = 0; i < job->n_settings; i++)
		{
			job->setting_names[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
			job->setting_values[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
		}
		MemoryContextSwitchTo(old);
	}
	qpm_owner_end(&os);
	PopActiveSnapshot();
	CommitTransactionCommand();
	return job;
}

/*
 * Train (as the job's role, which the worker is connected as), then record
 * 'done' in the same transaction.  An auto-retrain job first measures the active version on
 * the source (validate_model: median q-error over every usable row), then
 * trains with the same options and keeps the new version only if its
 * held-out median q-error is lower; otherwise (also when it has no
 * held-out rows) the new version is dropped and the old one stays active.
 */
static void
train_and_record(const ClaimedJob *job)
{
	QpmOwnerSession os;
	QpmOwnerSession as_role;
	Oid			types[4] = {TEXTOID, TEXTOID, OIDOID, JSONBOID};
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	Oid			utypes[3] = {INT8OID, INT8OID, TEXTOID};
	Datum		uvalues[3];
	char		unulls[3] = {' ', ' ', ' '};
	int64		model_id;
	int32		version;
	int32		old_version = 0;
	double		new_q = NAN,
				old_q = NAN;
	bool		keep = true;
	bool		isnull;
	Datum		d;
	char	   *summary;
	int			i;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	for (i = 0; i < job->n_settings; i++)
		(void) set_config_option(job->setting_names[i], job->setting_values[i],
								 PGC_SUSET, PGC_S_SESSION, GUC_ACTION_SET, true, 0, false);
	report_activity("training %s", job->algorithm);

	/* Connected as the job's role (see the banner): nothing to switch. */
	if (GetUserId() != job->run_as || GetSessionUserId() != job->run_as)
		elog(ERROR, "training job " INT64_FORMAT " runs as role %u, not %u",
			 job->job_id, GetUserId(), job->run_as);
	qpm_owner_begin(&as_role, false);
	values[0] = CStringGetTextDatum(job->name);
	values[1] = CStringGetTextDatum(job->algorithm);
	values[2] = ObjectIdGetDatum(job->source);
	if (!OidIsValid(job->source))
		nulls[2] = 'n';
	values[3] = JsonbPGetDatum(qpm_jsonb_from_cstring(job->options));
	if (job->auto_retrain)
	{
		/* The active version on the same source, before it changes. */
		qpm_spi_run("SELECT version, median_q_error FROM query_perf_ml.validate_model($1, $3::pg_catalog.regclass)",
					3, types, values, nulls, false, SPI_OK_SELECT);
		old_version = DatumGetInt32(qpm_spi_col(0, 1, &isnull));
		d = qpm_spi_col(0, 2, &isnull);
		if (!isnull)
			old_q = DatumGetFloat8(d);
	}
	qpm_spi_run("SELECT model_id, version, median_q_error FROM query_perf_ml.train_model("
				"$1, $2, $3::pg_catalog.regclass, $4)",
				4, types, values, nulls, false, SPI_OK_SELECT);
	model_id = DatumGetInt64(qpm_spi_col(0, 1, &isnull));
	version = DatumGetInt32(qpm_spi_col(0, 2, &isnull));
	d = qpm_spi_col(0, 3, &isnull);
	if (!isnull)
		new_q = DatumGetFloat8(d);
	if (job->auto_retrain)
		keep = qpm_policy_better(new_q, old_q);
	qpm_owner_end(&as_role);

	if (!job->auto_retrain)
		summary = psprintf("version %d trained in %.1f s", version, job_elapsed_s());
	else if (keep)
		summary = psprintf("version %d activated: held-out median q-error %.3f, version %d now %.3f",
						   version, new_q, old_version, old_q);
	else if (isnan(new_q))
		summary = psprintf("version %d dropped: it has no held-out median q-error to compare; version %d stays active",
						   version, old_version);
	else
		summary = psprintf("version %d dropped: held-out median q-error %.3f is not below %.3f of version %d",
						   version, new_q, old_q, old_version);

	qpm_owner_begin(&os, true);
	if (job->auto_retrain)
	{
		Oid			atypes[3] = {TEXTOID, INT4OID, INT4OID};
		Datum		avalues[3];

		/*
		 * train_model activated the new version unless the options say
		 * otherwise; settle it here, in the same transaction, so nobody
		 * sees the intermediate state.
		 */
		avalues[0] = CStringGetTextDatum(job->name);
		avalues[1] = Int32GetDatum(version);
		avalues[2] = Int32GetDatum(old_version);
		if (keep)
			qpm_spi_run("SELECT query_perf_ml.activate_model($1, $2)",
						2, atypes, avalues, NULL, false, SPI_OK_SELECT);
		else
			qpm_spi_run("SELECT query_perf_ml.activate_model($1, $3), query_perf_ml.drop_model($1, $2)",
						3, atypes, avalues, NULL, false, SPI_OK_SELECT);
	}
	uvalues[0] = Int64GetDatum(job->job_id);
	uvalues[1] = Int64GetDatum(model_id);
	if (!keep)
		unulls[1] = 'n';
	uvalues[2] = CStringGetTextDatum(summary);
	qpm_spi_run("UPDATE query_perf_ml.training_job_store "
				"SET state = 'done', finished_at = pg_catalog.clock_timestamp(), model_id = $2, progress = $3 "
				"WHERE job_id = $1",
				3, utypes, uvalues, unulls, false, SPI_OK_UPDATE);
	qpm_owner_end(&os);
	PopActiveSnapshot();
	CommitTransactionCommand();
	ereport(LOG,
			(errmsg("query_perf_ml training job " INT64_FORMAT " done: %s", job->job_id, summary)));
}

/* Record a caught error as the job's outcome, in a new transaction. */
static void
record_failure(const ClaimedJob *job, ErrorData *ed)
{
	bool		cancelled = ed->sqlerrcode == ERRCODE_QUERY_CANCELED;
	const char *state = cancelled && !qpm_worker_got_sigterm ? "cancelled" : "failed";
	StringInfoData msg;
	volatile int code = ed->sqlerrcode;
	Oid			types[4] = {INT8OID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[4];

	initStringInfo(&msg);
	if (cancelled && qpm_worker_got_sigterm)
	{
		appendStringInfoString(&msg, "training worker terminated by administrator command or server shutdown");
		code = ERRCODE_ADMIN_SHUTDOWN;
	}
	else
	{
		appendStringInfoString(&msg, ed->message ? ed->message : "unknown error");
		if (ed->detail)
			appendStringInfo(&msg, "\nDETAIL: %s", ed->detail);
		if (ed->hint)
			appendStringInfo(&msg, "\nHINT: %s", ed->hint);
	}
	ereport(LOG,
			(errmsg("query_perf_ml training job " INT64_FORMAT " %s: %s", job->job_id, state,
					ed->message ? ed->message : "unknown error")));

	PG_TRY();
	{
		QpmOwnerSession os;

		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		values[0] = Int64GetDatum(job->job_id);
		values[1] = CStringGetTextDatum(state);
		values[2] = CStringGetTextDatum(msg.data);
		values[3] = CStringGetTextDatum(unpack_sql_state(code));
		qpm_owner_begin(&os, true);
		qpm_spi_run("UPDATE query_perf_ml.training_job_store "
					"SET state = $2, finished_at = pg_catalog.clock_timestamp(), error = $3, sqlstate = $4 "
					"WHERE job_id = $1 AND state = 'running'",
					4, types, values, NULL, false, SPI_OK_UPDATE);
		qpm_owner_end(&os);
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		/* Nothing more to try: the row stays 'running' and is reported lost. */
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
	}
	PG_END_TRY();
}

/* Entry point of a training job worker (bgw_extra: JobWorkerArgs). */
void
qpm_training_worker_main(Datum arg)
{
	JobWorkerArgs args;
	MemoryContext job_ctx;
	ClaimedJob *volatile job = NULL;

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
	current_job_id = args.job_id;
	pqsignal(SIGTERM, qpm_worker_sigterm);
	pqsignal(SIGINT, StatementCancelHandler);
	BackgroundWorkerUnblockSignals();
	/*
	 * As the job's role, from connection to commit: the source's deferred
	 * triggers and commit-time actions see that role, and the worker can do
	 * nothing the role could not in a session of its own.  Connecting as a
	 * superuser and switching with SECURITY_LOCAL_USERID_CHANGE, as 1.1 did,
	 * ran the source's deferred triggers as that superuser at commit; SET
	 * SESSION AUTHORIZATION would have left RESET SESSION AUTHORIZATION to
	 * the source's code.  The price: PostgreSQL 15 refuses background worker
	 * connections of NOLOGIN roles (BGWORKER_BYPASS_ROLELOGINCHECK is 17's),
	 * so submission checks that the role can log in and connect
	 * (role_cannot_connect), and SET ROLE to a group role then
	 * train_model_async is refused rather than run as the session user.
	 */
	BackgroundWorkerInitializeConnectionByOid(args.database, args.role, 0);
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_SESSION);
	pgstat_report_appname("query_perf_ml training");
	job_ctx = AllocSetContextCreate(TopMemoryContext, "query_perf_ml training job",
									ALLOCSET_DEFAULT_SIZES);

	PG_TRY();
	{
		job = claim_job(&args, job_ctx);
	}
	PG_CATCH();
	{
		/* Interrupted before the job was ours: it stays queued, then reported lost. */
		if (!qpm_worker_got_sigterm)
			EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		proc_exit(0);
	}
	PG_END_TRY();
	if (job == NULL)
		proc_exit(0);

	INSTR_TIME_SET_CURRENT(job_start);
	progress_fit = 1;
	progress_last_done = 0;
	qpm_training_progress_hook = job_progress;
	PG_TRY();
	{
		train_and_record(job);
	}
	PG_CATCH();
	{
		ErrorData  *ed;

		MemoryContextSwitchTo(job_ctx);
		ed = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		qpm_training_progress_hook = NULL;
		record_failure(job, ed);
	}
	PG_END_TRY();
	pgstat_report_activity(STATE_IDLE, NULL);
	proc_exit(0);
}
