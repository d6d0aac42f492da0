/*
 * explain_hook.c — query_perf_ml.explain_prediction: EXPLAIN prints the
 * predicted execution time of the plan it shows.
 *
 * With the setting on (USERSET, off by default), EXPLAIN in text format
 * ends with "Predicted Execution Time: X ms (90%: a – b)", the plan/1
 * vector of the plan being explained put through the model that
 * predict_statement uses by default (the most recently activated plan/1
 * model).  The hook is installed in _PG_init, so it works in sessions that
 * have loaded the library (preload, session_preload_libraries, or any call
 * of one of the extension's functions earlier in the session).
 *
 * Design notes:
 *  - The prediction must never make EXPLAIN fail.  No plan/1 model: no line
 *    and no error.  Anything that can fail (the model lookup reads the
 *    models view, the model is loaded and deserialized) runs in a
 *    subtransaction; an error is swallowed with a DEBUG1 line, except a
 *    query cancel, which cancels the EXPLAIN as it would have anyway.
 *  - The prediction is made from the plan before it runs (EXPLAIN ANALYZE
 *    executes it afterwards) and is never logged: EXPLAIN writes nothing.
 *  - Only the text format: by the time ExplainOnePlan returns, the
 *    structured formats have closed the plan's group, and PostgreSQL 13-17
 *    offer no hook inside it.  EXPLAIN EXECUTE does not pass through
 *    ExplainOneQuery_hook, so it shows no prediction either.
 *  - Chaining: with another module's hook installed before ours, that hook
 *    produces the output (it may plan differently), and we plan a copy of
 *    the query ourselves for the vector; without one we plan once, as
 *    PostgreSQL's ExplainOneQuery does (standard_ExplainOneQuery on 17+,
 *    its body copied for 13-16), and describe that plan.
 *  - No pointer into the model cache outlives the call: the model is
 *    pinned only around qpm_model_predict, which runs no user code.
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "commands/explain.h"
#include "executor/instrument.h"
#include "mb/pg_wchar.h"
#include "portability/instr_time.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "core/feature_set.h"
#include "model_cache.h"
#include "qpm_plan.h"
#include "sql_predict.h"

static bool qpm_explain_prediction = false;
static ExplainOneQuery_hook_type prev_explain_one_query = NULL;

/* A prediction to print, made before the plan is shown (and maybe run). */
typedef struct ExplainPrediction
{
	bool		valid;
	QpmPrediction pr;
	double		level;
} ExplainPrediction;

/* What to predict: a plan, or a query still to be planned (a copy of it). */
typedef struct PlanToPredict
{
	PlannedStmt *plan;
	Query	   *query;
	int			cursor_options;
	const char *query_string;
	ParamListInfo params;
} PlanToPredict;

/* Vector, model and prediction; may ERROR (the caller's subtransaction). */
static void
predict_plan(const PlanToPredict *what, ExplainPrediction *out)
{
	QpmPlanDescription d = {0};
	double		features[QPM_PLAN_N_FEATURES];
	PlannedStmt *ps = what->plan;
	char	   *name;
	const QpmCachedModel *cm;

	/* Looked up first: without a plan/1 model nothing is planned twice. */
	name = qpm_default_plan_model(true);
	if (name == NULL)
		return;
	if (ps == NULL)
		ps = pg_plan_query(copyObject(what->query), what->query_string,
						   what->cursor_options, what->params);
	if (ps->commandType == CMD_UTILITY || !qpm_plan_vector(ps, &d, features))
		return;
	cm = qpm_model_cache_pin(name);
	if (cm->model.feature_set == &qpm_feature_set_plan)
	{
		qpm_model_predict(&cm->model, features, &out->pr);
		out->level = cm->model.interval.level;
		out->valid = isfinite(out->pr.predicted_ms);
	}
	qpm_model_cache_unpin(cm);
}

/* predict_plan in a subtransaction: errors become a DEBUG1 line, never EXPLAIN's. */
static void
predict_plan_safely(const PlanToPredict *what, ExplainPrediction *out)
{
	MemoryContext caller_cxt = CurrentMemoryContext;
	ResourceOwner caller_owner = CurrentResourceOwner;

	memset(out, 0, sizeof(*out));
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(caller_cxt);
	PG_TRY();
	{
		predict_plan(what, out);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller_cxt);
		CurrentResourceOwner = caller_owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller_cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller_cxt);
		CurrentResourceOwner = caller_owner;
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
			ReThrowError(edata);
		ereport(DEBUG1,
				(errmsg_internal("query_perf_ml: no predicted execution time in EXPLAIN: %s",
								 edata->message)));
		FreeErrorData(edata);
		memset(out, 0, sizeof(*out));
	}
	PG_END_TRY();
}

