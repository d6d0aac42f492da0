/*
 * sql_export.c — export_model() and import_model(): a model version as a
 * portable, documented, versioned JSON document.
 *
 * The document (format "query_perf_ml.model", format_version 1; README
 * "Export and import" shows it) holds everything the blob holds, by name
 * rather than by byte offset: the feature set (id, name, version and the
 * feature names in vector order), the transform, the interval, and the
 * linear coefficients or the forest, plus the catalog's metadata (metrics,
 * options, row counts).  A forest is written as XGBoost-free flat nodes:
 * per tree a list in preorder, root first, each split naming its children
 * by index in that list ({"feature", "threshold", "left", "right",
 * "default_left", "cover", "gain"}, a leaf {"leaf", "cover"}).
 *
 * Exactness.  An imported model must predict bit for bit like the
 * original, so every number goes through text without loss: doubles are
 * printed with the shortest representation that reads back to the same
 * double (double_to_shortest_decimal_buf), and jsonb keeps the decimal
 * digits exactly (numeric), which strtod turns back into that double.
 * Tree values are floats: they are widened to double and printed the same
 * way, and on import a value is accepted only if (double) (float) v == v,
 * so the float is recovered exactly and a value edited by hand that a
 * float cannot hold is refused rather than silently rounded.  (A negative
 * zero comes back as zero; no prediction depends on the sign of a zero.)
 *
 * Validation.  A document may come from anywhere, so import trusts nothing:
 * every key is looked up with its expected type (object, array, number,
 * integer, boolean, string), unknown keys are errors, arrays have their
 * exact or maximum length checked before anything is allocated (forest.h's
 * limits), numbers outside the double range (1e400) are errors rather than
 * infinities, and each value's range is checked with the document path of
 * the offending value in the error detail ($.transform.features[3].scale).
 * Those range checks mirror the core's rules for readable messages; the
 * core then has the last word: the filled model passes qpm_model_validate
 * and qpm_forest_validate (the gates a blob passes), is serialized, and
 * the blob must deserialize before it is stored, so import can never store
 * a model that loading would refuse.
 *
 * Error paths are built lazily: the walker passes a chain of DocPath
 * frames on the stack and renders it only when it reports an error, so
 * checking a forest of millions of nodes costs no string work.  Per-tree
 * scratch (jsonb element copies, numeric text) lives in a context reset
 * after each tree.
 *
 * metrics is a free object (a newer version may add keys), but the keys
 * the extension itself writes and reads are checked like the model: a
 * median_q_error that is not a number >= 1 would break prediction_accuracy()
 * and the launcher's drift check for every model (metric_rules below).
 *
 * Export reads the catalog as the caller (model_store is readable by
 * PUBLIC); import stores through qpm_catalog_store, which writes as the
 * extension owner, refuses a blob above query_perf_ml.max_model_size, and
 * activates the new version.  An import has no source relation to retrain
 * on (source 'import', source_relation NULL); what it was (the document's
 * name, version, created_at) goes into metrics.imported_from.
 */
#include "postgres.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "core/serialize.h"
#include "qpm_pg.h"

PG_FUNCTION_INFO_V1(qpm_export_model);
PG_FUNCTION_INFO_V1(qpm_import_model);

#define DOC_FORMAT			"query_perf_ml.model"
#define DOC_FORMAT_VERSION	1
/* Largest count kept exactly by a double; bounds n_train / n_test. */
#define DOC_MAX_COUNT		INT64CONST(9007199254740991)
/* Keys one object may be asked for (the top level has the most). */
#define DOC_MAX_KEYS		20

/* One step of the path to a value: a member of an object or an array element. */
typedef struct DocPath
{
	const struct DocPath *parent;	/* NULL for the document itself ($) */
	const char *key;			/* member name, or NULL for an element */
	int			index;
} DocPath;

/*
 * An object being read: the keys looked up so far (so an unknown key can be
 * found and the accepted ones listed) and how many of them were present.
 */
typedef struct DocObject
{
	JsonbContainer *c;
	const DocPath *path;
	const char *keys[DOC_MAX_KEYS];
	int			n_keys;
	int			n_found;
} DocObject;

/* What the catalog row of an exported version provides. */
typedef struct ExportRow
{
	int32		version;
	int64		n_train;
	int64		n_test;
	char	   *created_at;		/* ISO 8601, UTC */
	Jsonb	   *metrics;
	Jsonb	   *options;
	bytea	   *blob;
} ExportRow;

/* A metric train_model writes: integer or number (null allowed), its range. */
typedef struct MetricRule
{
	const char *key;
	double		min;
	double		max;
	bool		integer;
	bool		min_exclusive;
	bool		max_exclusive;
} MetricRule;

static const MetricRule metric_rules[] = {
	{"n_train", 0, (double) DOC_MAX_COUNT, true, false, false},
	{"n_test", 0, (double) DOC_MAX_COUNT, true, false, false},
	{"rows_read", 0, (double) DOC_MAX_COUNT, true, false, false},
	{"rows_skipped_calls", 0, (double) DOC_MAX_COUNT, true, false, false},
	{"rows_skipped_time", 0, (double) DOC_MAX_COUNT, true, false, false},
	{"rows_below_min_calls", 0, (double) DOC_MAX_COUNT, true, false, false},
	{"rows_usable", 0, (double) DOC_MAX_COUNT, true, false, false},
	{"rows_sampled", 0, (double) DOC_MAX_COUNT, true, false, false},
	{"r2", -DBL_MAX, 1, false, false, false},
	{"mae_ms", 0, DBL_MAX, false, false, false},
	{"rmse_ms", 0, DBL_MAX, false, false, false},
	{"median_q_error", 1, 1e300, false, false, false},
	{"p90_q_error", 1, 1e300, false, false, false},
	{"interval_coverage", 0, 1, false, false, false},
	{"interval_level", 0, 1, false, true, true},
	{"interval_log_low", -DBL_MAX, DBL_MAX, false, false, false},
	{"interval_log_high", -DBL_MAX, DBL_MAX, false, false, false},
};

