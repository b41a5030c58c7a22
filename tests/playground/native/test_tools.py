"""tools.py: binaries are found or named as missing; Debian's Alertmanager is made runnable
by changing only the folder it reads its templates from."""

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from playground.core.errors import MissingToolError
from playground.core.paths import REPO_ROOT
from playground.core.settings import PlaygroundSettings
from playground.native.tools import DEBIAN_ASSET_DIR, LOCAL_ASSET_DIR, Tools

SettingsFactory = Callable[..., PlaygroundSettings]


def _fake_binary(tools_dir: Path, name: str, content: bytes) -> Path:
    path = tools_dir / "bin" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    path.chmod(0o755)
    return path


def test_missing_binary_names_its_path_and_make_setup(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    tools = Tools(make_settings(PLAYGROUND_TOOLS_DIR=tmp_path))

    with pytest.raises(MissingToolError) as caught:
        tools.prometheus()

    assert str(tmp_path / "bin" / "prometheus") in str(caught.value)
    assert "Run `make setup`" in str(caught.value)


def test_binary_that_is_not_executable_counts_as_missing(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    _fake_binary(tmp_path, "prometheus", b"#!/bin/sh\n").chmod(0o644)

    with pytest.raises(MissingToolError):
        Tools(make_settings(PLAYGROUND_TOOLS_DIR=tmp_path)).prometheus()


def test_alertmanager_without_the_debian_path_runs_as_it_is(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    binary = _fake_binary(tmp_path, "alertmanager", b"upstream, templates embedded")

    executable = Tools(make_settings(PLAYGROUND_TOOLS_DIR=tmp_path)).alertmanager(tmp_path / "w")

    assert executable.path == binary
    assert executable.cwd is None


def test_alertmanager_with_the_path_twice_is_refused_not_guessed(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    if (Path(DEBIAN_ASSET_DIR) / "default.tmpl").exists():
        pytest.skip("this machine has Debian's templates installed, so no copy is made")
    literal = DEBIAN_ASSET_DIR.encode()
    _fake_binary(tmp_path, "alertmanager", literal + b"x" + literal + b"y")

    with pytest.raises(MissingToolError, match="cannot be pointed elsewhere"):
        Tools(make_settings(PLAYGROUND_TOOLS_DIR=tmp_path)).alertmanager(tmp_path / "w")


@pytest.mark.tools
def test_debian_alertmanager_copy_differs_only_in_the_template_folder(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    original_path = REPO_ROOT / ".tools" / "bin" / "alertmanager"
    original = original_path.read_bytes()
    if DEBIAN_ASSET_DIR.encode() not in original:
        pytest.skip("not Debian's build: it embeds its templates")
    if (Path(DEBIAN_ASSET_DIR) / "default.tmpl").exists():
        pytest.skip("this machine has Debian's templates installed, so no copy is made")

    executable = Tools(make_settings()).alertmanager(tmp_path / "work")

    assert executable.cwd == tmp_path / "work"
    patched = executable.path.read_bytes()
    assert len(patched) == len(original)
    changed = [i for i, (a, b) in enumerate(zip(original, patched, strict=True)) if a != b]
    literal = DEBIAN_ASSET_DIR.encode()
    # The template folder literal is the one not followed by "/" ("/ui/", "/no-ui" are others).
    [start] = [m.start() for m in re.finditer(re.escape(literal) + rb"(?!/)", original)]
    assert changed and changed[0] >= start and changed[-1] < start + len(DEBIAN_ASSET_DIR)
    assert patched[start : start + len(LOCAL_ASSET_DIR)] == LOCAL_ASSET_DIR.encode()
    assert os.access(executable.path, os.X_OK)
    default = (tmp_path / "work" / LOCAL_ASSET_DIR / "default.tmpl").read_text()
    assert '{{ define "__alertmanager" }}' in default
