/*
 * sql_common.c — small helpers shared by the SQL entry points: argument
 * checks, JSON building, set-returning-function setup, feature set names,
 * and the two ways a single feature vector is given (a statement's row in
 * a source, or jsonb by feature name), shared by prediction and
 * explanation.  Both read the vector in the model's feature set.
 */
#include "postgres.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/tuplestore.h"

#include "jsonb_reader.h"
#include "model_cache.h"
#include "qpm_settings.h"
#include "source_reader.h"
#include "sql_common.h"

/* One statement's summed row, captured by the scan callback. */
typedef struct OneRow
{
	bool		found;
	const QpmFeatureSet *fs;
	double	   *x;
	QpmRowStatus status;
} OneRow;

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

/*
 * The (name, algorithm) arguments of train_model and train_model_async:
 * both non-NULL, a valid name, a known algorithm ('auto' trains the three;
 * its options are parsed as gradient_boosting's, leniently).
 */
QpmAlgorithm
qpm_training_args(FunctionCallInfo fcinfo, char **name, char **alg_name, bool *is_auto)
{
	QpmAlgorithm alg;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model name must not be NULL")));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("algorithm must not be NULL"),
				 errhint("Available algorithms: " QPM_ALGORITHM_LIST ".")));
	*name = qpm_model_name_arg(PG_GETARG_TEXT_PP(0));
	*alg_name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	*is_auto = strcmp(*alg_name, "auto") == 0;
	alg = *is_auto ? QPM_ALG_GRADIENT_BOOSTING : qpm_algorithm_from_name(*alg_name);
	if (alg == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown algorithm \"%s\"", *alg_name),
				 errhint("Available algorithms: " QPM_ALGORITHM_LIST ".")));
	return alg;
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

/* ERROR for a non-finite feature value. */
void
qpm_reject_non_finite(const char *what, int index)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("feature value %d (%s) is not finite", index + 1, what),
			 errhint("Pass NULL for an unknown value; the model imputes it with the training mean.")));
}

/* Scan callback: remember the (single, summed) row of the statement. */
static void
capture_row(const QpmStmtStats *row, void *arg)
{
	OneRow	   *one = (OneRow *) arg;

	one->found = true;
	one->status = qpm_row_features(one->fs, row, one->x, NULL);
}

/* A statement's fs vector from a source (InvalidOid: pg_stat_statements), or ERROR. */
void
qpm_queryid_features(Oid relid, const QpmFeatureSet *fs, int64 queryid, double *x)
{
	char	   *display;
	OneRow		one;

	memset(&one, 0, sizeof(one));
	one.fs = fs;
	one.x = x;
	qpm_source_read_one(relid, fs, queryid, capture_row, &one, &display);
	if (!one.found)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("statement with queryid " INT64_FORMAT " not found in %s",
						queryid, display)));
	if (one.status != QPM_ROW_OK)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("statement with queryid " INT64_FORMAT " has no calls in %s",
						queryid, display),
				 errdetail("Features are per call; calls is NULL or not positive.")));
}

/*
 * The model name stands for, pinned, and a statement's vector in the
 * model's set.  The scan runs user SQL (the source), which may use the
 * cache itself; the pin keeps this version, and so its set, for the whole
 * call.  The caller unpins.
 */
const QpmCachedModel *
qpm_model_queryid_features(const char *name, Oid relid, int64 queryid, double *x)
{
	const QpmCachedModel *cm = qpm_model_cache_pin(name);

	qpm_queryid_features(relid, cm->model.feature_set, queryid, x);
	return cm;
}

/* The label "pgss/2" of a feature set, palloc'd. */
char *
qpm_feature_set_label_str(const QpmFeatureSet *fs)
{
	char		buf[QPM_FS_LABEL_LEN];

	qpm_feature_set_label(fs, buf, sizeof(buf));
	return pstrdup(buf);
}

/* "pgss/1, pgss/2": every known set, for hints. */
char *
qpm_feature_set_list(void)
{
	StringInfoData b;
	const QpmFeatureSet *fs;
	int			i;

	initStringInfo(&b);
	for (i = 0; (fs = qpm_feature_set_at(i)) != NULL; i++)
		appendStringInfo(&b, "%s%s", i ? ", " : "", qpm_feature_set_label_str(fs));
	return b.data;
}

/* A feature set named by the user (option or argument), or ERROR listing the known ones. */
const QpmFeatureSet *
qpm_feature_set_arg(const char *label)
{
	const QpmFeatureSet *fs = qpm_feature_set_by_label(label);

	if (fs == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown feature set \"%s\"", label),
				 errhint("Known feature sets: %s.", qpm_feature_set_list())));
	return fs;
}

/* ERROR for an unknown what-if name, saying which set has it if another does. */
static void
unknown_feature(const char *key, const QpmFeatureSet *fs, const char *model_name)
{
	StringInfoData names;
	const QpmFeatureSet *other;
	int			i;

	initStringInfo(&names);
	for (i = 0; i < fs->n_features; i++)
		appendStringInfo(&names, "%s%s", i ? ", " : "", fs->names[i]);
	for (i = 0; (other = qpm_feature_set_at(i)) != NULL; i++)
		if (other != fs && qpm_feature_set_index(other, key) >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown feature \"%s\"", key),
					 errdetail("Features of model \"%s\": %s.", model_name, names.data),
					 errhint("\"%s\" is a feature of %s; model \"%s\" uses %s.",
							 key, qpm_feature_set_label_str(other), model_name,
							 qpm_feature_set_label_str(fs))));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown feature \"%s\"", key),
			 errdetail("Features of model \"%s\": %s.", model_name, names.data)));
}

/* What reading features by name needs for each member. */
typedef struct FeatureWalk
{
	const QpmFeatureSet *fs;
	const char *model_name;
	double	   *x;
} FeatureWalk;

/* One member of a features object: a feature of the set, a number or null. */
static void
feature_member(const char *key, const JsonbValue *v, void *arg)
{
	FeatureWalk *w = (FeatureWalk *) arg;
	int			idx = qpm_feature_set_index(w->fs, key);

	if (idx < 0)
		unknown_feature(key, w->fs, w->model_name);
	if (v->type == jbvNull)
		w->x[idx] = NAN;
	else if (v->type == jbvNumeric)
	{
		w->x[idx] = qpm_jsonb_number(v);
		if (!isfinite(w->x[idx]))
			qpm_reject_non_finite(key, idx);
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("feature \"%s\" must be a number or null", key)));
}

/* Features by name from a jsonb object; absent or null = NaN (imputed). */
void
qpm_jsonb_features(Jsonb *features, const QpmFeatureSet *fs, const char *model_name,
				   double *x)
{
	FeatureWalk w;
	int			i;

	for (i = 0; i < fs->n_features; i++)
		x[i] = NAN;
	w.fs = fs;
	w.model_name = model_name;
	w.x = x;
	if (!qpm_jsonb_each_member(features, feature_member, &w))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must be a jsonb object"),
				 errhint("For example '{\"rows_per_call\": 10, \"shared_blks_hit_per_call\": 120}'.")));
}
