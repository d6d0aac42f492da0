/*
 * source_reader.c — streaming rows from a pg_stat_statements-style relation
 * (what a source is: source_reader.h).
 *
 * Rows come through an SPI cursor in batches of
 * query_perf_ml.source_batch_rows, so no source is materialized: per-batch
 * memory is reset, the callback keeps what it wants.  A feature set whose
 * rows carry a ready vector (plan/1) reads plan samples instead
 * (plan_source.c, to which open, scan and the time cutoff hand over).  The
 * query runs as the calling user, so training sees exactly what the caller
 * may read; every identifier is quoted, every function and type
 * schema-qualified.
 *
 * One statement's row (predict_query_execution(queryid), explain_prediction)
 * is the per-call path, where a per-call SPI_prepare, planning and cursor
 * cost several times the row fetch (planning metrics_intervals alone takes
 * 40 ms).  qpm_source_read_one keeps, per backend, a plan per (requested
 * relation, feature set): the columns found, the query text and an
 * SPI_keepplan plan, executed for that statement's rows only, no cursor,
 * summed here.  What stays right:
 *  - Privileges: the executor checks the range table's permissions at every
 *    execution, so a REVOKE makes the next call fail with 42501; row
 *    security and role changes are the plan cache's business (it replans
 *    when the role a plan depended on changes).
 *  - Changes: a relcache invalidation of the relation (ALTER, DROP, GRANT,
 *    CREATE OR REPLACE VIEW, ...) marks its plans stale; a reset
 *    (InvalidOid) or any pg_namespace change (the text holds qualified
 *    names) marks all.  The next call rebuilds: columns checked, text made
 *    again; the plan cache replans by itself when a relation under a view
 *    changes.  No name is resolved: the key is the caller's OID (its
 *    regclass resolved with the caller's search_path), the text that OID's
 *    current qualified name.
 *  - Re-entrancy: the source is user SQL and may call this path back, even
 *    on the same plan, and invalidate it.  A call holds the entry (a use
 *    count) while it executes; a stale entry is only unlisted and freed when
 *    its last use ends (after an ERROR, at the next lookup), so SPI never
 *    runs a freed plan.
 */
#include "postgres.h"

#include <math.h>
#include <stddef.h>

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "plan_source.h"
#include "source_reader.h"
#include "sql_common.h"

int			qpm_source_batch_rows = 10000;

