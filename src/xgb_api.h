/*
 * xgb_api.h — XGBoost's C API, loaded on first use.
 *
 * query_perf_ml.so does not link libxgboost: backends that only predict
 * never load XGBoost, libstdc++ or OpenMP, and the library is dlopen()ed
 * only after OMP_WAIT_POLICY=PASSIVE is set (libgomp reads it once, when
 * it is loaded; its default busy-waiting made concurrent trainings 3-5x
 * slower on 2 cores).  The header is used for types and signatures only.
 */
#ifndef QPM_XGB_API_H
#define QPM_XGB_API_H

#include <xgboost/c_api.h>

typedef struct QpmXgbApi
{
	__typeof__(XGBGetLastError) *GetLastError;
	__typeof__(XGBRegisterLogCallback) *RegisterLogCallback;
	__typeof__(XGDMatrixCreateFromMat) *DMatrixCreateFromMat;
	__typeof__(XGDMatrixSetFloatInfo) *DMatrixSetFloatInfo;
	__typeof__(XGDMatrixFree) *DMatrixFree;
	__typeof__(XGBoosterCreate) *BoosterCreate;
	__typeof__(XGBoosterFree) *BoosterFree;
	__typeof__(XGBoosterSetParam) *BoosterSetParam;
	__typeof__(XGBoosterUpdateOneIter) *BoosterUpdateOneIter;
	__typeof__(XGBoosterEvalOneIter) *BoosterEvalOneIter;
	__typeof__(XGBoosterDumpModelEx) *BoosterDumpModelEx;
	__typeof__(XGBoosterSaveJsonConfig) *BoosterSaveJsonConfig;
	__typeof__(XGBoosterSlice) *BoosterSlice;
	__typeof__(XGBoosterPredictFromDMatrix) *BoosterPredictFromDMatrix;
} QpmXgbApi;

/* The loaded API, or ERROR with a hint when libxgboost is not installed. */
const QpmXgbApi *qpm_xgb_api(void);

#endif
