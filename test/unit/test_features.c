/*
 * test_features.c — the statement-statistics feature sets pgss/1 and
 * pgss/2: registry, names, labels, every formula against hand-computed
 * values, the missing-value and row-status rules, and that pgss/2 begins
 * with exactly pgss/1's values.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "feature_set.h"
#include "stmt_features.h"
#include "unit.h"

#define TOL 1e-12

/* Positions, spelled out here so a reordering in src/ fails the test. */
enum
{
	CALLS_LOG, ROWS, HIT, READ, DIRTIED, WRITTEN, LOCAL, TEMP, WAL,
	PLAN, RATIO, COMPLEXITY
};

static const char *const expected_names[QPM_STMT_N_FEATURES] = {
	"calls_log", "rows_per_call", "shared_blks_hit_per_call",
	"shared_blks_read_per_call", "shared_blks_dirtied_per_call",
	"shared_blks_written_per_call", "local_blks_per_call",
	"temp_blks_per_call", "wal_bytes_per_call", "mean_plan_time",
	"cache_hit_ratio", "query_complexity"
};

static const char full_query[] = "SELECT a FROM t JOIN u ON true ORDER BY a";

/* A row with every column present and round numbers (calls = 4). */
static void
full_row(QpmStmtStats *s)
{
	qpm_stmt_stats_init(s);
	s->queryid = 42;
	s->query = full_query;
	s->query_len = strlen(full_query);
	s->calls = 4;
	s->total_exec_time = 10;
	s->mean_exec_time = 2.5;
	s->rows = 8;
	s->shared_blks_hit = 30;
	s->shared_blks_read = 10;
	s->shared_blks_dirtied = 2;
	s->shared_blks_written = 1;
	s->local_blks_hit = 3;
	s->local_blks_read = 1;
	s->temp_blks_read = 5;
	s->temp_blks_written = 3;
	s->wal_bytes = 1000;
	s->plans = 2;
	s->total_plan_time = 3;
}

/* Count of NAN entries, to show a missing input spoils only its feature. */
static int
count_nan(const double *f)
{
	int			i,
				n = 0;

	for (i = 0; i < QPM_STMT_N_FEATURES; i++)
		n += isnan(f[i]) ? 1 : 0;
	return n;
}

/* Id, version, name and the exact feature names in vector order. */
static void
test_feature_set_metadata(void)
{
	const QpmFeatureSet *fs = &qpm_feature_set_stmt_stats;
	int			i;

	CHECK(fs->id == QPM_FS_STMT_STATS);
	CHECK(fs->id == 1);
	CHECK(fs->version == QPM_FS_STMT_STATS_VERSION);
	CHECK(fs->version == 1);
	CHECK(strcmp(fs->name, "pgss") == 0);
	CHECK(fs->n_features == QPM_STMT_N_FEATURES);
	CHECK(fs->n_features == 12);
	CHECK(fs->n_features <= QPM_MAX_FEATURES);
	for (i = 0; i < QPM_STMT_N_FEATURES; i++)
	{
		CHECK(fs->names[i] != NULL && strcmp(fs->names[i], expected_names[i]) == 0);
		CHECK(fs->descriptions[i] != NULL);
		if (fs->descriptions[i] != NULL)
		{
			/* one line, non-empty, short enough for a table column */
			CHECK(strlen(fs->descriptions[i]) > 10);
			CHECK(strlen(fs->descriptions[i]) < 120);
			CHECK(strchr(fs->descriptions[i], '\n') == NULL);
		}
	}
}

/* Lookup by (id, version) and by name, including misses. */
static void
test_feature_set_lookup(void)
{
	const QpmFeatureSet *fs = &qpm_feature_set_stmt_stats;
	int			i;

	CHECK(qpm_feature_set_find(QPM_FS_STMT_STATS, QPM_FS_STMT_STATS_VERSION) == fs);
	CHECK(qpm_feature_set_find(1, 2) == &qpm_feature_set_stmt_stats_v2);
	CHECK(qpm_feature_set_find(1, 3) == NULL);
	CHECK(qpm_feature_set_find(1, 0) == NULL);
	CHECK(qpm_feature_set_find(0, 1) == NULL);
	CHECK(qpm_feature_set_find(QPM_FS_PLAN, QPM_FS_PLAN_VERSION) == &qpm_feature_set_plan);
	CHECK(qpm_feature_set_find(2, 2) == NULL);
	CHECK(qpm_feature_set_find(65535, 65535) == NULL);

	for (i = 0; i < QPM_STMT_N_FEATURES; i++)
		CHECK(qpm_feature_set_index(fs, expected_names[i]) == i);
	CHECK(qpm_feature_set_index(fs, "query_complexity") == COMPLEXITY);
	CHECK(qpm_feature_set_index(fs, "CALLS_LOG") == -1);	/* case-sensitive */
	CHECK(qpm_feature_set_index(fs, "calls") == -1);
	CHECK(qpm_feature_set_index(fs, "") == -1);
	CHECK(qpm_feature_set_index(fs, NULL) == -1);
	CHECK(qpm_feature_set_index(NULL, "calls_log") == -1);
}