/* query_perf_ml.source_batch_rows: the fetch size of every source scan. */
void
qpm_source_reader_init(void)
{
	DefineCustomIntVariable("query_perf_ml.source_batch_rows",
							"Rows fetched per batch when reading a source relation.",
							"Range 100 to 1000000.  Larger batches cost more memory per fetch.",
							&qpm_source_batch_rows,
							10000, 100, 1000000,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
}

/*
 * The optional numeric columns a feature set may read, by their
 * PostgreSQL 15 names, and where each lands in a QpmStmtStats.  pg17 names
 * the columns PostgreSQL 17 split the value into (summed when the 15 name
 * is absent and all of them exist).
 */
typedef struct SourceColumn
{
	const char *name;
	size_t		offset;
	const char *pg17[2];
} SourceColumn;

#define COLUMN(f) {#f, offsetof(QpmStmtStats, f), {NULL, NULL}}
static const SourceColumn source_columns[] = {
	COLUMN(rows), COLUMN(shared_blks_hit), COLUMN(shared_blks_read),
	COLUMN(shared_blks_dirtied), COLUMN(shared_blks_written),
	COLUMN(local_blks_hit), COLUMN(local_blks_read), COLUMN(temp_blks_read),
	COLUMN(temp_blks_written), COLUMN(wal_bytes), COLUMN(plans),
	COLUMN(total_plan_time),
	{"blk_read_time", offsetof(QpmStmtStats, blk_read_time),
	{"shared_blk_read_time", "local_blk_read_time"}},
	{"blk_write_time", offsetof(QpmStmtStats, blk_write_time),
	{"shared_blk_write_time", "local_blk_write_time"}},
	COLUMN(temp_blk_read_time), COLUMN(temp_blk_write_time),
	COLUMN(wal_records), COLUMN(wal_fpi), COLUMN(local_blks_dirtied),
	COLUMN(local_blks_written), COLUMN(jit_functions),
	COLUMN(jit_generation_time), COLUMN(jit_inlining_count),
	COLUMN(jit_inlining_time), COLUMN(jit_optimization_count),
	COLUMN(jit_optimization_time), COLUMN(jit_emission_time),
	COLUMN(jit_deform_time),
};
#undef COLUMN
StaticAssertDecl(lengthof(source_columns) == QPM_SOURCE_COLUMNS,
				 "QPM_SOURCE_COLUMNS must count source_columns");

/* Does the relation have a (non-dropped) column of this name? */
bool
qpm_source_has_column(Oid relid, const char *name)
{
	return get_attnum(relid, name) != InvalidAttrNumber;
}

/* Check relid is a readable kind of relation; fill src's relid and names. */
void
qpm_source_set_relation(QpmSource *src, Oid relid)
{
	char	   *relname;
	char		relkind;

	relname = get_rel_name(relid);
	if (relname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	relkind = get_rel_relkind(relid);
	if (relkind != RELKIND_RELATION && relkind != RELKIND_VIEW &&
		relkind != RELKIND_MATVIEW && relkind != RELKIND_FOREIGN_TABLE &&
		relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table or view", relname)));
	src->relid = relid;
	src->qualname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
											   relname);
	src->display = src->qualname;
}

/* Is pg_stat_statements installed and preloaded?  Never raises an error. */
bool
qpm_pgss_available(Oid *relid)
{
	Oid			ext = get_extension_oid("pg_stat_statements", true);
	const char *preload;
	Oid			rel = InvalidOid;

	if (relid)
		*relid = InvalidOid;
	if (!OidIsValid(ext))
		return false;

	/* The view lives in the extension's schema. */
	if (SPI_connect() != SPI_OK_CONNECT)
		return false;
	if (SPI_execute("SELECT e.extnamespace FROM pg_catalog.pg_extension e "
					"WHERE e.extname OPERATOR(pg_catalog.=) 'pg_stat_statements'",
					true, 1) == SPI_OK_SELECT && SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			rel = get_relname_relid("pg_stat_statements", DatumGetObjectId(d));
	}
	SPI_finish();
	if (relid)
		*relid = rel;

	preload = GetConfigOption("shared_preload_libraries", true, false);
	return OidIsValid(rel) && preload != NULL &&
		strstr(preload, "pg_stat_statements") != NULL;
}

/* Resolve the default source, with the errors a DBA needs to fix setup. */
static Oid
default_source(void)
{
	Oid			relid;

	if (!OidIsValid(get_extension_oid("pg_stat_statements", true)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"pg_stat_statements\" is not installed"),
				 errdetail("Without a source argument, query_perf_ml reads the pg_stat_statements view."),
				 errhint("Run CREATE EXTENSION pg_stat_statements, or pass a source relation.")));
	if (!qpm_pgss_available(&relid))
	{
		if (!OidIsValid(relid))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("view \"pg_stat_statements\" not found in the schema of extension \"pg_stat_statements\"")));
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("pg_stat_statements must be loaded via \"shared_preload_libraries\""),
				 errhint("Add pg_stat_statements to shared_preload_libraries in postgresql.conf and restart the server, or pass a source relation.")));
	}
	return relid;
}

/* ERROR for a source lacking a required column. */
static void
missing_column(const QpmSource *src, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("source relation %s has no column %s", src->display, what),
			 errhint("A source needs the pg_stat_statements columns queryid, calls and total_exec_time (or mean_exec_time).")));
}

/* float8 expression reading optional column c, or NULL when the relation has none. */
static char *
column_sql(Oid relid, const SourceColumn *c)
{
	if (qpm_source_has_column(relid, c->name))
		return psprintf("%s::pg_catalog.float8", quote_identifier(c->name));
	if (c->pg17[0] != NULL && qpm_source_has_column(relid, c->pg17[0]) &&
		qpm_source_has_column(relid, c->pg17[1]))
		return psprintf("(%s::pg_catalog.float8 OPERATOR(pg_catalog.+) %s::pg_catalog.float8)",
						quote_identifier(c->pg17[0]), quote_identifier(c->pg17[1]));
	return NULL;
}

