/*
 * serialize.c — the model blob: a versioned, checksummed, portable encoding
 * (field by field in serialize.h).
 *
 * Every field is written byte by byte, never by copying a struct, so the
 * blob is the same on every compiler, padding rule and endianness, and a
 * model trained on one server loads on any other.
 *
 * Deserialization trusts nothing: header, length and checksum, then a
 * bounds-checked cursor, then every value (qpm_model_validate in model.c,
 * the rules import_model applies too), because a crafted blob can carry a
 * correct checksum, and a NaN coefficient or a zero scale would surface as
 * wrong predictions much later.  The encoding is canonical (reserved bytes
 * zero, flags 0 or 1, no slack): a blob that parses re-serializes to the
 * same bytes (the fuzz target asserts it).  The model is built in a local
 * and copied out only on success, so *out is untouched on error.
 * Serialize validates too: it never writes a blob deserialize would refuse.
 *
 * The forest is the one variable-length section.  Its counts are checked
 * against forest.h's limits and the bytes present before anything is
 * allocated, so a crafted count cannot allocate more than the blob's size
 * implies; it is allocated with qpm_alloc (the caller's memory context in
 * the server), accepted only if qpm_forest_validate passes (the walker
 * relies on it), freed on any later failure, the caller's on success.
 * Covers and gains are stored for shap.c; prediction never reads them.
 * The forest head repeats the header's feature count and algorithm inside
 * the checksummed payload: the header is not checksummed and both tree
 * algorithms share the section, so one flipped header bit would otherwise
 * relabel a gradient boosting model as a random forest unnoticed.
 *
 * Adding an algorithm means a case in each switch on the algorithm (section
 * size, writer, reader); header, interval and transform sections stay.
 *
 * QPM_FUZZ_SKIP_CRC: defined only when building the fuzz target, it makes
 * deserialize accept a checksum mismatch so random inputs can reach the
 * value checks behind it.  Never define it in a server or unit-test build.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <zlib.h>

#include "qpm_util.h"
#include "serialize.h"

#define OFF_MAGIC			0
#define OFF_VERSION			4
#define OFF_ALGORITHM		6
#define OFF_FS_ID			8
#define OFF_FS_VERSION		10
#define OFF_N_FEATURES		12
#define OFF_RESERVED16		14
#define OFF_PAYLOAD_LEN		16
#define OFF_CRC				20
#define OFF_RESERVED64		24

/* Encoded sizes of the payload's sections. */
#define F64_SIZE			8
#define INTERVAL_SIZE		(3 * F64_SIZE)
#define TRANSFORM_HEAD_SIZE	(2 * F64_SIZE + 1)
#define FEATURE_XF_SIZE		(5 * F64_SIZE + 1)
#define U32_SIZE			4
#define FOREST_HEAD_SIZE	(3 * U32_SIZE + 2 * 2)
#define TREE_NODE_SIZE		(6 * U32_SIZE + 1)

/*
 * Bounds-checked reader over the payload.  A read past the end sets
 * failed, records what was being read and yields zero, so the parser can
 * run straight through and test once for truncation.
 */
typedef struct BlobReader
{
	const uint8_t *buf;
	size_t		len;
	size_t		pos;
	bool		failed;
	size_t		fail_pos;
	const char *fail_what;
} BlobReader;

/* Bounds-checked writer; serialize sizes the buffer first, so overflow is a bug. */
typedef struct BlobWriter
{
	uint8_t    *buf;
	size_t		len;
	size_t		pos;
	bool		failed;
} BlobWriter;

/* Little-endian u16 at p; the header is read in place after its size check. */
static uint16_t
get_u16(const uint8_t *p)
{
	return (uint16_t) (p[0] | (p[1] << 8));
}

/* Little-endian u32 at p. */
static uint32_t
get_u32(const uint8_t *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) |
		((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

/* Store v little-endian at p. */
static void
put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
}

/* Store v little-endian at p. */
static void
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
	p[2] = (uint8_t) (v >> 16);
	p[3] = (uint8_t) (v >> 24);
}

