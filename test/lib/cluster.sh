# test/lib/cluster.sh — shared shell helpers: installing dependencies,
# building, and throwaway PostgreSQL clusters on free local ports.
# Source it; every function prefixes its output with the script's name.
#
# As root, cluster commands run as the "postgres" system user (initdb
# refuses root); as another user, as that user, with sudo for installs.

QPM_PG_MAJOR=${QPM_PG_MAJOR:-15}
QPM_PGBIN=${QPM_PGBIN:-/usr/lib/postgresql/$QPM_PG_MAJOR/bin}
QPM_PG_CONFIG=${QPM_PG_CONFIG:-$QPM_PGBIN/pg_config}
QPM_PACKAGES="postgresql-$QPM_PG_MAJOR postgresql-server-dev-$QPM_PG_MAJOR postgresql-contrib
 liblapacke-dev zlib1g-dev libxgboost-dev make gcc clang libclang-rt-14-dev gnuplot-nox
 valgrind cppcheck clang-tidy"

qpm_log() { printf '[%s] %s\n' "${QPM_SCRIPT:-qpm}" "$*" >&2; }

# Run a command as root (directly, or through sudo).
qpm_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Run a command as the user that owns clusters.
qpm_pguser() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Install the Debian packages the build and tests need (only what is missing).
qpm_install_deps() {
	local missing=() p
	for p in $QPM_PACKAGES ${QPM_EXTRA_PACKAGES:-}; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		qpm_log "installing: ${missing[*]}"
		qpm_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
		qpm_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
	fi
}

# Build and install the extension from the top of the tree.
qpm_build_install() {
	local top=$1
	make -C "$top" -s -j2 PG_CONFIG="$QPM_PG_CONFIG" >/dev/null
	qpm_root make -C "$top" -s install PG_CONFIG="$QPM_PG_CONFIG" >/dev/null
}

# A free TCP port on localhost.
qpm_free_port() {
	local port
	for port in $(shuf -i 20000-60000 -n 50); do
		if ! (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then
			echo "$port"; return 0
		fi
	done
	return 1
}

# Start a throwaway cluster: sets QPM_DATA, QPM_PORT, QPM_SOCK, PGHOST, PGPORT.
# Extra postgresql.conf lines come from $QPM_EXTRA_CONF.
qpm_cluster_start() {
	QPM_DATA=$(mktemp -d /tmp/qpm_cluster.XXXXXX)
	QPM_SOCK=$QPM_DATA/sock
	mkdir -p "$QPM_SOCK"
	[ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$QPM_DATA"
	QPM_PORT=$(qpm_free_port)
	qpm_pguser "$QPM_PGBIN/initdb" -D "$QPM_DATA/data" -U postgres -A trust --no-sync -E UTF8 >/dev/null
	qpm_pguser tee -a "$QPM_DATA/data/postgresql.conf" >/dev/null <<CONF
port = $QPM_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$QPM_SOCK'
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = 'all'
pg_stat_statements.max = 10000
fsync = off
${QPM_EXTRA_CONF:-}
CONF
	qpm_pguser "$QPM_PGBIN/pg_ctl" -D "$QPM_DATA/data" -l "$QPM_DATA/server.log" -w start >/dev/null
	export PGHOST=$QPM_SOCK PGPORT=$QPM_PORT PGUSER=postgres
	qpm_log "cluster on port $QPM_PORT ($QPM_DATA)"
}

# Stop and delete the cluster started by qpm_cluster_start.
qpm_cluster_stop() {
	[ -n "${QPM_DATA:-}" ] || return 0
	qpm_pguser "$QPM_PGBIN/pg_ctl" -D "$QPM_DATA/data" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$QPM_DATA"
	QPM_DATA=
}

# Start N throwaway clusters (qpm_cluster_start each, same $QPM_EXTRA_CONF):
# cluster i (from 1) is QPM_DATAS[i], QPM_PORTS[i], QPM_SOCKS[i]; PGHOST and
# PGPORT are left pointing at the last one.  qpm_clusters_stop stops them all.
qpm_clusters_start() {
	local n=$1 i
	QPM_DATAS=(); QPM_PORTS=(); QPM_SOCKS=()
	for ((i = 1; i <= n; i++)); do
		qpm_cluster_start
		QPM_DATAS[i]=$QPM_DATA; QPM_PORTS[i]=$QPM_PORT; QPM_SOCKS[i]=$QPM_SOCK
	done
}

# Stop and delete the clusters started by qpm_clusters_start.
qpm_clusters_stop() {
	local i
	for i in "${!QPM_DATAS[@]}"; do
		QPM_DATA=${QPM_DATAS[i]}
		qpm_cluster_stop
	done
	QPM_DATAS=(); QPM_PORTS=(); QPM_SOCKS=()
}
