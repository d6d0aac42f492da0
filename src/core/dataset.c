/*
 * dataset.c — rows held for training, bounded by a reservoir sample.
 *
 * Storage grows geometrically up to cap rows; afterwards Vitter's
 * algorithm R replaces a random held row with probability cap/seen, which
 * keeps a uniform sample of everything offered.  The RNG is seeded, so a
 * training run over the same source in the same order is reproducible.
 */
#include <string.h>

#include "dataset.h"
#include "qpm_alloc.h"
#include "split.h"

/* Memory one held row costs: features, target and queryid. */
size_t
qpm_dataset_row_bytes(int p)
{
	return sizeof(double) * (size_t) p + sizeof(double) + sizeof(int64_t) + 1;
}

/* Prepare an empty dataset of p features holding at most cap rows. */
void
qpm_dataset_init(QpmDataset *d, int p, size_t cap, uint64_t seed)
{
	memset(d, 0, sizeof(*d));
	d->p = p;
	d->cap = cap > 0 ? cap : 1;
	d->rng = seed ^ UINT64_C(0x5851f42d4c957f2d);
}

/* Grow storage to hold at least want rows (never beyond cap). */
static void
dataset_reserve(QpmDataset *d, size_t want)
{
	size_t		alloc = d->alloc ? d->alloc : 1024;

	while (alloc < want)
		alloc *= 2;
	if (alloc > d->cap)
		alloc = d->cap;
	if (alloc <= d->alloc)
		return;
	d->X = qpm_realloc(d->X, alloc * (size_t) d->p * sizeof(double));
	d->y = qpm_realloc(d->y, alloc * sizeof(double));
	d->queryid = qpm_realloc(d->queryid, alloc * sizeof(int64_t));
	if (d->explicit_split)
		d->held_out = qpm_realloc(d->held_out, alloc);
	d->alloc = alloc;
}

/* Store row i from the given values. */
static void
dataset_put(QpmDataset *d, size_t i, const double *x, double y_log, int64_t queryid,
			int held_out)
{
	memcpy(d->X + i * (size_t) d->p, x, sizeof(double) * (size_t) d->p);
	d->y[i] = y_log;
	d->queryid[i] = queryid;
	if (d->explicit_split)
		d->held_out[i] = held_out ? 1 : 0;
}

/* Offer one row: append while there is room, else reservoir-replace. */
int
qpm_dataset_add(QpmDataset *d, const double *x, double y_log, int64_t queryid)
{
	return qpm_dataset_add_split(d, x, y_log, queryid, 0);
}

/* Offer one row with its held-out flag (used only with explicit_split). */
int
qpm_dataset_add_split(QpmDataset *d, const double *x, double y_log, int64_t queryid,
					  int held_out)
{
	d->seen++;
	if (d->n < d->cap)
	{
		if (d->n == d->alloc)
			dataset_reserve(d, d->n + 1);
		dataset_put(d, d->n++, x, y_log, queryid, held_out);
		return 1;
	}
	else
	{
		uint64_t	j = qpm_rand_next(&d->rng) % d->seen;

		if (j < d->cap)
		{
			dataset_put(d, (size_t) j, x, y_log, queryid, held_out);
			return 1;
		}
		return 0;
	}
}

/* Release storage (the struct itself belongs to the caller). */
void
qpm_dataset_free(QpmDataset *d)
{
	qpm_free(d->X);
	qpm_free(d->y);
	qpm_free(d->queryid);
	qpm_free(d->held_out);
	d->X = d->y = NULL;
	d->queryid = NULL;
	d->held_out = NULL;
	d->n = d->alloc = 0;
}
