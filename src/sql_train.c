/*
 * sql_train.c — train_model() and validate_model().
 *
 * train_model streams the source (as the caller), turns its rows into
 * vectors of the feature set the options choose (plan/1 for a source of
 * plan samples, unless the options name a set: plan_source.c), keeps the usable rows in
 * a dataset bounded by maintenance_work_mem (a seeded reservoir sample
 * beyond that, announced by a NOTICE), runs the core trainer in its own
 * memory context, and stores the serialized model as a new version.  An
 * ERROR at any point writes nothing: the catalog insert is the last step
 * and shares the caller's transaction.
 *
 * Resources.  maintenance_work_mem, training_threads and the options are
 * the caller's to choose, so each is bounded by a superuser-only setting,
 * checked before XGBoost is called.  Before the scan, the rows held
 * (max_rows, or as many as maintenance_work_mem holds) are capped so that
 * their share of the estimated memory (the dataset and its working copies,
 * for trees XGBoost's copy: qpm_xgb_data_bytes) fits
 * query_perf_ml.max_training_memory; a larger source is sampled, with a
 * NOTICE.  Once the rows are read, a tree model whose size bound (n_trees
 * trees of qpm_tree_node_bound nodes) exceeds query_perf_ml.max_model_size,
 * or whose trees (qpm_xgb_tree_bytes) take the estimate over
 * max_training_memory, is refused before anything is fitted: sampling the
 * rows further to make deep trees fit would only train a worse model.
 * The catalog refuses any larger blob in the end (catalog.c).
 *
 * validate_model streams the source through the active model (vectors in
 * the model's feature set) and accumulates the same metrics over every
 * usable row: the drift check.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "core/forest.h"
#include "core/policy.h"
#include "core/serialize.h"
#include "core/shap.h"
#include "catalog.h"
#include "model_cache.h"
#include "options.h"
#include "plan_source.h"
#include "source_reader.h"
#include "sql_common.h"
#include "xgb_train.h"

PG_FUNCTION_INFO_V1(qpm_train_model);
PG_FUNCTION_INFO_V1(qpm_validate_model);

/* What the training scan callback accumulates. */
typedef struct TrainScan
{
	const QpmFeatureSet *fs;
	QpmDataset	data;
	double		min_calls;
	bool		by_time;		/* split by time: held out if observed from cutoff on */
	double		cutoff;
	int64		n_read;
	int64		bad_calls;
	int64		bad_time;
	int64		below_min_calls;
} TrainScan;

/* What the validation scan callback accumulates. */
typedef struct ValidateScan
{
	const QpmModel *model;
	QpmMetricsAcc acc;
	int64		skipped;
} ValidateScan;

/* CHECK_FOR_INTERRUPTS as a function the core can call between stages. */
static void
check_interrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

/* Bytes per row held: the dataset and the trainer's working copies. */
static double
dataset_row_bytes(int p)
{
	return (double) qpm_dataset_row_bytes(p) * 2.5 + 64;
}

/* Rows that fit in maintenance_work_mem, leaving room for the working copies. */
static size_t
rows_for_memory(int p)
{
	double		rows = (double) maintenance_work_mem * 1024.0 / dataset_row_bytes(p);

	return rows < 1000 ? 1000 : (size_t) rows;
}

/* What will be fitted: the algorithm's settings, or for 'auto' those of its tree algorithms. */
typedef struct TrainPlan
{
	QpmTrainSettings *settings;
	int			n;
	int			p;
	bool		trees;			/* a candidate is a tree algorithm */
} TrainPlan;

/* Estimated bytes of n rows held: the dataset, its copies, XGBoost's copy. */
static double
rows_bytes(const TrainPlan *plan, size_t n)
{
	return (double) n * dataset_row_bytes(plan->p) +
		(plan->trees ? qpm_xgb_data_bytes(n, plan->p) : 0);
}

