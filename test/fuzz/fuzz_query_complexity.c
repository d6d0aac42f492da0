/*
 * fuzz_query_complexity.c — libFuzzer target for the SQL tokenizer: the
 * shape counts of pgss/2 and the keyword count of pgss/1.
 *
 * Both run on every pg_stat_statements query text, which may be truncated
 * mid-token (track_activity_query_size) or hold any bytes a client sent,
 * so they must never read past len whatever the input.  The input is
 * copied to an exact-size heap buffer, so ASan flags even a one-byte
 * over-read (libFuzzer's own buffer would too, but this keeps the
 * guarantee explicit).  Besides memory safety the target checks what the
 * counts promise: none negative, none above the number of tokens (each
 * count needs a token of its own), tokens never above the length, a
 * known statement kind, the same result twice, and query_complexity equal
 * to its formula over the shape.  test/fuzz/run.sh builds it (with every
 * file of src/core) and runs it on the seeds in
 * test/fuzz/corpus/query_complexity.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "query_complexity.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort unless 0 <= v <= bound. */
static void
check_count(int v, long long bound)
{
	if (v < 0 || v > bound)
		abort();
}

/* One input: shape it twice and count it, checking the invariants above. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *copy = malloc(size ? size : 1);
	QpmQueryShape a,
				b;
	long long	formula;
	int			n;

	if (copy == NULL)
		return 0;
	if (size > 0)
		memcpy(copy, data, size);

	qpm_query_shape(copy, size, &a);
	qpm_query_shape(copy, size, &b);
	if (memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	check_count(a.tokens, (long long) size);
	check_count(a.selects, a.tokens);
	check_count(a.joins, a.tokens);
	check_count(a.group_bys, a.tokens);
	check_count(a.order_bys, a.tokens);
	check_count(a.distincts, a.tokens);
	check_count(a.set_ops, a.tokens);
	check_count(a.windows, a.tokens);
	check_count(a.functions, a.tokens);
	check_count(a.aggregates, a.functions);	/* every aggregate is a call */
	check_count(a.limits, a.tokens);
	check_count(a.ctes, a.tokens);
	check_count(a.predicates, a.tokens);
	check_count(a.pattern_matches, a.predicates);
	check_count(a.in_lists, a.predicates);	/* every IN list is an IN */
	check_count(a.params, a.tokens);
	if (a.kind < QPM_KIND_OTHER || a.kind > QPM_KIND_MERGE)
		abort();

	n = qpm_query_complexity(copy, size);
	formula = (long long) a.joins + a.group_bys + a.order_bys + a.distincts +
		a.set_ops + a.windows + (a.selects > 1 ? a.selects - 1 : 0);
	if (n < 0 || (long long) n != formula)
		abort();
	/* each counted keyword needs at least two bytes of text */
	if ((size_t) n > size)
		abort();
	free(copy);
	return 0;
}
