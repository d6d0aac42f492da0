/*
 * model_cache.c — per-backend cache of deserialized models.
 *
 * predict() runs once per row, so it must not touch the catalog or the blob:
 * the cache maps a name ("" = the default model) to a deserialized model,
 * keyed on names, not blob contents (hashing or detoasting a blob per call
 * would cost more than the prediction); at most QPM_CACHE_SLOTS names, the
 * least recently used replaced; each in a memory context of its own.
 *
 * Lifetime, the rule model_cache.h and core/model.h refer to.  An evicted or
 * flushed entry is freed unless pinned, else detached (no lookup finds it)
 * and freed at its last unpin, so nested calls may load and evict freely.  A
 * pinned model stays valid and unchanged until unpinned; whoever runs
 * anything between lookup and last use pins (a source scan is user SQL,
 * which may predict with other names, train or reset caches).
 * qpm_model_cache_get_text()'s unpinned model (predict(), per row) is valid
 * until the next lookup; its caller runs nothing in between.  A pin belongs
 * to the current resource owner: the caller releases it, or on ERROR the
 * aborting (sub)transaction does (PL/pgSQL EXCEPTION blocks too), not a
 * reset callback on a per-query context that may be reset long after the
 * call; as with buffer and relation pins, one held at commit is a leak.
 *
 * Invalidation: model_store's statement trigger calls
 * CacheInvalidateRelcacheByRelid on every change, whoever makes it.  The
 * relcache callback only counts (inval_generation; it may run inside a
 * lookup); a lookup flushes the table if the count moved.  model_store's OID
 * is looked up again before each catalog read, every invalidation counting
 * meanwhile (a reset, OID 0, always); the model is read with a later
 * snapshot, so an invalidation during or after the read lets the entry serve
 * its caller but flushes it at the next lookup.
 *
 * Which version a statement sees.  Invalidations are processed at
 * transaction start and a relation's first lock, which in a block may not
 * recur, so the first lookup of each statement (ExecutorStart/ProcessUtility
 * hook, nested ones too) processes them, never each predict().  READ
 * COMMITTED reads with the latest snapshot, as catalogs are: the versions
 * committed at its first lookup.  REPEATABLE READ and SERIALIZABLE read with
 * the transaction's snapshot, dropped at its end; a parallel query, which
 * may take no snapshot, with the statement's, dropped when the next starts.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "executor/executor.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"

#include "core/serialize.h"
#include "catalog.h"
#include "model_cache.h"
#include "qpm_settings.h"
#include "sql_common.h"

#define QPM_CACHE_SLOTS 16

typedef struct CacheEntry
{
	QpmCachedModel cm;			/* what callers see */
	char		key[QPM_MAX_NAME_BYTES + 1];	/* requested name, "" = default */
	int			key_len;
	uint64		last_used;		/* use_clock of the last lookup */
	int			pins;			/* calls holding it */
	bool		listed;			/* in table[]; else detached, freed at its last unpin */
	MemoryContext mcxt;			/* owns this entry and its model's trees */
} CacheEntry;

typedef struct CachePin
{
	CacheEntry *entry;
	ResourceOwner owner;
} CachePin;

static MemoryContext cache_ctx = NULL;
static CacheEntry *table[QPM_CACHE_SLOTS];
static int	n_listed = 0;
static CacheEntry *hot = NULL;	/* predict()'s last entry; NULL: slow path */
static CachePin *pins = NULL;
static int	n_pins = 0;
static int	max_pins = 0;
static uint64 use_clock = 0;
static uint64 inval_generation = 0;	/* invalidations of model_store seen */
static uint64 flushed_generation = 0;	/* inval_generation at the last flush */
static Oid	store_relid = InvalidOid;
static bool new_statement = true;
static bool reload_next_statement = false;
static bool reload_next_transaction = false;
static int64 stat_hits = 0;
static int64 stat_misses = 0;
static int64 stat_invalidations = 0;
static ExecutorStart_hook_type prev_executor_start = NULL;
static ProcessUtility_hook_type prev_process_utility = NULL;

/* Relcache callback: count what may change model_store's active versions. */
static void
model_store_invalidated(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == store_relid || !OidIsValid(store_relid))
	{
		inval_generation++;
		hot = NULL;
	}
}

/* A statement starts: its first lookup processes invalidations. */
static void
statement_starts(void)
{
	hot = NULL;
	new_statement = true;
	if (reload_next_statement)
	{
		reload_next_statement = false;
		inval_generation++;
	}
}

