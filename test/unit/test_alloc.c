/*
 * test_alloc.c — the standalone implementation of qpm_alloc.h (malloc),
 * linked into unit tests, benchmarks and fuzz targets instead of the
 * server's palloc-based src/pg_alloc.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qpm_alloc.h"

/* Abort on exhaustion: the server raises ERROR there, tests cannot go on. */
static void *
check_ptr(void *p, size_t size)
{
	if (p == NULL && size > 0)
	{
		fprintf(stderr, "out of memory allocating %zu bytes\n", size);
		abort();
	}
	return p;
}

void *
qpm_alloc(size_t size)
{
	return check_ptr(malloc(size ? size : 1), size);
}

void *
qpm_alloc0(size_t size)
{
	return check_ptr(calloc(1, size ? size : 1), size);
}

void *
qpm_realloc(void *ptr, size_t size)
{
	return check_ptr(realloc(ptr, size ? size : 1), size);
}

void
qpm_free(void *ptr)
{
	free(ptr);
}
