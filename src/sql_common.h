/*
 * sql_common.h — helpers shared by the SQL entry points (sql_common.c):
 * argument checks, JSON building, SRF setup, feature set names and the
 * two ways a single feature vector is given.
 */
#ifndef QPM_SQL_COMMON_H
#define QPM_SQL_COMMON_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/jsonb.h"

#include "core/feature_set.h"
#include "core/metrics.h"
#include "core/model.h"
#include "model_cache.h"

/* Copy a text argument to a C string, checking it is a valid model name. */
char	   *qpm_model_name_arg(text *t);
/* train_model's (name, algorithm) arguments checked; returns the algorithm. */
QpmAlgorithm qpm_training_args(FunctionCallInfo fcinfo, char **name, char **alg_name,
							   bool *is_auto);
/* Build a jsonb value from a C string holding JSON. */
Jsonb	   *qpm_jsonb_from_cstring(const char *json);
/* Append "key": number (null for non-finite) to a JSON object being built. */
struct StringInfoData;
void		qpm_json_number(struct StringInfoData *buf, const char *key, double v, bool first);
/* Metrics as a jsonb object. */
Jsonb	   *qpm_metrics_to_jsonb(const QpmMetrics *m, const QpmInterval *iv,
								 const char *extra);
/* Set up materialize-mode SRF output (works on PG 13-17). */
struct Tuplestorestate;
struct TupleDescData;
void		qpm_srf_init(FunctionCallInfo fcinfo, struct Tuplestorestate **ts,
						 struct TupleDescData **tupdesc);
/* Datum for a double that may be NaN: NULL flag set instead. */
Datum		qpm_float8_or_null(double v, bool *isnull);
/* ERROR for a non-finite feature value (index is 0-based). */
void		qpm_reject_non_finite(const char *what, int index) pg_attribute_noreturn();
/* A statement's summed fs vector from a source (InvalidOid = pgss), or ERROR. */
void		qpm_queryid_features(Oid relid, const QpmFeatureSet *fs, int64 queryid,
								 double *x);
/* The model for name, pinned (unpin it), and a statement's vector in its set. */
const QpmCachedModel *qpm_model_queryid_features(const char *name, Oid relid,
												 int64 queryid, double *x);
/* A feature set's label ("pgss/2"), palloc'd. */
char	   *qpm_feature_set_label_str(const QpmFeatureSet *fs);
/* Every known set's label, comma-separated, for hints. */
char	   *qpm_feature_set_list(void);
/* The set a user named, or ERROR (22023) listing the known ones. */
const QpmFeatureSet *qpm_feature_set_arg(const char *label);
/* Features by name from a jsonb object (absent or null = NaN), or ERROR. */
void		qpm_jsonb_features(Jsonb *features, const QpmFeatureSet *fs,
							   const char *model_name, double *x);

#endif
