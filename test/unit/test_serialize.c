/*
 * test_serialize.c — unit tests of the model blob (src/core/serialize.c).
 *
 * Round trips compare every field bitwise, since a blob must give back the
 * exact model, -0.0 and subnormals included.  Corruption tests work on
 * exact-size heap copies so a sanitizer build catches any read past the
 * end.  The "crafted" cases patch a value and recompute the checksum, as an
 * attacker (or a bug elsewhere) could: the value checks must still refuse.
 * Offsets below mirror the layout documented in serialize.h's banner.
 * Links with model.c and transform.c for the prediction round trip.
 * Forest models get the same treatment; every deserialized forest is
 * released, so the sanitizer build's leak check covers the error paths.
 */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>

#include <zlib.h>

#include "forest.h"
#include "forest_fixture.h"
#include "serialize.h"
#include "unit.h"

/* Payload offsets for the linear model, from the start of the blob. */
#define H					QPM_BLOB_HEADER_SIZE
#define OFF_LEVEL			(H + 0)
#define OFF_RESID_LO		(H + 8)
#define OFF_RESID_HI		(H + 16)
#define OFF_CLIP_LO_PCT		(H + 24)
#define OFF_CLIP_HI_PCT		(H + 32)
#define OFF_STANDARDIZE		(H + 40)
#define OFF_FEATURE(j)		(H + 41 + 41 * (j))
#define F_IMPUTE			0
#define F_CLIP_LO			8
#define F_CLIP_HI			16
#define F_LOG1P				24
#define F_CENTER			25
#define F_SCALE				33
#define OFF_INTERCEPT(n)	(H + 41 + 41 * (n))
#define OFF_COEF(n, j)		(OFF_INTERCEPT(n) + 8 + 8 * (j))

/* Forest section offsets, same start as the linear section. */
#define OFF_FOREST(n)		(H + 41 + 41 * (n))
#define OFF_N_TREES(n)		(OFF_FOREST(n) + 0)
#define OFF_N_NODES(n)		(OFF_FOREST(n) + 4)
#define OFF_F_FEATURES(n)	(OFF_FOREST(n) + 8)
#define OFF_F_ALG(n)		(OFF_FOREST(n) + 10)
#define OFF_BASE(n)			(OFF_FOREST(n) + 12)
#define OFF_TREE_OFF(n, t)	(OFF_FOREST(n) + 16 + 4 * (t))
#define OFF_NODE(n, T, i)	(OFF_TREE_OFF(n, (T) + 1) + 25 * (i))
#define N_LEFT				0
#define N_RIGHT				4
#define N_FEATURE			8
#define N_DEFAULT			12
#define N_VALUE				13
#define N_COVER				17
#define N_GAIN				21

/* The feature set every test model uses. */
static const QpmFeatureSet *
stmt_fs(void)
{
	return qpm_feature_set_find(QPM_FS_STMT_STATS, QPM_FS_STMT_STATS_VERSION);
}

/* A linear model whose every field is distinct, so a swapped field shows. */
static void
make_model(QpmModel *m)
{
	const QpmFeatureSet *fs = stmt_fs();
	int			n = fs->n_features;
	int			j;

	memset(m, 0, sizeof(*m));
	m->algorithm = QPM_ALG_LINEAR;
	m->feature_set = fs;
	m->interval.level = 0.9;
	m->interval.resid_lo = -0.7125;
	m->interval.resid_hi = 1.3;
	m->transform.n_features = n;
	m->transform.clip_lo_pct = 0.5;
	m->transform.clip_hi_pct = 99.5;
	m->transform.standardize = 1;
	for (j = 0; j < n; j++)
	{
		QpmFeatureTransform *f = &m->transform.f[j];

		f->impute = j * 1.5 + 0.25;
		f->clip_lo = -j - 0.125;
		f->clip_hi = j * 1000.0 + 7.5;
		f->log1p = (uint8_t) (j % 2);
		f->center = j * 0.1 - 0.3;
		f->scale = 1.0 + j * 0.37;
		m->linear.coef[j] = (j - 6) * 0.0123456789;
	}
	m->linear.intercept = 2.5;
}

/* Awkward but legal values: signed zeros, subnormals, extremes. */
static void
make_extreme_model(QpmModel *m)
{
	make_model(m);
	m->interval.level = DBL_MIN;
	m->interval.resid_lo = -0.0;
	m->interval.resid_hi = DBL_MAX;
	m->transform.clip_lo_pct = 0.0;
	m->transform.clip_hi_pct = 100.0;
	m->transform.standardize = 0;
	m->transform.f[0].center = -0.0;
	m->transform.f[0].clip_lo = -DBL_MAX;
	m->transform.f[0].clip_hi = DBL_MAX;
	m->transform.f[1].scale = DBL_MIN / 4;	/* subnormal, still > 0 */
	m->transform.f[2].clip_lo = 3.0;
	m->transform.f[2].clip_hi = 3.0;
	m->linear.coef[3] = -0.0;
	m->linear.coef[4] = 4.9e-324;
	m->linear.intercept = -DBL_MAX;
}

/*
 * A tree model over make_model's transform: three trees (a split, a single
 * leaf, two levels), awkward floats (-0, subnormal, large), both defaults,
 * distinct covers and gains.  The forest is malloc'd by qpm_forest_alloc;
 * free with qpm_model_release.
 */
static void
make_forest_model(QpmModel *m, QpmAlgorithm alg)
{
	QpmForest  *f;
	int32_t		i;

	make_model(m);
	m->algorithm = alg;
	memset(&m->linear, 0, sizeof(m->linear));
	f = qpm_forest_alloc(3, 9, m->transform.n_features);
	f->base_score = 0.25f;
	f->tree_offset[0] = 0;
	f->tree_offset[1] = 3;
	f->tree_offset[2] = 4;
	f->tree_offset[3] = 9;
	f->nodes[0] = split_node(0, -0.5f, 1, 2, 1);
	f->nodes[1] = leaf(-0.0f);
	f->nodes[2] = leaf(1.5f);
	f->nodes[3] = leaf(1e-40f);	/* subnormal */
	f->nodes[4] = split_node(11, 2.0f, 1, 4, 0);
	f->nodes[5] = split_node(3, -1e30f, 2, 3, 1);
	f->nodes[6] = leaf(0.125f);
	f->nodes[7] = leaf(-3.0e20f);
	f->nodes[8] = leaf(0.75f);
	for (i = 0; i < 9; i++)
	{
		f->nodes[i].cover = 100.0f - 7.25f * (float) i;
		if (f->nodes[i].left >= 0)
			f->nodes[i].gain = 3.5f * (float) (i + 1);
	}
	f->nodes[8].cover = 0.0f;	/* a leaf no training row reached */
	f->nodes[5].gain = -0.0f;
	m->forest = f;
}

/* Bitwise, so -0.0 != 0.0 and subnormals must survive exactly. */
static int
same_double(double a, double b)
{
	return memcmp(&a, &b, sizeof(double)) == 0;
}

/* Bitwise float equality. */
static int
same_float(float a, float b)
{
	return memcmp(&a, &b, sizeof(float)) == 0;
}

