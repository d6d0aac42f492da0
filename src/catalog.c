/*
 * catalog.c — reading and writing the extension's tables: model_store and
 * prediction_log; and the one gateway every SQL the extension runs goes
 * through (qpm_owner_begin/end: SPI with search_path pinned, optionally as
 * the extension owner; training_jobs.c and worker_launcher.c use it too),
 * with the one SPI run/column helper pair (qpm_spi_run, qpm_spi_col).
 *
 * Reads run as the calling role (the table is readable by PUBLIC).  Writes
 * run as the table's owner — the extension owner — because roles that may
 * train (EXECUTE on train_model granted by the owner) must not be able to
 * write the table directly.  While the user id is switched, search_path is
 * pinned to pg_catalog so nothing the caller defined can run with the
 * owner's rights; both are restored at the end (and by transaction abort
 * on ERROR).  Version numbers are assigned under a SHARE ROW EXCLUSIVE
 * lock, which serializes writers but never blocks readers.
 *
 * qpm_catalog_store_model serializes and labels a model (qpm_model_to_blob)
 * and qpm_catalog_store is the one place it becomes a row, so the limits
 * on what is stored live here: a blob larger than query_perf_ml.max_model_size
 * is refused whoever made it (train_model, import_model), and the source
 * relation is stored as a regclass (source_relation, 1.2), the relation
 * itself, which retraining uses; the text column source stays for display.
 * prediction_log grows by at most query_perf_ml.prediction_log_max_rows
 * rows, counted as the span of log ids (two index probes: cheap enough
 * for every logged prediction, and never less than the rows there are).
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "core/serialize.h"
#include "catalog.h"
#include "qpm_settings.h"
#include "sql_common.h"

int			qpm_max_model_size_kb = 64 * 1024;

/* max_model_size, checked where a model is stored (query_perf_ml.c's banner). */
void
qpm_catalog_init(void)
{
	DefineCustomIntVariable("query_perf_ml.max_model_size",
							"Largest model a training or an import may store.",
							"Range 64 kB to 1 GB.  A training is refused before it starts when "
							"n_trees x max_depth could exceed it.",
							&qpm_max_model_size_kb,
							64 * 1024, 64, 1024 * 1024,
							PGC_SUSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
}


/* The model_store table, or ERROR. */
static Oid
model_store_relid(void)
{
	Oid			nsp = get_namespace_oid(QPM_SCHEMA, false);
	Oid			relid = get_relname_relid("model_store", nsp);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table %s.model_store does not exist", QPM_SCHEMA),
				 errhint("Recreate the extension with DROP EXTENSION / CREATE EXTENSION query_perf_ml.")));
	return relid;
}

/* Owner of the model_store table (= the extension owner). */
static Oid
model_store_owner(void)
{
	Oid			relid = model_store_relid();
	HeapTuple	tup;
	Oid			owner;

	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * Connect SPI with a pinned search_path, optionally as the extension owner
 * (the owner of model_store).  Shared by every writer of the extension's
 * tables (here and training_jobs.c).
 */
void
qpm_owner_begin(QpmOwnerSession *cs, bool as_owner)
{
	cs->caller_ctx = CurrentMemoryContext;
	cs->switched = false;
	if (as_owner)
	{
		Oid			owner = model_store_owner();

		GetUserIdAndSecContext(&cs->saved_userid, &cs->saved_sec_context);
		SetUserIdAndSecContext(owner, cs->saved_sec_context |
							   SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
		cs->switched = true;
	}
	cs->guc_nest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

/* Undo qpm_owner_begin. */
void
qpm_owner_end(QpmOwnerSession *cs)
{
	SPI_finish();
	AtEOXact_GUC(true, cs->guc_nest);
	if (cs->switched)
		SetUserIdAndSecContext(cs->saved_userid, cs->saved_sec_context);
}

/*
 * Run one statement through the SPI connection of the gateway (or any
 * SPI connection); ERROR unless SPI returns the expected code.  The one
 * SPI run helper of the extension, with qpm_spi_col.
 */
void
qpm_spi_run(const char *sql, int nargs, Oid *types, Datum *values,
			const char *nulls, bool read_only, int expected)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, values, nulls,
										   read_only, 0);

	if (rc != expected)
		elog(ERROR, "query_perf_ml query failed (%s): %s",
			 SPI_result_code_string(rc), sql);
}

/* Column c (1-based) of result row row of the last SPI statement. */
Datum
qpm_spi_col(uint64 row, int c, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, c, isnull);
}