/* The source columns feature set fs reads: their SQL, NULL where absent. */
static void
resolve_inputs(const QpmSource *src, const QpmFeatureSet *fs, char **sql)
{
	int			i,
				k;

	for (i = 0; i < fs->n_inputs; i++)
	{
		for (k = 0; k < QPM_SOURCE_COLUMNS; k++)
			if (strcmp(source_columns[k].name, fs->inputs[i]) == 0)
				break;
		if (k == QPM_SOURCE_COLUMNS)
			elog(ERROR, "feature set %s reads unknown source column \"%s\"",
				 fs->name, fs->inputs[i]);
		sql[k] = column_sql(src->relid, &source_columns[k]);
	}
}

/* Resolve a source for feature set fs and check it has the columns we need. */
void
qpm_source_open(Oid relid, const QpmFeatureSet *fs, QpmSource *src)
{

	memset(src, 0, sizeof(*src));
	if (fs->row_features == NULL)
	{
		/* rows carrying a ready vector: plan samples */
		qpm_plan_source_open(relid, fs, src);
		return;
	}
	if (!OidIsValid(relid))
		relid = default_source();
	qpm_source_set_relation(src, relid);

	if (qpm_plan_source_shaped(relid))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("source relation %s holds plan samples, not statement statistics",
						src->display),
				 errdetail("Feature set %s is computed from pg_stat_statements-style rows.",
						   qpm_feature_set_label_str(fs)),
				 errhint("Train a plan/1 model on it (option \"feature_set\": \"plan/1\", the default for such a source), or pass a pg_stat_statements-style source.")));
	if (!qpm_source_has_column(relid, "queryid"))
		missing_column(src, "\"queryid\"");
	if (!qpm_source_has_column(relid, "calls"))
		missing_column(src, "\"calls\"");
	src->has_total_time = qpm_source_has_column(relid, "total_exec_time");
	if (!src->has_total_time && !qpm_source_has_column(relid, "mean_exec_time"))
		missing_column(src, "\"total_exec_time\" or \"mean_exec_time\"");
	src->has_query = qpm_source_has_column(relid, "query");
	src->has_time = qpm_source_has_column(relid, "interval_end");
	src->feature_set = fs;
	resolve_inputs(src, fs, src->column_sql);
}

/*
 * Column name, quoted, when the column is a number type read_one converts
 * to float8 itself (exactly as the cast would), else cast_sql.  A cast in
 * the query costs its function's lookup and EXECUTE check at every
 * executor start; a plain column costs nothing.
 */
static const char *
plain_number(const QpmSource *src, const char *name, const char *cast_sql)
{
	AttrNumber	att = get_attnum(src->relid, name);

	if (att == InvalidAttrNumber)
		return cast_sql;
	switch (get_atttype(src->relid, att))
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			return quote_identifier(name);
		default:
			return cast_sql;
	}
}

/* A plain_number column's value as float8, as its cast to float8 makes it. */
static double
number_datum(Datum d, Oid type)
{
	switch (type)
	{
		case FLOAT8OID:
			return DatumGetFloat8(d);
		case INT8OID:
			return (double) DatumGetInt64(d);
		case INT4OID:
			return (double) DatumGetInt32(d);
		case INT2OID:
			return (double) DatumGetInt16(d);
		case FLOAT4OID:
			return (double) DatumGetFloat4(d);
		case NUMERICOID:
			return DatumGetFloat8(DirectFunctionCall1(numeric_float8, d));
		default:
			elog(ERROR, "source column of type %u read as a number", type);
			return 0;			/* keep compiler quiet */
	}
}

/*
 * Build the SELECT for a scan.  Output columns, always in this order:
 * queryid int8, calls, total time, mean time, query text, the optional
 * columns of source_columns (float8, or NULL when absent or not read by the
 * feature set), then interval_end as epoch seconds (or NULL).
 */
