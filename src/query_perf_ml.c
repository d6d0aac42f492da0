/*
 * query_perf_ml.c — module entry: magic block, settings, subsystem init.
 *
 * The extension works without shared_preload_libraries.  Preloaded, it
 * also starts the background worker and captures plans (shared memory and
 * executor hooks, plan_capture.c).  _PG_init defines settings, registers
 * the model cache's invalidation callback and, when preloaded, those; the
 * rest happens in the SQL functions.
 */
#include "postgres.h"

#include "utils/guc.h"

#include "qpm_pg.h"
#include "qpm_plan.h"
#include "qpm_worker.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

int			qpm_source_batch_rows = 10000;
int			qpm_training_threads = 1;
bool		qpm_training_progress = true;
int			qpm_history_retention_min = 7 * 24 * 60;
bool		qpm_log_predictions = false;

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
	qpm_worker_init();
	qpm_plan_capture_init();
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("query_perf_ml");
#else
	EmitWarningsOnPlaceholders("query_perf_ml");
#endif

	qpm_model_cache_init();
}
