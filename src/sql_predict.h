/*
 * sql_predict.h — the result rows predict_query_execution and
 * explain_prediction build (sql_predict.c, sql_explain.c), shared with
 * predict_statement (sql_predict_statement.c) so the row types are built
 * in one place.
 */
#ifndef QPM_SQL_PREDICT_H
#define QPM_SQL_PREDICT_H

#include "postgres.h"

#include "fmgr.h"

#include "core/model.h"
#include "model_cache.h"

/* The prediction composite of fcinfo's result type (queryid NULL unless has_queryid). */
Datum		qpm_prediction_datum(FunctionCallInfo fcinfo, bool has_queryid, int64 queryid,
								 const QpmCachedModel *cm, const QpmPrediction *pr);
/* explain_prediction's rows (feature, value, contribution) of raw for cm, then the base. */
void		qpm_emit_explanation(FunctionCallInfo fcinfo, const QpmCachedModel *cm,
								 const double *raw);
/*
 * The name of the active version of the most recently activated plan/1
 * model (predict_statement's default model); none: NULL if missing_ok,
 * else ERROR 42704 with a hint.  Looked up as the caller.
 */
char	   *qpm_default_plan_model(bool missing_ok);

#endif
