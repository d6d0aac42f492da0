/*
 * jsonb_reader.c — strict reading of jsonb input: every value is taken
 * with its expected type, every object's keys are checked, and an error
 * names the offending value by its path.
 *
 * Two shapes of input use it.  A document (import_model's model document,
 * model_document.c) is read top-down with QpmJsonObject: each key is asked
 * for with its type, and closing the object refuses any key not asked for
 * while listing the accepted ones.  Paths are chains of QpmJsonPath frames
 * on the caller's stack, rendered ($.forest.trees[3].nodes[0].left) only
 * when an error is reported, so a walk over millions of values does no
 * string work; the root frame carries the error message of the whole input.
 * A flat object of named members (train_model's options, predict()'s
 * features) is walked key by key with qpm_jsonb_each_member, its caller
 * looking each key up in its own table and reporting in its own words.
 *
 * Numbers.  jsonb holds a number as numeric, whose text is the exact
 * decimal; qpm_json_double reads it with strtod, which rounds correctly,
 * so the shortest representation a writer printed comes back as the same
 * double, and a value beyond the double range is an error, never an
 * infinity.  qpm_jsonb_number is the lenient float8 cast of options and
 * features (numeric_float8: PostgreSQL's own overflow error).
 */
#include "postgres.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "jsonb_reader.h"

/* The path as JSONPath text: $, $.forest.trees[3].nodes[0].left */
static void
path_render(StringInfo s, const QpmJsonPath *p)
{
	if (p == NULL || p->parent == NULL)
	{
		appendStringInfoChar(s, '$');
		return;
	}
	path_render(s, p->parent);
	if (p->key != NULL)
		appendStringInfo(s, ".%s", p->key);
	else
		appendStringInfo(s, "[%d]", p->index);
}

/* Every document error: one message, the path and the problem in the detail. */
void
qpm_json_error(const QpmJsonPath *p, const char *fmt,...)
{
	StringInfoData path;
	StringInfoData msg;

	initStringInfo(&path);
	path_render(&path, p);
	initStringInfo(&msg);
	for (;;)
	{
		va_list		ap;
		int			needed;

		va_start(ap, fmt);
		needed = appendStringInfoVA(&msg, fmt, ap);
		va_end(ap);
		if (needed == 0)
			break;
		enlargeStringInfo(&msg, needed);
	}
	while (p != NULL && p->parent != NULL)
		p = p->parent;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s", p != NULL && p->what != NULL ? p->what : "invalid jsonb value"),
			 errdetail("At %s: %s.", path.data, msg.data)));
	pg_unreachable();
}

/* "a string", "an array", ... for type errors. */
const char *
qpm_json_kind(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		case jbvBinary:
			return JsonContainerIsObject(v->val.binary.data) ? "an object" : "an array";
		default:
			return "a value of unexpected type";
	}
}

/* The object behind v, or an error. */
JsonbContainer *
qpm_json_container(const JsonbValue *v, const QpmJsonPath *p, bool object)
{
	if (v->type != jbvBinary ||
		(object ? !JsonContainerIsObject(v->val.binary.data) :
		 !JsonContainerIsArray(v->val.binary.data)))
		qpm_json_error(p, "must be %s, not %s", object ? "an object" : "an array",
				  qpm_json_kind(v));
	return v->val.binary.data;
}

/* The array behind v with its length, which must be in [min, max]. */
JsonbContainer *
qpm_json_array(const JsonbValue *v, const QpmJsonPath *p, int min, int max, int *n)
{
	JsonbContainer *c = qpm_json_container(v, p, false);
	uint32		len = JsonContainerSize(c);

	if (len < (uint32) min || len > (uint32) max)
	{
		if (min == max)
			qpm_json_error(p, "must have %d elements, not %u", min, len);
		qpm_json_error(p, "must have %d to %d elements, not %u", min, max, len);
	}
	*n = (int) len;
	return c;
}

/*
 * A number as the double it denotes.  jsonb holds it as numeric, whose
 * text is the exact decimal: strtod rounds it correctly, so the shortest
 * representation export writes comes back as the same double.  Values
 * beyond the double range are refused like float8in refuses them (also
 * those that would underflow to zero), never turned into infinities.
 */
double
qpm_json_double(const JsonbValue *v, const QpmJsonPath *p)
{
	char	   *s;
	char	   *end;
	double		d;

	if (v->type != jbvNumeric)
		qpm_json_error(p, "must be a number, not %s", qpm_json_kind(v));
	s = DatumGetCString(DirectFunctionCall1(numeric_out,
											NumericGetDatum(v->val.numeric)));
	errno = 0;
	d = strtod(s, &end);
	if (end == s || *end != '\0' || !isfinite(d) || (errno == ERANGE && d == 0.0))
		qpm_json_error(p, "number is out of range for double precision");
	pfree(s);
	return d;
}

/* A number a float holds exactly (tree values); refused rather than rounded. */
float
qpm_json_float(const JsonbValue *v, const QpmJsonPath *p)
{
	double		d = qpm_json_double(v, p);

	/* the range test first: converting an out-of-range double to float is undefined */
	if (fabs(d) > FLT_MAX || (double) (float) d != d)
		qpm_json_error(p, "must be exactly representable as a 32-bit float (tree values are floats)");
	return (float) d;
}