/* Claim n bytes of the payload, or mark the reader failed and return NULL. */
static const uint8_t *
reader_take(BlobReader *r, size_t n, const char *what)
{
	const uint8_t *p;

	if (r->failed)
		return NULL;
	if (r->len - r->pos < n)
	{
		r->failed = true;
		r->fail_pos = r->pos;
		r->fail_what = what;
		return NULL;
	}
	p = r->buf + r->pos;
	r->pos += n;
	return p;
}

/* One byte (a flag), 0 when truncated. */
static uint8_t
read_u8(BlobReader *r, const char *what)
{
	const uint8_t *p = reader_take(r, 1, what);

	return p ? p[0] : 0;
}

/* A double from its little-endian IEEE-754 bit pattern, 0 when truncated. */
static double
read_f64(BlobReader *r, const char *what)
{
	const uint8_t *p = reader_take(r, F64_SIZE, what);
	uint64_t	bits = 0;
	double		v;
	int			i;

	if (p == NULL)
		return 0.0;
	for (i = F64_SIZE - 1; i >= 0; i--)
		bits = (bits << 8) | p[i];
	/* memcpy is the defined way to reinterpret bits; it copies a scalar */
	memcpy(&v, &bits, sizeof(v));
	return v;
}

/* A little-endian u32, 0 when truncated. */
static uint32_t
read_u32(BlobReader *r, const char *what)
{
	const uint8_t *p = reader_take(r, U32_SIZE, what);

	return p ? get_u32(p) : 0;
}

/* A little-endian u16, 0 when truncated. */
static uint16_t
read_u16(BlobReader *r, const char *what)
{
	const uint8_t *p = reader_take(r, 2, what);

	return p ? get_u16(p) : 0;
}

/* A two's complement i32, converted without relying on implementation-defined casts. */
static int32_t
read_i32(BlobReader *r, const char *what)
{
	uint32_t	u = read_u32(r, what);

	if (u <= (uint32_t) INT32_MAX)
		return (int32_t) u;
	return (int32_t) (u - (uint32_t) INT32_MAX - 1) + INT32_MIN;
}

/* A float from its IEEE-754 bit pattern, 0 when truncated. */
static float
read_f32(BlobReader *r, const char *what)
{
	uint32_t	bits = read_u32(r, what);
	float		v;

	memcpy(&v, &bits, sizeof(v));
	return v;
}

/* The message for a read past the payload's end; always returns -1. */
static int
report_truncation(const BlobReader *r, char *err, size_t errlen)
{
	qpm_set_error(err, errlen,
			  "payload truncated: %zu bytes, need more at byte %zu for %s",
			  r->len, r->fail_pos, r->fail_what);
	return -1;
}

/* Claim n bytes of the output, or mark the writer failed and return NULL. */
static uint8_t *
writer_take(BlobWriter *w, size_t n)
{
	uint8_t    *p;

	if (w->failed || w->len - w->pos < n)
	{
		w->failed = true;
		return NULL;
	}
	p = w->buf + w->pos;
	w->pos += n;
	return p;
}

/* One byte. */
static void
write_u8(BlobWriter *w, uint8_t v)
{
	uint8_t    *p = writer_take(w, 1);

	if (p)
		p[0] = v;
}

/* A little-endian u16. */
static void
write_u16(BlobWriter *w, uint16_t v)
{
	uint8_t    *p = writer_take(w, 2);

	if (p)
		put_u16(p, v);
}

/* A little-endian u32. */
static void
write_u32(BlobWriter *w, uint32_t v)
{
	uint8_t    *p = writer_take(w, U32_SIZE);

	if (p)
		put_u32(p, v);
}

/* A float as its IEEE-754 bit pattern, little-endian. */
static void
write_f32(BlobWriter *w, float v)
{
	uint32_t	bits;

	memcpy(&bits, &v, sizeof(bits));
	write_u32(w, bits);
}

