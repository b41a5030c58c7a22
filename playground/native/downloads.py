"""Official release archives of Prometheus, Alertmanager and Grafana OSS, into .tools/.

Each archive is checked against the checksum its release publishes before anything is
unpacked; a mismatch is refused and the file deleted. Nothing half-done is ever installed:
an archive is downloaded to ``<name>.part`` (resumed with an HTTP Range request when a
retry finds one), unpacked into a staging folder inside the tools folder, and only then
moved into place, each binary link replaced in one rename.

Where the URLs and checksum files come from (primary sources, not guesses):

- Prometheus and Alertmanager are released by promu: one GitHub release per tag
  ``v<version>`` holding ``<project>-<version>.<os>-<arch>.tar.gz`` and ``sha256sums.txt``
  (``sha256sum`` lines for every archive). The archive's single top folder,
  ``<project>-<version>.<os>-<arch>``, holds the binaries. grafana/docker-otel-lgtm
  (docker/download-prometheus.sh) downloads and checks Prometheus exactly this way.
- Grafana OSS: grafana.com's download API,
  ``https://grafana.com/api/downloads/grafana/versions/<version>/packages/<arch>/<os>``,
  answers JSON whose ``url`` is the archive and ``sha256`` its checksum. The archive's name
  carries a build number since 12.x (``dl.grafana.com/grafana/release/<version>/
  grafana_<version>_<build>_<os>_<arch>.tar.gz``; older releases were
  ``dl.grafana.com/oss/release/grafana-<version>.<os>-<arch>.tar.gz``), so the URL is taken
  from the API, never built: grafana/docker-otel-lgtm's docker/download-grafana.sh does the
  same. The archive's top folder holds ``bin/grafana``, ``conf/`` and ``public/``: Grafana
  runs from the whole tree, so the tree is kept.

The network: ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` are honoured (httpx reads them),
and so is a custom CA bundle (``PLAYGROUND_CA_BUNDLE``, else ``SSL_CERT_FILE``). Connecting
gives up after a few seconds, so a machine without access (this one, CI) falls back to
Debian's packages at once instead of waiting minutes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform as os_platform
import re
import shutil
import ssl
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from playground.core.settings import PlaygroundSettings

# Connecting fails fast (a blocked network must fall back within seconds); reading may be
# slow on a poor link, so it waits longer between chunks.
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
CHUNK = 1 << 16
# At most one progress line per interval.
PROGRESS_INTERVAL_S = 1.0

GITHUB = "https://github.com"
GRAFANA_API = "https://grafana.com"

# Answers that mean "not from here" (a proxy refusing, a gateway failing), not "no such
# release": like a host that does not resolve, they let `make setup` fall back.
_BLOCKED = {403, 407, 502, 503, 504}

_OS = {"linux": "linux", "darwin": "darwin"}
_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


class DownloadError(Exception):
    """A release could not be installed; ``exit_code`` tells fetch-tools.sh what to do."""

    exit_code = 1


class UnreachableError(DownloadError):
    """The release host could not be reached at all: the caller may fall back."""

    exit_code = 3


class ChecksumMismatchError(DownloadError):
    """The archive is not what the release published: refused, never unpacked."""

    exit_code = 4


class TruncatedDownloadError(DownloadError):
    """The connection ended before the whole archive arrived; a retry resumes it."""

    exit_code = 5


class UnsupportedPlatformError(DownloadError):
    """No official build for this operating system or processor."""

    exit_code = 6


@dataclass(frozen=True)
class Platform:
    """An official build's operating system and processor, in the releases' own words."""

    os: str
    arch: str


def platform_of(system: str, machine: str) -> Platform:
    """The release platform of ``platform.system()`` and ``platform.machine()`` values.

    Raises:
        UnsupportedPlatformError: Not linux or darwin on amd64 or arm64.
    """
    os_name, arch = _OS.get(system.lower()), _ARCH.get(machine.lower())
    if os_name is None or arch is None:
        raise UnsupportedPlatformError(
            f"no official build for {system} on {machine}: linux and darwin on amd64 and arm64 only"
        )
    return Platform(os_name, arch)


@dataclass(frozen=True)
class Bases:
    """Where the releases are found; tests point both at a loopback server. (Grafana's
    archive URL comes from its API's answer.)"""

    github: str = GITHUB
    grafana_api: str = GRAFANA_API


@dataclass(frozen=True)
class Release:
    """One official archive: where it is, how to check it, what to link into ``bin/``.

    Attributes:
        name: The tool's name, also the folder under ``dist/``.
        version: Its release, e.g. ``3.13.3``.
        archive_url: The ``.tar.gz``; empty when the checksum source names it (Grafana).
        checksum_url: ``sha256sums.txt`` (promu) or the grafana.com API (JSON).
        binaries: Paths inside the archive's top folder, linked into ``bin/`` by file name.
    """

    name: str
    version: str
    archive_url: str
    checksum_url: str
    binaries: tuple[str, ...]


@dataclass(frozen=True)
class Published:
    """What a release publishes for one archive: where it is and its SHA-256."""

    url: str
    sha256: str

    @property
    def name(self) -> str:
        return urlsplit(self.url).path.rsplit("/", 1)[1]


def promu_release(
    project: str, version: str, platform: Platform, bases: Bases, binaries: tuple[str, ...]
) -> Release:
    """A Prometheus-project release (prometheus, alertmanager) as promu publishes it."""
    tag = f"{bases.github}/prometheus/{project}/releases/download/v{version}"
    return Release(
        name=project,
        version=version,
        archive_url=f"{tag}/{project}-{version}.{platform.os}-{platform.arch}.tar.gz",
        checksum_url=f"{tag}/sha256sums.txt",
        binaries=binaries,
    )


def grafana_release(version: str, platform: Platform, bases: Bases) -> Release:
    """Grafana OSS: the grafana.com API entry that names its archive and SHA-256."""
    return Release(
        name="grafana",
        version=version,
        archive_url="",
        checksum_url=(
            f"{bases.grafana_api}/api/downloads/grafana/versions/{version}"
            f"/packages/{platform.arch}/{platform.os}"
        ),
        binaries=("bin/grafana",),
    )


def releases(versions: dict[str, str], platform: Platform, bases: Bases = Bases()) -> list[Release]:
    """The releases to install, from ``{"prometheus": "3.13.3", ...}`` (the pins in .env)."""
    found = []
    if "prometheus" in versions:
        found.append(
            promu_release(
                "prometheus", versions["prometheus"], platform, bases, ("prometheus", "promtool")
            )
        )
    if "alertmanager" in versions:
        found.append(
            promu_release(
                "alertmanager",
                versions["alertmanager"],
                platform,
                bases,
                ("alertmanager", "amtool"),
            )
        )
    if "grafana" in versions:
        found.append(grafana_release(versions["grafana"], platform, bases))
    return found


def client(ca_bundle: Path | None = None) -> httpx.Client:
    """An HTTP client that honours the proxy variables and, if given, a CA bundle."""
    verify: ssl.SSLContext | bool = True
    bundle = ca_bundle or (
        Path(os.environ["SSL_CERT_FILE"]) if os.environ.get("SSL_CERT_FILE") else None
    )
    if bundle is not None:
        verify = ssl.create_default_context(cafile=str(bundle))
    return httpx.Client(timeout=TIMEOUT, follow_redirects=True, trust_env=True, verify=verify)


def _get(http: httpx.Client, url: str) -> httpx.Response:
    try:
        response = http.get(url)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.ProxyError) as exc:
        raise UnreachableError(f"cannot reach {url}: {exc}") from exc
    except httpx.HTTPError as exc:
        raise DownloadError(f"{url}: {exc}") from exc
    if response.status_code in _BLOCKED:
        raise UnreachableError(f"{url}: HTTP {response.status_code} (a proxy or a firewall?)")
    if response.status_code != 200:
        raise DownloadError(f"{url}: HTTP {response.status_code}")
    return response


