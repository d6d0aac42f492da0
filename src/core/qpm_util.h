/*
 * qpm_util.h — small helpers the ML core files share.
 */
#ifndef QPM_UTIL_H
#define QPM_UTIL_H

#include <stddef.h>

#if defined(__GNUC__) || defined(__clang__)
#define QPM_PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define QPM_PRINTF_LIKE(f, a)
#endif

/* Format a message into err when the caller gave room for one (err may be NULL). */
void		qpm_set_error(char *err, size_t errlen, const char *fmt,...) QPM_PRINTF_LIKE(3, 4);

/* qsort comparator for doubles (callers pass no NaNs). */
int			qpm_cmp_double(const void *a, const void *b);

#endif
