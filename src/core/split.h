/*
 * split.h — deterministic, seeded assignment of statements to parts.
 *
 * Assignment hashes the queryid (never the row), so every row of one
 * statement lands in the same part: the held-out metrics measure
 * statements the model has never seen.
 */
#ifndef QPM_SPLIT_H
#define QPM_SPLIT_H

#include <stdint.h>

uint64_t	qpm_mix64(uint64_t x);
/* Uniform in [0, 1) from (queryid, seed, stream). */
double		qpm_split_unit(int64_t queryid, uint64_t seed, uint64_t stream);
int			qpm_split_is_test(int64_t queryid, uint64_t seed, double test_fraction);
int			qpm_split_fold(int64_t queryid, uint64_t seed, int n_folds);
/* Small PRNG (splitmix64 step) for reservoir sampling. */
uint64_t	qpm_rand_next(uint64_t *state);

#endif
