"""Every image is pinned, and the pins agree with what the native stack runs: the Prometheus
and Alertmanager releases `make setup` fetches, and the Locust in requirements-dev.txt."""

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

Services = dict[str, dict[str, Any]]

# A tag that names a release: digits first (an optional v), e.g. v3.5.3, 12.1.1, 2.10.0-alpine.
RELEASE_TAG = re.compile(r"v?\d+\.\d+\.\d+([-.][\w.]+)?")


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """An image reference as (repository, tag, digest)."""
    reference, _, digest = image.partition("@")
    repository, _, tag = reference.rpartition(":")
    if "/" in tag or not repository:  # the colon was a registry port, there is no tag
        repository, tag = reference, ""
    return repository, tag or None, digest or None


def image_pin_problems(services: Services) -> list[str]:
    """Images without a full release tag (latest, a moving major, or none at all)."""
    problems = []
    for name, service in services.items():
        if "image" not in service:
            if "build" not in service:
                problems.append(f"{name}: neither image nor build")
            continue
        _, tag, _ = split_image(service["image"])
        if tag is None or not RELEASE_TAG.fullmatch(tag):
            problems.append(f"{name}: {service['image']!r} is not pinned to a release")
    return problems


def image_version(services: Services, service: str) -> str:
    """The release an image is pinned to, without a leading v or a suffix."""
    _, tag, _ = split_image(services[service]["image"])
    assert tag is not None
    return re.match(r"v?(\d+\.\d+\.\d+)", tag).group(1)  # type: ignore[union-attr]


def native_version(repo_root: Path, binary: str) -> str | None:
    """The version of a native tool in .tools/bin (`make setup`), or None if it is absent."""
    path = repo_root / ".tools" / "bin" / binary
    if not path.exists():
        return None
    output = subprocess.run(
        [path, "--version"], capture_output=True, text=True, timeout=10, check=True
    )
    match = re.search(r"version (\d+\.\d+\.\d+)", output.stdout + output.stderr)
    assert match, output
    return match.group(1)


def fetched_series(repo_root: Path, variable: str) -> str:
    """The release series scripts/fetch-tools.sh accepts, e.g. "3.5."."""
    text = (repo_root / "scripts" / "fetch-tools.sh").read_text()
    match = re.search(rf'^{variable}="([\d.]+)"', text, re.M)
    assert match, f"{variable} not found in scripts/fetch-tools.sh"
    return match.group(1)


def requirement_pin(path: Path, package: str) -> str:
    """The exact version a requirements file pins a package to."""
    match = re.search(rf"^{re.escape(package)}==([\w.]+)\s*$", path.read_text(), re.M | re.I)
    assert match, f"{package} is not pinned with == in {path.name}"
    return match.group(1)


def major_minor(version: str) -> str:
    """The release series of a version: 3.5.3 -> 3.5."""
    return ".".join(version.split(".")[:2])


def test_every_image_is_pinned_to_a_release(services: Services) -> None:
    assert image_pin_problems(services) == []


def test_pin_check_rejects_latest_moving_and_missing_tags() -> None:
    bad = {
        "a": {"image": "prom/prometheus:latest"},
        "b": {"image": "prom/prometheus"},
        "c": {"image": "grafana/grafana-oss:12"},
        "d": {"image": "registry:5000/locust"},
        "e": {"environment": {}},
        "ok": {"image": "registry:5000/locust:2.47.0@sha256:abc"},
    }
    assert image_pin_problems(bad) == [
        "a: 'prom/prometheus:latest' is not pinned to a release",
        "b: 'prom/prometheus' is not pinned to a release",
        "c: 'grafana/grafana-oss:12' is not pinned to a release",
        "d: 'registry:5000/locust' is not pinned to a release",
        "e: neither image nor build",
    ]


def test_images_are_pinned_in_env_not_in_compose(compose_text: str) -> None:
    # .env is the one pin table; compose.yaml only names the variables.
    images = re.findall(r"^\s+image:\s*(.+)$", compose_text, re.M)
    assert images and all(re.fullmatch(r"\$\{\w+_IMAGE:\?.+\}", i) for i in images), images


@pytest.mark.parametrize(
    ("service", "binary", "series_variable"),
    [
        ("prometheus", "prometheus", "PROMETHEUS_SERIES"),
        ("alertmanager", "alertmanager", "ALERTMANAGER_SERIES"),
    ],
)
def test_prometheus_and_alertmanager_images_match_the_native_tools(
    services: Services, repo_root: Path, service: str, binary: str, series_variable: str
) -> None:
    image = image_version(services, service)
    assert image.startswith(fetched_series(repo_root, series_variable))
    native = native_version(repo_root, binary)
    if native is None:
        pytest.skip(f".tools/bin/{binary} is missing; run `make setup` to compare versions")
    assert major_minor(image) == major_minor(native), f"image {image}, native {native}"


def test_locust_image_equals_the_pinned_locust_package(services: Services, repo_root: Path) -> None:
    pinned = requirement_pin(repo_root / "requirements-dev.txt", "locust")
    for name in ("locust", "locust_worker"):
        repository, _, _ = split_image(services[name]["image"])
        assert repository == "locustio/locust"
        assert image_version(services, name) == pinned


def test_grafana_is_the_oss_edition(services: Services) -> None:
    repository, _, _ = split_image(services["grafana"]["image"])
    assert repository == "grafana/grafana-oss"


def test_requirement_pin_refuses_a_loose_requirement(tmp_path: Path) -> None:
    loose = tmp_path / "requirements.txt"
    loose.write_text("locust>=2.47\n")
    with pytest.raises(AssertionError, match="not pinned"):
        requirement_pin(loose, "locust")
