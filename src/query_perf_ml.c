/*
 * query_perf_ml.c — module entry: magic block, settings, subsystem init.
 *
 * The extension works without shared_preload_libraries: it needs no shared
 * memory.  _PG_init only defines settings and registers the model cache's
 * invalidation callback; everything else happens in the SQL functions.
 */
#include "postgres.h"

#include "utils/guc.h"

#include "qpm_pg.h"
#include "qpm_worker.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

int			qpm_source_batch_rows = 10000;
int			qpm_training_threads = 1;
bool		qpm_training_progress = true;
int			qpm_history_retention_min = 7 * 24 * 60;
bool		qpm_log_predictions = false;
char	   *qpm_default_feature_set = NULL;

/* Only a known feature set label is a valid default. */
static bool
check_default_feature_set(char **newval, void **extra, GucSource source)
{
	if (*newval != NULL && qpm_feature_set_by_label(*newval) != NULL)
		return true;
	GUC_check_errdetail("Known feature sets: %s.", qpm_feature_set_list());
	return false;
}

/* Define settings, then initialize each subsystem. */
void
_PG_init(void)
{
	DefineCustomIntVariable("query_perf_ml.source_batch_rows",
							"Rows fetched per batch when reading a source relation.",
							"Range 100 to 1000000.  Larger batches cost more memory per fetch.",
							&qpm_source_batch_rows,
							10000, 100, 1000000,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("query_perf_ml.training_threads",
							"Threads XGBoost may use while training a tree model.",
							"Range 1 to 64.  Used only during train_model; predictions are single-threaded.",
							&qpm_training_threads,
							1, 1, 64,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("query_perf_ml.training_progress",
							 "Report the progress of long trainings as NOTICEs.",
							 "A NOTICE every 5 seconds with the trees done and the time spent.",
							 &qpm_training_progress,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("query_perf_ml.history_retention",
							"How long purge_history() keeps snapshots and logged predictions.",
							"0 keeps them forever.",
							&qpm_history_retention_min,
							7 * 24 * 60, 0, PG_INT32_MAX,
							PGC_SUSET, GUC_UNIT_MIN,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("query_perf_ml.log_predictions",
							 "Append predictions made by queryid to query_perf_ml.prediction_log.",
							 "Skipped in read-only transactions and on standbys.",
							 &qpm_log_predictions,
							 false,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);
	DefineCustomStringVariable("query_perf_ml.default_feature_set",
							   "Feature set of models trained without the feature_set option.",
							   "pgss/1 or pgss/2.  A model keeps the set it was trained on.",
							   &qpm_default_feature_set,
							   "pgss/2",
							   PGC_USERSET, 0,
							   check_default_feature_set, NULL, NULL);
	qpm_worker_init();
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("query_perf_ml");
#else
	EmitWarningsOnPlaceholders("query_perf_ml");
#endif

	qpm_model_cache_init();
}
