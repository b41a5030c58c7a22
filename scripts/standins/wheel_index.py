"""Turn a folder of wheels into a PEP 503 "simple" package index that pip can use.

    python wheel_index.py WHEELHOUSE INDEX_DIR

INDEX_DIR/simple/<project>/index.html links to INDEX_DIR/files/<wheel>. Served over HTTP, it
is what `PIP_INDEX_URL` names for the image builds of `make test-compose` with stand-ins:
the build containers cannot verify PyPI's TLS here, so they install from the wheels the
host's pip downloaded, through the same build argument a user behind a proxy sets.
"""

from __future__ import annotations

import html
import re
import shutil
import sys
from collections import defaultdict
from pathlib import Path


def project_name(wheel: str) -> str:
    """The normalized project name (PEP 503) of a wheel's file name."""
    return re.sub(r"[-_.]+", "-", wheel.split("-", 1)[0]).lower()


def build_index(wheelhouse: Path, index_dir: Path) -> int:
    """Write the index; returns the number of projects."""
    files = index_dir / "files"
    shutil.rmtree(index_dir, ignore_errors=True)
    files.mkdir(parents=True)
    projects: dict[str, list[str]] = defaultdict(list)
    for wheel in sorted(wheelhouse.glob("*.whl")):
        shutil.copy2(wheel, files / wheel.name)
        projects[project_name(wheel.name)].append(wheel.name)
    for project, wheels in projects.items():
        page = index_dir / "simple" / project / "index.html"
        page.parent.mkdir(parents=True)
        links = "".join(
            f'<a href="../../files/{html.escape(name)}">{html.escape(name)}</a>\n'
            for name in wheels
        )
        page.write_text(f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n")
    return len(projects)


if __name__ == "__main__":
    count = build_index(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"wheel_index: {count} projects in {sys.argv[2]}/simple/", file=sys.stderr)