/* Estimated bytes of the whole training on n rows: every candidate's trees too. */
static double
training_bytes(const TrainPlan *plan, size_t n)
{
	double		bytes = rows_bytes(plan, n);
	int			i;

	for (i = 0; i < plan->n; i++)
		if (plan->settings[i].core.algorithm != QPM_ALG_LINEAR)
			bytes += qpm_xgb_tree_bytes(n, plan->p, plan->settings[i].core.algorithm,
										&plan->settings[i].trees);
	return bytes;
}

/* max_training_memory in bytes. */
static double
memory_limit(void)
{
	return (double) qpm_max_training_memory_kb * 1024.0;
}

/*
 * Rows the training may hold: max_rows, or what maintenance_work_mem holds,
 * at most as many as max_training_memory leaves room for (*bounded is set
 * when that is fewer).  ERROR when not even the minimum fits.
 */
static size_t
rows_to_hold(const TrainPlan *plan, int64 max_rows, bool *bounded)
{
	size_t		want = max_rows > 0 ? (size_t) max_rows : rows_for_memory(plan->p);
	size_t		lo = 0,
				hi = want;

	*bounded = false;
	if (rows_bytes(plan, want) <= memory_limit())
		return want;
	/* rows_bytes grows with n: the most rows that fit */
	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo + 1) / 2;

		if (rows_bytes(plan, mid) <= memory_limit())
			lo = mid;
		else
			hi = mid - 1;
	}
	if (lo < QPM_MIN_TRAIN_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("training needs more memory than query_perf_ml.max_training_memory allows"),
				 errdetail("Even %d rows take about %.0f MB; the limit is %d kB.",
						   QPM_MIN_TRAIN_ROWS,
						   rows_bytes(plan, QPM_MIN_TRAIN_ROWS) / (1024.0 * 1024.0),
						   qpm_max_training_memory_kb),
				 errhint("Ask a superuser to raise query_perf_ml.max_training_memory.")));
	*bounded = true;
	return lo;
}

/*
 * Before anything is fitted on the n rows held (of usable): ERROR when a
 * tree candidate's model could exceed max_model_size (n_trees trees of at
 * most qpm_tree_node_bound nodes each), or the training's memory estimate,
 * trees included, exceeds max_training_memory.
 */
static void
check_resources(const TrainPlan *plan, size_t n, uint64 usable)
{
	double		limit = (double) qpm_max_model_size_kb * 1024.0;
	double		bytes;
	int			i;

	for (i = 0; i < plan->n; i++)
	{
		const QpmTrainSettings *s = &plan->settings[i];
		double		nodes;

		if (s->core.algorithm == QPM_ALG_LINEAR)
			continue;
		nodes = (double) qpm_tree_node_bound(s->trees.max_depth, n) * s->trees.n_trees;
		bytes = (double) qpm_forest_model_size(plan->p, s->trees.n_trees,
											   nodes > (double) PG_INT64_MAX / 2.0 ?
											   PG_INT64_MAX / 2 : (int64) nodes);
		if (bytes > limit)
			ereport(ERROR,
					(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					 errmsg("a %s model of %d trees of depth %d could exceed query_perf_ml.max_model_size",
							qpm_algorithm_name(s->core.algorithm), s->trees.n_trees, s->trees.max_depth),
					 errdetail("Fitted on the " UINT64_FORMAT " rows held (of " UINT64_FORMAT " usable), such a model can take up to %.0f kB; the limit is %d kB.",
							   (uint64) n, usable, bytes / 1024.0, qpm_max_model_size_kb),
					 errhint("Lower n_trees or max_depth, or ask a superuser to raise query_perf_ml.max_model_size.")));
	}
	bytes = training_bytes(plan, n);
	ereport(DEBUG1,
			(errmsg_internal("query_perf_ml: training on " UINT64_FORMAT " rows estimated at %.1f MB (rows %.1f MB)",
							 (uint64) n, bytes / (1024.0 * 1024.0),
							 rows_bytes(plan, n) / (1024.0 * 1024.0))));
	if (bytes > memory_limit())
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("training needs more memory than query_perf_ml.max_training_memory allows"),
				 errdetail("Training on the " UINT64_FORMAT " rows held (of " UINT64_FORMAT " usable) takes about %.0f MB with these options, trees included; the limit is %d MB.",
						   (uint64) n, usable, bytes / (1024.0 * 1024.0), qpm_max_training_memory_kb / 1024),
				 errhint("Lower max_depth or n_trees (or max_rows), or ask a superuser to raise query_perf_ml.max_training_memory.")));
}

