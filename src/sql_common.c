/*
 * sql_common.c — small helpers shared by the SQL entry points: argument
 * checks, JSON building, set-returning-function setup.
 */
#include "postgres.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/tuplestore.h"

#include "qpm_pg.h"

/* A model name argument as a C string, checked like the catalog does. */
char *
qpm_model_name_arg(text *t)
{
	char	   *name = text_to_cstring(t);

	if (name[0] == '\0' || strlen(name) > QPM_MAX_NAME_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid model name \"%s\"", name),
				 errdetail("A model name is 1 to %d bytes long.", QPM_MAX_NAME_BYTES)));
	return name;
}

/* Parse JSON text we generated into jsonb. */
Jsonb *
qpm_jsonb_from_cstring(const char *json)
{
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
}

/* Append "key": v to an object under construction (null when not finite). */
void
qpm_json_number(StringInfo buf, const char *key, double v, bool first)
{
	appendStringInfo(buf, "%s\"%s\": ", first ? "" : ", ", key);
	if (isfinite(v))
	{
		char		num[DOUBLE_SHORTEST_DECIMAL_LEN];

		double_to_shortest_decimal_buf(v, num);
		appendStringInfoString(buf, num);
	}
	else
		appendStringInfoString(buf, "null");
}

/* Held-out metrics and the interval calibration as jsonb; extra: more "key": value pairs. */
Jsonb *
qpm_metrics_to_jsonb(const QpmMetrics *m, const QpmInterval *iv, const char *extra)
{
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfoChar(&b, '{');
	appendStringInfo(&b, "\"n_test\": %zu", m->n);
	qpm_json_number(&b, "r2", m->r2, false);
	qpm_json_number(&b, "mae_ms", m->mae_ms, false);
	qpm_json_number(&b, "rmse_ms", m->rmse_ms, false);
	qpm_json_number(&b, "median_q_error", m->median_q_error, false);
	qpm_json_number(&b, "p90_q_error", m->p90_q_error, false);
	qpm_json_number(&b, "interval_coverage", m->interval_coverage, false);
	qpm_json_number(&b, "interval_level", iv->level, false);
	qpm_json_number(&b, "interval_log_low", iv->resid_lo, false);
	qpm_json_number(&b, "interval_log_high", iv->resid_hi, false);
	if (extra != NULL)
		appendStringInfo(&b, ", %s", extra);
	appendStringInfoChar(&b, '}');
	return qpm_jsonb_from_cstring(b.data);
}

/* Materialize-mode SRF setup, the same on PG 13-17. */
void
qpm_srf_init(FunctionCallInfo fcinfo, Tuplestorestate **ts, TupleDesc *tupdesc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (get_call_result_type(fcinfo, NULL, tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	*tupdesc = CreateTupleDescCopy(*tupdesc);
	*ts = tuplestore_begin_heap(true, false, work_mem);
	MemoryContextSwitchTo(old);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = *ts;
	rsinfo->setDesc = *tupdesc;
}

/* float8 Datum, or SQL NULL for NaN / infinities. */
Datum
qpm_float8_or_null(double v, bool *isnull)
{
	*isnull = !isfinite(v);
	return Float8GetDatum(*isnull ? 0.0 : v);
}
