#!/usr/bin/env bash
# Fetch the real Prometheus (with promtool) and Alertmanager into .tools/, without
# touching the system's apt configuration.
#
# Why Debian sid: it carries Prometheus 3.x and Alertmanager 0.x as statically linked Go
# binaries that run on bookworm. apt is pointed at a private sources list and a private
# lists folder, built from the mirror that the system's own deb822 sources already name
# (read at run time, never written into the repo). Packages are unpacked with `dpkg -x`;
# nothing is installed.
#
# Which versions: sid moves on by itself, so this accepts any release from the minimums in
# .env (PROMETHEUS_MIN_VERSION, ALERTMANAGER_MIN_VERSION) within the same major version,
# the range Prometheus's stability guarantees cover (configuration, rule files, PromQL and
# the v1 HTTP API are stable within 3.x), and prints what it got.
#
# Idempotent: does nothing when the binaries are present at accepted versions.
#   fetch-tools.sh --accepts NAME VERSION   exit 0 if VERSION of NAME (prometheus or
#                                           alertmanager) is accepted, else say why
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${PLAYGROUND_TOOLS_DIR:-$ROOT/.tools}"

# The minimum of each tool, from the version table in .env (the one source).
env_value() { # variable
  sed -n "s/^$1=//p" "$ROOT/.env" | tail -1
}
PROMETHEUS_MIN="${PROMETHEUS_MIN_VERSION:-$(env_value PROMETHEUS_MIN_VERSION)}"
ALERTMANAGER_MIN="${ALERTMANAGER_MIN_VERSION:-$(env_value ALERTMANAGER_MIN_VERSION)}"