static char *
build_scan_query(const QpmSource *src, QpmScanMode mode)
{
	StringInfoData q;
	/* one queryid: its rows, summed by the caller (read_one says why) */
	bool		grouped = mode == QPM_SCAN_BY_QUERYID;
	int			i;

	initStringInfo(&q);
	if (grouped)
	{
		appendStringInfoString(&q, "SELECT \"queryid\"::pg_catalog.int8, "
							   "pg_catalog.sum(\"calls\"::pg_catalog.float8), ");
		if (src->has_total_time)
			appendStringInfoString(&q, "pg_catalog.sum(\"total_exec_time\"::pg_catalog.float8), ");
		else
			appendStringInfoString(&q, "pg_catalog.sum(\"mean_exec_time\"::pg_catalog.float8 "
								   "OPERATOR(pg_catalog.*) \"calls\"::pg_catalog.float8), ");
		appendStringInfoString(&q, "NULL::pg_catalog.float8, ");
		appendStringInfoString(&q, src->has_query ?
							   "pg_catalog.max(\"query\"::pg_catalog.text)" : "NULL::pg_catalog.text");
		for (i = 0; i < QPM_SOURCE_COLUMNS; i++)
		{
			if (src->column_sql[i] != NULL)
				appendStringInfo(&q, ", pg_catalog.sum(%s)", src->column_sql[i]);
			else
				appendStringInfoString(&q, ", NULL::pg_catalog.float8");
		}
	}
	else if (mode == QPM_SCAN_ONE_QUERYID)
	{
		/* numbers as stored where read_one converts them itself (its comment) */
		appendStringInfo(&q, "SELECT \"queryid\"::pg_catalog.int8, %s, ",
						 plain_number(src, "calls", "\"calls\"::pg_catalog.float8"));
		if (src->has_total_time)
			appendStringInfo(&q, "%s, NULL::pg_catalog.float8, ",
							 plain_number(src, "total_exec_time",
										  "\"total_exec_time\"::pg_catalog.float8"));
		else
			appendStringInfo(&q, "NULL::pg_catalog.float8, %s, ",
							 plain_number(src, "mean_exec_time",
										  "\"mean_exec_time\"::pg_catalog.float8"));
		appendStringInfoString(&q, src->has_query ?
							   "\"query\"::pg_catalog.text" : "NULL::pg_catalog.text");
		for (i = 0; i < QPM_SOURCE_COLUMNS; i++)
		{
			if (src->column_sql[i] != NULL)
				appendStringInfo(&q, ", %s", plain_number(src, source_columns[i].name,
														  src->column_sql[i]));
			else
				appendStringInfoString(&q, ", NULL::pg_catalog.float8");
		}
	}
	else
	{
		appendStringInfoString(&q, "SELECT \"queryid\"::pg_catalog.int8, "
							   "\"calls\"::pg_catalog.float8, ");
		appendStringInfoString(&q, src->has_total_time ?
							   "\"total_exec_time\"::pg_catalog.float8, NULL::pg_catalog.float8, " :
							   "NULL::pg_catalog.float8, \"mean_exec_time\"::pg_catalog.float8, ");
		appendStringInfoString(&q, src->has_query ?
							   "\"query\"::pg_catalog.text" : "NULL::pg_catalog.text");
		for (i = 0; i < QPM_SOURCE_COLUMNS; i++)
		{
			if (src->column_sql[i] != NULL)
				appendStringInfo(&q, ", %s", src->column_sql[i]);
			else
				appendStringInfoString(&q, ", NULL::pg_catalog.float8");
		}
	}
	appendStringInfoString(&q, mode != QPM_SCAN_ROWS || !src->has_time ? ", NULL::pg_catalog.float8" :
						   ", pg_catalog.date_part('epoch', \"interval_end\"::pg_catalog.timestamptz)");
	appendStringInfo(&q, " FROM %s WHERE \"queryid\" IS NOT NULL", src->qualname);
	if (mode == QPM_SCAN_ONE_QUERYID)
		appendStringInfoString(&q, " AND \"queryid\"::pg_catalog.int8 OPERATOR(pg_catalog.=) $1");
	if (grouped)
		appendStringInfoString(&q, " GROUP BY 1");
	return q.data;
}

