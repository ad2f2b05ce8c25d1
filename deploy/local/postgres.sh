#!/usr/bin/env bash
# A throwaway Postgres cluster for newcomers and tests, used when DATABASE_URL / TEST_DATABASE_URL
# are not set. It never touches a system cluster: it runs its own postmaster on a free port of
# 127.0.0.1 with trust auth, from a data folder inside the repo (.local/pg, git-ignored).
#
#   deploy/local/postgres.sh start     start (initdb on first use); prints the URL on stdout
#   deploy/local/postgres.sh stop      stop it
#   deploy/local/postgres.sh url [DB]  print postgres://postgres@127.0.0.1:PORT/DB?sslmode=disable
#   deploy/local/postgres.sh status    running or not, where, which port
#   deploy/local/postgres.sh psql ...  run psql against it (args passed through; -d DB picks a database)
#   deploy/local/postgres.sh destroy   stop and delete the data folder
#
# Only the URL goes to stdout, so `url=$(deploy/local/postgres.sh start)` works; chatter goes to stderr.
#
# Knobs (all optional): HALOSYNC_PG_BIN (folder holding initdb/pg_ctl/postgres),
# HALOSYNC_PG_USER (OS user that owns the cluster when run as root).
set -euo pipefail

log() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$script_dir/../.." && pwd -P)
state="$repo/.local"          # always written by the invoking user
pointer="$state/pg.location"  # where the cluster lives, if not in $state/pg
urlfile="$state/pg.url"       # current URL, read by internal/testdb when TEST_DATABASE_URL is unset
repo_hash=$(printf '%s' "$repo" | sha1sum | cut -c1-12)

# ---------------------------------------------------------------------------------------------
# Where the cluster lives. Default: $repo/.local/pg. When root must hand the cluster to an
# unprivileged user who cannot traverse the repo path (repo under /root), or the socket path
# would be too long for sun_path (~107 bytes), it lives in /tmp/halosync-pg-<hash> and
# .local/pg.location records that.
# ---------------------------------------------------------------------------------------------
base=""
load_base() {
	if [[ -f $pointer ]]; then
		base=$(<"$pointer")
	elif [[ -d $state/pg/data ]]; then
		base="$state/pg"
	fi
}
load_base

set_paths() {
	data="$base/data"
	sock="$base/sock"
	portfile="$base/port"
	logfile="$base/postgres.log"
}

# ---------------------------------------------------------------------------------------------
# Binaries: $HALOSYNC_PG_BIN, the data dir's major version, initdb on PATH, newest
# /usr/lib/postgresql/*/bin (Debian/Ubuntu), /usr/pgsql-*/bin (RHEL). Else apt-get install.
# ---------------------------------------------------------------------------------------------
has_server_bins() { [[ -x $1/initdb && -x $1/pg_ctl && -x $1/postgres ]]; }

find_bins() {
	local d want=""
	if [[ -n ${HALOSYNC_PG_BIN:-} ]]; then
		has_server_bins "$HALOSYNC_PG_BIN" || die "HALOSYNC_PG_BIN=$HALOSYNC_PG_BIN lacks initdb/pg_ctl/postgres"
		echo "$HALOSYNC_PG_BIN"
		return
	fi
	# An existing cluster must be run by binaries of its own major version.
	if [[ -n $base && -f $base/data/PG_VERSION ]]; then
		want=$(<"$base/data/PG_VERSION")
		if has_server_bins "/usr/lib/postgresql/$want/bin"; then
			echo "/usr/lib/postgresql/$want/bin"
			return
		fi
	fi
	if command -v initdb >/dev/null 2>&1; then
		d=$(dirname "$(readlink -f "$(command -v initdb)")")
		if has_server_bins "$d"; then echo "$d"; return; fi
	fi
	for d in $(ls -d /usr/lib/postgresql/*/bin /usr/pgsql-*/bin 2>/dev/null | sort -t/ -k4,4V -r); do
		if has_server_bins "$d"; then echo "$d"; return; fi
	done
	return 1
}

install_postgres() {
	command -v apt-get >/dev/null 2>&1 ||
		die "no Postgres server binaries found and no apt-get; install PostgreSQL (initdb, pg_ctl, postgres) or set HALOSYNC_PG_BIN"
	local sudo=()
	if [[ $(id -u) -ne 0 ]]; then
		command -v sudo >/dev/null 2>&1 || die "Postgres is not installed; run as root or install the 'postgresql' package"
		sudo=(sudo)
	fi
	log "no Postgres server binaries found; installing Debian's 'postgresql' package"
	# The package also starts a system cluster on 5432; ours runs beside it on another port.
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update >&2
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >&2
}

