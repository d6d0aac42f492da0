/*
 * sql_predict_statement.c — predict_statement(sql) and
 * explain_statement_prediction(sql): how long a statement will take,
 * before it has ever run.
 *
 * The statement is planned, never executed, by plan_statement.c (the
 * caller's privileges and settings, table privileges checked as the
 * executor would, a subtransaction that is always rolled back), and its
 * plan/1 vector goes through a plan/1 model like any other vector.
 * Planning comes first and the model is pinned only after it: the planner
 * may run user code (functions it folds), which may use the model cache
 * itself, and nothing runs between the pin and its last use.  Neither
 * function is SECURITY DEFINER.
 *
 * Without a model name the model is the most recently activated plan/1
 * model (the default model rule of the other functions, among plan/1
 * models only): a database usually has a pgss default model for
 * statements that ran and a plan model beside it, and predict_statement
 * can only use the latter.  A named model of another feature set is an
 * error (22023) with a hint, never a vector fed to the wrong model.
 *
 * explain_prediction's signatures already take (bigint, ...) and
 * (jsonb, ...); a (text, ...) overload would capture every untyped
 * literal, so explain_prediction('{"rows_per_call": 10}') would silently
 * plan the JSON as SQL.  Hence the separate name, for the same reason the
 * issue keeps predict_query_execution free of a text overload.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "core/feature_set.h"
#include "catalog.h"
#include "model_cache.h"
#include "prediction_log.h"
#include "qpm_plan.h"
#include "sql_common.h"
#include "sql_predict.h"

PG_FUNCTION_INFO_V1(qpm_predict_statement);
PG_FUNCTION_INFO_V1(qpm_explain_statement_prediction);

/* See sql_predict.h: the most recently activated plan/1 model's name. */
char *
qpm_default_plan_model(bool missing_ok)
{
	QpmOwnerSession os;
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	char	   *label = qpm_feature_set_label_str(&qpm_feature_set_plan);
	char	   *name = NULL;

	values[0] = CStringGetTextDatum(label);
	qpm_owner_begin(&os, false);	/* as the caller: models is public */
	if (SPI_execute_with_args("SELECT name FROM query_perf_ml.models "
							  "WHERE is_active AND feature_set OPERATOR(pg_catalog.=) $1 "
							  "ORDER BY activated_at DESC NULLS LAST, model_id DESC LIMIT 1",
							  1, types, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look up the default plan model");
	if (SPI_processed == 1)
		name = MemoryContextStrdup(os.caller_ctx,
								   SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	qpm_owner_end(&os);
	if (name == NULL && !missing_ok)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("no active model of feature set %s", label),
				 errdetail("Without a model name, the most recently activated %s model predicts statements.", label),
				 errhint("Train one on captured plans: SELECT * FROM query_perf_ml.train_model('plans', 'gradient_boosting', 'query_perf_ml.plan_samples');")));
	return name;
}

/*
 * Plan the statement of argument 0, then pin the model of argument 1 (NULL:
 * the default plan model) and check it is a plan/1 model.  The caller unpins.
 */
static const QpmCachedModel *
plan_and_pin(FunctionCallInfo fcinfo, QpmPlannedStatement *planned)
{
	char	   *name = PG_ARGISNULL(1) ? NULL : qpm_model_name_arg(PG_GETARG_TEXT_PP(1));
	const QpmCachedModel *cm;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("statement must not be NULL")));
	qpm_plan_statement(text_to_cstring(PG_GETARG_TEXT_PP(0)), planned);
	if (name == NULL)
		name = qpm_default_plan_model(false);
	cm = qpm_model_cache_pin(name);
	if (cm->model.feature_set != &qpm_feature_set_plan)
	{
		char	   *set = qpm_feature_set_label_str(cm->model.feature_set);
		char	   *plan = qpm_feature_set_label_str(&qpm_feature_set_plan);
		char	   *model_name = pstrdup(cm->name);

		qpm_model_cache_unpin(cm);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model \"%s\" uses feature set %s, not %s", model_name, set, plan),
				 errdetail("A statement that has not run is predicted from its plan, by a model trained on plan samples."),
				 errhint("Pass a %s model, or train one: SELECT * FROM query_perf_ml.train_model('plans', 'gradient_boosting', 'query_perf_ml.plan_samples');",
						 plan)));
	}
	return cm;
}

/* predict_statement(sql text, model text) -> prediction */
Datum
qpm_predict_statement(PG_FUNCTION_ARGS)
{
	QpmPlannedStatement planned;
	const QpmCachedModel *cm = plan_and_pin(fcinfo, &planned);
	QpmPrediction pr;
	Datum		result;

	qpm_model_predict(&cm->model, planned.features, &pr);
	if (planned.queryid != 0)
		qpm_maybe_log_prediction(cm, planned.queryid, &pr);
	result = qpm_prediction_datum(fcinfo, planned.queryid != 0, planned.queryid, cm, &pr);
	qpm_model_cache_unpin(cm);
	PG_RETURN_DATUM(result);
}

/* explain_statement_prediction(sql text, model text) -> (feature, value, contribution) */
Datum
qpm_explain_statement_prediction(PG_FUNCTION_ARGS)
{
	QpmPlannedStatement planned;
	const QpmCachedModel *cm = plan_and_pin(fcinfo, &planned);

	qpm_emit_explanation(fcinfo, cm, planned.features);
	qpm_model_cache_unpin(cm);
	return (Datum) 0;
}
