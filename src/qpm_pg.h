/*
 * qpm_pg.h — the PostgreSQL glue of query_perf_ml: declarations shared by
 * the SQL entry points (sql_*.c) and the subsystems they call (source
 * reading, catalog, model cache, options).  Nothing in src/core includes
 * this file.
 */
#ifndef QPM_PG_H
#define QPM_PG_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/jsonb.h"

#include "core/metrics.h"
#include "core/model.h"
#include "core/stmt_features.h"
#include "core/trainer.h"

#ifndef QPM_LIBRARY_VERSION
#error "QPM_LIBRARY_VERSION comes from the Makefile (EXTVERSION)"
#endif
#define QPM_SCHEMA "query_perf_ml"
#define QPM_MAX_NAME_BYTES 63
#define QPM_ALGORITHM_LIST "gradient_boosting, random_forest, linear, auto"

/* ---- query_perf_ml.c: settings ---- */
extern int	qpm_source_batch_rows;
extern int	qpm_training_threads;
extern bool qpm_training_progress;
extern int	qpm_history_retention_min;
extern bool qpm_log_predictions;
/* superuser-only resource limits (query_perf_ml.c's banner) */
extern int	qpm_max_training_memory_kb;
extern int	qpm_max_model_size_kb;
extern int	qpm_max_training_threads;
extern int	qpm_prediction_log_max_rows;
extern char *qpm_default_feature_set;	/* label, checked when set */

/* ---- source_reader.c: streaming a pg_stat_statements-style relation ---- */

/* Optional numeric columns the reader knows (source_reader.c's table). */
#define QPM_SOURCE_COLUMNS 28

typedef struct QpmSource
{
	Oid			relid;
	char	   *qualname;		/* quoted, schema-qualified */
	char	   *display;		/* for messages */
	bool		has_total_time; /* else mean_exec_time */
	bool		has_query;
	bool		has_time;		/* has interval_end (split by time) */
	const QpmFeatureSet *feature_set;	/* whose inputs are read */
	char	   *column_sql[QPM_SOURCE_COLUMNS];	/* float8 expression, or NULL */
} QpmSource;

/* Per-row callback; row memory is valid only during the call. */
typedef void (*QpmRowCallback) (const QpmStmtStats *row, void *arg);

typedef enum QpmScanMode
{
	QPM_SCAN_ROWS,				/* every row of the source */
	QPM_SCAN_BY_QUERYID,		/* counters summed per queryid */
	QPM_SCAN_ONE_QUERYID		/* one queryid's rows (qpm_source_read_one sums them) */
} QpmScanMode;

/*
 * Resolve a source (InvalidOid = pg_stat_statements) for feature set fs,
 * check its required columns and find the ones fs reads.
 */
void		qpm_source_open(Oid relid, const QpmFeatureSet *fs, QpmSource *src);
/* Stream the source through cb in batches; returns rows read. */
int64		qpm_source_scan(const QpmSource *src, QpmScanMode mode, int64 queryid,
							QpmRowCallback cb, void *arg);
/*
 * One statement's summed row (at most one) through cb, with a plan kept per
 * backend (source_reader.c's banner); *display: the source's name.
 */
int64		qpm_source_read_one(Oid relid, const QpmFeatureSet *fs, int64 queryid,
								QpmRowCallback cb, void *arg, char **display);
/* interval_end (epoch s) from which rows are held out (NaN: none), or ERROR. */
double		qpm_source_time_cutoff(const QpmSource *src, double fraction);
/* Is pg_stat_statements installed and preloaded? (never errors) */
bool		qpm_pgss_available(Oid *relid);

/* ---- catalog.c: the model_store and prediction_log tables ---- */

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

