/*
 * options.c — train_model's options jsonb: validation and defaults.
 *
 * Every accepted key is in one table with its type, range, algorithms and
 * the offset of the settings field it fills, so parsing and storing the
 * effective settings are one loop each over it, the error for an unknown
 * key can list them all, and the README's options table has one source of
 * truth.  The effective settings (defaults filled in) are
 * stored with each model, so a model says exactly how it was trained.
 */
#include "postgres.h"

#include <math.h>
#include <stddef.h>

#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "jsonb_reader.h"
#include "options.h"
#include "sql_common.h"

char	   *qpm_default_feature_set = NULL;

/* Only a known feature set label is a valid default. */
static bool
check_default_feature_set(char **newval, void **extra, GucSource source)
{
	if (*newval != NULL && qpm_feature_set_by_label(*newval) != NULL)
		return true;
	GUC_check_errdetail("Known feature sets: %s.", qpm_feature_set_list());
	return false;
}

/* The default of the feature_set option. */
void
qpm_options_init(void)
{
	DefineCustomStringVariable("query_perf_ml.default_feature_set",
							   "Feature set of models trained without the feature_set option.",
							   "pgss/1 or pgss/2.  A model keeps the set it was trained on.",
							   &qpm_default_feature_set,
							   "pgss/2",
							   PGC_USERSET, 0,
							   check_default_feature_set, NULL, NULL);
}

typedef enum OptType
{
	OPT_NUMBER,
	OPT_INTEGER,
	OPT_BOOLEAN,
	OPT_SPLIT,					/* "queryid" or "time": split_by_time */
	OPT_FEATURE_SET				/* a feature set label, "pgss/1" or "pgss/2" */
} OptType;

/* The C type of the settings field a number option is stored in. */
typedef enum FieldType
{
	F_NONE,						/* not a number option */
	F_DOUBLE,
	F_INT,
	F_INT64,
	F_UINT64
} FieldType;

/* Which algorithms an option applies to. */
#define A_LIN	(1 << QPM_ALG_LINEAR)
#define A_GBM	(1 << QPM_ALG_GRADIENT_BOOSTING)
#define A_RF	(1 << QPM_ALG_RANDOM_FOREST)
#define A_TREES (A_GBM | A_RF)
#define A_ALL	(A_LIN | A_TREES)

#define FIELD(f)	offsetof(QpmTrainSettings, f)
#define NO_FIELD	((size_t) -1)

typedef struct OptSpec
{
	const char *key;
	OptType		type;
	FieldType	ftype;
	size_t		field;			/* offset in QpmTrainSettings */
	size_t		also;			/* a second field set to the same value, or NO_FIELD */
	double		min;
	double		max;
	bool		min_exclusive;
	bool		max_exclusive;
	int			algorithms;
} OptSpec;

/*
 * Alphabetical: the order of the error detail and of the stored options.
 * The one place an option is named: parsing and storing both walk it.
 */
static const OptSpec option_specs[] = {
	{"activate", OPT_BOOLEAN, F_NONE, FIELD(activate), NO_FIELD, 0, 0, false, false, A_ALL},
	{"clip_high", OPT_NUMBER, F_DOUBLE, FIELD(core.clip_hi_pct), NO_FIELD, 0, 100, true, false, A_ALL},
	{"clip_low", OPT_NUMBER, F_DOUBLE, FIELD(core.clip_lo_pct), NO_FIELD, 0, 100, false, true, A_ALL},
	{"colsample", OPT_NUMBER, F_DOUBLE, FIELD(trees.colsample), NO_FIELD, 0, 1, true, false, A_TREES},
	{"cv_folds", OPT_INTEGER, F_INT, FIELD(core.cv_folds), NO_FIELD, 2, 20, false, false, A_ALL},
	{"early_stopping_rounds", OPT_INTEGER, F_INT, FIELD(trees.early_stopping_rounds), NO_FIELD, 0, 10000, false, false, A_GBM},
	{"feature_set", OPT_FEATURE_SET, F_NONE, FIELD(feature_set), NO_FIELD, 0, 0, false, false, A_ALL},
	{"interval_level", OPT_NUMBER, F_DOUBLE, FIELD(core.interval_level), NO_FIELD, 0, 1, true, true, A_ALL},
	{"lambda", OPT_NUMBER, F_DOUBLE, FIELD(core.lambda), FIELD(trees.lambda), 0, 1e12, false, false, A_ALL},
	{"learning_rate", OPT_NUMBER, F_DOUBLE, FIELD(trees.learning_rate), NO_FIELD, 0, 1, true, false, A_GBM},
	{"max_depth", OPT_INTEGER, F_INT, FIELD(trees.max_depth), NO_FIELD, 1, 20, false, false, A_TREES},
	{"max_rows", OPT_INTEGER, F_INT64, FIELD(max_rows), NO_FIELD, 0, 1e9, false, false, A_ALL},
	{"min_calls", OPT_NUMBER, F_DOUBLE, FIELD(min_calls), NO_FIELD, 1, 1e15, false, false, A_ALL},
	{"min_child_weight", OPT_NUMBER, F_DOUBLE, FIELD(trees.min_child_weight), NO_FIELD, 0, 1e9, false, false, A_TREES},
	{"n_trees", OPT_INTEGER, F_INT, FIELD(trees.n_trees), NO_FIELD, 1, 10000, false, false, A_TREES},
	{"seed", OPT_INTEGER, F_UINT64, FIELD(core.seed), NO_FIELD, 0, 9007199254740991.0, false, false, A_ALL},
	{"split", OPT_SPLIT, F_NONE, FIELD(split_by_time), NO_FIELD, 0, 0, false, false, A_ALL},
	{"subsample", OPT_NUMBER, F_DOUBLE, FIELD(trees.subsample), NO_FIELD, 0, 1, true, false, A_TREES},
	{"test_fraction", OPT_NUMBER, F_DOUBLE, FIELD(core.test_fraction), NO_FIELD, 0, 0.9, false, false, A_ALL},
};

