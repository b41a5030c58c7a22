#!/usr/bin/env bash
# `make test-compose`: compose.yaml, unmodified, brought up and checked for real
# (tests/compose_live/).
#
# With a Docker engine that can pull (Docker Desktop, Docker Engine + Compose v2, GitHub's
# runners): the real, pinned images. Nothing is installed.
#
# With PLAYGROUND_COMPOSE_STANDINS=1 (set by .ci/run; root on Debian, no registry): a
# private dockerd (scripts/standins/dockerd.sh, installing Debian's docker.io if missing)
# and stand-in images built from Debian packages under the pinned names
# (scripts/standins/build-images.sh). Never set it on a machine of your own: it installs
# packages. Everything lives in .run/docker/ and the daemon is stopped at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

python=.venv/bin/python
state=.run/docker
standins="${PLAYGROUND_COMPOSE_STANDINS:-0}"
index_pid=""

cleanup() {
  if [[ -n "$index_pid" ]]; then kill "$index_pid" 2>/dev/null || true; fi
  if [[ "$standins" == 1 ]]; then bash scripts/standins/dockerd.sh stop "$state"; fi
}

if [[ "$standins" == 1 ]]; then
  trap cleanup EXIT
  eval "$(bash scripts/standins/dockerd.sh start "$state")"

  # The wheels every image build needs, fetched by the host's pip (whose TLS works), served
  # as a package index on the bridge's address, where build containers reach the host.
  locust_version="$(sed -n 's/^LOCUST_IMAGE=.*://p' .env | tail -1)"
  echo "test-compose: downloading the wheelhouse (requirements.txt, locust==$locust_version)" >&2
  "$python" -m pip download --quiet --disable-pip-version-check --only-binary=:all: \
    -d "$state/wheelhouse" -r requirements.txt "locust==$locust_version"
  "$python" scripts/standins/wheel_index.py "$state/wheelhouse" "$state/index"
  bridge_ip="$(ip -4 -o addr show docker0 | awk '{ split($4, a, "/"); print a[1]; exit }')"
  index_port="$("$python" -c 'import socket, sys; s = socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "$bridge_ip")"
  "$python" -m http.server --bind "$bridge_ip" --directory "$state/index" "$index_port" \
    >"$state/index.log" 2>&1 &
  index_pid=$!
  # The build arguments a user behind a proxy sets (docs/compose.md), pointed at it.
  export PIP_INDEX_URL="http://$bridge_ip:$index_port/simple/"
  export PIP_TRUSTED_HOST="$bridge_ip"

  bash scripts/standins/build-images.sh "$state" "$state/wheelhouse"
  export PLAYGROUND_COMPOSE_STANDINS_LIST="$PWD/$state/standins.txt"
elif ! docker compose version >/dev/null 2>&1; then
  cat >&2 <<'MSG'
test-compose: no Docker engine with Compose v2 here (`docker compose version` failed).
  Install Docker Desktop or Docker Engine with the compose plugin, then run it again.
  (The project's CI builds stand-in images on a Debian machine without a registry with
  PLAYGROUND_COMPOSE_STANDINS=1; that installs packages as root, so it is not for laptops.)
MSG
  exit 1
fi

export PLAYGROUND_TEST_COMPOSE=1
"$python" -m pytest tests/compose_live -p no:cacheprovider "$@"
