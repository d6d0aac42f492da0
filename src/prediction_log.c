/*
 * prediction_log.c — when predictions are logged, and history_retention().
 *
 * query_perf_ml.log_predictions = on makes predict_query_execution(queryid)
 * append its answer to prediction_log, which prediction_accuracy() later
 * joins with what the statement actually took.  Logging never makes a
 * prediction fail for a reason the caller cannot fix: in a read-only
 * transaction or on a standby the row is skipped (a prediction is a read),
 * and the write happens as the extension owner.
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "datatype/timestamp.h"
#include "utils/timestamp.h"

#include "qpm_pg.h"

PG_FUNCTION_INFO_V1(qpm_history_retention);

/* Log one prediction by queryid when the setting and the transaction allow. */
void
qpm_maybe_log_prediction(const QpmCachedModel *cm, int64 queryid, const QpmPrediction *pr)
{
	if (!qpm_log_predictions || XactReadOnly || RecoveryInProgress())
		return;
	qpm_catalog_log_prediction(cm->model_id, cm->name, queryid, pr,
							   cm->model.interval.level);
}

/* history_retention() -> interval: the setting, NULL when 0 (keep forever). */
Datum
qpm_history_retention(PG_FUNCTION_ARGS)
{
	Interval   *iv;

	if (qpm_history_retention_min == 0)
		PG_RETURN_NULL();
	iv = palloc0(sizeof(Interval));
	/* Whole days as days, so "7 days" stays 7 days across a DST change. */
	if (qpm_history_retention_min % (MINS_PER_HOUR * HOURS_PER_DAY) == 0)
		iv->day = qpm_history_retention_min / (MINS_PER_HOUR * HOURS_PER_DAY);
	else
		iv->time = (int64) qpm_history_retention_min * USECS_PER_MINUTE;
	PG_RETURN_INTERVAL_P(iv);
}
