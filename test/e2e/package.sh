#!/usr/bin/env bash
# test/e2e/package.sh — the Debian package (debian/, pg_buildext).
#   1. One version: the Makefile's EXTVERSION, the control file's
#      default_version, debian/changelog's upstream version and META.json's
#      versions (semantic: 1.2 -> 1.2.0) are the same.
#   2. dpkg-buildpackage -us -uc -b in a copy of the tree gives
#      postgresql-$QPM_PG_MAJOR-query-perf-ml, whose Depends name the server,
#      liblapacke, zlib (found by ${shlibs:Depends}) and libxgboost0 (named in
#      debian/control: the library dlopen()s it, so shlibs cannot see it).
#   3. `apt-get install ./postgresql-*.deb`, the pg_regress and isolation
#      suite (test/regress.sh = make installcheck) against the installed
#      package, `apt-get remove`, and the files are gone.
# Step 3 runs on a throwaway root: a private mount namespace with overlays
# on /usr, /etc and /var (unshare -m), so the machine's own installation,
# the dpkg database included, is untouched; the installation the rest of
# test/all.sh uses stays what it was (checked).  Where that is impossible
# (not root, no overlayfs) the package is installed for real and, after its
# removal, the tree is installed again with `make install` (into /usr's
# PostgreSQL when the extension was there before, and into QPM_PG_CONFIG's).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
QPM_SCRIPT=package
QPM_EXTRA_PACKAGES="postgresql-server-dev-all debhelper dpkg-dev fakeroot"
. "$top/test/lib/cluster.sh"

fail=0; n=0
check() {	# check NAME EXPECTED ACTUAL
	n=$((n + 1))
	if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: expected '$2', got '$3'"; fail=$((fail + 1)); fi
}
pkg=postgresql-$QPM_PG_MAJOR-query-perf-ml
sys_pgbin=/usr/lib/postgresql/$QPM_PG_MAJOR/bin

# Inside the throwaway root (this script again, in the namespace): install,
# test, remove; prints check lines for the outer run to count.
if [ "${1:-}" = --inside ]; then
	deb=$2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$deb" >"$3/apt-install.log" 2>&1 || { tail -20 "$3/apt-install.log"; exit 1; }
	check "apt-get install ./$(basename "$deb"): installed" "install ok installed" "$(dpkg-query -W -f='${Status}' "$pkg")"
	check "the server's library is the package's" "$pkg" \
		"$(dpkg -S "/usr/lib/postgresql/$QPM_PG_MAJOR/lib/query_perf_ml.so" 2>/dev/null | cut -d: -f1)"
	if QPM_PGBIN=$sys_pgbin QPM_PG_CONFIG=$sys_pgbin/pg_config "$top/test/regress.sh" >"$3/regress.log" 2>&1; then r=passed; else r=failed; tail -40 "$3/regress.log"; fi
	check "pg_regress, isolation and preload suites against the installed package: $(grep -c 'tests passed' "$3/regress.log") of 3 suites passed" passed "$r"
	DEBIAN_FRONTEND=noninteractive apt-get remove -y -q "$pkg" >"$3/apt-remove.log" 2>&1
	check "apt-get remove: the library and the scripts are gone" "0" \
		"$(ls "$sys_pgbin/../lib/query_perf_ml.so" /usr/share/postgresql/"$QPM_PG_MAJOR"/extension/query_perf_ml* 2>/dev/null | wc -l)"
	exit $((fail > 0))
fi

qpm_install_deps

# ---- 1. one version ----
ver=$(sed -n 's/^EXTVERSION = //p' "$top/Makefile")
check "query_perf_ml.control default_version = Makefile EXTVERSION ($ver)" "$ver" \
	"$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$top/query_perf_ml.control")"
check "debian/changelog's upstream version = EXTVERSION" "$ver" \
	"$(dpkg-parsechangelog -l "$top/debian/changelog" -SVersion | sed 's/-[^-]*$//')"