/* A double as its IEEE-754 bit pattern, little-endian. */
static void
write_f64(BlobWriter *w, double v)
{
	uint8_t    *p = writer_take(w, F64_SIZE);
	uint64_t	bits;
	int			i;

	if (p == NULL)
		return;
	memcpy(&bits, &v, sizeof(bits));
	for (i = 0; i < F64_SIZE; i++)
	{
		p[i] = (uint8_t) bits;
		bits >>= 8;
	}
}

/* Algorithms this build can encode and decode. */
static bool
algorithm_is_supported(QpmAlgorithm alg)
{
	switch (alg)
	{
		case QPM_ALG_LINEAR:
		case QPM_ALG_GRADIENT_BOOSTING:
		case QPM_ALG_RANDOM_FOREST:
			return true;
		default:
			return false;
	}
}

/* Tree algorithms keep their parameters in a forest. */
static bool
algorithm_has_forest(QpmAlgorithm alg)
{
	return alg == QPM_ALG_GRADIENT_BOOSTING || alg == QPM_ALG_RANDOM_FOREST;
}

/* Encoded size of a forest's tree offsets and nodes (after its 16-byte head). */
static size_t
forest_body_size(uint32_t n_trees, uint32_t n_nodes)
{
	return U32_SIZE * ((size_t) n_trees + 1) + TREE_NODE_SIZE * (size_t) n_nodes;
}

/*
 * Encoded size of the model's own section, or 0 when it cannot be encoded:
 * unknown algorithm, or a tree model without a forest whose counts are
 * within forest.h's limits (checked so the size arithmetic is safe).
 */
static size_t
algorithm_section_size(const QpmModel *m)
{
	const QpmForest *f = m->forest;

	switch (m->algorithm)
	{
		case QPM_ALG_LINEAR:
			return F64_SIZE * (size_t) (1 + m->transform.n_features);
		case QPM_ALG_GRADIENT_BOOSTING:
		case QPM_ALG_RANDOM_FOREST:
			if (f == NULL || f->n_features != m->transform.n_features ||
				f->n_trees < 1 || f->n_trees > QPM_FOREST_MAX_TREES ||
				f->n_nodes < f->n_trees || f->n_nodes > QPM_FOREST_MAX_NODES)
				return 0;
			return FOREST_HEAD_SIZE +
				forest_body_size((uint32_t) f->n_trees, (uint32_t) f->n_nodes);
		default:
			return 0;
	}
}

/*
 * A model serialize can encode: known algorithm, a feature set, a
 * transform sized for it, and for trees a forest of the same width.
 * Values are not checked here; deserialize is the gate, and the trainer
 * only produces finite parameters.
 */
static bool
model_is_encodable(const QpmModel *m)
{
	return m != NULL && m->feature_set != NULL &&
		m->transform.n_features == m->feature_set->n_features &&
		m->transform.n_features >= 0 &&
		m->transform.n_features <= QPM_MAX_FEATURES &&
		algorithm_section_size(m) > 0;
}

/* Bytes serialize will write, 0 for a model it cannot encode. */
size_t
qpm_model_serialized_size(const QpmModel *m)
{
	if (!model_is_encodable(m))
		return 0;
	return QPM_BLOB_HEADER_SIZE + INTERVAL_SIZE + TRANSFORM_HEAD_SIZE +
		FEATURE_XF_SIZE * (size_t) m->transform.n_features +
		algorithm_section_size(m);
}

/* Blob bytes of a tree model with these counts (see serialize.h). */
uint64_t
qpm_forest_model_size(int n_features, int64_t n_trees, int64_t n_nodes)
{
	return (uint64_t) QPM_BLOB_HEADER_SIZE + INTERVAL_SIZE + TRANSFORM_HEAD_SIZE +
		(uint64_t) FEATURE_XF_SIZE * (uint64_t) n_features + FOREST_HEAD_SIZE +
		(uint64_t) U32_SIZE * ((uint64_t) n_trees + 1) +
		(uint64_t) TREE_NODE_SIZE * (uint64_t) n_nodes;
}