/*
 * The one error for a model or version that is not there: which of the
 * three it is (no such model, no active version, no such version) takes a
 * second look at the table.  version_arg: the caller could have named a
 * version, so the hint says so.
 */
static void
model_not_found(Datum name_datum, const char *name, bool active, int32 version,
				bool version_arg)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];

	values[0] = name_datum;
	qpm_spi_run("SELECT 1 FROM query_perf_ml.model_store WHERE name = $1 LIMIT 1",
				1, types, values, NULL, true, SPI_OK_SELECT);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" does not exist", name),
				 errhint("SELECT name, version FROM query_perf_ml.models lists the models.")));
	if (active && version_arg)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("model \"%s\" has no active version", name),
				 errhint("Name a version, or activate one with query_perf_ml.activate_model('%s').", name)));
	if (active)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("model \"%s\" has no active version", name),
				 errhint("Activate one with query_perf_ml.activate_model('%s').", name)));
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("model \"%s\" has no version %d", name, version),
			 errhint("SELECT name, version FROM query_perf_ml.models lists the models.")));
}

/*
 * The first row of a model_store query (model_id, name, version, algorithm,
 * model[, n_train, n_test, created_at text, metrics, options]) copied into
 * ctx, out of SPI's memory.
 */
static QpmStoredModel *
stored_model_row(MemoryContext ctx, bool with_metadata)
{
	MemoryContext spi_ctx = MemoryContextSwitchTo(ctx);
	QpmStoredModel *sm = palloc0(sizeof(QpmStoredModel));
	bool		isnull;

	sm->model_id = DatumGetInt64(qpm_spi_col(0, 1, &isnull));
	sm->name = TextDatumGetCString(qpm_spi_col(0, 2, &isnull));
	sm->version = DatumGetInt32(qpm_spi_col(0, 3, &isnull));
	sm->algorithm = TextDatumGetCString(qpm_spi_col(0, 4, &isnull));
	sm->blob = DatumGetByteaPCopy(qpm_spi_col(0, 5, &isnull));
	if (with_metadata)
	{
		sm->n_train = DatumGetInt64(qpm_spi_col(0, 6, &isnull));
		sm->n_test = DatumGetInt64(qpm_spi_col(0, 7, &isnull));
		sm->created_at = TextDatumGetCString(qpm_spi_col(0, 8, &isnull));
		sm->metrics = DatumGetJsonbPCopy(qpm_spi_col(0, 9, &isnull));
		sm->options = DatumGetJsonbPCopy(qpm_spi_col(0, 10, &isnull));
	}
	MemoryContextSwitchTo(spi_ctx);
	return sm;
}

/* Load the active version of a model name (NULL = the default model). */
QpmStoredModel *
qpm_catalog_load_active(const char *name)
{
	QpmOwnerSession cs;
	QpmStoredModel *sm;
	Oid			types[1] = {TEXTOID};
	Datum		values[1];

	qpm_owner_begin(&cs, false);
	if (name != NULL)
	{
		values[0] = CStringGetTextDatum(name);
		qpm_spi_run("SELECT model_id, name, version, algorithm, model "
					"FROM query_perf_ml.model_store WHERE name = $1 AND is_active",
					1, types, values, NULL, true, SPI_OK_SELECT);
		if (SPI_processed == 0)
			model_not_found(values[0], name, true, 0, false);
	}
	else
	{
		qpm_spi_run("SELECT model_id, name, version, algorithm, model "
					"FROM query_perf_ml.model_store WHERE is_active "
					"ORDER BY activated_at DESC NULLS LAST, model_id DESC LIMIT 1",
					0, NULL, NULL, NULL, true, SPI_OK_SELECT);
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("no active model"),
					 errhint("Train one with SELECT * FROM query_perf_ml.train_model('default');")));
	}

	sm = stored_model_row(cs.caller_ctx, false);
	qpm_owner_end(&cs);
	return sm;
}

/*
 * One version of a model (active: the active one, else version) with the
 * metadata export_model writes, read as the caller.
 */
QpmStoredModel *
qpm_catalog_load_version(const char *name, bool active, int32 version)
{
	QpmOwnerSession cs;
	QpmStoredModel *sm;
	Oid			types[2] = {TEXTOID, INT4OID};
	Datum		values[2];

	qpm_owner_begin(&cs, false);
	values[0] = CStringGetTextDatum(name);
	values[1] = Int32GetDatum(version);
	qpm_spi_run(active ?
				"SELECT model_id, name, version, algorithm, model, n_train, n_test, "
				" to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
				" metrics, options "
				"FROM query_perf_ml.model_store WHERE name = $1 AND is_active" :
				"SELECT model_id, name, version, algorithm, model, n_train, n_test, "
				" to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
				" metrics, options "
				"FROM query_perf_ml.model_store WHERE name = $1 AND version = $2",
				active ? 1 : 2, types, values, NULL, true, SPI_OK_SELECT);
	if (SPI_processed == 0)
		model_not_found(values[0], name, active, version, true);

	sm = stored_model_row(cs.caller_ctx, true);
	qpm_owner_end(&cs);
	return sm;
}

