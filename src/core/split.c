/*
 * split.c — seeded hashing of queryids into train / test parts and folds.
 *
 * splitmix64's finalizer is a good 64-bit mixer: consecutive queryids and
 * seeds give independent-looking bits.  The "stream" argument separates the
 * test split from the fold assignment so the two are not correlated.
 */
#include "split.h"

/* splitmix64 finalizer: a bijective avalanche mix of 64 bits. */
uint64_t
qpm_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

/* Uniform double in [0, 1) from the top 53 bits of the mixed key. */
double
qpm_split_unit(int64_t queryid, uint64_t seed, uint64_t stream)
{
	uint64_t	h;

	h = qpm_mix64((uint64_t) queryid ^ qpm_mix64(seed + UINT64_C(0x9e3779b97f4a7c15) * (stream + 1)));
	return (double) (h >> 11) * (1.0 / 9007199254740992.0);
}

/* Is this statement in the held-out part? */
int
qpm_split_is_test(int64_t queryid, uint64_t seed, double test_fraction)
{
	return qpm_split_unit(queryid, seed, 0) < test_fraction;
}

/* Cross-validation fold of this statement, 0 .. n_folds-1. */
int
qpm_split_fold(int64_t queryid, uint64_t seed, int n_folds)
{
	int			f = (int) (qpm_split_unit(queryid, seed, 1) * n_folds);

	return f < n_folds ? f : n_folds - 1;
}

/* One splitmix64 step. */
uint64_t
qpm_rand_next(uint64_t *state)
{
	*state += UINT64_C(0x9e3779b97f4a7c15);
	return qpm_mix64(*state);
}
