#!/usr/bin/env bash
# `make demo`: a complete halosync on this machine, no Halo account needed.
#   1. builds bin/halosync
#   2. uses DATABASE_URL, or the throwaway local cluster (deploy/local/postgres.sh) with a `halosync` database
#   3. applies the migrations
#   4. serves a fake Halo (generated medium tenant) on 127.0.0.1:8089 in the background, delivering signed
#      webhooks to the worker
#   5. `halosync check`, then the first sync with its progress (`halosync sync --once`)
#   6. prints what to try next and runs the worker in the foreground until Ctrl-C; the fake Halo is stopped
#      on exit
# The fake and the worker share a generous request budget (DEMO_RATE, default 6000/5m) so the first sync of
# the medium tenant takes about a minute instead of Halo's real 300 requests per 5 minutes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

FAKE_ADDR=${FAKE_ADDR:-127.0.0.1:8089}
DEMO_RATE=${DEMO_RATE:-6000/5m}
DEMO_SIZE=${DEMO_SIZE:-medium} # the fake tenant: small, medium or large
DEMO_ONCE=${DEMO_ONCE:-}       # non-empty: stop after the first sync instead of running the worker (tests)
export HALOSYNC_HTTP_ADDR=${HALOSYNC_HTTP_ADDR:-127.0.0.1:8080}
export HALOSYNC_ADMIN_USER=${HALOSYNC_ADMIN_USER:-admin}
export HALOSYNC_ADMIN_PASSWORD=${HALOSYNC_ADMIN_PASSWORD:-demo}
export HALO_WEBHOOK_SECRET=${HALO_WEBHOOK_SECRET:-demo-webhook-secret}
export HALO_RATE_LIMIT=$DEMO_RATE
# Halo is the demo's fake, over plain http: every command (migrate included) checks the settings, and the
# demo's own secrets are accepted only with it.
export HALO_RESOURCE_SERVER="http://$FAKE_ADDR"
export HALO_CLIENT_ID=halosync-demo
export HALO_CLIENT_SECRET=demo-secret
export HALOSYNC_LOG_LEVEL=${HALOSYNC_LOG_LEVEL:-info}
pg=(bash deploy/local/postgres.sh)

echo "==> building bin/halosync"
make --no-print-directory build

if [[ -z ${DATABASE_URL:-} ]]; then
	echo "==> DATABASE_URL not set: using the local cluster (deploy/local/postgres.sh)"
	"${pg[@]}" start >/dev/null
	if [[ $("${pg[@]}" psql -qtAc "SELECT 1 FROM pg_database WHERE datname = 'halosync'") != 1 ]]; then
		"${pg[@]}" psql -qc 'CREATE DATABASE halosync'
	fi
	DATABASE_URL=$("${pg[@]}" url halosync)
fi
export DATABASE_URL
echo "    DATABASE_URL=$DATABASE_URL"

echo "==> bin/halosync migrate"
bin/halosync migrate

echo "==> fake Halo on http://$FAKE_ADDR ($DEMO_SIZE tenant; webhooks to http://$HALOSYNC_HTTP_ADDR/webhooks/halo)"
bin/halosync fakehalo --addr "$FAKE_ADDR" --size "$DEMO_SIZE" --rate-limit "$DEMO_RATE" \
	--webhook-url "http://$HALOSYNC_HTTP_ADDR/webhooks/halo" &
fake_pid=$!
trap 'kill "$fake_pid" 2>/dev/null || true; wait "$fake_pid" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM

# Wait until it accepts connections (or died).
host=${FAKE_ADDR%:*} port=${FAKE_ADDR##*:}
for ((i = 0; ; i++)); do
	if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then break; fi
	kill -0 "$fake_pid" 2>/dev/null || { echo "fake Halo exited; see its output above" >&2; exit 1; }
	((i < 300)) || { echo "fake Halo did not listen on $FAKE_ADDR within 30s" >&2; exit 1; }
	sleep 0.1
done


echo "==> bin/halosync check (token, then one cheap request per entity)"
bin/halosync check

echo "==> first sync with progress: bin/halosync sync --once"
bin/halosync sync --once
if [[ -n $DEMO_ONCE ]]; then
	echo "==> DEMO_ONCE set: stopping after the first sync"
	exit 0
fi

psql_cmd="psql '$DATABASE_URL'"
cat <<MSG

==> starting the worker (Ctrl-C stops it and the fake Halo). Things to try in another terminal:

  Status page (lag, budget, breakers): http://$HALOSYNC_HTTP_ADDR/status
  River UI (jobs, retries, schedule):   http://$HALOSYNC_HTTP_ADDR/riverui/
                                        user $HALOSYNC_ADMIN_USER, password $HALOSYNC_ADMIN_PASSWORD
  Health / metrics:                     http://$HALOSYNC_HTTP_ADDR/readyz   http://$HALOSYNC_HTTP_ADDR/metrics

  What got synced:
    $psql_cmd -c "SELECT count(*), max(synced_at) FROM halo.tickets"
    $psql_cmd -c "SELECT id, summary, client_name, status_id, halo_updated_at FROM halo.tickets ORDER BY halo_updated_at DESC LIMIT 10"
    $psql_cmd -c "SELECT entity, mode, started_at, fetched, inserted, updated, error FROM halosync.runs ORDER BY id DESC LIMIT 10"

  Edit a ticket in Postgres; the worker pushes the change to (fake) Halo:
    $psql_cmd -c "UPDATE halo.tickets SET summary = summary || ' (edited in Postgres)' WHERE id = (SELECT min(id) FROM halo.tickets WHERE deleted_at IS NULL)"

  Follow it (pending until pushed, then gone):
    DATABASE_URL='$DATABASE_URL' bin/halosync pushes

  A change in (fake) Halo reaches the mirror by webhook in about a second (the worker logs "webhook accepted"):
    token=\$(curl -s -A demo -d 'grant_type=client_credentials&client_id=halosync-demo&client_secret=demo-secret&scope=all' http://$FAKE_ADDR/auth/token | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
    curl -s -A demo -H "Authorization: Bearer \$token" -H 'Content-Type: application/json' -d '[{"id": 2, "summary": "changed in Halo"}]' http://$FAKE_ADDR/api/Tickets
    $psql_cmd -c "SELECT id, summary, synced_at FROM halo.tickets WHERE id = 2"

  Sync state per entity, jobs, conflicts:
    DATABASE_URL='$DATABASE_URL' bin/halosync status
    DATABASE_URL='$DATABASE_URL' bin/halosync jobs list --limit 10
    DATABASE_URL='$DATABASE_URL' bin/halosync conflicts

MSG

bin/halosync worker
