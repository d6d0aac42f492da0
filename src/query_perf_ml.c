/*
 * query_perf_ml.c — module entry: magic block, settings, subsystem init.
 *
 * The extension works without shared_preload_libraries.  Preloaded, it
 * also starts the background worker and captures plans (shared memory and
 * executor hooks, plan_capture.c).  _PG_init defines settings, registers
 * the model cache's invalidation callback and, when preloaded, those; the
 * rest happens in the SQL functions.
 *
 * Resource limits are superuser-only (PGC_SUSET) on purpose: any role that
 * may train or predict can set the USERSET knobs (maintenance_work_mem,
 * training_threads, the max_rows option), so each of those is bounded by
 * one of these, which only a superuser (or ALTER SYSTEM / ALTER ROLE by
 * one) can raise.
 */
#include "postgres.h"

#include <limits.h>

#include "utils/guc.h"

#include "model_cache.h"
#include "qpm_settings.h"
#include "sql_common.h"
#include "qpm_plan.h"
#include "qpm_worker.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

int			qpm_source_batch_rows = 10000;
int			qpm_training_threads = 1;
bool		qpm_training_progress = true;
int			qpm_history_retention_min = 7 * 24 * 60;
bool		qpm_log_predictions = false;
int			qpm_max_training_memory_kb = 1024 * 1024;
int			qpm_max_model_size_kb = 64 * 1024;
int			qpm_max_training_threads = 4;
int			qpm_prediction_log_max_rows = 1000000;
int			qpm_max_training_jobs = 4;
int			qpm_max_training_jobs_per_role = 2;
char	   *qpm_default_feature_set = NULL;

/* The superuser-only resource limits (see the banner). */
static void
define_limits(void)
{
	DefineCustomIntVariable("query_perf_ml.max_training_memory",
							"Most memory one training may use, XGBoost's estimated share included.",
							"Range 1 MB to 2 TB.  Bounds maintenance_work_mem and the max_rows option: "
							"rows beyond it are sampled, larger explicit requests are refused.",
							&qpm_max_training_memory_kb,
							1024 * 1024, 1024, MAX_KILOBYTES,
							PGC_SUSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("query_perf_ml.max_model_size",
							"Largest model a training or an import may store.",
							"Range 64 kB to 1 GB.  A training is refused before it starts when "
							"n_trees x max_depth could exceed it.",
							&qpm_max_model_size_kb,
							64 * 1024, 64, 1024 * 1024,
							PGC_SUSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("query_perf_ml.max_training_threads",
							"Most threads a training may use, whatever training_threads says.",
							"Range 1 to 64.",
							&qpm_max_training_threads,
							4, 1, 64,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("query_perf_ml.prediction_log_max_rows",
							"Most rows prediction_log may hold; beyond it predictions are not logged.",
							"Range 0 to 2147483647; 0 means no limit.  purge_history() makes room.",
							&qpm_prediction_log_max_rows,
							1000000, 0, PG_INT32_MAX,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("query_perf_ml.max_training_jobs",
							"Most training jobs queued or running at once, all roles together.",
							"Range 0 to 1024; 0 turns train_model_async and retraining off.",
							&qpm_max_training_jobs,
							4, 0, 1024,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("query_perf_ml.max_training_jobs_per_role",
							"Most training jobs queued or running at once for one role.",
							"Range 0 to 1024.",
							&qpm_max_training_jobs_per_role,
							2, 0, 1024,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
}

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
							"Range 1 to 64, used up to query_perf_ml.max_training_threads.  "
							"Used only during train_model; predictions are single-threaded.",
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
	define_limits();
	DefineCustomStringVariable("query_perf_ml.default_feature_set",
							   "Feature set of models trained without the feature_set option.",
							   "pgss/1 or pgss/2.  A model keeps the set it was trained on.",
							   &qpm_default_feature_set,
							   "pgss/2",
							   PGC_USERSET, 0,
							   check_default_feature_set, NULL, NULL);
	qpm_worker_init();
	qpm_plan_capture_init();
	qpm_explain_hook_init();
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("query_perf_ml");
#else
	EmitWarningsOnPlaceholders("query_perf_ml");
#endif

	qpm_model_cache_init();
}