/* Training scan: features + target of each row, counting what is skipped. */
static void
train_row(const QpmStmtStats *row, void *arg)
{
	TrainScan  *ts = (TrainScan *) arg;
	double		x[QPM_MAX_FEATURES];
	double		target;
	QpmRowStatus st = qpm_row_features(ts->fs, row, x, &target);

	ts->n_read++;
	if (st == QPM_ROW_BAD_CALLS)
		ts->bad_calls++;
	else if (st == QPM_ROW_BAD_TIME)
		ts->bad_time++;
	else if (row->calls < ts->min_calls)
		ts->below_min_calls++;
	else if (ts->by_time)
		qpm_dataset_add_split(&ts->data, x, log(target), row->queryid,
							  row->observed_at >= ts->cutoff);
	else
		qpm_dataset_add(&ts->data, x, log(target), row->queryid);
}

/* The ERROR for a source without enough usable rows. */
static void
too_few_rows(const QpmSource *src, const TrainScan *ts)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("too few usable rows in source %s: " UINT64_FORMAT " (at least %d needed)",
					src->display, ts->data.seen, QPM_MIN_TRAIN_ROWS),
			 errdetail("Read " INT64_FORMAT " rows: " INT64_FORMAT " with NULL or non-positive calls, "
					   INT64_FORMAT " with NULL or non-positive execution time, "
					   INT64_FORMAT " below min_calls.",
					   ts->n_read, ts->bad_calls, ts->bad_time, ts->below_min_calls),
			 errhint("Run a workload first, or lower the min_calls option.")));
}

/* ERROR from a failed core training. */
static void
training_failed(const char *alg, const char *err)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("training %s failed: %s", alg, err),
			 errhint("Held-out statements are chosen by queryid; a source with few distinct statements may need a smaller test_fraction.")));
}

/* "feature_importance": {"calls_log": 0.12, ...} of a trained model, summing to 1. */
static char *
importance_json(const QpmModel *m)
{
	const QpmFeatureSet *fs = m->feature_set;
	double		imp[QPM_MAX_FEATURES];
	StringInfoData b;
	int			j;

	qpm_model_importance(m, imp);	/* all 0 when nothing to distribute */
	initStringInfo(&b);
	appendStringInfoString(&b, "\"feature_importance\": {");
	for (j = 0; j < fs->n_features; j++)
		qpm_json_number(&b, fs->names[j], imp[j], j == 0);
	appendStringInfoChar(&b, '}');
	return b.data;
}

/* Parse the options of one algorithm and wire the callbacks. */
static void
prepare_settings(QpmTrainSettings *s, Jsonb *options, QpmAlgorithm alg, bool lenient)
{
	qpm_parse_train_options(options, alg, lenient, s);
	s->core.check_interrupts = check_interrupts;
	s->core.fit_trees = qpm_xgb_fit;
	s->core.fit_trees_arg = s;
}

/*
 * 'auto': train every algorithm on the same rows and split, keep the one
 * with the lowest held-out median q-error.  The comparison is reported as
 * a NOTICE and stored in the winner's metrics.  Returns the winner's index.
 */
