#!/usr/bin/env bash
# Installs the tools some tests drive, the way deploy/local/postgres.sh installs Postgres: use what is on
# PATH, else install Debian's package with apt-get (as root, or through sudo).
#
#   deploy/local/tools.sh chromium   headless Chromium for the /status browser test (package 'chromium')
#   deploy/local/tools.sh promtool   Prometheus' rule checker for deploy/prometheus (package 'prometheus')
#   deploy/local/tools.sh all        both
#
# Prints the path of each tool on stdout; chatter goes to stderr. `make test` runs `all` first, so a clean
# clone on Debian/Ubuntu needs nothing installed by hand. Knobs: HALOSYNC_CHROMIUM, HALOSYNC_PROMTOOL
# (paths that win over PATH).
set -euo pipefail

log() { printf 'tools.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

find_chromium() {
	local c
	for c in "${HALOSYNC_CHROMIUM:-}" chromium chromium-browser google-chrome-stable google-chrome; do
		[[ -n $c ]] || continue
		if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
	done
	return 1
}

find_promtool() {
	local c
	for c in "${HALOSYNC_PROMTOOL:-}" promtool; do
		[[ -n $c ]] || continue
		if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
	done
	return 1
}

apt_install() {
	command -v apt-get >/dev/null 2>&1 || die "$1 is not installed and there is no apt-get; install Debian's '$1' package (or its equivalent) by hand"
	local sudo=()
	if [[ $(id -u) -ne 0 ]]; then
		command -v sudo >/dev/null 2>&1 || die "$1 is not installed; run as root or install the '$1' package"
		sudo=(sudo)
	fi
	log "installing Debian's '$1' package"
	# Another apt may hold the lock (a parallel install): wait for it rather than fail.
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update >&2
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "$1" >&2
	if [[ $1 == prometheus ]]; then
		# Debian ships promtool only in the server's package, which enables a prometheus service on
		# systemd hosts. The tests need promtool alone.
		log "installed for promtool; on a systemd host 'systemctl disable --now prometheus' stops the server it ships"
	fi
}

ensure() {
	case $1 in
	chromium) find_chromium || { apt_install chromium; find_chromium || die "still no chromium after install"; } ;;
	promtool) find_promtool || { apt_install prometheus; find_promtool || die "still no promtool after install"; } ;;
	*) die "unknown tool $1 (chromium, promtool, all)" ;;
	esac
}

case ${1:-all} in
all) ensure chromium; ensure promtool ;;
*) ensure "$1" ;;
esac