/* Bitwise equality of two forests (or both NULL). */
static int
forests_equal(const QpmForest *a, const QpmForest *b)
{
	int32_t		i;

	if (a == NULL || b == NULL)
		return a == b;
	if (a->n_trees != b->n_trees || a->n_nodes != b->n_nodes ||
		a->n_features != b->n_features || !same_float(a->base_score, b->base_score))
		return 0;
	for (i = 0; i <= a->n_trees; i++)
		if (a->tree_offset[i] != b->tree_offset[i])
			return 0;
	for (i = 0; i < a->n_nodes; i++)
	{
		const QpmTreeNode *x = &a->nodes[i];
		const QpmTreeNode *y = &b->nodes[i];

		if (x->left != y->left || x->right != y->right ||
			x->feature != y->feature || x->default_left != y->default_left ||
			!same_float(x->value, y->value) || !same_float(x->cover, y->cover) ||
			!same_float(x->gain, y->gain))
			return 0;
	}
	return 1;
}

/* Bitwise equality of every serialized field. */
static int
models_equal(const QpmModel *a, const QpmModel *b)
{
	int			n = a->transform.n_features;
	int			j;

	if (!forests_equal(a->forest, b->forest))
		return 0;

	if (a->algorithm != b->algorithm || a->feature_set != b->feature_set ||
		n != b->transform.n_features ||
		!same_double(a->interval.level, b->interval.level) ||
		!same_double(a->interval.resid_lo, b->interval.resid_lo) ||
		!same_double(a->interval.resid_hi, b->interval.resid_hi) ||
		!same_double(a->transform.clip_lo_pct, b->transform.clip_lo_pct) ||
		!same_double(a->transform.clip_hi_pct, b->transform.clip_hi_pct) ||
		a->transform.standardize != b->transform.standardize ||
		!same_double(a->linear.intercept, b->linear.intercept))
		return 0;
	for (j = 0; j < n; j++)
	{
		const QpmFeatureTransform *fa = &a->transform.f[j];
		const QpmFeatureTransform *fb = &b->transform.f[j];

		if (!same_double(fa->impute, fb->impute) ||
			!same_double(fa->clip_lo, fb->clip_lo) ||
			!same_double(fa->clip_hi, fb->clip_hi) ||
			fa->log1p != fb->log1p ||
			!same_double(fa->center, fb->center) ||
			!same_double(fa->scale, fb->scale) ||
			!same_double(a->linear.coef[j], b->linear.coef[j]))
			return 0;
	}
	return 1;
}

/* Serialize m into a fresh exact-size buffer; *len gets its size. */
static uint8_t *
blob_of(const QpmModel *m, size_t *len)
{
	size_t		size = qpm_model_serialized_size(m);
	uint8_t    *buf = malloc(size);

	*len = qpm_model_serialize(m, buf, size);
	return buf;
}

/* An exact-size heap copy of the first len bytes, for ASan to guard. */
static uint8_t *
copy_of(const uint8_t *buf, size_t len)
{
	uint8_t    *c = malloc(len ? len : 1);

	memcpy(c, buf, len);
	return c;
}

/* Little-endian stores for patching blobs, independent of serialize.c. */
static void
put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
}

