/*
 * fuzz_model_blob.c — libFuzzer target for the model blob parser.
 *
 * Feeds arbitrary bytes to qpm_model_deserialize.  Whatever it accepts must
 * (1) re-serialize to exactly the input bytes, since the encoding is
 * canonical and anything else means the parser accepted slack the writer
 * never produces, and (2) predict finite, ordered values, since a loaded
 * model must never turn into a wrong answer.  Any violation aborts.
 * Tree models (gradient boosting, random forest) carry a forest that
 * deserialize allocates; it is released after the checks, so the leak
 * checker also covers every path that builds one, and the forest must pass
 * qpm_forest_validate on its own.
 *
 * Built with -DQPM_FUZZ_SKIP_CRC so deserialize ignores a checksum mismatch:
 * otherwise nearly every mutation dies at the CRC and the value checks
 * behind it are never reached.  The stored CRC bytes (header offset 20..23)
 * are then the one place the re-serialized blob may differ.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *     -fno-sanitize-recover=undefined -DQPM_FUZZ_SKIP_CRC \
 *     -Isrc/core test/fuzz/fuzz_model_blob.c src/core/serialize.c \
 *     src/core/feature_set.c src/core/model.c src/core/transform.c \
 *     src/core/forest.c src/core/qpm_util.c test/unit/test_alloc.c -lz -lm -o fuzz_model_blob
 *   mkdir -p /tmp/model_blob_corpus
 *   ./fuzz_model_blob -max_total_time=60 /tmp/model_blob_corpus \
 *     test/fuzz/corpus/model_blob
 *
 * Seeds come from make_blob_seeds.c (see there).  libFuzzer adds its
 * findings to the first directory: keep a scratch one there and the
 * committed seeds second.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serialize.h"

#define CRC_OFFSET 20
#define CRC_SIZE 4

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Report which invariant broke, then crash so libFuzzer saves the input. */
static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_model_blob: %s\n", what);
	abort();
}

/* Accepted bytes must be what serialize writes for the parsed model. */
static void
check_reserializes(const QpmModel *m, const uint8_t *data, size_t size)
{
	uint8_t    *buf;
	size_t		n;
	QpmModel	again;
	char		err[256];

	if (qpm_model_serialized_size(m) != size)
		fail("serialized size differs from the accepted blob");
	buf = malloc(size);
	if (buf == NULL)
		abort();
	n = qpm_model_serialize(m, buf, size);
	if (n != size)
		fail("serialize wrote a different length");
#ifdef QPM_FUZZ_SKIP_CRC
	if (memcmp(buf, data, CRC_OFFSET) != 0 ||
		memcmp(buf + CRC_OFFSET + CRC_SIZE, data + CRC_OFFSET + CRC_SIZE,
			   size - CRC_OFFSET - CRC_SIZE) != 0)
		fail("re-serialized bytes differ");
#else
	if (memcmp(buf, data, size) != 0)
		fail("re-serialized bytes differ");
#endif
	if (qpm_model_deserialize(buf, n, &again, err, sizeof(err)) != 0)
		fail(err);
	qpm_model_release(&again);
	free(buf);
}

/* A loaded model predicts finite, positive, ordered values on any input. */
static void
check_predicts(const QpmModel *m)
{
	static const double pattern[] = {0.0, 1.0, NAN, -1.0, 1e300, -1e300,
	INFINITY, 3.5, 1e-300, 12345.0};
	double		raw[QPM_MAX_FEATURES];
	QpmPrediction p;
	int			j;

	for (j = 0; j < QPM_MAX_FEATURES; j++)
		raw[j] = pattern[j % (sizeof(pattern) / sizeof(pattern[0]))];
	qpm_model_predict(m, raw, &p);
	if (!isfinite(p.predicted_ms) || !isfinite(p.lower_ms) ||
		!isfinite(p.upper_ms) || !(p.predicted_ms > 0.0) ||
		!(p.lower_ms <= p.predicted_ms && p.predicted_ms <= p.upper_ms))
		fail("prediction not finite and ordered");
}

/* libFuzzer entry point: parse, and check invariants of whatever parses. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	QpmModel	m;
	char		err[256];

	err[0] = '\0';
	if (qpm_model_deserialize(data, size, &m, err, sizeof(err)) != 0)
	{
		if (err[0] == '\0')
			fail("rejected without a message");
		return 0;
	}
	if (m.feature_set == NULL ||
		m.feature_set != qpm_feature_set_find(m.feature_set->id,
											  m.feature_set->version))
		fail("model does not point at a static feature set");
	if ((m.algorithm == QPM_ALG_LINEAR) != (m.forest == NULL))
		fail("forest present exactly for tree models");
	if (m.forest != NULL &&
		(qpm_forest_validate(m.forest, err, sizeof(err)) != 0 ||
		 m.forest->n_features != m.transform.n_features))
		fail("accepted forest does not validate");
	check_reserializes(&m, data, size);
	check_predicts(&m);
	qpm_model_release(&m);
	return 0;
}
