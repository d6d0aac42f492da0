/*
 * make_blob_seeds.c — writes the seed corpus for fuzz_model_blob.
 *
 * The seeds in test/fuzz/corpus/model_blob/ are this program's output,
 * committed so the fuzzer starts from valid blobs; regenerate them after a
 * format change (the names stay, the bytes change):
 *
 *   cc -std=gnu99 -Wall -Wextra -Werror -Isrc/core \
 *     test/fuzz/make_blob_seeds.c src/core/serialize.c \
 *     src/core/feature_set.c src/core/model.c src/core/transform.c \
 *     src/core/forest.c src/core/qpm_util.c test/unit/test_alloc.c \
 *     -lz -lm -o make_blob_seeds
 *   ./make_blob_seeds test/fuzz/corpus/model_blob
 *
 * Every seed is checked to load before it is written; output is
 * deterministic, so regenerating without a format change is a no-op.
 */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serialize.h"

/* A typical trained model: standardized, some features log-transformed. */
static void
seed_typical(QpmModel *m)
{
	int			j;

	m->transform.standardize = 1;
	for (j = 0; j < m->transform.n_features; j++)
	{
		QpmFeatureTransform *f = &m->transform.f[j];

		f->impute = 10.0 * j + 0.5;
		f->clip_lo = 0.0;
		f->clip_hi = 1000.0 * (j + 1);
		f->log1p = (uint8_t) (j % 3 == 0);
		f->center = 0.25 * j;
		f->scale = 1.0 + 0.5 * j;
		m->linear.coef[j] = 0.1 * (j - 5);
	}
	m->linear.intercept = 1.75;
}

/* The simplest model: no standardization, no logs, zero coefficients. */
static void
seed_plain(QpmModel *m)
{
	int			j;

	m->transform.standardize = 0;
	for (j = 0; j < m->transform.n_features; j++)
	{
		m->transform.f[j].clip_lo = -1.0;
		m->transform.f[j].clip_hi = 1.0;
		m->transform.f[j].scale = 1.0;
	}
}

/* Boundary values that are still legal: signed zero, subnormal, DBL_MAX. */
static void
seed_extreme(QpmModel *m)
{
	int			j;

	seed_typical(m);
	m->interval.level = 1e-9;
	m->interval.resid_lo = -0.0;
	m->interval.resid_hi = DBL_MAX;
	m->transform.clip_lo_pct = 0.0;
	m->transform.clip_hi_pct = 100.0;
	for (j = 0; j < m->transform.n_features; j++)
	{
		m->transform.f[j].clip_lo = -DBL_MAX;
		m->transform.f[j].clip_hi = DBL_MAX;
		m->transform.f[j].scale = (j % 2) ? DBL_MIN / 8 : DBL_MAX;
		m->linear.coef[j] = (j % 2) ? -DBL_MAX : 4.9e-324;
	}
	m->linear.intercept = -0.0;
}

/*
 * A boosted tree model: three trees over all 12 features, both default
 * directions, a single-leaf tree, awkward but legal floats, node
 * statistics (cover, gain) as a dump with_stats 1 gives them.
 */
static void
seed_boosting(QpmModel *m)
{
	static const QpmTreeNode nodes[] = {
		/* tree 0: f0 < 0.5 ? (f11 < -2 ? 0.1 : -0.2) : 0.3 */
		{1, 4, 0, 1, 0.5f, 100.0f, 52.25f}, {2, 3, 11, 0, -2.0f, 60.0f, 7.5f},
		{-1, -1, -1, 0, 0.1f, 35.0f, 0.0f}, {-1, -1, -1, 0, -0.2f, 25.0f, 0.0f},
		{-1, -1, -1, 0, 0.3f, 40.0f, 0.0f},
		/* tree 1: a single leaf, negative zero */
		{-1, -1, -1, 0, -0.0f, 100.0f, 0.0f},
		/* tree 2: f5 < 1e-05 ? subnormal : -1e30, a leaf no row reached */
		{1, 2, 5, 0, 1e-05f, 100.0f, 1e-3f}, {-1, -1, -1, 0, 1e-40f, 100.0f, 0.0f},
		{-1, -1, -1, 0, -1e30f, 0.0f, 0.0f},
	};
	static const int32_t offsets[] = {0, 5, 6, 9};
	QpmForest  *f;

	seed_typical(m);
	memset(&m->linear, 0, sizeof(m->linear));
	m->algorithm = QPM_ALG_GRADIENT_BOOSTING;
	f = qpm_forest_alloc(3, 9, m->transform.n_features);
	memcpy(f->nodes, nodes, sizeof(nodes));
	memcpy(f->tree_offset, offsets, sizeof(offsets));
	f->base_score = 1.75f;
	m->forest = f;
}