/* init must overwrite every field, whatever was there. */
static void
test_init(void)
{
	QpmStmtStats s;

	memset(&s, 0x5a, sizeof(s));	/* garbage first: init must set everything */
	qpm_stmt_stats_init(&s);
	CHECK(s.queryid == 0);
	CHECK(s.query == NULL);
	CHECK(s.query_len == 0);
	CHECK(isnan(s.calls));
	CHECK(isnan(s.total_exec_time));
	CHECK(isnan(s.mean_exec_time));
	CHECK(isnan(s.rows));
	CHECK(isnan(s.shared_blks_hit));
	CHECK(isnan(s.shared_blks_read));
	CHECK(isnan(s.shared_blks_dirtied));
	CHECK(isnan(s.shared_blks_written));
	CHECK(isnan(s.local_blks_hit));
	CHECK(isnan(s.local_blks_read));
	CHECK(isnan(s.temp_blks_read));
	CHECK(isnan(s.temp_blks_written));
	CHECK(isnan(s.wal_bytes));
	CHECK(isnan(s.plans));
	CHECK(isnan(s.total_plan_time));
	CHECK(isnan(s.blk_read_time));
	CHECK(isnan(s.blk_write_time));
	CHECK(isnan(s.temp_blk_read_time));
	CHECK(isnan(s.temp_blk_write_time));
	CHECK(isnan(s.wal_records));
	CHECK(isnan(s.wal_fpi));
	CHECK(isnan(s.local_blks_dirtied));
	CHECK(isnan(s.local_blks_written));
	CHECK(isnan(s.jit_functions));
	CHECK(isnan(s.jit_generation_time));
	CHECK(isnan(s.jit_inlining_count));
	CHECK(isnan(s.jit_inlining_time));
	CHECK(isnan(s.jit_optimization_count));
	CHECK(isnan(s.jit_optimization_time));
	CHECK(isnan(s.jit_emission_time));
	CHECK(isnan(s.jit_deform_time));
	CHECK(isnan(s.observed_at));
}

/* Every formula on one row of round numbers. */
static void
test_full_row(void)
{
	QpmStmtStats s;
	double		f[QPM_STMT_N_FEATURES];
	double		t = -1;

	full_row(&s);
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK_NEAR(t, 2.5, TOL);					/* 10 ms / 4 calls */
	CHECK_NEAR(f[CALLS_LOG], 1.6094379124341003, TOL);	/* ln 5 */
	CHECK_NEAR(f[ROWS], 2.0, TOL);				/* 8 / 4 */
	CHECK_NEAR(f[HIT], 7.5, TOL);				/* 30 / 4 */
	CHECK_NEAR(f[READ], 2.5, TOL);				/* 10 / 4 */
	CHECK_NEAR(f[DIRTIED], 0.5, TOL);			/* 2 / 4 */
	CHECK_NEAR(f[WRITTEN], 0.25, TOL);			/* 1 / 4 */
	CHECK_NEAR(f[LOCAL], 1.0, TOL);				/* (3 + 1) / 4 */
	CHECK_NEAR(f[TEMP], 2.0, TOL);				/* (5 + 3) / 4 */
	CHECK_NEAR(f[WAL], 250.0, TOL);				/* 1000 / 4 */
	CHECK_NEAR(f[PLAN], 1.5, TOL);				/* 3 ms / 2 plans */
	CHECK_NEAR(f[RATIO], 0.75, TOL);			/* 30 / (30 + 10) */
	CHECK_NEAR(f[COMPLEXITY], 2.0, TOL);		/* JOIN + ORDER BY */
	CHECK(count_nan(f) == 0);

	/* target NULL: same features, status from calls alone */
	memset(f, 0, sizeof(f));
	CHECK(qpm_stmt_features(&s, f, NULL) == QPM_ROW_OK);
	CHECK_NEAR(f[WAL], 250.0, TOL);
	CHECK_NEAR(f[COMPLEXITY], 2.0, TOL);
}