def published(http: httpx.Client, release: Release) -> Published:
    """The archive's URL and the SHA-256 the release publishes for it.

    Raises:
        DownloadError: The checksum source does not name the archive.
    """
    body = _get(http, release.checksum_url).text
    if release.archive_url:  # promu: sha256sums.txt lists every platform's archive
        name = release.archive_url.rsplit("/", 1)[1]
        for line in body.splitlines():
            digest, _, listed = line.strip().partition("  ")
            if listed.lstrip("*") == name:
                return Published(release.archive_url, digest.lower())
        raise DownloadError(f"{release.checksum_url} lists no {name}")
    try:
        answer = json.loads(body)
        # A relative url is resolved against the API's own address.
        return Published(
            urljoin(release.checksum_url, answer["url"]), str(answer["sha256"]).lower()
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise DownloadError(f"{release.checksum_url}: no url and sha256 in the answer") from exc


Progress = Callable[[str], None]


def _say(message: str) -> None:
    print(f"fetch-tools: {message}", file=sys.stderr, flush=True)


def download(http: httpx.Client, url: str, dest: Path, progress: Progress = _say) -> None:
    """Fetch ``url`` to ``dest``, through ``dest.part``, resuming a part left by a failed try.

    Raises:
        UnreachableError: The host could not be reached.
        TruncatedDownloadError: The body ended before its announced length; the part is
            kept, so the next try resumes it.
    """
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        with http.stream("GET", url, headers=headers) as response:
            if response.status_code == 416:  # the part is already whole, or stale: start over
                part.unlink()
                return download(http, url, dest, progress)
            if response.status_code not in (200, 206):
                raise DownloadError(f"{url}: HTTP {response.status_code}")
            if response.status_code == 200:
                have = 0  # the server ignored the Range: the whole file again
            length = response.headers.get("Content-Length")
            total = have + int(length) if length is not None else None
            got = have
            last = 0.0
            with part.open("ab" if have else "wb") as out:
                for chunk in response.iter_bytes(CHUNK):
                    out.write(chunk)
                    got += len(chunk)
                    now = time.monotonic()
                    if now - last >= PROGRESS_INTERVAL_S:
                        last = now
                        shown = f"{got / 1e6:.1f}" + (f"/{total / 1e6:.1f}" if total else "")
                        progress(f"{dest.name}: {shown} MB")
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.ProxyError) as exc:
        raise UnreachableError(f"cannot reach {url}: {exc}") from exc
    except httpx.HTTPError as exc:
        # The connection broke mid-body: keep the part for the next try.
        raise TruncatedDownloadError(
            f"{url}: the download broke off ({exc}); run it again to resume"
        ) from exc
    if total is not None and got < total:
        raise TruncatedDownloadError(f"{url}: got {got} of {total} bytes; run it again to resume")
    part.replace(dest)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _unpack(archive: Path, staging: Path) -> Path:
    """Unpack into ``staging`` and return the archive's single top folder."""
    with tarfile.open(archive, "r:gz") as tar:
        # The "data" filter refuses absolute paths, `..`, device files and links out of the tree.
        tar.extractall(staging, filter="data")
    tops = [entry for entry in staging.iterdir()]
    if len(tops) != 1 or not tops[0].is_dir():
        raise DownloadError(
            f"{archive.name}: expected one top folder, found {[t.name for t in tops]}"
        )
    return tops[0]


