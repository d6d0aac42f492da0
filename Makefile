# query_perf_ml — PGXS build.
#   make && make install            build and install into the server of $(PG_CONFIG)
#   make installcheck               pg_regress and pg_isolation_regress on temporary
#                                   instances (see REGRESS_OPTS); as root use test/regress.sh
#   make unittest                   C unit tests of the ML core (no server)

EXTENSION = query_perf_ml
EXTVERSION = 1.2
MODULE_big = query_perf_ml
PGFILEDESC = "query_perf_ml - learn and predict statement execution times"

CORE_OBJS = src/core/feature_set.o src/core/stmt_features.o src/core/query_complexity.o \
	src/core/transform.o src/core/ridge.o src/core/model.o src/core/metrics.o \
	src/core/dataset.o src/core/split.o src/core/trainer.o src/core/serialize.o \
	src/core/forest.o src/core/xgb_dump.o src/core/forest_perfect.o src/core/qpm_util.o src/core/shap.o \
	src/core/plan_features.o src/core/policy.o
GLUE_OBJS = src/query_perf_ml.o src/pg_alloc.o src/source_reader.o src/catalog.o \
	src/model_cache.o src/options.o src/sql_common.o src/sql_train.o \
	src/sql_predict.o src/sql_admin.o src/xgb_api.o src/xgb_train.o \
	src/jsonb_reader.o src/model_document.o src/sql_export.o src/sql_explain.o \
	src/training_jobs.o src/sql_training_jobs.o src/worker_launcher.o src/prediction_log.o \
	src/plan_describe.o src/plan_statement.o src/plan_ring.o src/plan_capture.o src/sql_plan.o \
	src/plan_source.o src/sql_predict_statement.o src/explain_hook.o
OBJS = $(CORE_OBJS) $(GLUE_OBJS)

DATA = query_perf_ml--1.0.sql query_perf_ml--1.0--1.1.sql query_perf_ml--1.1--1.2.sql

REGRESS = setup features training prediction trees explain feature_sets export pgss history errors catalog permissions cache reentrancy source_plans training_jobs plan_features predict_statement bad_inputs oldextversions comments cleanup
# Tests that need query_perf_ml in shared_preload_libraries run on a second
# temporary instance (test/regress_preload.conf), so the instance of REGRESS
# stays exactly as a user without the preload has it; installcheck runs them
# first (installcheck-preload).
REGRESS_PRELOAD = plan_capture explain_prediction
REGRESS_OPTS = --temp-config=$(srcdir)/test/regress.conf --temp-instance=tmp_check \
	--load-extension=pg_stat_statements
ISOLATION = cache_invalidation train_while_predict cache_pin cache_statement source_plan
# The specs and their expected outputs live under test/isolation (the later
# --inputdir wins over the one PGXS passes).
ISOLATION_OPTS = --inputdir=$(srcdir)/test/isolation \
	--temp-config=$(srcdir)/test/regress.conf --temp-instance=tmp_check_iso

# The library reports the version it was built as (status(), export_model).
PG_CPPFLAGS = -I$(srcdir)/src -DQPM_LIBRARY_VERSION='"$(EXTVERSION)"' -Wall -Wextra -Werror -Wno-unused-parameter \
	-Wno-missing-field-initializers -Wno-sign-compare
# libxgboost is dlopen()ed on first training (src/xgb_api.c), not linked.
SHLIB_LINK = -llapacke -lz -lm -ldl -lpthread

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

.PHONY: installcheck-preload
installcheck: installcheck-preload
installcheck-preload:
ifneq ($(strip $(REGRESS_PRELOAD)),)
	$(pg_regress_installcheck) --temp-config=$(srcdir)/test/regress_preload.conf \
		--temp-instance=tmp_check_preload --outputdir=output_preload \
		--load-extension=pg_stat_statements --dbname=$(CONTRIB_TESTDB) $(REGRESS_PRELOAD)
endif

.PHONY: unittest
unittest:
	$(MAKE) -C test/unit

# PGXS tracks no header dependencies: rebuild everything when a header changes
# (a stale object with an old struct layout is a crash, not a build error).
$(OBJS): $(wildcard $(srcdir)/src/*.h $(srcdir)/src/core/*.h)