static int
train_auto(const QpmDataset *data, Jsonb *options, QpmTrainSettings *settings,
		   QpmTrainResult *results, StringInfo comparison)
{
	static const QpmAlgorithm candidates[3] = {
		QPM_ALG_LINEAR, QPM_ALG_RANDOM_FOREST, QPM_ALG_GRADIENT_BOOSTING
	};
	StringInfoData detail;
	char		err[512];
	int			best = -1;
	int			i;

	initStringInfo(&detail);
	appendStringInfoChar(comparison, '{');
	for (i = 0; i < 3; i++)
	{
		const char *alg = qpm_algorithm_name(candidates[i]);
		QpmMetrics *m = &results[i].test;

		prepare_settings(&settings[i], options, candidates[i], true);
		settings[i].core.fit_trees_arg = &settings[i];
		if (qpm_train(data, &settings[i].core, settings[i].feature_set,
					  &results[i], err, sizeof(err)) != 0)
			training_failed(alg, err);
		if (!isfinite(m->median_q_error))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("algorithm 'auto' needs held-out statements to compare algorithms"),
					 errhint("Use a source with more distinct statements, or test_fraction > 0.")));
		appendStringInfo(&detail, "%s%s: median q-error %.3f, p90 q-error %.3f, r2 %.3f, coverage %.3f",
						 i ? "; " : "", alg, m->median_q_error, m->p90_q_error, m->r2,
						 m->interval_coverage);
		appendStringInfo(comparison, "%s\"%s\": {", i ? ", " : "", alg);
		qpm_json_number(comparison, "median_q_error", m->median_q_error, true);
		qpm_json_number(comparison, "p90_q_error", m->p90_q_error, false);
		qpm_json_number(comparison, "r2", m->r2, false);
		qpm_json_number(comparison, "interval_coverage", m->interval_coverage, false);
		appendStringInfoChar(comparison, '}');
		if (best < 0 || qpm_policy_better(m->median_q_error, results[best].test.median_q_error))
			best = i;
	}
	appendStringInfoChar(comparison, '}');
	ereport(NOTICE,
			(errmsg("auto: %s has the lowest held-out median q-error",
					qpm_algorithm_name(candidates[best])),
			 errdetail("%s.", detail.data)));
	return best;
}