/* ExecutorStart hook: see statement_starts. */
static void
cache_executor_start(QueryDesc *queryDesc, int eflags)
{
	statement_starts();
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

/* ProcessUtility hook: DO and CALL are statements too (their PL/pgSQL may use no executor). */
static void
cache_process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
					  ProcessUtilityContext context, ParamListInfo params,
					  QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	statement_starts();
	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context, params,
							 queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
								queryEnv, dest, qc);
}

/* Transaction callback: entries read with the transaction's snapshot end with it. */
static void
cache_xact_event(XactEvent event, void *arg)
{
	if (reload_next_transaction)
	{
		reload_next_transaction = false;
		inval_generation++;
		hot = NULL;
	}
}

/* Free an entry that is neither listed nor pinned. */
static void
free_entry(CacheEntry *e)
{
	Assert(!e->listed && e->pins == 0);
	MemoryContextDelete(e->mcxt);
}

/* Take an entry out of the table; free it unless a call holds it. */
static void
unlist(CacheEntry *e)
{
	int			i;

	for (i = 0; i < n_listed; i++)
		if (table[i] == e)
		{
			table[i] = table[--n_listed];
			break;
		}
	e->listed = false;
	if (hot == e)
		hot = NULL;
	if (e->pins == 0)
		free_entry(e);
}

/* Drop every listed entry (pinned ones survive, detached). */
static void
cache_flush(void)
{
	while (n_listed > 0)
		unlist(table[n_listed - 1]);
	flushed_generation = inval_generation;
	stat_invalidations++;
}

/* Release pin i; a detached entry goes with its last pin. */
static void
unpin_at(int i)
{
	CacheEntry *e = pins[i].entry;

	memmove(&pins[i], &pins[i + 1], sizeof(CachePin) * (n_pins - i - 1));
	n_pins--;
	if (--e->pins == 0 && !e->listed)
		free_entry(e);
}

/*
 * Resource owner release: drop the pins of the owner being released (it is
 * CurrentResourceOwner during the callback).  At the top level, whatever
 * is left.  Only a pin still held at a commit is a leak.
 */
static void
release_pins(ResourceReleasePhase phase, bool isCommit, bool isTopLevel, void *arg)
{
	int			i;

	if (phase != RESOURCE_RELEASE_AFTER_LOCKS || n_pins == 0)
		return;
	for (i = n_pins - 1; i >= 0; i--)
	{
		if (pins[i].owner != CurrentResourceOwner &&
			!(isTopLevel && CurrentResourceOwner == TopTransactionResourceOwner))
			continue;
		if (isCommit)
			elog(WARNING, "query_perf_ml model cache: pin on model \"%s\" not released",
				 pins[i].entry->cm.name);
		unpin_at(i);
	}
}

/* Register the callbacks and hooks (from _PG_init). */
void
qpm_model_cache_init(void)
{
	CacheRegisterRelcacheCallback(model_store_invalidated, (Datum) 0);
	RegisterResourceReleaseCallback(release_pins, NULL);
	RegisterXactCallback(cache_xact_event, NULL);
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = cache_executor_start;
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = cache_process_utility;
}