# PGXN wants a semantic version: EXTVERSION 1.2 is 1.2.0 there.
check "META.json version and provides.query_perf_ml.version = EXTVERSION as x.y.0" "$ver.0 $ver.0" \
	"$(python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); print(m["version"], m["provides"]["query_perf_ml"]["version"])' "$top/META.json")"

# ---- 2. build in a copy of the tree ----
b=$(mktemp -d /tmp/qpm_package.XXXXXX)
trap 'rm -rf "$b"' EXIT
mkdir "$b/src"
tar -C "$top" --exclude=.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' --exclude=test/regress_out \
	--exclude=test/unit/build --exclude=test/unit/build-san --exclude=test/fuzz/build -cf - . | tar -C "$b/src" -xf -
start=$(date +%s)
if ! (cd "$b/src" && DEB_BUILD_OPTIONS="parallel=2 noddebs nocheck" dpkg-buildpackage -us -uc -b) >"$b/build.log" 2>&1; then
	tail -40 "$b/build.log"; echo "not ok - dpkg-buildpackage failed"; exit 1
fi
debs=("$b"/"$pkg"_*.deb)
deb=${debs[0]}
check "dpkg-buildpackage built $pkg ($(( $(date +%s) - start )) s)" "$pkg $ver-1" \
	"$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)"
depends=$(dpkg-deb -f "$deb" Depends)
echo "# Depends: $depends"
for d in "postgresql-$QPM_PG_MAJOR " liblapacke zlib1g libxgboost0 libc6; do
	check "Depends names ${d% }" 1 "$(echo "$depends" | tr ',' '\n' | grep -c "^ *$d")"
done
check "the package holds the library, the control file and every script" \
	"$( (cd "$top" && ls query_perf_ml.control query_perf_ml--*.sql && echo query_perf_ml.so) | sort | tr '\n' ' ')" \
	"$(dpkg-deb -c "$deb" | awk '{print $6}' | grep -E '/extension/query_perf_ml|/lib/query_perf_ml\.so$' | xargs -n1 basename | sort | tr '\n' ' ')"

# ---- 3. install, test, remove ----
state() {	# what the rest of test/all.sh will load: the installed files' checksums
	local f
	for f in "$("$QPM_PG_CONFIG" --pkglibdir)/query_perf_ml.so" "$("$QPM_PG_CONFIG" --sharedir)"/extension/query_perf_ml*; do
		[ -e "$f" ] && md5sum "$f"
	done
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true
}
before=$(state)
overlay=no
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then overlay=yes; fi
if [ $overlay = yes ]; then
	for d in usr etc var; do mkdir -p "$b/ov/$d/upper" "$b/ov/$d/work"; done
	# shellcheck disable=SC2016
	out=$(unshare -m bash -c '
		set -e
		for d in usr etc var; do
			mount -t overlay overlay -o "lowerdir=/$d,upperdir=$1/ov/$d/upper,workdir=$1/ov/$d/work" "/$d"
		done
		shift; exec "$@"' overlay "$b" "$0" --inside "$deb" "$b") || true
	qpm_log "installed, tested and removed in a throwaway root (overlays on /usr, /etc, /var)"
else
	qpm_log "no private mount namespace: installing into the system itself"
	had_system=no; [ -e "$sys_pgbin/../lib/query_perf_ml.so" ] && had_system=yes
	out=$(qpm_root "$0" --inside "$deb" "$b") || true
	[ $had_system = yes ] && qpm_root make -C "$top" -s install PG_CONFIG="$sys_pgbin/pg_config" >/dev/null
	qpm_build_install "$top"
fi
echo "$out"
fail=$((fail + $(echo "$out" | grep -c '^not ok' || true))); n=$((n + $(echo "$out" | grep -c '^\(not \)\?ok' || true)))
check "the inside run reported its 4 checks" 4 "$(echo "$out" | grep -c '^\(not \)\?ok' || true)"
check "the installation the other tests use is as before" "$before" "$(state)"

echo "package: $((n - fail)) passed, $fail failed"
exit $((fail > 0))
