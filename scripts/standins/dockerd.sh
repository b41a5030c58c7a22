#!/usr/bin/env bash
# A private Docker engine for `make test-compose` on a root Debian machine without a
# container registry (the project's CI). Never run on a user's machine unasked: only
# scripts/test-compose.sh calls it, and only when PLAYGROUND_COMPOSE_STANDINS=1.
#
#   dockerd.sh start STATE_DIR   install docker.io if missing (apt), fetch Compose v2 from
#                                sid as a CLI plugin, start dockerd; prints the environment
#                                (DOCKER_HOST, DOCKER_CONFIG) to eval
#   dockerd.sh stop STATE_DIR    stop that dockerd and give the machine back what it
#                                changed: docker0 and other bridges, iptables, ip_forward
#
# Everything dockerd writes lives under STATE_DIR: --data-root, --exec-root (with its own
# containerd), the pidfile and the unix socket. The system's dockerd, if any, is untouched.
#
# Which client: whichever `docker` is first on PATH. A newer CLI (e.g. 28.x) negotiates
# down to this daemon's API 1.41 and works for what the tests use (compose, inspect, top,
# kill, import, exec), but its own `docker build` demands buildx; nothing here needs it, as
# Compose builds through the daemon's BuildKit (and passes build secrets) by itself.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
action="${1:?usage: dockerd.sh start|stop STATE_DIR}"
state="${2:?usage: dockerd.sh start|stop STATE_DIR}"
mkdir -p "$state"
state="$(cd "$state" && pwd)"
socket="$state/docker.sock"
pidfile="$state/dockerd.pid"
before="$state/host-before"

log() { echo "standin-dockerd: $*" >&2; }

save_host_state() {
  mkdir -p "$before"
  cat /proc/sys/net/ipv4/ip_forward >"$before/ip_forward"
  ip -o link show type bridge | awk -F': ' '{ print $2 }' | sort >"$before/bridges"
  for table in filter nat; do
    iptables-save -t "$table" >"$before/iptables-$table"
  done
}

restore_host_state() {
  [[ -d "$before" ]] || return 0
  # Bridges dockerd made (docker0, br-<network id>): dockerd leaves them behind.
  ip -o link show type bridge | awk -F': ' '{ print $2 }' | sort \
    | comm -13 "$before/bridges" - | while read -r bridge; do
      ip link delete "$bridge" 2>/dev/null && log "removed bridge $bridge"
    done
  # Its chains (DOCKER, DOCKER-USER, DOCKER-ISOLATION-STAGE-*) and rules, in both tables.
  for table in filter nat; do
    iptables-restore -T "$table" <"$before/iptables-$table"
  done
  cat "$before/ip_forward" >/proc/sys/net/ipv4/ip_forward
  log "restored ip_forward=$(cat "$before/ip_forward"), iptables filter and nat tables"
  rm -rf "$before"
}

install_engine() {
  if ! command -v dockerd >/dev/null || ! command -v iptables >/dev/null; then
    log "installing Debian's docker.io with apt (asked for by PLAYGROUND_COMPOSE_STANDINS=1)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      docker.io >&2
  fi
}

# Debian sid's docker-compose (v2, a Go binary linked only against libc) as a CLI plugin
# of a private DOCKER_CONFIG, so the user's ~/.docker is not touched.
install_compose_plugin() {
  local plugin="$state/config/cli-plugins/docker-compose"
  [[ -x "$plugin" ]] && return 0
  # shellcheck source=../lib/sid-apt.sh
  source "$here/../lib/sid-apt.sh"
  sid_apt_init "$state/apt"
  mkdir -p "$state/apt/debs" "$(dirname "$plugin")"
  (cd "$state/apt/debs" && rm -f ./*.deb && sid_apt download docker-compose)
  rm -rf "$state/apt/root"
  dpkg -x "$state"/apt/debs/docker-compose_*.deb "$state/apt/root"
  install -m 0755 "$state/apt/root/usr/libexec/docker/cli-plugins/docker-compose" "$plugin"
  rm -rf "$state/apt/root"
}

start() {
  install_engine
  install_compose_plugin
  if [[ -S "$socket" ]] && DOCKER_HOST="unix://$socket" docker version >/dev/null 2>&1; then
    log "already running on $socket"
  else
    save_host_state
    mkdir -p "$state/data" "$state/exec"
    log "starting dockerd $(dockerd --version | awk '{ print $3 }' | tr -d ,) on $socket"
    dockerd --data-root "$state/data" --exec-root "$state/exec" --pidfile "$pidfile" \
      --host "unix://$socket" >"$state/dockerd.log" 2>&1 &
    local deadline=$((SECONDS + 60))
    until DOCKER_HOST="unix://$socket" docker version >/dev/null 2>&1; do
      if ((SECONDS > deadline)) || ! kill -0 $! 2>/dev/null; then
        log "dockerd did not come up; its log:"
        tail -30 "$state/dockerd.log" >&2
        stop
        exit 1
      fi
      sleep 0.5
    done
  fi
  echo "export DOCKER_HOST=unix://$socket"
  echo "export DOCKER_CONFIG=$state/config"
}

stop() {
  if [[ -s "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    local pid
    pid="$(cat "$pidfile")"
    log "stopping dockerd (pid $pid)"
    kill -TERM "$pid"
    local deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null; do
      if ((SECONDS > deadline)); then
        log "dockerd ignored SIGTERM for 30 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
      fi
      sleep 0.5
    done
  fi
  restore_host_state
}

case "$action" in
start) start ;;
stop) stop ;;
*)
  echo "usage: dockerd.sh start|stop STATE_DIR" >&2
  exit 2
  ;;
esac