/* float8 column value, NAN when NULL. */
static double
get_float(HeapTuple tup, TupleDesc desc, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);

	return isnull ? NAN : DatumGetFloat8(d);
}

/* A row of build_scan_query's output as statement statistics (text not copied). */
static void
decode_row(HeapTuple tup, TupleDesc desc, QpmStmtStats *s)
{
	bool		isnull;
	Datum		d;
	int			k;

	qpm_stmt_stats_init(s);
	s->queryid = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
	s->calls = get_float(tup, desc, 2);
	s->total_exec_time = get_float(tup, desc, 3);
	s->mean_exec_time = get_float(tup, desc, 4);
	d = SPI_getbinval(tup, desc, 5, &isnull);
	if (!isnull)
	{
		text	   *t = DatumGetTextPP(d);

		s->query = VARDATA_ANY(t);
		s->query_len = VARSIZE_ANY_EXHDR(t);
	}
	for (k = 0; k < QPM_SOURCE_COLUMNS; k++)
	{
		double		v = get_float(tup, desc, 6 + k);

		memcpy((char *) s + source_columns[k].offset, &v, sizeof(v));
	}
	s->observed_at = get_float(tup, desc, 6 + QPM_SOURCE_COLUMNS);
}

/* Stream the source through cb; see the file banner. */
int64
qpm_source_scan(const QpmSource *src, QpmScanMode mode, int64 queryid,
				QpmRowCallback cb, void *arg)
{
	MemoryContext caller_ctx = CurrentMemoryContext;
	MemoryContext batch_ctx;
	char	   *sql = build_scan_query(src, mode);
	SPIPlanPtr	plan;
	Portal		portal;
	Oid			argtypes[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(queryid)};
	int64		n_rows = 0;

	if (src->plan)
		return qpm_plan_source_scan(src, mode, queryid, cb, arg);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	batch_ctx = AllocSetContextCreate(caller_ctx, "query_perf_ml source batch",
									  ALLOCSET_DEFAULT_SIZES);
	plan = SPI_prepare(sql, mode == QPM_SCAN_ONE_QUERYID ? 1 : 0, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for source query: %s",
			 SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, values, NULL, true);

	for (;;)
	{
		uint64		i;

		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, qpm_source_batch_rows);
		if (SPI_processed == 0)
			break;
		for (i = 0; i < SPI_processed; i++)
		{
			QpmStmtStats s;
			MemoryContext old;

			old = MemoryContextSwitchTo(batch_ctx);
			decode_row(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, &s);
			MemoryContextSwitchTo(caller_ctx);
			cb(&s, arg);
			MemoryContextSwitchTo(old);
			n_rows++;
		}
		SPI_freetuptable(SPI_tuptable);
		MemoryContextReset(batch_ctx);
	}
	SPI_cursor_close(portal);
	SPI_finish();
	MemoryContextDelete(batch_ctx);
	pfree(sql);
	return n_rows;
}

/* ---- kept plans for one statement's row (the banner's second part) ---- */

/* Listed plans kept when not in use; the least recently used goes first. */
#define QPM_SOURCE_PLANS 16

typedef struct SourcePlan
{
	struct SourcePlan *next;
	Oid			key_relid;		/* as passed (InvalidOid: pg_stat_statements) */
	const QpmFeatureSet *fs;
	QpmSource	src;			/* resolved; its strings live in mcxt */
	SPIPlanPtr	plan;			/* SPI_keepplan'd */
	uint64		last_used;
	int			uses;			/* calls executing the plan right now */
	bool		stale;			/* unlisted: freed when uses drops to 0 */
	MemoryContext mcxt;
} SourcePlan;

static SourcePlan *source_plans = NULL;	/* listed, and stale ones not freed yet */
static MemoryContext source_plans_ctx = NULL;
static bool source_plans_registered = false;
static uint64 source_plans_clock = 0;
static uint64 source_plans_invals = 0;	/* invalidations seen, of any relation */

