/*
 * serialize.h — the model blob stored in query_perf_ml.model_store.
 *
 * Layout (the authoritative description):
 *
 *   header, 32 bytes, integers little-endian
 *     0  magic "QPMM"                      4
 *     4  format version         u16        (QPM_BLOB_FORMAT_VERSION)
 *     6  algorithm              u16        (QpmAlgorithm)
 *     8  feature set id         u16
 *    10  feature set version    u16
 *    12  n_features             u16        (= the feature set's count)
 *    14  reserved               u16        0
 *    16  payload length         u32        (= blob length - 32)
 *    20  crc-32 of the payload  u32        (zlib's crc32)
 *    24  reserved               8 bytes    0
 *   payload, doubles as IEEE-754 bit patterns in a little-endian u64,
 *   floats likewise in a u32, signed integers two's complement
 *     interval   level, resid_lo, resid_hi                    3 x f64
 *     transform  clip_lo_pct, clip_hi_pct f64, standardize u8,
 *                per feature: impute, clip_lo, clip_hi f64, log1p u8,
 *                center, scale f64                      17 + 41 n bytes
 *     algorithm section, chosen by the header's algorithm:
 *       QPM_ALG_LINEAR  intercept, coef[n_features]       (1 + n) x f64
 *       QPM_ALG_GRADIENT_BOOSTING, QPM_ALG_RANDOM_FOREST (forest.h):
 *         n_trees T, n_nodes N u32, n_features (= n), algorithm u16,
 *         base_score f32, tree_offset[T + 1] u32,
 *         per node: left, right, feature i32, default_left u8,
 *         value, cover, gain f32            16 + 4 (T + 1) + 25 N bytes
 *
 * Deserialization verifies every header field, the length, the checksum
 * and every value's range before returning a model: a truncated or
 * corrupted blob is an error, never a crash or a wrong answer.
 */
#ifndef QPM_SERIALIZE_H
#define QPM_SERIALIZE_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

#define QPM_BLOB_MAGIC "QPMM"
#define QPM_BLOB_FORMAT_VERSION 1
#define QPM_BLOB_HEADER_SIZE 32

/* Exact number of bytes qpm_model_serialize writes; 0 if it cannot encode m. */
size_t		qpm_model_serialized_size(const QpmModel *m);

/*
 * Bytes of the blob of a tree model of n_features features whose forest
 * has n_trees trees and n_nodes nodes in all: what qpm_model_serialized_size
 * will say, computed before the forest exists (to refuse a training whose
 * model would be too large).  Counts beyond forest.h's limits are not
 * refused here; the result is then only an estimate no blob can have.
 */
uint64_t	qpm_forest_model_size(int n_features, int64_t n_trees, int64_t n_nodes);

/*
 * Write into buf (len >= serialized size); returns bytes written, or 0 when
 * buf is too small or m cannot be encoded (unknown algorithm, no feature
 * set, transform.n_features different from the feature set's, a tree
 * model without a forest of that width, or whose forest fails
 * qpm_forest_validate).
 */
size_t		qpm_model_serialize(const QpmModel *m, uint8_t *buf, size_t len);

/*
 * Parse and verify; returns 0, or -1 with err filled (short, lower-case)
 * and *out untouched; out may be NULL to validate only.  On success
 * out->feature_set points at the static table qpm_feature_set_find returns.
 *
 * Ownership: for a tree model, out->forest is allocated with qpm_alloc in
 * the current allocator context (the server's CurrentMemoryContext) and
 * belongs to the caller: standalone code frees it with qpm_model_release
 * (or qpm_forest_free); in the server it lives as long as that context, so
 * a cache must deserialize in its own long-lived context, not copy the
 * struct out of a shorter one.  Linear models allocate nothing
 * (out->forest is NULL).  On error nothing stays allocated.
 */
int			qpm_model_deserialize(const uint8_t *buf, size_t len, QpmModel *out,
								  char *err, size_t errlen);

#endif
