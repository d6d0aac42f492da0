/*
 * xgb_train.c — fitting tree ensembles with XGBoost inside the backend.
 *
 * This is the QpmTreeFitFn the core trainer calls for gradient_boosting and
 * random_forest.  XGBoost is used for training only: the fitted trees are
 * dumped as text and parsed into the core's flat forest, which is what the
 * model blob stores and predict() walks.
 *
 * Rules for calling foreign code from a backend:
 *  - every handle is freed in PG_FINALLY (an ERROR or a cancel between two
 *    calls would otherwise leak XGBoost's memory, ~7 MB per failed call);
 *  - all signals are blocked around each XGBoost call, so that the OpenMP
 *    threads XGBoost creates inherit a blocked mask and PostgreSQL's
 *    handlers only ever run on the main thread; pending signals are
 *    delivered when the mask is restored and CHECK_FOR_INTERRUPTS acts on
 *    them between calls;
 *  - boosting runs one round per call with CHECK_FOR_INTERRUPTS between
 *    rounds; a random forest (one XGBoost round of parallel trees) is
 *    trained in chunks of trees so it can be cancelled too; the chunks are
 *    averaged by scaling their leaves;
 *  - XGBoost accepts unknown parameter names silently, so every parameter
 *    name here is a fixed string and values are validated in options.c.
 *
 * Memory.  XGBoost allocates outside palloc's accounting, so train_model
 * checks an estimate of its footprint against max_training_memory first.
 * Per fit of n rows of p features, T trees of at most N =
 * qpm_tree_node_bound(depth, n) nodes:
 *   qpm_xgb_data_bytes:
 *     16 MB (libxgboost, libgomp, libstdc++ once loaded)
 *   + n (32 p + 64)      DMatrix entries, our float copy, bin index,
 *                        gradients, predictions, row partitions
 *   qpm_xgb_tree_bytes:
 *   + N p 512            histograms and split state of one tree's nodes
 *   + N T 200 (boosting) the trees: XGBoost's booster holds all rounds,
 *                        their text dump, our flat forest, its walker copy
 *   + N T 96 (forest)    chunks of 16 trees in XGBoost, all in ours twice
 * never below the peak RSS test/bench/train_memory.sh measures (XGBoost
 * 1.7.4, p = 12; ratios in the README).  Threads are capped by
 * max_training_threads (superuser-only; training_threads is any user's).
 */
#include "postgres.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>

#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/guc.h"

#include "core/forest.h"
#include "options.h"
#include "xgb_api.h"
#include "xgb_train.h"

int			qpm_training_threads = 1;
bool		qpm_training_progress = true;
int			qpm_max_training_memory_kb = 1024 * 1024;
int			qpm_max_training_threads = 4;