/* Relcache callback: only marks (it may run inside a lookup or an execution). */
static void
source_plans_relcache(Datum arg, Oid relid)
{
	SourcePlan *p;

	source_plans_invals++;
	for (p = source_plans; p != NULL; p = p->next)
		if (relid == InvalidOid || p->src.relid == relid)
			p->stale = true;
}

/* pg_namespace callback: a renamed schema changes every qualified name. */
static void
source_plans_namespace(Datum arg, int cacheid, uint32 hashvalue)
{
	source_plans_relcache(arg, InvalidOid);
}

/* Release an entry no call uses any more. */
static void
free_source_plan(SourcePlan *p)
{
	SourcePlan **link;

	Assert(p->uses == 0);
	for (link = &source_plans; *link != NULL; link = &(*link)->next)
		if (*link == p)
		{
			*link = p->next;
			break;
		}
	SPI_freeplan(p->plan);
	MemoryContextDelete(p->mcxt);
}

/* Resolve the source, check its columns, and keep a plan for its one-row read. */
static SourcePlan *
build_source_plan(Oid relid, const QpmFeatureSet *fs)
{
	uint64		invals = source_plans_invals;
	Oid			argtypes[1] = {INT8OID};
	QpmSource	src;
	SourcePlan *p;
	MemoryContext mcxt;
	MemoryContext old;
	char	   *sql;
	SPIPlanPtr	plan;
	int			k;

	qpm_source_open(relid, fs, &src);
	sql = build_scan_query(&src, QPM_SCAN_ONE_QUERYID);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(sql, 1, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for source query: %s",
			 SPI_result_code_string(SPI_result));
	/* From here on nothing may fail before the entry owns the kept plan. */
	mcxt = AllocSetContextCreate(source_plans_ctx, "query_perf_ml source plan",
								 ALLOCSET_SMALL_SIZES);
	p = MemoryContextAllocZero(mcxt, sizeof(SourcePlan));
	old = MemoryContextSwitchTo(mcxt);
	p->src = src;
	p->src.qualname = pstrdup(src.qualname);
	p->src.display = p->src.qualname;
	for (k = 0; k < QPM_SOURCE_COLUMNS; k++)
		if (src.column_sql[k] != NULL)
			p->src.column_sql[k] = pstrdup(src.column_sql[k]);
	MemoryContextSwitchTo(old);
	MemoryContextSetIdentifier(mcxt, p->src.qualname);
	if (SPI_keepplan(plan) != 0)
	{
		MemoryContextDelete(mcxt);
		elog(ERROR, "SPI_keepplan failed for source query");
	}
	SPI_finish();
	p->plan = plan;
	p->key_relid = relid;
	p->fs = fs;
	p->mcxt = mcxt;
	/* Changed while we looked?  Serve this call, rebuild at the next one. */
	p->stale = invals != source_plans_invals;
	p->next = source_plans;
	source_plans = p;
	return p;
}

/* The listed plan for (relid, fs), built if needed; frees what nobody uses. */
static pg_noinline SourcePlan *
get_source_plan(Oid relid, const QpmFeatureSet *fs)
{
	SourcePlan *p;
	SourcePlan *next;
	SourcePlan *found = NULL;
	SourcePlan *lru = NULL;
	int			n_listed = 0;

	if (!source_plans_registered)
	{
		source_plans_ctx = AllocSetContextCreate(TopMemoryContext,
												 "query_perf_ml source plans",
												 ALLOCSET_SMALL_SIZES);
		CacheRegisterRelcacheCallback(source_plans_relcache, (Datum) 0);
		CacheRegisterSyscacheCallback(NAMESPACEOID, source_plans_namespace, (Datum) 0);
		source_plans_registered = true;
	}
	/* Changes committed by others since the statement began, before we trust an entry. */
	AcceptInvalidationMessages();
	for (p = source_plans; p != NULL; p = next)
	{
		next = p->next;
		if (p->stale)
		{
			if (p->uses == 0)
				free_source_plan(p);
			continue;
		}
		n_listed++;
		if (p->key_relid == relid && p->fs == fs)
			found = p;
		else if (p->uses == 0 && (lru == NULL || p->last_used < lru->last_used))
			lru = p;
	}
	if (found == NULL)
	{
		if (n_listed >= QPM_SOURCE_PLANS && lru != NULL)
			free_source_plan(lru);
		found = build_source_plan(relid, fs);
	}
	found->last_used = ++source_plans_clock;
	return found;
}

