/*
 * stmt_features.c — feature sets pgss/1 and pgss/2: one pg_stat_statements
 * row to a feature vector and a target.
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
 * pgss/2 computes pgss/1's twelve values with the same code, then adds
 * per-call I/O and JIT times and counts, and the counts of one tokenizing
 * pass over the query text (query_complexity.c); the text features are
 * all missing when the row has no text.  JIT deforming time exists on
 * PostgreSQL 17 only: when it is missing the other four JIT times still
 * make the JIT time (every earlier version spends no time deforming
 * separately), unlike the rule for sums above.
 *
 * The order of the assignments below is the order of the names in
 * feature_set.c; the enums keep the two in step.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

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

/* pgss/2's positions after the twelve of pgss/1. */
enum
{
	F2_BLK_READ_TIME = F_COUNT,
	F2_BLK_WRITE_TIME,
	F2_TEMP_BLK_TIME,
	F2_WAL_RECORDS,
	F2_WAL_FPI,
	F2_LOCAL_DIRTIED_WRITTEN,
	F2_PLANS_PER_CALL,
	F2_JIT_FUNCTIONS,
	F2_JIT_TIME,
	F2_JIT_INLINING_SHARE,
	F2_JIT_OPTIMIZATION_SHARE,
	F2_TOKENS,
	F2_SELECTS,
	F2_JOINS,
	F2_GROUP_BYS,
	F2_ORDER_BYS,
	F2_DISTINCTS,
	F2_SET_OPS,
	F2_WINDOWS,
	F2_FUNCTIONS,
	F2_AGGREGATES,
	F2_LIMITS,
	F2_CTES,
	F2_PREDICATES,
	F2_PATTERN_MATCHES,
	F2_IN_LISTS,
	F2_PARAMS,
	F2_KIND_SELECT,
	F2_KIND_INSERT,
	F2_KIND_UPDATE,
	F2_KIND_DELETE,
	F2_KIND_MERGE,
	F2_KIND_OTHER,
	F2_COUNT
};

/* A mismatch with the header's count would silently misalign vectors. */
typedef char stmt_feature_count_matches[(F_COUNT == QPM_STMT_N_FEATURES) ? 1 : -1];
typedef char stmt_feature_v2_count_matches[(F2_COUNT == QPM_STMT2_N_FEATURES) ? 1 : -1];
typedef char stmt_feature_v2_max_matches[(F2_COUNT <= QPM_MAX_FEATURES) ? 1 : -1];
/* The one-hot kinds follow the enum's order from SELECT on. */
typedef char stmt_feature_kinds_match[(F2_KIND_MERGE - F2_KIND_SELECT ==
									   QPM_KIND_MERGE - QPM_KIND_SELECT) ? 1 : -1];

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
	s->vector = NULL;
	s->n_vector = 0;
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
	s->blk_read_time = NAN;
	s->blk_write_time = NAN;
	s->temp_blk_read_time = NAN;
	s->temp_blk_write_time = NAN;
	s->wal_records = NAN;
	s->wal_fpi = NAN;
	s->local_blks_dirtied = NAN;
	s->local_blks_written = NAN;
	s->jit_functions = NAN;
	s->jit_generation_time = NAN;
	s->jit_inlining_count = NAN;
	s->jit_inlining_time = NAN;
	s->jit_optimization_count = NAN;
	s->jit_optimization_time = NAN;
	s->jit_emission_time = NAN;
	s->jit_deform_time = NAN;
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
static QpmRowStatus stmt_features_v1(const QpmStmtStats *s, const QpmQueryShape *sh,
									 double *features, double *target_ms);

QpmRowStatus
qpm_stmt_features(const QpmStmtStats *s, double *features, double *target_ms)
{
	return stmt_features_v1(s, NULL, features, target_ms);
}

