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

#include "qpm_pg.h"

typedef enum OptType
{
	OPT_NUMBER,
	OPT_INTEGER,
	OPT_BOOLEAN
} OptType;

typedef struct OptSpec
{
	const char *key;
	OptType		type;
	double		min;
	double		max;
	bool		min_exclusive;
	bool		max_exclusive;
} OptSpec;

/* Alphabetical: the order of the error detail and of the stored options. */
static const OptSpec option_specs[] = {
	{"activate", OPT_BOOLEAN, 0, 0, false, false},
	{"clip_high", OPT_NUMBER, 0, 100, true, false},
	{"clip_low", OPT_NUMBER, 0, 100, false, true},
	{"cv_folds", OPT_INTEGER, 2, 20, false, false},
	{"interval_level", OPT_NUMBER, 0, 1, true, true},
	{"lambda", OPT_NUMBER, 0, 1e12, false, false},
	{"max_rows", OPT_INTEGER, 0, 1e9, false, false},
	{"min_calls", OPT_NUMBER, 1, 1e15, false, false},
	{"seed", OPT_INTEGER, 0, 9007199254740991.0, false, false},
	{"test_fraction", OPT_NUMBER, 0, 0.9, false, false},
};

/* "activate, clip_high, ..." for error details. */
static char *
accepted_keys(void)
{
	StringInfoData s;
	int			i;

	initStringInfo(&s);
	for (i = 0; i < (int) lengthof(option_specs); i++)
		appendStringInfo(&s, "%s%s", i ? ", " : "", option_specs[i].key);
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
	d = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
										   NumericGetDatum(v->val.numeric)));
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
	if (strcmp(k, "clip_high") == 0)
		s->core.clip_hi_pct = option_number(spec, v);
	else if (strcmp(k, "clip_low") == 0)
		s->core.clip_lo_pct = option_number(spec, v);
	else if (strcmp(k, "cv_folds") == 0)
		s->core.cv_folds = (int) option_number(spec, v);
	else if (strcmp(k, "interval_level") == 0)
		s->core.interval_level = option_number(spec, v);
	else if (strcmp(k, "lambda") == 0)
		s->core.lambda = option_number(spec, v);
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

/* Parse options (NULL = all defaults) into s, or ERROR. */
void
qpm_parse_train_options(Jsonb *options, QpmTrainSettings *s)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken r;

	memset(s, 0, sizeof(*s));
	qpm_train_options_default(&s->core);
	s->min_calls = 1;
	s->activate = true;
	if (options == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(options) || JB_ROOT_IS_SCALAR(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("training options must be a jsonb object"),
				 errhint("For example '{\"test_fraction\": 0.25, \"seed\": 7}'.")));

	it = JsonbIteratorInit(&options->root);
	while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *key;
		const OptSpec *spec = NULL;
		int			i;

		if (r != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		for (i = 0; i < (int) lengthof(option_specs); i++)
			if (strcmp(option_specs[i].key, key) == 0)
				spec = &option_specs[i];
		if (spec == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown training option \"%s\"", key),
					 errdetail("Accepted options are: %s.", accepted_keys())));
		r = JsonbIteratorNext(&it, &v, true);
		if (r != WJB_VALUE)
			elog(ERROR, "unexpected jsonb iterator token %d", (int) r);
		apply_option(s, spec, &v);
	}
	if (!(s->core.clip_lo_pct < s->core.clip_hi_pct))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("training option \"clip_low\" must be less than \"clip_high\"")));
}

/* The effective settings as a jsonb object. */
Jsonb *
qpm_train_settings_to_jsonb(const QpmTrainSettings *s)
{
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfo(&b, "{\"activate\": %s", s->activate ? "true" : "false");
	qpm_json_number(&b, "clip_high", s->core.clip_hi_pct, false);
	qpm_json_number(&b, "clip_low", s->core.clip_lo_pct, false);
	appendStringInfo(&b, ", \"cv_folds\": %d", s->core.cv_folds);
	qpm_json_number(&b, "interval_level", s->core.interval_level, false);
	qpm_json_number(&b, "lambda", s->core.lambda, false);
	appendStringInfo(&b, ", \"max_rows\": " INT64_FORMAT, s->max_rows);
	qpm_json_number(&b, "min_calls", s->min_calls, false);
	appendStringInfo(&b, ", \"seed\": " UINT64_FORMAT, s->core.seed);
	qpm_json_number(&b, "test_fraction", s->core.test_fraction, false);
	appendStringInfoChar(&b, '}');
	return qpm_jsonb_from_cstring(b.data);
}
