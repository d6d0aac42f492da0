/*
 * query_perf_ml.c — module entry: magic block and one init per subsystem.
 *
 * The extension works without shared_preload_libraries.  Preloaded, it
 * also starts the background worker and captures plans (shared memory and
 * executor hooks, plan_capture.c).  Each subsystem defines its own
 * settings next to the code that reads them; worker and plan capture also
 * register the launcher and the shared-memory hooks, only when preloaded.
 * The prefix is reserved after every setting is defined, so a misspelt
 * query_perf_ml.* setting is an error; the rest happens in the SQL
 * functions.
 *
 * Resource limits are superuser-only (PGC_SUSET) on purpose: any role that
 * may train or predict can set the USERSET knobs (maintenance_work_mem,
 * training_threads, the max_rows option), so each of those is bounded by
 * one of these, which only a superuser (or ALTER SYSTEM / ALTER ROLE by
 * one) can raise: max_training_memory and max_training_threads
 * (xgb_train.c), max_model_size (catalog.c), prediction_log_max_rows
 * (prediction_log.c), max_training_jobs and max_training_jobs_per_role
 * (training_jobs.c).
 */
#include "postgres.h"

#include "utils/guc.h"

#include "catalog.h"
#include "model_cache.h"
#include "options.h"
#include "prediction_log.h"
#include "qpm_plan.h"
#include "qpm_worker.h"
#include "source_reader.h"
#include "xgb_train.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Define each subsystem's settings, reserve the prefix, then the cache. */
void
_PG_init(void)
{
	qpm_source_reader_init();
	qpm_training_init();
	qpm_catalog_init();
	qpm_prediction_log_init();
	qpm_options_init();
	qpm_training_jobs_init();
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