/* The interval section. */
static void
write_interval(BlobWriter *w, const QpmInterval *iv)
{
	write_f64(w, iv->level);
	write_f64(w, iv->resid_lo);
	write_f64(w, iv->resid_hi);
}

/* The transform section: global parameters, then one record per feature. */
static void
write_transform(BlobWriter *w, const QpmTransform *t)
{
	int			j;

	write_f64(w, t->clip_lo_pct);
	write_f64(w, t->clip_hi_pct);
	write_u8(w, t->standardize);
	for (j = 0; j < t->n_features; j++)
	{
		const QpmFeatureTransform *f = &t->f[j];

		write_f64(w, f->impute);
		write_f64(w, f->clip_lo);
		write_f64(w, f->clip_hi);
		write_u8(w, f->log1p);
		write_f64(w, f->center);
		write_f64(w, f->scale);
	}
}

/* The linear model's section: intercept, then one coefficient per feature. */
static void
write_linear(BlobWriter *w, const QpmLinear *lin, int n)
{
	int			j;

	write_f64(w, lin->intercept);
	for (j = 0; j < n; j++)
		write_f64(w, lin->coef[j]);
}

/* The forest section; int32 to uint32 is well defined (modulo 2^32). */
static void
write_forest(BlobWriter *w, const QpmForest *f, QpmAlgorithm alg)
{
	int32_t		i;

	write_u32(w, (uint32_t) f->n_trees);
	write_u32(w, (uint32_t) f->n_nodes);
	write_u16(w, (uint16_t) f->n_features);
	write_u16(w, (uint16_t) alg);
	write_f32(w, f->base_score);
	for (i = 0; i <= f->n_trees; i++)
		write_u32(w, (uint32_t) f->tree_offset[i]);
	for (i = 0; i < f->n_nodes; i++)
	{
		const QpmTreeNode *n = &f->nodes[i];

		write_u32(w, (uint32_t) n->left);
		write_u32(w, (uint32_t) n->right);
		write_u32(w, (uint32_t) n->feature);
		write_u8(w, n->default_left);
		write_f32(w, n->value);
		write_f32(w, n->cover);
		write_f32(w, n->gain);
	}
}

/* Header written last, once the payload (and so its checksum) exists. */
size_t
qpm_model_serialize(const QpmModel *m, uint8_t *buf, size_t len)
{
	size_t		total = qpm_model_serialized_size(m);
	size_t		plen;
	BlobWriter	w;
	uint8_t    *h;

	if (total == 0 || buf == NULL || len < total)
		return 0;
	/* never write a forest that deserialize would refuse */
	if (algorithm_has_forest(m->algorithm) &&
		qpm_forest_validate(m->forest, NULL, 0) != 0)
		return 0;
	plen = total - QPM_BLOB_HEADER_SIZE;

	w.buf = buf + QPM_BLOB_HEADER_SIZE;
	w.len = plen;
	w.pos = 0;
	w.failed = false;
	write_interval(&w, &m->interval);
	write_transform(&w, &m->transform);
	switch (m->algorithm)
	{
		case QPM_ALG_LINEAR:
			write_linear(&w, &m->linear, m->transform.n_features);
			break;
		case QPM_ALG_GRADIENT_BOOSTING:
		case QPM_ALG_RANDOM_FOREST:
			write_forest(&w, m->forest, m->algorithm);
			break;
		default:
			return 0;			/* excluded by qpm_model_serialized_size */
	}
	/* a size/writer disagreement is a bug; never hand out a partial blob */
	if (w.failed || w.pos != plen)
		return 0;

	h = buf;
	memcpy(h + OFF_MAGIC, QPM_BLOB_MAGIC, 4);
	put_u16(h + OFF_VERSION, QPM_BLOB_FORMAT_VERSION);
	put_u16(h + OFF_ALGORITHM, (uint16_t) m->algorithm);
	put_u16(h + OFF_FS_ID, m->feature_set->id);
	put_u16(h + OFF_FS_VERSION, m->feature_set->version);
	put_u16(h + OFF_N_FEATURES, (uint16_t) m->transform.n_features);
	put_u16(h + OFF_RESERVED16, 0);
	put_u32(h + OFF_PAYLOAD_LEN, (uint32_t) plen);
	put_u32(h + OFF_CRC, (uint32_t) crc32(0L, buf + QPM_BLOB_HEADER_SIZE,
										  (uInt) plen));
	memset(h + OFF_RESERVED64, 0, 8);
	return total;
}

