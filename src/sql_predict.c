/*
 * sql_predict.c — the prediction entry points.
 *
 * predict(model, float8[]) is the bulk path: after the first call of a
 * statement it compares the model name with the cached one, checks the
 * array and walks the model, with no allocation and no catalog access; it
 * runs nothing between lookup and use, so it does not pin the model.
 * The other functions read features from a source or from jsonb and return
 * the interval too; they pin the model for the whole call, since a source
 * is user SQL that may use the model cache itself (model_cache.c).  Every
 * one of them builds or checks the vector in the model's own feature set.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/tuplestore.h"

#include "model_cache.h"
#include "prediction_log.h"
#include "source_reader.h"
#include "sql_common.h"
#include "sql_predict.h"

PG_FUNCTION_INFO_V1(qpm_predict);
PG_FUNCTION_INFO_V1(qpm_predict_queryid);
PG_FUNCTION_INFO_V1(qpm_predict_features);
PG_FUNCTION_INFO_V1(qpm_predict_all);

/* Context of predict_all's scan. */
typedef struct AllScan
{
	const QpmModel *model;
	Tuplestorestate *ts;
	TupleDesc	desc;
} AllScan;

/* Build the prediction composite (also predict_statement's). */
Datum
qpm_prediction_datum(FunctionCallInfo fcinfo, bool has_queryid, int64 queryid,
				 const QpmCachedModel *cm, const QpmPrediction *pr)
{
	TupleDesc	tupdesc;
	Datum		values[7];
	bool		nulls[7] = {0};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[0] = Int64GetDatum(queryid);
	nulls[0] = !has_queryid;
	values[1] = Float8GetDatum(pr->predicted_ms);
	values[2] = Float8GetDatum(pr->lower_ms);
	values[3] = Float8GetDatum(pr->upper_ms);
	values[4] = Float8GetDatum(cm->model.interval.level);
	values[5] = Int64GetDatum(cm->model_id);
	values[6] = CStringGetTextDatum(cm->name);
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

/* predict(model text, features float8[]) -> ms */
Datum
qpm_predict(PG_FUNCTION_ARGS)
{
	const QpmCachedModel *cm = qpm_model_cache_get_text(PG_GETARG_TEXT_PP(0));
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
	int			p = cm->model.transform.n_features;
	int			n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	double		x[QPM_MAX_FEATURES];
	int			i;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("feature array must be one-dimensional")));
	if (n != p)
	{
		char	   *set = qpm_feature_set_label_str(cm->model.feature_set);

		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("feature array must have %d elements, not %d", p, n),
				 errdetail("Model \"%s\" uses feature set %s.", cm->name, set),
				 errhint("SELECT * FROM query_perf_ml.feature_names('%s') lists them in order; "
						 "query_perf_ml.feature_vectors(source, '%s') builds them.", set, set)));
	}
	if (ARR_ELEMTYPE(arr) != FLOAT8OID)
		elog(ERROR, "feature array must be float8[]");
	if (!ARR_HASNULL(arr))
	{
		/* cppcheck-suppress invalidPointerCast ; float8[] data is double-aligned */
		const double *d = (const double *) ARR_DATA_PTR(arr);

		for (i = 0; i < p; i++)
		{
			if (!isfinite(d[i]))
				qpm_reject_non_finite(cm->model.feature_set->names[i], i);
			x[i] = d[i];
		}
	}
	else
	{
		Datum	   *elems;
		bool	   *isnull;
		int			ne;

		deconstruct_array(arr, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
						  &elems, &isnull, &ne);
		for (i = 0; i < p; i++)
		{
			x[i] = isnull[i] ? NAN : DatumGetFloat8(elems[i]);
			if (!isnull[i] && !isfinite(x[i]))
				qpm_reject_non_finite(cm->model.feature_set->names[i], i);
		}
	}
	PG_RETURN_FLOAT8(exp(qpm_model_predict_log(&cm->model, x)));
}

