/*
 * fuzz_query_complexity.c — libFuzzer target for the SQL keyword counter.
 *
 * qpm_query_complexity runs on every pg_stat_statements query text, which
 * may be truncated mid-token (track_activity_query_size) or hold any bytes
 * a client sent, so it must never read past len whatever the input.  The
 * input is copied to an exact-size heap buffer, so ASan flags even a
 * one-byte over-read (libFuzzer's own buffer would too, but this keeps the
 * guarantee explicit).  Build and run:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc/core \
 *       test/fuzz/fuzz_query_complexity.c src/core/query_complexity.c \
 *       -o fuzz_query_complexity
 *   ./fuzz_query_complexity -max_total_time=60 test/fuzz/corpus/query_complexity
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "query_complexity.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One input: count, and check the only invariant a count has. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *copy = malloc(size ? size : 1);
	int			n;

	if (copy == NULL)
		return 0;
	if (size > 0)
		memcpy(copy, data, size);
	n = qpm_query_complexity(copy, size);
	if (n < 0)
		abort();
	/* each counted keyword needs at least two bytes of text */
	if ((size_t) n > size)
		abort();
	free(copy);
	return 0;
}
