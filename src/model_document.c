/*
 * model_document.c — the portable model document: a model version as
 * versioned JSON, written by export_model() and read by import_model()
 * (their entry points are sql_export.c's).
 *
 * The document (format "query_perf_ml.model", format_version 1; README
 * "Export and import" shows it) holds everything the blob holds, by name
 * rather than by byte offset: the feature set (id, name, version, feature
 * names in vector order), the transform, the interval, the linear
 * coefficients or the forest, and the catalog's metadata (metrics, options,
 * row counts).  A forest is XGBoost-free flat nodes: per tree a list in
 * preorder, each split naming its children by index in that list.
 *
 * Exactness.  An imported model predicts bit for bit like the original:
 * doubles are printed with the shortest text that reads back to the same
 * double, jsonb keeps the decimal digits (numeric), and jsonb_reader.c's
 * strtod turns them back into that double.  Tree values are floats,
 * widened to double on export; on import a value is accepted only if
 * (double) (float) v == v, so a hand-edited value a float cannot hold is
 * refused rather than rounded.  (A negative zero comes back as zero; no
 * prediction depends on its sign.)
 *
 * Validation.  A document may come from anywhere: every key is read with
 * its type (unknown keys are errors), array lengths are checked against
 * forest.h's limits before anything is allocated, and each value's range
 * is checked with the path of the offending value in the error detail
 * ($.transform.features[3].scale).  Those checks mirror the core's rules
 * for readable messages; the core has the last word: the model passes
 * qpm_model_validate and qpm_forest_validate, and its blob must load (it
 * is serialized for that check, and again by qpm_catalog_store_model:
 * cheap beside reading the jsonb), so import never stores a model that
 * loading would refuse.  Per-tree scratch lives in a context reset after
 * each tree.  metrics is a free object, but the keys the extension itself
 * reads are checked like the model (metric_rules): a median_q_error below
 * 1 would break prediction_accuracy() and the drift check.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "common/shortest_dec.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "core/serialize.h"
#include "catalog.h"
#include "jsonb_reader.h"
#include "model_document.h"
#include "qpm_settings.h"
#include "sql_common.h"

#define DOC_FORMAT			"query_perf_ml.model"
#define DOC_FORMAT_VERSION	1
/* Largest count kept exactly by a double; bounds n_train / n_test. */
#define DOC_MAX_COUNT		INT64CONST(9007199254740991)

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
/* ---- writing ---- */

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

/* ---- reading ---- */

