/*
 * model_cache.c — per-backend cache of deserialized models.
 *
 * predict() runs once per row of a large query, so it must not touch the
 * catalog or the blob: the cache maps the requested model name (or "" for
 * the default model) to a deserialized model.  It is keyed on names and
 * resolved model ids, never on blob contents (hashing or detoasting a large
 * blob per call would cost more than the prediction).
 *
 * Invalidation: a statement trigger on model_store calls
 * CacheInvalidateRelcacheByRelid on the table for every change, whoever
 * makes it; the relcache callback registered here only sets a flag (it can
 * run at awkward moments), and the next lookup flushes everything.  Other
 * backends process the message when they next accept invalidations — at
 * the start of their next transaction or statement — so every statement
 * sees one consistent model version, and the next one sees the change.
 *
 * Memory: entries live in a context under TopMemoryContext, reset on flush;
 * each entry's trees (a tree model's flat forest) live in a child context of
 * their own, deleted when the entry is evicted.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/namespace.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "core/serialize.h"
#include "qpm_pg.h"

#define QPM_CACHE_SLOTS 16

typedef struct CacheSlot
{
	char		key[QPM_MAX_NAME_BYTES + 1];	/* requested name, "" = default */
	int			key_len;
	uint64		last_used;
	MemoryContext mcxt;			/* owns the model's trees, if any */
	QpmCachedModel entry;
} CacheSlot;

static MemoryContext cache_ctx = NULL;
static CacheSlot *slots = NULL;
static int	n_slots = 0;
static CacheSlot *last_slot = NULL;
static uint64 use_clock = 0;
static bool stale = false;
static Oid	store_relid = InvalidOid;
static int64 stat_hits = 0;
static int64 stat_misses = 0;
static int64 stat_invalidations = 0;

/* Relcache callback: remember that model_store changed. */
static void
model_store_invalidated(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == store_relid)
		stale = true;
}

/* Register the invalidation callback (from _PG_init). */
void
qpm_model_cache_init(void)
{
	CacheRegisterRelcacheCallback(model_store_invalidated, (Datum) 0);
}

/* Drop every entry. */
static void
cache_flush(void)
{
	if (cache_ctx != NULL)
		MemoryContextReset(cache_ctx);
	slots = NULL;
	n_slots = 0;
	last_slot = NULL;
	store_relid = InvalidOid;
	stale = false;
	stat_invalidations++;
}

/* Deserialize a stored blob, or ERROR with the reason. */
void
qpm_model_from_blob(const bytea *blob, const char *what, QpmModel *out)
{
	bytea	   *b = (bytea *) PG_DETOAST_DATUM(PointerGetDatum(blob));
	char		err[256];

	if (qpm_model_deserialize((const uint8 *) VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b),
							  out, err, sizeof(err)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("model %s is corrupted: %s", what, err),
				 errhint("Drop it and train it again, or restore it from a backup.")));
}

/* Find the slot for a key, or NULL. */
static CacheSlot *
find_slot(const char *key, int key_len)
{
	int			i;

	for (i = 0; i < n_slots; i++)
		if (slots[i].key_len == key_len && memcmp(slots[i].key, key, key_len) == 0)
			return &slots[i];
	return NULL;
}

/* Load from the catalog into a slot (the least recently used when full). */
static CacheSlot *
load_slot(const char *name)
{
	QpmStoredModel *sm;
	QpmModel	model;
	CacheSlot  *slot;
	MemoryContext mcxt;
	MemoryContext old;
	char		what[QPM_MAX_NAME_BYTES + 32];
	int			key_len = name ? (int) strlen(name) : 0;

	sm = qpm_catalog_load_active(name);
	snprintf(what, sizeof(what), "\"%s\" version %d", sm->name, sm->version);

	if (!OidIsValid(store_relid))
		store_relid = get_relname_relid("model_store", get_namespace_oid(QPM_SCHEMA, false));
	/* An invalidation may have arrived while we read the catalog. */
	if (stale)
		cache_flush();
	if (cache_ctx == NULL)
		cache_ctx = AllocSetContextCreate(TopMemoryContext, "query_perf_ml model cache",
										  ALLOCSET_SMALL_SIZES);

	/* Deserialize into the entry's own context; drop it if that fails. */
	mcxt = AllocSetContextCreate(cache_ctx, "query_perf_ml cached model",
								 ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(mcxt);
	PG_TRY();
	{
		qpm_model_from_blob(sm->blob, what, &model);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(mcxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);

	if (slots == NULL)
		slots = MemoryContextAllocZero(cache_ctx, sizeof(CacheSlot) * QPM_CACHE_SLOTS);
	if (n_slots < QPM_CACHE_SLOTS)
		slot = &slots[n_slots++];
	else
	{
		int			i;

		slot = &slots[0];
		for (i = 1; i < n_slots; i++)
			if (slots[i].last_used < slot->last_used)
				slot = &slots[i];
		MemoryContextDelete(slot->mcxt);
	}
	memset(slot, 0, sizeof(*slot));
	if (name)
		memcpy(slot->key, name, key_len);
	slot->key_len = key_len;
	slot->mcxt = mcxt;
	slot->entry.model_id = sm->model_id;
	slot->entry.version = sm->version;
	strlcpy(slot->entry.name, sm->name, sizeof(slot->entry.name));
	strlcpy(slot->entry.algorithm, sm->algorithm, sizeof(slot->entry.algorithm));
	/* cppcheck-suppress uninitvar ; set by qpm_model_from_blob, PG_CATCH re-throws */
	slot->entry.model = model;
	return slot;
}

/* Lookup by key; see qpm_pg.h for the pointer's lifetime. */
static const QpmCachedModel *
cache_get(const char *name, int len)
{
	CacheSlot  *slot;

	if (stale)
		cache_flush();
	slot = find_slot(name ? name : "", name ? len : 0);
	if (slot != NULL)
		stat_hits++;
	else
	{
		stat_misses++;
		slot = load_slot(name);
	}
	slot->last_used = ++use_clock;
	last_slot = slot;
	return &slot->entry;
}

/* Active model for a C-string name (NULL = default model). */
const QpmCachedModel *
qpm_model_cache_get(const char *name)
{
	if (name != NULL && strlen(name) > QPM_MAX_NAME_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" does not exist", name)));
	return cache_get(name, name ? (int) strlen(name) : 0);
}

/* Hot path: compare the text argument with the last slot before anything else. */
const QpmCachedModel *
qpm_model_cache_get_text(text *name)
{
	const char *p = VARDATA_ANY(name);
	int			len = VARSIZE_ANY_EXHDR(name);

	if (!stale && last_slot != NULL && last_slot->key_len == len &&
		memcmp(last_slot->key, p, len) == 0 && len > 0)
	{
		stat_hits++;
		return &last_slot->entry;
	}
	return qpm_model_cache_get(text_to_cstring(name));
}

/* Counters for status(). */
void
qpm_model_cache_stats(int *entries, int64 *hits, int64 *misses, int64 *invalidations)
{
	*entries = stale ? 0 : n_slots;
	*hits = stat_hits;
	*misses = stat_misses;
	*invalidations = stat_invalidations;
}