/* Edge-ish but valid rows: one call, many calls, fractional calls. */
static void
test_other_values(void)
{
	QpmStmtStats s;
	double		f[QPM_STMT_N_FEATURES];
	double		t;

	/* a single call: per-call values equal the counters */
	full_row(&s);
	s.calls = 1;
	s.total_exec_time = 0.125;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK_NEAR(t, 0.125, TOL);
	CHECK_NEAR(f[CALLS_LOG], 0.69314718055994531, TOL);	/* ln 2 */
	CHECK_NEAR(f[HIT], 30.0, TOL);
	CHECK_NEAR(f[LOCAL], 4.0, TOL);

	/* a million calls: calls_log = ln(1000001) */
	full_row(&s);
	s.calls = 1e6;
	s.total_exec_time = 5e5;
	s.rows = 3e6;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK_NEAR(t, 0.5, TOL);
	CHECK_NEAR(f[CALLS_LOG], 13.815511557963774, 1e-9);
	CHECK_NEAR(f[ROWS], 3.0, TOL);
	CHECK_NEAR(f[HIT], 3e-5, TOL);

	/* fractional calls (averaged sources) are accepted */
	full_row(&s);
	s.calls = 0.5;
	s.total_exec_time = 1;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK_NEAR(t, 2.0, TOL);
	CHECK_NEAR(f[ROWS], 16.0, TOL);
	CHECK_NEAR(f[CALLS_LOG], log(1.5), TOL);

	/* plan time is per plan, not per call */
	full_row(&s);
	s.plans = 8;
	s.total_plan_time = 2;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK_NEAR(f[PLAN], 0.25, TOL);
}

/* A missing column spoils exactly the features built from it. */
static void
test_missing_inputs(void)
{
	QpmStmtStats s;
	double		f[QPM_STMT_N_FEATURES];
	double		t;

	full_row(&s);
	s.rows = NAN;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK(isnan(f[ROWS]) && count_nan(f) == 1);

	full_row(&s);
	s.shared_blks_dirtied = NAN;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK(isnan(f[DIRTIED]) && count_nan(f) == 1);

	full_row(&s);
	s.shared_blks_written = NAN;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK(isnan(f[WRITTEN]) && count_nan(f) == 1);

	full_row(&s);
	s.wal_bytes = NAN;			/* pg_stat_statements before 1.8 */
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK(isnan(f[WAL]) && count_nan(f) == 1);

	/* shared hit feeds two features: per call and ratio */
	full_row(&s);
	s.shared_blks_hit = NAN;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK(isnan(f[HIT]) && isnan(f[RATIO]) && count_nan(f) == 2);
	CHECK_NEAR(f[READ], 2.5, TOL);

	full_row(&s);
	s.shared_blks_read = NAN;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK(isnan(f[READ]) && isnan(f[RATIO]) && count_nan(f) == 2);
	CHECK_NEAR(f[HIT], 7.5, TOL);

	/* sums: missing when either part is missing */
	full_row(&s);
	s.local_blks_hit = NAN;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK(isnan(f[LOCAL]) && count_nan(f) == 1);
	full_row(&s);
	s.local_blks_read = NAN;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK(isnan(f[LOCAL]) && count_nan(f) == 1);
	full_row(&s);
	s.local_blks_hit = NAN;
	s.local_blks_read = NAN;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK(isnan(f[LOCAL]) && count_nan(f) == 1);

	full_row(&s);
	s.temp_blks_read = NAN;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK(isnan(f[TEMP]) && count_nan(f) == 1);
	full_row(&s);
	s.temp_blks_written = NAN;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK(isnan(f[TEMP]) && count_nan(f) == 1);

	/* planning columns (absent before pg_stat_statements 1.8) */
	full_row(&s);
	s.plans = NAN;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK(isnan(f[PLAN]) && count_nan(f) == 1);
	full_row(&s);
	s.total_plan_time = NAN;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK(isnan(f[PLAN]) && count_nan(f) == 1);
	full_row(&s);
	s.plans = 0;
	s.total_plan_time = NAN;	/* missing beats "never planned" */
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK(isnan(f[PLAN]));

	/* query text absent (no permission, or dropped) */
	full_row(&s);
	s.query = NULL;
	s.query_len = 0;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK(isnan(f[COMPLEXITY]) && count_nan(f) == 1);

	/* only calls and time: everything else missing, row still usable */
	qpm_stmt_stats_init(&s);
	s.calls = 3;
	s.total_exec_time = 6;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK_NEAR(t, 2.0, TOL);
	CHECK_NEAR(f[CALLS_LOG], log(4.0), TOL);
	CHECK(count_nan(f) == QPM_STMT_N_FEATURES - 1);
}

/* The two formulas with a special case at zero. */
static void
test_plans_zero_and_hit_ratio(void)
{
	QpmStmtStats s;
	double		f[QPM_STMT_N_FEATURES];
	double		t;

	/* track_planning off: plans = 0, total_plan_time = 0 */
	full_row(&s);
	s.plans = 0;
	s.total_plan_time = 0;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK(f[PLAN] == 0.0);

	/* no shared blocks touched: nothing missed the cache */
	full_row(&s);
	s.shared_blks_hit = 0;
	s.shared_blks_read = 0;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK(f[RATIO] == 1.0);
	CHECK(f[HIT] == 0.0 && f[READ] == 0.0);

	/* all reads, no hits */
	full_row(&s);
	s.shared_blks_hit = 0;
	s.shared_blks_read = 7;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK(f[RATIO] == 0.0);

	/* all hits */
	full_row(&s);
	s.shared_blks_hit = 7;
	s.shared_blks_read = 0;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK(f[RATIO] == 1.0);

	full_row(&s);
	s.shared_blks_hit = 1;
	s.shared_blks_read = 3;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK_NEAR(f[RATIO], 0.25, TOL);
}

