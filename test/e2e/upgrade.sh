#!/usr/bin/env bash
# test/e2e/upgrade.sh — the upgrade from every released version, each with
# its own released library.
#
#  1. Copies the server installation of $QPM_PGBIN (Debian layout) into a
#     scratch directory, so nothing outside it is touched.  For each released
#     version V (1.0, 1.1): builds and installs there the library of V's
#     release commit (the parent of the commit that added the upgrade script
#     from V; without git history, the current library stands in for it and
#     the script says so).
#  2. CREATE EXTENSION query_perf_ml VERSION 'V'; trains a model of each
#     algorithm and an inactive version with V's library; records every
#     version's predictions (predicted, lower, upper, predict()) and its
#     export document.
#  3. Installs the current library (the server is restarted): with V's SQL
#     still in place, and again after ALTER EXTENSION query_perf_ml UPDATE,
#     every version exports identically and predicts within a relative 1e-6
#     of what V's library did (the largest difference is printed).
#     Training and import work with the current library under V's SQL
#     (model_store has no source_relation before 1.2).  After the update,
#     the versions trained on a relation have it as source_relation, the
#     imported one has none.
#  4. The upgraded schema equals a fresh CREATE EXTENSION of the current
#     version (functions with volatility, strictness, SECURITY DEFINER,
#     parallel safety, settings and EXECUTE grants; tables, columns, views
#     and their options, types, ACLs, config dump registrations), so the
#     new functions exist; and training works after the upgrade.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=upgrade
. "$top/test/lib/cluster.sh"

