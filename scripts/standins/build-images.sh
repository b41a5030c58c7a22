#!/usr/bin/env bash
# Stand-in images for `make test-compose` where no registry is reachable (the project's
# CI). Each carries the name compose.yaml pins (read from .env and the Dockerfiles), but is
# built here from Debian packages, so it proves less than the real image:
#
#   PROMETHEUS_IMAGE    sid's prometheus + promtool    on busybox-static + bookworm glibc
#   ALERTMANAGER_IMAGE  sid's prometheus-alertmanager  on busybox-static + bookworm glibc
#   CADDY_IMAGE         sid's caddy                    on busybox-static + bookworm glibc
#   python base         debootstrap --variant=minbase bookworm, python3 + pip
#   LOCUST_IMAGE        that python base + locust (the version of the pin) from the wheelhouse
#
# Debian's Prometheus and Alertmanager have no web UI, and each version is Debian's, not
# necessarily the pin's. Grafana has no Debian package: no stand-in, and the test leaves it
# out. Each image's Comment (docker image inspect) says it is a stand-in and what it holds;
# STATE_DIR/standins.txt lists them for the test's report.
#
#   build-images.sh STATE_DIR WHEELHOUSE
#     WHEELHOUSE: a folder of wheels (pip download) with locust and its dependencies.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
state="$(cd "${1:?usage: build-images.sh STATE_DIR WHEELHOUSE}" && pwd)"
wheelhouse="$(cd "${2:?usage: build-images.sh STATE_DIR WHEELHOUSE}" && pwd)"
work="$state/standin-build"
manifest="$state/standins.txt"

log() { echo "standin-images: $*" >&2; }

env_value() { # NAME: its value in .env (the pin table)
  sed -n "s/^$1=//p" "$root/.env" | tail -1
}

# The image a Dockerfile builds FROM (both Python Dockerfiles pin the same; a static test
# keeps them equal).
python_base="$(awk '$1 == "FROM" { print $2; exit }' "$root/demo_app/Dockerfile")"
prometheus_image="$(env_value PROMETHEUS_IMAGE)"
alertmanager_image="$(env_value ALERTMANAGER_IMAGE)"
caddy_image="$(env_value CADDY_IMAGE)"
locust_image="$(env_value LOCUST_IMAGE)"
locust_version="${locust_image##*:}"

# shellcheck source=../lib/sid-apt.sh
source "$here/../lib/sid-apt.sh"

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# import TAG ROOTFS MESSAGE CHANGE...: a rootfs folder as a one-layer image.
import() {
  local tag="$1" rootfs="$2" message="$3"
  shift 3
  local changes=()
  for change in "$@"; do changes+=(--change "$change"); done
  tar -C "$rootfs" --numeric-owner -c . | docker import "${changes[@]}" --message "$message" - "$tag" >/dev/null
  log "built $tag: $message"
}

debs="$work/debs"
unpack() { # PACKAGE DEST: the downloaded .deb of PACKAGE unpacked into DEST
  mkdir -p "$2"
  dpkg -x "$(ls "$debs/$1"_*.deb)" "$2"
}

# busybox-static (sh, wget for healthchecks) and glibc, both bookworm's, plus the users the
# real images run as. sid's Go binaries are dynamically linked against glibc.
go_base() { # DEST
  local dest="$1"
  mkdir -p "$dest"/{bin,etc,tmp}
  unpack libc6 "$dest"
  unpack busybox-static "$dest/busybox-deb"
  install -m 0755 "$dest/busybox-deb/bin/busybox" "$dest/bin/busybox"
  rm -rf "$dest/busybox-deb"
  for applet in $("$dest/bin/busybox" --list); do
    [[ -e "$dest/bin/$applet" ]] || ln -s busybox "$dest/bin/$applet"
  done
  chmod 1777 "$dest/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$dest/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$dest/etc/group"
  rm -rf "$dest/usr/share/doc" "$dest/usr/share/lintian"
}

