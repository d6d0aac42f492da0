/*
 * sql_plan.c — the SQL entry points over plans: plan_features(sql),
 * flush_plan_samples() and plan_capture_status().
 *
 * flush_plan_samples() is SECURITY DEFINER in SQL (search_path pinned
 * there): it inserts as the extension owner into plan_samples, which only
 * the owner may write.  It takes the current database's samples only:
 * plan_samples is a table of this database, and a sample of another
 * database names relations and roles that mean nothing here, so those stay
 * in the buffer until a flush in their own database (the background
 * worker flushes only query_perf_ml.database; see the README).  Samples are
 * claimed in batches, so memory stays bounded by the batch whatever the
 * buffer size, and settle with the transaction (plan_ring.c): a flush that
 * fails or is rolled back leaves its samples in the buffer.
 */
#include "postgres.h"

#include <math.h>

#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "core/feature_set.h"
#include "qpm_plan.h"
#include "sql_common.h"

#define FLUSH_BATCH 256
#define FLUSH_COLUMNS 11

PG_FUNCTION_INFO_V1(qpm_plan_features_sql);
PG_FUNCTION_INFO_V1(qpm_flush_plan_samples);
PG_FUNCTION_INFO_V1(qpm_plan_capture_status);

/* A plan/1 vector as float8[], missing values as NULL elements. */
static ArrayType *
features_array(const double *x)
{
	Datum		elems[QPM_PLAN_N_FEATURES];
	bool		nulls[QPM_PLAN_N_FEATURES];
	int			dims[1] = {QPM_PLAN_N_FEATURES};
	int			lbs[1] = {1};
	int			i;

	for (i = 0; i < QPM_PLAN_N_FEATURES; i++)
		elems[i] = qpm_float8_or_null(x[i], &nulls[i]);
	return construct_md_array(elems, nulls, 1, dims, lbs, FLOAT8OID,
							  sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/* plan_features(sql text): the plan/1 features of a statement, never run. */
Datum
qpm_plan_features_sql(PG_FUNCTION_ARGS)
{
	const QpmFeatureSet *fs = &qpm_feature_set_plan;
	QpmPlannedStatement planned;
	Tuplestorestate *ts;
	TupleDesc	tupdesc;
	int			i;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("statement must not be NULL")));
	qpm_plan_statement(text_to_cstring(PG_GETARG_TEXT_PP(0)), &planned);

	qpm_srf_init(fcinfo, &ts, &tupdesc);
	for (i = 0; i < fs->n_features; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = CStringGetTextDatum(fs->names[i]);
		values[1] = qpm_float8_or_null(planned.features[i], &nulls[1]);
		tuplestore_putvalues(ts, tupdesc, values, nulls);
	}
	return (Datum) 0;
}

/* Insert one claimed sample with the prepared statement. */
static void
insert_sample(SPIPlanPtr plan, const QpmPlanSample *s)
{
	Datum		values[FLUSH_COLUMNS];
	char		nulls[FLUSH_COLUMNS];
	int			rc;

	memset(nulls, ' ', sizeof(nulls));
	values[0] = TimestampTzGetDatum(s->captured_at);
	values[1] = ObjectIdGetDatum(s->dbid);
	values[2] = ObjectIdGetDatum(s->userid);
	values[3] = Int64GetDatum(s->queryid);
	if (s->queryid == 0)
		nulls[3] = 'n';			/* compute_query_id was off */
	values[4] = BoolGetDatum(s->completed);
	values[5] = Float8GetDatum(s->total_cost);
	values[6] = Float8GetDatum(s->plan_rows);
	values[7] = Float8GetDatum(s->exec_ms);
	values[8] = Int64GetDatum((int64) Min(s->rows, (uint64) PG_INT64_MAX));
	values[9] = CStringGetTextDatum(psprintf("%s/%d", qpm_feature_set_plan.name,
											 (int) qpm_feature_set_plan.version));
	values[10] = PointerGetDatum(features_array(s->features));
	rc = SPI_execute_plan(plan, values, nulls, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "query_perf_ml could not insert a plan sample: %s",
			 SPI_result_code_string(rc));
}

/* flush_plan_samples(): this database's buffered samples into plan_samples. */
Datum
qpm_flush_plan_samples(PG_FUNCTION_ARGS)
{
	Oid			types[FLUSH_COLUMNS] = {TIMESTAMPTZOID, OIDOID, OIDOID, INT8OID, BOOLOID,
	FLOAT8OID, FLOAT8OID, FLOAT8OID, INT8OID, TEXTOID, FLOAT8ARRAYOID};
	QpmPlanSample *batch;
	SPIPlanPtr	plan;
	uint64		cursor = 0,
				limit = 0;
	int64		total = 0;
	int			n,
				i;

	if (!qpm_ring_available())
		PG_RETURN_INT64(0);		/* not preloaded: nothing was captured */
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot flush plan samples during recovery"),
				 errdetail("The samples captured on this standby stay in its buffer.")));

	batch = palloc(sizeof(QpmPlanSample) * FLUSH_BATCH);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare("INSERT INTO query_perf_ml.plan_samples (captured_at, dbid, userid, "
					   "queryid, completed, total_cost, plan_rows, exec_ms, rows, "
					   "feature_set, features) "
					   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
					   FLUSH_COLUMNS, types);
	if (plan == NULL)
		elog(ERROR, "query_perf_ml could not prepare the plan sample insert: %s",
			 SPI_result_code_string(SPI_result));
	do
	{
		n = qpm_ring_claim(MyDatabaseId, &cursor, &limit, batch, FLUSH_BATCH);
		for (i = 0; i < n; i++)
		{
			CHECK_FOR_INTERRUPTS();
			insert_sample(plan, &batch[i]);
		}
		total += n;
	} while (n == FLUSH_BATCH);
	SPI_finish();
	pfree(batch);
	PG_RETURN_INT64(total);
}

/* plan_capture_status(): the settings and the buffer's counters. */
Datum
qpm_plan_capture_status(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	QpmRingStats st;
	Datum		values[10];
	bool		nulls[10] = {false};
	bool		preloaded = qpm_ring_available();

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	qpm_ring_stats(&st);
	values[0] = BoolGetDatum(preloaded);
	values[1] = BoolGetDatum(qpm_capture_plans && preloaded);
	values[2] = Float8GetDatum(qpm_capture_sample_rate);
	values[3] = Int32GetDatum(preloaded ? st.size : qpm_capture_buffer);
	values[4] = Int64GetDatum(st.buffered);
	values[5] = Int64GetDatum(st.buffered_here);
	values[6] = Int64GetDatum(st.captured);
	values[7] = Int64GetDatum(st.incomplete);
	values[8] = Int64GetDatum(st.overwritten);
	values[9] = Int64GetDatum(st.flushed);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
