/*
 * qpm_settings.h — extension-wide names and limits, and the settings
 * (GUCs) query_perf_ml.c defines.
 */
#ifndef QPM_SETTINGS_H
#define QPM_SETTINGS_H

#include "postgres.h"

/* Files that print the library version include this header for the check. */
#ifndef QPM_LIBRARY_VERSION
#error "QPM_LIBRARY_VERSION comes from the Makefile (EXTVERSION)"
#endif
#define QPM_SCHEMA "query_perf_ml"
#define QPM_MAX_NAME_BYTES 63
#define QPM_ALGORITHM_LIST "gradient_boosting, random_forest, linear, auto"

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

#endif
