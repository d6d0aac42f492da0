/*
 * catalog.h — the extension's tables and the one gateway to them
 * (catalog.c): SPI as the caller or the extension owner with a pinned
 * search_path, the SPI helpers, loading and storing model versions, the
 * prediction log.
 */
#ifndef QPM_CATALOG_H
#define QPM_CATALOG_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "core/model.h"

/* SPI with search_path pinned to pg_catalog, optionally as the extension owner. */
typedef struct QpmOwnerSession
{
	MemoryContext caller_ctx;
	int			guc_nest;
	Oid			saved_userid;
	int			saved_sec_context;
	bool		switched;
} QpmOwnerSession;

void		qpm_owner_begin(QpmOwnerSession *os, bool as_owner);
void		qpm_owner_end(QpmOwnerSession *os);
/* Run a statement over SPI; ERROR unless SPI returns expected. */
void		qpm_spi_run(const char *sql, int nargs, Oid *types, Datum *values,
						const char *nulls, bool read_only, int expected);
/* Column c (1-based) of row row of the last SPI result. */
Datum		qpm_spi_col(uint64 row, int c, bool *isnull);

typedef struct QpmStoredModel
{
	int64		model_id;
	char	   *name;
	int32		version;
	char	   *algorithm;
	bytea	   *blob;
	/* qpm_catalog_load_version only: */
	int64		n_train;
	int64		n_test;
	char	   *created_at;		/* ISO 8601, UTC */
	Jsonb	   *metrics;
	Jsonb	   *options;
} QpmStoredModel;

typedef struct QpmNewModel
{
	const char *name;
	const char *algorithm;
	const char *feature_set;
	const char *source;			/* for display: the qualified name, or "import" */
	Oid			source_relid;	/* the relation itself; InvalidOid: none to retrain on */
	int64		n_train;
	int64		n_test;
	Jsonb	   *metrics;
	Jsonb	   *options;
	bytea	   *blob;
	bool		activate;
} QpmNewModel;

/* Load the active version of name (NULL: most recently activated name). */
QpmStoredModel *qpm_catalog_load_active(const char *name);
/* A version with its metadata (active: the active one), read as the caller. */
QpmStoredModel *qpm_catalog_load_version(const char *name, bool active, int32 version);
/* Insert a new version (ERROR above max_model_size); returns model_id, sets *version. */
int64		qpm_catalog_store(const QpmNewModel *nm, int32 *version);
/* Serialize and label m (algorithm, feature_set, blob of nm), then qpm_catalog_store. */
int64		qpm_catalog_store_model(const QpmModel *m, QpmNewModel *nm, int32 *version);
/* The model as model_store.model bytes. */
bytea	   *qpm_model_to_blob(const QpmModel *m);
/* query_perf_ml.max_model_size (superuser-only), defined by qpm_catalog_init. */
extern int	qpm_max_model_size_kb;
void		qpm_catalog_init(void);

/* Counts for status(); default model as "name v<version>" or NULL. */
void		qpm_catalog_counts(int64 *n_models, int64 *n_active, char **default_model);
/* Append a prediction to prediction_log (as the owner) unless it holds max_rows (> 0). */
bool		qpm_catalog_log_prediction(int64 model_id, const char *model_name,
									   int64 queryid, const QpmPrediction *pr,
									   double level, int max_rows);

#endif