/* Unusable calls rejects the row with or without a target. */
static void
test_bad_calls(void)
{
	static const double bad[] = {0.0, -0.0, -1.0, -1e300};
	QpmStmtStats s;
	double		f[QPM_STMT_N_FEATURES];
	double		t;
	size_t		k;

	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
	{
		full_row(&s);
		s.calls = bad[k];
		t = 1;
		CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_BAD_CALLS);
		CHECK(isnan(t));
		CHECK(count_nan(f) == QPM_STMT_N_FEATURES);
		CHECK(qpm_stmt_features(&s, f, NULL) == QPM_ROW_BAD_CALLS);
	}

	full_row(&s);
	s.calls = NAN;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_BAD_CALLS);
	CHECK(qpm_stmt_features(&s, f, NULL) == QPM_ROW_BAD_CALLS);

	full_row(&s);
	s.calls = INFINITY;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_BAD_CALLS);
	CHECK(qpm_stmt_features(&s, f, NULL) == QPM_ROW_BAD_CALLS);

	full_row(&s);
	s.calls = -INFINITY;
	CHECK(qpm_stmt_features(&s, f, NULL) == QPM_ROW_BAD_CALLS);

	/* bad calls wins over bad time */
	full_row(&s);
	s.calls = 0;
	s.total_exec_time = NAN;
	s.mean_exec_time = NAN;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_BAD_CALLS);

	/* the smallest positive calls is fine */
	full_row(&s);
	s.calls = DBL_MIN;
	CHECK(qpm_stmt_features(&s, f, NULL) == QPM_ROW_OK);
}

/* Unusable time rejects the row for training only. */
static void
test_bad_time(void)
{
	static const double bad_total[] = {0.0, -0.0, -5.0, INFINITY, -INFINITY};
	QpmStmtStats s;
	double		f[QPM_STMT_N_FEATURES];
	double		t;
	size_t		k;

	for (k = 0; k < sizeof(bad_total) / sizeof(bad_total[0]); k++)
	{
		full_row(&s);
		s.total_exec_time = bad_total[k];
		t = 1;
		CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_BAD_TIME);
		CHECK(isnan(t));
		/* calls is fine, so features are still there */
		CHECK_NEAR(f[ROWS], 2.0, TOL);
		/* prediction never looks at the time */
		CHECK(qpm_stmt_features(&s, f, NULL) == QPM_ROW_OK);
	}

	/* both times missing */
	full_row(&s);
	s.total_exec_time = NAN;
	s.mean_exec_time = NAN;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_BAD_TIME);
	CHECK(qpm_stmt_features(&s, f, NULL) == QPM_ROW_OK);

	/* fallback mean present but bad */
	full_row(&s);
	s.total_exec_time = NAN;
	s.mean_exec_time = 0;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_BAD_TIME);
	s.mean_exec_time = -2;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_BAD_TIME);
	s.mean_exec_time = INFINITY;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_BAD_TIME);

	/* a finite total that overflows per call is still non-finite */
	full_row(&s);
	s.calls = 0.5;
	s.total_exec_time = DBL_MAX;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_BAD_TIME);
}

/* mean_exec_time is used only when total_exec_time is missing. */
static void
test_mean_exec_time_fallback(void)
{
	QpmStmtStats s;
	double		f[QPM_STMT_N_FEATURES];
	double		t;

	/* total missing: mean_exec_time is the target as is */
	full_row(&s);
	s.total_exec_time = NAN;
	s.mean_exec_time = 3.25;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK_NEAR(t, 3.25, TOL);

	/* total present: it wins over a disagreeing mean */
	full_row(&s);
	s.total_exec_time = 10;
	s.mean_exec_time = 99;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK_NEAR(t, 2.5, TOL);

	/* total present and bad: no fallback to a good mean */
	full_row(&s);
	s.total_exec_time = 0;
	s.mean_exec_time = 1;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_BAD_TIME);
}

/* Negative and overflowing counters give numbers, never a crash. */
static void
test_extreme_counters(void)
{
	QpmStmtStats s;
	double		f[QPM_STMT_N_FEATURES];
	double		t;

	/* negative counters are computed as given */
	full_row(&s);
	s.rows = -8;
	s.wal_bytes = -4;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK_NEAR(f[ROWS], -2.0, TOL);
	CHECK_NEAR(f[WAL], -1.0, TOL);

	/* hit + read == 0 without both being 0: no 0/0, ratio 1 */
	full_row(&s);
	s.shared_blks_hit = 5;
	s.shared_blks_read = -5;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK(f[RATIO] == 1.0);

	/* negative plans: divided as given */
	full_row(&s);
	s.plans = -2;
	s.total_plan_time = 3;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK_NEAR(f[PLAN], -1.5, TOL);

	/* overflow to inf is left for the transform */
	full_row(&s);
	s.calls = 0.5;
	s.total_exec_time = 1;
	s.shared_blks_hit = DBL_MAX;
	s.temp_blks_read = DBL_MAX;
	s.temp_blks_written = DBL_MAX;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK(isinf(f[HIT]) && f[HIT] > 0);
	CHECK(isinf(f[TEMP]) && f[TEMP] > 0);
	CHECK(!isnan(f[RATIO]));

	/* infinite inputs pass straight through */
	full_row(&s);
	s.wal_bytes = INFINITY;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK(isinf(f[WAL]));
}