/* Header checks that need no feature set; 0 or -1 with err filled. */
static int
check_header(const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	uint16_t	version;
	uint32_t	plen;
	int			i;

	if (buf == NULL)
	{
		qpm_set_error(err, errlen, "no blob");
		return -1;
	}
	if (len < QPM_BLOB_HEADER_SIZE)
	{
		qpm_set_error(err, errlen, "blob too short: %zu bytes, header needs %d",
				  len, QPM_BLOB_HEADER_SIZE);
		return -1;
	}
	if (memcmp(buf + OFF_MAGIC, QPM_BLOB_MAGIC, 4) != 0)
	{
		qpm_set_error(err, errlen, "bad magic: not a query_perf_ml model blob");
		return -1;
	}
	version = get_u16(buf + OFF_VERSION);
	if (version == 0)
	{
		qpm_set_error(err, errlen, "invalid format version 0");
		return -1;
	}
	if (version > QPM_BLOB_FORMAT_VERSION)
	{
		qpm_set_error(err, errlen,
				  "unsupported format version %u: this build reads up to %d",
				  (unsigned) version, QPM_BLOB_FORMAT_VERSION);
		return -1;
	}
	if (get_u16(buf + OFF_RESERVED16) != 0)
	{
		qpm_set_error(err, errlen, "nonzero reserved header field at byte %d",
				  OFF_RESERVED16);
		return -1;
	}
	for (i = 0; i < 8; i++)
	{
		if (buf[OFF_RESERVED64 + i] != 0)
		{
			qpm_set_error(err, errlen, "nonzero reserved header field at byte %d",
					  OFF_RESERVED64 + i);
			return -1;
		}
	}
	plen = get_u32(buf + OFF_PAYLOAD_LEN);
	if ((uint64_t) plen != (uint64_t) (len - QPM_BLOB_HEADER_SIZE))
	{
		qpm_set_error(err, errlen,
				  "payload length %u does not match blob: %zu bytes after header",
				  (unsigned) plen, len - QPM_BLOB_HEADER_SIZE);
		return -1;
	}
	return 0;
}

/* Parse the interval section. */
static void
read_interval(BlobReader *r, QpmInterval *iv)
{
	iv->level = read_f64(r, "interval level");
	iv->resid_lo = read_f64(r, "interval resid_lo");
	iv->resid_hi = read_f64(r, "interval resid_hi");
}

/* Parse the transform section for n features. */
static void
read_transform(BlobReader *r, QpmTransform *t, int n)
{
	int			j;

	t->n_features = n;
	t->clip_lo_pct = read_f64(r, "clip_lo_pct");
	t->clip_hi_pct = read_f64(r, "clip_hi_pct");
	t->standardize = read_u8(r, "standardize");
	for (j = 0; j < n; j++)
	{
		QpmFeatureTransform *f = &t->f[j];

		f->impute = read_f64(r, "feature impute");
		f->clip_lo = read_f64(r, "feature clip_lo");
		f->clip_hi = read_f64(r, "feature clip_hi");
		f->log1p = read_u8(r, "feature log1p");
		f->center = read_f64(r, "feature center");
		f->scale = read_f64(r, "feature scale");
	}
}

/* Parse the linear model's section. */
static void
read_linear(BlobReader *r, QpmLinear *lin, int n)
{
	int			j;

	lin->intercept = read_f64(r, "intercept");
	for (j = 0; j < n; j++)
		lin->coef[j] = read_f64(r, "coefficient");
}

