/*
 * plan_source.c — streaming rows of a plan-sample relation for plan/1
 * models: training, validation, predict_all, the queryid predictions.
 *
 * A plan source is query_perf_ml.plan_samples or any table, view,
 * materialized view or foreign table with its columns: queryid,
 * exec_ms and features (float8[], the set's vector in feature order, NULL
 * elements missing).  Optional: completed (false rows are lower bounds and
 * skipped), feature_set (rows of another set's label are skipped) and
 * captured_at (the split by time).  Each row is one execution; it reaches
 * the callbacks as a statement row of calls 1 whose ready vector
 * (QpmStmtStats.vector) the core takes as is (qpm_row_features), so every
 * caller of source_reader.c works unchanged.  Per statement (predict_all,
 * predictions by queryid) the time is the mean over its samples and the
 * vector the newest sample's: the plan the statement has now.
 *
 * source_reader.c hands over to this file when the feature set has no row
 * function; the two source shapes refuse each other with 42804 and a hint,
 * so a pgss model never reads plan samples or the reverse.  As there, the
 * query runs as the caller, every identifier is quoted and every function
 * and operator schema-qualified, and rows are fetched in batches through a
 * cursor whose memory is reset per batch.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "core/feature_set.h"
#include "plan_source.h"
#include "qpm_settings.h"
#include "source_reader.h"
#include "sql_common.h"


/* See plan_source.h: the columns that make a plan source. */
bool
qpm_plan_source_shaped(Oid relid)
{
	return OidIsValid(relid) && qpm_source_has_column(relid, "features") &&
		qpm_source_has_column(relid, "exec_ms") && !qpm_source_has_column(relid, "calls");
}

/* The extension's own plan_samples table: the default plan source. */
static Oid
default_plan_source(void)
{
	Oid			nsp = get_namespace_oid(QPM_SCHEMA, true);
	Oid			relid = InvalidOid;

	if (OidIsValid(nsp))
		relid = get_relname_relid("plan_samples", nsp);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table query_perf_ml.plan_samples does not exist"),
				 errhint("Run ALTER EXTENSION query_perf_ml UPDATE, or pass a source relation.")));
	return relid;
}

/* See plan_source.h: train_model's options with feature_set plan/1 for a plan source. */
Jsonb *
qpm_plan_source_options(Oid relid, Jsonb *options)
{
	JsonbValue	key;
	char	   *label;

	if (options != NULL)
	{
		key.type = jbvString;
		key.val.string.val = "feature_set";
		key.val.string.len = strlen("feature_set");
		if (JB_ROOT_IS_OBJECT(options) &&
			findJsonbValueFromContainer(&options->root, JB_FOBJECT, &key) != NULL)
			return options;		/* the caller chose */
	}
	if (!qpm_plan_source_shaped(relid))
		return options;
	label = qpm_feature_set_label_str(&qpm_feature_set_plan);
	if (options == NULL || !JB_ROOT_IS_OBJECT(options))
		return options == NULL ?
			qpm_jsonb_from_cstring(psprintf("{\"feature_set\": \"%s\"}", label)) : options;
	return DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(options),
											  JsonbPGetDatum(qpm_jsonb_from_cstring(psprintf("{\"feature_set\": \"%s\"}", label)))));
}

/* ERROR: a plan/1 model (or training) was given a statement-statistics source. */
static void
not_a_plan_source(const QpmSource *src, const char *why)
{
	char	   *label = qpm_feature_set_label_str(src->feature_set);

	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("source relation %s is not a plan source: %s", src->display, why),
			 errdetail("Feature set %s reads executed plans: columns queryid, exec_ms and features float8[].", label),
			 errhint("Pass query_perf_ml.plan_samples (or a relation with its columns), or use a model of a pgss feature set for pg_stat_statements-style sources.")));
}