# ---------------------------------------------------------------------------------------------
# Who runs the cluster. Postgres refuses to run as root, so root hands it to an unprivileged
# user: the owner of an existing data dir, $HALOSYNC_PG_USER, the system 'postgres' user, or a
# 'halosync-pg' system user created on the spot.
# ---------------------------------------------------------------------------------------------
pg_user=""
pick_user() {
	[[ $(id -u) -eq 0 ]] || return 0
	if [[ -n $base && -d $base/data ]]; then
		pg_user=$(stat -c %U "$base/data")
		[[ $pg_user != root && $pg_user != UNKNOWN ]] && return 0
	fi
	pg_user=${HALOSYNC_PG_USER:-}
	if [[ -z $pg_user ]]; then
		if id postgres >/dev/null 2>&1; then pg_user=postgres; else pg_user=halosync-pg; fi
	fi
	if ! id "$pg_user" >/dev/null 2>&1; then
		log "creating system user $pg_user to own the local cluster"
		if command -v useradd >/dev/null 2>&1; then
			useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$pg_user"
		else
			adduser --system --no-create-home --group --shell /usr/sbin/nologin "$pg_user" >&2
		fi
	fi
}

# as_pg CMD...: run CMD as the cluster's owner (a no-op switch when not root). fd 9 (the start
# lock) is closed so a postmaster forked from here does not hold the lock for its whole life.
as_pg() { as_pg_ "$@" 9>&-; }
as_pg_() {
	if [[ -z $pg_user ]]; then
		(cd "$base" && "$@")
	elif command -v runuser >/dev/null 2>&1; then
		(cd "$base" && runuser -u "$pg_user" -- "$@")
	elif command -v setpriv >/dev/null 2>&1; then
		(cd "$base" && setpriv --reuid="$pg_user" --regid="$(id -g "$pg_user")" --init-groups -- "$@")
	else
		(cd "$base" && su -s /bin/sh "$pg_user" -c '"$0" "$@"' -- "$@")
	fi
}

