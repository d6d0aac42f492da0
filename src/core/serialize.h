/*
 * serialize.h — the model blob stored in query_perf_ml.model_store.
 *
 * Layout (all integers and doubles little-endian):
 *   header (32 bytes): magic "QPMM", format version u16, algorithm u16,
 *     feature set id u16, feature set version u16, n_features u16,
 *     reserved u16 (0), payload length u32, crc32 of payload u32,
 *     reserved 8 bytes (0)
 *   payload: interval, transform, then the algorithm's parameters: the
 *     linear coefficients, or for tree models the flat forest (forest.h)
 *     (field by field in serialize.c's banner).
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