# accepts NAME VERSION: the same major as the minimum, and not older than it.
accepts() {
  local name="$1" version="$2" minimum
  case "$name" in
    prometheus | promtool) minimum="$PROMETHEUS_MIN" ;;
    alertmanager | amtool) minimum="$ALERTMANAGER_MIN" ;;
    *) echo "fetch-tools: unknown tool $name" >&2 && return 2 ;;
  esac
  if [[ ! "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]]; then
    echo "fetch-tools: $name: no version in ${version:-(nothing)}" >&2
    return 1
  fi
  local v_major="${version%%.*}" m_major="${minimum%%.*}"
  if [[ "$v_major" != "$m_major" ]]; then
    echo "fetch-tools: $name $version is not a $m_major.x release (from $minimum on); its configs may differ" >&2
    return 1
  fi
  # sort -V puts the smaller first: the minimum must come first (or be equal).
  if [[ "$(printf '%s\n%s\n' "$minimum" "${BASH_REMATCH[0]}" | sort -V | head -1)" != "$minimum" ]]; then
    echo "fetch-tools: $name $version is older than $minimum" >&2
    return 1
  fi
}

if [[ "${1:-}" == "--accepts" ]]; then
  accepts "${2:?name}" "${3:?version}"
  exit
fi

bin_dir="$TOOLS_DIR/bin"
version_of() { # binary: its release, e.g. 3.5.3, or nothing
  [[ -x "$bin_dir/$1" ]] || return 0
  "$bin_dir/$1" --version 2>&1 | head -1 | sed -n 's/.*version \([0-9][0-9.]*\).*/\1/p'
}
have_accepted() { # binary
  local version
  version="$(version_of "$1")"
  [[ -n "$version" ]] && accepts "$1" "$version" 2>/dev/null
}

# Debian's packages only on Debian: Ubuntu's mirrors have no `sid` suite and Ubuntu lacks
# Debian's keyring, so a line built from an Ubuntu sources file could never work.
# PLAYGROUND_OS_RELEASE and PLAYGROUND_APT_DIR exist for the tests.
OS_RELEASE="${PLAYGROUND_OS_RELEASE:-/etc/os-release}"
APT_DIR="${PLAYGROUND_APT_DIR:-/etc/apt}"
KEYRING="${PLAYGROUND_DEBIAN_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}"

# debian_line: the private `deb ... sid main` line, from the mirror the system's own apt
# sources name, or a reason on stderr and status 1.
debian_line() {
  local id mirror=""
  id="$(sed -n 's/^ID=//p' "$OS_RELEASE" 2>/dev/null | tr -d '"')"
  if [[ "$id" != "debian" ]]; then
    echo "fetch-tools: this is ${id:-an unknown system}, not Debian: Debian's packages are not used here" >&2
    return 1
  fi
  if [[ ! -r "$KEYRING" ]]; then
    echo "fetch-tools: Debian's archive keyring $KEYRING is missing" >&2
    return 1
  fi
  local sources
  for sources in "$APT_DIR"/sources.list.d/*.sources; do
    [[ -r "$sources" ]] || continue
    # The first URIs: of a stanza signed by Debian's keyring, not the security archive.
    mirror="$(awk -v keyring="$KEYRING" '
      function flush() { if (uri != "" && signed && mirror == "") mirror = uri; uri = ""; signed = 0 }
      /^[[:space:]]*$/ { flush(); next }
      /^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { uri = $i; break } }
      /^Signed-By:/ && index($0, keyring) { signed = 1 }
      END { flush(); print mirror }' "$sources")"
    [[ -n "$mirror" ]] && break
  done
  if [[ -z "$mirror" && -r "$APT_DIR/sources.list" ]]; then
    mirror="$(awk '$1 == "deb" && $0 !~ /security/ && $0 ~ /debian/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' "$APT_DIR/sources.list")"
  fi
  if [[ -z "$mirror" ]]; then
    echo "fetch-tools: no Debian mirror in $APT_DIR/sources.list.d/*.sources or $APT_DIR/sources.list" >&2
    return 1
  fi
  echo "deb [signed-by=$KEYRING] $mirror sid main"
}

if [[ "${1:-}" == "--debian-line" ]]; then
  debian_line
  exit
fi

# Which source: official release archives first (web UIs, Grafana), Debian's packages when
# those cannot be reached and this is Debian. PLAYGROUND_TOOLS_SOURCE=official|debian forces one.
SOURCE="${PLAYGROUND_TOOLS_SOURCE:-auto}"
case "$SOURCE" in auto | official | debian) ;; *)
  echo "fetch-tools: PLAYGROUND_TOOLS_SOURCE must be official, debian or empty, not $SOURCE" >&2
  exit 2
  ;;
esac
PYTHON_BIN="${PLAYGROUND_PYTHON:-$ROOT/.venv/bin/python}"
source_file="$TOOLS_DIR/source"
installed_source="$(cat "$source_file" 2>/dev/null || true)"
DEBIAN_LACKS="Debian's builds have no web UIs (Graph, Alerts, Targets pages) and there is no Grafana"

# at_the_pins: every official archive of .env's pins is unpacked under dist/.
at_the_pins() {
  local pin
  for pin in $(cd "$ROOT" && "$PYTHON_BIN" -m playground.native.downloads --print-versions); do
    [[ -d "$TOOLS_DIR/dist/${pin%%=*}-${pin#*=}" ]] || return 1
  done
}

# Already installed and acceptable: say so and touch no network. Official archives are
# kept at the pins of .env; Debian's are kept at any accepted version (sid moves on).
if have_accepted prometheus && have_accepted promtool && have_accepted alertmanager \
  && [[ -x "$bin_dir/amtool" ]]; then
  if [[ "$installed_source" == "official" && "$SOURCE" != "debian" ]] && at_the_pins; then
    echo "fetch-tools: using the official Prometheus $(version_of prometheus) and Alertmanager $(version_of alertmanager) in $bin_dir" >&2
    exit 0
  fi
  if [[ "$installed_source" != "official" && "$SOURCE" != "official" ]]; then
    echo "fetch-tools: using Debian's Prometheus $(version_of prometheus) and Alertmanager $(version_of alertmanager) in $bin_dir" >&2
    echo "fetch-tools: $DEBIAN_LACKS; PLAYGROUND_TOOLS_SOURCE=official make setup tries the official archives again" >&2
    exit 0
  fi
fi

if [[ "$SOURCE" != "debian" ]]; then
  status=0
  (cd "$ROOT" && "$PYTHON_BIN" -m playground.native.downloads) || status=$?
  if [[ $status -eq 0 ]]; then
    exit 0
  fi
  # 3: unreachable, 6: no official build for this platform. Anything else (a checksum
  # mismatch, a broken download) is an error to fix, not a reason to switch source.
  if [[ "$SOURCE" == "official" || ($status -ne 3 && $status -ne 6) ]]; then
    echo "fetch-tools: the official archives were not installed (status $status); see above" >&2
    exit 1
  fi
  echo "fetch-tools: the official archives cannot be reached from here; trying Debian's packages" >&2
fi

if ! line="$(debian_line)"; then
  echo "fetch-tools: install Prometheus (3.x from $PROMETHEUS_MIN), promtool, Alertmanager (0.x from $ALERTMANAGER_MIN) and amtool yourself and put them in $bin_dir, or make the official archives reachable (HTTPS_PROXY, PLAYGROUND_CA_BUNDLE)." >&2
  exit 1
fi

apt_dir="$TOOLS_DIR/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/debs" "$bin_dir"
echo "$line" >"$apt_dir/sources.list"
apt_opts=(
  -o "Dir::Etc::SourceList=$apt_dir/sources.list"
  -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=root"
)
echo "fetch-tools: reading the sid package list (private apt state in $apt_dir)" >&2
apt-get "${apt_opts[@]}" -qq update
(cd "$apt_dir/debs" && rm -f ./*.deb && apt-get "${apt_opts[@]}" -qq download prometheus promtool prometheus-alertmanager)

unpacked="$apt_dir/root"
rm -rf "$unpacked"
for deb in "$apt_dir"/debs/*.deb; do dpkg -x "$deb" "$unpacked"; done
# Replace links to official archives, never write through them.
rm -f "$bin_dir/prometheus" "$bin_dir/promtool" "$bin_dir/alertmanager" "$bin_dir/amtool" "$bin_dir/grafana"
install -m 0755 "$unpacked/usr/bin/prometheus" "$bin_dir/prometheus"
install -m 0755 "$unpacked/usr/bin/promtool" "$bin_dir/promtool"
install -m 0755 "$unpacked/usr/bin/prometheus-alertmanager" "$bin_dir/alertmanager"
install -m 0755 "$unpacked/usr/bin/amtool" "$bin_dir/amtool"
rm -rf "$unpacked"

for binary in prometheus promtool alertmanager; do
  if ! accepts "$binary" "$(version_of "$binary")"; then
    echo "fetch-tools: Debian's $binary is not usable here: $("$bin_dir/$binary" --version 2>&1 | head -1)" >&2
    exit 1
  fi
done
echo "debian" >"$source_file"
echo "fetch-tools: got Prometheus $(version_of prometheus) and Alertmanager $(version_of alertmanager) from Debian sid" >&2
echo "fetch-tools: $DEBIAN_LACKS" >&2