/* Little-endian u32 store. */
static void
put_le32(uint8_t *p, uint32_t v)
{
	int			i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

/* A double's bit pattern, little-endian. */
static void
put_f64(uint8_t *p, double v)
{
	uint64_t	bits;
	int			i;

	memcpy(&bits, &v, sizeof(bits));
	for (i = 0; i < 8; i++)
		p[i] = (uint8_t) (bits >> (8 * i));
}

/* Make the header's length and checksum agree with the blob, as a forger would. */
static void
reseal(uint8_t *buf, size_t len)
{
	put_le32(buf + 16, (uint32_t) (len - H));
	put_le32(buf + 20, (uint32_t) crc32(0L, buf + H, (uInt) (len - H)));
}

/* Deserialize and expect failure with err starting with want. */
static int
fails_with(const uint8_t *buf, size_t len, const char *want)
{
	QpmModel	m;
	char		err[256] = "";
	uint8_t    *c = buf ? copy_of(buf, len) : NULL;
	int			rc;
	int			ok;

	memset(&m, 0, sizeof(m));
	rc = qpm_model_deserialize(c, len, &m, err, sizeof(err));
	ok = rc == -1 && strncmp(err, want, strlen(want)) == 0;
	if (!ok)
		fprintf(stderr, "  expected \"%s...\", got rc %d \"%s\"\n", want, rc, err);
	if (rc == 0)
		qpm_model_release(&m);
	free(c);
	return ok;
}

/* Patch one double of a fresh blob, reseal it and expect want. */
static int
crafted_f64_fails(size_t off, double v, const char *want)
{
	QpmModel	m;
	size_t		len;
	uint8_t    *buf;
	int			ok;

	make_model(&m);
	buf = blob_of(&m, &len);
	put_f64(buf + off, v);
	reseal(buf, len);
	ok = fails_with(buf, len, want);
	free(buf);
	return ok;
}

/* Patch one byte of a fresh blob, reseal it and expect want. */
static int
crafted_u8_fails(size_t off, uint8_t v, const char *want)
{
	QpmModel	m;
	size_t		len;
	uint8_t    *buf;
	int			ok;

	make_model(&m);
	buf = blob_of(&m, &len);
	buf[off] = v;
	reseal(buf, len);
	ok = fails_with(buf, len, want);
	free(buf);
	return ok;
}

/* Patch a header u16 (length and checksum left valid) and expect want. */
static int
header_u16_fails(size_t off, uint16_t v, const char *want)
{
	QpmModel	m;
	size_t		len;
	uint8_t    *buf;
	int			ok;

	make_model(&m);
	buf = blob_of(&m, &len);
	put_le16(buf + off, v);
	ok = fails_with(buf, len, want);
	free(buf);
	return ok;
}

/* Size formula, header bytes and byte order match the documented layout. */
static void
test_size_and_layout(void)
{
	QpmModel	m;
	int			n;
	size_t		size;
	size_t		len;
	uint8_t    *buf;
	static const uint8_t level_09[8] = {0xcd, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xec, 0x3f};

	make_model(&m);
	n = m.transform.n_features;
	CHECK(n == QPM_STMT_N_FEATURES);
	size = qpm_model_serialized_size(&m);
	CHECK(size == (size_t) (H + 24 + 17 + 41 * n + 8 + 8 * n));
	CHECK(size == (size_t) OFF_COEF(n, n));

	buf = malloc(size + 16);
	memset(buf, 0xAA, size + 16);
	CHECK(qpm_model_serialize(&m, buf, size + 16) == size);
	CHECK(buf[size] == 0xAA);	/* wrote nothing past its size */

	/* header fields, little-endian */
	CHECK(memcmp(buf, "QPMM", 4) == 0);
	CHECK(buf[4] == QPM_BLOB_FORMAT_VERSION && buf[5] == 0);
	CHECK(buf[6] == QPM_ALG_LINEAR && buf[7] == 0);
	CHECK(buf[8] == QPM_FS_STMT_STATS && buf[9] == 0);
	CHECK(buf[10] == QPM_FS_STMT_STATS_VERSION && buf[11] == 0);
	CHECK(buf[12] == n && buf[13] == 0);
	CHECK(buf[14] == 0 && buf[15] == 0);
	CHECK((buf[16] | (buf[17] << 8) | (buf[18] << 16) | ((uint32_t) buf[19] << 24)) ==
		  size - H);
	CHECK((buf[20] | (buf[21] << 8) | (buf[22] << 16) | ((uint32_t) buf[23] << 24)) ==
		  (uint32_t) crc32(0L, buf + H, (uInt) (size - H)));
	for (int i = 24; i < 32; i++)
		CHECK(buf[i] == 0);

	/* doubles are IEEE-754 bit patterns, least significant byte first */
	CHECK(memcmp(buf + OFF_LEVEL, level_09, 8) == 0);
	CHECK(buf[OFF_STANDARDIZE] == 1);
	CHECK(buf[OFF_FEATURE(1) + F_LOG1P] == 1);
	CHECK(buf[OFF_FEATURE(2) + F_LOG1P] == 0);

	/* too small a buffer, or none, writes nothing */
	CHECK(qpm_model_serialize(&m, buf, size - 1) == 0);
	CHECK(qpm_model_serialize(&m, buf, 0) == 0);
	CHECK(qpm_model_serialize(&m, NULL, size) == 0);
	free(buf);

	/* exact-size buffer */
	buf = blob_of(&m, &len);
	CHECK(len == size);
	free(buf);
}

/* Models serialize cannot encode give 0, never a malformed blob. */
static void
test_unencodable_models(void)
{
	QpmModel	m;
	uint8_t		buf[4096];

	CHECK(qpm_model_serialized_size(NULL) == 0);
	CHECK(qpm_model_serialize(NULL, buf, sizeof(buf)) == 0);

	make_model(&m);
	m.feature_set = NULL;
	CHECK(qpm_model_serialized_size(&m) == 0);
	CHECK(qpm_model_serialize(&m, buf, sizeof(buf)) == 0);

	make_model(&m);
	m.transform.n_features = 11;	/* disagrees with the feature set */
	CHECK(qpm_model_serialized_size(&m) == 0);
	CHECK(qpm_model_serialize(&m, buf, sizeof(buf)) == 0);

	make_model(&m);
	m.algorithm = QPM_ALG_GRADIENT_BOOSTING;	/* a tree model with no forest */
	CHECK(qpm_model_serialized_size(&m) == 0);
	CHECK(qpm_model_serialize(&m, buf, sizeof(buf)) == 0);

	make_model(&m);
	m.algorithm = (QpmAlgorithm) 4;
	CHECK(qpm_model_serialized_size(&m) == 0);
	CHECK(qpm_model_serialize(&m, buf, sizeof(buf)) == 0);

	/* a forest of another width than the transform */
	make_forest_model(&m, QPM_ALG_RANDOM_FOREST);
	m.forest->n_features = 11;
	CHECK(qpm_model_serialized_size(&m) == 0);
	CHECK(qpm_model_serialize(&m, buf, sizeof(buf)) == 0);
	qpm_model_release(&m);
	CHECK(m.forest == NULL);

	/* counts beyond the limits: refused before any size arithmetic */
	make_forest_model(&m, QPM_ALG_RANDOM_FOREST);
	m.forest->n_nodes = QPM_FOREST_MAX_NODES + 1;
	CHECK(qpm_model_serialized_size(&m) == 0);
	m.forest->n_nodes = 9;
	m.forest->n_trees = 0;
	CHECK(qpm_model_serialized_size(&m) == 0);
	m.forest->n_trees = 3;

	/* a structurally broken forest is never written */
	m.forest->nodes[5].left = 0;	/* a cycle to the root of tree 2 */
	CHECK(qpm_model_serialized_size(&m) > 0);
	CHECK(qpm_model_serialize(&m, buf, sizeof(buf)) == 0);
	qpm_model_release(&m);
	qpm_model_release(NULL);
}

/* Every field comes back bitwise, and the encoding is canonical. */
static void
test_round_trip(void)
{
	QpmModel	m;
	QpmModel	back;
	char		err[256] = "";
	size_t		len;
	size_t		len2;
	uint8_t    *buf;
	uint8_t    *buf2;

	make_model(&m);
	buf = blob_of(&m, &len);
	memset(&back, 0x5A, sizeof(back));
	CHECK(qpm_model_deserialize(buf, len, &back, err, sizeof(err)) == 0);
	CHECK(err[0] == '\0');
	CHECK(models_equal(&m, &back));
	CHECK(back.feature_set == stmt_fs());	/* the static table itself */

	/* parameters past n_features are zeroed, not left as garbage */
	CHECK(back.transform.f[QPM_MAX_FEATURES - 1].scale == 0.0);
	CHECK(back.linear.coef[QPM_MAX_FEATURES - 1] == 0.0);

	/* the encoding is canonical: re-serializing gives the same bytes */
	buf2 = blob_of(&back, &len2);
	CHECK(len2 == len && memcmp(buf, buf2, len) == 0);
	free(buf);
	free(buf2);

	make_extreme_model(&m);
	buf = blob_of(&m, &len);
	CHECK(len > 0);
	CHECK(qpm_model_deserialize(buf, len, &back, err, sizeof(err)) == 0);
	CHECK(models_equal(&m, &back));
	CHECK(signbit(back.interval.resid_lo) && back.interval.resid_lo == 0.0);
	CHECK(signbit(back.linear.coef[3]));
	CHECK(back.linear.coef[4] == 4.9e-324);
	buf2 = blob_of(&back, &len2);
	CHECK(len2 == len && memcmp(buf, buf2, len) == 0);
	free(buf);
	free(buf2);

	/* out may be NULL (validation only); err may be NULL */
	make_model(&m);
	buf = blob_of(&m, &len);
	CHECK(qpm_model_deserialize(buf, len, NULL, NULL, 0) == 0);
	free(buf);
}

/* What the blob is for: the loaded model predicts exactly what the original did. */
static void
test_predictions_survive(void)
{
	QpmModel	m;
	QpmModel	back;
	size_t		len;
	uint8_t    *buf;
	double		raw[QPM_MAX_FEATURES];
	int			same = 1;
	int			row;
	int			j;

	make_model(&m);
	buf = blob_of(&m, &len);
	CHECK(qpm_model_deserialize(buf, len, &back, NULL, 0) == 0);
	for (row = 0; row < 50; row++)
	{
		QpmPrediction a;
		QpmPrediction b;

		for (j = 0; j < m.transform.n_features; j++)
			raw[j] = (row % 7 == j % 7) ? NAN : (row * 37 + j * 11) % 2000 - 3.0;
		qpm_model_predict(&m, raw, &a);
		qpm_model_predict(&back, raw, &b);
		if (!same_double(a.predicted_ms, b.predicted_ms) ||
			!same_double(a.lower_ms, b.lower_ms) ||
			!same_double(a.upper_ms, b.upper_ms))
			same = 0;
	}
	CHECK(same);
	free(buf);
}

/* A rejected blob must not leave a half-filled model behind. */
static void
test_failure_leaves_out_untouched(void)
{
	QpmModel	m;
	QpmModel	out;
	QpmModel	before;
	char		err[256];
	size_t		len;
	uint8_t    *buf;

	make_model(&m);
	buf = blob_of(&m, &len);
	put_f64(buf + OFF_COEF(m.transform.n_features, 11), NAN);	/* last value */
	reseal(buf, len);
	memset(&out, 0x33, sizeof(out));
	memcpy(&before, &out, sizeof(out));
	CHECK(qpm_model_deserialize(buf, len, &out, err, sizeof(err)) == -1);
	CHECK(memcmp(&before, &out, sizeof(out)) == 0);
	free(buf);
}

/* Every prefix of a valid blob is rejected, ASan watching each read. */
static void
test_truncation(void)
{
	QpmModel	m;
	size_t		len;
	size_t		cut;
	uint8_t    *buf;
	int			all_failed = 1;
	int			short_msgs = 1;
	int			length_msgs = 1;

	make_model(&m);
	buf = blob_of(&m, &len);
	for (cut = 0; cut < len; cut++)
	{
		QpmModel	out;
		char		err[256] = "";
		uint8_t    *c = copy_of(buf, cut);

		if (qpm_model_deserialize(c, cut, &out, err, sizeof(err)) != -1)
			all_failed = 0;
		if (cut < H && strncmp(err, "blob too short", 14) != 0)
			short_msgs = 0;
		if (cut >= H && strncmp(err, "payload length", 14) != 0)
			length_msgs = 0;
		free(c);
	}
	CHECK(all_failed);
	CHECK(short_msgs);
	CHECK(length_msgs);
	CHECK(fails_with(buf, 12, "blob too short: 12 bytes, header needs 32"));
	CHECK(fails_with(NULL, 0, "no blob"));
	CHECK(fails_with(NULL, len, "no blob"));
	free(buf);
}

/* Any single corrupted byte is caught, in the header or by the checksum. */
static void
test_byte_flips(void)
{
	static const uint8_t masks[] = {0x01, 0x10, 0x80, 0xff};
	QpmModel	m;
	size_t		len;
	size_t		pos;
	size_t		k;
	uint8_t    *buf;
	int			all_failed = 1;

	make_model(&m);
	buf = blob_of(&m, &len);
	for (pos = 0; pos < len; pos++)
	{
		for (k = 0; k < sizeof(masks); k++)
		{
			QpmModel	out;
			char		err[256] = "";

			buf[pos] ^= masks[k];
			if (qpm_model_deserialize(buf, len, &out, err, sizeof(err)) != -1 ||
				err[0] == '\0')
			{
				all_failed = 0;
				fprintf(stderr, "  flip 0x%02x at %zu accepted\n", masks[k], pos);
			}
			buf[pos] ^= masks[k];
		}
	}
	CHECK(all_failed);

	/* a payload flip is caught by the checksum */
	buf[OFF_COEF(m.transform.n_features, 0)] ^= 1;
	CHECK(fails_with(buf, len, "checksum mismatch"));
	free(buf);
}

/* Each header field has its own refusal and message. */
static void
test_header_errors(void)
{
	QpmModel	m;
	size_t		len;
	uint8_t    *buf;

	CHECK(header_u16_fails(4, QPM_BLOB_FORMAT_VERSION + 1,
						   "unsupported format version 2"));
	CHECK(header_u16_fails(4, 0xffff, "unsupported format version 65535"));
	CHECK(header_u16_fails(4, 0, "invalid format version 0"));
	/* a linear payload read as a forest: its intercept's low bytes are 0 trees */
	CHECK(header_u16_fails(6, QPM_ALG_GRADIENT_BOOSTING,
						   "forest tree count 0 not in 1 to 100000"));
	CHECK(header_u16_fails(6, QPM_ALG_RANDOM_FOREST,
						   "forest tree count 0 not in 1 to 100000"));
	CHECK(header_u16_fails(6, 4, "unsupported algorithm 4"));
	CHECK(header_u16_fails(6, 0, "unsupported algorithm 0"));
	CHECK(header_u16_fails(6, 999, "unsupported algorithm 999"));
	CHECK(header_u16_fails(8, 99, "unknown feature set 99 version 1"));
	CHECK(header_u16_fails(10, 3, "unknown feature set 1 version 3"));
	/* a pgss/1 blob relabelled pgss/2: the width no longer matches */
	CHECK(header_u16_fails(10, QPM_FS_STMT_STATS_V2, "feature count 12 does not match"));
	CHECK(header_u16_fails(12, QPM_STMT_N_FEATURES - 1,
						   "feature count 11 does not match"));
	CHECK(header_u16_fails(12, QPM_MAX_FEATURES + 1,
						   "feature count 65 exceeds the maximum of 64"));
	CHECK(header_u16_fails(14, 1, "nonzero reserved header field at byte 14"));
	CHECK(crafted_u8_fails(27, 0x40, "nonzero reserved header field at byte 27"));
	CHECK(crafted_u8_fails(31, 0x01, "nonzero reserved header field at byte 31"));

	make_model(&m);
	buf = blob_of(&m, &len);
	buf[0] = 'X';
	CHECK(fails_with(buf, len, "bad magic"));
	free(buf);
}

/* Lengths that disagree, even when checksummed, are refused. */
static void
test_length_errors(void)
{
	QpmModel	m;
	size_t		len;
	uint8_t    *buf;
	uint8_t    *big;

	make_model(&m);
	buf = blob_of(&m, &len);
	big = calloc(1, len + 8);
	memcpy(big, buf, len);

	/* trailing garbage the header does not announce */
	CHECK(fails_with(big, len + 1, "payload length 637 does not match blob: 638"));

	/* trailing garbage announced and checksummed: the parser still refuses */
	reseal(big, len + 1);
	CHECK(fails_with(big, len + 1, "payload has 1 trailing bytes"));
	reseal(big, len + 8);
	CHECK(fails_with(big, len + 8, "payload has 8 trailing bytes"));

	/* a payload one byte short, consistently announced and checksummed */
	memcpy(big, buf, len);
	reseal(big, len - 1);
	CHECK(fails_with(big, len - 1, "payload truncated"));

	/* header only, announced as such */
	reseal(big, H);
	CHECK(fails_with(big, H, "payload truncated"));

	/* a length field that would overflow a careless addition */
	memcpy(big, buf, len);
	put_le32(big + 16, 0xffffffffu);
	CHECK(fails_with(big, len, "payload length 4294967295"));
	free(big);
	free(buf);
}

/* Out-of-range values behind a valid checksum are refused, field by field. */
static void
test_crafted_values(void)
{
	int			n = QPM_STMT_N_FEATURES;

	/* interval */
	CHECK(crafted_f64_fails(OFF_LEVEL, 1.5, "interval level 1.5 not in (0, 1)"));
	CHECK(crafted_f64_fails(OFF_LEVEL, 1.0, "interval level 1 not in (0, 1)"));
	CHECK(crafted_f64_fails(OFF_LEVEL, 0.0, "interval level 0 not in (0, 1)"));
	CHECK(crafted_f64_fails(OFF_LEVEL, NAN, "interval level nan"));
	CHECK(crafted_f64_fails(OFF_RESID_LO, 0.1, "interval residuals lo 0.1"));
	CHECK(crafted_f64_fails(OFF_RESID_LO, -INFINITY, "interval residuals lo -inf"));
	CHECK(crafted_f64_fails(OFF_RESID_HI, -0.1, "interval residuals"));
	CHECK(crafted_f64_fails(OFF_RESID_HI, INFINITY, "interval residuals"));
	CHECK(crafted_f64_fails(OFF_RESID_HI, NAN, "interval residuals"));

	/* transform, global */
	CHECK(crafted_f64_fails(OFF_CLIP_LO_PCT, -1.0, "clip percentiles lo -1"));
	CHECK(crafted_f64_fails(OFF_CLIP_LO_PCT, 99.5, "clip percentiles lo 99.5, hi 99.5"));
	CHECK(crafted_f64_fails(OFF_CLIP_HI_PCT, 100.5, "clip percentiles"));
	CHECK(crafted_f64_fails(OFF_CLIP_HI_PCT, NAN, "clip percentiles"));
	CHECK(crafted_u8_fails(OFF_STANDARDIZE, 2, "standardize flag 2 is not 0 or 1"));
	CHECK(crafted_u8_fails(OFF_STANDARDIZE, 0xff, "standardize flag 255"));

	/* transform, per feature */
	CHECK(crafted_f64_fails(OFF_FEATURE(0) + F_IMPUTE, NAN, "feature 0: impute nan"));
	CHECK(crafted_f64_fails(OFF_FEATURE(4) + F_IMPUTE, INFINITY, "feature 4: impute inf"));
	CHECK(crafted_f64_fails(OFF_FEATURE(3) + F_CLIP_LO, 1e9, "feature 3: clip range"));
	CHECK(crafted_f64_fails(OFF_FEATURE(3) + F_CLIP_LO, -INFINITY, "feature 3: clip range"));
	CHECK(crafted_f64_fails(OFF_FEATURE(7) + F_CLIP_HI, NAN, "feature 7: clip range"));
	CHECK(crafted_u8_fails(OFF_FEATURE(5) + F_LOG1P, 2, "feature 5: log1p flag 2 is not 0 or 1"));
	CHECK(crafted_f64_fails(OFF_FEATURE(6) + F_CENTER, INFINITY, "feature 6: center inf"));
	CHECK(crafted_f64_fails(OFF_FEATURE(2) + F_SCALE, 0.0, "feature 2: scale 0 is not"));
	CHECK(crafted_f64_fails(OFF_FEATURE(2) + F_SCALE, -0.0, "feature 2: scale -0 is not"));
	CHECK(crafted_f64_fails(OFF_FEATURE(2) + F_SCALE, -1.0, "feature 2: scale -1"));
	CHECK(crafted_f64_fails(OFF_FEATURE(n - 1) + F_SCALE, INFINITY, "feature 11: scale inf"));
	CHECK(crafted_f64_fails(OFF_FEATURE(n - 1) + F_SCALE, NAN, "feature 11: scale nan"));

	/* linear section */
	CHECK(crafted_f64_fails(OFF_INTERCEPT(n), NAN, "intercept nan is not finite"));
	CHECK(crafted_f64_fails(OFF_INTERCEPT(n), -INFINITY, "intercept -inf"));
	CHECK(crafted_f64_fails(OFF_COEF(n, 3), NAN, "coefficient 3 is nan, not finite"));
	CHECK(crafted_f64_fails(OFF_COEF(n, n - 1), INFINITY, "coefficient 11 is inf"));
}

/* The forest section's size and fields sit where the banner says. */
static void
test_forest_layout(void)
{
	QpmModel	m;
	int			n = QPM_STMT_N_FEATURES;
	size_t		size;
	size_t		len;
	uint8_t    *buf;
	static const uint8_t base_025[4] = {0x00, 0x00, 0x80, 0x3e};

	make_forest_model(&m, QPM_ALG_GRADIENT_BOOSTING);
	size = qpm_model_serialized_size(&m);
	CHECK(size == (size_t) (H + 24 + 17 + 41 * n + 16 + 4 * 4 + 25 * 9));
	CHECK(size == (size_t) OFF_NODE(n, 3, 9));
	/* the size a training checks before the forest exists is the same */
	CHECK(qpm_forest_model_size(n, 3, 9) == (uint64_t) size);
	CHECK(qpm_forest_model_size(n, 10000, (int64_t) 10000 * 4194303) >
		  (uint64_t) 1000000 * 1000000);	/* no 32-bit wraparound */
	buf = blob_of(&m, &len);
	CHECK(len == size);
	CHECK(buf[6] == QPM_ALG_GRADIENT_BOOSTING && buf[7] == 0);
	CHECK(buf[OFF_N_TREES(n)] == 3 && buf[OFF_N_TREES(n) + 3] == 0);
	CHECK(buf[OFF_N_NODES(n)] == 9);
	CHECK(buf[OFF_F_FEATURES(n)] == n && buf[OFF_F_FEATURES(n) + 1] == 0);
	CHECK(buf[OFF_F_ALG(n)] == QPM_ALG_GRADIENT_BOOSTING && buf[OFF_F_ALG(n) + 1] == 0);
	CHECK(memcmp(buf + OFF_BASE(n), base_025, 4) == 0);
	CHECK(buf[OFF_TREE_OFF(n, 0)] == 0 && buf[OFF_TREE_OFF(n, 1)] == 3 &&
		  buf[OFF_TREE_OFF(n, 2)] == 4 && buf[OFF_TREE_OFF(n, 3)] == 9);
	/* node 4: split on f11, children 1 and 4, NaN right; leaves are -1 */
	CHECK(buf[OFF_NODE(n, 3, 4) + N_LEFT] == 1 && buf[OFF_NODE(n, 3, 4) + N_RIGHT] == 4);
	CHECK(buf[OFF_NODE(n, 3, 4) + N_FEATURE] == 11);
	CHECK(buf[OFF_NODE(n, 3, 4) + N_DEFAULT] == 0 && buf[OFF_NODE(n, 3, 0) + N_DEFAULT] == 1);
	CHECK(buf[OFF_NODE(n, 3, 1) + N_LEFT] == 0xff && buf[OFF_NODE(n, 3, 1) + N_LEFT + 3] == 0xff);
	CHECK(buf[OFF_NODE(n, 3, 1) + N_VALUE + 3] == 0x80);	/* -0.0f */
	/* node 0: cover 100 (0x42c80000), gain 3.5 (0x40600000) */
	CHECK(buf[OFF_NODE(n, 3, 0) + N_COVER + 2] == 0xc8 && buf[OFF_NODE(n, 3, 0) + N_COVER + 3] == 0x42);
	CHECK(buf[OFF_NODE(n, 3, 0) + N_GAIN + 2] == 0x60 && buf[OFF_NODE(n, 3, 0) + N_GAIN + 3] == 0x40);
	CHECK(buf[OFF_NODE(n, 3, 1) + N_GAIN + 3] == 0);	/* leaves have gain 0 */
	CHECK(buf[OFF_NODE(n, 3, 5) + N_GAIN + 3] == 0x80);	/* -0.0f survives */
	free(buf);
	qpm_model_release(&m);
}

/* Both tree algorithms come back bitwise, canonical, and predict the same. */
static void
test_forest_round_trip(void)
{
	static const QpmAlgorithm algs[] = {QPM_ALG_GRADIENT_BOOSTING, QPM_ALG_RANDOM_FOREST};
	size_t		a;

	for (a = 0; a < sizeof(algs) / sizeof(algs[0]); a++)
	{
		QpmModel	m;
		QpmModel	back;
		char		err[256] = "";
		size_t		len;
		size_t		len2;
		uint8_t    *buf;
		uint8_t    *buf2;
		double		raw[QPM_MAX_FEATURES];
		int			same = 1;
		int			differ = 0;
		int			row;
		int			j;

		make_forest_model(&m, algs[a]);
		buf = blob_of(&m, &len);
		CHECK(len > 0);
		memset(&back, 0x5A, sizeof(back));
		CHECK(qpm_model_deserialize(buf, len, &back, err, sizeof(err)) == 0);
		CHECK(err[0] == '\0');
		CHECK(back.algorithm == algs[a]);
		CHECK(back.forest != NULL && back.forest != m.forest);
		CHECK(models_equal(&m, &back));
		CHECK(signbit(back.forest->nodes[1].value));
		CHECK(back.forest->nodes[3].value == 1e-40f);

		buf2 = blob_of(&back, &len2);
		CHECK(len2 == len && memcmp(buf, buf2, len) == 0);
		free(buf2);

		/* the transformed vector reaches the forest, NaN included */
		for (row = 0; row < 200; row++)
		{
			QpmPrediction p;
			QpmPrediction q;
			double		xt[QPM_MAX_FEATURES];

			for (j = 0; j < m.transform.n_features; j++)
				raw[j] = (row % 5 == j % 5) ? NAN : (row * 37 + j * 11) % 200 - 100.0;
			qpm_model_predict(&m, raw, &p);
			qpm_model_predict(&back, raw, &q);
			if (!same_double(p.predicted_ms, q.predicted_ms) ||
				!same_double(p.lower_ms, q.lower_ms) ||
				!same_double(p.upper_ms, q.upper_ms))
				same = 0;
			qpm_transform_apply(&m.transform, raw, xt);
			if (!same_double(qpm_model_predict_transformed(&m, xt),
							 (double) qpm_forest_predict(m.forest, xt)) &&
				!(qpm_forest_predict(m.forest, xt) < -13.8))	/* clamped floor */
				same = 0;
			if (p.predicted_ms != exp(0.25 + 1.5 + 0.75))
				differ = 1;
		}
		CHECK(same);
		CHECK(differ);			/* the rows do take different paths */

		/* validation only: nothing is kept, nothing leaks */
		CHECK(qpm_model_deserialize(buf, len, NULL, NULL, 0) == 0);
		free(buf);
		qpm_model_release(&back);
		CHECK(back.forest == NULL);
		qpm_model_release(&m);
	}
}

/* Patch a forest blob with fn, reseal it, expect want. */
static int
crafted_forest_fails(void (*patch) (uint8_t *buf, int n), const char *want)
{
	QpmModel	m;
	size_t		len;
	uint8_t    *buf;
	int			ok;

	make_forest_model(&m, QPM_ALG_GRADIENT_BOOSTING);
	buf = blob_of(&m, &len);
	patch(buf, m.transform.n_features);
	reseal(buf, len);
	ok = fails_with(buf, len, want);
	free(buf);
	qpm_model_release(&m);
	return ok;
}

/* Patches for crafted_forest_fails, one per broken invariant. */
static void p_trees0(uint8_t *b, int n) {put_le32(b + OFF_N_TREES(n), 0);}
static void p_trees_max(uint8_t *b, int n) {put_le32(b + OFF_N_TREES(n), QPM_FOREST_MAX_TREES + 1);}
static void p_trees_more(uint8_t *b, int n) {put_le32(b + OFF_N_TREES(n), 4);}
static void p_trees_less(uint8_t *b, int n) {put_le32(b + OFF_N_TREES(n), 2);}
static void p_nodes_few(uint8_t *b, int n) {put_le32(b + OFF_N_NODES(n), 2);}
static void p_nodes_huge(uint8_t *b, int n) {put_le32(b + OFF_N_NODES(n), 0xffffffffu);}
static void p_nodes_max(uint8_t *b, int n) {put_le32(b + OFF_N_NODES(n), QPM_FOREST_MAX_NODES);}
static void p_nodes_less(uint8_t *b, int n) {put_le32(b + OFF_N_NODES(n), 8);}
static void p_features(uint8_t *b, int n) {put_le16(b + OFF_F_FEATURES(n), 11);}
static void p_alg(uint8_t *b, int n) {put_le16(b + OFF_F_ALG(n), QPM_ALG_RANDOM_FOREST);}
static void p_base_nan(uint8_t *b, int n) {put_le32(b + OFF_BASE(n), 0x7fc00000u);}
static void p_base_inf(uint8_t *b, int n) {put_le32(b + OFF_BASE(n), 0xff800000u);}
static void p_off_first(uint8_t *b, int n) {put_le32(b + OFF_TREE_OFF(n, 0), 1);}
static void p_off_empty(uint8_t *b, int n) {put_le32(b + OFF_TREE_OFF(n, 2), 3);}
static void p_off_neg(uint8_t *b, int n) {put_le32(b + OFF_TREE_OFF(n, 1), 0x80000000u);}
static void p_off_last(uint8_t *b, int n) {put_le32(b + OFF_TREE_OFF(n, 3), 8);}
static void p_cycle(uint8_t *b, int n) {put_le32(b + OFF_NODE(n, 3, 5) + N_LEFT, 0);}
static void p_self(uint8_t *b, int n) {put_le32(b + OFF_NODE(n, 3, 5) + N_RIGHT, 1);}
static void p_outside(uint8_t *b, int n) {put_le32(b + OFF_NODE(n, 3, 5) + N_RIGHT, 5);}
static void p_shared(uint8_t *b, int n) {put_le32(b + OFF_NODE(n, 3, 4) + N_RIGHT, 2);}
static void p_feature(uint8_t *b, int n) {put_le32(b + OFF_NODE(n, 3, 4) + N_FEATURE, 12);}
static void p_feature_neg(uint8_t *b, int n) {put_le32(b + OFF_NODE(n, 3, 0) + N_FEATURE, 0xfffffffeu);}
static void p_default(uint8_t *b, int n) {b[OFF_NODE(n, 3, 0) + N_DEFAULT] = 2;}
static void p_leaf_default(uint8_t *b, int n) {b[OFF_NODE(n, 3, 3) + N_DEFAULT] = 1;}
static void p_leaf_right(uint8_t *b, int n) {put_le32(b + OFF_NODE(n, 3, 2) + N_RIGHT, 0);}
static void p_threshold(uint8_t *b, int n) {put_le32(b + OFF_NODE(n, 3, 0) + N_VALUE, 0x7f800000u);}
static void p_leaf_nan(uint8_t *b, int n) {put_le32(b + OFF_NODE(n, 3, 8) + N_VALUE, 0xffc00001u);}
static void p_cover_nan(uint8_t *b, int n) {put_le32(b + OFF_NODE(n, 3, 4) + N_COVER, 0x7fc00000u);}
static void p_cover_neg(uint8_t *b, int n) {put_le32(b + OFF_NODE(n, 3, 2) + N_COVER, 0xbf800000u);}
static void p_gain_inf(uint8_t *b, int n) {put_le32(b + OFF_NODE(n, 3, 0) + N_GAIN, 0x7f800000u);}
static void p_leaf_gain(uint8_t *b, int n) {put_le32(b + OFF_NODE(n, 3, 3) + N_GAIN, 0x3f800000u);}
static void p_level(uint8_t *b, int n) {(void) n; put_f64(b + OFF_LEVEL, 1.5);}
static void p_scale(uint8_t *b, int n) {(void) n; put_f64(b + OFF_FEATURE(2) + F_SCALE, 0.0);}

/* A forest blob with a valid checksum but a broken forest is refused. */
static void
test_forest_crafted(void)
{
	CHECK(crafted_forest_fails(p_trees0, "forest tree count 0 not in 1 to 100000"));
	CHECK(crafted_forest_fails(p_trees_max, "forest tree count 100001 not in 1 to 100000"));
	CHECK(crafted_forest_fails(p_trees_more, "payload truncated: 790 bytes, a forest of 4 trees and 9 nodes needs 4 more"));
	CHECK(crafted_forest_fails(p_trees_less, "payload has 4 trailing bytes"));
	CHECK(crafted_forest_fails(p_nodes_few, "forest node count 2 not in 3 to 16777216"));
	CHECK(crafted_forest_fails(p_nodes_huge, "forest node count 4294967295"));
	/* the largest count is refused by size, before it could be allocated */
	CHECK(crafted_forest_fails(p_nodes_max, "payload truncated: 790 bytes, a forest of 3 trees and 16777216 nodes needs 419430175 more"));
	CHECK(crafted_forest_fails(p_nodes_less, "payload has 25 trailing bytes"));
	CHECK(crafted_forest_fails(p_features, "forest feature count 11 does not match the header's 12"));
	CHECK(crafted_forest_fails(p_alg, "forest algorithm 3 does not match the header's 2"));
	CHECK(crafted_forest_fails(p_base_nan, "base score nan is not finite"));
	CHECK(crafted_forest_fails(p_base_inf, "base score -inf is not finite"));
	CHECK(crafted_forest_fails(p_off_first, "first tree starts at node 1, not 0"));
	CHECK(crafted_forest_fails(p_off_empty, "tree 1 spans nodes 3 to 3"));
	CHECK(crafted_forest_fails(p_off_neg, "tree 0 spans nodes 0 to -2147483648"));
	CHECK(crafted_forest_fails(p_off_last, "trees cover 8 nodes, forest has 9"));
	CHECK(crafted_forest_fails(p_cycle, "tree 2 node 1: children 0, 3 must lie after it"));
	CHECK(crafted_forest_fails(p_self, "tree 2 node 1: children 2, 1 must lie after it"));
	CHECK(crafted_forest_fails(p_outside, "tree 2 node 1: children 2, 5 must lie after it and inside the tree (5 nodes)"));
	CHECK(crafted_forest_fails(p_shared, "tree 2 node 1: a child has two parents"));
	CHECK(crafted_forest_fails(p_feature, "tree 2 node 0: feature 12 out of range (12 features)"));
	CHECK(crafted_forest_fails(p_feature_neg, "tree 0 node 0: feature -2 out of range"));
	CHECK(crafted_forest_fails(p_default, "tree 0 node 0: default direction 2 is not 0 or 1"));
	CHECK(crafted_forest_fails(p_leaf_default, "tree 1 node 0: leaf with right child -1, feature -1, default 1"));
	CHECK(crafted_forest_fails(p_leaf_right, "tree 0 node 2: leaf with right child 0"));
	CHECK(crafted_forest_fails(p_threshold, "tree 0 node 0: threshold inf is not finite"));
	CHECK(crafted_forest_fails(p_leaf_nan, "tree 2 node 4: leaf value -nan is not finite"));
	CHECK(crafted_forest_fails(p_cover_nan, "tree 2 node 0: cover nan is not finite and >= 0"));
	CHECK(crafted_forest_fails(p_cover_neg, "tree 0 node 2: cover -1 is not finite and >= 0"));
	CHECK(crafted_forest_fails(p_gain_inf, "tree 0 node 0: gain inf is not finite"));
	CHECK(crafted_forest_fails(p_leaf_gain, "tree 1 node 0: leaf with gain 1, need 0"));
	/* errors found after the forest was read free it (the leak check sees) */
	CHECK(crafted_forest_fails(p_level, "interval level 1.5 not in (0, 1)"));
	CHECK(crafted_forest_fails(p_scale, "feature 2: scale 0 is not"));
}

/* Truncations, byte flips and algorithm swaps of a forest blob. */
static void
test_forest_corruption(void)
{
	static const uint8_t masks[] = {0x01, 0x80, 0xff};
	QpmModel	m;
	QpmModel	out;
	QpmModel	before;
	size_t		len;
	size_t		cut;
	size_t		pos;
	size_t		k;
	uint8_t    *buf;
	int			all_failed = 1;
	int			n;

	make_forest_model(&m, QPM_ALG_RANDOM_FOREST);
	n = m.transform.n_features;
	buf = blob_of(&m, &len);

	/* every prefix, checksummed or not */
	for (cut = 0; cut < len; cut++)
	{
		char		err[256] = "";
		uint8_t    *c = copy_of(buf, cut);

		if (qpm_model_deserialize(c, cut, &out, err, sizeof(err)) != -1 || err[0] == '\0')
			all_failed = 0;
		if (cut >= H)
		{
			reseal(c, cut);
			if (qpm_model_deserialize(c, cut, &out, err, sizeof(err)) != -1)
				all_failed = 0;
		}
		free(c);
	}
	CHECK(all_failed);

	/* any flipped byte, the algorithm's included (2 ^ 1 = 3: caught in the payload) */
	all_failed = 1;
	for (pos = 0; pos < len; pos++)
	{
		for (k = 0; k < sizeof(masks); k++)
		{
			char		err[256] = "";

			buf[pos] ^= masks[k];
			if (qpm_model_deserialize(buf, len, &out, err, sizeof(err)) != -1)
			{
				all_failed = 0;
				fprintf(stderr, "  flip 0x%02x at %zu accepted\n", masks[k], pos);
				qpm_model_release(&out);
			}
			buf[pos] ^= masks[k];
		}
	}
	CHECK(all_failed);

	/* a forest read as a linear model has bytes left over */
	put_le16(buf + 6, QPM_ALG_LINEAR);
	CHECK(fails_with(buf, len, "payload has 153 trailing bytes"));
	put_le16(buf + 6, QPM_ALG_GRADIENT_BOOSTING);
	CHECK(fails_with(buf, len, "forest algorithm 3 does not match the header's 2"));
	put_le16(buf + 6, QPM_ALG_RANDOM_FOREST);

	/* a rejected forest blob leaves *out untouched */
	buf[OFF_NODE(n, 3, 6) + N_VALUE + 3] = 0x7f;	/* leaf 0.125 -> NaN-ish */
	buf[OFF_NODE(n, 3, 6) + N_VALUE + 2] = 0xc0;
	reseal(buf, len);
	memset(&out, 0x33, sizeof(out));
	memcpy(&before, &out, sizeof(out));
	CHECK(qpm_model_deserialize(buf, len, &out, NULL, 0) == -1);
	CHECK(memcmp(&before, &out, sizeof(out)) == 0);
	free(buf);
	qpm_model_release(&m);
}

/* err is written within errlen, or not at all. */
static void
test_error_buffer(void)
{
	uint8_t		junk[4] = {0};
	char		err[8];
	QpmModel	out;

	/* a short err buffer is truncated and terminated, never overrun */
	memset(err, 'Z', sizeof(err));
	CHECK(qpm_model_deserialize(junk, sizeof(junk), &out, err, sizeof(err)) == -1);
	CHECK(err[sizeof(err) - 1] == '\0');
	CHECK(strcmp(err, "blob to") == 0);

	/* errlen 0 writes nothing */
	memset(err, 'Z', sizeof(err));
	CHECK(qpm_model_deserialize(junk, sizeof(junk), &out, err, 0) == -1);
	CHECK(err[0] == 'Z');
	CHECK(qpm_model_deserialize(junk, sizeof(junk), &out, NULL, 100) == -1);
}

/* Each test is independent; unit_report sums them. */
/* A whole file into a malloc'd buffer; NULL (and a message) if unreadable. */
static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE	   *fp = fopen(path, "rb");
	uint8_t    *buf = NULL;
	long		n;

	if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) <= 0 ||
		fseek(fp, 0, SEEK_SET) != 0 || (buf = malloc((size_t) n)) == NULL ||
		fread(buf, 1, (size_t) n, fp) != (size_t) n)
	{
		fprintf(stderr, "  cannot read %s (run from test/unit)\n", path);
		free(buf);
		buf = NULL;
	}
	else
		*len = (size_t) n;
	if (fp != NULL)
		fclose(fp);
	return buf;
}

