/*
 * options.c — train_model's options jsonb: validation and defaults.
 *
 * Every accepted key is in one table with its type and range, so the error
 * for an unknown key can list them all and the README's options table has
 * one source of truth.  The effective settings (defaults filled in) are
 * stored with each model, so a model says exactly how it was trained.
 */
#include "postgres.h"

#include <math.h>

#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "jsonb_reader.h"
#include "qpm_pg.h"

typedef enum OptType
{
	OPT_NUMBER,
	OPT_INTEGER,
	OPT_BOOLEAN,
	OPT_SPLIT,					/* "queryid" or "time" */
	OPT_FEATURE_SET				/* a feature set label, "pgss/1" or "pgss/2" */
} OptType;

/* Which algorithms an option applies to. */
#define A_LIN	(1 << QPM_ALG_LINEAR)
#define A_GBM	(1 << QPM_ALG_GRADIENT_BOOSTING)
#define A_RF	(1 << QPM_ALG_RANDOM_FOREST)
#define A_TREES (A_GBM | A_RF)
#define A_ALL	(A_LIN | A_TREES)

typedef struct OptSpec
{
	const char *key;
	OptType		type;
	double		min;
	double		max;
	bool		min_exclusive;
	bool		max_exclusive;
	int			algorithms;
} OptSpec;

/* Alphabetical: the order of the error detail and of the stored options. */
static const OptSpec option_specs[] = {
	{"activate", OPT_BOOLEAN, 0, 0, false, false, A_ALL},
	{"clip_high", OPT_NUMBER, 0, 100, true, false, A_ALL},
	{"clip_low", OPT_NUMBER, 0, 100, false, true, A_ALL},
	{"colsample", OPT_NUMBER, 0, 1, true, false, A_TREES},
	{"cv_folds", OPT_INTEGER, 2, 20, false, false, A_ALL},
	{"early_stopping_rounds", OPT_INTEGER, 0, 10000, false, false, A_GBM},
	{"feature_set", OPT_FEATURE_SET, 0, 0, false, false, A_ALL},
	{"interval_level", OPT_NUMBER, 0, 1, true, true, A_ALL},
	{"lambda", OPT_NUMBER, 0, 1e12, false, false, A_ALL},
	{"learning_rate", OPT_NUMBER, 0, 1, true, false, A_GBM},
	{"max_depth", OPT_INTEGER, 1, 20, false, false, A_TREES},
	{"max_rows", OPT_INTEGER, 0, 1e9, false, false, A_ALL},
	{"min_calls", OPT_NUMBER, 1, 1e15, false, false, A_ALL},
	{"min_child_weight", OPT_NUMBER, 0, 1e9, false, false, A_TREES},
	{"n_trees", OPT_INTEGER, 1, 10000, false, false, A_TREES},
	{"seed", OPT_INTEGER, 0, 9007199254740991.0, false, false, A_ALL},
	{"split", OPT_SPLIT, 0, 0, false, false, A_ALL},
	{"subsample", OPT_NUMBER, 0, 1, true, false, A_TREES},
	{"test_fraction", OPT_NUMBER, 0, 0.9, false, false, A_ALL},
};

/* "activate, clip_high, ..." for error details: the keys of one algorithm. */
static char *
accepted_keys(QpmAlgorithm alg)
{
	StringInfoData s;
	int			i;

	initStringInfo(&s);
	for (i = 0; i < (int) lengthof(option_specs); i++)
		if (option_specs[i].algorithms & (1 << alg))
			appendStringInfo(&s, "%s%s", s.len ? ", " : "", option_specs[i].key);
	return s.data;
}

/* Number value of a jsonb scalar, checked against the spec. */
static double
option_number(const OptSpec *spec, const JsonbValue *v)
{
	double		d;
	bool		low_ok,
				high_ok;

	if (v->type != jbvNumeric)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("training option \"%s\" must be %s", spec->key,
						spec->type == OPT_INTEGER ? "an integer" : "a number")));
	d = qpm_jsonb_number(v);
	if (spec->type == OPT_INTEGER && (d != floor(d) || !isfinite(d)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("training option \"%s\" must be an integer", spec->key)));
	low_ok = spec->min_exclusive ? d > spec->min : d >= spec->min;
	high_ok = spec->max_exclusive ? d < spec->max : d <= spec->max;
	if (!isfinite(d) || !low_ok || !high_ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("training option \"%s\" is out of range", spec->key),
				 errdetail("The value must be %s %g and %s %g.",
						   spec->min_exclusive ? "greater than" : "at least", spec->min,
						   spec->max_exclusive ? "less than" : "at most", spec->max)));
	return d;
}

