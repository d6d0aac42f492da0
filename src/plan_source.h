/*
 * plan_source.h — relations shaped like plan_samples: one execution a row,
 * its plan/1 vector ready (plan_source.c).  source_reader.c hands such
 * sources here; the QpmSource they fill is source_reader.h's.
 */
#ifndef QPM_PLAN_SOURCE_H
#define QPM_PLAN_SOURCE_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "source_reader.h"

/* Has the relation plan_samples' columns (features, exec_ms) and no calls? */
bool		qpm_plan_source_shaped(Oid relid);
/* Resolve a plan source (InvalidOid = query_perf_ml.plan_samples) for fs, or ERROR 42804. */
void		qpm_plan_source_open(Oid relid, const QpmFeatureSet *fs, QpmSource *src);
int64		qpm_plan_source_scan(const QpmSource *src, QpmScanMode mode, int64 queryid,
								 QpmRowCallback cb, void *arg);
double		qpm_plan_source_time_cutoff(const QpmSource *src, double fraction);
/* options with "feature_set": "plan/1" added when relid is a plan source and none was given. */
Jsonb	   *qpm_plan_source_options(Oid relid, Jsonb *options);

#endif