/*
 * Models trained and stored by the released 1.0 (data/, written by the 1.0
 * library from a workload snapshot: 26 boosted trees, 16 forest trees of
 * depth 6) still load and predict what 1.0's predict() returned
 * (data/predictions_1_0.txt: the 12 inputs, NaN = NULL, then the two
 * predictions in ms, printed round-trip exact) within a relative 1e-6 on
 * every row, with the vector walk and with the portable one, which agree
 * bit for bit.  The inputs include every workload statement, the same
 * with one input missing, scaled and negated ones, all missing and
 * +-1e300.
 */
static void
test_released_1_0_models(void)
{
	static const char *const blobs[2] = {"data/gradient_boosting_1_0.bin",
	"data/random_forest_1_0.bin"};
	QpmModel	m[2];
	int			loaded[2] = {0, 0};
	FILE	   *fp;
	char		line[2048];
	int			rows = 0;
	int			differ = 0;
	int			exact = 0;
	double		max_rel = 0;
	int			a;

	for (a = 0; a < 2; a++)
	{
		size_t		len = 0;
		uint8_t    *buf = read_file(blobs[a], &len);
		char		err[256] = "";

		CHECK(buf != NULL);
		if (buf == NULL)
			continue;
		loaded[a] = qpm_model_deserialize(buf, len, &m[a], err, sizeof(err)) == 0;
		if (!loaded[a])
			fprintf(stderr, "  %s: %s\n", blobs[a], err);
		CHECK(loaded[a]);
		if (loaded[a])
			CHECK(qpm_forest_layout(m[a].forest) == QPM_FOREST_PERFECT);
		free(buf);
	}
	CHECK(loaded[0] && m[0].algorithm == QPM_ALG_GRADIENT_BOOSTING);
	CHECK(loaded[1] && m[1].algorithm == QPM_ALG_RANDOM_FOREST);
	fp = fopen("data/predictions_1_0.txt", "r");
	CHECK(fp != NULL);
	while (fp != NULL && loaded[0] && loaded[1] && fgets(line, sizeof(line), fp) != NULL)
	{
		double		x[14];
		char	   *p = line;
		int			j,
					vector;

		for (j = 0; j < 14; j++)
		{
			char	   *end;

			x[j] = strtod(p, &end);
			if (end == p)
				differ++;		/* a malformed line fails the test too */
			p = end;
		}
		rows++;
		for (a = 0; a < 2; a++)
		{
			double		walks[2];

			for (vector = 1; vector >= 0; vector--)
			{
				QpmPrediction pr;
				double		rel;

				qpm_forest_set_vector(vector);
				qpm_model_predict(&m[a], x, &pr);
				walks[vector] = pr.predicted_ms;
				rel = fabs(pr.predicted_ms - x[12 + a]) / fabs(x[12 + a]);
				max_rel = rel > max_rel ? rel : max_rel;
				exact += pr.predicted_ms == x[12 + a];
				if (!(rel <= 1e-6) && differ++ < 5)
					fprintf(stderr, "  row %d %s: %.17g, 1.0 gave %.17g\n", rows,
							a == 0 ? "gradient_boosting" : "random_forest",
							pr.predicted_ms, x[12 + a]);
			}
			if (memcmp(&walks[0], &walks[1], sizeof(double)) != 0 && differ++ < 5)
				fprintf(stderr, "  row %d: vector walk %.17g, portable %.17g\n",
						rows, walks[1], walks[0]);
		}
	}
	qpm_forest_set_vector(1);
	printf("test_serialize: 1.0 models, %d rows x 2 models x 2 walks: max relative difference %.3g, %d of %d identical\n",
		   rows, max_rel, exact, 4 * rows);
	CHECK(rows == 1401);
	CHECK(differ == 0);
	if (fp != NULL)
		fclose(fp);
	for (a = 0; a < 2; a++)
		if (loaded[a])
			qpm_model_release(&m[a]);
}

int
main(void)
{
	RUN(test_size_and_layout);
	RUN(test_unencodable_models);
	RUN(test_round_trip);
	RUN(test_predictions_survive);
	RUN(test_failure_leaves_out_untouched);
	RUN(test_truncation);
	RUN(test_byte_flips);
	RUN(test_header_errors);
	RUN(test_length_errors);
	RUN(test_crafted_values);
	RUN(test_forest_layout);
	RUN(test_forest_round_trip);
	RUN(test_forest_crafted);
	RUN(test_forest_corruption);
	RUN(test_error_buffer);
	RUN(test_released_1_0_models);
	return unit_report("test_serialize");
}
