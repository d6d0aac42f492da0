/*
 * dataset.h — the rows a training run holds in memory.
 *
 * Rows are appended while the source is streamed.  Capacity is fixed by
 * the caller (from maintenance_work_mem); once full, a seeded reservoir
 * sample keeps a uniform subset so memory stays bounded however large the
 * source is.
 */
#ifndef QPM_DATASET_H
#define QPM_DATASET_H

#include <stddef.h>
#include <stdint.h>

typedef struct QpmDataset
{
	int			p;
	size_t		n;				/* rows held */
	size_t		cap;			/* max rows held */
	size_t		alloc;			/* rows allocated */
	uint64_t	seen;			/* rows offered */
	uint64_t	rng;
	double	   *X;				/* n x p, row-major, NAN = missing */
	double	   *y;				/* ln(target ms) */
	int64_t    *queryid;
	/* Set by the caller before adding rows: rows carry their own held-out flag
	 * (a split by time) instead of the trainer's split by queryid. */
	int			explicit_split;
	unsigned char *held_out;	/* only with explicit_split */
} QpmDataset;

/* Bytes one row costs, for sizing cap from a memory budget. */
size_t		qpm_dataset_row_bytes(int p);

void		qpm_dataset_init(QpmDataset *d, int p, size_t cap, uint64_t seed);
/* Offer a row; returns 1 if stored (appended or replacing), 0 if dropped. */
int			qpm_dataset_add(QpmDataset *d, const double *x, double y_log,
							int64_t queryid);
/* Same, for a dataset with explicit_split set. */
int			qpm_dataset_add_split(QpmDataset *d, const double *x, double y_log,
								  int64_t queryid, int held_out);
void		qpm_dataset_free(QpmDataset *d);

#endif
