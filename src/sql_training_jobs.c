/*
 * sql_training_jobs.c — the SQL entry points of asynchronous training:
 * train_model_async(), cancel_training(), and training_job_live(), the
 * live state the training_jobs view shows.  What a job is, and why it is
 * safe, is training_jobs.c's banner.
 */
#include "postgres.h"

#include <signal.h>

#include "access/htup_details.h"
#include "access/transam.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/procarray.h"
#include "utils/acl.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"

#include "catalog.h"
#include "options.h"
#include "plan_source.h"
#include "source_reader.h"
#include "sql_common.h"
#include "qpm_worker.h"

PG_FUNCTION_INFO_V1(qpm_train_model_async);
PG_FUNCTION_INFO_V1(qpm_cancel_training);
PG_FUNCTION_INFO_V1(qpm_training_job_live);
PG_FUNCTION_INFO_V1(qpm_training_job_live_1_2);

/* train_model_async(name, algorithm, source, options) */
Datum
qpm_train_model_async(PG_FUNCTION_ARGS)
{
	QpmJobRequest req;
	QpmTrainSettings settings;
	QpmAlgorithm alg;
	QpmSource	src;
	char	   *name;
	char	   *alg_name;
	bool		is_auto;

	memset(&req, 0, sizeof(req));
	alg = qpm_training_args(fcinfo, &name, &alg_name, &is_auto);
	req.name = name;
	req.algorithm = alg_name;
	req.source = PG_ARGISNULL(2) ? InvalidOid : PG_GETARG_OID(2);
	req.options = qpm_plan_source_options(req.source, PG_ARGISNULL(3) ?
										  qpm_jsonb_from_cstring("{}") : PG_GETARG_JSONB_P(3));
	/* Option and source errors belong to the caller, not to a failed job. */
	qpm_parse_train_options(req.options, alg, is_auto, &settings);
	qpm_source_open(req.source, settings.feature_set, &src);
	req.run_as = GetUserId();
	PG_RETURN_INT64(qpm_submit_training_job(&req, NULL));
}

/* cancel_training(job_id) */
Datum
qpm_cancel_training(PG_FUNCTION_ARGS)
{
	int64		job_id = PG_GETARG_INT64(0);
	QpmOwnerSession os;
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	char	   *state;
	int			pid = 0;
	Oid			run_as;
	bool		isnull;
	bool		result = false;

	values[0] = Int64GetDatum(job_id);
	qpm_owner_begin(&os, true);
	qpm_spi_run("SELECT state, pid, run_as FROM query_perf_ml.training_job_store WHERE job_id = $1",
				1, types, values, NULL, false, SPI_OK_SELECT);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("training job " INT64_FORMAT " does not exist", job_id),
				 errhint("SELECT job_id, name, state FROM query_perf_ml.training_jobs lists the jobs.")));
	state = TextDatumGetCString(qpm_spi_col(0, 1, &isnull));
	pid = DatumGetInt32(qpm_spi_col(0, 2, &isnull));
	if (isnull)
		pid = 0;
	run_as = DatumGetObjectId(qpm_spi_col(0, 3, &isnull));
	/* Checked as the caller, not as the owner we are running as. */
	if (!has_privs_of_role(os.saved_userid, run_as))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to cancel training job " INT64_FORMAT, job_id),
				 errdetail("Only roles with the privileges of the role the job runs as can cancel it.")));

	if (strcmp(state, "queued") == 0)
	{
		qpm_spi_run("UPDATE query_perf_ml.training_job_store "
					"SET state = 'cancelled', finished_at = pg_catalog.clock_timestamp(), "
					"    error = 'cancelled before it started', sqlstate = '57014' "
					"WHERE job_id = $1 AND state = 'queued'",
					1, types, values, NULL, false, SPI_OK_UPDATE);
		if (SPI_processed > 0)
			result = true;
		else
		{
			/* The worker claimed it meanwhile: cancel it running. */
			qpm_spi_run("SELECT state FROM query_perf_ml.training_job_store WHERE job_id = $1",
						1, types, values, NULL, false, SPI_OK_SELECT);
			state = TextDatumGetCString(qpm_spi_col(0, 1, &isnull));
		}
	}
	if (!result && strcmp(state, "running") == 0)
	{
		if (qpm_training_worker_alive(pid))
			result = kill((pid_t) pid, SIGINT) == 0;
		else
			(void) qpm_mark_training_job_lost(job_id, pid);
	}
	qpm_owner_end(&os);
	PG_RETURN_BOOL(result);
}

