/*
 * jsonb_reader.h — strict reading of jsonb input (jsonb_reader.c): typed
 * values, checked object keys, errors that name the value by its path.
 */
#ifndef QPM_JSONB_READER_H
#define QPM_JSONB_READER_H

#include "postgres.h"

#include "utils/jsonb.h"

/* Keys one object may be asked for (the model document's top level has the most). */
#define QPM_JSON_MAX_KEYS	20

/*
 * One step of the path to a value: a member of an object or an array
 * element.  The root frame ({NULL, NULL, 0, "invalid model document"})
 * carries the error message for the whole input.
 */
typedef struct QpmJsonPath
{
	const struct QpmJsonPath *parent;	/* NULL for the root ($) */
	const char *key;			/* member name, or NULL for an element */
	int			index;
	const char *what;			/* root only: errmsg of every error */
} QpmJsonPath;

/*
 * An object being read: the keys looked up so far (so an unknown key can be
 * found and the accepted ones listed) and how many of them were present.
 */
typedef struct QpmJsonObject
{
	JsonbContainer *c;
	const QpmJsonPath *path;
	const char *keys[QPM_JSON_MAX_KEYS];
	int			n_keys;
	int			n_found;
} QpmJsonObject;

/* ERROR (22023): the root's message, "At <path>: <problem>." as detail. */
void		qpm_json_error(const QpmJsonPath *p, const char *fmt,...)
			pg_attribute_printf(2, 3) pg_attribute_noreturn();
/* "a string", "an array", ... for type errors. */
const char *qpm_json_kind(const JsonbValue *v);

/* Values, each of one type or an error at p. */
JsonbContainer *qpm_json_container(const JsonbValue *v, const QpmJsonPath *p, bool object);
JsonbContainer *qpm_json_array(const JsonbValue *v, const QpmJsonPath *p, int min, int max,
							   int *n);
double		qpm_json_double(const JsonbValue *v, const QpmJsonPath *p);
float		qpm_json_float(const JsonbValue *v, const QpmJsonPath *p);
int64		qpm_json_integer(const JsonbValue *v, const QpmJsonPath *p, int64 lo, int64 hi);
bool		qpm_json_bool(const JsonbValue *v, const QpmJsonPath *p);
char	   *qpm_json_string(const JsonbValue *v, const QpmJsonPath *p);

/* Objects: open, ask for each key (asked = accepted), close (unknown keys are errors). */
void		qpm_json_open(QpmJsonObject *o, const JsonbValue *v, const QpmJsonPath *p);
bool		qpm_json_get(QpmJsonObject *o, const char *key, bool required, JsonbValue *out);
void		qpm_json_close(QpmJsonObject *o);
double		qpm_json_get_double(QpmJsonObject *o, const char *key);
float		qpm_json_get_float(QpmJsonObject *o, const char *key, bool required);
int64		qpm_json_get_integer(QpmJsonObject *o, const char *key, int64 lo, int64 hi);
bool		qpm_json_get_bool(QpmJsonObject *o, const char *key);
char	   *qpm_json_get_string(QpmJsonObject *o, const char *key);

/* Flat objects of named members (options, features). */
typedef void (*QpmJsonMemberFn) (const char *key, const JsonbValue *value, void *arg);
bool		qpm_jsonb_each_member(Jsonb *j, QpmJsonMemberFn fn, void *arg);
/* A jsonb number as float8 (numeric_float8, its overflow error). */
double		qpm_jsonb_number(const JsonbValue *v);

#endif
