"""The official-release installer, driven against a real HTTP server on loopback that serves
fixture archives and checksum files the way GitHub (promu's sha256sums.txt) and grafana.com
(its download API) publish them: a good archive installs, a mismatch is refused, a broken
download resumes, the four os/arch pairs map to the releases' names, and the proxy and CA
settings reach the connection."""

from __future__ import annotations

import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from playground.native import downloads
from playground.native.downloads import Platform
from tests.support.releases import GRAFANA_BUILD, LINUX, VERSIONS, Releases, bases, handler, serving


@pytest.fixture
def releases() -> Releases:
    return Releases()


@pytest.fixture
def server(releases: Releases) -> Iterator[str]:
    with serving(releases) as url:
        yield url


@pytest.fixture(autouse=True)
def no_proxy_from_the_developer(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def _version(binary: Path) -> str:
    return subprocess.run(
        [binary, "--version"], capture_output=True, text=True, check=True, timeout=10
    ).stdout


def test_good_archives_are_verified_installed_and_linked(
    releases: Releases, server: str, tmp_path: Path
) -> None:
    releases.publish()
    lines: list[str] = []

    downloads.install_all(VERSIONS, tmp_path, LINUX, bases(server), progress=lines.append)

    for binary, version in (
        ("prometheus", "3.13.3"),
        ("promtool", "3.13.3"),
        ("alertmanager", "0.34.1"),
        ("amtool", "0.34.1"),
    ):
        assert f"version {version}" in _version(tmp_path / "bin" / binary)
    assert "grafana, version 13.2.1" in _version(tmp_path / "bin" / "grafana")
    # Grafana runs from its whole tree (conf/, public/), which is kept.
    assert (tmp_path / "dist" / "grafana-13.2.1" / "conf" / "defaults.ini").is_file()
    # Nothing is left over: no archive, no part, no staging folder.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "dist", "downloads"]
    assert list((tmp_path / "downloads").iterdir()) == []
    assert any(line.startswith("installed prometheus 3.13.3") for line in lines)


def test_a_checksum_mismatch_is_refused_and_nothing_is_unpacked(
    releases: Releases, server: str, tmp_path: Path
) -> None:
    releases.publish(corrupt="alertmanager")

    with pytest.raises(downloads.ChecksumMismatchError, match="is not the published"):
        downloads.install_all({"alertmanager": "0.34.1"}, tmp_path, LINUX, bases(server))

    assert not (tmp_path / "bin" / "alertmanager").exists()
    assert not (tmp_path / "dist").exists() or list((tmp_path / "dist").iterdir()) == []
    assert list((tmp_path / "downloads").iterdir()) == []  # the bad archive is deleted


def test_a_grafana_checksum_mismatch_is_refused_too(
    releases: Releases, server: str, tmp_path: Path
) -> None:
    releases.publish(corrupt="grafana")

    with pytest.raises(downloads.ChecksumMismatchError):
        downloads.install_all({"grafana": "13.2.1"}, tmp_path, LINUX, bases(server))

    assert not (tmp_path / "bin" / "grafana").exists()


def test_a_truncated_download_installs_nothing_and_the_retry_resumes_it(
    releases: Releases, server: str, tmp_path: Path
) -> None:
    releases.publish()
    archive = (
        "/prometheus/prometheus/releases/download/v3.13.3/prometheus-3.13.3.linux-amd64.tar.gz"
    )
    releases.truncate_once.add(archive)

    with pytest.raises(downloads.TruncatedDownloadError, match="run it again to resume"):
        downloads.install_all({"prometheus": "3.13.3"}, tmp_path, LINUX, bases(server))
    assert not (tmp_path / "bin" / "prometheus").exists()
    part = tmp_path / "downloads" / "prometheus-3.13.3.linux-amd64.tar.gz.part"
    assert 0 < part.stat().st_size < len(releases.files[archive])

    downloads.install_all({"prometheus": "3.13.3"}, tmp_path, LINUX, bases(server))

    assert "version 3.13.3" in _version(tmp_path / "bin" / "prometheus")
    ranges = [r for _, path, r in releases.requests if path == archive]
    assert ranges == ["", f"bytes={part_size_from(ranges)}-"]


def part_size_from(ranges: list[str]) -> str:
    """The offset the second request asked for (checked to be a positive number)."""
    offset = ranges[1].removeprefix("bytes=").removesuffix("-")
    assert int(offset) > 0
    return offset


@pytest.mark.parametrize(
    ("system", "machine", "expected"),
    [
        ("Linux", "x86_64", Platform("linux", "amd64")),
        ("Linux", "aarch64", Platform("linux", "arm64")),
        ("Darwin", "x86_64", Platform("darwin", "amd64")),
        ("Darwin", "arm64", Platform("darwin", "arm64")),
    ],
)
def test_the_four_platforms_map_to_the_releases_names_and_install(
    releases: Releases, server: str, tmp_path: Path, system: str, machine: str, expected: Platform
) -> None:
    platform = downloads.platform_of(system, machine)
    assert platform == expected
    releases.publish(platform)

    downloads.install_all(VERSIONS, tmp_path, platform, bases(server))

    names = {path.rsplit("/", 1)[1] for _, path, _ in releases.requests if path.endswith(".tar.gz")}
    assert names == {
        f"prometheus-3.13.3.{expected.os}-{expected.arch}.tar.gz",
        f"alertmanager-0.34.1.{expected.os}-{expected.arch}.tar.gz",
        f"grafana_13.2.1_{GRAFANA_BUILD}_{expected.os}_{expected.arch}.tar.gz",
    }


@pytest.mark.parametrize(
    ("system", "machine"), [("Windows", "AMD64"), ("Linux", "armv7l"), ("FreeBSD", "amd64")]
)
def test_other_platforms_are_named_as_unsupported(system: str, machine: str) -> None:
    with pytest.raises(downloads.UnsupportedPlatformError, match=f"{system} on {machine}"):
        downloads.platform_of(system, machine)


def test_the_proxy_setting_carries_every_request(
    releases: Releases, server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The release host does not resolve; only a proxy that is really used can answer.
    releases.publish()
    monkeypatch.setenv("HTTP_PROXY", server)

    downloads.install_all(
        {"prometheus": "3.13.3"}, tmp_path, LINUX, bases("http://releases.invalid")
    )

    assert "version 3.13.3" in _version(tmp_path / "bin" / "prometheus")
    assert {host for host, _, _ in releases.requests} == {"releases.invalid"}


def test_an_unreachable_host_fails_fast_as_unreachable(tmp_path: Path) -> None:
    # A closed loopback port: refused at once, reported as unreachable (the fallback's cue).
    with pytest.raises(downloads.UnreachableError):
        downloads.install_all(
            {"prometheus": "3.13.3"}, tmp_path, LINUX, bases("http://127.0.0.1:9")
        )
    assert downloads.UnreachableError.exit_code != downloads.ChecksumMismatchError.exit_code


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "ca.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def test_a_custom_ca_bundle_is_what_lets_https_through(releases: Releases, tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    releases.publish()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler(releases))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = bases(f"https://127.0.0.1:{httpd.server_address[1]}")
    tools = tmp_path / "tools"
    try:
        with pytest.raises(downloads.DownloadError):
            downloads.install_all({"prometheus": "3.13.3"}, tools, LINUX, base)
        downloads.install_all({"prometheus": "3.13.3"}, tools, LINUX, base, ca_bundle=cert)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert "version 3.13.3" in _version(tools / "bin" / "prometheus")