/* A NULL-skipping sum, as SQL's sum(float8). */
typedef struct SqlSum
{
	double		sum;
	bool		seen;
} SqlSum;

/* float8pl's and float8mul's range errors, worded as theirs (utils/float.h's checks). */
static void
float8_range_error(bool overflow)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("value out of range: %s", overflow ? "overflow" : "underflow")));
}

static inline void
sum_into(SqlSum *acc, double v)
{
	if (acc->seen)
	{
		double		r = acc->sum + v;

		if (unlikely(isinf(r)) && !isinf(acc->sum) && !isinf(v))
			float8_range_error(true);
		acc->sum = r;
	}
	else
		acc->sum = v;
	acc->seen = true;
}

/* a * b as float8mul computes it. */
static inline double
float8_times(double a, double b)
{
	double		r = a * b;

	if (unlikely(isinf(r)) && !isinf(a) && !isinf(b))
		float8_range_error(true);
	if (unlikely(r == 0.0) && a != 0.0 && b != 0.0)
		float8_range_error(false);
	return r;
}

/*
 * One statement's rows from a source (InvalidOid: pg_stat_statements),
 * summed into one row for cb, with a kept plan (banner).  The rows are
 * summed here rather than by GROUP BY: starting an aggregate of 30 sums
 * cost half of a call.  The sums are SQL's (NULLs skipped, all NULL is
 * NULL, float8 overflow is an ERROR, max() of the text by its collation),
 * so the row is the one the grouped query of predict_all builds.  Returns
 * the rows read (0: not found); *display gets the source's name.
 */
int64
qpm_source_read_one(Oid relid, const QpmFeatureSet *fs, int64 queryid,
					QpmRowCallback cb, void *arg, char **display)
{
	MemoryContext caller_ctx;
	SourcePlan *volatile p;
	Datum		params[1] = {Int64GetDatum(queryid)};
	volatile int64 n_rows = 0;

	if (fs->row_features == NULL)
	{
		/*
		 * Plan samples (plan_source.c) are one execution a row, averaged per
		 * statement there; they keep no plan here.
		 */
		QpmSource	src;

		qpm_source_open(relid, fs, &src);
		*display = pstrdup(src.display);
		return qpm_source_scan(&src, QPM_SCAN_ONE_QUERYID, queryid, cb, arg);
	}
	caller_ctx = CurrentMemoryContext;
	p = get_source_plan(relid, fs);

	*display = pstrdup(p->src.display);
	p->uses++;
	PG_TRY();
	{
		int			rc;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		rc = SPI_execute_plan(p->plan, params, NULL, true, 0);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "source query of %s failed: %s", *display,
				 SPI_result_code_string(rc));
		if (SPI_processed > 0)
		{
			TupleDesc	desc = SPI_tuptable->tupdesc;
			Datum		v[6 + QPM_SOURCE_COLUMNS];
			bool		null[6 + QPM_SOURCE_COLUMNS];
			SqlSum		sums[2 + QPM_SOURCE_COLUMNS];
			int64		first_queryid = 0;
			Datum		query = (Datum) 0;
			bool		has_query = false;
			QpmStmtStats s;
			MemoryContext spi_ctx;
			uint64		i;
			int			k;

#define NUMBER(c) number_datum(v[c], TupleDescAttr(desc, c)->atttypid)
			Assert(desc->natts == 6 + QPM_SOURCE_COLUMNS);
			memset(sums, 0, sizeof(sums));
			for (i = 0; i < SPI_processed; i++)
			{
				CHECK_FOR_INTERRUPTS();
				heap_deform_tuple(SPI_tuptable->vals[i], desc, v, null);
				if (i == 0)
					first_queryid = DatumGetInt64(v[0]);
				if (!null[1])
					sum_into(&sums[0], NUMBER(1));
				/* total time, or mean x calls (NULL if either is) */
				if (!null[2])
					sum_into(&sums[1], NUMBER(2));
				else if (!null[3] && !null[1])
					sum_into(&sums[1], float8_times(NUMBER(3), NUMBER(1)));
				if (!null[4] && (!has_query ||
								 DatumGetInt32(DirectFunctionCall2Coll(bttextcmp,
																	   TupleDescAttr(desc, 4)->attcollation,
																	   v[4], query)) > 0))
				{
					query = v[4];
					has_query = true;
				}
				for (k = 0; k < QPM_SOURCE_COLUMNS; k++)
					if (!null[5 + k])
						sum_into(&sums[2 + k], NUMBER(5 + k));
			}
#undef NUMBER
			qpm_stmt_stats_init(&s);
			s.queryid = first_queryid;
			s.calls = sums[0].seen ? sums[0].sum : NAN;
			s.total_exec_time = sums[1].seen ? sums[1].sum : NAN;
			if (has_query)
			{
				text	   *t = DatumGetTextPP(query);

				s.query = VARDATA_ANY(t);
				s.query_len = VARSIZE_ANY_EXHDR(t);
			}
			for (k = 0; k < QPM_SOURCE_COLUMNS; k++)
			{
				double		x = sums[2 + k].seen ? sums[2 + k].sum : NAN;

				memcpy((char *) &s + source_columns[k].offset, &x, sizeof(x));
			}
			spi_ctx = MemoryContextSwitchTo(caller_ctx);
			cb(&s, arg);
			MemoryContextSwitchTo(spi_ctx);
			n_rows = (int64) SPI_processed;
		}
		SPI_finish();
	}
	PG_FINALLY();
	{
		/* On ERROR the entry stays; a stale one is freed at the next lookup. */
		p->uses--;
	}
	PG_END_TRY();
	if (p->stale && p->uses == 0)
		free_source_plan(p);
	return n_rows;
}