/*
 * Parse the forest section of a model with n features and algorithm alg
 * (both from the header) into *out: counts, then a size check against the
 * bytes left (before allocating), then the arrays, then qpm_forest_validate.
 * Returns 0, or -1 with err filled and nothing allocated.
 */
static int
read_forest(BlobReader *r, int n, QpmAlgorithm alg, QpmForest **out,
			char *err, size_t errlen)
{
	uint32_t	n_trees;
	uint32_t	n_nodes;
	uint16_t	n_features;
	uint16_t	forest_alg;
	float		base_score;
	size_t		need;
	size_t		left;
	QpmForest  *f;
	int32_t		i;

	n_trees = read_u32(r, "forest tree count");
	n_nodes = read_u32(r, "forest node count");
	n_features = read_u16(r, "forest feature count");
	forest_alg = read_u16(r, "forest algorithm");
	base_score = read_f32(r, "forest base score");
	if (r->failed)
		return report_truncation(r, err, errlen);
	if (n_trees < 1 || n_trees > QPM_FOREST_MAX_TREES)
	{
		qpm_set_error(err, errlen, "forest tree count %u not in 1 to %d",
				  (unsigned) n_trees, QPM_FOREST_MAX_TREES);
		return -1;
	}
	if (n_nodes < n_trees || n_nodes > QPM_FOREST_MAX_NODES)
	{
		qpm_set_error(err, errlen, "forest node count %u not in %u to %d",
				  (unsigned) n_nodes, (unsigned) n_trees, QPM_FOREST_MAX_NODES);
		return -1;
	}
	if ((int) n_features != n)
	{
		qpm_set_error(err, errlen,
				  "forest feature count %u does not match the header's %d",
				  (unsigned) n_features, n);
		return -1;
	}
	if (forest_alg != (uint16_t) alg)
	{
		qpm_set_error(err, errlen,
				  "forest algorithm %u does not match the header's %u",
				  (unsigned) forest_alg, (unsigned) alg);
		return -1;
	}
	need = forest_body_size(n_trees, n_nodes);
	left = r->len - r->pos;
	if (left < need)
	{
		qpm_set_error(err, errlen,
				  "payload truncated: %zu bytes, a forest of %u trees and %u nodes needs %zu more",
				  r->len, (unsigned) n_trees, (unsigned) n_nodes, need - left);
		return -1;
	}
	if (left > need)
	{
		qpm_set_error(err, errlen, "payload has %zu trailing bytes", left - need);
		return -1;
	}

	f = qpm_forest_alloc((int32_t) n_trees, (int32_t) n_nodes, n);
	if (f == NULL)				/* only for n < 1, which no feature set has */
	{
		qpm_set_error(err, errlen, "forest cannot have %d features", n);
		return -1;
	}
	f->base_score = base_score;
	for (i = 0; i <= f->n_trees; i++)
		f->tree_offset[i] = read_i32(r, "tree offset");
	for (i = 0; i < f->n_nodes; i++)
	{
		QpmTreeNode *node = &f->nodes[i];

		node->left = read_i32(r, "node left");
		node->right = read_i32(r, "node right");
		node->feature = read_i32(r, "node feature");
		node->default_left = read_u8(r, "node default");
		node->value = read_f32(r, "node value");
		node->cover = read_f32(r, "node cover");
		node->gain = read_f32(r, "node gain");
	}
	/* sized exactly above, so a failure here is a bug; refuse anyway */
	if (r->failed)
	{
		qpm_forest_free(f);
		return report_truncation(r, err, errlen);
	}
	if (qpm_forest_validate(f, err, errlen) != 0)
	{
		qpm_forest_free(f);
		return -1;
	}
	*out = f;
	return 0;
}

/*
 * Cheap structural checks first (header, feature set, length, checksum),
 * then parse, then value checks; *out is written only when all pass.
 */
