/*
 * stmt_features.h — the 12 statement-statistics features.
 *
 * Input is one row of a pg_stat_statements-style relation; every numeric
 * field is NAN when the column is absent or NULL.  Output is the feature
 * vector of feature set QPM_FS_STMT_STATS (NAN where a value cannot be
 * computed; the model's transform imputes it) and the target, the mean
 * execution time per call in milliseconds.
 */
#ifndef QPM_STMT_FEATURES_H
#define QPM_STMT_FEATURES_H

#include <stdint.h>
#include <stddef.h>

typedef struct QpmStmtStats
{
	int64_t		queryid;
	const char *query;			/* NULL when absent */
	size_t		query_len;
	double		calls;
	double		total_exec_time;	/* ms */
	double		mean_exec_time; /* ms; used when total_exec_time is NAN */
	double		rows;
	double		shared_blks_hit;
	double		shared_blks_read;
	double		shared_blks_dirtied;
	double		shared_blks_written;
	double		local_blks_hit;
	double		local_blks_read;
	double		temp_blks_read;
	double		temp_blks_written;
	double		wal_bytes;
	double		plans;
	double		total_plan_time;
	double		observed_at;	/* end of the interval (epoch s); NAN if unknown */
} QpmStmtStats;

typedef enum QpmRowStatus
{
	QPM_ROW_OK = 0,
	QPM_ROW_BAD_CALLS,			/* calls NULL, NaN or <= 0 */
	QPM_ROW_BAD_TIME			/* execution time NULL, non-finite or <= 0 */
} QpmRowStatus;

/* Set every field to "missing" (NAN / NULL). */
void		qpm_stmt_stats_init(QpmStmtStats *s);

/*
 * Compute the features (QPM_STMT_N_FEATURES values) of one row.  When
 * target_ms is not NULL the target is computed and checked too, and the
 * return value says whether the row is usable for training; with
 * target_ms NULL only calls is checked (prediction needs no actual time).
 */
QpmRowStatus qpm_stmt_features(const QpmStmtStats *s, double *features,
							   double *target_ms);

#endif