/* Feature 12 honours query and query_len. */
static void
test_query_text(void)
{
	static const char q[] = "SELECT 1 UNION SELECT 2 -- tail JOIN";
	QpmStmtStats s;
	double		f[QPM_STMT_N_FEATURES];
	double		t;

	full_row(&s);
	s.query = q;
	s.query_len = strlen(q);
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK_NEAR(f[COMPLEXITY], 2.0, TOL);	/* UNION + one extra SELECT */

	/* query_len bounds the scan: "SELECT 1 UNION" only */
	s.query_len = 14;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK_NEAR(f[COMPLEXITY], 1.0, TOL);

	/* present but empty text is 0, not missing */
	s.query_len = 0;
	CHECK(qpm_stmt_features(&s, f, &t) == QPM_ROW_OK);
	CHECK(f[COMPLEXITY] == 0.0);
}


/* pgss/2's positions after the twelve of pgss/1, spelled out here too. */
enum
{
	BLK_READ_TIME = 12, BLK_WRITE_TIME, TEMP_TIME, WAL_RECORDS, WAL_FPI,
	LOCAL_DW, PLANS_PER_CALL, JIT_FUNCTIONS, JIT_TIME, JIT_INLINING,
	JIT_OPTIMIZATION, TOKENS, SELECTS, JOINS, GROUP_BYS, ORDER_BYS,
	DISTINCTS, SET_OPS, WINDOWS, FUNCTIONS, AGGREGATES, LIMITS, CTES,
	PREDICATES, PATTERNS, IN_LISTS, PARAMS, KIND_SELECT, KIND_INSERT,
	KIND_UPDATE, KIND_DELETE, KIND_MERGE, KIND_OTHER, N_V2
};

/* full_row plus the columns only pgss/2 reads (calls = 4). */
static void
full_row_v2(QpmStmtStats *s)
{
	full_row(s);
	s->blk_read_time = 6;
	s->blk_write_time = 2;
	s->temp_blk_read_time = 1;
	s->temp_blk_write_time = 3;
	s->wal_records = 12;
	s->wal_fpi = 4;
	s->local_blks_dirtied = 5;
	s->local_blks_written = 3;
	s->jit_functions = 8;
	s->jit_generation_time = 1;
	s->jit_inlining_count = 2;
	s->jit_inlining_time = 2;
	s->jit_optimization_count = 4;
	s->jit_optimization_time = 3;
	s->jit_emission_time = 6;
	s->jit_deform_time = 4;
}

/* pgss/2: id, version, label, width, pgss/1's names first, no empty entry. */
static void
test_v2_metadata(void)
{
	const QpmFeatureSet *v1 = &qpm_feature_set_stmt_stats;
	const QpmFeatureSet *v2 = &qpm_feature_set_stmt_stats_v2;
	char		label[QPM_FS_LABEL_LEN];
	int			i,
				j;

	CHECK(N_V2 == QPM_STMT2_N_FEATURES);
	CHECK(v2->id == QPM_FS_STMT_STATS && v2->version == 2);
	CHECK(strcmp(v2->name, "pgss") == 0);
	CHECK(v2->n_features == QPM_STMT2_N_FEATURES);
	CHECK(v2->n_features <= QPM_MAX_FEATURES);
	qpm_feature_set_label(v2, label, sizeof(label));
	CHECK(strcmp(label, "pgss/2") == 0);
	qpm_feature_set_label(v1, label, sizeof(label));
	CHECK(strcmp(label, "pgss/1") == 0);
	for (i = 0; i < QPM_STMT_N_FEATURES; i++)
	{
		CHECK(strcmp(v2->names[i], v1->names[i]) == 0);
		CHECK(strcmp(v2->descriptions[i], v1->descriptions[i]) == 0);
	}
	for (i = 0; i < v2->n_features; i++)
	{
		CHECK(v2->names[i] != NULL && v2->descriptions[i] != NULL);
		if (v2->names[i] == NULL || v2->descriptions[i] == NULL)
			continue;
		CHECK(strlen(v2->descriptions[i]) > 10 && strlen(v2->descriptions[i]) < 120);
		CHECK(strchr(v2->descriptions[i], '\n') == NULL);
		CHECK(qpm_feature_set_index(v2, v2->names[i]) == i);	/* names unique */
		/* never the target or its statistics */
		CHECK(strstr(v2->names[i], "exec_time") == NULL);
		CHECK(strstr(v2->names[i], "stddev") == NULL);
		for (j = 0; j < v2->n_inputs; j++)
			CHECK(strstr(v2->inputs[j], "exec_time") == NULL);
	}
	CHECK(strcmp(v2->names[JIT_TIME], "jit_time_per_call") == 0);
	CHECK(strcmp(v2->names[KIND_OTHER], "kind_other") == 0);
	/* pgss/1 reads a subset of pgss/2's inputs */
	for (i = 0; i < v1->n_inputs; i++)
	{
		int			found = 0;

		for (j = 0; j < v2->n_inputs; j++)
			found |= strcmp(v1->inputs[i], v2->inputs[j]) == 0;
		CHECK(found);
	}
	CHECK(v1->row_features == qpm_stmt_features);
	CHECK(v2->row_features == qpm_stmt_features_v2);
}

