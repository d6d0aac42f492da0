/*
 * prediction_log.h — the log_predictions policy (prediction_log.c).
 */
#ifndef QPM_PREDICTION_LOG_H
#define QPM_PREDICTION_LOG_H

#include "postgres.h"

#include "core/model.h"
#include "model_cache.h"

/* Log a prediction by queryid if the setting asks and the transaction may write. */
void		qpm_maybe_log_prediction(const QpmCachedModel *cm, int64 queryid,
									 const QpmPrediction *pr);

/* Settings defined by qpm_prediction_log_init (history_retention: purge_history). */
extern int	qpm_history_retention_min;
extern bool qpm_log_predictions;
extern int	qpm_prediction_log_max_rows;
void		qpm_prediction_log_init(void);

#endif