/* train_model(name, algorithm, source, options) */
Datum
qpm_train_model(PG_FUNCTION_ARGS)
{
	char	   *name;
	char	   *alg_name;
	QpmAlgorithm alg;
	bool		is_auto;
	Oid			relid = PG_ARGISNULL(2) ? InvalidOid : PG_GETARG_OID(2);
	/* a plan source trains plan/1 unless the options say otherwise */
	Jsonb	   *options = qpm_plan_source_options(relid, PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3));
	QpmTrainSettings *settings;
	QpmTrainSettings *win_settings;
	TrainPlan	plan;
	bool		bounded;
	const QpmFeatureSet *fs;
	QpmSource	src;
	TrainScan	ts;
	QpmTrainResult *results;
	QpmTrainResult *res;
	StringInfoData comparison;
	QpmNewModel nm;
	MemoryContext caller_ctx = CurrentMemoryContext;
	MemoryContext train_ctx;
	instr_time	start,
				elapsed;
	char		err[512];
	int64		model_id;
	int32		version;
	TupleDesc	tupdesc;
	Datum		values[13];
	bool		nulls[13] = {0};

	alg = qpm_training_args(fcinfo, &name, &alg_name, &is_auto);
	settings = palloc0(sizeof(QpmTrainSettings) * 3);
	results = palloc0(sizeof(QpmTrainResult) * 3);
	/* Validate the options before reading anything (also for 'auto'). */
	prepare_settings(&settings[0], options, alg, is_auto);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	/* What will be fitted, for the resource checks: 'auto' fits all three. */
	plan.p = settings[0].feature_set->n_features;
	plan.n = 1;
	plan.settings = settings;
	plan.trees = is_auto || alg != QPM_ALG_LINEAR;
	if (is_auto)
	{
		plan.settings = palloc0(sizeof(QpmTrainSettings) * 2);
		plan.n = 2;
		prepare_settings(&plan.settings[0], options, QPM_ALG_RANDOM_FOREST, true);
		prepare_settings(&plan.settings[1], options, QPM_ALG_GRADIENT_BOOSTING, true);
	}
	if (plan.trees && qpm_xgb_threads() < qpm_training_threads)
		ereport(NOTICE,
				(errmsg("training with %d threads", qpm_xgb_threads()),
				 errdetail("query_perf_ml.training_threads is %d; query_perf_ml.max_training_threads allows %d.",
						   qpm_training_threads, qpm_max_training_threads),
				 errhint("A superuser may raise query_perf_ml.max_training_threads.")));

	INSTR_TIME_SET_CURRENT(start);
	train_ctx = AllocSetContextCreate(caller_ctx, "query_perf_ml training",
									  ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(train_ctx);

	fs = settings[0].feature_set;
	qpm_source_open(relid, fs, &src);
	memset(&ts, 0, sizeof(ts));
	ts.fs = fs;
	ts.min_calls = settings[0].min_calls;
	qpm_dataset_init(&ts.data, fs->n_features,
					 rows_to_hold(&plan, settings[0].max_rows, &bounded),
					 settings[0].core.seed);
	if (settings[0].split_by_time)
	{
		ts.by_time = true;
		ts.data.explicit_split = 1;
		/* NaN (nothing to hold out): every comparison is false. */
		ts.cutoff = qpm_source_time_cutoff(&src, settings[0].core.test_fraction);
	}
	qpm_source_scan(&src, QPM_SCAN_ROWS, 0, train_row, &ts);
	if (ts.data.seen < QPM_MIN_TRAIN_ROWS)
		too_few_rows(&src, &ts);
	check_resources(&plan, ts.data.n, ts.data.seen);
	if (ts.data.seen > ts.data.n && bounded)
		ereport(NOTICE,
				(errmsg("training on a sample of %zu of " UINT64_FORMAT " usable rows",
						ts.data.n, ts.data.seen),
				 errdetail("query_perf_ml.max_training_memory (%d kB) bounds the memory of a training, and so the rows it holds.",
						   qpm_max_training_memory_kb),
				 errhint("A superuser may raise query_perf_ml.max_training_memory.")));
	else if (ts.data.seen > ts.data.n)
		ereport(NOTICE,
				(errmsg("training on a sample of %zu of " UINT64_FORMAT " usable rows",
						ts.data.n, ts.data.seen),
				 errdetail("maintenance_work_mem (%d kB) or the max_rows option bounds the rows held in memory.",
						   maintenance_work_mem),
				 errhint("Raise maintenance_work_mem or max_rows to train on more rows.")));

	initStringInfo(&comparison);
	if (is_auto)
	{
		int			w = train_auto(&ts.data, options, settings, results, &comparison);

		res = &results[w];
		win_settings = &settings[w];
	}
	else
	{
		res = &results[0];
		win_settings = &settings[0];
		if (qpm_train(&ts.data, &win_settings->core, fs, res,
					  err, sizeof(err)) != 0)
			training_failed(alg_name, err);
	}
	alg_name = pstrdup(qpm_algorithm_name(win_settings->core.algorithm));

	if (res->n_test == 0 && win_settings->core.test_fraction > 0)
		ereport(NOTICE,
				(errmsg("no %s was held out for testing",
						ts.by_time ? "row" : "statement"),
				 ts.by_time ?
				 errdetail("The held-out part is the newest intervals and the source has too few distinct interval ends; held-out metrics are NULL.") :
				 errdetail("The held-out part is chosen by queryid and the source has too few distinct statements; held-out metrics are NULL."),
				 errhint("Use validate_model() on another source to measure accuracy.")));

	memset(&nm, 0, sizeof(nm));
	nm.name = name;
	nm.source = src.display;
	nm.source_relid = src.relid;
	nm.n_train = (int64) res->n_train;
	nm.n_test = (int64) res->n_test;
	nm.metrics = qpm_metrics_to_jsonb(&res->test, &res->model.interval,
									  psprintf("\"rows_read\": " INT64_FORMAT
											   ", \"rows_skipped_calls\": " INT64_FORMAT
											   ", \"rows_skipped_time\": " INT64_FORMAT
											   ", \"rows_below_min_calls\": " INT64_FORMAT
											   ", \"rows_usable\": " UINT64_FORMAT
											   ", \"rows_sampled\": %zu, %s%s%s",
											   ts.n_read, ts.bad_calls, ts.bad_time,
											   ts.below_min_calls, ts.data.seen, ts.data.n,
											   importance_json(&res->model),
											   is_auto ? ", \"auto\": " : "",
											   is_auto ? comparison.data : ""));
	nm.options = qpm_train_settings_to_jsonb(win_settings);
	nm.activate = win_settings->activate;
	model_id = qpm_catalog_store_model(&res->model, &nm, &version);

	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);

	MemoryContextSwitchTo(caller_ctx);
	values[0] = Int64GetDatum(model_id);
	values[1] = CStringGetTextDatum(name);
	values[2] = Int32GetDatum(version);
	values[3] = CStringGetTextDatum(alg_name);
	values[4] = Int64GetDatum((int64) res->n_train);
	values[5] = Int64GetDatum((int64) res->n_test);
	values[6] = qpm_float8_or_null(res->test.r2, &nulls[6]);
	values[7] = qpm_float8_or_null(res->test.mae_ms, &nulls[7]);
	values[8] = qpm_float8_or_null(res->test.rmse_ms, &nulls[8]);
	values[9] = qpm_float8_or_null(res->test.median_q_error, &nulls[9]);
	values[10] = qpm_float8_or_null(res->test.p90_q_error, &nulls[10]);
	values[11] = qpm_float8_or_null(res->test.interval_coverage, &nulls[11]);
	values[12] = Float8GetDatum(INSTR_TIME_GET_MILLISEC(elapsed));
	MemoryContextDelete(train_ctx);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* Validation scan: predict each usable row and account the error. */