static void doc_error(const DocPath *p, const char *fmt,...)
			pg_attribute_printf(2, 3) pg_attribute_noreturn();

/* ---- export ---- */

/* Append a finite double with the shortest text that reads back exactly. */
static void
append_double(StringInfo buf, double v)
{
	char		num[DOUBLE_SHORTEST_DECIMAL_LEN];

	/* a loaded model passed deserialize, so this cannot happen */
	if (!isfinite(v))
		elog(ERROR, "cannot export a non-finite model parameter");
	double_to_shortest_decimal_buf(v, num);
	appendStringInfoString(buf, num);
}

/* Append "key": (with the separator) to an object being written. */
static void
append_key(StringInfo buf, const char *key, bool first)
{
	appendStringInfo(buf, "%s\"%s\": ", first ? "" : ", ", key);
}

/* "key": double */
static void
append_double_member(StringInfo buf, const char *key, double v, bool first)
{
	append_key(buf, key, first);
	append_double(buf, v);
}

/* "key": true/false */
static void
append_bool_member(StringInfo buf, const char *key, bool v)
{
	append_key(buf, key, false);
	appendStringInfoString(buf, v ? "true" : "false");
}

/* The feature set: enough to find it again and to check the vector order. */
static void
export_feature_set(StringInfo buf, const QpmFeatureSet *fs)
{
	int			j;

	appendStringInfo(buf, "{\"id\": %u, \"name\": ", (unsigned) fs->id);
	escape_json(buf, fs->name);
	appendStringInfo(buf, ", \"version\": %u, \"features\": [", (unsigned) fs->version);
	for (j = 0; j < fs->n_features; j++)
	{
		if (j > 0)
			appendStringInfoString(buf, ", ");
		escape_json(buf, fs->names[j]);
	}
	appendStringInfoString(buf, "]}");
}

/* The transform: global parameters, then one object per feature. */
static void
export_transform(StringInfo buf, const QpmTransform *t)
{
	int			j;

	appendStringInfoChar(buf, '{');
	append_double_member(buf, "clip_low_pct", t->clip_lo_pct, true);
	append_double_member(buf, "clip_high_pct", t->clip_hi_pct, false);
	append_bool_member(buf, "standardize", t->standardize != 0);
	appendStringInfoString(buf, ", \"features\": [");
	for (j = 0; j < t->n_features; j++)
	{
		const QpmFeatureTransform *f = &t->f[j];

		appendStringInfoString(buf, j > 0 ? ", {" : "{");
		append_double_member(buf, "impute", f->impute, true);
		append_double_member(buf, "clip_lo", f->clip_lo, false);
		append_double_member(buf, "clip_hi", f->clip_hi, false);
		append_bool_member(buf, "log1p", f->log1p != 0);
		append_double_member(buf, "center", f->center, false);
		append_double_member(buf, "scale", f->scale, false);
		appendStringInfoChar(buf, '}');
	}
	appendStringInfoString(buf, "]}");
}

/* The linear model: intercept and coefficients in feature order. */
static void
export_linear(StringInfo buf, const QpmLinear *lin, int n)
{
	int			j;

	appendStringInfoChar(buf, '{');
	append_double_member(buf, "intercept", lin->intercept, true);
	appendStringInfoString(buf, ", \"coefficients\": [");
	for (j = 0; j < n; j++)
	{
		if (j > 0)
			appendStringInfoString(buf, ", ");
		append_double(buf, lin->coef[j]);
	}
	appendStringInfoString(buf, "]}");
}

/* The forest: floats widened to double, nodes in the flat preorder. */
static void
export_forest(StringInfo buf, const QpmForest *f)
{
	int32		t;

	appendStringInfoChar(buf, '{');
	append_double_member(buf, "base_score", (double) f->base_score, true);
	appendStringInfoString(buf, ", \"trees\": [");
	for (t = 0; t < f->n_trees; t++)
	{
		int32		i;

		CHECK_FOR_INTERRUPTS();
		appendStringInfoString(buf, t > 0 ? ", {\"nodes\": [" : "{\"nodes\": [");
		for (i = f->tree_offset[t]; i < f->tree_offset[t + 1]; i++)
		{
			const QpmTreeNode *n = &f->nodes[i];

			appendStringInfoString(buf, i > f->tree_offset[t] ? ", {" : "{");
			if (n->left < 0)
			{
				append_double_member(buf, "leaf", (double) n->value, true);
				append_double_member(buf, "cover", (double) n->cover, false);
			}
			else
			{
				appendStringInfo(buf, "\"feature\": %d", (int) n->feature);
				append_double_member(buf, "threshold", (double) n->value, false);
				appendStringInfo(buf, ", \"left\": %d, \"right\": %d",
								 (int) n->left, (int) n->right);
				append_bool_member(buf, "default_left", n->default_left != 0);
				append_double_member(buf, "cover", (double) n->cover, false);
				append_double_member(buf, "gain", (double) n->gain, false);
			}
			appendStringInfoChar(buf, '}');
		}
		appendStringInfoString(buf, "]}");
	}
	appendStringInfoString(buf, "]}");
}

/* Append a jsonb value (metrics, options) as JSON text. */
static void
append_jsonb(StringInfo buf, Jsonb *j)
{
	appendStringInfoString(buf, JsonbToCString(NULL, &j->root, VARSIZE(j)));
}

/*
 * Read one version of a model (NULL version: the active one) as the
 * caller, with search_path pinned like catalog.c does; errors as the rest
 * of the extension reports a missing model or version.  The row is copied
 * into the caller's context.
 */
