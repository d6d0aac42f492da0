/*
 * model_document.h — the portable model document (model_document.c):
 * a model version as versioned JSON, for export_model and import_model.
 */
#ifndef QPM_MODEL_DOCUMENT_H
#define QPM_MODEL_DOCUMENT_H

#include "postgres.h"

#include "utils/jsonb.h"

#include "core/model.h"

/* What a version's catalog row adds to the model in its document. */
typedef struct QpmModelDocMeta
{
	const char *name;			/* written only; import names the model itself */
	int32		version;		/* written only */
	const char *created_at;		/* written only: ISO 8601, UTC */
	int64		n_train;
	int64		n_test;
	Jsonb	   *metrics;
	Jsonb	   *options;
} QpmModelDocMeta;

/* The document of a loaded model with its metadata. */
Jsonb	   *qpm_model_document_write(const QpmModel *m, const QpmModelDocMeta *meta);
/* Read and check a document (ERROR 22023 naming the path); the model passes the core's gates. */
void		qpm_model_document_read(Jsonb *doc, QpmModel *m, QpmModelDocMeta *meta);

#endif