/* predict_query_execution(queryid bigint, model text, source regclass) */
Datum
qpm_predict_queryid(PG_FUNCTION_ARGS)
{
	int64		queryid;
	char	   *name = PG_ARGISNULL(1) ? NULL : qpm_model_name_arg(PG_GETARG_TEXT_PP(1));
	Oid			relid = PG_ARGISNULL(2) ? InvalidOid : PG_GETARG_OID(2);
	const QpmCachedModel *cm;
	double		x[QPM_MAX_FEATURES];
	QpmPrediction pr;
	Datum		result;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("queryid must not be NULL")));
	queryid = PG_GETARG_INT64(0);
	cm = qpm_model_queryid_features(name, relid, queryid, x);
	qpm_model_predict(&cm->model, x, &pr);
	qpm_maybe_log_prediction(cm, queryid, &pr);
	result = qpm_prediction_datum(fcinfo, true, queryid, cm, &pr);
	qpm_model_cache_unpin(cm);
	PG_RETURN_DATUM(result);
}

/* predict_query_execution(features jsonb, model text): what-if prediction */
Datum
qpm_predict_features(PG_FUNCTION_ARGS)
{
	Jsonb	   *features;
	char	   *name = PG_ARGISNULL(1) ? NULL : qpm_model_name_arg(PG_GETARG_TEXT_PP(1));
	const QpmCachedModel *cm;
	double		x[QPM_MAX_FEATURES];
	QpmPrediction pr;
	Datum		result;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("features must not be NULL"),
				 errhint("Pass '{}' to predict with every feature imputed.")));
	features = PG_GETARG_JSONB_P(0);
	cm = qpm_model_cache_pin(name);
	qpm_jsonb_features(features, cm->model.feature_set, cm->name, x);
	qpm_model_predict(&cm->model, x, &pr);
	result = qpm_prediction_datum(fcinfo, false, 0, cm, &pr);
	qpm_model_cache_unpin(cm);
	PG_RETURN_DATUM(result);
}

/* predict_all scan: one output row per statement. */
static void
emit_prediction(const QpmStmtStats *row, void *arg)
{
	AllScan    *as = (AllScan *) arg;
	double		x[QPM_MAX_FEATURES];
	double		actual;
	QpmRowStatus st = qpm_row_features(as->model->feature_set, row, x, &actual);
	QpmPrediction pr;
	Datum		values[9];
	bool		nulls[9] = {0};

	if (st == QPM_ROW_BAD_CALLS)
		return;
	qpm_model_predict(as->model, x, &pr);
	values[0] = Int64GetDatum(row->queryid);
	if (row->query)
		values[1] = PointerGetDatum(cstring_to_text_with_len(row->query, (int) row->query_len));
	else
		nulls[1] = true;
	values[2] = Int64GetDatum(row->calls < 9.2e18 ? (int64) llround(row->calls) : PG_INT64_MAX);
	values[4] = Float8GetDatum(pr.predicted_ms);
	values[5] = Float8GetDatum(pr.lower_ms);
	values[6] = Float8GetDatum(pr.upper_ms);
	if (st == QPM_ROW_OK)
	{
		values[3] = Float8GetDatum(actual);
		values[7] = Float8GetDatum(qpm_q_error(actual, pr.predicted_ms));
		values[8] = BoolGetDatum(actual < pr.lower_ms || actual > pr.upper_ms);
	}
	else
		nulls[3] = nulls[7] = nulls[8] = true;
	tuplestore_putvalues(as->ts, as->desc, values, nulls);
}

/* predict_all(model text, source regclass) */
Datum
qpm_predict_all(PG_FUNCTION_ARGS)
{
	char	   *name = PG_ARGISNULL(0) ? NULL : qpm_model_name_arg(PG_GETARG_TEXT_PP(0));
	Oid			relid = PG_ARGISNULL(1) ? InvalidOid : PG_GETARG_OID(1);
	const QpmCachedModel *cm = qpm_model_cache_pin(name);
	QpmSource	src;
	AllScan		as;

	qpm_source_open(relid, cm->model.feature_set, &src);
	qpm_srf_init(fcinfo, &as.ts, &as.desc);
	as.model = &cm->model;
	qpm_source_scan(&src, QPM_SCAN_BY_QUERYID, 0, emit_prediction, &as);
	qpm_model_cache_unpin(cm);
	return (Datum) 0;
}
