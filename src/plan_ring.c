/*
 * plan_ring.c — the shared-memory ring buffer of captured plan samples.
 *
 * Fixed-size slots (query_perf_ml.capture_buffer of them, sized at server
 * start), each holding one QpmPlanSample and a state:
 *
 *   EMPTY -> PENDING (appended) -> CLAIMED (a flush copied it) -> CONSUMED
 *                                      \-> PENDING again if that flush aborts
 *
 * Appending takes the ring's one LWLock exclusively for a memcpy: the slot
 * of the next sequence number is overwritten whatever it holds, and a
 * PENDING sample lost that way is counted ("overwritten").  Sequence numbers
 * start at 1 and grow for the life of the server; slot = seq % size, so a
 * slot's seq tells whether it still holds a given sample.
 *
 * Why claims: flush_plan_samples() copies samples into a table, and the
 * copy only exists if its transaction commits.  So a flush marks what it
 * copied CLAIMED (by its backend), and a transaction callback turns the
 * claims into CONSUMED at commit or back into PENDING at abort, also for a
 * rolled-back subtransaction (plpgsql exception blocks).  Concurrent
 * flushes of one database skip each other's claims, so no sample is copied
 * twice, and no sample is lost by a failed flush.  A transaction that
 * claimed samples cannot be PREPAREd: its outcome would be decided by
 * another backend.  The claim list lives in TopTransactionContext; the
 * callbacks run before that context goes away.  A claimed sample may still
 * be overwritten (it is then in the table, or lost if the flush aborts).
 *
 * Before PostgreSQL 15 the shared memory is requested in _PG_init; from 15
 * on in shmem_request_hook (plan_capture.c does either).
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/memutils.h"

#include "qpm_plan.h"

typedef enum SlotState
{
	SLOT_EMPTY = 0,
	SLOT_PENDING,
	SLOT_CLAIMED,
	SLOT_CONSUMED
} SlotState;

typedef struct RingSlot
{
	uint64		seq;			/* 0: never written */
	int32		state;			/* SlotState */
	int32		claimer;		/* pgprocno of the claiming backend */
	QpmPlanSample sample;
} RingSlot;

typedef struct PlanRing
{
	LWLock	   *lock;
	int			size;
	uint64		next_seq;
	int64		captured;
	int64		incomplete;
	int64		overwritten;
	int64		flushed;
	RingSlot	slots[FLEXIBLE_ARRAY_MEMBER];
} PlanRing;

/* This backend's claims in the current transaction. */
typedef struct Claim
{
	uint64		seq;
	int			nest_level;		/* subtransaction that claimed it */
} Claim;

static PlanRing *ring = NULL;
static Claim *claims = NULL;	/* in TopTransactionContext */
static int	n_claims = 0;
static int	max_claims = 0;
static bool callbacks_registered = false;

static void ring_xact_callback(XactEvent event, void *arg);
static void ring_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
								  SubTransactionId parentSubid, void *arg);

/* Bytes of shared memory for capture_buffer slots. */
Size
qpm_ring_shmem_size(void)
{
	return add_size(offsetof(PlanRing, slots),
					mul_size(sizeof(RingSlot), (Size) qpm_capture_buffer));
}

/* Create (postmaster) or attach (EXEC_BACKEND children) the ring. */
void
qpm_ring_shmem_init(void)
{
	bool		found;

	ring = ShmemInitStruct("query_perf_ml plan samples", qpm_ring_shmem_size(), &found);
	if (!found)
	{
		memset(ring, 0, qpm_ring_shmem_size());
		ring->lock = &(GetNamedLWLockTranche(QPM_RING_TRANCHE))->lock;
		ring->size = qpm_capture_buffer;
		ring->next_seq = 1;
	}
}

/* Is the ring there (library preloaded)? */
bool
qpm_ring_available(void)
{
	return ring != NULL;
}

/* Append s; the oldest slot is reused when the ring is full. */
void
qpm_ring_append(const QpmPlanSample *s)
{
	RingSlot   *slot;

	if (ring == NULL)
		return;
	LWLockAcquire(ring->lock, LW_EXCLUSIVE);
	slot = &ring->slots[ring->next_seq % (uint64) ring->size];
	if (slot->state == SLOT_PENDING)
		ring->overwritten++;
	slot->seq = ring->next_seq++;
	slot->state = SLOT_PENDING;
	slot->claimer = -1;
	memcpy(&slot->sample, s, sizeof(QpmPlanSample));
	ring->captured++;
	if (!s->completed)
		ring->incomplete++;
	LWLockRelease(ring->lock);
}

/*
 * Room for extra more claims in this transaction, made before the lock is
 * taken so that nothing can fail while it is held; registers the
 * transaction callbacks on first use.
 */