/*
 * A set without a row function takes the row's ready vector: a row
 * without one (or of another length, or without calls) yields nothing,
 * never a crash; infinite elements become missing values.
 */
static void
test_set_without_row_function(void)
{
	static const char *const names[2] = {"a", "b"};
	const QpmFeatureSet vector_set = {9, 1, "vec", 2, names, names, 0, NULL, NULL};
	QpmStmtStats s;
	double		v[3] = {INFINITY, 5, 6};
	double		f[2] = {1, 2};
	double		t = 3;

	full_row(&s);
	CHECK(qpm_row_features(&vector_set, &s, f, &t) == QPM_ROW_BAD_CALLS);
	CHECK(isnan(f[0]) && isnan(f[1]) && isnan(t));
	CHECK(qpm_row_features(&vector_set, &s, f, NULL) == QPM_ROW_BAD_CALLS);
	s.vector = v;
	s.n_vector = 3;				/* wrong length */
	CHECK(qpm_row_features(&vector_set, &s, f, &t) == QPM_ROW_BAD_CALLS);
	s.n_vector = 2;
	s.calls = 1;
	s.total_exec_time = 7.5;
	CHECK(qpm_row_features(&vector_set, &s, f, &t) == QPM_ROW_OK);
	CHECK(isnan(f[0]) && f[1] == 5 && t == 7.5);
	s.calls = 3;				/* a statement's samples summed: the mean */
	CHECK(qpm_row_features(&vector_set, &s, f, &t) == QPM_ROW_OK && t == 2.5);
	s.total_exec_time = 0;
	CHECK(qpm_row_features(&vector_set, &s, f, &t) == QPM_ROW_BAD_TIME && isnan(t));
	CHECK(qpm_row_features(&vector_set, &s, f, NULL) == QPM_ROW_OK);
	s.calls = 0;
	CHECK(qpm_row_features(&vector_set, &s, f, &t) == QPM_ROW_BAD_CALLS);
	s.calls = NAN;
	CHECK(qpm_row_features(&vector_set, &s, f, &t) == QPM_ROW_BAD_CALLS);
}

/* Labels and the registry walk, including misses. */
static void
test_labels(void)
{
	CHECK(qpm_feature_set_by_label("pgss/1") == &qpm_feature_set_stmt_stats);
	CHECK(qpm_feature_set_by_label("pgss/2") == &qpm_feature_set_stmt_stats_v2);
	CHECK(qpm_feature_set_by_label("pgss/3") == NULL);
	CHECK(qpm_feature_set_by_label("PGSS/1") == NULL);
	CHECK(qpm_feature_set_by_label("pgss") == NULL);
	CHECK(qpm_feature_set_by_label("pgss/1 ") == NULL);
	CHECK(qpm_feature_set_by_label("") == NULL);
	CHECK(qpm_feature_set_by_label(NULL) == NULL);
	CHECK(qpm_feature_set_at(0) == &qpm_feature_set_stmt_stats);
	CHECK(qpm_feature_set_at(1) == &qpm_feature_set_stmt_stats_v2);
	CHECK(qpm_feature_set_by_label("plan/1") == &qpm_feature_set_plan);
	CHECK(qpm_feature_set_at(2) == &qpm_feature_set_plan);
	CHECK(qpm_feature_set_at(3) == NULL);
	CHECK(qpm_feature_set_at(-1) == NULL);
	/* a pgss/2-only name is unknown to pgss/1 */
	CHECK(qpm_feature_set_index(&qpm_feature_set_stmt_stats, "query_joins") == -1);
	CHECK(qpm_feature_set_index(&qpm_feature_set_stmt_stats_v2, "query_joins") == JOINS);
}