static void
validate_row(const QpmStmtStats *row, void *arg)
{
	ValidateScan *vs = (ValidateScan *) arg;
	double		x[QPM_MAX_FEATURES];
	double		target;
	QpmPrediction pr;

	if (qpm_row_features(vs->model->feature_set, row, x, &target) != QPM_ROW_OK)
	{
		vs->skipped++;
		return;
	}
	qpm_model_predict(vs->model, x, &pr);
	qpm_metrics_add(&vs->acc, target, pr.predicted_ms, pr.lower_ms, pr.upper_ms);
}

/* validate_model(model, source) */
Datum
qpm_validate_model(PG_FUNCTION_ARGS)
{
	char	   *name = PG_ARGISNULL(0) ? NULL : qpm_model_name_arg(PG_GETARG_TEXT_PP(0));
	Oid			relid = PG_ARGISNULL(1) ? InvalidOid : PG_GETARG_OID(1);
	const QpmCachedModel *cm = qpm_model_cache_pin(name);
	QpmSource	src;
	ValidateScan vs;
	QpmMetrics	m;
	TupleDesc	tupdesc;
	Datum		values[12];
	bool		nulls[12] = {0};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	qpm_source_open(relid, cm->model.feature_set, &src);
	memset(&vs, 0, sizeof(vs));
	vs.model = &cm->model;
	qpm_metrics_init(&vs.acc, (size_t) maintenance_work_mem * 1024 / sizeof(double), 42);
	qpm_source_scan(&src, QPM_SCAN_ROWS, 0, validate_row, &vs);
	qpm_metrics_finish(&vs.acc, &m);
	qpm_metrics_free(&vs.acc);

	values[0] = Int64GetDatum(cm->model_id);
	values[1] = CStringGetTextDatum(cm->name);
	values[2] = Int32GetDatum(cm->version);
	values[3] = CStringGetTextDatum(cm->algorithm);
	qpm_model_cache_unpin(cm);
	values[4] = Int64GetDatum((int64) m.n);
	values[5] = Int64GetDatum(vs.skipped);
	values[6] = qpm_float8_or_null(m.r2, &nulls[6]);
	values[7] = qpm_float8_or_null(m.mae_ms, &nulls[7]);
	values[8] = qpm_float8_or_null(m.rmse_ms, &nulls[8]);
	values[9] = qpm_float8_or_null(m.median_q_error, &nulls[9]);
	values[10] = qpm_float8_or_null(m.p90_q_error, &nulls[10]);
	values[11] = qpm_float8_or_null(m.interval_coverage, &nulls[11]);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