static void
reserve_claims(int extra)
{
	int			cap;

	if (!callbacks_registered)
	{
		RegisterXactCallback(ring_xact_callback, NULL);
		RegisterSubXactCallback(ring_subxact_callback, NULL);
		callbacks_registered = true;
	}
	if (n_claims + extra <= max_claims)
		return;
	cap = Max(Max(max_claims * 2, n_claims + extra), 256);
	if (claims == NULL)
		claims = MemoryContextAlloc(TopTransactionContext, sizeof(Claim) * cap);
	else
		claims = repalloc(claims, sizeof(Claim) * cap);
	max_claims = cap;
}

/*
 * Claim up to max PENDING samples of dbid with cursor <= seq < limit,
 * oldest first.
 */
int
qpm_ring_claim(Oid dbid, uint64 *cursor, uint64 *limit, QpmPlanSample *out, int max)
{
	int			level = GetCurrentTransactionNestLevel();
	uint64		seq;
	int			n = 0;

	if (ring == NULL || max <= 0)
		return 0;
	reserve_claims(max);

	LWLockAcquire(ring->lock, LW_EXCLUSIVE);
	if (*limit == 0)
		*limit = ring->next_seq;
	seq = Max(*cursor, 1);
	if (ring->next_seq > (uint64) ring->size && seq < ring->next_seq - ring->size)
		seq = ring->next_seq - ring->size;	/* older ones were overwritten */
	for (; seq < *limit && n < max; seq++)
	{
		RingSlot   *slot = &ring->slots[seq % (uint64) ring->size];

		if (slot->seq != seq || slot->state != SLOT_PENDING ||
			slot->sample.dbid != dbid)
			continue;
		slot->state = SLOT_CLAIMED;
		slot->claimer = MyProc->pgprocno;
		memcpy(&out[n++], &slot->sample, sizeof(QpmPlanSample));
		claims[n_claims].seq = seq;
		claims[n_claims].nest_level = level;
		n_claims++;
	}
	*cursor = seq;
	LWLockRelease(ring->lock);
	return n;
}

/*
 * Settle the claims from index first on: consumed at commit, pending again
 * at abort.  Runs in transaction callbacks: takes the lock, never errors.
 */
static void
settle_claims(int first, bool consumed)
{
	int			i;

	if (ring == NULL || first >= n_claims)
		return;
	LWLockAcquire(ring->lock, LW_EXCLUSIVE);
	for (i = first; i < n_claims; i++)
	{
		RingSlot   *slot = &ring->slots[claims[i].seq % (uint64) ring->size];

		if (slot->seq != claims[i].seq || slot->state != SLOT_CLAIMED ||
			slot->claimer != MyProc->pgprocno)
			continue;			/* overwritten meanwhile */
		slot->state = consumed ? SLOT_CONSUMED : SLOT_PENDING;
		if (consumed)
			ring->flushed++;
	}
	LWLockRelease(ring->lock);
}

/* End of transaction: settle every claim; refuse PREPARE with claims. */
static void
ring_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_PREPARE:
			if (n_claims > 0)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot PREPARE a transaction that has flushed plan samples"),
						 errhint("Flush plan samples in a transaction of their own.")));
			return;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			settle_claims(0, true);
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			settle_claims(0, false);
			break;
		default:
			return;
	}
	claims = NULL;				/* freed with TopTransactionContext */
	n_claims = 0;
	max_claims = 0;
}

/* A rolled-back subtransaction releases its claims; a committed one passes them up. */
static void
ring_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					  SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();
	int			i,
				keep;

	if (n_claims == 0)
		return;
	if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		for (i = 0; i < n_claims; i++)
			if (claims[i].nest_level >= level)
				claims[i].nest_level = level - 1;
	}
	else if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		/* claims are appended in time order, so this level's are at the end */
		for (keep = n_claims; keep > 0 && claims[keep - 1].nest_level >= level; keep--)
			;
		settle_claims(keep, false);
		n_claims = keep;
	}
}

/* Counters and fill; the per-database count is for the current database. */
void
qpm_ring_stats(QpmRingStats *st)
{
	int			i;

	memset(st, 0, sizeof(*st));
	if (ring == NULL)
		return;
	LWLockAcquire(ring->lock, LW_SHARED);
	st->size = ring->size;
	st->captured = ring->captured;
	st->incomplete = ring->incomplete;
	st->overwritten = ring->overwritten;
	st->flushed = ring->flushed;
	for (i = 0; i < ring->size; i++)
	{
		if (ring->slots[i].state != SLOT_PENDING)
			continue;
		st->buffered++;
		if (ring->slots[i].sample.dbid == MyDatabaseId)
			st->buffered_here++;
	}
	LWLockRelease(ring->lock);
}
