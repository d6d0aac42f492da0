/*
 * walk_cost.c — the tree walker alone, outside PostgreSQL (built and run by
 * walk_cost.sh):
 *
 *   walk_cost ROUNDS             train, then time the walks
 *   walk_cost ROUNDS save FILE   train, write the dump to FILE
 *   walk_cost 0 once FILE        read FILE, walk every row once (portable)
 *
 * Training is XGBoost's C API the way src/xgb_train.c uses it (depth 6,
 * eta 0.1, subsample 0.8, one thread) on generated rows; the dump is parsed
 * into a forest and qpm_forest_predict is timed on 5 000 generated rows
 * with the AVX-512 walk (where the CPU has it) and the portable one: the
 * best of 40 passes, in CPU time per row.  "once" is for valgrind
 * --tool=callgrind, which cannot run AVX-512 (nor train in useful time).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xgboost/c_api.h>

#include "forest.h"

#define TRAIN_ROWS 20000
#define ROWS 5000
#define P 12

static uint64_t state = 88172645463325252ULL;

/* xorshift64: the same rows on every run. */
static double
unit_rand(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return (double) (state >> 11) / 9007199254740992.0;
}

/* Row j's feature: a count (a multiple of 1) or a spread-out number. */
static double
feature(int j)
{
	return j % 3 == 0 ? floor(unit_rand() * 40) : unit_rand() * 10 - (j % 5);
}

/* CPU time of this thread, seconds. */
static double
cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double) t.tv_sec + (double) t.tv_nsec * 1e-9;
}

/* Parse n dump strings into a forest; exits on error. */
static QpmForest *
parse(const char **dump, int32_t n)
{
	char		err[256];
	QpmForest  *f = qpm_forest_from_xgb_dump(dump, n, P, 6.0f, err, sizeof(err));

	if (f == NULL)
	{
		fprintf(stderr, "walk_cost: %s\n", err);
		exit(1);
	}
	return f;
}

/* A forest from a dump file written by "save": trees separated by NUL bytes. */
static QpmForest *
load(const char *path)
{
	FILE	   *fp = fopen(path, "rb");
	char	   *buf;
	const char **trees;
	long		len;
	int32_t		n = 0;
	long		i;

	if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) <= 0)
	{
		fprintf(stderr, "walk_cost: cannot read %s\n", path);
		exit(1);
	}
	rewind(fp);
	buf = malloc((size_t) len);
	if (fread(buf, 1, (size_t) len, fp) != (size_t) len)
		exit(1);
	fclose(fp);
	for (i = 0; i < len; i++)
		n += buf[i] == '\0';
	trees = malloc(sizeof(char *) * (size_t) n);
	n = 0;
	for (i = 0; i < len; i += (long) strlen(buf + i) + 1)
		trees[n++] = buf + i;
	return parse(trees, n);
}

/*
 * Train ROUNDS rounds on generated rows and parse the dump (written to
 * save, NUL-separated, if not NULL); exits on error.
 */
static QpmForest *
train(int rounds, const char *save)
{
	float	   *x = malloc(sizeof(float) * TRAIN_ROWS * P);
	float	   *y = malloc(sizeof(float) * TRAIN_ROWS);
	DMatrixHandle d;
	BoosterHandle h;
	bst_ulong	n;
	const char **dump;
	QpmForest  *f;
	int			i,
				j;

	for (i = 0; i < TRAIN_ROWS; i++)
	{
		float	   *r = x + i * P;

		for (j = 0; j < P; j++)
			r[j] = (float) feature(j);
		y[i] = (float) (6 + sin(r[0]) * 2 + 0.3 * r[1] + (r[2] > 4 ? 1.5 : -0.5) +
						0.1 * r[4] * r[5] + 0.05 * r[9] * r[10] + 0.3 * unit_rand());
	}
	if (XGDMatrixCreateFromMat(x, TRAIN_ROWS, P, NAN, &d) != 0 ||
		XGDMatrixSetFloatInfo(d, "label", y, TRAIN_ROWS) != 0 ||
		XGBoosterCreate(&d, 1, &h) != 0 ||
		XGBoosterSetParam(h, "objective", "reg:squarederror") != 0 ||
		XGBoosterSetParam(h, "tree_method", "hist") != 0 ||
		XGBoosterSetParam(h, "max_depth", "6") != 0 ||
		XGBoosterSetParam(h, "eta", "0.1") != 0 ||
		XGBoosterSetParam(h, "subsample", "0.8") != 0 ||
		XGBoosterSetParam(h, "base_score", "6") != 0 ||
		XGBoosterSetParam(h, "nthread", "1") != 0 ||
		XGBoosterSetParam(h, "seed", "42") != 0)
	{
		fprintf(stderr, "walk_cost: XGBoost: %s\n", XGBGetLastError());
		exit(1);
	}
	for (i = 0; i < rounds; i++)
		XGBoosterUpdateOneIter(h, i, d);
	XGBoosterDumpModelEx(h, "", 1, "text", &n, &dump);
	f = parse(dump, (int32_t) n);
	if (save != NULL)
	{
		FILE	   *fp = fopen(save, "wb");

		for (i = 0; i < (int) n; i++)
			fwrite(dump[i], 1, strlen(dump[i]) + 1, fp);
		fclose(fp);
	}
	XGBoosterFree(h);
	XGDMatrixFree(d);
	free(x);
	free(y);
	return f;
}

/* Time the walks (or, with "once", walk each row once, portable). */
int
main(int argc, char **argv)
{
	int			rounds = argc > 1 ? atoi(argv[1]) : 300;
	const char *mode = argc > 3 ? argv[2] : "";
	int			once = strcmp(mode, "once") == 0;
	QpmForest  *f = once ? load(argv[3]) : train(rounds, strcmp(mode, "save") == 0 ? argv[3] : NULL);
	double	   *x = malloc(sizeof(double) * ROWS * P);
	float		sink = 0;
	int			i,
				v;

	state = 12345;
	for (i = 0; i < ROWS * P; i++)
		x[i] = feature(i % P);
	if (strcmp(mode, "save") == 0)
		return 0;
	if (once)
	{
		qpm_forest_set_vector(0);
		for (i = 0; i < ROWS; i++)
			sink += qpm_forest_predict(f, x + (size_t) i * P);
		printf("%d trees, %d rows walked once (portable), checksum %.9g\n", f->n_trees, ROWS, (double) sink);
		return 0;
	}
	printf("%d trees, %d nodes, layout %d\n", f->n_trees, f->n_nodes, (int) qpm_forest_layout(f));
	for (v = 1; v >= 0; v--)
	{
		double		best = 1e9;
		int			rep;

		if (qpm_forest_set_vector(v) != v)
			continue;
		for (rep = 0; rep < 40; rep++)
		{
			double		t0 = cpu_now();

			for (i = 0; i < ROWS; i++)
				sink += qpm_forest_predict(f, x + (size_t) i * P);
			if ((cpu_now() - t0) / ROWS < best)
				best = (cpu_now() - t0) / ROWS;
		}
		printf("%-8s %7.1f ns per row (checksum %.9g)\n", v ? "AVX-512" : "portable", best * 1e9, (double) sink);
	}
	return 0;
}
