/*
 * fuzz_plan_features.c — libFuzzer target for the plan/1 feature builder.
 *
 * The describer in the server only builds well-formed descriptions, but the
 * builder must not depend on that: it is the one place that walks parent
 * indexes, multiplies loop estimates and takes logs of sums.  The input
 * bytes become statement facts and an array of nodes:
 *
 *   byte 0      command; byte 1 jit; byte 2 subplans; bytes 3-4 work_mem
 *               and hash memory (from the value table below)
 *   then 11 bytes per node: parent (0 = a root, k = k nodes back, so
 *   forward and self references occur too), child_no, kind (out-of-range
 *   kinds included), workers (signed), init_plans, scans_relation, and six
 *   estimates (startup and total cost, rows, width, relpages, reltuples),
 *   each picked from a table of ordinary and hostile values (NAN, +-inf,
 *   DBL_MAX, negatives, denormals) by one byte, scaled by its high bits.
 *
 * Checked: the call returns 0 or -1; -1 leaves a message; 0 gives only
 * finite or NAN values, counts that are non-negative whole numbers, the
 * node count itself, and the same bits when computed twice.  Build and run
 * (test/fuzz/run.sh does this):
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc/core \
 *       test/fuzz/fuzz_plan_features.c src/core/[a-z]*.c test/unit/test_alloc.c \
 *       -llapacke -lz -lm -o fuzz_plan_features
 *   ./fuzz_plan_features -max_total_time=60 test/fuzz/corpus/plan_features
 */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plan_features.h"

#define HEADER_BYTES 5
#define NODE_BYTES 11
#define MAX_FUZZ_NODES 4096

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Ordinary and hostile estimates. */
static double
value(uint8_t b)
{
	static const double table[16] = {
		0, 1, 8, 100, 1e4, 1e9, 0.25, -1,
		-1e6, 1e300, DBL_MAX, 5e-324, NAN, INFINITY, -INFINITY, 4096
	};

	return table[b & 15] * (double) ((b >> 4) + 1);
}

/* Fill one node from its 11 bytes. */
static void
read_node(const uint8_t *p, int i, QpmPlanNode *nd)
{
	memset(nd, 0, sizeof(*nd));
	nd->parent = p[0] == 0 ? -1 : i - (int) p[0];
	nd->child_no = (int8_t) p[1];
	nd->kind = (int8_t) p[2];
	nd->workers = (int8_t) p[3];
	nd->init_plans = (int8_t) p[4];
	nd->scans_relation = p[5] & 1;
	nd->startup_cost = value(p[5] >> 1);
	nd->total_cost = value(p[6]);
	nd->plan_rows = value(p[7]);
	nd->plan_width = value(p[8]);
	nd->rel_pages = value(p[9]);
	nd->rel_tuples = value(p[10]);
}

/* Is v a count: a non-negative whole number? */
static int
is_count(double v)
{
	return isfinite(v) && v >= 0 && v == floor(v);
}

/* One input: build, compute twice, check the contract. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	QpmPlanInfo info;
	QpmPlanNode *nodes;
	double		f1[QPM_PLAN_N_FEATURES],
				f2[QPM_PLAN_N_FEATURES];
	char		err[256];
	int			n,
				i,
				rc;

	if (size < HEADER_BYTES)
		return 0;
	info.command = (int8_t) data[0];
	info.jit = data[1] & 1;
	info.subplans = (int8_t) data[2];
	info.work_mem_kb = value(data[3]);
	info.hash_mem_kb = value(data[4]);
	n = (int) ((size - HEADER_BYTES) / NODE_BYTES);
	if (n > MAX_FUZZ_NODES)
		n = MAX_FUZZ_NODES;
	/* exact-size buffer (one node when n = 0) so ASan sees any over-read */
	nodes = malloc(sizeof(QpmPlanNode) * (size_t) (n > 0 ? n : 1));
	if (nodes == NULL)
		return 0;
	for (i = 0; i < n; i++)
		read_node(data + HEADER_BYTES + (size_t) i * NODE_BYTES, i, &nodes[i]);

	err[0] = '\0';
	rc = qpm_plan_features(nodes, n, &info, f1, err, sizeof(err));
	if (rc != 0 && rc != -1)
		abort();
	if (rc == -1)
	{
		if (err[0] == '\0')
			abort();
		free(nodes);
		return 0;
	}
	for (i = 0; i < QPM_PLAN_N_FEATURES; i++)
		if (!isnan(f1[i]) && !isfinite(f1[i]))
			abort();
	/* nodes, depth, joins, scans, unanalysed, workers, initplans, class counts */
	if (f1[4] != n || !is_count(f1[5]) || f1[5] < 1 || f1[5] > n ||
		!is_count(f1[6]) || !is_count(f1[7]) || !is_count(f1[12]) ||
		!is_count(f1[13]) || !is_count(f1[16]))
		abort();
	for (i = 21; i < QPM_PLAN_N_FEATURES; i += 2)
		if (!is_count(f1[i]) || f1[i] > n)
			abort();
	if (qpm_plan_features(nodes, n, &info, f2, NULL, 0) != 0 ||
		memcmp(f1, f2, sizeof(f1)) != 0)
		abort();
	free(nodes);
	return 0;
}
