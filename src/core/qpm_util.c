/*
 * qpm_util.c — small helpers the ML core files share (error formatting,
 * sorting), kept in one place so every file reports errors the same way.
 */
#include <stdarg.h>
#include <stdio.h>

#include "qpm_util.h"

/* Format a message into err when the caller gave room for one. */
void
qpm_set_error(char *err, size_t errlen, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);	/* NOLINT(clang-analyzer-valist.Uninitialized): see test/lint.sh */
	va_end(ap);
}

/* qsort comparator for doubles. */
int
qpm_cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}
