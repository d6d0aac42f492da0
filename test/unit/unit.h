/*
 * unit.h — a minimal assertion harness for the ML core's unit tests.
 *
 * Each test_*.c is its own program: it calls CHECK* from test functions
 * listed in main via RUN(), and unit_report() prints "N passed, N failed"
 * and returns the exit status.  run.sh adds the programs' counts up.
 */
#ifndef QPM_UNIT_H
#define QPM_UNIT_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int	unit_passed;
static int	unit_failed;
static const char *unit_current = "";

#define CHECK(cond) \
	do { \
		if (cond) unit_passed++; \
		else { unit_failed++; \
			fprintf(stderr, "FAIL %s:%d [%s]: %s\n", __FILE__, __LINE__, unit_current, #cond); } \
	} while (0)

#define CHECK_NEAR(a, b, tol) \
	do { \
		double _a = (a), _b = (b), _t = (tol); \
		if (fabs(_a - _b) <= _t) unit_passed++; \
		else { unit_failed++; \
			fprintf(stderr, "FAIL %s:%d [%s]: %s = %.17g, expected %.17g (tol %g)\n", \
					__FILE__, __LINE__, unit_current, #a, _a, _b, _t); } \
	} while (0)

#define CHECK_REL(a, b, rel) CHECK_NEAR((a), (b), fabs((double) (b)) * (rel))

#define RUN(fn) do { unit_current = #fn; fn(); } while (0)

static inline int
unit_report(const char *program)
{
	printf("%s: %d passed, %d failed\n", program, unit_passed, unit_failed);
	return unit_failed == 0 ? 0 : 1;
}

#endif