/* Every pgss/2 formula on one row; the first twelve equal pgss/1's bit for bit. */
static void
test_v2_full_row(void)
{
	static const char q[] =
		"WITH w AS (SELECT a, count(*) FROM t WHERE b LIKE $1 GROUP BY a) "
		"SELECT DISTINCT w.a, lower(x) FROM w JOIN u ON u.a = w.a "
		"WHERE u.c IN ($2, $3) ORDER BY 1 LIMIT $4";
	QpmStmtStats s;
	double		f1[QPM_STMT_N_FEATURES];
	double		f2[QPM_STMT2_N_FEATURES];
	double		t1 = -1,
				t2 = -2;
	int			i;

	full_row_v2(&s);
	s.query = q;
	s.query_len = strlen(q);
	CHECK(qpm_row_features(&qpm_feature_set_stmt_stats, &s, f1, &t1) == QPM_ROW_OK);
	CHECK(qpm_row_features(&qpm_feature_set_stmt_stats_v2, &s, f2, &t2) == QPM_ROW_OK);
	CHECK(t1 == t2 && t1 == 2.5);
	for (i = 0; i < QPM_STMT_N_FEATURES; i++)
		CHECK(memcmp(&f1[i], &f2[i], sizeof(double)) == 0);
	CHECK_NEAR(f2[BLK_READ_TIME], 1.5, TOL);	/* 6 / 4 */
	CHECK_NEAR(f2[BLK_WRITE_TIME], 0.5, TOL);
	CHECK_NEAR(f2[TEMP_TIME], 1.0, TOL);		/* (1 + 3) / 4 */
	CHECK_NEAR(f2[WAL_RECORDS], 3.0, TOL);
	CHECK_NEAR(f2[WAL_FPI], 1.0, TOL);
	CHECK_NEAR(f2[LOCAL_DW], 2.0, TOL);			/* (5 + 3) / 4 */
	CHECK_NEAR(f2[PLANS_PER_CALL], 0.5, TOL);	/* 2 plans / 4 calls */
	CHECK_NEAR(f2[JIT_FUNCTIONS], 2.0, TOL);
	CHECK_NEAR(f2[JIT_TIME], 4.0, TOL);			/* (1 + 2 + 3 + 6 + 4) / 4 */
	CHECK_NEAR(f2[JIT_INLINING], 0.5, TOL);
	CHECK_NEAR(f2[JIT_OPTIMIZATION], 1.0, TOL);
	CHECK(f2[SELECTS] == 2 && f2[JOINS] == 1 && f2[GROUP_BYS] == 1);
	CHECK(f2[ORDER_BYS] == 1 && f2[DISTINCTS] == 1 && f2[SET_OPS] == 0);
	CHECK(f2[WINDOWS] == 0 && f2[AGGREGATES] == 1 && f2[FUNCTIONS] == 2);
	CHECK(f2[LIMITS] == 1 && f2[CTES] == 1 && f2[PATTERNS] == 1);
	CHECK(f2[PREDICATES] == 3);		/* LIKE, =, IN */
	CHECK(f2[IN_LISTS] == 1 && f2[PARAMS] == 4);
	CHECK(f2[TOKENS] > 40);
	CHECK(f2[KIND_SELECT] == 1 && f2[KIND_INSERT] == 0 && f2[KIND_UPDATE] == 0);
	CHECK(f2[KIND_DELETE] == 0 && f2[KIND_MERGE] == 0 && f2[KIND_OTHER] == 0);
	for (i = 0; i < QPM_STMT2_N_FEATURES; i++)
		CHECK(isfinite(f2[i]));
}

/* Missing inputs: only their features are missing; JIT deforming is optional. */
static void
test_v2_missing(void)
{
	QpmStmtStats s;
	double		f[QPM_STMT2_N_FEATURES];
	double		t;
	int			i,
				n_nan;

	/* a pgss/1-style source (no new columns): the new counters are missing */
	full_row(&s);
	CHECK(qpm_stmt_features_v2(&s, f, &t) == QPM_ROW_OK);
	for (i = 0, n_nan = 0; i < QPM_STMT2_N_FEATURES; i++)
		n_nan += isnan(f[i]);
	CHECK(n_nan == JIT_OPTIMIZATION - BLK_READ_TIME + 1 - 1);	/* all but plans_per_call */
	CHECK(!isnan(f[PLANS_PER_CALL]));
	CHECK(!isnan(f[TOKENS]) && f[KIND_SELECT] == 1);

	/* before 17 there is no deforming time: the other four still count */
	full_row_v2(&s);
	s.jit_deform_time = NAN;
	CHECK(qpm_stmt_features_v2(&s, f, &t) == QPM_ROW_OK);
	CHECK_NEAR(f[JIT_TIME], 3.0, TOL);			/* (1 + 2 + 3 + 6) / 4 */
	s.jit_emission_time = NAN;
	CHECK(qpm_stmt_features_v2(&s, f, &t) == QPM_ROW_OK);
	CHECK(isnan(f[JIT_TIME]));
	/* half a sum is missing, not smaller */
	s.temp_blk_write_time = NAN;
	s.local_blks_written = NAN;
	CHECK(qpm_stmt_features_v2(&s, f, &t) == QPM_ROW_OK);
	CHECK(isnan(f[TEMP_TIME]) && isnan(f[LOCAL_DW]));

	/* no text: every text feature is missing, the counters are not */
	full_row_v2(&s);
	s.query = NULL;
	s.query_len = 0;
	CHECK(qpm_stmt_features_v2(&s, f, &t) == QPM_ROW_OK);
	for (i = TOKENS; i < N_V2; i++)
		CHECK(isnan(f[i]));
	CHECK(isnan(f[COMPLEXITY]));
	CHECK(!isnan(f[JIT_TIME]));

	/* empty text: counts 0, kind other */
	s.query = "";
	CHECK(qpm_stmt_features_v2(&s, f, &t) == QPM_ROW_OK);
	CHECK(f[TOKENS] == 0 && f[KIND_OTHER] == 1 && f[KIND_SELECT] == 0);
}