/* The progress part of a job worker's activity text (NULL if none) and its role. */
static char *
live_progress(int pid, int64 job_id, Oid *role)
{
	char		prefix[64];
	int			n = pgstat_fetch_stat_numbackends();
	int			i;

	*role = InvalidOid;
	snprintf(prefix, sizeof(prefix), QPM_JOB_ACTIVITY_PREFIX INT64_FORMAT ": ", job_id);
	for (i = 1; i <= n; i++)
	{
		LocalPgBackendStatus *l = pgstat_fetch_stat_local_beentry(i);
		const char *act;

		if (l == NULL || l->backendStatus.st_procpid != pid)
			continue;
		*role = l->backendStatus.st_userid;
		act = l->backendStatus.st_activity_raw;
		if (act != NULL && strncmp(act, prefix, strlen(prefix)) == 0)
			return pstrdup(act + strlen(prefix));
		return NULL;
	}
	return NULL;
}

/*
 * The live state of a job (its first four arguments are the row's job_id,
 * state, pid and xmax): a queued or running job whose worker is gone is
 * 'failed' (lost), and a running job's progress is read from its worker.
 * Progress is shown, like pg_stat_activity's query text, only to roles
 * with the privileges of the role the worker is connected as (the job's
 * role: it connects as that role) or of pg_read_all_stats; the caller
 * supplies nothing that decides who may see it.
 */
static Datum
job_live(FunctionCallInfo fcinfo)
{
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false, true, false};
	char	   *state;
	int64		job_id = PG_ARGISNULL(0) ? 0 : PG_GETARG_INT64(0);
	int			pid = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT32(2);
	TransactionId xmax = PG_ARGISNULL(3) ? InvalidTransactionId : DatumGetTransactionId(PG_GETARG_DATUM(3));
	bool		lost = false;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (PG_ARGISNULL(1))
		PG_RETURN_NULL();
	state = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (strcmp(state, "queued") == 0 || strcmp(state, "running") == 0)
	{
		if (qpm_training_worker_alive(pid))
		{
			Oid			role;
			char	   *p = live_progress(pid, job_id, &role);

			if (p != NULL && OidIsValid(role) &&
				(has_privs_of_role(GetUserId(), role) ||
				 has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS)))
			{
				values[1] = CStringGetTextDatum(p);
				nulls[1] = false;
			}
		}
		else if (TransactionIdIsNormal(xmax) &&
				 !TransactionIdPrecedes(xmax, TransactionXmin) &&
				 (TransactionIdIsInProgress(xmax) || TransactionIdDidCommit(xmax)))
		{
			/*
			 * The row version we see was replaced after our snapshot: the
			 * worker recorded its outcome and exited.  Report what we see.
			 */
		}
		else if (pid > 0)
		{
			state = "failed";
			lost = true;
		}
	}
	values[0] = CStringGetTextDatum(state);
	values[2] = BoolGetDatum(lost);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* training_job_live(job_id, state, pid, row_xmax) -> (state, progress, lost) */
Datum
qpm_training_job_live_1_2(PG_FUNCTION_ARGS)
{
	return job_live(fcinfo);
}

/*
 * 1.1's training_job_live(job_id, state, pid, row_xmax, run_as), for a
 * database not yet updated: the run_as argument is ignored.
 */
Datum
qpm_training_job_live(PG_FUNCTION_ARGS)
{
	return job_live(fcinfo);
}