static void
read_version(const char *name, bool any_version, int32 version, ExportRow *row)
{
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext spi_ctx;
	int			guc_nest = NewGUCNestLevel();
	Oid			types[2] = {TEXTOID, INT4OID};
	Datum		values[2];
	bool		isnull;
	HeapTuple	tup;
	TupleDesc	desc;
	int			rc;

	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	values[0] = CStringGetTextDatum(name);
	values[1] = Int32GetDatum(version);
	rc = SPI_execute_with_args(any_version ?
							   "SELECT version, n_train, n_test, "
							   " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
							   " metrics, options, model "
							   "FROM query_perf_ml.model_store WHERE name = $1 AND is_active" :
							   "SELECT version, n_train, n_test, "
							   " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
							   " metrics, options, model "
							   "FROM query_perf_ml.model_store WHERE name = $1 AND version = $2",
							   any_version ? 1 : 2, types, values, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "query_perf_ml catalog query failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
	{
		rc = SPI_execute_with_args("SELECT 1 FROM query_perf_ml.model_store WHERE name = $1 LIMIT 1",
								   1, types, values, NULL, true, 1);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "query_perf_ml catalog query failed: %s", SPI_result_code_string(rc));
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("model \"%s\" does not exist", name),
					 errhint("SELECT name, version FROM query_perf_ml.models lists the models.")));
		if (any_version)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("model \"%s\" has no active version", name),
					 errhint("Name a version, or activate one with query_perf_ml.activate_model('%s').", name)));
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" has no version %d", name, version),
				 errhint("SELECT name, version FROM query_perf_ml.models lists the models.")));
	}

	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	spi_ctx = MemoryContextSwitchTo(caller);
	row->version = DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));
	row->n_train = DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull));
	row->n_test = DatumGetInt64(SPI_getbinval(tup, desc, 3, &isnull));
	row->created_at = TextDatumGetCString(SPI_getbinval(tup, desc, 4, &isnull));
	row->metrics = DatumGetJsonbPCopy(SPI_getbinval(tup, desc, 5, &isnull));
	row->options = DatumGetJsonbPCopy(SPI_getbinval(tup, desc, 6, &isnull));
	row->blob = DatumGetByteaPCopy(SPI_getbinval(tup, desc, 7, &isnull));
	MemoryContextSwitchTo(spi_ctx);
	SPI_finish();
	AtEOXact_GUC(true, guc_nest);
}

/* export_model(name, version): the document of one version (NULL: the active one). */
Datum
qpm_export_model(PG_FUNCTION_ARGS)
{
	char	   *name;
	ExportRow	row;
	QpmModel	model;
	char		what[QPM_MAX_NAME_BYTES + 32];
	StringInfoData b;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model name must not be NULL")));
	name = qpm_model_name_arg(PG_GETARG_TEXT_PP(0));
	read_version(name, PG_ARGISNULL(1), PG_ARGISNULL(1) ? 0 : PG_GETARG_INT32(1), &row);
	snprintf(what, sizeof(what), "\"%s\" version %d", name, row.version);
	qpm_model_from_blob(row.blob, what, &model);

	initStringInfo(&b);
	appendStringInfoString(&b, "{\"format\": ");
	escape_json(&b, DOC_FORMAT);
	appendStringInfo(&b, ", \"format_version\": %d, \"extension_version\": ",
					 DOC_FORMAT_VERSION);
	escape_json(&b, QPM_LIBRARY_VERSION);
	appendStringInfoString(&b, ", \"name\": ");
	escape_json(&b, name);
	appendStringInfo(&b, ", \"version\": %d, \"created_at\": ", row.version);
	escape_json(&b, row.created_at);
	appendStringInfoString(&b, ", \"algorithm\": ");
	escape_json(&b, qpm_algorithm_name(model.algorithm));
	appendStringInfoString(&b, ", \"feature_set\": ");
	export_feature_set(&b, model.feature_set);
	appendStringInfoString(&b, ", \"transform\": ");
	export_transform(&b, &model.transform);
	appendStringInfoString(&b, ", \"interval\": {");
	append_double_member(&b, "level", model.interval.level, true);
	append_double_member(&b, "log_low", model.interval.resid_lo, false);
	append_double_member(&b, "log_high", model.interval.resid_hi, false);
	appendStringInfoChar(&b, '}');
	if (model.algorithm == QPM_ALG_LINEAR)
	{
		appendStringInfoString(&b, ", \"linear\": ");
		export_linear(&b, &model.linear, model.transform.n_features);
	}
	else
	{
		appendStringInfoString(&b, ", \"forest\": ");
		export_forest(&b, model.forest);
	}
	appendStringInfo(&b, ", \"n_train\": " INT64_FORMAT ", \"n_test\": " INT64_FORMAT,
					 row.n_train, row.n_test);
	appendStringInfoString(&b, ", \"metrics\": ");
	append_jsonb(&b, row.metrics);
	appendStringInfoString(&b, ", \"options\": ");
	append_jsonb(&b, row.options);
	appendStringInfoChar(&b, '}');
	PG_RETURN_JSONB_P(qpm_jsonb_from_cstring(b.data));
}

/* ---- import: reading the document ---- */

/* The path as JSONPath text: $, $.forest.trees[3].nodes[0].left */
static void
path_render(StringInfo s, const DocPath *p)
{
	if (p == NULL || p->parent == NULL)
	{
		appendStringInfoChar(s, '$');
		return;
	}
	path_render(s, p->parent);
	if (p->key != NULL)
		appendStringInfo(s, ".%s", p->key);
	else
		appendStringInfo(s, "[%d]", p->index);
}