fail=0; n=0
check() { n=$((n + 1)); if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: expected '$2', got '$3'"; fail=$((fail + 1)); fi; }
q() { psql -X -qAt -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

work=$(mktemp -d /tmp/qpm_upgrade.XXXXXX)
trap 'qpm_cluster_stop; rm -rf "$work"' EXIT

# 1. A private copy of the installation: .../usr/lib/postgresql/N/{bin,lib}
# and .../usr/share/postgresql/N, which PostgreSQL finds relative to bin/.
usr=${QPM_PGBIN%/lib/postgresql/$QPM_PG_MAJOR/bin}
if [ "$usr" = "$QPM_PGBIN" ] || [ ! -d "$usr/share/postgresql/$QPM_PG_MAJOR" ]; then
	echo "upgrade: $QPM_PGBIN is not a Debian-layout installation; cannot make a private copy"; exit 1
fi
mkdir -p "$work/pg/usr/lib/postgresql" "$work/pg/usr/share/postgresql"
cp -a "$usr/lib/postgresql/$QPM_PG_MAJOR" "$work/pg/usr/lib/postgresql/"
cp -a "$usr/share/postgresql/$QPM_PG_MAJOR" "$work/pg/usr/share/postgresql/"
orig_pgc=$QPM_PG_CONFIG	# builds use the original (its headers); installs go to the copy
QPM_PGBIN=$work/pg/usr/lib/postgresql/$QPM_PG_MAJOR/bin
pgc=$QPM_PGBIN/pg_config
rm -f "$("$pgc" --sharedir)"/extension/query_perf_ml*

current=$(sed -n 's/^EXTVERSION = //p' "$top/Makefile")
restart() { qpm_pguser "$QPM_PGBIN/pg_ctl" -D "$QPM_DATA/data" -m fast -w restart >/dev/null; }

# The release commit of version $1: the parent of the commit that added the
# upgrade script from it, if its control file says so; empty otherwise (no
# git, or a shallow clone without the parent).
release_commit() {
	local from=$1 opened c script
	git -C "$top" rev-parse --git-dir >/dev/null 2>&1 || return 0
	script=$(cd "$top" && ls query_perf_ml--"$from"--*.sql 2>/dev/null | head -n 1)
	[ -n "$script" ] || return 0
	opened=$(git -C "$top" log --diff-filter=A --format=%H -- "$script" | tail -n 1)
	[ -n "$opened" ] || return 0
	c=$(git -C "$top" rev-parse -q --verify --short "$opened^" 2>/dev/null || true)
	if [ -n "$c" ] && git -C "$top" show "$c:query_perf_ml.control" 2>/dev/null | grep -q "default_version = '$from'"; then
		echo "$c"
	fi
}

# Every version (activated in turn): predictions on every 5th statement
# (predicted, lower, upper, predict(); shortest exact float8 text), then
# each version's export.
snapshot() {
	q postgres "SELECT name || ' ' || version FROM query_perf_ml.models ORDER BY model_id" | while read -r name version; do
		q postgres "SELECT query_perf_ml.activate_model('$name', $version)" >/dev/null
		q postgres "SELECT 'prediction $name/$version ' || f.queryid || ' ' || p.predicted_ms || ' ' || p.lower_ms || ' ' || p.upper_ms
		                 || ' ' || query_perf_ml.predict('$name', f.features)
		          FROM query_perf_ml.feature_vectors('stats') f, query_perf_ml.predict_query_execution(f.queryid, '$name', 'stats') p
		         WHERE f.queryid % 5 = 0 ORDER BY f.queryid"
	done
	q postgres "SELECT name || ' ' || version FROM query_perf_ml.models ORDER BY model_id" | while read -r name version; do
		q postgres "SELECT 'export $name/$version ' || md5((query_perf_ml.export_model('$name', $version) - 'extension_version')::text)"
	done
	q postgres "SELECT query_perf_ml.activate_model('lin', 1)" >/dev/null
}
# check_snapshot LABEL BEFORE AFTER: the same exports and statements, and
# every prediction within a relative 1e-6 of the one before (the promise
# for models of older versions); prints the largest relative difference.
check_snapshot() {
	local verdict
	verdict=$(awk -v before="$2" -v after="$3" 'BEGIN {
		nb = split(before, b, "\n"); na = split(after, a, "\n"); worst = 0; bad = (nb != na)
		for (i = 1; i <= nb && i <= na; i++) {
			kb = split(b[i], x, " "); ka = split(a[i], y, " ")
			if (kb != ka || x[1] != y[1] || x[2] != y[2] || x[1] == "export" && x[3] != y[3] || x[1] == "prediction" && x[3] != y[3]) { bad = 1; continue }
			for (j = 4; x[1] == "prediction" && j <= kb; j++) {
				r = x[j] == y[j] ? 0 : (x[j] > y[j] ? x[j] - y[j] : y[j] - x[j]) / (x[j] < 0 ? -x[j] : x[j])
				if (r > worst) worst = r
			}
		}
		printf "%s %.3g %d", (bad || worst > 1e-6) ? "differ" : "same", worst, nb }')
	echo "# $1: ${verdict#* } (largest relative difference, lines)"
	check "$1 (every prediction within 1e-6, exports identical)" "same" "${verdict%% *}"
}
schema() {	# every object of the extension's schema, with the properties that matter
	q "$1" "
	SELECT 'function ' || p.oid::regprocedure || ' ' || p.provolatile::text || p.proisstrict::int || p.prosecdef::int || p.proparallel::text
	       || ' ' || coalesce(array_to_string(p.proconfig, ','), '') || ' ' || pg_get_function_result(p.oid)
	       || ' public:' || has_function_privilege('public', p.oid, 'EXECUTE')
	  FROM pg_proc p WHERE p.pronamespace = 'query_perf_ml'::regnamespace
	UNION ALL
	SELECT 'relation ' || c.relname || ' ' || c.relkind::text || ' ' || coalesce(c.relacl::text, '') || ' '
	       || coalesce((SELECT string_agg(a.attname || ':' || format_type(a.atttypid, a.atttypmod) || ':' || a.attnotnull, ',' ORDER BY a.attnum)
	                      FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '')
	       || ' ' || CASE WHEN c.relkind = 'v' THEN md5(pg_get_viewdef(c.oid)) ELSE '' END
	       || ' ' || coalesce(c.reloptions::text, '')
	  FROM pg_class c WHERE c.relnamespace = 'query_perf_ml'::regnamespace
	UNION ALL
	SELECT 'index ' || pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
	 WHERE c.relnamespace = 'query_perf_ml'::regnamespace
	UNION ALL
	SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
	 WHERE c.relnamespace = 'query_perf_ml'::regnamespace AND NOT t.tgisinternal
	UNION ALL
	SELECT 'config dump ' || x::regclass FROM pg_extension e, unnest(e.extconfig) x WHERE e.extname = 'query_perf_ml'
	UNION ALL
	SELECT 'schema acl ' || coalesce(n.nspacl::text, '') FROM pg_namespace n WHERE n.nspname = 'query_perf_ml'
	ORDER BY 1"
}

# One upgrade path, on its own cluster: version $1 with its own library, then
# the current library under the old SQL, then ALTER EXTENSION UPDATE.
upgrade_from() {
	local from=$1 released before fresh_schema funcs_old funcs_new new_funcs
	rm -f "$("$pgc" --sharedir)"/extension/query_perf_ml* "$("$pgc" --pkglibdir)"/query_perf_ml.so
	released=$(release_commit "$from")
	if [ -n "$released" ]; then
		rm -rf "$work/old" && mkdir -p "$work/old"
		git -C "$top" archive "$released" | tar -x -C "$work/old"
		make -C "$work/old" -s -j2 PG_CONFIG="$orig_pgc" with_llvm=no >"$work/old.log" 2>&1
		make -C "$work/old" -s install PG_CONFIG="$pgc" with_llvm=no >>"$work/old.log" 2>&1
		echo "# the $from library built from commit $released"
	else
		echo "# no git history: the current library stands in for $from (only the SQL upgrade is tested)"
		make -C "$top" -s -j2 PG_CONFIG="$orig_pgc" >/dev/null
		make -C "$top" -s install PG_CONFIG="$pgc" >/dev/null
		# the old scripts are still shipped, so the current install has them
	fi
	[ "$(id -u)" -eq 0 ] && chown -R postgres "$work"

	qpm_cluster_start

	# 2. Models of every algorithm with the old library.
	psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE fresh" >/dev/null
	psql -X -q -v ON_ERROR_STOP=1 -v v="$from" -d postgres >/dev/null <<-'SQL'
	CREATE EXTENSION query_perf_ml VERSION :'v';
	CREATE TABLE stats AS
	SELECT g::bigint AS queryid, 'SELECT a FROM t' || repeat(' JOIN t USING (a)', g % 3) AS query,
	       1 + g % 20 AS calls, (1 + g % 20) * (0.5 + (g % 97) * (1 + g % 7)) AS total_exec_time,
	       (1 + g % 20) * (g % 13) AS rows, (1 + g % 20) * (g % 97) AS shared_blks_hit,
	       (1 + g % 20) * (g % 7) AS shared_blks_read
	  FROM generate_series(1, 800) g;
	SELECT version FROM query_perf_ml.train_model('lin', 'linear', 'stats');
	SELECT version FROM query_perf_ml.train_model('lin', 'linear', 'stats', '{"seed": 5, "lambda": 10, "activate": false}');
	SELECT version FROM query_perf_ml.train_model('gbm', 'gradient_boosting', 'stats', '{"n_trees": 60}');
	SELECT version FROM query_perf_ml.train_model('rf', 'random_forest', 'stats', '{"n_trees": 24}');
	SELECT query_perf_ml.import_model(query_perf_ml.export_model('lin', 1), 'imp') > 0;
	SQL
	check "$from installed" "$from" "$(q postgres "SELECT extversion FROM pg_extension WHERE extname = 'query_perf_ml'")"
	[ -n "$released" ] && check "$from library loaded" "$from" "$(q postgres "SELECT library_version FROM query_perf_ml.status()")"
	funcs_old=$(q postgres "SELECT p.oid::regprocedure FROM pg_proc p WHERE p.pronamespace = 'query_perf_ml'::regnamespace ORDER BY 1::text")
	before=$(snapshot)

	# 3. The current library, first under the old SQL, then after the update.
	make -C "$top" -s -j2 PG_CONFIG="$orig_pgc" >/dev/null
	make -C "$top" -s install PG_CONFIG="$pgc" >/dev/null
	[ "$(id -u)" -eq 0 ] && chown -R postgres "$work/pg"
	restart
	check "current library loaded under the $from SQL" "$current" \
		"$(q postgres "SELECT library_version FROM query_perf_ml.status()")"
	check_snapshot "$from models predict and export as before with the new library, $from SQL" "$before" "$(snapshot)"
	check "the new library trains and imports under the $from SQL" "1 t" \
		"$(q postgres "SELECT version FROM query_perf_ml.train_model('tmp', 'linear', 'stats')") $(q postgres "SELECT query_perf_ml.import_model(query_perf_ml.export_model('tmp'), 'tmp2') > 0 AND query_perf_ml.drop_model('tmp') = 1 AND query_perf_ml.drop_model('tmp2') = 1")"
	q postgres "ALTER EXTENSION query_perf_ml UPDATE" >/dev/null
	check "ALTER EXTENSION UPDATE from $from reaches the default version" \
		"$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$top/query_perf_ml.control")" \
		"$(q postgres "SELECT extversion FROM pg_extension WHERE extname = 'query_perf_ml'")"
	check_snapshot "$from models predict and export as before after the update" "$before" "$(snapshot)"
	check "after the update from $from: the relation of each trained version, none for the import" "gbm:stats imp:- lin:stats lin:stats rf:stats" \
		"$(q postgres "SELECT string_agg(name || ':' || coalesce(source_relation::text, '-'), ' ' ORDER BY name, version) FROM query_perf_ml.models")"

	# 4. Upgraded schema = fresh install.
	q fresh "CREATE EXTENSION query_perf_ml" >/dev/null
	fresh_schema=$(schema fresh)
	check "the schema upgraded from $from equals a fresh install ($(wc -l <<<"$fresh_schema") objects)" "$fresh_schema" "$(schema postgres)"
	funcs_new=$(q fresh "SELECT p.oid::regprocedure FROM pg_proc p WHERE p.pronamespace = 'query_perf_ml'::regnamespace ORDER BY 1::text")
	new_funcs=$(comm -13 <(sort <<<"$funcs_old") <(sort <<<"$funcs_new") | tr '\n' ' ')
	check "every function of the new version exists after the update from $from" "" \
		"$(comm -23 <(sort <<<"$funcs_new") <(q postgres "SELECT p.oid::regprocedure FROM pg_proc p WHERE p.pronamespace = 'query_perf_ml'::regnamespace" | sort) | tr '\n' ' ')"
	echo "# functions added since $from: ${new_funcs:-none}"
	check "training after the update from $from" "2" "$(q postgres "SELECT version FROM query_perf_ml.train_model('gbm', 'gradient_boosting', 'stats', '{\"n_trees\": 20}')")"
	check "no backend crashed (server log, from $from)" "0" "$(grep -c 'terminated by signal\|server process .* exited with exit code [^0]' "$QPM_DATA/server.log" || true)"
	qpm_cluster_stop
}

for from in 1.0 1.1; do
	upgrade_from "$from"
done

echo "upgrade: $((n - fail)) passed, $fail failed"
exit $((fail > 0))
