/* query_perf_ml--1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION query_perf_ml" to load this file. \quit

CREATE SCHEMA query_perf_ml;
GRANT USAGE ON SCHEMA query_perf_ml TO PUBLIC;

--
-- Catalog: one row per trained model version.  Written only by the
-- extension's functions (which run the write as the extension owner);
-- readable by everyone so any role can predict.
--
CREATE TABLE query_perf_ml.model_store (
    model_id      bigserial PRIMARY KEY,
    name          text NOT NULL
                  CHECK (name <> '' AND pg_catalog.octet_length(name) <= 63),
    version       integer NOT NULL CHECK (version > 0),
    algorithm     text NOT NULL,
    feature_set   text NOT NULL,
    is_active     boolean NOT NULL DEFAULT false,
    activated_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    created_by    name NOT NULL,
    source        text,
    n_train       bigint NOT NULL,
    n_test        bigint NOT NULL,
    metrics       jsonb NOT NULL,
    options       jsonb NOT NULL,
    model         bytea NOT NULL,
    UNIQUE (name, version)
);
CREATE UNIQUE INDEX model_store_one_active
    ON query_perf_ml.model_store (name) WHERE is_active;

SELECT pg_catalog.pg_extension_config_dump('query_perf_ml.model_store', '');
SELECT pg_catalog.pg_extension_config_dump('query_perf_ml.model_store_model_id_seq', '');

REVOKE ALL ON query_perf_ml.model_store FROM PUBLIC;
GRANT SELECT ON query_perf_ml.model_store TO PUBLIC;

-- Every change to the catalog (ours, the owner's by hand, pg_restore's)
-- invalidates the per-backend model caches of all sessions.
CREATE FUNCTION query_perf_ml.model_store_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'qpm_model_store_changed'
LANGUAGE C;

CREATE TRIGGER model_store_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON query_perf_ml.model_store
    FOR EACH STATEMENT EXECUTE FUNCTION query_perf_ml.model_store_changed();

CREATE VIEW query_perf_ml.models AS
    SELECT model_id, name, version, algorithm, is_active, created_at, n_train,
           metrics, options, pg_catalog.octet_length(model)::bigint AS size_bytes,
           feature_set, activated_at, n_test, created_by, source
      FROM query_perf_ml.model_store;
GRANT SELECT ON query_perf_ml.models TO PUBLIC;

--
-- Result types (composite, so argument names and column names may repeat).
--
CREATE TYPE query_perf_ml.training_result AS (
    model_id          bigint,
    name              text,
    version           integer,
    algorithm         text,
    n_train           bigint,
    n_test            bigint,
    r2                double precision,
    mae_ms            double precision,
    rmse_ms           double precision,
    median_q_error    double precision,
    p90_q_error       double precision,
    interval_coverage double precision,
    train_ms          double precision
);

CREATE TYPE query_perf_ml.prediction AS (
    queryid        bigint,
    predicted_ms   double precision,
    lower_ms       double precision,
    upper_ms       double precision,
    interval_level double precision,
    model_id       bigint,
    model_name     text
);

CREATE TYPE query_perf_ml.validation_result AS (
    model_id          bigint,
    name              text,
    version           integer,
    algorithm         text,
    n                 bigint,
    skipped           bigint,
    r2                double precision,
    mae_ms            double precision,
    rmse_ms           double precision,
    median_q_error    double precision,
    p90_q_error       double precision,
    interval_coverage double precision
);

--
-- Training (reads the source with the caller's privileges).
--
CREATE FUNCTION query_perf_ml.train_model(
    name      text,
    algorithm text DEFAULT 'gradient_boosting',
    source    regclass DEFAULT NULL,
    options   jsonb DEFAULT '{}')
RETURNS query_perf_ml.training_result
AS 'MODULE_PATHNAME', 'qpm_train_model'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;

CREATE FUNCTION query_perf_ml.validate_model(
    model  text DEFAULT NULL,
    source regclass DEFAULT NULL)
RETURNS query_perf_ml.validation_result
AS 'MODULE_PATHNAME', 'qpm_validate_model'
LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED;

--
-- Prediction.
--
CREATE FUNCTION query_perf_ml.predict_query_execution(
    queryid bigint,
    model   text DEFAULT NULL,
    source  regclass DEFAULT NULL)
RETURNS query_perf_ml.prediction
AS 'MODULE_PATHNAME', 'qpm_predict_queryid'
LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED;

CREATE FUNCTION query_perf_ml.predict_query_execution(
    features jsonb,
    model    text DEFAULT NULL)
RETURNS query_perf_ml.prediction
AS 'MODULE_PATHNAME', 'qpm_predict_features'
LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED;

CREATE FUNCTION query_perf_ml.predict(model text, features double precision[])
RETURNS double precision
AS 'MODULE_PATHNAME', 'qpm_predict'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;

CREATE FUNCTION query_perf_ml.predict_all(
    model  text DEFAULT NULL,
    source regclass DEFAULT NULL)
RETURNS TABLE (
    queryid          bigint,
    query            text,
    calls            bigint,
    actual_ms        double precision,
    predicted_ms     double precision,
    lower_ms         double precision,
    upper_ms         double precision,
    q_error          double precision,
    outside_interval boolean)
AS 'MODULE_PATHNAME', 'qpm_predict_all'
LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED ROWS 1000;

--
-- Model lifecycle.  SECURITY DEFINER: the catalog is written as the
-- extension owner; EXECUTE is revoked from PUBLIC below.
--
CREATE FUNCTION query_perf_ml.activate_model(name text, version integer DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id bigint;
BEGIN
    IF activate_model.name IS NULL THEN
        RAISE EXCEPTION 'model name must not be NULL' USING ERRCODE = '22004';
    END IF;
    LOCK TABLE query_perf_ml.model_store IN SHARE ROW EXCLUSIVE MODE;
    SELECT s.model_id INTO v_id
      FROM query_perf_ml.model_store s
     WHERE s.name = activate_model.name
       AND (activate_model.version IS NULL OR s.version = activate_model.version)
     ORDER BY s.version DESC
     LIMIT 1;
    IF v_id IS NULL THEN
        IF activate_model.version IS NULL THEN
            RAISE EXCEPTION 'model "%" does not exist', activate_model.name
                USING ERRCODE = '42704',
                      HINT = 'SELECT name, version FROM query_perf_ml.models lists the models.';
        ELSE
            RAISE EXCEPTION 'model "%" has no version %', activate_model.name, activate_model.version
                USING ERRCODE = '42704',
                      HINT = 'SELECT name, version FROM query_perf_ml.models lists the models.';
        END IF;
    END IF;
    UPDATE query_perf_ml.model_store s
       SET is_active = false
     WHERE s.name = activate_model.name AND s.is_active AND s.model_id <> v_id;
    UPDATE query_perf_ml.model_store s
       SET is_active = true, activated_at = clock_timestamp()
     WHERE s.model_id = v_id;
    RETURN v_id;
END
$$;

CREATE FUNCTION query_perf_ml.drop_model(name text, version integer DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_count integer;
BEGIN
    IF drop_model.name IS NULL THEN
        RAISE EXCEPTION 'model name must not be NULL' USING ERRCODE = '22004';
    END IF;
    DELETE FROM query_perf_ml.model_store s
     WHERE s.name = drop_model.name
       AND (drop_model.version IS NULL OR s.version = drop_model.version);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    IF v_count = 0 THEN
        IF drop_model.version IS NULL THEN
            RAISE EXCEPTION 'model "%" does not exist', drop_model.name
                USING ERRCODE = '42704';
        ELSE
            RAISE EXCEPTION 'model "%" has no version %', drop_model.name, drop_model.version
                USING ERRCODE = '42704';
        END IF;
    END IF;
    RETURN v_count;
END
$$;

--
-- Introspection.
--
CREATE FUNCTION query_perf_ml.status(
    OUT extension_version text,
    OUT library_version text,
    OUT pg_stat_statements_available boolean,
    OUT pg_stat_statements_rows bigint,
    OUT models bigint,
    OUT active_models bigint,
    OUT default_model text,
    OUT cache_entries integer,
    OUT cache_hits bigint,
    OUT cache_misses bigint,
    OUT cache_invalidations bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'qpm_status'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

CREATE FUNCTION query_perf_ml.feature_report(source regclass DEFAULT NULL)
RETURNS TABLE (
    feature    text,
    n          bigint,
    missing    bigint,
    non_finite bigint,
    mean       double precision,
    stddev     double precision,
    min        double precision,
    p01        double precision,
    p50        double precision,
    p99        double precision,
    max        double precision)
AS 'MODULE_PATHNAME', 'qpm_feature_report'
LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED;

CREATE FUNCTION query_perf_ml.feature_names()
RETURNS TABLE (ordinal integer, feature text, description text)
AS 'MODULE_PATHNAME', 'qpm_feature_names'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION query_perf_ml.feature_vectors(source regclass DEFAULT NULL)
RETURNS TABLE (queryid bigint, features double precision[], actual_ms double precision)
AS 'MODULE_PATHNAME', 'qpm_feature_vectors'
LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED;

CREATE FUNCTION query_perf_ml.is_held_out(
    queryid bigint, seed bigint DEFAULT 42, test_fraction double precision DEFAULT 0.2)
RETURNS boolean
AS 'MODULE_PATHNAME', 'qpm_is_held_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

--
-- Export and import: a model version as a portable JSON document
-- (format "query_perf_ml.model"; README "Export and import").
--
CREATE FUNCTION query_perf_ml.export_model(name text, version integer DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'qpm_export_model'
LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED;

-- Validates the whole document, stores it as a new active version of name
-- (written as the extension owner, like train_model); EXECUTE revoked below.
CREATE FUNCTION query_perf_ml.import_model(doc jsonb, name text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'qpm_import_model'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;

--
-- Explanation: per-feature contributions (log-ms scale) to a prediction.
--
CREATE FUNCTION query_perf_ml.explain_prediction(
    queryid bigint,
    model   text DEFAULT NULL,
    source  regclass DEFAULT NULL)
RETURNS TABLE (feature text, value double precision, contribution double precision)
AS 'MODULE_PATHNAME', 'qpm_explain_queryid'
LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED ROWS 13;

CREATE FUNCTION query_perf_ml.explain_prediction(
    features jsonb,
    model    text DEFAULT NULL)
RETURNS TABLE (feature text, value double precision, contribution double precision)
AS 'MODULE_PATHNAME', 'qpm_explain_features'
LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED ROWS 13;

-- Training and lifecycle changes are for roles the owner trusts.
REVOKE EXECUTE ON FUNCTION query_perf_ml.train_model(text, text, regclass, jsonb) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION query_perf_ml.import_model(jsonb, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION query_perf_ml.activate_model(text, integer) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION query_perf_ml.drop_model(text, integer) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION query_perf_ml.model_store_changed() FROM PUBLIC;
