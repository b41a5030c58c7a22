# shellcheck shell=bash
# A private apt for Debian sid: download packages from sid on a bookworm machine without
# touching the system's apt configuration. Sourced by scripts/standins/*.sh.
#
# The `deb ... sid main` line is the one scripts/fetch-tools.sh builds (`--debian-line`):
# the mirror the system's own Debian sources name, read at run time and never written into
# the repo. apt gets a private sources list and lists folder under the folder given to
# sid_apt_init; `sid_apt download PKG...` then fetches .deb files into the current folder.
# Nothing is installed: callers unpack with `dpkg -x`.

SID_APT_FETCH_TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/fetch-tools.sh"

# The Debian mirror of that line (for debootstrap), or a reason on stderr and status 1.
sid_apt_mirror() {
  local line
  line="$(bash "$SID_APT_FETCH_TOOLS" --debian-line)" || return 1
  awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' <<<"$line"
}

# sid_apt_init DIR: private apt state in DIR, package lists read once per call.
# Sets SID_APT_OPTS for sid_apt.
sid_apt_init() {
  local apt_dir="$1"
  mkdir -p "$apt_dir/lists/partial"
  bash "$SID_APT_FETCH_TOOLS" --debian-line >"$apt_dir/sources.list" || return 1
  SID_APT_OPTS=(
    -o "Dir::Etc::SourceList=$apt_dir/sources.list"
    -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$apt_dir/lists"
    -o "Debug::NoLocking=1"
    -o "APT::Sandbox::User=root"
  )
  echo "sid-apt: reading the sid package list (private apt state in $apt_dir)" >&2
  apt-get "${SID_APT_OPTS[@]}" -qq update
}

sid_apt() {
  apt-get "${SID_APT_OPTS[@]}" -qq "$@"
}
