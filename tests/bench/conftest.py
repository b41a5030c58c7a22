"""Fixtures for the benchmark's tests.

bench/ is run from the repository (``python -m bench``) and is not installed like demo_app,
so the repository root goes on sys.path for ``.venv/bin/pytest`` as well as for
``python -m pytest`` (which adds the working directory itself).
"""

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.options import Options  # noqa: E402


def tiny_options(**overrides: object) -> Options:
    """A benchmark run small enough for a test: a fraction of a second per run."""
    values: dict[str, object] = {
        "variants": ("bare", "demo_app", "design_notes"),
        "rounds": 2,
        "duration": 0.3,
        "warmup": 0.1,
        "connections": 2,
        "server_cpu": None,
        "client_cpu": None,
        "calibrate": True,
        "scrape_requests": 50,
        "scrapes": 3,
        "customers": 100,
    }
    values.update(overrides)
    return Options(**values)  # type: ignore[arg-type]
