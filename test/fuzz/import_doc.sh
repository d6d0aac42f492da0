#!/usr/bin/env bash
# test/fuzz/import_doc.sh [SECONDS] [SEED] — a mutation fuzzer for the
# export/import document parser (import_model, src/model_document.c).  That
# parser walks PostgreSQL's Jsonb, so it cannot be linked into a libFuzzer
# target without a server; this fuzzes it in one, from PL/pgSQL.
#
# Seeds: every document in test/fuzz/corpus/import_doc/ (exports of a small
# linear, gradient_boosting and random_forest model, and kept regression
# inputs).  Each round applies 1-3 random mutations to a seed — replace a
# value at a random path with a hostile one (wrong types, NaN strings,
# 1e308, 2^31, FLT_MAX overflows, empty containers ...), delete a key or
# element, splice in the value of another path (child indexes pointing
# anywhere, trees inside trees), nudge a number by one or flip its sign,
# insert array elements, add unknown keys — and calls import_model.
# It must either refuse the document with SQLSTATE 22023 (invalid model
# document), or accept it; then the imported model must predict finite
# positive values, and exporting and importing it again must store the
# identical blob.  Anything else — another SQLSTATE (XX000 above all), a
# crash, a broken invariant — is a finding: the document is written to
# test/fuzz/findings/import_doc-<md5>.json to be kept as a seed.
# Default: 10 seconds, seed 1 (test/all.sh); test/stress.sh runs minutes.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=fuzz_import_doc
. "$top/test/lib/cluster.sh"
secs=${1:-10}
seed=${2:-1}
qpm_cluster_start
trap qpm_cluster_stop EXIT

psql -X -q -v ON_ERROR_STOP=1 -d postgres >/dev/null <<'SQL'
CREATE EXTENSION query_perf_ml;
CREATE TABLE seeds (id serial, doc jsonb);
CREATE TABLE findings (doc jsonb, what text);
CREATE TABLE outcomes (sqlstate text, message text, n bigint, PRIMARY KEY (sqlstate, message));
-- every path of a document, containers included
CREATE FUNCTION paths(j jsonb, p text[] DEFAULT '{}') RETURNS SETOF text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT p WHERE p <> '{}'
    UNION ALL
    SELECT paths(v, p || k) FROM jsonb_each(CASE WHEN jsonb_typeof(j) = 'object' THEN j ELSE '{}' END) e(k, v)
    UNION ALL
    SELECT paths(v, p || (i - 1)::text)
      FROM jsonb_array_elements(CASE WHEN jsonb_typeof(j) = 'array' THEN j ELSE '[]' END) WITH ORDINALITY a(v, i)
$$;
CREATE FUNCTION pick(a anyarray) RETURNS anyelement LANGUAGE sql AS
    $$ SELECT a[1 + floor(random() * cardinality(a))::int] $$;
CREATE FUNCTION hostile() RETURNS jsonb LANGUAGE sql AS $$
    SELECT pick(ARRAY['null', 'true', 'false', '"x"', '""', '-1', '0', '1', '2', '3', '11', '12', '13',
        '0.5', '-0.5', '1e308', '-1e308', '1e-320', '2147483648', '-2147483649', '4294967296',
        '9223372036854775808', '3.4028235677973366e38', '1e39', '-1e39', '65536', '100001', '1048577',
        '16777217', '"NaN"', '"Infinity"', '"-Infinity"', '[]', '{}', '[1, 2]', '{"a": 1}', '[null]',
        '"query_perf_ml.model"', '"linear"', '"gradient_boosting"', '"random_forest"', '"pgss"']::jsonb[])