/* Every document error: one message, the path and the problem in the detail. */
static void
doc_error(const DocPath *p, const char *fmt,...)
{
	StringInfoData path;
	StringInfoData msg;

	initStringInfo(&path);
	path_render(&path, p);
	initStringInfo(&msg);
	for (;;)
	{
		va_list		ap;
		int			needed;

		va_start(ap, fmt);
		needed = appendStringInfoVA(&msg, fmt, ap);
		va_end(ap);
		if (needed == 0)
			break;
		enlargeStringInfo(&msg, needed);
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid model document"),
			 errdetail("At %s: %s.", path.data, msg.data)));
	pg_unreachable();
}

/* "a string", "an array", ... for type errors. */
static const char *
value_kind(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		case jbvBinary:
			return JsonContainerIsObject(v->val.binary.data) ? "an object" : "an array";
		default:
			return "a value of unexpected type";
	}
}

/* The object behind v, or an error. */
static JsonbContainer *
as_container(const JsonbValue *v, const DocPath *p, bool object)
{
	if (v->type != jbvBinary ||
		(object ? !JsonContainerIsObject(v->val.binary.data) :
		 !JsonContainerIsArray(v->val.binary.data)))
		doc_error(p, "must be %s, not %s", object ? "an object" : "an array",
				  value_kind(v));
	return v->val.binary.data;
}

/* The array behind v with its length, which must be in [min, max]. */
static JsonbContainer *
as_array(const JsonbValue *v, const DocPath *p, int min, int max, int *n)
{
	JsonbContainer *c = as_container(v, p, false);
	uint32		len = JsonContainerSize(c);

	if (len < (uint32) min || len > (uint32) max)
	{
		if (min == max)
			doc_error(p, "must have %d elements, not %u", min, len);
		doc_error(p, "must have %d to %d elements, not %u", min, max, len);
	}
	*n = (int) len;
	return c;
}

/*
 * A number as the double it denotes.  jsonb holds it as numeric, whose
 * text is the exact decimal: strtod rounds it correctly, so the shortest
 * representation export writes comes back as the same double.  Values
 * beyond the double range are refused like float8in refuses them (also
 * those that would underflow to zero), never turned into infinities.
 */
static double
as_double(const JsonbValue *v, const DocPath *p)
{
	char	   *s;
	char	   *end;
	double		d;

	if (v->type != jbvNumeric)
		doc_error(p, "must be a number, not %s", value_kind(v));
	s = DatumGetCString(DirectFunctionCall1(numeric_out,
											NumericGetDatum(v->val.numeric)));
	errno = 0;
	d = strtod(s, &end);
	if (end == s || *end != '\0' || !isfinite(d) || (errno == ERANGE && d == 0.0))
		doc_error(p, "number is out of range for double precision");
	pfree(s);
	return d;
}

/* A number a float holds exactly (tree values); refused rather than rounded. */
static float
as_float(const JsonbValue *v, const DocPath *p)
{
	double		d = as_double(v, p);

	/* the range test first: converting an out-of-range double to float is undefined */
	if (fabs(d) > FLT_MAX || (double) (float) d != d)
		doc_error(p, "must be exactly representable as a 32-bit float (tree values are floats)");
	return (float) d;
}

/* An integral number in [lo, hi]. */
static int64
as_integer(const JsonbValue *v, const DocPath *p, int64 lo, int64 hi)
{
	double		d;

	if (v->type != jbvNumeric)
		doc_error(p, "must be an integer, not %s", value_kind(v));
	d = as_double(v, p);
	if (d != floor(d) || d < (double) lo || d > (double) hi)
		doc_error(p, "must be an integer from " INT64_FORMAT " to " INT64_FORMAT,
				  lo, hi);
	return (int64) d;
}

/* A JSON boolean. */
static bool
as_bool(const JsonbValue *v, const DocPath *p)
{
	if (v->type != jbvBool)
		doc_error(p, "must be a boolean, not %s", value_kind(v));
	return v->val.boolean;
}

/* A JSON string, copied and NUL-terminated. */
static char *
as_string(const JsonbValue *v, const DocPath *p)
{
	if (v->type != jbvString)
		doc_error(p, "must be a string, not %s", value_kind(v));
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* Start reading the object behind v. */
static void
obj_open(DocObject *o, const JsonbValue *v, const DocPath *p)
{
	o->c = as_container(v, p, true);
	o->path = p;
	o->n_keys = 0;
	o->n_found = 0;
}

/*
 * Member key of the object into *out; false when absent, an error when
 * required and absent.  Every key asked for is an accepted key.
 */
static bool
obj_get(DocObject *o, const char *key, bool required, JsonbValue *out)
{
	Assert(o->n_keys < DOC_MAX_KEYS);
	o->keys[o->n_keys++] = key;
	if (getKeyJsonValueFromContainer(o->c, key, (int) strlen(key), out) == NULL)
	{
		if (required)
			doc_error(o->path, "missing key \"%s\"", key);
		return false;
	}
	o->n_found++;
	return true;
}

/*
 * Finish an object: any key not asked for is an error that lists the
 * accepted ones.  Keys are unique in jsonb, so counting is enough on the
 * common path; only a mismatch walks the keys to name the stranger.
 */
static void
obj_close(DocObject *o)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	StringInfoData accepted;
	int			i;

	if (JsonContainerSize(o->c) == (uint32) o->n_found)
		return;
	initStringInfo(&accepted);
	for (i = 0; i < o->n_keys; i++)
		appendStringInfo(&accepted, "%s%s", i > 0 ? ", " : "", o->keys[i]);
	it = JsonbIteratorInit(o->c);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *key;
		bool		known = false;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		for (i = 0; i < o->n_keys && !known; i++)
			known = strcmp(key, o->keys[i]) == 0;
		if (!known)
			doc_error(o->path, "unknown key \"%s\" (accepted: %s)", key, accepted.data);
	}
	elog(ERROR, "object key count mismatch without an unknown key");
}