/* Statuses as for pgss/1: bad calls blank the whole vector, bad time keeps it. */
static void
test_v2_statuses(void)
{
	QpmStmtStats s;
	double		f[QPM_STMT2_N_FEATURES];
	double		t = 0;
	int			i;

	full_row_v2(&s);
	s.calls = 0;
	for (i = 0; i < QPM_STMT2_N_FEATURES; i++)
		f[i] = 7;
	CHECK(qpm_stmt_features_v2(&s, f, &t) == QPM_ROW_BAD_CALLS);
	CHECK(isnan(t));
	for (i = 0; i < QPM_STMT2_N_FEATURES; i++)
		CHECK(isnan(f[i]));

	full_row_v2(&s);
	s.total_exec_time = -1;
	CHECK(qpm_stmt_features_v2(&s, f, &t) == QPM_ROW_BAD_TIME);
	CHECK(isnan(t));
	CHECK_NEAR(f[JIT_TIME], 4.0, TOL);
	CHECK(qpm_stmt_features_v2(&s, f, NULL) == QPM_ROW_OK);
}

/* Each statement kind sets exactly one of the six flags. */
static void
test_v2_kinds(void)
{
	static const struct
	{
		const char *q;
		int			pos;
	}			cases[] =
	{
		{"SELECT 1", KIND_SELECT},
		{"(SELECT 1) UNION (SELECT 2)", KIND_SELECT},
		{"VALUES ($1)", KIND_SELECT},
		{"TABLE t", KIND_SELECT},
		{"/* app */ select 1", KIND_SELECT},
		{"INSERT INTO t VALUES ($1)", KIND_INSERT},
		{"WITH d AS (DELETE FROM t RETURNING *) INSERT INTO u SELECT * FROM d", KIND_INSERT},
		{"update t set a = $1", KIND_UPDATE},
		{"WITH RECURSIVE r AS (SELECT 1) UPDATE t SET a = (SELECT 1 FROM r)", KIND_UPDATE},
		{"DELETE FROM t WHERE a = $1", KIND_DELETE},
		{"MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE", KIND_MERGE},
		{"CREATE TABLE t AS SELECT 1", KIND_OTHER},
		{"EXPLAIN SELECT 1", KIND_OTHER},
		{"VACUUM t", KIND_OTHER},
		{"WITH x AS (SELECT 1)", KIND_OTHER},
		{"'SELECT'", KIND_OTHER},
		{"E'x' SELECT", KIND_OTHER},
		{"$1 SELECT", KIND_OTHER},
	};
	QpmStmtStats s;
	double		f[QPM_STMT2_N_FEATURES];
	double		t;
	size_t		c;
	int			k;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
	{
		full_row(&s);
		s.query = cases[c].q;
		s.query_len = strlen(cases[c].q);
		CHECK(qpm_stmt_features_v2(&s, f, &t) == QPM_ROW_OK);
		for (k = KIND_SELECT; k <= KIND_OTHER; k++)
		{
			if (f[k] != (k == cases[c].pos ? 1.0 : 0.0))
				fprintf(stderr, "kind case \"%s\", flag %d = %g\n", cases[c].q, k, f[k]);
			CHECK(f[k] == (k == cases[c].pos ? 1.0 : 0.0));
		}
	}
}

int
main(void)
{
	RUN(test_feature_set_metadata);
	RUN(test_feature_set_lookup);
	RUN(test_init);
	RUN(test_full_row);
	RUN(test_other_values);
	RUN(test_missing_inputs);
	RUN(test_plans_zero_and_hit_ratio);
	RUN(test_bad_calls);
	RUN(test_bad_time);
	RUN(test_mean_exec_time_fallback);
	RUN(test_extreme_counters);
	RUN(test_query_text);
	RUN(test_v2_metadata);
	RUN(test_set_without_row_function);
	RUN(test_labels);
	RUN(test_v2_full_row);
	RUN(test_v2_missing);
	RUN(test_v2_statuses);
	RUN(test_v2_kinds);
	return unit_report("test_features");
}