# choose_base: first-time placement of the cluster (see above).
choose_base() {
	mkdir -p "$state"
	local candidate="$state/pg"
	if ((${#candidate} + 20 > 100)); then
		log "repo path too long for a unix socket path; using /tmp"
		candidate=""
	elif [[ -n $pg_user ]]; then
		chmod 0755 "$state"
		# Can the unprivileged user reach $state? Needs +x on every ancestor (fails under /root).
		if ! as_pg_probe test -x "$state"; then
			log "user $pg_user cannot traverse $repo; using /tmp"
			candidate=""
		fi
	fi
	if [[ -z $candidate ]]; then
		candidate="/tmp/halosync-pg-$repo_hash"
		printf '%s\n' "$candidate" >"$pointer"
	else
		rm -f "$pointer"
	fi
	base=$candidate
}

# as_pg_probe: like as_pg but from / (the base dir does not exist yet).
as_pg_probe() {
	if command -v runuser >/dev/null 2>&1; then
		(cd / && runuser -u "$pg_user" -- "$@")
	else
		(cd / && su -s /bin/sh "$pg_user" -c '"$0" "$@"' -- "$@")
	fi
}

# ---------------------------------------------------------------------------------------------
# Ports: in use if something accepts a TCP connection on it. Start from a per-repo port so the
# URL is stable across restarts, never 5432.
# ---------------------------------------------------------------------------------------------
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() {
	local start=$((55432 + 0x${repo_hash:0:4} % 1000)) p i
	for ((i = 0; i < 500; i++)); do
		p=$((start + i))
		port_in_use "$p" || { echo "$p"; return 0; }
	done
	die "no free TCP port found on 127.0.0.1 in $start..$((start + 499))"
}

url_for() { printf 'postgres://postgres@127.0.0.1:%s/%s?sslmode=disable\n' "$(<"$portfile")" "${1:-postgres}"; }

is_running() { [[ -f $data/PG_VERSION ]] && as_pg "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1; }

ensure_bins() {
	bin=$(find_bins) || { install_postgres; bin=$(find_bins) || die "still no Postgres server binaries after install"; }
}

do_init() {
	mkdir -p "$base"
	[[ -n $pg_user ]] && chown "$pg_user:" "$base"
	chmod 0700 "$base"
	as_pg mkdir -p "$sock"
	log "initdb $data ($("$bin/postgres" --version))"
	as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --no-locale --no-sync >"$base/initdb.log" 2>&1 ||
		{ cat "$base/initdb.log" >&2; die "initdb failed"; }
	# Throwaway cluster: trade durability for speed, and allow many parallel test connections.
	as_pg tee -a "$data/postgresql.conf" >/dev/null <<-EOF

		# --- halosync local cluster (deploy/local/postgres.sh) ---
		listen_addresses = '127.0.0.1'
		unix_socket_directories = '$sock'
		max_connections = 300
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		log_min_messages = warning
		log_min_duration_statement = -1
	EOF
}

do_start() {
	local try port
	for try in 1 2 3; do
		port=""
		[[ -f $portfile ]] && port=$(<"$portfile")
		if [[ -z $port ]] || port_in_use "$port"; then
			port=$(pick_port)
			as_pg sh -c 'printf "%s\n" "$1" >"$2"' _ "$port" "$portfile"
		fi
		log "starting on 127.0.0.1:$port (log: $logfile)"
		if as_pg "$bin/pg_ctl" start -w -t 60 -D "$data" -l "$logfile" -o "-p $port" >&2; then
			return 0
		fi
		# Lost a race for the port? Pick another one; anything else is fatal.
		if tail -n 20 "$logfile" 2>/dev/null | grep -qi 'could not bind\|address already in use'; then
			as_pg rm -f "$portfile"
			continue
		fi
		tail -n 20 "$logfile" >&2 || true
		die "pg_ctl start failed"
	done
	die "could not start after 3 attempts"
}

cmd=${1:-}
[[ $# -gt 0 ]] && shift

case $cmd in
start)
	mkdir -p "$state"
	# Serialise concurrent `make test` runs so only one initdb/start happens.
	exec 9>"$state/pg.lock"
	command -v flock >/dev/null 2>&1 && flock 9
	load_base # another start may have placed the cluster while we waited
	pick_user
	[[ -n $base ]] || choose_base
	set_paths
	ensure_bins
	[[ -n $pg_user && -d $base ]] && chown "$pg_user:" "$base"
	[[ -f $data/PG_VERSION ]] || do_init
	if is_running; then
		log "already running"
	else
		do_start
	fi
	url_for | tee "$urlfile"
	;;
stop)
	[[ -n $base ]] || base="$state/pg"
	set_paths
	[[ -f $data/PG_VERSION ]] || { log "no cluster at $base"; exit 0; }
	pick_user
	ensure_bins
	rm -f "$urlfile"
	if is_running; then
		as_pg "$bin/pg_ctl" stop -w -m fast -D "$data" >&2
	else
		log "not running"
	fi
	;;
url)
	[[ -n $base ]] || base="$state/pg"
	set_paths
	[[ -f $portfile ]] || die "no local cluster yet; run: $0 start"
	url_for "${1:-}"
	;;
status)
	[[ -n $base ]] || base="$state/pg"
	set_paths
	if [[ ! -f $data/PG_VERSION ]]; then
		echo "not initialised (would live in $base)"
		exit 3
	fi
	pick_user
	ensure_bins
	if is_running; then
		echo "running: $(url_for)"
		echo "data: $data  log: $logfile  owner: ${pg_user:-$(id -un)}  binaries: $bin"
	else
		echo "stopped (data: $data)"
		exit 3
	fi
	;;
psql)
	[[ -n $base ]] || base="$state/pg"
	set_paths
	[[ -f $portfile ]] || die "no local cluster yet; run: $0 start"
	psql_bin=$(command -v psql || true)
	if [[ -z $psql_bin ]]; then
		ensure_bins
		psql_bin="$bin/psql"
	fi
	# Via PG* variables rather than a URL argument, so `psql -d otherdb` still reaches this cluster.
	PGHOST=127.0.0.1 PGPORT=$(<"$portfile") PGUSER=postgres PGDATABASE=postgres PGSSLMODE=disable \
		exec "$psql_bin" "$@"
	;;
destroy)
	bash "$0" stop || true
	[[ -n $base ]] || base="$state/pg"
	log "removing $base"
	rm -rf "$base" "$pointer" "$urlfile"
	;;
*)
	echo "usage: $0 start|stop|url [db]|status|psql [args]|destroy" >&2
	exit 2
	;;
esac