/* Store one validated option into the settings. */
static void
apply_option(QpmTrainSettings *s, const OptSpec *spec, const JsonbValue *v)
{
	const char *k = spec->key;

	if (spec->type == OPT_BOOLEAN)
	{
		if (v->type != jbvBool)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("training option \"%s\" must be a boolean", k)));
		s->activate = v->val.boolean;
		return;
	}
	if (spec->type == OPT_FEATURE_SET)
	{
		if (v->type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("training option \"feature_set\" must be a string"),
					 errhint("Known feature sets: %s.", qpm_feature_set_list())));
		s->feature_set = qpm_feature_set_arg(pnstrdup(v->val.string.val,
													  v->val.string.len));
		return;
	}
	if (spec->type == OPT_SPLIT)
	{
		if (v->type == jbvString && v->val.string.len == 7 &&
			strncmp(v->val.string.val, "queryid", 7) == 0)
			s->split_by_time = false;
		else if (v->type == jbvString && v->val.string.len == 4 &&
				 strncmp(v->val.string.val, "time", 4) == 0)
			s->split_by_time = true;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("training option \"split\" must be \"queryid\" or \"time\"")));
		return;
	}
	if (strcmp(k, "colsample") == 0)
		s->trees.colsample = option_number(spec, v);
	else if (strcmp(k, "early_stopping_rounds") == 0)
		s->trees.early_stopping_rounds = (int) option_number(spec, v);
	else if (strcmp(k, "learning_rate") == 0)
		s->trees.learning_rate = option_number(spec, v);
	else if (strcmp(k, "max_depth") == 0)
		s->trees.max_depth = (int) option_number(spec, v);
	else if (strcmp(k, "min_child_weight") == 0)
		s->trees.min_child_weight = option_number(spec, v);
	else if (strcmp(k, "n_trees") == 0)
		s->trees.n_trees = (int) option_number(spec, v);
	else if (strcmp(k, "subsample") == 0)
		s->trees.subsample = option_number(spec, v);
	else if (strcmp(k, "clip_high") == 0)
		s->core.clip_hi_pct = option_number(spec, v);
	else if (strcmp(k, "clip_low") == 0)
		s->core.clip_lo_pct = option_number(spec, v);
	else if (strcmp(k, "cv_folds") == 0)
		s->core.cv_folds = (int) option_number(spec, v);
	else if (strcmp(k, "interval_level") == 0)
		s->core.interval_level = option_number(spec, v);
	else if (strcmp(k, "lambda") == 0)
		s->core.lambda = s->trees.lambda = option_number(spec, v);
	else if (strcmp(k, "max_rows") == 0)
		s->max_rows = (int64) option_number(spec, v);
	else if (strcmp(k, "min_calls") == 0)
		s->min_calls = option_number(spec, v);
	else if (strcmp(k, "seed") == 0)
		s->core.seed = (uint64) option_number(spec, v);
	else if (strcmp(k, "test_fraction") == 0)
		s->core.test_fraction = option_number(spec, v);
	else
		elog(ERROR, "unhandled training option \"%s\"", k);
}

/*
 * Defaults per algorithm, measured on the workload of test/workload with
 * test/bench/tune_trees.sh (see the README's options table).
 */
static void
set_defaults(QpmAlgorithm alg, QpmTrainSettings *s)
{
	memset(s, 0, sizeof(*s));
	qpm_train_options_default(&s->core);
	s->core.algorithm = alg;
	s->min_calls = 1;
	s->activate = true;
	s->feature_set = qpm_feature_set_by_label(qpm_default_feature_set);
	if (s->feature_set == NULL)
		elog(ERROR, "query_perf_ml.default_feature_set \"%s\" is not a feature set",
			 qpm_default_feature_set);	/* the check hook makes it can't-happen */
	s->trees.lambda = s->core.lambda;
	s->trees.min_child_weight = 1.0;
	if (alg == QPM_ALG_RANDOM_FOREST)
	{
		s->trees.n_trees = 100;
		s->trees.max_depth = 10;
		s->trees.subsample = 0.8;
		s->trees.colsample = 0.8;
		s->trees.learning_rate = 1.0;
	}
	else
	{
		s->trees.n_trees = 300;
		s->trees.max_depth = 6;
		s->trees.learning_rate = 0.1;
		s->trees.subsample = 0.8;
		s->trees.colsample = 1.0;
		s->trees.early_stopping_rounds = 20;
	}
}

/* What parsing the options of one algorithm needs for each member. */
typedef struct OptionWalk
{
	QpmAlgorithm alg;
	bool		lenient;
	QpmTrainSettings *s;
} OptionWalk;

