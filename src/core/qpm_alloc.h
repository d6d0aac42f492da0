/*
 * qpm_alloc.h — the allocator the ML core uses.
 *
 * The core never calls malloc directly: inside the server these map to
 * palloc in the caller's CurrentMemoryContext (so an ERROR frees everything),
 * in unit tests and fuzzers to malloc.  Two implementations exist:
 * src/pg_alloc.c (server) and test/unit/test_alloc.c (standalone).
 * Allocation failure never returns NULL: the server version raises ERROR,
 * the standalone one aborts.
 */
#ifndef QPM_ALLOC_H
#define QPM_ALLOC_H

#include <stddef.h>

void	   *qpm_alloc(size_t size);
void	   *qpm_alloc0(size_t size);
void	   *qpm_realloc(void *ptr, size_t size);
void		qpm_free(void *ptr);

#endif
