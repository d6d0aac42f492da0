/*
 * sql_explain.c — explain_prediction(): why a model predicts what it does.
 *
 * One row per feature with the raw value the caller's input gave and the
 * feature's contribution, then a '(base)' row with the model's expected
 * value.  Contributions are on the scale models fit, the log of
 * milliseconds, so they add up: the sum over all rows is ln(predicted_ms)
 * of predict_query_execution for the same input, before the clamp to
 * 1 ns .. 1 year that model.c applies (and up to float rounding for trees,
 * whose walker sums in float).  exp(contribution) is the factor by which a
 * feature multiplies the predicted time.
 *
 * The contributions are computed on the transformed vector the model
 * actually sees (imputed, clipped, log1p, z-scored for linear), by
 * src/core/shap.c: exact TreeSHAP for tree models, coef x value for the
 * linear model; `value` is still the raw input, NULL when missing.
 *
 * The input is read exactly as predict_query_execution reads it (helpers
 * in sql_common.c), in the model's feature set; the model is pinned while
 * it is used, as everywhere but in predict() (model_cache.c).
 */
#include "postgres.h"

#include <math.h>

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/tuplestore.h"

#include "core/shap.h"
#include "model_cache.h"
#include "sql_common.h"
#include "sql_predict.h"

PG_FUNCTION_INFO_V1(qpm_explain_queryid);
PG_FUNCTION_INFO_V1(qpm_explain_features);

/*
 * Contributions of the model for raw, one output row per feature, then the
 * base (also explain_statement_prediction's).
 */
void
qpm_emit_explanation(FunctionCallInfo fcinfo, const QpmCachedModel *cm, const double *raw)
{
	const QpmFeatureSet *fs = cm->model.feature_set;
	double		contrib[QPM_MAX_FEATURES];
	double		bias;
	char		err[256];
	Tuplestorestate *ts;
	TupleDesc	desc;
	Datum		values[3];
	bool		nulls[3];
	int			j;

	if (qpm_model_shap(&cm->model, raw, NULL, contrib, &bias, err, sizeof(err)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("model \"%s\" version %d cannot be explained: %s",
						cm->name, cm->version, err),
				 errhint("Retrain the model; trees trained now keep the node statistics explanations need.")));
	qpm_srf_init(fcinfo, &ts, &desc);
	for (j = 0; j < fs->n_features; j++)
	{
		nulls[0] = nulls[2] = false;
		values[0] = CStringGetTextDatum(fs->names[j]);
		values[1] = qpm_float8_or_null(raw[j], &nulls[1]);
		values[2] = Float8GetDatum(contrib[j]);
		tuplestore_putvalues(ts, desc, values, nulls);
	}
	values[0] = CStringGetTextDatum("(base)");
	nulls[0] = nulls[2] = false;
	nulls[1] = true;
	values[1] = (Datum) 0;
	values[2] = Float8GetDatum(bias);
	tuplestore_putvalues(ts, desc, values, nulls);
}

/* explain_prediction(queryid bigint, model text, source regclass) */
Datum
qpm_explain_queryid(PG_FUNCTION_ARGS)
{
	char	   *name = PG_ARGISNULL(1) ? NULL : qpm_model_name_arg(PG_GETARG_TEXT_PP(1));
	Oid			relid = PG_ARGISNULL(2) ? InvalidOid : PG_GETARG_OID(2);
	double		x[QPM_MAX_FEATURES];
	const QpmCachedModel *cm;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("queryid must not be NULL")));
	cm = qpm_model_queryid_features(name, relid, PG_GETARG_INT64(0), x);
	qpm_emit_explanation(fcinfo, cm, x);
	qpm_model_cache_unpin(cm);
	return (Datum) 0;
}

/* explain_prediction(features jsonb, model text): a what-if explained */
Datum
qpm_explain_features(PG_FUNCTION_ARGS)
{
	char	   *name = PG_ARGISNULL(1) ? NULL : qpm_model_name_arg(PG_GETARG_TEXT_PP(1));
	const QpmCachedModel *cm;
	double		x[QPM_MAX_FEATURES];

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("features must not be NULL"),
				 errhint("Pass '{}' to explain the prediction with every feature imputed.")));
	cm = qpm_model_cache_pin(name);
	qpm_jsonb_features(PG_GETARG_JSONB_P(0), cm->model.feature_set, cm->name, x);
	qpm_emit_explanation(fcinfo, cm, x);
	qpm_model_cache_unpin(cm);
	return (Datum) 0;
}