/* A random forest of single-leaf trees (what a constant target gives). */
static void
seed_random_forest(QpmModel *m)
{
	QpmForest  *f;
	int32_t		t;

	seed_plain(m);
	m->algorithm = QPM_ALG_RANDOM_FOREST;
	f = qpm_forest_alloc(4, 4, m->transform.n_features);
	for (t = 0; t < 4; t++)
	{
		f->tree_offset[t] = t;
		f->nodes[t].left = f->nodes[t].right = f->nodes[t].feature = -1;
		f->nodes[t].value = 0.25f * (float) t;
		f->nodes[t].cover = 80.0f;
	}
	f->tree_offset[4] = 4;
	f->base_score = 0.5f;
	m->forest = f;
}

/* Fill the fields every seed shares, then let the variant set the rest. */
static void
make_seed(QpmModel *m, void (*variant) (QpmModel *))
{
	memset(m, 0, sizeof(*m));
	m->algorithm = QPM_ALG_LINEAR;
	m->feature_set = qpm_feature_set_find(QPM_FS_STMT_STATS,
										  QPM_FS_STMT_STATS_VERSION);
	if (m->feature_set == NULL)
	{
		fprintf(stderr, "feature set %d version %d not found\n",
				QPM_FS_STMT_STATS, QPM_FS_STMT_STATS_VERSION);
		exit(1);
	}
	m->transform.n_features = m->feature_set->n_features;
	m->transform.clip_lo_pct = 0.5;
	m->transform.clip_hi_pct = 99.5;
	m->interval.level = 0.9;
	m->interval.resid_lo = -0.8;
	m->interval.resid_hi = 0.95;
	variant(m);
}

/* Serialize, check it loads back, write dir/name. */
static void
write_seed(const char *dir, const char *name, void (*variant) (QpmModel *))
{
	QpmModel	m;
	QpmModel	back;
	uint8_t		buf[4096];
	char		path[1024];
	char		err[256];
	size_t		len;
	FILE	   *fp;

	make_seed(&m, variant);
	len = qpm_model_serialize(&m, buf, sizeof(buf));
	if (len == 0 || qpm_model_deserialize(buf, len, &back, err, sizeof(err)) != 0)
	{
		fprintf(stderr, "seed %s does not round-trip: %s\n", name,
				len == 0 ? "serialize failed" : err);
		exit(1);
	}
	qpm_forest_free(back.forest);	/* model.c (qpm_model_release) is not linked */
	qpm_forest_free(m.forest);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	if (fp == NULL || fwrite(buf, 1, len, fp) != len || fclose(fp) != 0)
	{
		perror(path);
		exit(1);
	}
	printf("%s: %zu bytes\n", path, len);
}

/* Usage: make_blob_seeds DIR */
int
main(int argc, char **argv)
{
	if (argc != 2)
	{
		fprintf(stderr, "usage: %s corpus-dir\n", argv[0]);
		return 2;
	}
	write_seed(argv[1], "linear_typical.bin", seed_typical);
	write_seed(argv[1], "linear_plain.bin", seed_plain);
	write_seed(argv[1], "linear_extreme.bin", seed_extreme);
	write_seed(argv[1], "gradient_boosting.bin", seed_boosting);
	write_seed(argv[1], "random_forest.bin", seed_random_forest);
	return 0;
}