/* pgss/1's values; sh: the query's shape when the caller has it (else NULL). */
static QpmRowStatus
stmt_features_v1(const QpmStmtStats *s, const QpmQueryShape *sh,
				 double *features, double *target_ms)
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
	if (s->query == NULL)
		features[F_QUERY_COMPLEXITY] = NAN;
	else if (sh != NULL)
		features[F_QUERY_COMPLEXITY] = (double) qpm_query_complexity_of_shape(sh);
	else
		features[F_QUERY_COMPLEXITY] = (double) qpm_query_complexity(s->query, s->query_len);

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

/* JIT time per call: deforming (17+) counts when the source has it. */
static double
jit_time(const QpmStmtStats *s)
{
	double		t = s->jit_generation_time + s->jit_inlining_time +
		s->jit_optimization_time + s->jit_emission_time;

	return isnan(s->jit_deform_time) ? t : t + s->jit_deform_time;
}

/* The query-text features: counts of one tokenizing pass, the kind one-hot. */
static void
text_features(const QpmStmtStats *s, const QpmQueryShape *sh, double *f)
{
	int			j;

	if (s->query == NULL)
	{
		for (j = F2_TOKENS; j < F2_COUNT; j++)
			f[j] = NAN;
		return;
	}
	f[F2_TOKENS] = sh->tokens;
	f[F2_SELECTS] = sh->selects;
	f[F2_JOINS] = sh->joins;
	f[F2_GROUP_BYS] = sh->group_bys;
	f[F2_ORDER_BYS] = sh->order_bys;
	f[F2_DISTINCTS] = sh->distincts;
	f[F2_SET_OPS] = sh->set_ops;
	f[F2_WINDOWS] = sh->windows;
	f[F2_FUNCTIONS] = sh->functions;
	f[F2_AGGREGATES] = sh->aggregates;
	f[F2_LIMITS] = sh->limits;
	f[F2_CTES] = sh->ctes;
	f[F2_PREDICATES] = sh->predicates;
	f[F2_PATTERN_MATCHES] = sh->pattern_matches;
	f[F2_IN_LISTS] = sh->in_lists;
	f[F2_PARAMS] = sh->params;
	for (j = F2_KIND_SELECT; j <= F2_KIND_OTHER; j++)
		f[j] = 0.0;
	if (sh->kind == QPM_KIND_OTHER)
		f[F2_KIND_OTHER] = 1.0;
	else
		f[F2_KIND_SELECT + (sh->kind - QPM_KIND_SELECT)] = 1.0;
}

/* pgss/1's values, then the rest; statuses as for pgss/1. */
QpmRowStatus
qpm_stmt_features_v2(const QpmStmtStats *s, double *features, double *target_ms)
{
	QpmQueryShape sh;
	QpmRowStatus st;
	double		c = s->calls;
	int			j;

	/* One tokenizing pass serves pgss/1's keyword count and the text features. */
	if (s->query != NULL)
		qpm_query_shape(s->query, s->query_len, &sh);
	else
		memset(&sh, 0, sizeof(sh));
	st = stmt_features_v1(s, s->query != NULL ? &sh : NULL, features, target_ms);

	if (st == QPM_ROW_BAD_CALLS)
	{
		for (j = F_COUNT; j < F2_COUNT; j++)
			features[j] = NAN;
		return st;
	}
	features[F2_BLK_READ_TIME] = s->blk_read_time / c;
	features[F2_BLK_WRITE_TIME] = s->blk_write_time / c;
	features[F2_TEMP_BLK_TIME] = (s->temp_blk_read_time + s->temp_blk_write_time) / c;
	features[F2_WAL_RECORDS] = s->wal_records / c;
	features[F2_WAL_FPI] = s->wal_fpi / c;
	features[F2_LOCAL_DIRTIED_WRITTEN] = (s->local_blks_dirtied + s->local_blks_written) / c;
	features[F2_PLANS_PER_CALL] = s->plans / c;
	features[F2_JIT_FUNCTIONS] = s->jit_functions / c;
	features[F2_JIT_TIME] = jit_time(s) / c;
	features[F2_JIT_INLINING_SHARE] = s->jit_inlining_count / c;
	features[F2_JIT_OPTIMIZATION_SHARE] = s->jit_optimization_count / c;
	text_features(s, &sh, features);
	return st;
}