/* One member of the options object: a known key that applies, or ERROR. */
static void
option_member(const char *key, const JsonbValue *v, void *arg)
{
	OptionWalk *w = (OptionWalk *) arg;
	const OptSpec *spec = NULL;
	int			i;

	for (i = 0; i < (int) lengthof(option_specs); i++)
		if (strcmp(option_specs[i].key, key) == 0)
			spec = &option_specs[i];
	if (spec == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown training option \"%s\"", key),
				 errdetail("Accepted options for %s are: %s.",
						   qpm_algorithm_name(w->alg), accepted_keys(w->alg))));
	if (!(spec->algorithms & (1 << w->alg)) && w->lenient)
		return;
	if (!(spec->algorithms & (1 << w->alg)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("training option \"%s\" does not apply to algorithm \"%s\"",
						key, qpm_algorithm_name(w->alg)),
				 errdetail("Accepted options for %s are: %s.",
						   qpm_algorithm_name(w->alg), accepted_keys(w->alg))));
	apply_option(w->s, spec, v);
}

/*
 * Parse options (NULL = all defaults) for alg into s, or ERROR.  lenient
 * (for 'auto', which trains several algorithms) skips keys that exist but
 * do not apply to alg.
 */
void
qpm_parse_train_options(Jsonb *options, QpmAlgorithm alg, bool lenient,
						QpmTrainSettings *s)
{
	OptionWalk	w;

	set_defaults(alg, s);
	if (options == NULL)
		goto derived;
	w.alg = alg;
	w.lenient = lenient;
	w.s = s;
	if (!qpm_jsonb_each_member(options, option_member, &w))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("training options must be a jsonb object"),
				 errhint("For example '{\"test_fraction\": 0.25, \"seed\": 7}'.")));
	/* A sample smaller than the trainer's minimum could never train. */
	if (s->max_rows > 0 && s->max_rows < QPM_MIN_TRAIN_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("training option \"max_rows\" must be 0 (no limit) or at least %d",
						QPM_MIN_TRAIN_ROWS)));
	if (!(s->core.clip_lo_pct < s->core.clip_hi_pct))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("training option \"clip_low\" must be less than \"clip_high\"")));
derived:
	/* Early stopping watches each cross-validation fold's held-out statements. */
	s->core.select_rounds =
		(alg == QPM_ALG_GRADIENT_BOOSTING && s->trees.early_stopping_rounds > 0);
}

/* The effective settings of the algorithm's options as a jsonb object. */
Jsonb *
qpm_train_settings_to_jsonb(const QpmTrainSettings *s)
{
	StringInfoData b;
	int			mask = 1 << s->core.algorithm;
	int			i;

	initStringInfo(&b);
	appendStringInfoChar(&b, '{');
	for (i = 0; i < (int) lengthof(option_specs); i++)
	{
		const char *k = option_specs[i].key;
		double		v;

		if (!(option_specs[i].algorithms & mask))
			continue;
		if (b.len > 1)
			appendStringInfoString(&b, ", ");
		if (strcmp(k, "activate") == 0)
		{
			appendStringInfo(&b, "\"activate\": %s", s->activate ? "true" : "false");
			continue;
		}
		if (strcmp(k, "seed") == 0)
		{
			appendStringInfo(&b, "\"seed\": " UINT64_FORMAT, s->core.seed);
			continue;
		}
		if (strcmp(k, "split") == 0)
		{
			appendStringInfo(&b, "\"split\": \"%s\"", s->split_by_time ? "time" : "queryid");
			continue;
		}
		if (strcmp(k, "feature_set") == 0)
		{
			appendStringInfo(&b, "\"feature_set\": \"%s\"",
							 qpm_feature_set_label_str(s->feature_set));
			continue;
		}
		if (strcmp(k, "clip_high") == 0)
			v = s->core.clip_hi_pct;
		else if (strcmp(k, "clip_low") == 0)
			v = s->core.clip_lo_pct;
		else if (strcmp(k, "colsample") == 0)
			v = s->trees.colsample;
		else if (strcmp(k, "cv_folds") == 0)
			v = s->core.cv_folds;
		else if (strcmp(k, "early_stopping_rounds") == 0)
			v = s->trees.early_stopping_rounds;
		else if (strcmp(k, "interval_level") == 0)
			v = s->core.interval_level;
		else if (strcmp(k, "lambda") == 0)
			v = s->core.lambda;
		else if (strcmp(k, "learning_rate") == 0)
			v = s->trees.learning_rate;
		else if (strcmp(k, "max_depth") == 0)
			v = s->trees.max_depth;
		else if (strcmp(k, "max_rows") == 0)
			v = (double) s->max_rows;
		else if (strcmp(k, "min_calls") == 0)
			v = s->min_calls;
		else if (strcmp(k, "min_child_weight") == 0)
			v = s->trees.min_child_weight;
		else if (strcmp(k, "n_trees") == 0)
			v = s->trees.n_trees;
		else if (strcmp(k, "subsample") == 0)
			v = s->trees.subsample;
		else if (strcmp(k, "test_fraction") == 0)
			v = s->core.test_fraction;
		else
			elog(ERROR, "unhandled training option \"%s\"", k);
		qpm_json_number(&b, k, v, true);
	}
	appendStringInfoChar(&b, '}');
	return qpm_jsonb_from_cstring(b.data);
}