/* Required number member. */
static double
get_double(DocObject *o, const char *key)
{
	JsonbValue	v;
	DocPath		p = {o->path, key, 0};

	obj_get(o, key, true, &v);
	return as_double(&v, &p);
}

/* Required float member; optional ones (cover, gain) default to 0. */
static float
get_float(DocObject *o, const char *key, bool required)
{
	JsonbValue	v;
	DocPath		p = {o->path, key, 0};

	if (!obj_get(o, key, required, &v))
		return 0.0f;
	return as_float(&v, &p);
}

/* Required integer member in [lo, hi]. */
static int64
get_integer(DocObject *o, const char *key, int64 lo, int64 hi)
{
	JsonbValue	v;
	DocPath		p = {o->path, key, 0};

	obj_get(o, key, true, &v);
	return as_integer(&v, &p, lo, hi);
}

/* Required boolean member. */
static bool
get_bool(DocObject *o, const char *key)
{
	JsonbValue	v;
	DocPath		p = {o->path, key, 0};

	obj_get(o, key, true, &v);
	return as_bool(&v, &p);
}

/* Required string member. */
static char *
get_string(DocObject *o, const char *key)
{
	JsonbValue	v;
	DocPath		p = {o->path, key, 0};

	obj_get(o, key, true, &v);
	return as_string(&v, &p);
}

/* Optional informational member: checked for type, value unused. */
static void
check_optional(DocObject *o, const char *key, enum jbvType type)
{
	JsonbValue	v;
	DocPath		p = {o->path, key, 0};

	if (!obj_get(o, key, false, &v))
		return;
	if (type == jbvString)
		(void) as_string(&v, &p);
	else
		(void) as_integer(&v, &p, 1, PG_INT32_MAX);
}

/* "pgss: id 1 version 1, pgss: id 1 version 2": every set this build reads. */
static char *
known_feature_sets(void)
{
	StringInfoData b;
	const QpmFeatureSet *fs;
	int			i;

	initStringInfo(&b);
	for (i = 0; (fs = qpm_feature_set_at(i)) != NULL; i++)
		appendStringInfo(&b, "%s%s: id %u version %u", i ? ", " : "", fs->name,
						 (unsigned) fs->id, (unsigned) fs->version);
	return b.data;
}

/* The feature set: known (id, version), same name, same features in order. */
static const QpmFeatureSet *
read_feature_set(DocObject *top)
{
	JsonbValue	v;
	DocPath		p = {top->path, "feature_set", 0};
	DocPath		pf = {&p, "features", 0};
	DocObject	o;
	const QpmFeatureSet *fs;
	JsonbContainer *names;
	int64		id;
	int64		version;
	char	   *name;
	int			n;
	int			j;

	obj_get(top, "feature_set", true, &v);
	obj_open(&o, &v, &p);
	id = get_integer(&o, "id", 1, PG_UINT16_MAX);
	name = get_string(&o, "name");
	version = get_integer(&o, "version", 1, PG_UINT16_MAX);
	fs = qpm_feature_set_find((uint16) id, (uint16) version);
	if (fs == NULL)
		doc_error(&p, "unknown feature set id " INT64_FORMAT " version " INT64_FORMAT
				  " (this build knows %s)", id, version, known_feature_sets());
	if (strcmp(name, fs->name) != 0)
	{
		DocPath		pn = {&p, "name", 0};

		doc_error(&pn, "feature set id " INT64_FORMAT " is \"%s\", not \"%s\"",
				  id, fs->name, name);
	}
	obj_get(&o, "features", true, &v);
	names = as_array(&v, &pf, fs->n_features, fs->n_features, &n);
	for (j = 0; j < n; j++)
	{
		DocPath		pe = {&pf, NULL, j};
		JsonbValue *e = getIthJsonbValueFromContainer(names, j);
		char	   *feature = as_string(e, &pe);

		if (strcmp(feature, fs->names[j]) != 0)
			doc_error(&pe, "expected feature \"%s\", not \"%s\"", fs->names[j], feature);
	}
	obj_close(&o);
	return fs;
}

/* The transform, with the core's range rules checked where they apply. */
static void
read_transform(DocObject *top, int n, QpmTransform *t)
{
	JsonbValue	v;
	DocPath		p = {top->path, "transform", 0};
	DocPath		pf = {&p, "features", 0};
	DocObject	o;
	JsonbContainer *features;
	int			len;
	int			j;

	obj_get(top, "transform", true, &v);
	obj_open(&o, &v, &p);
	t->n_features = n;
	t->clip_lo_pct = get_double(&o, "clip_low_pct");
	t->clip_hi_pct = get_double(&o, "clip_high_pct");
	if (!(t->clip_lo_pct >= 0.0 && t->clip_lo_pct < 100.0))
	{
		DocPath		pp = {&p, "clip_low_pct", 0};

		doc_error(&pp, "must be at least 0 and below 100");
	}
	if (!(t->clip_hi_pct > t->clip_lo_pct && t->clip_hi_pct <= 100.0))
	{
		DocPath		pp = {&p, "clip_high_pct", 0};

		doc_error(&pp, "must be above clip_low_pct and at most 100");
	}
	t->standardize = get_bool(&o, "standardize") ? 1 : 0;
	obj_get(&o, "features", true, &v);
	features = as_array(&v, &pf, n, n, &len);
	for (j = 0; j < n; j++)
	{
		DocPath		pe = {&pf, NULL, j};
		QpmFeatureTransform *f = &t->f[j];
		DocObject	fo;

		obj_open(&fo, getIthJsonbValueFromContainer(features, j), &pe);
		f->impute = get_double(&fo, "impute");
		f->clip_lo = get_double(&fo, "clip_lo");
		f->clip_hi = get_double(&fo, "clip_hi");
		if (!(f->clip_lo <= f->clip_hi))
		{
			DocPath		pp = {&pe, "clip_hi", 0};

			doc_error(&pp, "must be at least clip_lo");
		}
		f->log1p = get_bool(&fo, "log1p") ? 1 : 0;
		f->center = get_double(&fo, "center");
		f->scale = get_double(&fo, "scale");
		if (!(f->scale > 0.0))
		{
			DocPath		pp = {&pe, "scale", 0};

			doc_error(&pp, "must be a positive number");
		}
		obj_close(&fo);
	}
	obj_close(&o);
}

