/*
 * xgb_fixture.h — talking to XGBoost in the parity tests (test_forest,
 * test_shap): the only unit tests that link -lxgboost.
 */
#ifndef QPM_XGB_FIXTURE_H
#define QPM_XGB_FIXTURE_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <xgboost/c_api.h>

#include "unit.h"

/* The rows as XGBoost's floats (NaN = missing); free() the result. */
static inline float *
as_float(const double *x, int rows, int cols)
{
	float	   *f = malloc(sizeof(float) * (size_t) rows * (size_t) cols);
	size_t		k;

	for (k = 0; k < (size_t) rows * (size_t) cols; k++)
		f[k] = (float) x[k];
	return f;
}

/* Report an XGBoost failure as a test failure; true when rc is 0. */
static inline int
xgb_ok(int rc, const char *what)
{
	if (rc != 0)
		fprintf(stderr, "  XGBoost %s failed: %s\n", what, XGBGetLastError());
	CHECK(rc == 0);
	return rc == 0;
}

/*
 * base_score from the booster's JSON config: learner_model_param holds it as
 * a string ("5E-1" in 1.7).  NAN when absent or unparsable.
 */
static inline float
booster_base_score(BoosterHandle h)
{
	bst_ulong	len;
	const char *cfg;
	const char *p;
	char	   *end;
	float		v;

	if (!xgb_ok(XGBoosterSaveJsonConfig(h, &len, &cfg), "SaveJsonConfig"))
		return NAN;
	p = strstr(cfg, "\"learner_model_param\"");
	p = p ? strstr(p, "\"base_score\":\"") : NULL;
	if (p == NULL)
		return NAN;
	p += strlen("\"base_score\":\"");
	v = strtof(p, &end);
	if (end == p || *end != '"')
		return NAN;
	return v;
}

#endif
