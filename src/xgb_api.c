/*
 * xgb_api.c — dlopen()ing libxgboost and resolving the functions we use.
 *
 * See xgb_api.h for why the library is loaded lazily.  Loading happens at
 * most once per backend; a failure leaves nothing half-initialized (the
 * table is published only when every symbol resolved).  XGBoost's log
 * callback may run on worker threads, so ours must not call elog: it
 * drops the message (errors come back through XGBGetLastError anyway).
 */
#include "postgres.h"

#include <dlfcn.h>
#include <stdlib.h>

#include "xgb_api.h"

#define QPM_XGB_LIBRARY "libxgboost.so.0"

static QpmXgbApi api;
static bool api_loaded = false;

/* XGBoost log messages: ignored (may be called from any thread). */
static void
ignore_xgb_log(const char *msg)
{
	(void) msg;
}

/* Resolve one symbol or ERROR. */
static void *
resolve(void *handle, const char *name)
{
	void	   *p = dlsym(handle, name);

	if (p == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("could not find function \"%s\" in %s", name, QPM_XGB_LIBRARY),
				 errhint("query_perf_ml needs XGBoost 1.7 (Debian package libxgboost0).")));
	return p;
}

/* The API table, loading the library on first call. */
const QpmXgbApi *
qpm_xgb_api(void)
{
	void	   *h;
	QpmXgbApi	a;

	if (api_loaded)
		return &api;

	/* Must precede loading libgomp; an explicit user setting wins. */
	setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
	h = dlopen(QPM_XGB_LIBRARY, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("could not load %s: %s", QPM_XGB_LIBRARY, dlerror()),
				 errhint("Tree algorithms need XGBoost: apt-get install libxgboost0.")));

	a.GetLastError = resolve(h, "XGBGetLastError");
	a.RegisterLogCallback = resolve(h, "XGBRegisterLogCallback");
	a.DMatrixCreateFromMat = resolve(h, "XGDMatrixCreateFromMat");
	a.DMatrixSetFloatInfo = resolve(h, "XGDMatrixSetFloatInfo");
	a.DMatrixFree = resolve(h, "XGDMatrixFree");
	a.BoosterCreate = resolve(h, "XGBoosterCreate");
	a.BoosterFree = resolve(h, "XGBoosterFree");
	a.BoosterSetParam = resolve(h, "XGBoosterSetParam");
	a.BoosterUpdateOneIter = resolve(h, "XGBoosterUpdateOneIter");
	a.BoosterEvalOneIter = resolve(h, "XGBoosterEvalOneIter");
	a.BoosterDumpModelEx = resolve(h, "XGBoosterDumpModelEx");
	a.BoosterSaveJsonConfig = resolve(h, "XGBoosterSaveJsonConfig");
	a.BoosterSlice = resolve(h, "XGBoosterSlice");
	a.BoosterPredictFromDMatrix = resolve(h, "XGBoosterPredictFromDMatrix");
	a.RegisterLogCallback(ignore_xgb_log);

	api = a;
	api_loaded = true;
	return &api;
}
