/*
 * qpm_settings.h — extension-wide names and limits.  Settings (GUCs) are
 * declared in the header of the subsystem that defines and reads them.
 */
#ifndef QPM_SETTINGS_H
#define QPM_SETTINGS_H

#include "postgres.h"

/* Files that print the library version include this header for the check. */
#ifndef QPM_LIBRARY_VERSION
#error "QPM_LIBRARY_VERSION comes from the Makefile (EXTVERSION)"
#endif
#define QPM_SCHEMA "query_perf_ml"
#define QPM_MAX_NAME_BYTES 63
#define QPM_ALGORITHM_LIST "gradient_boosting, random_forest, linear, auto"

#endif
