"""Every image is pinned in .env (the one version table), and the pins agree with what the
native stack runs: Prometheus and Alertmanager images and the native binaries `make setup`
fetches are in the range .env supports, and Locust equals the pin in requirements-dev.txt."""

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from playground.core.paths import REPO_ROOT

Services = dict[str, dict[str, Any]]

# A tag that names a release: digits first (an optional v), e.g. v3.13.3, 13.2.1, 2.11.4-alpine.
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


def in_supported_range(version: str, minimum: str) -> bool:
    """The same major version as the minimum, and not older (what fetch-tools.sh accepts)."""
    numbers = tuple(int(part) for part in version.split("."))
    floor = tuple(int(part) for part in minimum.split("."))
    return numbers[0] == floor[0] and numbers >= floor


def requirement_pin(path: Path, package: str) -> str:
    """The exact version a requirements file pins a package to."""
    match = re.search(rf"^{re.escape(package)}==([\w.]+)\s*$", path.read_text(), re.M | re.I)
    assert match, f"{package} is not pinned with == in {path.name}"
    return match.group(1)


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
    ("service", "binary", "minimum_variable"),
    [
        ("prometheus", "prometheus", "PROMETHEUS_MIN_VERSION"),
        ("alertmanager", "alertmanager", "ALERTMANAGER_MIN_VERSION"),
    ],
)
def test_prometheus_and_alertmanager_images_and_native_tools_are_in_the_supported_range(
    services: Services,
    dotenv: dict[str, str],
    service: str,
    binary: str,
    minimum_variable: str,
) -> None:
    minimum = dotenv[minimum_variable]
    image = image_version(services, service)
    assert in_supported_range(image, minimum), f"image {image}, supported from {minimum}"
    native = native_version(REPO_ROOT, binary)
    if native is None:
        pytest.skip(f".tools/bin/{binary} is missing; run `make setup` to compare versions")
    assert in_supported_range(native, minimum), f"native {native}, supported from {minimum}"


def test_supported_range_is_one_major_from_the_minimum_on() -> None:
    assert in_supported_range("3.5.3", "3.5.0")
    assert in_supported_range("3.13.3", "3.5.0")
    assert in_supported_range("3.40.0", "3.5.0")  # numeric, not text, order
    assert not in_supported_range("3.4.9", "3.5.0")
    assert not in_supported_range("4.0.0", "3.5.0")
    assert not in_supported_range("0.32.3", "0.33.0")


def test_prometheus_is_pinned_to_the_current_lts_line(services: Services) -> None:
    # https://prometheus.io/docs/introduction/release-cycle/: 3.13 LTS until 2027-07-31
    # (3.5 LTS ended 2026-07-31). Change this with the pin when the next LTS line ships.
    assert image_version(services, "prometheus").startswith("3.13.")


def test_locust_image_equals_the_pinned_locust_package(services: Services) -> None:
    pinned = requirement_pin(REPO_ROOT / "requirements-dev.txt", "locust")
    for name in ("locust", "locust_worker"):
        repository, _, _ = split_image(services[name]["image"])
        assert repository == "locustio/locust"
        assert image_version(services, name) == pinned


def test_grafana_is_the_grafana_grafana_image_at_13(services: Services) -> None:
    # grafana/grafana is the OSS edition; grafana/grafana-oss gets no images from 12.4/13.0 on.
    repository, _, _ = split_image(services["grafana"]["image"])
    assert repository == "grafana/grafana"
    assert image_version(services, "grafana").startswith("13.")


def test_requirement_pin_refuses_a_loose_requirement(tmp_path: Path) -> None:
    loose = tmp_path / "requirements.txt"
    loose.write_text("locust>=2.47\n")
    with pytest.raises(AssertionError, match="not pinned"):
        requirement_pin(loose, "locust")