$$;
CREATE FUNCTION mutate(doc jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    ps text[][];
    p text[];
    other text[];
    v jsonb;
BEGIN
    FOR k IN 1..1 + floor(random() * 3)::int LOOP
        SELECT array_agg(x) INTO ps FROM (SELECT array_to_string(x, '/') x FROM paths(doc) x) s;
        IF ps IS NULL THEN RETURN doc; END IF;
        p := string_to_array(pick(ps), '/');
        v := doc #> p;
        BEGIN
            CASE floor(random() * 7)::int
            WHEN 0 THEN doc := jsonb_set(doc, p, hostile());
            WHEN 1 THEN doc := doc #- p;
            WHEN 2 THEN
                other := string_to_array(pick(ps), '/');
                doc := jsonb_set(doc, p, doc #> other);
            WHEN 3 THEN
                IF jsonb_typeof(v) = 'number' THEN
                    doc := jsonb_set(doc, p, to_jsonb(pick(ARRAY[v::text::numeric + 1, v::text::numeric - 1,
                                     -v::text::numeric, v::text::numeric * 1e10])));
                END IF;
            WHEN 4 THEN doc := jsonb_insert(doc, p, hostile(), random() < 0.5);
            WHEN 5 THEN doc := jsonb_set(doc, p[1:cardinality(p) - 1] || pick(ARRAY['zz', 'leaf', 'left', 'nodes', 'cover']), hostile());
            ELSE
                IF jsonb_typeof(v) = 'array' THEN
                    doc := jsonb_set(doc, p, pick(ARRAY['[]'::jsonb, coalesce(jsonb_build_array(v -> 0), '[]'), v || v]));
                END IF;
            END CASE;
        EXCEPTION WHEN OTHERS THEN
            NULL;   -- a mutation jsonb itself refuses: try the next one
        END;
    END LOOP;
    RETURN doc;
END $$;
-- one round: mutate, import, check; returns the number of rounds run
CREATE FUNCTION fuzz(secs float8, seed float8) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    deadline timestamptz := clock_timestamp() + secs * interval '1 second';
    n bigint := 0;
    doc jsonb;
    id bigint;
    id2 bigint;
    st text;
    msg text;
    p1 float8;
    p2 float8;
BEGIN
    PERFORM setseed(seed / 1000000.0);   -- SEED is an integer below 1 000 000
    WHILE clock_timestamp() < deadline LOOP
        n := n + 1;
        SELECT mutate(s.doc) INTO doc FROM seeds s ORDER BY random() LIMIT 1;
        BEGIN
            id := query_perf_ml.import_model(doc, 'fz');
            st := 'ok';
            msg := 'imported';
            p1 := query_perf_ml.predict('fz', array_fill(1::float8, ARRAY[12]));
            p2 := query_perf_ml.predict('fz', array_fill(NULL::float8, ARRAY[12]));
            IF NOT (p1 > 0 AND p1 < 'Infinity' AND p2 > 0 AND p2 < 'Infinity') THEN
                INSERT INTO findings VALUES (doc, format('accepted, but predicts %s / %s', p1, p2));
            END IF;
            id2 := query_perf_ml.import_model(query_perf_ml.export_model('fz'), 'fz');
            IF (SELECT model FROM query_perf_ml.model_store WHERE model_id = id)
               IS DISTINCT FROM (SELECT model FROM query_perf_ml.model_store WHERE model_id = id2) THEN
                INSERT INTO findings VALUES (doc, 'export and import again changed the blob');
            END IF;
            PERFORM query_perf_ml.drop_model('fz');
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
            IF st <> '22023' THEN
                INSERT INTO findings VALUES (doc, st || ' ' || msg);
            END IF;
        END;
        INSERT INTO outcomes VALUES (st, msg, 1)
            ON CONFLICT (sqlstate, message) DO UPDATE SET n = outcomes.n + 1;
    END LOOP;
    RETURN n;
END $$;
SQL

for f in "$top"/test/fuzz/corpus/import_doc/*.json; do
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -v doc="$(cat "$f")" >/dev/null <<<"INSERT INTO seeds (doc) VALUES (:'doc');"
done
started=$(psql -X -qAt -d postgres -c "SELECT pg_postmaster_start_time()")
status=0
rounds=$(psql -X -qAt -v ON_ERROR_STOP=1 -d postgres -c "SELECT fuzz($secs, $seed)") || status=1
if [ "$status" -ne 0 ] || [ "$(psql -X -qAt -d postgres -c "SELECT pg_postmaster_start_time()")" != "$started" ]; then
	echo "FAIL import_doc: the fuzz session died (seed $seed); server log:"; tail -n 30 "$QPM_DATA/server.log"; exit 1
fi
psql -X -qAt -d postgres -c "SELECT n || ' ' || sqlstate || ' ' || message FROM outcomes ORDER BY n DESC" | head -n 12 | sed 's/^/#   /'
nf=$(psql -X -qAt -d postgres -c "SELECT count(*) FROM findings")
if [ "$nf" -gt 0 ]; then
	mkdir -p "$top/test/fuzz/findings"
	psql -X -qAt -d postgres -c "SELECT md5(doc::text) || ' ' || what FROM findings" | sed 's/^/FINDING /'
	psql -X -qAt -d postgres -c "SELECT md5(doc::text), doc FROM findings" | while IFS='|' read -r h d; do
		printf '%s\n' "$d" >"$top/test/fuzz/findings/import_doc-$h.json"
	done
	echo "FAIL import_doc: $nf findings in $rounds rounds (seed $seed), kept in test/fuzz/findings/"
	exit 1
fi
echo "ok   import_doc: $rounds rounds in ${secs}s (seed $seed), $(psql -X -qAt -d postgres -c "SELECT sum(n) FILTER (WHERE sqlstate = 'ok') FROM outcomes") accepted"