/* An integral number in [lo, hi]. */
int64
qpm_json_integer(const JsonbValue *v, const QpmJsonPath *p, int64 lo, int64 hi)
{
	double		d;

	if (v->type != jbvNumeric)
		qpm_json_error(p, "must be an integer, not %s", qpm_json_kind(v));
	d = qpm_json_double(v, p);
	if (d != floor(d) || d < (double) lo || d > (double) hi)
		qpm_json_error(p, "must be an integer from " INT64_FORMAT " to " INT64_FORMAT,
				  lo, hi);
	return (int64) d;
}

/* A JSON boolean. */
bool
qpm_json_bool(const JsonbValue *v, const QpmJsonPath *p)
{
	if (v->type != jbvBool)
		qpm_json_error(p, "must be a boolean, not %s", qpm_json_kind(v));
	return v->val.boolean;
}

/* A JSON string, copied and NUL-terminated. */
char *
qpm_json_string(const JsonbValue *v, const QpmJsonPath *p)
{
	if (v->type != jbvString)
		qpm_json_error(p, "must be a string, not %s", qpm_json_kind(v));
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* Start reading the object behind v. */
void
qpm_json_open(QpmJsonObject *o, const JsonbValue *v, const QpmJsonPath *p)
{
	o->c = qpm_json_container(v, p, true);
	o->path = p;
	o->n_keys = 0;
	o->n_found = 0;
}

/*
 * Member key of the object into *out; false when absent, an error when
 * required and absent.  Every key asked for is an accepted key.
 */
bool
qpm_json_get(QpmJsonObject *o, const char *key, bool required, JsonbValue *out)
{
	Assert(o->n_keys < QPM_JSON_MAX_KEYS);
	o->keys[o->n_keys++] = key;
	if (getKeyJsonValueFromContainer(o->c, key, (int) strlen(key), out) == NULL)
	{
		if (required)
			qpm_json_error(o->path, "missing key \"%s\"", key);
		return false;
	}
	o->n_found++;
	return true;
}

/*
 * Finish an object: any key not asked for is an error that lists the
 * accepted ones.  Keys are unique in jsonb, so counting is enough on the
 * common path; only a mismatch walks the keys to name the stranger.
 */
void
qpm_json_close(QpmJsonObject *o)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	StringInfoData accepted;
	int			i;

	if (JsonContainerSize(o->c) == (uint32) o->n_found)
		return;
	initStringInfo(&accepted);
	for (i = 0; i < o->n_keys; i++)
		appendStringInfo(&accepted, "%s%s", i > 0 ? ", " : "", o->keys[i]);
	it = JsonbIteratorInit(o->c);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *key;
		bool		known = false;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		for (i = 0; i < o->n_keys && !known; i++)
			known = strcmp(key, o->keys[i]) == 0;
		if (!known)
			qpm_json_error(o->path, "unknown key \"%s\" (accepted: %s)", key, accepted.data);
	}
	elog(ERROR, "object key count mismatch without an unknown key");
}

/* Required number member. */
double
qpm_json_get_double(QpmJsonObject *o, const char *key)
{
	JsonbValue	v;
	QpmJsonPath		p = {o->path, key, 0};

	qpm_json_get(o, key, true, &v);
	return qpm_json_double(&v, &p);
}

/* Required float member; optional ones (cover, gain) default to 0. */
float
qpm_json_get_float(QpmJsonObject *o, const char *key, bool required)
{
	JsonbValue	v;
	QpmJsonPath		p = {o->path, key, 0};

	if (!qpm_json_get(o, key, required, &v))
		return 0.0f;
	return qpm_json_float(&v, &p);
}

/* Required integer member in [lo, hi]. */
int64
qpm_json_get_integer(QpmJsonObject *o, const char *key, int64 lo, int64 hi)
{
	JsonbValue	v;
	QpmJsonPath		p = {o->path, key, 0};

	qpm_json_get(o, key, true, &v);
	return qpm_json_integer(&v, &p, lo, hi);
}

/* Required boolean member. */
bool
qpm_json_get_bool(QpmJsonObject *o, const char *key)
{
	JsonbValue	v;
	QpmJsonPath		p = {o->path, key, 0};

	qpm_json_get(o, key, true, &v);
	return qpm_json_bool(&v, &p);
}

/* Required string member. */
char *
qpm_json_get_string(QpmJsonObject *o, const char *key)
{
	JsonbValue	v;
	QpmJsonPath		p = {o->path, key, 0};

	qpm_json_get(o, key, true, &v);
	return qpm_json_string(&v, &p);
}


/* A jsonb number as float8, through numeric_float8 (its range error). */
double
qpm_jsonb_number(const JsonbValue *v)
{
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8,
											  NumericGetDatum(v->val.numeric)));
}

/*
 * Call fn for each member of the object j, in jsonb's key order; false
 * (fn never called) when j is not an object.
 */
bool
qpm_jsonb_each_member(Jsonb *j, QpmJsonMemberFn fn, void *arg)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken r;

	if (!JB_ROOT_IS_OBJECT(j) || JB_ROOT_IS_SCALAR(j))
		return false;
	it = JsonbIteratorInit(&j->root);
	while ((r = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *key;

		if (r != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		r = JsonbIteratorNext(&it, &v, true);
		if (r != WJB_VALUE)
			elog(ERROR, "unexpected jsonb iterator token %d", (int) r);
		fn(key, &v, arg);
	}
	return true;
}
