/*
 * plan_statement.c — plan a statement text the way its execution would,
 * and never execute it: the step under plan_features(sql) (and, later,
 * predict_statement and explain_prediction of a statement).
 *
 * Steps, as exec_simple_query and PREPARE take them: parse (exactly one
 * statement), refuse utility statements, analyse with variable parameter
 * types ($n get the types their context implies, as PREPARE without types
 * does; one that stays unknown is an error with a hint), rewrite (rules
 * and views; exactly one resulting statement), plan with the caller's
 * settings and no parameter values (a generic plan, as EXPLAIN
 * (GENERIC_PLAN) of PostgreSQL 16 makes), then check the caller's
 * privileges on every table of the plan's range table as ExecutorStart
 * would (ExecCheckRTPerms; planning alone checks nothing).  Nothing runs
 * as another role: this is not SECURITY DEFINER, and row-level security
 * applies as for the caller.
 *
 * Everything happens inside a subtransaction that is always rolled back:
 * the locks parse analysis and planning take (AccessShareLock, or
 * RowExclusiveLock on a DML target) are released at once, and whatever a
 * function evaluated at plan time did (immutable functions are folded by
 * the planner, as under EXPLAIN) is undone.  An error rolls the
 * subtransaction back too and is re-thrown unchanged, so callers inside
 * plpgsql exception blocks see an ordinary error.  Error positions point
 * into the statement text (shown as QUERY), as SPI reports them.
 *
 * Memory: parse trees and the plan live in a context deleted before
 * returning; only *out (the caller's) survives.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "optimizer/optimizer.h"
#include "parser/analyze.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "qpm_plan.h"

#define PLANNABLE_AND "SELECT, VALUES, INSERT, UPDATE, DELETE and MERGE"
#define PLANNABLE_OR "SELECT, VALUES, INSERT, UPDATE, DELETE or MERGE"

/* Report positions of parse errors inside the statement, not the caller's query. */
static void
statement_error_callback(void *arg)
{
	const char *sql = (const char *) arg;
	int			position = geterrposition();

	if (position > 0)
	{
		errposition(0);
		internalerrposition(position);
		internalerrquery(sql);
	}
	else
		errcontext("planning statement \"%s\"", sql);
}

/* The one statement of sql, or ERROR. */
static RawStmt *
parse_one_statement(const char *sql)
{
	List	   *raw = pg_parse_query(sql);
	RawStmt    *stmt;

	if (list_length(raw) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 list_length(raw) == 0 ?
				 errmsg("no statement to plan") :
				 errmsg("cannot plan more than one statement"),
				 list_length(raw) == 0 ? 0 :
				 errdetail("The text holds %d statements.", list_length(raw)),
				 errhint("Pass one %s statement.", PLANNABLE_OR)));
	stmt = linitial_node(RawStmt, raw);
	switch (nodeTag(stmt->stmt))
	{
		case T_SelectStmt:
		case T_InsertStmt:
		case T_UpdateStmt:
		case T_DeleteStmt:
		case T_MergeStmt:
			return stmt;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot plan utility statement %s", CreateCommandName(stmt->stmt)),
					 errdetail("Only %s statements have a plan.", PLANNABLE_AND)));
	}
	pg_unreachable();
}

/* Analyse with parameter types from context; every $n must get one. */
static Query *
analyze_statement(RawStmt *raw, const char *sql, int *n_params)
{
	Oid		   *types = NULL;
	int			n = 0;
	Query	   *query;
	int			i;

	query = parse_analyze_varparams(raw, sql, &types, &n, NULL);
	for (i = 0; i < n; i++)
	{
		if (types[i] == InvalidOid || types[i] == UNKNOWNOID)
			ereport(ERROR,
					(errcode(ERRCODE_INDETERMINATE_DATATYPE),
					 errmsg("could not determine data type of parameter $%d", i + 1),
					 errhint("Add a cast, such as $%d::integer, or compare it with a column.", i + 1)));
	}
	if (query->commandType == CMD_UTILITY)	/* SELECT INTO, CREATE TABLE AS ... */
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot plan utility statement %s", CreateCommandName(query->utilityStmt)),
				 errdetail("Only %s statements have a plan.", PLANNABLE_AND)));
	*n_params = n;
	return query;
}

/* Rewrite, expecting exactly one plannable statement back. */
static Query *
rewrite_statement(Query *query)
{
	List	   *rewritten = pg_rewrite_query(query);
	Query	   *q;

	if (list_length(rewritten) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot plan a statement that rules rewrite into %d statements",
						list_length(rewritten)),
				 errdetail("A rule on a table of the statement replaces or adds statements.")));
	q = linitial_node(Query, rewritten);
	if (q->commandType == CMD_UTILITY || q->commandType == CMD_NOTHING)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot plan a statement that a rule rewrites into a utility statement")));
	return q;
}

/* The planning steps proper, inside the subtransaction; *out in the caller's memory. */
static void
plan_in_subtransaction(const char *sql, QpmPlannedStatement *out, MemoryContext work)
{
	ErrorContextCallback errcb;
	MemoryContext old = MemoryContextSwitchTo(work);
	QpmPlanDescription d = {0};
	RawStmt    *raw;
	Query	   *query;
	PlannedStmt *ps;
	int			n_params = 0;

	errcb.callback = statement_error_callback;
	errcb.arg = unconstify(char *, sql);
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	raw = parse_one_statement(sql);
	query = analyze_statement(raw, sql, &n_params);
	query = rewrite_statement(query);
	ps = pg_plan_query(query, sql, CURSOR_OPT_PARALLEL_OK, NULL);
#if PG_VERSION_NUM >= 160000
	(void) ExecCheckPermissions(ps->rtable, ps->permInfos, true);
#else
	(void) ExecCheckRTPerms(ps->rtable, true);
#endif

	if (!qpm_plan_vector(ps, &d, out->features))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("plan has more than %d nodes", QPM_PLAN_MAX_NODES),
				 errdetail("Plans this large are not described.")));
	out->queryid = (int64) ps->queryId;
	out->command = ps->commandType;
	out->n_params = n_params;
	out->total_cost = ps->planTree->total_cost;
	out->plan_rows = ps->planTree->plan_rows;

	error_context_stack = errcb.previous;
	MemoryContextSwitchTo(old);
}

/* See qpm_plan.h: plan sql in a subtransaction that is always rolled back. */
void
qpm_plan_statement(const char *sql, QpmPlannedStatement *out)
{
	MemoryContext caller_cxt = CurrentMemoryContext;
	ResourceOwner caller_owner = CurrentResourceOwner;
	MemoryContext work = AllocSetContextCreate(caller_cxt,
											   "query_perf_ml plan statement",
											   ALLOCSET_DEFAULT_SIZES);

	memset(out, 0, sizeof(*out));
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(caller_cxt);
	PG_TRY();
	{
		plan_in_subtransaction(sql, out, work);
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
		MemoryContextDelete(work);
		ReThrowError(edata);
	}
	PG_END_TRY();
	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(caller_cxt);
	CurrentResourceOwner = caller_owner;
	MemoryContextDelete(work);
}