/* The prediction interval on the log scale. */
static void
read_interval(DocObject *top, QpmInterval *iv)
{
	JsonbValue	v;
	DocPath		p = {top->path, "interval", 0};
	DocObject	o;

	obj_get(top, "interval", true, &v);
	obj_open(&o, &v, &p);
	iv->level = get_double(&o, "level");
	if (!(iv->level > 0.0 && iv->level < 1.0))
	{
		DocPath		pp = {&p, "level", 0};

		doc_error(&pp, "must be between 0 and 1 (exclusive)");
	}
	iv->resid_lo = get_double(&o, "log_low");
	if (!(iv->resid_lo <= 0.0))
	{
		DocPath		pp = {&p, "log_low", 0};

		doc_error(&pp, "must be at most 0");
	}
	iv->resid_hi = get_double(&o, "log_high");
	if (!(iv->resid_hi >= 0.0))
	{
		DocPath		pp = {&p, "log_high", 0};

		doc_error(&pp, "must be at least 0");
	}
	obj_close(&o);
}

/* The linear model's intercept and coefficients. */
static void
read_linear(DocObject *top, int n, QpmLinear *lin)
{
	JsonbValue	v;
	DocPath		p = {top->path, "linear", 0};
	DocPath		pc = {&p, "coefficients", 0};
	DocObject	o;
	JsonbContainer *coef;
	int			len;
	int			j;

	obj_get(top, "linear", true, &v);
	obj_open(&o, &v, &p);
	lin->intercept = get_double(&o, "intercept");
	obj_get(&o, "coefficients", true, &v);
	coef = as_array(&v, &pc, n, n, &len);
	for (j = 0; j < n; j++)
	{
		DocPath		pe = {&pc, NULL, j};

		lin->coef[j] = as_double(getIthJsonbValueFromContainer(coef, j), &pe);
	}
	obj_close(&o);
}

/*
 * One tree's nodes into the flat array at out (size nodes).  Children must
 * come later in the same tree: that is what makes every walk end, and
 * checking it here names the offending key; the rest of the structure
 * (one parent per node) is qpm_forest_validate's.
 */
static void
read_tree_nodes(JsonbContainer *nodes, int size, int n_features,
				const DocPath *pn, QpmTreeNode *out)
{
	int			i;

	for (i = 0; i < size; i++)
	{
		DocPath		pe = {pn, NULL, i};
		DocObject	o;
		JsonbValue	v;
		QpmTreeNode *node = &out[i];

		obj_open(&o, getIthJsonbValueFromContainer(nodes, i), &pe);
		if (obj_get(&o, "leaf", false, &v))
		{
			DocPath		pl = {&pe, "leaf", 0};

			node->left = node->right = node->feature = -1;
			node->default_left = 0;
			node->value = as_float(&v, &pl);
			node->cover = get_float(&o, "cover", false);
			node->gain = get_float(&o, "gain", false);
			if (node->gain != 0.0f)
			{
				DocPath		pg = {&pe, "gain", 0};

				doc_error(&pg, "must be 0 for a leaf");
			}
		}
		else
		{
			DocPath		pf = {&pe, "feature", 0};

			if (!obj_get(&o, "feature", false, &v))
				doc_error(&pe, "missing key \"leaf\" (for a leaf) or \"feature\" (for a split)");
			node->feature = (int32) as_integer(&v, &pf, 0, n_features - 1);
			node->value = get_float(&o, "threshold", true);
			node->left = (int32) get_integer(&o, "left", PG_INT32_MIN, PG_INT32_MAX);
			if (node->left <= i || node->left >= size)
			{
				DocPath		pc = {&pe, "left", 0};

				doc_error(&pc, "must be the index of a later node of this tree (%d to %d), not %d",
						  i + 1, size - 1, node->left);
			}
			node->right = (int32) get_integer(&o, "right", PG_INT32_MIN, PG_INT32_MAX);
			if (node->right <= i || node->right >= size)
			{
				DocPath		pc = {&pe, "right", 0};

				doc_error(&pc, "must be the index of a later node of this tree (%d to %d), not %d",
						  i + 1, size - 1, node->right);
			}
			node->default_left = get_bool(&o, "default_left") ? 1 : 0;
			node->cover = get_float(&o, "cover", false);
			node->gain = get_float(&o, "gain", false);
		}
		if (!(node->cover >= 0.0f))
		{
			DocPath		pc = {&pe, "cover", 0};

			doc_error(&pc, "must be at least 0");
		}
		obj_close(&o);
	}
}

/*
 * The forest: counts are checked against forest.h's limits before the one
 * allocation, then the nodes are read tree by tree and the result goes
 * through qpm_forest_validate, the walker's gate.
 */