int
qpm_model_deserialize(const uint8_t *buf, size_t len, QpmModel *out,
					  char *err, size_t errlen)
{
	QpmModel	m;
	const QpmFeatureSet *fs;
	uint16_t	alg;
	uint16_t	fs_id;
	uint16_t	fs_version;
	uint16_t	n;
	uint32_t	stored_crc;
	uint32_t	crc;
	BlobReader	r;

	if (check_header(buf, len, err, errlen) != 0)
		return -1;

	alg = get_u16(buf + OFF_ALGORITHM);
	if (!algorithm_is_supported((QpmAlgorithm) alg))
	{
		qpm_set_error(err, errlen, "unsupported algorithm %u", (unsigned) alg);
		return -1;
	}

	fs_id = get_u16(buf + OFF_FS_ID);
	fs_version = get_u16(buf + OFF_FS_VERSION);
	fs = qpm_feature_set_find(fs_id, fs_version);
	if (fs == NULL)
	{
		qpm_set_error(err, errlen, "unknown feature set %u version %u",
				  (unsigned) fs_id, (unsigned) fs_version);
		return -1;
	}
	n = get_u16(buf + OFF_N_FEATURES);
	if (n > QPM_MAX_FEATURES)
	{
		qpm_set_error(err, errlen, "feature count %u exceeds the maximum of %d",
				  (unsigned) n, QPM_MAX_FEATURES);
		return -1;
	}
	if ((int) n != fs->n_features)
	{
		qpm_set_error(err, errlen,
				  "feature count %u does not match feature set %u version %u (%d features)",
				  (unsigned) n, (unsigned) fs_id, (unsigned) fs_version,
				  fs->n_features);
		return -1;
	}

	stored_crc = get_u32(buf + OFF_CRC);
	crc = (uint32_t) crc32(0L, buf + QPM_BLOB_HEADER_SIZE,
						   (uInt) (len - QPM_BLOB_HEADER_SIZE));
#ifndef QPM_FUZZ_SKIP_CRC
	if (crc != stored_crc)
	{
		qpm_set_error(err, errlen, "checksum mismatch: the payload was modified or damaged");
		return -1;
	}
#else
	(void) stored_crc;
	(void) crc;
#endif

	memset(&m, 0, sizeof(m));
	m.algorithm = (QpmAlgorithm) alg;
	m.feature_set = fs;

	r.buf = buf + QPM_BLOB_HEADER_SIZE;
	r.len = len - QPM_BLOB_HEADER_SIZE;
	r.pos = 0;
	r.failed = false;
	r.fail_pos = 0;
	r.fail_what = NULL;
	read_interval(&r, &m.interval);
	read_transform(&r, &m.transform, n);
	switch (m.algorithm)
	{
		case QPM_ALG_LINEAR:
			read_linear(&r, &m.linear, n);
			break;
		case QPM_ALG_GRADIENT_BOOSTING:
		case QPM_ALG_RANDOM_FOREST:
			/* reports its own errors: it must not allocate on a bad size */
			if (read_forest(&r, n, m.algorithm, &m.forest, err, errlen) != 0)
				return -1;
			break;
		default:
			/* excluded above; kept so a new algorithm gets a case here */
			qpm_set_error(err, errlen, "unsupported algorithm %u", (unsigned) alg);
			return -1;
	}
	/* from here on, failures must free the forest read above */
	if (r.failed)
	{
		report_truncation(&r, err, errlen);
		goto fail;
	}
	if (r.pos != r.len)
	{
		qpm_set_error(err, errlen, "payload has %zu trailing bytes",
				  r.len - r.pos);
		goto fail;
	}

	/* value ranges; a forest was validated as it was read */
	if (qpm_model_validate(&m, err, errlen) != 0)
		goto fail;

	if (out != NULL)
		*out = m;
	else
		qpm_forest_free(m.forest);	/* validation only: nobody takes it */
	return 0;

fail:
	qpm_forest_free(m.forest);
	return -1;
}