/* Optional informational member: checked for type, value unused. */
static void
check_optional(QpmJsonObject *o, const char *key, enum jbvType type)
{
	JsonbValue	v;
	QpmJsonPath		p = {o->path, key, 0};

	if (!qpm_json_get(o, key, false, &v))
		return;
	if (type == jbvString)
		(void) qpm_json_string(&v, &p);
	else
		(void) qpm_json_integer(&v, &p, 1, PG_INT32_MAX);
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
read_feature_set(QpmJsonObject *top)
{
	JsonbValue	v;
	QpmJsonPath		p = {top->path, "feature_set", 0};
	QpmJsonPath		pf = {&p, "features", 0};
	QpmJsonObject	o;
	const QpmFeatureSet *fs;
	JsonbContainer *names;
	int64		id;
	int64		version;
	char	   *name;
	int			n;
	int			j;

	qpm_json_get(top, "feature_set", true, &v);
	qpm_json_open(&o, &v, &p);
	id = qpm_json_get_integer(&o, "id", 1, PG_UINT16_MAX);
	name = qpm_json_get_string(&o, "name");
	version = qpm_json_get_integer(&o, "version", 1, PG_UINT16_MAX);
	fs = qpm_feature_set_find((uint16) id, (uint16) version);
	if (fs == NULL)
		qpm_json_error(&p, "unknown feature set id " INT64_FORMAT " version " INT64_FORMAT
				  " (this build knows %s)", id, version, known_feature_sets());
	if (strcmp(name, fs->name) != 0)
	{
		QpmJsonPath		pn = {&p, "name", 0};

		qpm_json_error(&pn, "feature set id " INT64_FORMAT " is \"%s\", not \"%s\"",
				  id, fs->name, name);
	}
	qpm_json_get(&o, "features", true, &v);
	names = qpm_json_array(&v, &pf, fs->n_features, fs->n_features, &n);
	for (j = 0; j < n; j++)
	{
		QpmJsonPath		pe = {&pf, NULL, j};
		JsonbValue *e = getIthJsonbValueFromContainer(names, j);
		char	   *feature = qpm_json_string(e, &pe);

		if (strcmp(feature, fs->names[j]) != 0)
			qpm_json_error(&pe, "expected feature \"%s\", not \"%s\"", fs->names[j], feature);
	}
	qpm_json_close(&o);
	return fs;
}

/* The transform, with the core's range rules checked where they apply. */
static void
read_transform(QpmJsonObject *top, int n, QpmTransform *t)
{
	JsonbValue	v;
	QpmJsonPath		p = {top->path, "transform", 0};
	QpmJsonPath		pf = {&p, "features", 0};
	QpmJsonObject	o;
	JsonbContainer *features;
	int			len;
	int			j;

	qpm_json_get(top, "transform", true, &v);
	qpm_json_open(&o, &v, &p);
	t->n_features = n;
	t->clip_lo_pct = qpm_json_get_double(&o, "clip_low_pct");
	t->clip_hi_pct = qpm_json_get_double(&o, "clip_high_pct");
	if (!(t->clip_lo_pct >= 0.0 && t->clip_lo_pct < 100.0))
	{
		QpmJsonPath		pp = {&p, "clip_low_pct", 0};

		qpm_json_error(&pp, "must be at least 0 and below 100");
	}
	if (!(t->clip_hi_pct > t->clip_lo_pct && t->clip_hi_pct <= 100.0))
	{
		QpmJsonPath		pp = {&p, "clip_high_pct", 0};

		qpm_json_error(&pp, "must be above clip_low_pct and at most 100");
	}
	t->standardize = qpm_json_get_bool(&o, "standardize") ? 1 : 0;
	qpm_json_get(&o, "features", true, &v);
	features = qpm_json_array(&v, &pf, n, n, &len);
	for (j = 0; j < n; j++)
	{
		QpmJsonPath		pe = {&pf, NULL, j};
		QpmFeatureTransform *f = &t->f[j];
		QpmJsonObject	fo;

		qpm_json_open(&fo, getIthJsonbValueFromContainer(features, j), &pe);
		f->impute = qpm_json_get_double(&fo, "impute");
		f->clip_lo = qpm_json_get_double(&fo, "clip_lo");
		f->clip_hi = qpm_json_get_double(&fo, "clip_hi");
		if (!(f->clip_lo <= f->clip_hi))
		{
			QpmJsonPath		pp = {&pe, "clip_hi", 0};

			qpm_json_error(&pp, "must be at least clip_lo");
		}
		f->log1p = qpm_json_get_bool(&fo, "log1p") ? 1 : 0;
		f->center = qpm_json_get_double(&fo, "center");
		f->scale = qpm_json_get_double(&fo, "scale");
		if (!(f->scale > 0.0))
		{
			QpmJsonPath		pp = {&pe, "scale", 0};

			qpm_json_error(&pp, "must be a positive number");
		}
		qpm_json_close(&fo);
	}
	qpm_json_close(&o);
}

/* The prediction interval on the log scale. */
static void
read_interval(QpmJsonObject *top, QpmInterval *iv)
{
	JsonbValue	v;
	QpmJsonPath		p = {top->path, "interval", 0};
	QpmJsonObject	o;

	qpm_json_get(top, "interval", true, &v);
	qpm_json_open(&o, &v, &p);
	iv->level = qpm_json_get_double(&o, "level");
	if (!(iv->level > 0.0 && iv->level < 1.0))
	{
		QpmJsonPath		pp = {&p, "level", 0};

		qpm_json_error(&pp, "must be between 0 and 1 (exclusive)");
	}
	iv->resid_lo = qpm_json_get_double(&o, "log_low");
	if (!(iv->resid_lo <= 0.0))
	{
		QpmJsonPath		pp = {&p, "log_low", 0};

		qpm_json_error(&pp, "must be at most 0");
	}
	iv->resid_hi = qpm_json_get_double(&o, "log_high");
	if (!(iv->resid_hi >= 0.0))
	{
		QpmJsonPath		pp = {&p, "log_high", 0};

		qpm_json_error(&pp, "must be at least 0");
	}
	qpm_json_close(&o);
}

/* The linear model's intercept and coefficients. */
static void
read_linear(QpmJsonObject *top, int n, QpmLinear *lin)
{
	JsonbValue	v;
	QpmJsonPath		p = {top->path, "linear", 0};
	QpmJsonPath		pc = {&p, "coefficients", 0};
	QpmJsonObject	o;
	JsonbContainer *coef;
	int			len;
	int			j;

	qpm_json_get(top, "linear", true, &v);
	qpm_json_open(&o, &v, &p);
	lin->intercept = qpm_json_get_double(&o, "intercept");
	qpm_json_get(&o, "coefficients", true, &v);
	coef = qpm_json_array(&v, &pc, n, n, &len);
	for (j = 0; j < n; j++)
	{
		QpmJsonPath		pe = {&pc, NULL, j};

		lin->coef[j] = qpm_json_double(getIthJsonbValueFromContainer(coef, j), &pe);
	}
	qpm_json_close(&o);
}

/*
 * One tree's nodes into the flat array at out (size nodes).  Children must
 * come later in the same tree: that is what makes every walk end, and
 * checking it here names the offending key; the rest of the structure
 * (one parent per node) is qpm_forest_validate's.
 */
static void
read_tree_nodes(JsonbContainer *nodes, int size, int n_features,
				const QpmJsonPath *pn, QpmTreeNode *out)
{
	int			i;

	for (i = 0; i < size; i++)
	{
		QpmJsonPath		pe = {pn, NULL, i};
		QpmJsonObject	o;
		JsonbValue	v;
		QpmTreeNode *node = &out[i];

		qpm_json_open(&o, getIthJsonbValueFromContainer(nodes, i), &pe);
		if (qpm_json_get(&o, "leaf", false, &v))
		{
			QpmJsonPath		pl = {&pe, "leaf", 0};

			node->left = node->right = node->feature = -1;
			node->default_left = 0;
			node->value = qpm_json_float(&v, &pl);
			node->cover = qpm_json_get_float(&o, "cover", false);
			node->gain = qpm_json_get_float(&o, "gain", false);
			if (node->gain != 0.0f)
			{
				QpmJsonPath		pg = {&pe, "gain", 0};

				qpm_json_error(&pg, "must be 0 for a leaf");
			}
		}
		else
		{
			QpmJsonPath		pf = {&pe, "feature", 0};

			if (!qpm_json_get(&o, "feature", false, &v))
				qpm_json_error(&pe, "missing key \"leaf\" (for a leaf) or \"feature\" (for a split)");
			node->feature = (int32) qpm_json_integer(&v, &pf, 0, n_features - 1);
			node->value = qpm_json_get_float(&o, "threshold", true);
			node->left = (int32) qpm_json_get_integer(&o, "left", PG_INT32_MIN, PG_INT32_MAX);
			if (node->left <= i || node->left >= size)
			{
				QpmJsonPath		pc = {&pe, "left", 0};

				qpm_json_error(&pc, "must be the index of a later node of this tree (%d to %d), not %d",
						  i + 1, size - 1, node->left);
			}
			node->right = (int32) qpm_json_get_integer(&o, "right", PG_INT32_MIN, PG_INT32_MAX);
			if (node->right <= i || node->right >= size)
			{
				QpmJsonPath		pc = {&pe, "right", 0};

				qpm_json_error(&pc, "must be the index of a later node of this tree (%d to %d), not %d",
						  i + 1, size - 1, node->right);
			}
			node->default_left = qpm_json_get_bool(&o, "default_left") ? 1 : 0;
			node->cover = qpm_json_get_float(&o, "cover", false);
			node->gain = qpm_json_get_float(&o, "gain", false);
		}
		if (!(node->cover >= 0.0f))
		{
			QpmJsonPath		pc = {&pe, "cover", 0};

			qpm_json_error(&pc, "must be at least 0");
		}
		qpm_json_close(&o);
	}
}

/*
 * The forest: counts are checked against forest.h's limits before the one
 * allocation, then the nodes are read tree by tree and the result goes
 * through qpm_forest_validate, the walker's gate.
 */
static QpmForest *
read_forest(QpmJsonObject *top, int n_features)
{
	JsonbValue	v;
	QpmJsonPath		p = {top->path, "forest", 0};
	QpmJsonPath		pt = {&p, "trees", 0};
	QpmJsonObject	o;
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

	qpm_json_get(top, "forest", true, &v);
	qpm_json_open(&o, &v, &p);
	base_score = qpm_json_get_float(&o, "base_score", true);
	qpm_json_get(&o, "trees", true, &v);
	trees = qpm_json_array(&v, &pt, 1, QPM_FOREST_MAX_TREES, &n_trees);
	qpm_json_close(&o);

	/* first pass: shapes and sizes, nothing large allocated yet */
	tree_nodes = palloc(sizeof(JsonbContainer *) * n_trees);
	tree_size = palloc(sizeof(int) * n_trees);
	scratch = AllocSetContextCreate(CurrentMemoryContext, "query_perf_ml import",
									ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(scratch);
	for (t = 0; t < n_trees; t++)
	{
		QpmJsonPath		pe = {&pt, NULL, t};
		QpmJsonPath		pn = {&pe, "nodes", 0};
		QpmJsonObject	to;
		JsonbValue	nv;

		CHECK_FOR_INTERRUPTS();
		qpm_json_open(&to, getIthJsonbValueFromContainer(trees, t), &pe);
		qpm_json_get(&to, "nodes", true, &nv);
		tree_nodes[t] = qpm_json_array(&nv, &pn, 1, QPM_FOREST_MAX_TREE_NODES, &tree_size[t]);
		qpm_json_close(&to);
		n_nodes += tree_size[t];
		if (n_nodes > QPM_FOREST_MAX_NODES)
			qpm_json_error(&pt, "the trees have more than %d nodes in all",
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
		QpmJsonPath		pe = {&pt, NULL, t};
		QpmJsonPath		pn = {&pe, "nodes", 0};

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
		qpm_json_error(&p, "%s", err);
	return f;
}

/* n_train / n_test: the document's own, else from metrics, else 0. */
static int64
read_count(QpmJsonObject *top, const char *key, Jsonb *metrics)
{
	JsonbValue	v;
	QpmJsonPath		p = {top->path, key, 0};

	if (qpm_json_get(top, key, false, &v))
		return qpm_json_integer(&v, &p, 0, DOC_MAX_COUNT);
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
read_free_object(QpmJsonObject *top, const char *key)
{
	JsonbValue	v;
	QpmJsonPath		p = {top->path, key, 0};

	if (!qpm_json_get(top, key, false, &v) || v.type == jbvNull)
		return qpm_jsonb_from_cstring("{}");
	(void) qpm_json_container(&v, &p, true);
	return JsonbValueToJsonb(&v);
}

/*
 * The metrics train_model writes (metric_rules), where present: integers
 * that are counts, numbers (or null, for a metric that was undefined) in
 * their range.  Other keys are stored as they are.
 */
static void
check_metrics(QpmJsonObject *top, Jsonb *metrics)
{
	QpmJsonPath		pm = {top->path, "metrics", 0};
	int			i;

	for (i = 0; i < (int) lengthof(metric_rules); i++)
	{
		const MetricRule *r = &metric_rules[i];
		QpmJsonPath		p = {&pm, r->key, 0};
		JsonbValue	v;
		double		d;

		if (getKeyJsonValueFromContainer(&metrics->root, r->key, (int) strlen(r->key), &v) == NULL)
			continue;
		if (r->integer)
		{
			(void) qpm_json_integer(&v, &p, 0, DOC_MAX_COUNT);
			continue;
		}
		if (v.type == jbvNull)
			continue;
		if (v.type != jbvNumeric)
			qpm_json_error(&p, "must be a number or null, not %s", qpm_json_kind(&v));
		d = qpm_json_double(&v, &p);
		if (r->min == -DBL_MAX && d > r->max)
			qpm_json_error(&p, "must be at most %g", r->max);
		if (r->max == DBL_MAX && d < r->min)
			qpm_json_error(&p, "must be at least %g", r->min);
		if ((r->min_exclusive ? d <= r->min : d < r->min) ||
			(r->max_exclusive ? d >= r->max : d > r->max))
			qpm_json_error(&p, "must be %s %g and %s %g",
					  r->min_exclusive ? "greater than" : "at least", r->min,
					  r->max_exclusive ? "less than" : "at most", r->max);
	}
}

/*
 * The document of model m (loaded from a version's blob) with the catalog
 * row's metadata.
 */
Jsonb *
qpm_model_document_write(const QpmModel *m, const QpmModelDocMeta *meta)
{
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfoString(&b, "{\"format\": ");
	escape_json(&b, DOC_FORMAT);
	appendStringInfo(&b, ", \"format_version\": %d, \"extension_version\": ",
					 DOC_FORMAT_VERSION);
	escape_json(&b, QPM_LIBRARY_VERSION);
	appendStringInfoString(&b, ", \"name\": ");
	escape_json(&b, meta->name);
	appendStringInfo(&b, ", \"version\": %d, \"created_at\": ", meta->version);
	escape_json(&b, meta->created_at);
	appendStringInfoString(&b, ", \"algorithm\": ");
	escape_json(&b, qpm_algorithm_name(m->algorithm));
	appendStringInfoString(&b, ", \"feature_set\": ");
	export_feature_set(&b, m->feature_set);
	appendStringInfoString(&b, ", \"transform\": ");
	export_transform(&b, &m->transform);
	appendStringInfoString(&b, ", \"interval\": {");
	append_double_member(&b, "level", m->interval.level, true);
	append_double_member(&b, "log_low", m->interval.resid_lo, false);
	append_double_member(&b, "log_high", m->interval.resid_hi, false);
	appendStringInfoChar(&b, '}');
	if (m->algorithm == QPM_ALG_LINEAR)
	{
		appendStringInfoString(&b, ", \"linear\": ");
		export_linear(&b, &m->linear, m->transform.n_features);
	}
	else
	{
		appendStringInfoString(&b, ", \"forest\": ");
		export_forest(&b, m->forest);
	}
	appendStringInfo(&b, ", \"n_train\": " INT64_FORMAT ", \"n_test\": " INT64_FORMAT,
					 meta->n_train, meta->n_test);
	appendStringInfoString(&b, ", \"metrics\": ");
	append_jsonb(&b, meta->metrics);
	appendStringInfoString(&b, ", \"options\": ");
	append_jsonb(&b, meta->options);
	appendStringInfoChar(&b, '}');
	return qpm_jsonb_from_cstring(b.data);
}

/*
 * Read a document into *m and its metadata (metrics, options, row counts)
 * into *meta, or ERROR 22023 ("invalid model document") naming the path.
 * The model has passed the core's gates and its blob loads.
 */
void
qpm_model_document_read(Jsonb *doc, QpmModel *m, QpmModelDocMeta *meta)
{
	QpmJsonPath root = {NULL, NULL, 0, "invalid model document"};
	QpmJsonObject top;
	JsonbValue	rootv;
	JsonbValue	v;
	char	   *format;
	int64		format_version;
	char	   *alg_name;
	char		err[256];
	bytea	   *blob;
	QpmModel	check;

	if (JB_ROOT_IS_SCALAR(doc) || !JB_ROOT_IS_OBJECT(doc))
		qpm_json_error(&root, "the document must be an object, not %s",
					   JB_ROOT_IS_SCALAR(doc) ? "a scalar" : "an array");
	rootv.type = jbvBinary;
	rootv.val.binary.data = &doc->root;
	rootv.val.binary.len = VARSIZE(doc) - VARHDRSZ;
	qpm_json_open(&top, &rootv, &root);

	/* the format first: a newer document is refused for that reason alone */
	format = qpm_json_get_string(&top, "format");
	if (strcmp(format, DOC_FORMAT) != 0)
	{
		QpmJsonPath p = {&root, "format", 0};

		qpm_json_error(&p, "must be \"%s\", not \"%s\"", DOC_FORMAT, format);
	}
	qpm_json_get(&top, "format_version", true, &v);
	{
		QpmJsonPath p = {&root, "format_version", 0};

		format_version = qpm_json_integer(&v, &p, 1, PG_INT32_MAX);
		if (format_version > DOC_FORMAT_VERSION)
			qpm_json_error(&p, "format version " INT64_FORMAT " is newer than this build reads (up to %d); upgrade query_perf_ml",
						   format_version, DOC_FORMAT_VERSION);
	}

	memset(m, 0, sizeof(*m));
	alg_name = qpm_json_get_string(&top, "algorithm");
	m->algorithm = qpm_algorithm_from_name(alg_name);
	if (m->algorithm == 0)
	{
		QpmJsonPath p = {&root, "algorithm", 0};

		qpm_json_error(&p, "unknown algorithm \"%s\" (known: linear, gradient_boosting, random_forest)",
					   alg_name);
	}
	m->feature_set = read_feature_set(&top);
	read_transform(&top, m->feature_set->n_features, &m->transform);
	read_interval(&top, &m->interval);
	if (m->algorithm == QPM_ALG_LINEAR)
	{
		read_linear(&top, m->feature_set->n_features, &m->linear);
		if (qpm_json_get(&top, "forest", false, &v))
		{
			QpmJsonPath p = {&root, "forest", 0};

			qpm_json_error(&p, "a linear model has no forest");
		}
	}
	else
	{
		m->forest = read_forest(&top, m->feature_set->n_features);
		if (qpm_json_get(&top, "linear", false, &v))
		{
			QpmJsonPath p = {&root, "linear", 0};

			qpm_json_error(&p, "a %s model has no linear coefficients", alg_name);
		}
	}

	/* metadata: stored (metrics, options, counts) or only type-checked */
	memset(meta, 0, sizeof(*meta));
	meta->metrics = read_free_object(&top, "metrics");
	check_metrics(&top, meta->metrics);
	meta->options = read_free_object(&top, "options");
	meta->n_train = read_count(&top, "n_train", meta->metrics);
	meta->n_test = read_count(&top, "n_test", meta->metrics);
	check_optional(&top, "extension_version", jbvString);
	check_optional(&top, "name", jbvString);
	check_optional(&top, "version", jbvNumeric);
	check_optional(&top, "created_at", jbvString);
	qpm_json_close(&top);

	/* the core's rules have the last word, then the blob must load */
	if (qpm_model_validate(m, err, sizeof(err)) != 0)
		qpm_json_error(&root, "%s", err);
	blob = qpm_model_to_blob(m);
	if (qpm_model_deserialize((const uint8 *) VARDATA(blob), VARSIZE(blob) - VARHDRSZ,
							  &check, err, sizeof(err)) != 0)
		qpm_json_error(&root, "%s", err);
	pfree(blob);
}
