/*
 * model_cache.h — deserialized models per backend (model_cache.c).
 */
#ifndef QPM_MODEL_CACHE_H
#define QPM_MODEL_CACHE_H

#include "postgres.h"

#include "core/model.h"
#include "qpm_settings.h"

typedef struct QpmCachedModel
{
	int64		model_id;
	int32		version;
	char		name[QPM_MAX_NAME_BYTES + 1];
	char		algorithm[32];
	QpmModel	model;
} QpmCachedModel;

/*
 * How long a cached model stays valid is the cache's rule (model_cache.c's
 * banner): a pinned model until it is unpinned, predict()'s unpinned one
 * until the next lookup.  A copy of the struct shares the trees: it is
 * valid no longer.
 */
/* Active model for name (NULL = default), pinned; pair with qpm_model_cache_unpin. */
const QpmCachedModel *qpm_model_cache_pin(const char *name);
/* Release a pin (on ERROR, the (sub)transaction's abort releases it). */
void		qpm_model_cache_unpin(const QpmCachedModel *cm);
/* predict()'s lookup by a (possibly toasted) text name: unpinned. */
const QpmCachedModel *qpm_model_cache_get_text(text *name);
void		qpm_model_cache_init(void);
void		qpm_model_cache_stats(int *entries, int64 *hits, int64 *misses,
								  int64 *invalidations);
/* Deserialize a blob or ERROR (corrupted model). */
void		qpm_model_from_blob(const bytea *blob, const char *what, QpmModel *out);

#endif
