/*
 * qpm_worker.h — background processes of query_perf_ml: the launcher
 * (worker_launcher.c, a static worker started by shared_preload_libraries)
 * and asynchronous training jobs (training_jobs.c, one dynamic worker per
 * job, which needs no preload).
 */
#ifndef QPM_WORKER_H
#define QPM_WORKER_H

#include "postgres.h"

#include <signal.h>

#include "utils/jsonb.h"

#define QPM_TRAINING_WORKER_TYPE "query_perf_ml training"
#define QPM_LAUNCHER_WORKER_TYPE "query_perf_ml launcher"
/* A job worker's pg_stat_activity text: this, the job id, ": ", its progress. */
#define QPM_JOB_ACTIVITY_PREFIX "query_perf_ml training job "

/* ---- worker_launcher.c: settings and the launcher ---- */
extern int	qpm_snapshot_interval_s;
extern char *qpm_worker_database;
extern bool qpm_auto_retrain;
extern int	qpm_auto_retrain_interval_s;

/* SIGTERM handler of both workers: sets the flag and cancels the work in progress. */
extern volatile sig_atomic_t qpm_worker_got_sigterm;
void		qpm_worker_sigterm(SIGNAL_ARGS);

/* Define the worker settings; register the launcher when preloaded. */
void		qpm_worker_init(void);
PGDLLEXPORT void qpm_launcher_main(Datum arg);

/* ---- training_jobs.c: asynchronous training ---- */

/* Caps on queued + running jobs (settings defined by qpm_training_jobs_init). */
extern int	qpm_max_training_jobs;
extern int	qpm_max_training_jobs_per_role;
void		qpm_training_jobs_init(void);

/* What a job trains; run_as is the role it runs as, connection included. */
typedef struct QpmJobRequest
{
	const char *name;
	const char *algorithm;
	Oid			source;			/* InvalidOid = pg_stat_statements */
	Jsonb	   *options;
	bool		auto_retrain;	/* keep the new version only if it is better */
	Oid			run_as;
} QpmJobRequest;

/* Why a job was not submitted: the ERROR it would have been. */
typedef struct QpmJobRefusal
{
	int			sqlstate;
	char	   *message;
	char	   *detail;			/* or NULL */
	char	   *hint;			/* or NULL */
} QpmJobRefusal;

/*
 * Insert a queued job (as the extension owner) and start its worker, which
 * waits for the current transaction to end.  A role that cannot connect or
 * a full cap is an ERROR, or, when refusal is not NULL, fills it and
 * returns 0 (the launcher logs and goes on).  No free worker slot is
 * always an ERROR.
 */
int64		qpm_submit_training_job(const QpmJobRequest *req, QpmJobRefusal *refusal);
/* Mark one queued or running job of the dead worker pid failed; true if it was. */
bool		qpm_mark_training_job_lost(int64 job_id, int pid);
/* Mark queued or running jobs whose worker is gone as failed; returns how many. */
int64		qpm_reconcile_training_jobs(void);
/* Is pid a live query_perf_ml training worker? */
bool		qpm_training_worker_alive(int pid);
PGDLLEXPORT void qpm_training_worker_main(Datum arg);

#endif
