/*
 * stmt_features.h — the statement-statistics feature sets pgss/1 (12
 * features) and pgss/2 (pgss/1 + 33).
 *
 * Input is one row of a pg_stat_statements-style relation; every numeric
 * field is NAN when the column is absent or NULL.  Output is the feature
 * vector of the set (NAN where a value cannot be computed; the model's
 * transform imputes it) and the target, the mean execution time per call
 * in milliseconds.
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
	/* read for pgss/2 only (NAN otherwise) */
	double		blk_read_time;	/* ms; shared_blk_read_time (+ local) on 17 */
	double		blk_write_time;
	double		temp_blk_read_time;
	double		temp_blk_write_time;
	double		wal_records;
	double		wal_fpi;
	double		local_blks_dirtied;
	double		local_blks_written;
	double		jit_functions;
	double		jit_generation_time;
	double		jit_inlining_count;
	double		jit_inlining_time;
	double		jit_optimization_count;
	double		jit_optimization_time;
	double		jit_emission_time;
	double		jit_deform_time;	/* PostgreSQL 17+ */
	double		observed_at;	/* end of the interval (epoch s); NAN if unknown */
	/*
	 * A ready vector, for a set without a row function (plan/1: a plan
	 * sample carries its vector; calls 1, total_exec_time its time).  NULL
	 * otherwise; n_vector values, NAN where missing.
	 */
	const double *vector;
	int			n_vector;
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

/*
 * The same for pgss/2 (QPM_STMT2_N_FEATURES values): the twelve pgss/1
 * values first, then the I/O, WAL, JIT and query-text features.
 */
QpmRowStatus qpm_stmt_features_v2(const QpmStmtStats *s, double *features,
								  double *target_ms);

#endif