/* The field at offset off of settings s. */
#define FIELD_PTR(s, off, type)	((type *) ((char *) (s) + (off)))
#define FIELD_CPTR(s, off, type) ((const type *) ((const char *) (s) + (off)))

/*
 * Store a validated number into the field of its C type (memcpy: the
 * field is only known by its offset).
 */
static void
store_number(QpmTrainSettings *s, const OptSpec *spec, size_t off, double d)
{
	char	   *p = (char *) s + off;

	/* each conversion only for its own type: d is in that type's range */
	switch (spec->ftype)
	{
		case F_DOUBLE:
			memcpy(p, &d, sizeof(d));
			break;
		case F_INT:
			{
				int			v = (int) d;

				memcpy(p, &v, sizeof(v));
				break;
			}
		case F_INT64:
			{
				int64		v = (int64) d;

				memcpy(p, &v, sizeof(v));
				break;
			}
		case F_UINT64:
			{
				uint64		v = (uint64) d;

				memcpy(p, &v, sizeof(v));
				break;
			}
		case F_NONE:
			elog(ERROR, "training option \"%s\" is not a number", spec->key);
	}
}

/* A number option's field as a double, for the stored options. */
static double
load_number(const QpmTrainSettings *s, const OptSpec *spec)
{
	const char *p = (const char *) s + spec->field;
	double		d;
	int			i;
	int64		i64;
	uint64		u64;

	switch (spec->ftype)
	{
		case F_DOUBLE:
			memcpy(&d, p, sizeof(d));
			return d;
		case F_INT:
			memcpy(&i, p, sizeof(i));
			return (double) i;
		case F_INT64:
			memcpy(&i64, p, sizeof(i64));
			return (double) i64;
		case F_UINT64:
			memcpy(&u64, p, sizeof(u64));
			return (double) u64;
		case F_NONE:
			break;
	}
	elog(ERROR, "training option \"%s\" is not a number", spec->key);
	return 0;					/* keep the compiler quiet */
}

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
	double		d;

	switch (spec->type)
	{
		case OPT_BOOLEAN:
			if (v->type != jbvBool)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("training option \"%s\" must be a boolean", k)));
			*FIELD_PTR(s, spec->field, bool) = v->val.boolean;
			return;
		case OPT_FEATURE_SET:
			if (v->type != jbvString)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("training option \"%s\" must be a string", k),
						 errhint("Known feature sets: %s.", qpm_feature_set_list())));
			*FIELD_PTR(s, spec->field, const QpmFeatureSet *) =
				qpm_feature_set_arg(pnstrdup(v->val.string.val, v->val.string.len));
			return;
		case OPT_SPLIT:
			if (v->type == jbvString && v->val.string.len == 7 &&
				strncmp(v->val.string.val, "queryid", 7) == 0)
				*FIELD_PTR(s, spec->field, bool) = false;
			else if (v->type == jbvString && v->val.string.len == 4 &&
					 strncmp(v->val.string.val, "time", 4) == 0)
				*FIELD_PTR(s, spec->field, bool) = true;
			else
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("training option \"%s\" must be \"queryid\" or \"time\"", k)));
			return;
		case OPT_NUMBER:
		case OPT_INTEGER:
			d = option_number(spec, v);
			store_number(s, spec, spec->field, d);
			if (spec->also != NO_FIELD)
				store_number(s, spec, spec->also, d);
			return;
	}
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
		const OptSpec *spec = &option_specs[i];
		const char *k = spec->key;

		if (!(spec->algorithms & mask))
			continue;
		if (b.len > 1)
			appendStringInfoString(&b, ", ");
		switch (spec->type)
		{
			case OPT_BOOLEAN:
				appendStringInfo(&b, "\"%s\": %s", k,
								 *FIELD_CPTR(s, spec->field, bool) ? "true" : "false");
				break;
			case OPT_SPLIT:
				appendStringInfo(&b, "\"%s\": \"%s\"", k,
								 *FIELD_CPTR(s, spec->field, bool) ? "time" : "queryid");
				break;
			case OPT_FEATURE_SET:
				appendStringInfo(&b, "\"%s\": \"%s\"", k,
								 qpm_feature_set_label_str(*FIELD_CPTR(s, spec->field, QpmFeatureSet *)));
				break;
			case OPT_NUMBER:
			case OPT_INTEGER:
				/* a seed is a 53-bit integer: printed exactly, not as %g */
				if (spec->ftype == F_UINT64)
					appendStringInfo(&b, "\"%s\": " UINT64_FORMAT, k,
									 *FIELD_CPTR(s, spec->field, uint64));
				else
					qpm_json_number(&b, k, load_number(s, spec), true);
				break;
		}
	}
	appendStringInfoChar(&b, '}');
	return qpm_jsonb_from_cstring(b.data);
}
