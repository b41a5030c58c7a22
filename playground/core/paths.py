"""Where the repository is: every config, doc and results path is relative to it."""

from pathlib import Path

# playground/core/paths.py -> the repository root, three levels up.
REPO_ROOT = Path(__file__).resolve().parents[2]
