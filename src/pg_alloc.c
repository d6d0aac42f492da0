/*
 * pg_alloc.c — the server implementation of core/qpm_alloc.h.
 *
 * The ML core allocates in CurrentMemoryContext, so whoever calls it
 * decides the lifetime: training runs in its own context deleted at the
 * end (and with the transaction on ERROR), the model cache switches to its
 * long-lived context.  Huge allocations are allowed because a training
 * matrix bounded by maintenance_work_mem may exceed 1 GB.
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "core/qpm_alloc.h"

/* palloc that may exceed MaxAllocSize; ERRORs when out of memory. */
void *
qpm_alloc(size_t size)
{
	return palloc_extended(size > 0 ? size : 1, MCXT_ALLOC_HUGE);
}

/* Zeroed qpm_alloc. */
void *
qpm_alloc0(size_t size)
{
	return palloc_extended(size > 0 ? size : 1, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

/* realloc semantics on top of repalloc (NULL allocates). */
void *
qpm_realloc(void *ptr, size_t size)
{
	if (ptr == NULL)
		return qpm_alloc(size);
	return repalloc_huge(ptr, size > 0 ? size : 1);
}

/* free semantics: NULL is allowed. */
void
qpm_free(void *ptr)
{
	if (ptr != NULL)
		pfree(ptr);
}
