/*
 * options.h — train_model's jsonb options and the settings they fill
 * (options.c).
 */
#ifndef QPM_OPTIONS_H
#define QPM_OPTIONS_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "core/feature_set.h"
#include "core/trainer.h"

/* Hyperparameters of the tree algorithms (XGBoost names in xgb_train.c). */
typedef struct QpmTreeParams
{
	int			n_trees;
	int			max_depth;
	double		learning_rate;
	double		subsample;
	double		colsample;
	double		min_child_weight;
	double		lambda;
	int			early_stopping_rounds;
} QpmTreeParams;

typedef struct QpmTrainSettings
{
	QpmTrainOptions core;
	QpmTreeParams trees;
	const QpmFeatureSet *feature_set;	/* option feature_set */
	double		min_calls;
	bool		activate;
	bool		split_by_time;	/* hold out the newest rows, not statements */
	int64		max_rows;		/* 0 = from maintenance_work_mem */
} QpmTrainSettings;

/* Parse options for an algorithm (defaults depend on it), or ERROR. */
void		qpm_parse_train_options(Jsonb *options, QpmAlgorithm alg, bool lenient,
									QpmTrainSettings *s);
/* The effective settings as jsonb (stored with the model). */
Jsonb	   *qpm_train_settings_to_jsonb(const QpmTrainSettings *s);

/* query_perf_ml.default_feature_set: a label, checked when set. */
extern char *qpm_default_feature_set;
void		qpm_options_init(void);

#endif