go_debs() { # sid's packages and bookworm's busybox-static and libc6, once per run
  [[ -d "$work/pkgs" ]] && return 0
  mkdir -p "$debs"
  sid_apt_init "$work/apt"
  (cd "$debs" && rm -f ./*.deb && sid_apt download prometheus prometheus-alertmanager caddy)
  # The host's own (bookworm) apt, download only: no system change.
  (cd "$debs" && apt-get -qq download busybox-static libc6 2>/dev/null)
  for pkg in prometheus prometheus-alertmanager caddy; do unpack "$pkg" "$work/pkgs/$pkg"; done
}

deb_version() { # PACKAGE
  dpkg-deb -f "$(ls "$debs/$1"_*.deb)" Version
}

build_prometheus() {
  go_debs
  local fs="$work/prometheus"
  rm -rf "$fs" && go_base "$fs"
  install -m 0755 "$work/pkgs/prometheus/usr/bin/prometheus" "$fs/bin/prometheus"
  mkdir -p "$fs/etc/prometheus" "$fs/prometheus" && chown 65534:65534 "$fs/prometheus"
  import "$prometheus_image" "$fs" \
    "STAND-IN for $prometheus_image: Debian sid prometheus $(deb_version prometheus), no web UI" \
    'USER nobody' 'WORKDIR /prometheus' 'EXPOSE 9090' 'VOLUME ["/prometheus"]' \
    'ENTRYPOINT ["/bin/prometheus"]' \
    'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]'
  rm -rf "$fs"
}

build_alertmanager() {
  go_debs
  local fs="$work/alertmanager" pkg="$work/pkgs/prometheus-alertmanager"
  rm -rf "$fs" && go_base "$fs"
  install -m 0755 "$pkg/usr/bin/prometheus-alertmanager" "$fs/bin/alertmanager"
  install -m 0755 "$pkg/usr/bin/amtool" "$fs/bin/amtool"
  # Debian's build reads its default notification templates from here.
  mkdir -p "$fs/usr/share/prometheus"
  cp -a "$pkg/usr/share/prometheus/alertmanager" "$fs/usr/share/prometheus/"
  mkdir -p "$fs/etc/alertmanager" "$fs/alertmanager" && chown 65534:65534 "$fs/alertmanager"
  import "$alertmanager_image" "$fs" \
    "STAND-IN for $alertmanager_image: Debian sid prometheus-alertmanager $(deb_version prometheus-alertmanager), no web UI" \
    'USER nobody' 'WORKDIR /alertmanager' 'EXPOSE 9093' 'VOLUME ["/alertmanager"]' \
    'ENTRYPOINT ["/bin/alertmanager"]' \
    'CMD ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"]'
  rm -rf "$fs"
}

build_caddy() {
  go_debs
  local fs="$work/caddy"
  rm -rf "$fs" && go_base "$fs"
  mkdir -p "$fs/usr/bin" "$fs/etc/caddy" "$fs/srv"
  install -m 0755 "$work/pkgs/caddy/usr/bin/caddy" "$fs/usr/bin/caddy"
  import "$caddy_image" "$fs" "STAND-IN for $caddy_image: Debian sid caddy $(deb_version caddy) on busybox" \
    'ENV PATH=/usr/bin:/bin' 'ENV XDG_CONFIG_HOME=/config' 'ENV XDG_DATA_HOME=/data' \
    'WORKDIR /srv' 'EXPOSE 80 443' \
    'CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]'
  rm -rf "$fs"
}

# Debian bookworm's python3 (3.11, like the pin; the patch release differs) where the
# Dockerfiles expect the official image's: `python` and `pip` on PATH, pip free to install.
python_rootfs() { # DEST
  local dest="$1" mirror
  mirror="$(sid_apt_mirror)"
  rm -rf "$dest"
  log "debootstrap --variant=minbase bookworm (about a minute)"
  debootstrap --variant=minbase --include=python3,python3-pip bookworm "$dest" "$mirror" \
    >"$work/debootstrap.log" 2>&1 || {
    tail -20 "$work/debootstrap.log" >&2
    return 1
  }
  ln -sf python3 "$dest/usr/bin/python"
  rm -f "$dest"/usr/lib/python3*/EXTERNALLY-MANAGED
  rm -rf "$dest"/var/cache/apt/archives/*.deb "$dest"/var/lib/apt/lists/* \
    "$dest"/usr/share/doc/* "$dest"/usr/share/man/* "$dest"/usr/share/locale/*
}

python_version_of() { # ROOTFS
  chroot "$1" python3 -c 'import platform; print(platform.python_version())'
}
PYTHON_CHANGES=('ENV LANG=C.UTF-8' 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' 'CMD ["python3"]')

build_python_base() {
  local fs="$work/python"
  python_rootfs "$fs"
  import "$python_base" "$fs" \
    "STAND-IN for $python_base: Debian bookworm minbase, python $(python_version_of "$fs")" \
    "${PYTHON_CHANGES[@]}"
  rm -rf "$fs"
}

build_locust() {
  # The python stand-in's files, plus locust from the wheelhouse only (--no-index): PyPI's
  # TLS is not trusted in here either.
  local fs="$work/locust" container
  rm -rf "$fs" && mkdir -p "$fs"
  container="$(docker create "$python_base")"
  docker export "$container" | tar -C "$fs" -x
  docker rm "$container" >/dev/null
  log "installing locust==$locust_version from the wheelhouse"
  mkdir -p "$fs/tmp/wheelhouse"
  cp "$wheelhouse"/* "$fs/tmp/wheelhouse/"
  chroot "$fs" pip install --quiet --no-index --find-links /tmp/wheelhouse --no-cache-dir \
    --root-user-action=ignore "locust==$locust_version"
  rm -rf "$fs/tmp/wheelhouse"
  chroot "$fs" sh -c 'groupadd --gid 1000 locust && useradd --uid 1000 --gid locust --create-home locust'
  import "$locust_image" "$fs" \
    "STAND-IN for $locust_image: locust $locust_version on Debian bookworm's python $(python_version_of "$fs")" \
    "${PYTHON_CHANGES[@]}" 'USER 1000' 'WORKDIR /home/locust' 'EXPOSE 8089 5557' \
    'ENTRYPOINT ["locust"]' 'CMD []'
  rm -rf "$fs"
}

# standin TAG BUILDER: build TAG unless an earlier run did (the data root keeps it), and
# list it with its Comment for the test's report.
standin() {
  local tag="$1" builder="$2"
  if have_image "$tag"; then
    log "reusing $tag (built earlier; remove $state to rebuild)"
  else
    "$builder"
  fi
  printf '%s\t%s\n' "$tag" "$(docker image inspect --format '{{.Comment}}' "$tag")" >>"$manifest.partial"
}

mkdir -p "$work"
rm -f "$manifest.partial"
standin "$prometheus_image" build_prometheus
standin "$alertmanager_image" build_alertmanager
standin "$caddy_image" build_caddy
standin "$python_base" build_python_base
standin "$locust_image" build_locust
# Stand-ins of earlier pins, no longer named anywhere: their disk space back.
if [[ -s "$manifest" ]]; then
  cut -f1 "$manifest" | while read -r old; do
    cut -f1 "$manifest.partial" | grep -qxF "$old" || docker rmi "$old" >/dev/null 2>&1 || true
  done
fi
# Complete only now: an interrupted build leaves the earlier list, or none.
mv "$manifest.partial" "$manifest"
rm -rf "$work"
