/*
 * sql_admin.c — status(), feature_report(), feature_names(),
 * feature_vectors(), is_held_out(), history_retention() and the
 * model_store trigger that invalidates every backend's model cache.
 *
 * The feature functions take the feature set as their last argument since
 * 1.2.  Their 1.0 SQL definitions (without it) call the same C functions
 * with one argument fewer, and get pgss/1, the only set 1.0 and 1.1 knew:
 * a database not yet updated, and callers that do not name a set, see
 * exactly what they saw before.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "catalog/pg_type.h"
#include "core/dataset.h"
#include "core/qpm_util.h"
#include "core/split.h"
#include "core/transform.h"
#include "utils/array.h"
#include "catalog.h"
#include "model_cache.h"
#include "prediction_log.h"
#include "qpm_settings.h"
#include "source_reader.h"
#include "sql_common.h"

PG_FUNCTION_INFO_V1(qpm_status);
PG_FUNCTION_INFO_V1(qpm_feature_report);
PG_FUNCTION_INFO_V1(qpm_feature_names);
PG_FUNCTION_INFO_V1(qpm_model_store_changed);
PG_FUNCTION_INFO_V1(qpm_feature_vectors);
PG_FUNCTION_INFO_V1(qpm_is_held_out);
PG_FUNCTION_INFO_V1(qpm_history_retention);

/* Per-feature streaming statistics for feature_report. */
typedef struct FeatureStats
{
	int64		n;
	int64		missing;
	int64		non_finite;
	double		mean;
	double		m2;
	double		min;
	double		max;
} FeatureStats;

typedef struct ReportScan
{
	const QpmFeatureSet *fs;
	FeatureStats f[QPM_MAX_FEATURES];
	QpmDataset	sample;			/* finite values for percentiles */
} ReportScan;

/*
 * The feature set argument at position argno: pgss/1 when the SQL
 * definition has no such argument (1.0's), an error when it is NULL.
 */
static const QpmFeatureSet *
feature_set_arg(FunctionCallInfo fcinfo, int argno)
{
	if (PG_NARGS() <= argno)
		return &qpm_feature_set_stmt_stats;
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("feature set must not be NULL"),
				 errhint("Known feature sets: %s.", qpm_feature_set_list())));
	return qpm_feature_set_arg(text_to_cstring(PG_GETARG_TEXT_PP(argno)));
}

/* Statement trigger on model_store: tell every backend's cache. */
Datum
qpm_model_store_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("model_store_changed() must be called as a trigger")));
	CacheInvalidateRelcacheByRelid(RelationGetRelid(trigdata->tg_relation));
	return PointerGetDatum(NULL);
}

/* Installed version of the extension (NULL if not found). */
static char *
extension_version(void)
{
	char	   *version = NULL;
	MemoryContext caller = CurrentMemoryContext;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute("SELECT extversion FROM pg_catalog.pg_extension "
					"WHERE extname OPERATOR(pg_catalog.=) 'query_perf_ml'", true, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		if (v)
			version = MemoryContextStrdup(caller, v);
	}
	SPI_finish();
	return version;
}

/* Row count of pg_stat_statements, read as the caller. */
static int64
pgss_rows(Oid relid)
{
	int64		n = -1;
	char	   *sql = psprintf("SELECT pg_catalog.count(*) FROM %s",
							   quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
														  get_rel_name(relid)));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute(sql, true, 1) == SPI_OK_SELECT && SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		n = isnull ? 0 : DatumGetInt64(d);
	}
	SPI_finish();
	return n;
}

