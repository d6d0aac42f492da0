/*
 * stmt_features.c — feature set 1 (QPM_FS_STMT_STATS): one
 * pg_stat_statements row to 12 features and a target.
 *
 * Counters are cumulative, so every volume feature is divided by calls to
 * describe one typical execution; the target is likewise the mean execution
 * time per call.  A missing input (NAN) gives a missing feature (NAN)
 * rather than a guess: the model's transform imputes with the training mean,
 * which is a better guess than any fixed value chosen here.  Sums of two
 * counters are missing when either part is missing — plain IEEE addition
 * does exactly that, and half a sum would look like a real, smaller value.
 *
 * Non-finite results of finite inputs (inf from overflowing counters) are
 * left as they are; the transform treats any non-finite value as missing.
 * No formula divides by zero: calls > 0 is checked before anything else,
 * and plans and the hit-ratio denominator are tested explicitly.
 *
 * The order of the assignments below is the order of the names in
 * feature_set.c; the enum keeps the two in step.
 */
#include <math.h>
#include <stddef.h>

#include "feature_set.h"
#include "query_complexity.h"
#include "stmt_features.h"

/* Vector positions, in the order of qpm_feature_set_stmt_stats.names. */
enum
{
	F_CALLS_LOG,
	F_ROWS_PER_CALL,
	F_SHARED_HIT_PER_CALL,
	F_SHARED_READ_PER_CALL,
	F_SHARED_DIRTIED_PER_CALL,
	F_SHARED_WRITTEN_PER_CALL,
	F_LOCAL_PER_CALL,
	F_TEMP_PER_CALL,
	F_WAL_BYTES_PER_CALL,
	F_MEAN_PLAN_TIME,
	F_CACHE_HIT_RATIO,
	F_QUERY_COMPLEXITY,
	F_COUNT
};

/* A mismatch with the header's count would silently misalign vectors. */
typedef char stmt_feature_count_matches[(F_COUNT == QPM_STMT_N_FEATURES) ? 1 : -1];

/* Everything missing, so a caller fills only the columns its source has. */
void
qpm_stmt_stats_init(QpmStmtStats *s)
{
	s->queryid = 0;
	s->query = NULL;
	s->query_len = 0;
	s->calls = NAN;
	s->total_exec_time = NAN;
	s->mean_exec_time = NAN;
	s->observed_at = NAN;
	s->rows = NAN;
	s->shared_blks_hit = NAN;
	s->shared_blks_read = NAN;
	s->shared_blks_dirtied = NAN;
	s->shared_blks_written = NAN;
	s->local_blks_hit = NAN;
	s->local_blks_read = NAN;
	s->temp_blks_read = NAN;
	s->temp_blks_written = NAN;
	s->wal_bytes = NAN;
	s->plans = NAN;
	s->total_plan_time = NAN;
}

/* Planning time per plan, not per call: with plan caching plans < calls. */
static double
mean_plan_time(double plans, double total_plan_time)
{
	if (isnan(plans) || isnan(total_plan_time))
		return NAN;
	if (plans == 0)
		return 0.0;				/* never planned (or track_planning off): no cost */
	return total_plan_time / plans;
}

/* A statement that touched no shared blocks never missed the cache. */
static double
cache_hit_ratio(double hit, double read)
{
	double		accessed;

	if (isnan(hit) || isnan(read))
		return NAN;
	accessed = hit + read;
	if (accessed == 0)			/* also catches odd negative pairs: no 0/0 */
		return 1.0;
	return hit / accessed;
}

/*
 * Mean ms per call: total / calls is exact, mean_exec_time is rounded by
 * pg_stat_statements and only the fallback for sources without the total.
 */
static double
target_mean_ms(const QpmStmtStats *s)
{
	if (isnan(s->total_exec_time))
		return s->mean_exec_time;
	return s->total_exec_time / s->calls;
}

/*
 * On a status other than OK, *target_ms is NAN; features are all NAN for
 * BAD_CALLS (per-call values are meaningless) and filled for BAD_TIME.
 */
QpmRowStatus
qpm_stmt_features(const QpmStmtStats *s, double *features, double *target_ms)
{
	double		c = s->calls;
	int			i;

	if (!isfinite(c) || c <= 0)
	{
		for (i = 0; i < QPM_STMT_N_FEATURES; i++)
			features[i] = NAN;
		if (target_ms != NULL)
			*target_ms = NAN;
		return QPM_ROW_BAD_CALLS;
	}

	features[F_CALLS_LOG] = log1p(c);
	features[F_ROWS_PER_CALL] = s->rows / c;
	features[F_SHARED_HIT_PER_CALL] = s->shared_blks_hit / c;
	features[F_SHARED_READ_PER_CALL] = s->shared_blks_read / c;
	features[F_SHARED_DIRTIED_PER_CALL] = s->shared_blks_dirtied / c;
	features[F_SHARED_WRITTEN_PER_CALL] = s->shared_blks_written / c;
	features[F_LOCAL_PER_CALL] = (s->local_blks_hit + s->local_blks_read) / c;
	features[F_TEMP_PER_CALL] = (s->temp_blks_read + s->temp_blks_written) / c;
	features[F_WAL_BYTES_PER_CALL] = s->wal_bytes / c;
	features[F_MEAN_PLAN_TIME] = mean_plan_time(s->plans, s->total_plan_time);
	features[F_CACHE_HIT_RATIO] = cache_hit_ratio(s->shared_blks_hit,
												  s->shared_blks_read);
	features[F_QUERY_COMPLEXITY] = s->query == NULL ? NAN :
		(double) qpm_query_complexity(s->query, s->query_len);

	if (target_ms != NULL)
	{
		double		t = target_mean_ms(s);

		if (!isfinite(t) || t <= 0)
		{
			*target_ms = NAN;
			return QPM_ROW_BAD_TIME;
		}
		*target_ms = t;
	}
	return QPM_ROW_OK;
}
