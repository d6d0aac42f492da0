/*
 * sql_export.c — export_model() and import_model(): the SQL entry points of
 * the portable model document (model_document.c holds the document itself:
 * its layout, exactness and validation rules).
 *
 * Export reads the version through catalog.c as the caller (model_store is
 * readable by PUBLIC) and writes its blob's model as a document; import
 * reads a document into a model and stores it through
 * qpm_catalog_store_model, which writes as the extension owner, refuses a
 * blob above query_perf_ml.max_model_size, and here activates the new
 * version.  An import has no source relation to retrain on (source
 * 'import', source_relation NULL); what it was (the document's name,
 * version, created_at, extension_version) goes into metrics.imported_from.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "catalog.h"
#include "model_cache.h"
#include "model_document.h"
#include "qpm_settings.h"
#include "sql_common.h"

PG_FUNCTION_INFO_V1(qpm_export_model);
PG_FUNCTION_INFO_V1(qpm_import_model);

/* export_model(name, version): the document of one version (NULL: the active one). */
Datum
qpm_export_model(PG_FUNCTION_ARGS)
{
	char	   *name;
	QpmStoredModel *sm;
	QpmModel	model;
	QpmModelDocMeta meta;
	char		what[QPM_MAX_NAME_BYTES + 32];

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model name must not be NULL")));
	name = qpm_model_name_arg(PG_GETARG_TEXT_PP(0));
	sm = qpm_catalog_load_version(name, PG_ARGISNULL(1),
								  PG_ARGISNULL(1) ? 0 : PG_GETARG_INT32(1));
	snprintf(what, sizeof(what), "\"%s\" version %d", name, sm->version);
	qpm_model_from_blob(sm->blob, what, &model);

	meta.name = name;
	meta.version = sm->version;
	meta.created_at = sm->created_at;
	meta.n_train = sm->n_train;
	meta.n_test = sm->n_test;
	meta.metrics = sm->metrics;
	meta.options = sm->options;
	PG_RETURN_JSONB_P(qpm_model_document_write(&model, &meta));
}

/*
 * Provenance: the document's name, version, created_at and extension_version
 * say which version of which model this is (a fleet's servers import the
 * central one); they go into metrics.imported_from, replacing an
 * imported_from the document's metrics carry from an earlier import.
 * qpm_model_document_read has checked their types.
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
	QpmModel	m;
	QpmModelDocMeta meta;
	QpmNewModel nm;
	char	   *name;
	int32		version;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model document must not be NULL")));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model name must not be NULL")));
	name = qpm_model_name_arg(PG_GETARG_TEXT_PP(1));
	qpm_model_document_read(PG_GETARG_JSONB_P(0), &m, &meta);

	memset(&nm, 0, sizeof(nm));
	nm.name = name;
	nm.source = "import";
	nm.n_train = meta.n_train;
	nm.n_test = meta.n_test;
	nm.metrics = add_provenance(PG_GETARG_JSONB_P(0), meta.metrics);
	nm.options = meta.options;
	nm.activate = true;
	PG_RETURN_INT64(qpm_catalog_store_model(&m, &nm, &version));
}