/* status(): one row describing the installation. */
Datum
qpm_status(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[11];
	bool		nulls[11] = {0};
	char	   *ext_version = extension_version();
	Oid			pgss_relid;
	bool		pgss_ok = qpm_pgss_available(&pgss_relid);
	int64		n_models,
				n_active;
	char	   *default_model;
	int			entries;
	int64		hits,
				misses,
				invalidations;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	qpm_catalog_counts(&n_models, &n_active, &default_model);
	qpm_model_cache_stats(&entries, &hits, &misses, &invalidations);

	values[0] = ext_version ? CStringGetTextDatum(ext_version) : (Datum) 0;
	nulls[0] = ext_version == NULL;
	values[1] = CStringGetTextDatum(QPM_LIBRARY_VERSION);
	values[2] = BoolGetDatum(pgss_ok);
	if (pgss_ok)
		values[3] = Int64GetDatum(pgss_rows(pgss_relid));
	else
		nulls[3] = true;
	values[4] = Int64GetDatum(n_models);
	values[5] = Int64GetDatum(n_active);
	values[6] = default_model ? CStringGetTextDatum(default_model) : (Datum) 0;
	nulls[6] = default_model == NULL;
	values[7] = Int32GetDatum(entries);
	values[8] = Int64GetDatum(hits);
	values[9] = Int64GetDatum(misses);
	values[10] = Int64GetDatum(invalidations);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* feature_report scan: count, Welford moments, min/max, sample. */
static void
report_row(const QpmStmtStats *row, void *arg)
{
	ReportScan *rs = (ReportScan *) arg;
	double		x[QPM_MAX_FEATURES];
	int			j;

	if (qpm_row_features(rs->fs, row, x, NULL) != QPM_ROW_OK)
		return;
	for (j = 0; j < rs->fs->n_features; j++)
	{
		FeatureStats *f = &rs->f[j];

		f->n++;
		if (isnan(x[j]))
			f->missing++;
		else if (!isfinite(x[j]))
			f->non_finite++;
		else
		{
			int64		k = f->n - f->missing - f->non_finite;
			double		d = x[j] - f->mean;

			f->mean += d / (double) k;
			f->m2 += d * (x[j] - f->mean);
			if (k == 1 || x[j] < f->min)
				f->min = x[j];
			if (k == 1 || x[j] > f->max)
				f->max = x[j];
		}
	}
	qpm_dataset_add(&rs->sample, x, 0.0, row->queryid);
}

/* feature_report(source[, feature_set]): per feature n, missing, moments, percentiles. */
Datum
qpm_feature_report(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_ARGISNULL(0) ? InvalidOid : PG_GETARG_OID(0);
	const QpmFeatureSet *fs = feature_set_arg(fcinfo, 1);
	int			p = fs->n_features;
	QpmSource	src;
	ReportScan *rs = palloc0(sizeof(ReportScan));
	Tuplestorestate *ts;
	TupleDesc	desc;
	double	   *vals;
	int			j;

	qpm_source_open(relid, fs, &src);
	qpm_srf_init(fcinfo, &ts, &desc);
	rs->fs = fs;
	qpm_dataset_init(&rs->sample, p,
					 (size_t) maintenance_work_mem * 1024 / qpm_dataset_row_bytes(p) / 2,
					 42);
	qpm_source_scan(&src, QPM_SCAN_ROWS, 0, report_row, rs);
	vals = palloc(sizeof(double) * (rs->sample.n > 0 ? rs->sample.n : 1));

	for (j = 0; j < p; j++)
	{
		FeatureStats *f = &rs->f[j];
		int64		finite = f->n - f->missing - f->non_finite;
		Datum		values[11];
		bool		nulls[11] = {0};
		size_t		m = 0,
					i;

		for (i = 0; i < rs->sample.n; i++)
		{
			double		v = rs->sample.X[i * p + j];

			if (isfinite(v))
				vals[m++] = v;
		}
		qsort(vals, m, sizeof(double), qpm_cmp_double);
		values[0] = CStringGetTextDatum(fs->names[j]);
		values[1] = Int64GetDatum(f->n);
		values[2] = Int64GetDatum(f->missing);
		values[3] = Int64GetDatum(f->non_finite);
		values[4] = qpm_float8_or_null(finite > 0 ? f->mean : NAN, &nulls[4]);
		values[5] = qpm_float8_or_null(finite > 1 ? sqrt(f->m2 / (double) (finite - 1)) : NAN, &nulls[5]);
		values[6] = qpm_float8_or_null(finite > 0 ? f->min : NAN, &nulls[6]);
		values[7] = qpm_float8_or_null(qpm_percentile_sorted(vals, m, 1), &nulls[7]);
		values[8] = qpm_float8_or_null(qpm_percentile_sorted(vals, m, 50), &nulls[8]);
		values[9] = qpm_float8_or_null(qpm_percentile_sorted(vals, m, 99), &nulls[9]);
		values[10] = qpm_float8_or_null(finite > 0 ? f->max : NAN, &nulls[10]);
		tuplestore_putvalues(ts, desc, values, nulls);
	}
	return (Datum) 0;
}

/* feature_names([feature_set]): the vector order predict() expects. */
Datum
qpm_feature_names(PG_FUNCTION_ARGS)
{
	const QpmFeatureSet *fs = feature_set_arg(fcinfo, 0);
	Tuplestorestate *ts;
	TupleDesc	desc;
	int			j;

	qpm_srf_init(fcinfo, &ts, &desc);
	for (j = 0; j < fs->n_features; j++)
	{
		Datum		values[3];
		bool		nulls[3] = {0};

		values[0] = Int32GetDatum(j + 1);
		values[1] = CStringGetTextDatum(fs->names[j]);
		values[2] = CStringGetTextDatum(fs->descriptions[j]);
		tuplestore_putvalues(ts, desc, values, nulls);
	}
	return (Datum) 0;
}

/* Scan state of feature_vectors. */
typedef struct VectorScan
{
	const QpmFeatureSet *fs;
	Tuplestorestate *ts;
	TupleDesc	desc;
} VectorScan;

/* feature_vectors scan: one row per usable source row. */
static void
vector_row(const QpmStmtStats *row, void *arg)
{
	VectorScan *vs = (VectorScan *) arg;
	double		x[QPM_MAX_FEATURES];
	Datum		elems[QPM_MAX_FEATURES];
	bool		elem_nulls[QPM_MAX_FEATURES];
	int			dims[1] = {vs->fs->n_features};
	int			lbs[1] = {1};
	double		actual;
	QpmRowStatus st = qpm_row_features(vs->fs, row, x, &actual);
	Datum		values[3];
	bool		nulls[3] = {0};
	int			j;

	if (st == QPM_ROW_BAD_CALLS)
		return;
	for (j = 0; j < vs->fs->n_features; j++)
	{
		elem_nulls[j] = !isfinite(x[j]);
		elems[j] = Float8GetDatum(elem_nulls[j] ? 0.0 : x[j]);
	}
	values[0] = Int64GetDatum(row->queryid);
	values[1] = PointerGetDatum(construct_md_array(elems, elem_nulls, 1, dims, lbs, FLOAT8OID,
												   8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[2] = qpm_float8_or_null(st == QPM_ROW_OK ? actual : NAN, &nulls[2]);
	tuplestore_putvalues(vs->ts, vs->desc, values, nulls);
}

/*
 * feature_vectors(source[, feature_set]): the feature vector of every row
 * (NULL elements for missing or non-finite values), ready for predict() of
 * a model of that set, and the actual mean time per call (NULL when
 * unusable).
 */
Datum
qpm_feature_vectors(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_ARGISNULL(0) ? InvalidOid : PG_GETARG_OID(0);
	QpmSource	src;
	VectorScan	vs;

	vs.fs = feature_set_arg(fcinfo, 1);
	qpm_source_open(relid, vs.fs, &src);
	qpm_srf_init(fcinfo, &vs.ts, &vs.desc);
	qpm_source_scan(&src, QPM_SCAN_ROWS, 0, vector_row, &vs);
	return (Datum) 0;
}

/* is_held_out(queryid, seed, test_fraction): train_model's split, reproducible. */
Datum
qpm_is_held_out(PG_FUNCTION_ARGS)
{
	int64		queryid = PG_GETARG_INT64(0);
	int64		seed = PG_GETARG_INT64(1);
	float8		fraction = PG_GETARG_FLOAT8(2);

	if (seed < 0 || !(fraction >= 0 && fraction <= 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("seed must be >= 0 and test_fraction between 0 and 1")));
	PG_RETURN_BOOL(qpm_split_is_test(queryid, (uint64) seed, fraction));
}

/* history_retention() -> interval: the setting, NULL when 0 (keep forever). */
Datum
qpm_history_retention(PG_FUNCTION_ARGS)
{
	Interval   *iv;

	if (qpm_history_retention_min == 0)
		PG_RETURN_NULL();
	iv = palloc0(sizeof(Interval));
	/* Whole days as days, so "7 days" stays 7 days across a DST change. */
	if (qpm_history_retention_min % (MINS_PER_HOUR * HOURS_PER_DAY) == 0)
		iv->day = qpm_history_retention_min / (MINS_PER_HOUR * HOURS_PER_DAY);
	else
		iv->time = (int64) qpm_history_retention_min * USECS_PER_MINUTE;
	PG_RETURN_INTERVAL_P(iv);
}
