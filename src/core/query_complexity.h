/*
 * query_complexity.h — feature 12, a structural count over SQL text.
 */
#ifndef QPM_QUERY_COMPLEXITY_H
#define QPM_QUERY_COMPLEXITY_H

#include <stddef.h>

/*
 * Count, case-insensitively and outside quoted strings, quoted identifiers,
 * dollar-quoted strings and comments, the keywords JOIN, GROUP BY, ORDER BY,
 * DISTINCT, UNION, INTERSECT, EXCEPT and OVER, plus the SELECT keywords
 * beyond the first.  Works on any bytes (never reads past len, tolerates
 * NULs and unterminated quotes/comments).
 */
int			qpm_query_complexity(const char *text, size_t len);

#endif