/* Training settings; max_* are superuser-only (query_perf_ml.c's banner). */
void
qpm_training_init(void)
{
	DefineCustomIntVariable("query_perf_ml.training_threads",
							"Threads XGBoost may use while training a tree model.",
							"Range 1 to 64, used up to query_perf_ml.max_training_threads.  "
							"Used only during train_model; predictions are single-threaded.",
							&qpm_training_threads,
							1, 1, 64,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("query_perf_ml.training_progress",
							 "Report the progress of long trainings as NOTICEs.",
							 "A NOTICE every 5 seconds with the trees done and the time spent.",
							 &qpm_training_progress,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("query_perf_ml.max_training_memory",
							"Most memory one training may use, XGBoost's estimated share included.",
							"Range 1 MB to 2 TB.  Bounds maintenance_work_mem and the max_rows option: "
							"rows beyond it are sampled, larger explicit requests are refused.",
							&qpm_max_training_memory_kb,
							1024 * 1024, 1024, MAX_KILOBYTES,
							PGC_SUSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("query_perf_ml.max_training_threads",
							"Most threads a training may use, whatever training_threads says.",
							"Range 1 to 64.",
							&qpm_max_training_threads,
							4, 1, 64,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
}

#define RF_CHUNK_TREES 16
#define PROGRESS_INTERVAL_MS 5000.0

/* The footprint estimate's terms (see the banner). */
#define XGB_FIXED_BYTES			(16.0 * 1024 * 1024)
#define XGB_ROW_FEATURE_BYTES	32.0
#define XGB_ROW_BYTES			64.0
#define XGB_NODE_FEATURE_BYTES	512.0
#define XGB_BOOSTER_NODE_BYTES	200.0
#define XGB_FOREST_NODE_BYTES	96.0

/* State shared with the PG_FINALLY cleanup. */
typedef struct XgbHandles
{
	DMatrixHandle dtrain;
	DMatrixHandle dvalid;
	BoosterHandle booster;
} XgbHandles;

/* Block every signal we may block; returns the previous mask in old. */
static void
block_signals(sigset_t *old)
{
	sigset_t	all;

	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	pthread_sigmask(SIG_BLOCK, &all, old);
}

/* Restore the mask saved by block_signals. */
static void
restore_signals(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

/*
 * ERROR with XGBoost's last message when a call failed: its first line
 * only, since XGBoost appends a multi-line stack trace of its own library.
 */
static void
check_xgb(const QpmXgbApi *x, int rc, const char *what)
{
	if (rc != 0)
	{
		const char *msg = x->GetLastError();

		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("XGBoost %s failed: %.*s", what, (int) strcspn(msg, "\n"), msg)));
	}
}

/* Run one XGBoost call with signals blocked, then check its result. */
#define XGB(x, what, call) \
	do { \
		sigset_t	_old; \
		int			_rc; \
		block_signals(&_old); \
		_rc = (call); \
		restore_signals(&_old); \
		check_xgb((x), _rc, (what)); \
	} while (0)

/* Threads a fit uses: training_threads, at most max_training_threads. */
int
qpm_xgb_threads(void)
{
	return Min(qpm_training_threads, qpm_max_training_threads);
}

/* Estimated bytes XGBoost needs for the rows of a fit (see the banner). */
double
qpm_xgb_data_bytes(size_t n_fit, int p)
{
	return XGB_FIXED_BYTES + (double) n_fit * (XGB_ROW_FEATURE_BYTES * p + XGB_ROW_BYTES);
}

/* Estimated bytes of the trees of a fit and their copies (see the banner). */
double
qpm_xgb_tree_bytes(size_t n_fit, int p, QpmAlgorithm alg, const QpmTreeParams *tp)
{
	double		nodes = (double) qpm_tree_node_bound(tp->max_depth, n_fit);

	return nodes * p * XGB_NODE_FEATURE_BYTES +
		nodes * tp->n_trees *
		(alg == QPM_ALG_RANDOM_FOREST ? XGB_FOREST_NODE_BYTES : XGB_BOOSTER_NODE_BYTES);
}

/* Set one parameter (the name is always a literal, see the banner). */
static void
set_param(const QpmXgbApi *x, BoosterHandle b, const char *name, const char *fmt, double v)
{
	char		buf[64];

	snprintf(buf, sizeof(buf), fmt, v);
	XGB(x, "parameter setting", x->BoosterSetParam(b, name, buf));
}

/* A float copy of a double matrix (XGBoost's DMatrix is float). */
static float *
to_float(const double *v, size_t n)
{
	float	   *f = palloc_extended(sizeof(float) * (n > 0 ? n : 1), MCXT_ALLOC_HUGE);
	size_t		i;

	for (i = 0; i < n; i++)
		f[i] = (float) v[i];
	return f;
}

/*
 * DMatrix with labels from transformed rows, stored into *out as soon as it
 * exists so that PG_FINALLY frees it whatever fails next.
 */
static void
make_dmatrix(const QpmXgbApi *x, const double *X, const double *y, size_t n, int p,
			 DMatrixHandle *out)
{
	float	   *fx = to_float(X, n * (size_t) p);
	float	   *fy = to_float(y, n);

	XGB(x, "DMatrix creation", x->DMatrixCreateFromMat(fx, n, p, NAN, out));
	XGB(x, "label setting", x->DMatrixSetFloatInfo(*out, "label", fy, n));
	pfree(fx);
	pfree(fy);
}

/* Parameters both algorithms share. */
static void
set_common_params(const QpmXgbApi *x, BoosterHandle b, const QpmTreeParams *tp,
				  double base_score, uint64 seed)
{
	XGB(x, "parameter setting", x->BoosterSetParam(b, "objective", "reg:squarederror"));
	XGB(x, "parameter setting", x->BoosterSetParam(b, "tree_method", "hist"));
	XGB(x, "parameter setting", x->BoosterSetParam(b, "verbosity", "0"));
	set_param(x, b, "nthread", "%.0f", qpm_xgb_threads());
	set_param(x, b, "max_depth", "%.0f", tp->max_depth);
	set_param(x, b, "min_child_weight", "%.17g", tp->min_child_weight);
	set_param(x, b, "lambda", "%.17g", tp->lambda);
	set_param(x, b, "subsample", "%.17g", tp->subsample);
	set_param(x, b, "base_score", "%.9g", base_score);
	set_param(x, b, "seed", "%.0f", (double) (seed % 2147483647));
}

/* Parse the validation RMSE from "[i]\tvalid-rmse:0.123". */
static double
parse_eval(const char *s)
{
	const char *p = strstr(s, "valid-rmse:");

	return p ? strtod(p + strlen("valid-rmse:"), NULL) : NAN;
}

/* Dump a booster's trees and parse them into a flat forest. */
static QpmForest *
dump_forest(const QpmXgbApi *x, BoosterHandle b, int p, float base_score)
{
	bst_ulong	n_trees = 0;
	const char **dump = NULL;
	char		err[256];
	QpmForest  *f;

	XGB(x, "model dump", x->BoosterDumpModelEx(b, "", 1, "text", &n_trees, &dump));
	f = qpm_forest_from_xgb_dump(dump, (int32) n_trees, p, base_score, err, sizeof(err));
	if (f == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not read XGBoost's trees: %s", err)));
	return f;
}

/* Mean of the fitting targets: the starting point of every ensemble. */
static double
mean_of(const double *y, size_t n)
{
	double		s = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		s += y[i];
	return n > 0 ? s / (double) n : 0;
}

/* Called after every round or chunk (training job workers); NULL in backends. */
qpm_training_progress_hook_type qpm_training_progress_hook = NULL;

/*
 * Progress after each round: to the hook if set, and as a NOTICE every few
 * seconds (query_perf_ml.training_progress).
 */
static void
maybe_report(instr_time start, double *last_ms, const char *alg, int done, int total)
{
	instr_time	now;
	double		ms;

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, start);
	ms = INSTR_TIME_GET_MILLISEC(now);
	if (qpm_training_progress_hook)
		qpm_training_progress_hook(alg, done, total, ms);
	if (!qpm_training_progress)
		return;
	if (ms - *last_ms < PROGRESS_INTERVAL_MS)
		return;
	*last_ms = ms;
	ereport(NOTICE,
			(errmsg("%s: %d of %d trees after %.1f s", alg, done, total, ms / 1000.0)));
}

/*
 * Gradient boosting: one round per call; with validation rows, stop once
 * their RMSE has not improved for early_stopping_rounds rounds.
 */
static QpmForest *
fit_boosting(const QpmXgbApi *x, XgbHandles *h, const QpmTreeFitInput *in,
			 const QpmTreeParams *tp, uint64 seed)
{
	float		base = (float) mean_of(in->y_fit, in->n_fit);
	DMatrixHandle dm[1];
	const char *names[1] = {"valid"};
	double		best = INFINITY;
	int			best_round = -1;
	int			n_rounds;
	int			round;
	instr_time	start;
	double		last_report = 0;

	INSTR_TIME_SET_CURRENT(start);
	make_dmatrix(x, in->X_fit, in->y_fit, in->n_fit, in->p, &h->dtrain);
	if (in->n_valid > 0 && tp->early_stopping_rounds > 0)
		make_dmatrix(x, in->X_valid, in->y_valid, in->n_valid, in->p, &h->dvalid);
	XGB(x, "booster creation", x->BoosterCreate(&h->dtrain, 1, &h->booster));
	set_common_params(x, h->booster, tp, base, seed);
	set_param(x, h->booster, "eta", "%.17g", tp->learning_rate);
	set_param(x, h->booster, "colsample_bytree", "%.17g", tp->colsample);

	n_rounds = in->max_trees > 0 ? Min(in->max_trees, tp->n_trees) : tp->n_trees;
	for (round = 0; round < n_rounds; round++)
	{
		CHECK_FOR_INTERRUPTS();
		XGB(x, "boosting round", x->BoosterUpdateOneIter(h->booster, round, h->dtrain));
		if (h->dvalid != NULL)
		{
			const char *res = NULL;
			double		rmse;

			dm[0] = h->dvalid;
			XGB(x, "evaluation", x->BoosterEvalOneIter(h->booster, round, dm, names, 1, &res));
			rmse = parse_eval(res);
			if (rmse < best)
			{
				best = rmse;
				best_round = round;
			}
			else if (round - best_round >= tp->early_stopping_rounds)
				break;
		}
		maybe_report(start, &last_report, "gradient_boosting", round + 1, n_rounds);
	}
	CHECK_FOR_INTERRUPTS();
	/* every round trained: the trainer chooses how many to keep (trainer.h) */
	return dump_forest(x, h->booster, in->p, base);
}

/* Concatenate chunk forests, scaling each chunk's leaves by its weight. */
static QpmForest *
merge_chunks(QpmForest **chunks, int n_chunks, int p, float base, int total_trees)
{
	int32		trees = 0,
				nodes = 0;
	QpmForest  *f;
	int			c;

	for (c = 0; c < n_chunks; c++)
	{
		if ((int64) nodes + chunks[c]->n_nodes > PG_INT32_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("random forest too large"),
					 errhint("Lower n_trees or max_depth.")));
		trees += chunks[c]->n_trees;
		nodes += chunks[c]->n_nodes;
	}
	f = qpm_forest_alloc(trees, nodes, p);
	if (f == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("random forest too large: %d trees with %d nodes", (int) trees, (int) nodes),
				 errhint("Lower n_trees or max_depth.")));
	f->base_score = base;
	trees = nodes = 0;
	for (c = 0; c < n_chunks; c++)
	{
		QpmForest  *k = chunks[c];
		float		w = (float) k->n_trees / (float) total_trees;
		int32		t,
					i;

		for (t = 0; t < k->n_trees; t++)
			f->tree_offset[trees + t] = nodes + k->tree_offset[t];
		for (i = 0; i < k->n_nodes; i++)
		{
			QpmTreeNode nd = k->nodes[i];

			if (nd.feature < 0)
				nd.value *= w;
			f->nodes[nodes + i] = nd;
		}
		trees += k->n_trees;
		nodes += k->n_nodes;
	}
	f->tree_offset[trees] = nodes;
	{
		char		err[256];

		if (qpm_forest_validate(f, err, sizeof(err)) != 0)
			elog(ERROR, "merged random forest is invalid: %s", err);
	}
	return f;
}

/* Random forest: chunks of parallel trees, each chunk one XGBoost booster. */
static QpmForest *
fit_forest(const QpmXgbApi *x, XgbHandles *h, const QpmTreeFitInput *in,
		   const QpmTreeParams *tp, uint64 seed)
{
	float		base = (float) mean_of(in->y_fit, in->n_fit);
	int			n_chunks = (tp->n_trees + RF_CHUNK_TREES - 1) / RF_CHUNK_TREES;
	QpmForest **chunks = palloc0(sizeof(QpmForest *) * n_chunks);
	int			done = 0;
	int			c;
	instr_time	start;
	double		last_report = 0;

	INSTR_TIME_SET_CURRENT(start);
	make_dmatrix(x, in->X_fit, in->y_fit, in->n_fit, in->p, &h->dtrain);
	for (c = 0; c < n_chunks; c++)
	{
		int			k = Min(RF_CHUNK_TREES, tp->n_trees - done);

		CHECK_FOR_INTERRUPTS();
		XGB(x, "booster creation", x->BoosterCreate(&h->dtrain, 1, &h->booster));
		set_common_params(x, h->booster, tp, base, seed + (uint64) c * 7919);
		set_param(x, h->booster, "eta", "%.0f", 1.0);
		set_param(x, h->booster, "num_parallel_tree", "%.0f", k);
		set_param(x, h->booster, "colsample_bynode", "%.17g", tp->colsample);
		XGB(x, "forest round", x->BoosterUpdateOneIter(h->booster, 0, h->dtrain));
		chunks[c] = dump_forest(x, h->booster, in->p, base);
		x->BoosterFree(h->booster);
		h->booster = NULL;
		done += k;
		maybe_report(start, &last_report, "random_forest", done, tp->n_trees);
	}
	return merge_chunks(chunks, n_chunks, in->p, base, tp->n_trees);
}

/* The QpmTreeFitFn for XGBoost; arg is the QpmTrainSettings. */
int
qpm_xgb_fit(const QpmTreeFitInput *in, void *arg, QpmForest **out,
			char *err, size_t errlen)
{
	const QpmTrainSettings *s = (const QpmTrainSettings *) arg;
	const QpmXgbApi *x = qpm_xgb_api();
	XgbHandles	h;
	XgbHandles *volatile hp = &h;

	memset(&h, 0, sizeof(h));
	PG_TRY();
	{
		if (s->core.algorithm == QPM_ALG_RANDOM_FOREST)
			*out = fit_forest(x, hp, in, &s->trees, s->core.seed);
		else
			*out = fit_boosting(x, hp, in, &s->trees, s->core.seed);
	}
	PG_FINALLY();
	{
		sigset_t	old;

		block_signals(&old);
		if (hp->booster)
			x->BoosterFree(hp->booster);
		if (hp->dvalid)
			x->DMatrixFree(hp->dvalid);
		if (hp->dtrain)
			x->DMatrixFree(hp->dtrain);
		restore_signals(&old);
	}
	PG_END_TRY();
	return 0;
}
