/*
 * source_reader.h — streaming a pg_stat_statements-style relation
 * (source_reader.c).
 *
 * A source is any table, view, materialized view or foreign table with the
 * pg_stat_statements columns we use: queryid, calls and total_exec_time (or
 * mean_exec_time), plus the optional columns the feature set's formulas need
 * (named as in PostgreSQL 15; others are not selected, so a pgss/1 scan is
 * the scan 1.1 made).  Absent optional columns read as NULL, missing values
 * the model imputes.  Columns are found by name, so one build reads
 * PostgreSQL 13 to 17: 13 lacks jit_* and temp_blk_*_time, 17's
 * shared_/local_ blk_read_time and blk_write_time are summed back into the
 * older meaning.  A timestamptz interval_end (metrics_intervals has one)
 * dates rows for the split by time.
 */
#ifndef QPM_SOURCE_READER_H
#define QPM_SOURCE_READER_H

#include "postgres.h"

#include "core/feature_set.h"
#include "core/stmt_features.h"

/* Optional numeric columns the reader knows (source_reader.c's table). */
#define QPM_SOURCE_COLUMNS 28

typedef struct QpmSource
{
	Oid			relid;
	char	   *qualname;		/* quoted, schema-qualified */
	char	   *display;		/* for messages */
	bool		has_total_time; /* else mean_exec_time */
	bool		has_query;
	bool		has_time;		/* has interval_end (split by time) */
	const QpmFeatureSet *feature_set;	/* whose inputs are read */
	char	   *column_sql[QPM_SOURCE_COLUMNS];	/* float8 expression, or NULL */
	/* a plan source (plan_source.c): has_time means captured_at */
	bool		plan;
	bool		plan_has_completed;
	bool		plan_has_label; /* a feature_set column */
} QpmSource;

/* Per-row callback; row memory is valid only during the call. */
typedef void (*QpmRowCallback) (const QpmStmtStats *row, void *arg);

typedef enum QpmScanMode
{
	QPM_SCAN_ROWS,				/* every row of the source */
	QPM_SCAN_BY_QUERYID,		/* counters summed per queryid */
	QPM_SCAN_ONE_QUERYID		/* one queryid's rows (qpm_source_read_one sums them) */
} QpmScanMode;

/*
 * Resolve a source (InvalidOid = pg_stat_statements) for feature set fs,
 * check its required columns and find the ones fs reads.
 */
void		qpm_source_open(Oid relid, const QpmFeatureSet *fs, QpmSource *src);
/* Stream the source through cb in batches; returns rows read. */
int64		qpm_source_scan(const QpmSource *src, QpmScanMode mode, int64 queryid,
							QpmRowCallback cb, void *arg);
/*
 * One statement's summed row (at most one) through cb, with a plan kept per
 * backend (source_reader.c's banner); *display: the source's name.
 */
int64		qpm_source_read_one(Oid relid, const QpmFeatureSet *fs, int64 queryid,
								QpmRowCallback cb, void *arg, char **display);
/* interval_end (epoch s) from which rows are held out (NaN: none), or ERROR. */
double		qpm_source_time_cutoff(const QpmSource *src, double fraction);
/* Is pg_stat_statements installed and preloaded? (never errors) */
bool		qpm_pgss_available(Oid *relid);
/* Does the relation have a (non-dropped) column of this name? */
bool		qpm_source_has_column(Oid relid, const char *name);
/* ERROR unless relid is a table, view, matview or foreign table; fills relid, names. */
void		qpm_source_set_relation(QpmSource *src, Oid relid);

/* query_perf_ml.source_batch_rows, defined by qpm_source_reader_init. */
extern int	qpm_source_batch_rows;
void		qpm_source_reader_init(void);

#endif