/* The line, at the end of the text output. */
static void
print_prediction(ExplainState *es, const ExplainPrediction *p)
{
	/* An en dash only where the database encoding can hold it. */
	const char *dash = GetDatabaseEncoding() == PG_UTF8 ? "\xe2\x80\x93" : "-";

	appendStringInfo(es->str, "Predicted Execution Time: %.3f ms", p->pr.predicted_ms);
	if (p->level > 0 && p->level < 1 && isfinite(p->pr.lower_ms) && isfinite(p->pr.upper_ms))
		appendStringInfo(es->str, " (%g%%: %.3f %s %.3f)",
						 rint(p->level * 1000.0) / 10.0, p->pr.lower_ms, dash, p->pr.upper_ms);
	appendStringInfoChar(es->str, '\n');
}

#if PG_VERSION_NUM < 170000
/*
 * PostgreSQL 13-16's ExplainOneQuery after its hook test (17 exports it as
 * standard_ExplainOneQuery), with the prediction made between planning and
 * output when p is not NULL.
 */
static void
plan_and_explain(Query *query, int cursorOptions, IntoClause *into, ExplainState *es,
				 const char *queryString, ParamListInfo params, QueryEnvironment *queryEnv,
				 ExplainPrediction *p)
{
	PlannedStmt *plan;
	instr_time	planstart,
				planduration;
	BufferUsage bufusage_start,
				bufusage;

	if (es->buffers)
		bufusage_start = pgBufferUsage;
	INSTR_TIME_SET_CURRENT(planstart);
	plan = pg_plan_query(query, queryString, cursorOptions, params);
	INSTR_TIME_SET_CURRENT(planduration);
	INSTR_TIME_SUBTRACT(planduration, planstart);
	if (es->buffers)
	{
		memset(&bufusage, 0, sizeof(BufferUsage));
		BufferUsageAccumDiff(&bufusage, &pgBufferUsage, &bufusage_start);
	}
	if (p)
	{
		PlanToPredict what = {plan, NULL, 0, NULL, NULL};

		predict_plan_safely(&what, p);
	}
	ExplainOnePlan(plan, into, es, queryString, params, queryEnv,
				   &planduration, (es->buffers ? &bufusage : NULL));
}
#endif

/*
 * The hook.  Where we plan the query ourselves (13-16, no other hook) the
 * prediction comes from the plan EXPLAIN shows; otherwise from our own
 * plan of a copy (the planner may scribble on its input), made first.
 */
static void
qpm_explain_one_query(Query *query, int cursorOptions, IntoClause *into, ExplainState *es,
					  const char *queryString, ParamListInfo params, QueryEnvironment *queryEnv)
{
	ExplainPrediction p = {0};
	bool		want = qpm_explain_prediction && es->format == EXPLAIN_FORMAT_TEXT;
	bool		own_plan = PG_VERSION_NUM < 170000 && prev_explain_one_query == NULL;

	if (want && !own_plan)
	{
		PlanToPredict what = {NULL, query, cursorOptions, queryString, params};

		predict_plan_safely(&what, &p);
	}
	if (prev_explain_one_query)
		prev_explain_one_query(query, cursorOptions, into, es, queryString, params, queryEnv);
	else
#if PG_VERSION_NUM >= 170000
		standard_ExplainOneQuery(query, cursorOptions, into, es, queryString, params, queryEnv);
#else
		plan_and_explain(query, cursorOptions, into, es, queryString, params, queryEnv,
						 want ? &p : NULL);
#endif
	if (want && p.valid)
		print_prediction(es, &p);
}

/* Define query_perf_ml.explain_prediction and install the hook (chained). */
void
qpm_explain_hook_init(void)
{
	DefineCustomBoolVariable("query_perf_ml.explain_prediction",
							 "Show the predicted execution time in EXPLAIN.",
							 "EXPLAIN in text format ends with the prediction of the most recently "
							 "activated plan/1 model; nothing when there is none.",
							 &qpm_explain_prediction,
							 false,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	prev_explain_one_query = ExplainOneQuery_hook;
	ExplainOneQuery_hook = qpm_explain_one_query;
}
