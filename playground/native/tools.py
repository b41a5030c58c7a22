"""The Prometheus and Alertmanager binaries that `make setup` fetched, made ready to run.

Debian's Alertmanager build, unlike upstream's, does not embed its default notification
templates: it reads them from the fixed folder /usr/share/prometheus/alertmanager and
refuses every config when they are not there ("failed to parse templates: open
/usr/share/prometheus/alertmanager/default.tmpl"). scripts/fetch-tools.sh unpacks only
the binaries and the playground installs nothing system-wide, so when that folder is
missing, this module prepares a private copy under the run folder: the binary with that
one path literal replaced by a relative path of the same length (a Go string's length is
stored apart from its bytes, so the length must not change), and beside it the
templates, taken from the .deb that fetch-tools.sh keeps. Alertmanager then runs from
that folder. The code that runs is Debian's, byte for byte, except for that path.
"""

import os
import re
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from playground.core.errors import MissingToolError
from playground.core.settings import PlaygroundSettings

DEBIAN_ASSET_DIR = "/usr/share/prometheus/alertmanager"
# Same length as DEBIAN_ASSET_DIR, resolved against the working directory.
LOCAL_ASSET_DIR = "././././././././share/alertmanager"
TEMPLATES = ("default.tmpl", "email.tmpl")
# The literal as the template loader uses it: not followed by "/ui/" or "/no-ui".
_ASSET_LITERAL = re.compile(re.escape(DEBIAN_ASSET_DIR.encode()) + rb"(?!/)")
_SETUP_HINT = "Run `make setup` (scripts/fetch-tools.sh) to fetch it."


@dataclass(frozen=True)
class Executable:
    """A binary to run and the working directory it needs (None: any)."""

    path: Path
    cwd: Path | None = None


class Tools:
    """Finds the binaries in ``<PLAYGROUND_TOOLS_DIR>/bin``.

    Args:
        settings: Gives the tools folder.
    """

    def __init__(self, settings: PlaygroundSettings) -> None:
        self.tools_dir = settings.PLAYGROUND_TOOLS_DIR
        self.bin_dir = self.tools_dir / "bin"

    def binary(self, name: str) -> Path:
        """The path of ``name``.

        Raises:
            MissingToolError: It is missing or not executable.
        """
        path = self.bin_dir / name
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise MissingToolError(f"{name} is missing: no executable at {path}. {_SETUP_HINT}")
        return path

    def prometheus(self) -> Executable:
        return Executable(self.binary("prometheus"))

    def grafana(self) -> Path | None:
        """Grafana's binary, or None: only the official archives have one (`make setup`)."""
        path = self.bin_dir / "grafana"
        return path if path.is_file() and os.access(path, os.X_OK) else None

    def alertmanager(self, work_dir: Path) -> Executable:
        """Alertmanager, runnable even when Debian's template folder is missing.

        Args:
            work_dir: Where a patched copy and the templates go, if they are needed.
        """
        binary = self.binary("alertmanager")
        content = binary.read_bytes()
        hits = len(_ASSET_LITERAL.findall(content))
        if hits == 0 or (Path(DEBIAN_ASSET_DIR) / TEMPLATES[0]).is_file():
            return Executable(binary)
        if hits > 1:
            raise MissingToolError(
                f"{binary} reads its templates from {DEBIAN_ASSET_DIR}, which is missing, and "
                "cannot be pointed elsewhere. Install the prometheus-alertmanager package's "
                f"templates there, or put an upstream Alertmanager at {binary}."
            )
        patched = work_dir / "alertmanager"
        stamp = work_dir / "alertmanager.source"
        source_id = f"{binary} {binary.stat().st_size} {binary.stat().st_mtime_ns}"
        if not (patched.is_file() and stamp.is_file() and stamp.read_text() == source_id):
            self._write_templates(work_dir / "share" / "alertmanager")
            work_dir.mkdir(parents=True, exist_ok=True)
            partial = patched.with_suffix(".partial")
            partial.write_bytes(_ASSET_LITERAL.sub(LOCAL_ASSET_DIR.encode(), content))
            partial.chmod(0o755)
            partial.replace(patched)
            stamp.write_text(source_id)
        return Executable(patched, cwd=work_dir)

    def _write_templates(self, target: Path) -> None:
        target.mkdir(parents=True, exist_ok=True)
        debs = sorted((self.tools_dir / "apt" / "debs").glob("prometheus-alertmanager_*.deb"))
        if not debs:
            raise MissingToolError(
                f"Alertmanager's templates are missing ({DEBIAN_ASSET_DIR}), and so is the "
                f"package they come from in {self.tools_dir / 'apt' / 'debs'}. {_SETUP_HINT}"
            )
        wanted = {f".{DEBIAN_ASSET_DIR}/{name}": name for name in TEMPLATES}
        with subprocess.Popen(
            ["dpkg-deb", "--fsys-tarfile", str(debs[-1])], stdout=subprocess.PIPE
        ) as dpkg:
            assert dpkg.stdout is not None
            with tarfile.open(fileobj=dpkg.stdout, mode="r|") as archive:
                for member in archive:
                    if member.name in wanted and member.isfile():
                        extracted = archive.extractfile(member)
                        assert extracted is not None
                        (target / wanted[member.name]).write_bytes(extracted.read())
        missing = [name for name in TEMPLATES if not (target / name).is_file()]
        if missing:
            raise MissingToolError(f"{debs[-1]} holds no {', '.join(missing)}. {_SETUP_HINT}")
