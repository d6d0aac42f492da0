/*
 * prediction_log.c — when predictions are logged.
 *
 * query_perf_ml.log_predictions = on makes predict_query_execution(queryid)
 * append its answer to prediction_log, which prediction_accuracy() later
 * joins with what the statement actually took.  Logging never makes a
 * prediction fail for a reason the caller cannot fix: in a read-only
 * transaction or on a standby the row is skipped (a prediction is a read),
 * and the write happens as the extension owner.
 *
 * Any role that may predict appends rows written as the owner, so the log
 * is bounded: beyond query_perf_ml.prediction_log_max_rows (superuser-only)
 * predictions are not logged, with one NOTICE per session, until
 * purge_history() makes room.  Drift does not require predictions of
 * several roles (README "Security" says why): a deployment where one
 * application role predicts everything must still see its models drift,
 * and what one role can force is a retraining that runs as the model's
 * creator on the model's own source, kept only if it is better, at most
 * once per auto_retrain_interval and within the job caps.
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "utils/guc.h"

#include "catalog.h"
#include "model_cache.h"
#include "prediction_log.h"

int			qpm_history_retention_min = 7 * 24 * 60;
bool		qpm_log_predictions = false;
int			qpm_prediction_log_max_rows = 1000000;

/* The log's settings, and the retention purge_history() applies to it and snapshots. */
void
qpm_prediction_log_init(void)
{
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
	DefineCustomIntVariable("query_perf_ml.prediction_log_max_rows",
							"Most rows prediction_log may hold; beyond it predictions are not logged.",
							"Range 0 to 2147483647; 0 means no limit.  purge_history() makes room.",
							&qpm_prediction_log_max_rows,
							1000000, 0, PG_INT32_MAX,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
}

static bool log_full_reported = false;

/* Log one prediction by queryid when the setting, the transaction and the cap allow. */
void
qpm_maybe_log_prediction(const QpmCachedModel *cm, int64 queryid, const QpmPrediction *pr)
{
	if (!qpm_log_predictions || XactReadOnly || RecoveryInProgress())
		return;
	if (qpm_catalog_log_prediction(cm->model_id, cm->name, queryid, pr,
								   cm->model.interval.level, qpm_prediction_log_max_rows) ||
		log_full_reported)
		return;
	log_full_reported = true;
	ereport(NOTICE,
			(errmsg("prediction not logged: prediction_log holds query_perf_ml.prediction_log_max_rows (%d) rows",
					qpm_prediction_log_max_rows),
			 errdetail("Predictions are not logged until there is room; this is reported once per session."),
			 errhint("purge_history() deletes logged predictions older than history_retention; a superuser may raise the setting.")));
}