/* See plan_source.h: resolve a plan source (InvalidOid = plan_samples) for fs. */
void
qpm_plan_source_open(Oid relid, const QpmFeatureSet *fs, QpmSource *src)
{
	Oid			type;
	int32		typmod;
	Oid			collation;

	memset(src, 0, sizeof(*src));
	if (!OidIsValid(relid))
		relid = default_plan_source();
	qpm_source_set_relation(src, relid);
	src->feature_set = fs;
	src->plan = true;

	if (qpm_source_has_column(relid, "calls") && !qpm_source_has_column(relid, "features"))
		not_a_plan_source(src, "it has pg_stat_statements columns");
	if (!qpm_source_has_column(relid, "queryid"))
		not_a_plan_source(src, "no column \"queryid\"");
	if (!qpm_source_has_column(relid, "exec_ms"))
		not_a_plan_source(src, "no column \"exec_ms\"");
	if (!qpm_source_has_column(relid, "features"))
		not_a_plan_source(src, "no column \"features\"");
	get_atttypetypmodcoll(relid, get_attnum(relid, "features"), &type, &typmod, &collation);
	if (type != FLOAT8ARRAYOID)
		not_a_plan_source(src, "column \"features\" is not float8[]");
	src->plan_has_completed = qpm_source_has_column(relid, "completed");
	src->plan_has_label = qpm_source_has_column(relid, "feature_set");
	src->has_time = qpm_source_has_column(relid, "captured_at");
}

/* The rows a plan source offers: finished executions of this set with a vector. */
static void
append_filter(StringInfo q, const QpmSource *src)
{
	appendStringInfo(q, " FROM %s WHERE \"queryid\" IS NOT NULL AND \"features\" IS NOT NULL",
					 src->qualname);
	if (src->plan_has_completed)
		appendStringInfoString(q, " AND \"completed\" IS NOT FALSE");
	if (src->plan_has_label)
		appendStringInfo(q, " AND \"feature_set\"::pg_catalog.text OPERATOR(pg_catalog.=) %s",
						 quote_literal_cstr(qpm_feature_set_label_str(src->feature_set)));
}

/*
 * The SELECT of a scan, columns as source_reader.c's scans begin: queryid,
 * calls, total ms, (mean ms), (query), then the vector and the time.
 */
static char *
build_plan_query(const QpmSource *src, QpmScanMode mode)
{
	StringInfoData q;

	initStringInfo(&q);
	if (mode == QPM_SCAN_ROWS)
	{
		appendStringInfo(&q, "SELECT \"queryid\"::pg_catalog.int8, 1::pg_catalog.float8, "
						 "\"exec_ms\"::pg_catalog.float8, \"features\"::pg_catalog.float8[], %s",
						 src->has_time ?
						 "pg_catalog.date_part('epoch', \"captured_at\"::pg_catalog.timestamptz)" :
						 "NULL::pg_catalog.float8");
		append_filter(&q, src);
		return q.data;
	}
	/* per statement: the mean time, the newest sample's vector */
	appendStringInfoString(&q, "SELECT DISTINCT ON (1) \"queryid\"::pg_catalog.int8, "
						   "(pg_catalog.count(*) OVER w)::pg_catalog.float8, "
						   "pg_catalog.sum(\"exec_ms\"::pg_catalog.float8) OVER w, "
						   "\"features\"::pg_catalog.float8[], NULL::pg_catalog.float8");
	append_filter(&q, src);
	if (mode == QPM_SCAN_ONE_QUERYID)
		appendStringInfoString(&q, " AND \"queryid\"::pg_catalog.int8 OPERATOR(pg_catalog.=) $1");
	appendStringInfoString(&q, " WINDOW w AS (PARTITION BY \"queryid\"::pg_catalog.int8) ORDER BY 1");
	if (src->has_time)
		appendStringInfoString(&q, ", \"captured_at\"::pg_catalog.timestamptz DESC");
	return q.data;
}