def _link(target: Path, link: Path) -> None:
    """Point ``link`` at ``target`` in one rename, so ``bin/`` never holds half a tool."""
    temporary = link.with_name(f".{link.name}.new")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(os.path.relpath(target, link.parent))
    temporary.replace(link)


def install(
    http: httpx.Client, release: Release, tools_dir: Path, progress: Progress = _say
) -> Path:
    """Download, verify and install one release; returns its folder under ``dist/``.

    Raises:
        ChecksumMismatchError: The archive's SHA-256 is not the published one (the archive
            is deleted, nothing is unpacked).
    """
    downloads = tools_dir / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    source = published(http, release)
    expected = source.sha256
    archive = downloads / source.name
    if not (archive.exists() and sha256_of(archive) == expected):
        archive.unlink(missing_ok=True)
        download(http, source.url, archive, progress)
    actual = sha256_of(archive)
    if actual != expected:
        archive.unlink()
        raise ChecksumMismatchError(
            f"{source.name}: SHA-256 {actual} is not the published {expected}; refused"
        )
    dist = tools_dir / "dist"
    dist.mkdir(exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{release.name}-", dir=tools_dir))
    try:
        top = _unpack(archive, staging)
        missing = [b for b in release.binaries if not (top / b).is_file()]
        if missing:
            raise DownloadError(f"{source.name} has no {', '.join(missing)}")
        final = dist / f"{release.name}-{release.version}"
        if final.exists():  # a reinstall: the old tree leaves only once the new one is in place
            final.rename(staging / "previous")
        top.rename(final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    bin_dir = tools_dir / "bin"
    bin_dir.mkdir(exist_ok=True)
    for binary in release.binaries:
        _link(final / binary, bin_dir / Path(binary).name)
    archive.unlink()
    progress(f"installed {release.name} {release.version} from {source.url}")
    return final


def install_all(
    versions: dict[str, str],
    tools_dir: Path,
    platform: Platform,
    bases: Bases = Bases(),
    ca_bundle: Path | None = None,
    progress: Progress = _say,
) -> list[Path]:
    """Install every release; the first failure stops it (and names its kind)."""
    with client(ca_bundle) as http:
        return [
            install(http, release, tools_dir, progress)
            for release in releases(versions, platform, bases)
        ]


def installed_from(tools_dir: Path) -> Iterable[str]:
    """Which tools in ``dist/`` came from official archives (for `make setup`'s summary)."""
    dist = tools_dir / "dist"
    return sorted(entry.name for entry in dist.iterdir()) if dist.is_dir() else []


# Which source `make setup` used, kept beside the binaries so a second run does not try the
# network again and `playground up` can say what it runs.
SOURCE_FILE = "source"


def release_version(image: str) -> str:
    """The release an image pin names: ``prom/prometheus:v3.13.3`` -> ``3.13.3``."""
    tag = image.partition("@")[0].rpartition(":")[2]
    match = re.match(r"v?(\d+\.\d+\.\d+)", tag)
    if match is None:
        raise DownloadError(f"{image}: not pinned to a release")
    return match.group(1)


def pinned_versions(settings: PlaygroundSettings) -> dict[str, str]:
    """The versions to download, from the image pins in .env (one table for both paths)."""
    images = {
        "prometheus": settings.PROMETHEUS_IMAGE,
        "alertmanager": settings.ALERTMANAGER_IMAGE,
        "grafana": settings.GRAFANA_IMAGE,
    }
    missing = [name for name, image in images.items() if not image]
    if missing:
        raise DownloadError(f"no image pin for {', '.join(missing)} in .env")
    return {name: release_version(image) for name, image in images.items() if image}


def main(argv: list[str] | None = None) -> int:
    """`python -m playground.native.downloads`: what scripts/fetch-tools.sh runs first."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--print-versions", action="store_true", help="print the pinned versions and stop"
    )
    args = parser.parse_args(argv)
    settings = PlaygroundSettings()
    try:
        versions = pinned_versions(settings)
        if args.print_versions:
            print(" ".join(f"{name}={version}" for name, version in versions.items()))
            return 0
        platform = platform_of(os_platform.system(), os_platform.machine())
        bases = Bases(
            settings.PLAYGROUND_RELEASES_GITHUB_URL,
            settings.PLAYGROUND_RELEASES_GRAFANA_API_URL,
        )
        install_all(
            versions, settings.PLAYGROUND_TOOLS_DIR, platform, bases, settings.PLAYGROUND_CA_BUNDLE
        )
    except DownloadError as exc:
        _say(str(exc))
        return exc.exit_code
    (settings.PLAYGROUND_TOOLS_DIR / SOURCE_FILE).write_text("official\n")
    _say(
        "official releases, web UIs included: "
        + ", ".join(f"{name} {version}" for name, version in versions.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