/* The cache's own context, created on first use. */
static MemoryContext
cache_context(void)
{
	if (cache_ctx == NULL)
		cache_ctx = AllocSetContextCreate(TopMemoryContext, "query_perf_ml model cache",
										  ALLOCSET_SMALL_SIZES);
	return cache_ctx;
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

/* The listed entry for a key, or NULL. */
static CacheEntry *
find_listed(const char *key, int key_len)
{
	int			i;

	for (i = 0; i < n_listed; i++)
		if (table[i]->key_len == key_len && memcmp(table[i]->key, key, key_len) == 0)
			return table[i];
	return NULL;
}

/* Read the active version with the snapshot the isolation level calls for (banner). */
static QpmStoredModel *
read_active_version(const char *name)
{
	QpmStoredModel *sm;

	if (IsolationUsesXactSnapshot())
	{
		reload_next_transaction = true;
		PushActiveSnapshot(GetTransactionSnapshot());
	}
	else if (IsInParallelMode())
	{
		reload_next_statement = true;
		PushActiveSnapshot(GetActiveSnapshot());
	}
	else
		PushActiveSnapshot(GetLatestSnapshot());
	/* On ERROR, the (sub)transaction's abort pops the snapshot. */
	sm = qpm_catalog_load_active(name);
	PopActiveSnapshot();
	return sm;
}

/* Load from the catalog and list it, in place of the least recently used when full. */
static CacheEntry *
load_entry(const char *name, const char *key, int key_len)
{
	QpmStoredModel *sm;
	CacheEntry *e;
	MemoryContext mcxt;
	MemoryContext old;
	char		what[QPM_MAX_NAME_BYTES + 32];

	/* Until the OID is known again, every relcache invalidation counts. */
	store_relid = InvalidOid;
	store_relid = get_relname_relid("model_store", get_namespace_oid(QPM_SCHEMA, false));
	if (flushed_generation != inval_generation)
		cache_flush();
	/* The snapshot is taken after the flush: a later change moves the count. */
	sm = read_active_version(name);
	snprintf(what, sizeof(what), "\"%s\" version %d", sm->name, sm->version);

	/* Deserialize into the entry's own context; drop it if that fails. */
	mcxt = AllocSetContextCreate(cache_context(), "query_perf_ml cached model",
								 ALLOCSET_SMALL_SIZES);
	e = MemoryContextAllocZero(mcxt, sizeof(CacheEntry));
	old = MemoryContextSwitchTo(mcxt);
	PG_TRY();
	{
		qpm_model_from_blob(sm->blob, what, &e->cm.model);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(mcxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);

	memcpy(e->key, key, key_len);
	e->key_len = key_len;
	e->mcxt = mcxt;
	e->cm.model_id = sm->model_id;
	e->cm.version = sm->version;
	strlcpy(e->cm.name, sm->name, sizeof(e->cm.name));
	strlcpy(e->cm.algorithm, sm->algorithm, sizeof(e->cm.algorithm));
	MemoryContextSetIdentifier(mcxt, e->cm.name);

	if (n_listed == QPM_CACHE_SLOTS)
	{
		CacheEntry *lru = table[0];
		int			i;

		for (i = 1; i < n_listed; i++)
			if (table[i]->last_used < lru->last_used)
				lru = table[i];
		unlist(lru);
	}
	table[n_listed++] = e;
	e->listed = true;
	return e;
}

/* The entry for a name (NULL = default model), loaded if needed. */
static CacheEntry *
lookup(const char *name)
{
	const char *key = name ? name : "";
	int			key_len = (int) strlen(key);
	CacheEntry *e;

	if (new_statement)
	{
		new_statement = false;
		AcceptInvalidationMessages();
	}
	if (flushed_generation != inval_generation)
		cache_flush();
	e = find_listed(key, key_len);
	if (e != NULL)
		stat_hits++;
	else
	{
		stat_misses++;
		e = load_entry(name, key, key_len);
	}
	e->last_used = ++use_clock;
	return e;
}

/* Active model for a name (NULL = default), pinned until qpm_model_cache_unpin. */
const QpmCachedModel *
qpm_model_cache_pin(const char *name)
{
	CacheEntry *e;

	if (name != NULL && strlen(name) > QPM_MAX_NAME_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" does not exist", name)));
	if (CurrentResourceOwner == NULL)
		elog(ERROR, "query_perf_ml model cache used without a resource owner");
	/* Room first: once the entry is found, pinning it cannot fail. */
	if (n_pins == max_pins)
	{
		int			n = max_pins ? max_pins * 2 : 8;

		pins = pins ? repalloc(pins, sizeof(CachePin) * n) :
			MemoryContextAlloc(cache_context(), sizeof(CachePin) * n);
		max_pins = n;
	}
	e = lookup(name);
	pins[n_pins].entry = e;
	pins[n_pins].owner = CurrentResourceOwner;
	n_pins++;
	e->pins++;
	return &e->cm;
}

/* Release the caller's pin on a model (the latest one it took on it). */
void
qpm_model_cache_unpin(const QpmCachedModel *cm)
{
	int			i;

	for (i = n_pins - 1; i >= 0; i--)
		if (&pins[i].entry->cm == cm && pins[i].owner == CurrentResourceOwner)
		{
			unpin_at(i);
			return;
		}
	elog(ERROR, "query_perf_ml model cache: model \"%s\" is not pinned", cm->name);
}

/*
 * predict()'s lookup: the same name as the previous call costs a compare.
 * An empty or too long name is refused as every other function refuses it.
 */
const QpmCachedModel *
qpm_model_cache_get_text(text *name)
{
	const char *p = VARDATA_ANY(name);
	int			len = VARSIZE_ANY_EXHDR(name);
	CacheEntry *e;

	if (hot != NULL && hot->key_len == len && memcmp(hot->key, p, len) == 0)
	{
		stat_hits++;
		return &hot->cm;
	}
	e = lookup(qpm_model_name_arg(name));
	/* An entry read while an invalidation arrived is looked up again next time. */
	if (flushed_generation == inval_generation)
		hot = e;
	return &e->cm;
}

/* Counters for status(). */
void
qpm_model_cache_stats(int *entries, int64 *hits, int64 *misses, int64 *invalidations)
{
	*entries = flushed_generation != inval_generation ? 0 : n_listed;
	*hits = stat_hits;
	*misses = stat_misses;
	*invalidations = stat_invalidations;
}