/* A row's vector into x (n values, NAN for NULL elements), or ERROR naming the row. */
static void
row_vector(Datum d, int64 queryid, const QpmSource *src, double *x, int n)
{
	ArrayType  *arr = DatumGetArrayTypeP(d);
	Datum	   *elems;
	bool	   *nulls;
	int			ne,
				i;

	if (ARR_NDIM(arr) != 1 || ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr)) != n)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("features of a row of statement " INT64_FORMAT " in %s are not a vector of %d values",
						queryid, src->display, n),
				 errdetail("Feature set %s has %d features; the row has %d elements (dimensions: %d).",
						   qpm_feature_set_label_str(src->feature_set), n,
						   ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr)), ARR_NDIM(arr)),
				 errhint("SELECT * FROM query_perf_ml.feature_names('%s') lists them in order.",
						 qpm_feature_set_label_str(src->feature_set))));
	deconstruct_array(arr, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &nulls, &ne);
	for (i = 0; i < n; i++)
		x[i] = nulls[i] ? NAN : DatumGetFloat8(elems[i]);
}

/* See plan_source.h: stream a plan source through cb. */
int64
qpm_plan_source_scan(const QpmSource *src, QpmScanMode mode, int64 queryid,
					 QpmRowCallback cb, void *arg)
{
	MemoryContext caller_ctx = CurrentMemoryContext;
	MemoryContext batch_ctx;
	char	   *sql = build_plan_query(src, mode);
	int			n = src->feature_set->n_features;
	SPIPlanPtr	plan;
	Portal		portal;
	Oid			argtypes[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(queryid)};
	int64		n_rows = 0;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	batch_ctx = AllocSetContextCreate(caller_ctx, "query_perf_ml plan source batch",
									  ALLOCSET_DEFAULT_SIZES);
	plan = SPI_prepare(sql, mode == QPM_SCAN_ONE_QUERYID ? 1 : 0, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for plan source query: %s",
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
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			double		x[QPM_MAX_FEATURES];
			QpmStmtStats s;
			MemoryContext old;
			bool		isnull;
			Datum		d;

			old = MemoryContextSwitchTo(batch_ctx);
			qpm_stmt_stats_init(&s);
			s.queryid = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
			d = SPI_getbinval(tup, desc, 2, &isnull);
			s.calls = isnull ? NAN : DatumGetFloat8(d);
			d = SPI_getbinval(tup, desc, 3, &isnull);
			s.total_exec_time = isnull ? NAN : DatumGetFloat8(d);
			d = SPI_getbinval(tup, desc, 4, &isnull);
			Assert(!isnull);	/* filtered */
			row_vector(d, s.queryid, src, x, n);
			s.vector = x;
			s.n_vector = n;
			d = SPI_getbinval(tup, desc, 5, &isnull);
			s.observed_at = isnull ? NAN : DatumGetFloat8(d);
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

/*
 * See plan_source.h: the split by time of a plan source, on captured_at: the
 * newest samples whose share is closest to fraction are held out, the
 * oldest always trained on.  NaN when there is nothing to hold out.
 */
double
qpm_plan_source_time_cutoff(const QpmSource *src, double fraction)
{
	StringInfoData q;
	Oid			types[1] = {FLOAT8OID};
	Datum		values[1] = {Float8GetDatum(fraction)};
	double		cutoff = NAN;
	bool		isnull;

	if (!src->has_time)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("training option \"split\": \"time\" needs a plan source with a captured_at column"),
				 errdetail("Source %s has none.", src->display),
				 errhint("Train on query_perf_ml.plan_samples, or use \"split\": \"queryid\".")));
	if (fraction <= 0)
		return NAN;
	initStringInfo(&q);
	appendStringInfoString(&q, "WITH g AS (SELECT pg_catalog.date_part('epoch', \"captured_at\"::pg_catalog.timestamptz) AS t, "
						   "pg_catalog.count(*) AS n");
	append_filter(&q, src);
	appendStringInfoString(&q, " AND \"captured_at\" IS NOT NULL GROUP BY 1), "
						   "c AS (SELECT t, pg_catalog.sum(n) OVER (ORDER BY t DESC) AS newer, "
						   "pg_catalog.sum(n) OVER () AS total FROM g) "
						   "SELECT t FROM c WHERE newer OPERATOR(pg_catalog.<) total "
						   "ORDER BY pg_catalog.abs(newer::pg_catalog.float8 OPERATOR(pg_catalog./) total "
						   "OPERATOR(pg_catalog.-) $1), t DESC LIMIT 1");
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