static QpmForest *
read_forest(DocObject *top, int n_features)
{
	JsonbValue	v;
	DocPath		p = {top->path, "forest", 0};
	DocPath		pt = {&p, "trees", 0};
	DocObject	o;
	JsonbContainer *trees;
	JsonbContainer **tree_nodes;
	int		   *tree_size;
	int			n_trees;
	int64		n_nodes = 0;
	float		base_score;
	QpmForest  *f;
	MemoryContext scratch;
	MemoryContext old;
	char		err[256];
	int			t;

	obj_get(top, "forest", true, &v);
	obj_open(&o, &v, &p);
	base_score = get_float(&o, "base_score", true);
	obj_get(&o, "trees", true, &v);
	trees = as_array(&v, &pt, 1, QPM_FOREST_MAX_TREES, &n_trees);
	obj_close(&o);

	/* first pass: shapes and sizes, nothing large allocated yet */
	tree_nodes = palloc(sizeof(JsonbContainer *) * n_trees);
	tree_size = palloc(sizeof(int) * n_trees);
	scratch = AllocSetContextCreate(CurrentMemoryContext, "query_perf_ml import",
									ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(scratch);
	for (t = 0; t < n_trees; t++)
	{
		DocPath		pe = {&pt, NULL, t};
		DocPath		pn = {&pe, "nodes", 0};
		DocObject	to;
		JsonbValue	nv;

		CHECK_FOR_INTERRUPTS();
		obj_open(&to, getIthJsonbValueFromContainer(trees, t), &pe);
		obj_get(&to, "nodes", true, &nv);
		tree_nodes[t] = as_array(&nv, &pn, 1, QPM_FOREST_MAX_TREE_NODES, &tree_size[t]);
		obj_close(&to);
		n_nodes += tree_size[t];
		if (n_nodes > QPM_FOREST_MAX_NODES)
			doc_error(&pt, "the trees have more than %d nodes in all",
					  QPM_FOREST_MAX_NODES);
		MemoryContextReset(scratch);
	}
	MemoryContextSwitchTo(old);

	f = qpm_forest_alloc(n_trees, (int32) n_nodes, n_features);
	if (f == NULL)
		elog(ERROR, "could not allocate a forest of %d trees and " INT64_FORMAT " nodes",
			 n_trees, n_nodes);
	f->base_score = base_score;
	f->tree_offset[0] = 0;
	for (t = 0; t < n_trees; t++)
	{
		DocPath		pe = {&pt, NULL, t};
		DocPath		pn = {&pe, "nodes", 0};

		CHECK_FOR_INTERRUPTS();
		f->tree_offset[t + 1] = f->tree_offset[t] + tree_size[t];
		old = MemoryContextSwitchTo(scratch);
		read_tree_nodes(tree_nodes[t], tree_size[t], n_features, &pn,
						f->nodes + f->tree_offset[t]);
		MemoryContextSwitchTo(old);
		MemoryContextReset(scratch);
	}
	MemoryContextDelete(scratch);

	if (qpm_forest_validate(f, err, sizeof(err)) != 0)
		doc_error(&p, "%s", err);
	return f;
}

/* n_train / n_test: the document's own, else from metrics, else 0. */
static int64
read_count(DocObject *top, const char *key, Jsonb *metrics)
{
	JsonbValue	v;
	DocPath		p = {top->path, key, 0};

	if (obj_get(top, key, false, &v))
		return as_integer(&v, &p, 0, DOC_MAX_COUNT);
	if (getKeyJsonValueFromContainer(&metrics->root, key, (int) strlen(key), &v) != NULL &&
		v.type == jbvNumeric)
	{
		double		d = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
														   NumericGetDatum(v.val.numeric)));

		if (d == floor(d) && d >= 0 && d <= (double) DOC_MAX_COUNT)
			return (int64) d;
	}
	return 0;
}

/* metrics / options: an object (stored as is), or absent or null for {}. */
static Jsonb *
read_free_object(DocObject *top, const char *key)
{
	JsonbValue	v;
	DocPath		p = {top->path, key, 0};

	if (!obj_get(top, key, false, &v) || v.type == jbvNull)
		return qpm_jsonb_from_cstring("{}");
	(void) as_container(&v, &p, true);
	return JsonbValueToJsonb(&v);
}

/*
 * The metrics train_model writes (metric_rules), where present: integers
 * that are counts, numbers (or null, for a metric that was undefined) in
 * their range.  Other keys are stored as they are.
 */
static void
check_metrics(DocObject *top, Jsonb *metrics)
{
	DocPath		pm = {top->path, "metrics", 0};
	int			i;

	for (i = 0; i < (int) lengthof(metric_rules); i++)
	{
		const MetricRule *r = &metric_rules[i];
		DocPath		p = {&pm, r->key, 0};
		JsonbValue	v;
		double		d;

		if (getKeyJsonValueFromContainer(&metrics->root, r->key, (int) strlen(r->key), &v) == NULL)
			continue;
		if (r->integer)
		{
			(void) as_integer(&v, &p, 0, DOC_MAX_COUNT);
			continue;
		}
		if (v.type == jbvNull)
			continue;
		if (v.type != jbvNumeric)
			doc_error(&p, "must be a number or null, not %s", value_kind(&v));
		d = as_double(&v, &p);
		if (r->min == -DBL_MAX && d > r->max)
			doc_error(&p, "must be at most %g", r->max);
		if (r->max == DBL_MAX && d < r->min)
			doc_error(&p, "must be at least %g", r->min);
		if ((r->min_exclusive ? d <= r->min : d < r->min) ||
			(r->max_exclusive ? d >= r->max : d > r->max))
			doc_error(&p, "must be %s %g and %s %g",
					  r->min_exclusive ? "greater than" : "at least", r->min,
					  r->max_exclusive ? "less than" : "at most", r->max);
	}
}

/*
 * Provenance: the document's name, version, created_at and extension_version
 * say which version of which model this is (a fleet's servers import the
 * central one); they go into metrics.imported_from, replacing an
 * imported_from the document's metrics carry from an earlier import.
 * check_optional has checked their types.
 */