/* Insert a new model version as the owner; activate it if asked. */
int64
qpm_catalog_store(const QpmNewModel *nm, int32 *version)
{
	QpmOwnerSession cs;
	Oid			caller = GetUserId();
	Oid			t1[1] = {TEXTOID};
	Datum		v1[1];
	Oid			ti[12] = {TEXTOID, INT4OID, TEXTOID, TEXTOID, NAMEOID, TEXTOID,
	INT8OID, INT8OID, JSONBOID, JSONBOID, BYTEAOID, OIDOID};
	Datum		vi[12];
	char		ni[12];
	Oid			ta[1] = {INT8OID};
	Datum		va[1];
	NameData	created_by;
	int64		model_id;
	bool		isnull;

	if (VARSIZE_ANY_EXHDR(nm->blob) > (Size) qpm_max_model_size_kb * 1024)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("model \"%s\" is larger than query_perf_ml.max_model_size", nm->name),
				 errdetail("The model takes %zu kB; the limit is %d kB.",
						   (VARSIZE_ANY_EXHDR(nm->blob) + 1023) / 1024, qpm_max_model_size_kb),
				 errhint("Ask a superuser to raise query_perf_ml.max_model_size.")));
	namestrcpy(&created_by, GetUserNameFromId(caller, false));
	qpm_owner_begin(&cs, true);
	qpm_spi_run("LOCK TABLE query_perf_ml.model_store IN SHARE ROW EXCLUSIVE MODE",
				0, NULL, NULL, NULL, false, SPI_OK_UTILITY);
	v1[0] = CStringGetTextDatum(nm->name);
	qpm_spi_run("SELECT coalesce(max(version), 0) + 1 FROM query_perf_ml.model_store WHERE name = $1",
				1, t1, v1, NULL, false, SPI_OK_SELECT);
	*version = DatumGetInt32(qpm_spi_col(0, 1, &isnull));

	memset(ni, ' ', sizeof(ni));
	vi[0] = v1[0];
	vi[1] = Int32GetDatum(*version);
	vi[2] = CStringGetTextDatum(nm->algorithm);
	vi[3] = CStringGetTextDatum(nm->feature_set);
	vi[4] = NameGetDatum(&created_by);
	if (nm->source)
		vi[5] = CStringGetTextDatum(nm->source);
	else
		ni[5] = 'n';
	vi[6] = Int64GetDatum(nm->n_train);
	vi[7] = Int64GetDatum(nm->n_test);
	vi[8] = JsonbPGetDatum(nm->metrics);
	vi[9] = JsonbPGetDatum(nm->options);
	vi[10] = PointerGetDatum(nm->blob);
	vi[11] = ObjectIdGetDatum(nm->source_relid);
	if (!OidIsValid(nm->source_relid))
		ni[11] = 'n';
	/* A database still at 1.0 or 1.1 has no source_relation yet. */
	if (get_attnum(model_store_relid(), "source_relation") != InvalidAttrNumber)
		qpm_spi_run("INSERT INTO query_perf_ml.model_store "
					"(name, version, algorithm, feature_set, created_by, source, "
					" n_train, n_test, metrics, options, model, source_relation) "
					"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::pg_catalog.regclass) "
					"RETURNING model_id",
					12, ti, vi, ni, false, SPI_OK_INSERT_RETURNING);
	else
		qpm_spi_run("INSERT INTO query_perf_ml.model_store "
					"(name, version, algorithm, feature_set, created_by, source, "
					" n_train, n_test, metrics, options, model) "
					"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING model_id",
					11, ti, vi, ni, false, SPI_OK_INSERT_RETURNING);
	model_id = DatumGetInt64(qpm_spi_col(0, 1, &isnull));

	if (nm->activate)
	{
		va[0] = Int64GetDatum(model_id);
		qpm_spi_run("UPDATE query_perf_ml.model_store SET is_active = false "
					"WHERE is_active AND name = (SELECT name FROM query_perf_ml.model_store WHERE model_id = $1)",
					1, ta, va, NULL, false, SPI_OK_UPDATE);
		qpm_spi_run("UPDATE query_perf_ml.model_store "
					"SET is_active = true, activated_at = clock_timestamp() WHERE model_id = $1",
					1, ta, va, NULL, false, SPI_OK_UPDATE);
	}
	qpm_owner_end(&cs);
	return model_id;
}