/*
 * The split by time: the interval_end (epoch seconds) from which on the
 * source's rows are held out.  Rows of one snapshot share an interval_end,
 * so whole snapshots are held out: the newest ones whose share of the rows
 * is closest to fraction, keeping at least the oldest for training.  NaN
 * when there is nothing to hold out.  Runs as the caller, like the scan.
 */
double
qpm_source_time_cutoff(const QpmSource *src, double fraction)
{
	StringInfoData q;
	Oid			types[1] = {FLOAT8OID};
	Datum		values[1] = {Float8GetDatum(fraction)};
	double		cutoff = NAN;
	bool		isnull;

	if (src->plan)
		return qpm_plan_source_time_cutoff(src, fraction);
	if (!src->has_time)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("training option \"split\": \"time\" needs a source with an interval_end column"),
				 errdetail("Source %s has none.", src->display),
				 errhint("Train on query_perf_ml.metrics_intervals, or use \"split\": \"queryid\".")));
	if (fraction <= 0)
		return NAN;
	initStringInfo(&q);
	appendStringInfo(&q, "WITH g AS (SELECT pg_catalog.date_part('epoch', \"interval_end\"::pg_catalog.timestamptz) AS t, "
					 "pg_catalog.count(*) AS n FROM %s "
					 "WHERE \"queryid\" IS NOT NULL AND \"interval_end\" IS NOT NULL GROUP BY 1), "
					 "c AS (SELECT t, pg_catalog.sum(n) OVER (ORDER BY t DESC) AS newer, "
					 "pg_catalog.sum(n) OVER () AS total FROM g) "
					 "SELECT t FROM c WHERE newer OPERATOR(pg_catalog.<) total "
					 "ORDER BY pg_catalog.abs(newer::pg_catalog.float8 OPERATOR(pg_catalog./) total "
					 "OPERATOR(pg_catalog.-) $1), t DESC LIMIT 1",
					 src->qualname);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args(q.data, 1, types, values, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not compute the time split of source %s", src->display);
	if (SPI_processed == 1)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			cutoff = DatumGetFloat8(d);
	}
	SPI_finish();
	pfree(q.data);
	return cutoff;
}
