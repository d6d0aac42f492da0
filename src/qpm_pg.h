/*
 * qpm_pg.h — every header of the PostgreSQL glue at once, for the files
 * that have not moved to the headers of the subsystems they call
 * (qpm_settings.h, source_reader.h, catalog.h, model_cache.h,
 * prediction_log.h, options.h, xgb_train.h, sql_common.h).  New code
 * includes those instead.  Nothing in src/core includes this file.
 */
#ifndef QPM_PG_H
#define QPM_PG_H

#include "catalog.h"
#include "model_cache.h"
#include "options.h"
#include "prediction_log.h"
#include "qpm_settings.h"
#include "source_reader.h"
#include "sql_common.h"
#include "xgb_train.h"

#endif