/* The model as model_store.model bytes (serialize.c's format). */
bytea *
qpm_model_to_blob(const QpmModel *m)
{
	size_t		len = qpm_model_serialized_size(m);
	bytea	   *blob = palloc(VARHDRSZ + len);

	if (len == 0 || qpm_model_serialize(m, (uint8 *) VARDATA(blob), len) != len)
		elog(ERROR, "could not serialize the model");
	SET_VARSIZE(blob, VARHDRSZ + len);
	return blob;
}

/*
 * Store model m as a new version: serialized and labelled with its
 * algorithm and feature set here, whoever made it (train_model,
 * import_model); the rest of the row comes from nm.
 */
int64
qpm_catalog_store_model(const QpmModel *m, QpmNewModel *nm, int32 *version)
{
	nm->algorithm = qpm_algorithm_name(m->algorithm);
	nm->feature_set = qpm_feature_set_label_str(m->feature_set);
	nm->blob = qpm_model_to_blob(m);
	return qpm_catalog_store(nm, version);
}

/* Model counts and the default model's name, for status(). */
void
qpm_catalog_counts(int64 *n_models, int64 *n_active, char **default_model)
{
	QpmOwnerSession cs;
	bool		isnull;
	Datum		d;

	qpm_owner_begin(&cs, false);
	qpm_spi_run("SELECT count(*), count(*) FILTER (WHERE is_active), "
				"(SELECT name || ' v' || version FROM query_perf_ml.model_store WHERE is_active "
				" ORDER BY activated_at DESC NULLS LAST, model_id DESC LIMIT 1) "
				"FROM query_perf_ml.model_store",
				0, NULL, NULL, NULL, true, SPI_OK_SELECT);
	*n_models = DatumGetInt64(qpm_spi_col(0, 1, &isnull));
	*n_active = DatumGetInt64(qpm_spi_col(0, 2, &isnull));
	d = qpm_spi_col(0, 3, &isnull);
	*default_model = NULL;
	if (!isnull)
	{
		MemoryContext old = MemoryContextSwitchTo(cs.caller_ctx);

		*default_model = TextDatumGetCString(d);
		MemoryContextSwitchTo(old);
	}
	qpm_owner_end(&cs);
}

/*
 * Append one prediction to prediction_log as the owner, unless the log
 * holds max_rows rows (0: no limit); returns whether it was appended.  The
 * caller decides whether to log (setting, read-only transaction).
 */
bool
qpm_catalog_log_prediction(int64 model_id, const char *model_name, int64 queryid,
						   const QpmPrediction *pr, double level, int max_rows)
{
	QpmOwnerSession cs;
	NameData	made_by;
	Oid			types[10] = {INT8OID, TEXTOID, INT8OID, OIDOID, FLOAT8OID,
	FLOAT8OID, FLOAT8OID, FLOAT8OID, NAMEOID, INT8OID};
	Datum		values[10];
	bool		logged;

	namestrcpy(&made_by, GetUserNameFromId(GetUserId(), false));
	values[0] = Int64GetDatum(model_id);
	values[1] = CStringGetTextDatum(model_name);
	values[2] = Int64GetDatum(queryid);
	values[3] = ObjectIdGetDatum(MyDatabaseId);
	values[4] = Float8GetDatum(pr->predicted_ms);
	values[5] = Float8GetDatum(pr->lower_ms);
	values[6] = Float8GetDatum(pr->upper_ms);
	values[7] = Float8GetDatum(level);
	values[8] = NameGetDatum(&made_by);
	values[9] = Int64GetDatum(max_rows > 0 ? (int64) max_rows : PG_INT64_MAX);
	qpm_owner_begin(&cs, true);
	qpm_spi_run("INSERT INTO query_perf_ml.prediction_log "
				"(model_id, model_name, queryid, dbid, predicted_ms, lower_ms, upper_ms, "
				" interval_level, made_by) "
				"SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 "
				" WHERE (SELECT coalesce(max(log_id) - min(log_id) + 1, 0) "
				"          FROM query_perf_ml.prediction_log) < $10",
				10, types, values, NULL, false, SPI_OK_INSERT);
	logged = SPI_processed > 0;
	qpm_owner_end(&cs);
	return logged;
}
