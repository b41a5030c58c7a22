"""A release host on loopback for the official-archive installer's tests: it serves fixture
archives and checksum files at the paths GitHub (promu's releases, sha256sums.txt) and
grafana.com (the download API's JSON naming a dl.grafana.com archive) use, honours Range requests,
can cut a body short once, answers as an HTTP proxy too, and records every request."""

from __future__ import annotations

import hashlib
import io
import json
import random
import tarfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from playground.native.downloads import Bases, Platform

VERSIONS = {"prometheus": "3.13.3", "alertmanager": "0.34.1", "grafana": "13.2.1"}
GRAFANA_BUILD = "19497075765"
LINUX = Platform("linux", "amd64")


def tar_gz(top: str, files: dict[str, bytes]) -> bytes:
    """A .tar.gz with one top folder, executable files under it."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(content)
            info.mode = 0o755
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


# Incompressible filler, so an archive streams in several chunks (a break lands mid-body).
FILLER = random.Random(0).randbytes(400_000)


def _script(name: str, version: str) -> bytes:
    return f"#!/bin/sh\necho '{name}, version {version} (branch: HEAD)'\n".encode()


@dataclass
class Releases:
    """What the fixture server serves, by path, and what it was asked."""

    files: dict[str, bytes] = field(default_factory=dict)
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # (host, path, range)
    # Paths whose body is cut short once: Content-Length says all, half is sent.
    truncate_once: set[str] = field(default_factory=set)

    def publish(
        self,
        platform: Platform = LINUX,
        corrupt: str | None = None,
        versions: dict[str, str] | None = None,
    ) -> None:
        """Every release of VERSIONS for `platform`, with its published checksum."""
        sums = []
        for project, binaries in (
            ("prometheus", ("prometheus", "promtool")),
            ("alertmanager", ("alertmanager", "amtool")),
        ):
            version = (versions or VERSIONS)[project]
            name = f"{project}-{version}.{platform.os}-{platform.arch}.tar.gz"
            body = tar_gz(
                name.removesuffix(".tar.gz"),
                {**{b: _script(b, version) for b in binaries}, "LICENSE": FILLER},
            )
            tag = f"/prometheus/{project}/releases/download/v{version}"
            self.files[f"{tag}/{name}"] = body
            digest = hashlib.sha256(body).hexdigest()
            if corrupt == project:
                digest = "0" * 64
            sums.append((tag, f"{digest}  {name}"))
            # promu's sha256sums.txt lists every platform's archive, ours among others.
            self.files[f"{tag}/sha256sums.txt"] = (
                f"{'1' * 64}  {project}-{version}.windows-amd64.zip\n{digest}  {name}\n".encode()
            )
        version = (versions or VERSIONS)["grafana"]
        # Named as dl.grafana.com names them since 12.x: with a build number the API knows.
        name = f"grafana_{version}_{GRAFANA_BUILD}_{platform.os}_{platform.arch}.tar.gz"
        body = tar_gz(
            f"grafana-v{version}",
            {"bin/grafana": _script("grafana", version), "conf/defaults.ini": b"[server]\n"},
        )
        archive = f"/grafana/release/{version}/{name}"
        self.files[archive] = body
        digest = hashlib.sha256(body).hexdigest() if corrupt != "grafana" else "0" * 64
        api = f"/api/downloads/grafana/versions/{version}/packages/{platform.arch}/{platform.os}"
        self.files[api] = json.dumps(
            # A path, as a relative URL: the API's own address is the fixture server's.
            {"url": archive, "sha256": digest, "os": platform.os, "arch": platform.arch}
        ).encode()


def handler(releases: Releases) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            target = urlsplit(self.path)  # absolute when we are asked as a proxy
            path = target.path
            releases.requests.append(
                (target.netloc or self.headers["Host"], path, self.headers.get("Range", ""))
            )
            body = releases.files.get(path)
            if body is None:
                self.send_error(404)
                return
            start = 0
            wanted = self.headers.get("Range")
            if wanted:
                start = int(wanted.removeprefix("bytes=").split("-")[0])
                if start >= len(body):
                    self.send_response(416)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            rest = body[start:]
            self.send_header("Content-Length", str(len(rest)))
            self.end_headers()
            if path in releases.truncate_once:
                releases.truncate_once.discard(path)
                self.wfile.write(rest[: len(rest) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(rest)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def serving(releases: Releases) -> Iterator[str]:
    """The release host on a free loopback port; yields its base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler(releases))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def bases(url: str) -> Bases:
    """Every release host at one base URL."""
    return Bases(github=url, grafana_api=url)