static Jsonb *
add_provenance(Jsonb *doc, Jsonb *metrics)
{
	static const char *const keys[] = {"name", "version", "created_at", "extension_version"};
	StringInfoData b;
	int			i;
	bool		first = true;

	initStringInfo(&b);
	appendStringInfoString(&b, "{\"imported_from\": {");
	for (i = 0; i < (int) lengthof(keys); i++)
	{
		JsonbValue	v;

		if (getKeyJsonValueFromContainer(&doc->root, keys[i], (int) strlen(keys[i]), &v) == NULL)
			continue;
		if (!first)
			appendStringInfoString(&b, ", ");
		first = false;
		escape_json(&b, keys[i]);
		appendStringInfoString(&b, ": ");
		if (v.type == jbvString)
			escape_json(&b, pnstrdup(v.val.string.val, v.val.string.len));
		else
			appendStringInfoString(&b, DatumGetCString(DirectFunctionCall1(numeric_out,
																		   NumericGetDatum(v.val.numeric))));
	}
	appendStringInfoString(&b, "}}");
	return DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(metrics),
											  JsonbPGetDatum(qpm_jsonb_from_cstring(b.data))));
}

/* import_model(doc, name): validate everything, store and activate a new version. */
Datum
qpm_import_model(PG_FUNCTION_ARGS)
{
	Jsonb	   *doc;
	char	   *name;
	DocPath		root = {NULL, NULL, 0};
	DocObject	top;
	JsonbValue	rootv;
	JsonbValue	v;
	char	   *format;
	int64		format_version;
	char	   *alg_name;
	QpmModel	m;
	char		err[256];
	size_t		blob_len;
	bytea	   *blob;
	QpmModel	check;
	QpmNewModel nm;
	int32		version;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model document must not be NULL")));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model name must not be NULL")));
	doc = PG_GETARG_JSONB_P(0);
	name = qpm_model_name_arg(PG_GETARG_TEXT_PP(1));

	if (JB_ROOT_IS_SCALAR(doc) || !JB_ROOT_IS_OBJECT(doc))
		doc_error(&root, "the document must be an object, not %s",
				  JB_ROOT_IS_SCALAR(doc) ? "a scalar" : "an array");
	rootv.type = jbvBinary;
	rootv.val.binary.data = &doc->root;
	rootv.val.binary.len = VARSIZE(doc) - VARHDRSZ;
	obj_open(&top, &rootv, &root);

	/* the format first: a newer document is refused for that reason alone */
	format = get_string(&top, "format");
	if (strcmp(format, DOC_FORMAT) != 0)
	{
		DocPath		p = {&root, "format", 0};

		doc_error(&p, "must be \"%s\", not \"%s\"", DOC_FORMAT, format);
	}
	obj_get(&top, "format_version", true, &v);
	{
		DocPath		p = {&root, "format_version", 0};

		format_version = as_integer(&v, &p, 1, PG_INT32_MAX);
		if (format_version > DOC_FORMAT_VERSION)
			doc_error(&p, "format version " INT64_FORMAT " is newer than this build reads (up to %d); upgrade query_perf_ml",
					  format_version, DOC_FORMAT_VERSION);
	}

	memset(&m, 0, sizeof(m));
	alg_name = get_string(&top, "algorithm");
	m.algorithm = qpm_algorithm_from_name(alg_name);
	if (m.algorithm == 0)
	{
		DocPath		p = {&root, "algorithm", 0};

		doc_error(&p, "unknown algorithm \"%s\" (known: linear, gradient_boosting, random_forest)",
				  alg_name);
	}
	m.feature_set = read_feature_set(&top);
	read_transform(&top, m.feature_set->n_features, &m.transform);
	read_interval(&top, &m.interval);
	if (m.algorithm == QPM_ALG_LINEAR)
	{
		read_linear(&top, m.feature_set->n_features, &m.linear);
		if (obj_get(&top, "forest", false, &v))
		{
			DocPath		p = {&root, "forest", 0};

			doc_error(&p, "a linear model has no forest");
		}
	}
	else
	{
		m.forest = read_forest(&top, m.feature_set->n_features);
		if (obj_get(&top, "linear", false, &v))
		{
			DocPath		p = {&root, "linear", 0};

			doc_error(&p, "a %s model has no linear coefficients", alg_name);
		}
	}

	/* metadata: stored (metrics, options, counts) or only type-checked */
	memset(&nm, 0, sizeof(nm));
	nm.metrics = read_free_object(&top, "metrics");
	check_metrics(&top, nm.metrics);
	nm.options = read_free_object(&top, "options");
	nm.n_train = read_count(&top, "n_train", nm.metrics);
	nm.n_test = read_count(&top, "n_test", nm.metrics);
	check_optional(&top, "extension_version", jbvString);
	check_optional(&top, "name", jbvString);
	check_optional(&top, "version", jbvNumeric);
	check_optional(&top, "created_at", jbvString);
	obj_close(&top);
	nm.metrics = add_provenance(doc, nm.metrics);

	/* the core's rules have the last word, then the blob must load */
	if (qpm_model_validate(&m, err, sizeof(err)) != 0)
		doc_error(&root, "%s", err);
	blob_len = qpm_model_serialized_size(&m);
	blob = palloc(VARHDRSZ + blob_len);
	if (blob_len == 0 ||
		qpm_model_serialize(&m, (uint8 *) VARDATA(blob), blob_len) != blob_len)
		elog(ERROR, "could not serialize the imported model");
	SET_VARSIZE(blob, VARHDRSZ + blob_len);
	if (qpm_model_deserialize((const uint8 *) VARDATA(blob), blob_len, &check,
							  err, sizeof(err)) != 0)
		doc_error(&root, "%s", err);

	nm.name = name;
	nm.algorithm = qpm_algorithm_name(m.algorithm);
	nm.feature_set = psprintf("%s/%u", m.feature_set->name,
							  (unsigned) m.feature_set->version);
	nm.source = "import";
	nm.blob = blob;
	nm.activate = true;
	PG_RETURN_INT64(qpm_catalog_store(&nm, &version));
}
