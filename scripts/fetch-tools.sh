#!/usr/bin/env bash
# Fetch the real Prometheus (with promtool) and Alertmanager into .tools/, without
# touching the system's apt configuration.
#
# Why Debian sid: it carries Prometheus 3.5 LTS and Alertmanager 0.33, the same
# releases compose.yaml pins, as statically linked Go binaries that run on bookworm.
# apt is pointed at a private sources list and a private lists folder, built from the
# mirror that the system's own deb822 sources already name (read at run time, never
# written into the repo). Packages are unpacked with `dpkg -x`; nothing is installed.
#
# Idempotent: does nothing when the binaries are present and at the wanted versions.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${PLAYGROUND_TOOLS_DIR:-$ROOT/.tools}"
# Upstream release lines this project is tested against; compose.yaml pins the same.
PROMETHEUS_SERIES="3.5."
ALERTMANAGER_SERIES="0.33."

bin_dir="$TOOLS_DIR/bin"
have_version() { # binary, expected series
  [[ -x "$bin_dir/$1" ]] && "$bin_dir/$1" --version 2>&1 | head -1 | grep -q "version $2"
}
if have_version prometheus "$PROMETHEUS_SERIES" && have_version promtool "$PROMETHEUS_SERIES" \
  && have_version alertmanager "$ALERTMANAGER_SERIES" && [[ -x "$bin_dir/amtool" ]]; then
  exit 0
fi

sources_file="$(ls /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 || true)"
mirror=""
if [[ -n "$sources_file" ]]; then
  # First URIs: line of the deb822 file that names a Debian archive (not -security).
  mirror="$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$sources_file")"
fi
if [[ -z "$mirror" && -f /etc/apt/sources.list ]]; then
  mirror="$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' /etc/apt/sources.list)"
fi
if [[ -z "$mirror" ]]; then
  echo "fetch-tools: no Debian mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list." >&2
  echo "fetch-tools: install Prometheus 3.5.x, promtool, Alertmanager 0.33.x and amtool yourself and put them in $bin_dir." >&2
  exit 1
fi

apt_dir="$TOOLS_DIR/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/debs" "$bin_dir"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
echo "deb [signed-by=$keyring] $mirror sid main" >"$apt_dir/sources.list"
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
install -m 0755 "$unpacked/usr/bin/prometheus" "$bin_dir/prometheus"
install -m 0755 "$unpacked/usr/bin/promtool" "$bin_dir/promtool"
install -m 0755 "$unpacked/usr/bin/prometheus-alertmanager" "$bin_dir/alertmanager"
install -m 0755 "$unpacked/usr/bin/amtool" "$bin_dir/amtool"
rm -rf "$unpacked"

for pair in "prometheus $PROMETHEUS_SERIES" "promtool $PROMETHEUS_SERIES" "alertmanager $ALERTMANAGER_SERIES"; do
  set -- $pair
  if ! have_version "$1" "$2"; then
    echo "fetch-tools: $1 is not at version $2x: $("$bin_dir/$1" --version 2>&1 | head -1)" >&2
    exit 1
  fi
done
echo "fetch-tools: $("$bin_dir/prometheus" --version | head -1); $("$bin_dir/alertmanager" --version | head -1)" >&2
