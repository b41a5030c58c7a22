#!/usr/bin/env bash
# The error-storm scenario against a running stack, asserted at the alert receiver:
# drive load, turn the error-storm fault on, wait for a `firing` HighErrorRate notification,
# turn the fault off, wait for the `resolved` one. Exits 0 only if both arrive in time.
#
# Run by .github/workflows/compose-e2e.yml after `docker compose up --wait` (lab profile),
# and usable by hand against any stack:
#   bash tests/compose/e2e_error_storm.sh
# Settings (environment):
#   DEMO_APP_URL, RECEIVER_URL  where the API (the gateway) and the receiver answer
#   DEMO_APP_ADMIN_TOKEN        the admin token; unset, it is read from the demo_app volume
#                               with `docker compose exec`
#   FIRING_DEADLINE_SECONDS, RESOLVED_DEADLINE_SECONDS
# Deadlines: in the lab profile HighErrorRate looks at 30 s of traffic and waits `for: 30s`,
# Alertmanager waits group_wait 10 s (firing) or group_interval 30 s (resolved); a few
# scrape and evaluation intervals (5 s) on top. About 1.5 min each way; 4 min is the bound.
set -euo pipefail

DEMO_APP_URL="${DEMO_APP_URL:-http://127.0.0.1:${DEMO_APP_PORT:-8000}}"
RECEIVER_URL="${RECEIVER_URL:-http://127.0.0.1:${ALERT_RECEIVER_PORT:-5001}}"
FIRING_DEADLINE_SECONDS="${FIRING_DEADLINE_SECONDS:-240}"
RESOLVED_DEADLINE_SECONDS="${RESOLVED_DEADLINE_SECONDS:-240}"
ALERT=HighErrorRate

if [[ -z "${DEMO_APP_ADMIN_TOKEN:-}" ]]; then
  DEMO_APP_ADMIN_TOKEN="$(docker compose exec -T demo_app cat /var/lib/demo_app/admin-token)"
fi

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*"; }

admin() { # method path
  curl -fsS -X "$1" -H "Authorization: Bearer $DEMO_APP_ADMIN_TOKEN" "$DEMO_APP_URL$2" >/dev/null
}

# Steady traffic on an API route that takes injected faults: ~10 requests/s from two loops,
# far above the rule's 0.1 request/s floor. Failures are expected once the fault is on.
drive_load() {
  while true; do
    curl -s -o /dev/null "$DEMO_APP_URL/api/v1/customers/cus_00042" || true
    sleep 0.2
  done
}

# Newest notification for ALERT with this status, received at or after `since`, as
# "received_at" (empty when there is none).
newest() { # status since
  curl -fsS -G "$RECEIVER_URL/api/notifications" \
    --data-urlencode "status=$1" --data-urlencode "alertname=$ALERT" \
    --data-urlencode "since=$2" --data-urlencode "limit=1" |
    python3 -c 'import json, sys; n = json.load(sys.stdin)["notifications"]; print(n[0]["received_at"] if n else "")'
}

wait_for() { # status since deadline_seconds -> prints received_at
  local deadline=$((SECONDS + $3)) seen
  while ((SECONDS < deadline)); do
    seen="$(newest "$1" "$2")"
    if [[ -n "$seen" ]]; then
      printf '%s\n' "$seen"
      return 0
    fi
    sleep 5
  done
  log "no $1 $ALERT notification within $3 s. What the receiver holds:" >&2
  curl -fsS "$RECEIVER_URL/api/notifications" >&2 || true
  log "Faults in force:" >&2
  curl -fsS -H "Authorization: Bearer $DEMO_APP_ADMIN_TOKEN" "$DEMO_APP_URL/admin/faults" >&2 || true
  return 1
}

loaders=()
stop_load() {
  ((${#loaders[@]} == 0)) || kill "${loaders[@]}" 2>/dev/null || true
}
trap stop_load EXIT
drive_load &
loaders+=($!)
drive_load &
loaders+=($!)

started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
log "error-storm on (load running against $DEMO_APP_URL)"
admin POST /admin/faults/presets/error-storm
fired="$(wait_for firing "$started" "$FIRING_DEADLINE_SECONDS")"
log "firing $ALERT received at $fired"

log "faults cleared"
admin DELETE /admin/faults
resolved="$(wait_for resolved "$fired" "$RESOLVED_DEADLINE_SECONDS")"
log "resolved $ALERT received at $resolved"