typedef struct QpmStoredModel
{
	int64		model_id;
	char	   *name;
	int32		version;
	char	   *algorithm;
	bytea	   *blob;
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
/* Insert a new version (ERROR above max_model_size); returns model_id, sets *version. */
int64		qpm_catalog_store(const QpmNewModel *nm, int32 *version);
/* Counts for status(); default model as "name v<version>" or NULL. */
void		qpm_catalog_counts(int64 *n_models, int64 *n_active, char **default_model);
/* Append a prediction to prediction_log (as the owner) unless it holds max_rows (> 0). */
bool		qpm_catalog_log_prediction(int64 model_id, const char *model_name,
									   int64 queryid, const QpmPrediction *pr,
									   double level, int max_rows);

/* ---- model_cache.c: deserialized models per backend ---- */

typedef struct QpmCachedModel
{
	int64		model_id;
	int32		version;
	char		name[QPM_MAX_NAME_BYTES + 1];
	char		algorithm[32];
	QpmModel	model;
} QpmCachedModel;

/*
 * How long a cached model stays valid is the cache's rule (model_cache.c's
 * banner): a pinned model until it is unpinned, predict()'s unpinned one
 * until the next lookup.  A copy of the struct shares the trees: it is
 * valid no longer.
 */
/* Active model for name (NULL = default), pinned; pair with qpm_model_cache_unpin. */
const QpmCachedModel *qpm_model_cache_pin(const char *name);
/* Release a pin (on ERROR, the (sub)transaction's abort releases it). */
void		qpm_model_cache_unpin(const QpmCachedModel *cm);
/* predict()'s lookup by a (possibly toasted) text name: unpinned. */
const QpmCachedModel *qpm_model_cache_get_text(text *name);
void		qpm_model_cache_init(void);
void		qpm_model_cache_stats(int *entries, int64 *hits, int64 *misses,
								  int64 *invalidations);
/* Deserialize a blob or ERROR (corrupted model). */
void		qpm_model_from_blob(const bytea *blob, const char *what, QpmModel *out);

/* ---- prediction_log.c: the log_predictions policy ---- */
/* Log a prediction by queryid if the setting asks and the transaction may write. */
void		qpm_maybe_log_prediction(const QpmCachedModel *cm, int64 queryid,
									 const QpmPrediction *pr);

/* ---- options.c: train_model's jsonb options ---- */

/* Hyperparameters of the tree algorithms (XGBoost names in xgb_train.c). */
typedef struct QpmTreeParams
{
	int			n_trees;
	int			max_depth;
	double		learning_rate;
	double		subsample;
	double		colsample;
	double		min_child_weight;
	double		lambda;
	int			early_stopping_rounds;
} QpmTreeParams;

typedef struct QpmTrainSettings
{
	QpmTrainOptions core;
	QpmTreeParams trees;
	const QpmFeatureSet *feature_set;	/* option feature_set */
	double		min_calls;
	bool		activate;
	bool		split_by_time;	/* hold out the newest rows, not statements */
	int64		max_rows;		/* 0 = from maintenance_work_mem */
} QpmTrainSettings;

/* Parse options for an algorithm (defaults depend on it), or ERROR. */
void		qpm_parse_train_options(Jsonb *options, QpmAlgorithm alg, bool lenient,
									QpmTrainSettings *s);

/* ---- xgb_train.c: the tree fitter (QpmTreeFitFn), arg = QpmTrainSettings ---- */
int			qpm_xgb_fit(const QpmTreeFitInput *in, void *arg, QpmForest **out,
						char *err, size_t errlen);
/* Estimated bytes XGBoost needs for the rows of one fit of n_fit rows. */
double		qpm_xgb_data_bytes(size_t n_fit, int p);
/* Estimated bytes of the trees of such a fit (XGBoost's and ours). */
double		qpm_xgb_tree_bytes(size_t n_fit, int p, QpmAlgorithm alg,
							   const QpmTreeParams *tp);
/* Threads a fit uses (training_threads capped by max_training_threads). */
int			qpm_xgb_threads(void);
/* The effective settings as jsonb (stored with the model). */
Jsonb	   *qpm_train_settings_to_jsonb(const QpmTrainSettings *s);
/* Progress of a tree fit after each round or chunk (set by training job workers). */
typedef void (*qpm_training_progress_hook_type) (const char *algorithm, int done,
												 int total, double elapsed_ms);
extern qpm_training_progress_hook_type qpm_training_progress_hook;

/* ---- shared helpers (sql_common.c) ---- */

/* Copy a text argument to a C string, checking it is a valid model name. */
char	   *qpm_model_name_arg(text *t);
/* train_model's (name, algorithm) arguments checked; returns the algorithm. */
QpmAlgorithm qpm_training_args(FunctionCallInfo fcinfo, char **name, char **alg_name,
							   bool *is_auto);
/* Build a jsonb value from a C string holding JSON. */
Jsonb	   *qpm_jsonb_from_cstring(const char *json);
/* Append "key": number (null for non-finite) to a JSON object being built. */
struct StringInfoData;
void		qpm_json_number(struct StringInfoData *buf, const char *key, double v, bool first);
/* Metrics as a jsonb object. */
Jsonb	   *qpm_metrics_to_jsonb(const QpmMetrics *m, const QpmInterval *iv,
								 const char *extra);
/* Set up materialize-mode SRF output (works on PG 13-17). */
struct Tuplestorestate;
struct TupleDescData;
void		qpm_srf_init(FunctionCallInfo fcinfo, struct Tuplestorestate **ts,
						 struct TupleDescData **tupdesc);
/* Datum for a double that may be NaN: NULL flag set instead. */
Datum		qpm_float8_or_null(double v, bool *isnull);
/* ERROR for a non-finite feature value (index is 0-based). */
void		qpm_reject_non_finite(const char *what, int index) pg_attribute_noreturn();
/* A statement's summed fs vector from a source (InvalidOid = pgss), or ERROR. */
void		qpm_queryid_features(Oid relid, const QpmFeatureSet *fs, int64 queryid,
								 double *x);
/* The model for name, pinned (unpin it), and a statement's vector in its set. */
const QpmCachedModel *qpm_model_queryid_features(const char *name, Oid relid,
												 int64 queryid, double *x);
/* A feature set's label ("pgss/2"), palloc'd. */
char	   *qpm_feature_set_label_str(const QpmFeatureSet *fs);
/* Every known set's label, comma-separated, for hints. */
char	   *qpm_feature_set_list(void);
/* The set a user named, or ERROR (22023) listing the known ones. */
const QpmFeatureSet *qpm_feature_set_arg(const char *label);
/* Features by name from a jsonb object (absent or null = NaN), or ERROR. */
void		qpm_jsonb_features(Jsonb *features, const QpmFeatureSet *fs,
							   const char *model_name, double *x);

#endif
