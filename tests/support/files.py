"""Reading the repository's files in tests."""

from pathlib import Path
from typing import Any

import yaml


def read_yaml(path: Path) -> Any:
    """A YAML file's content."""
    return yaml.safe_load(path.read_text())
