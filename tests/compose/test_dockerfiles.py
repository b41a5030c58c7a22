"""The two Python images: pinned slim base, the project's pinned requirements, a non-root
user, a HEALTHCHECK that really tells a serving app from a dead one, and only what the
image needs in the build context (.dockerignore)."""

import fnmatch
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from playground.core.paths import REPO_ROOT

# Compose service -> (package run with `python -m`, path of the probe it checks).
IMAGES = {"demo_app": ("demo_app", "/ready"), "alert_receiver": ("alert_receiver", "/health")}
# python:<major.minor.patch>-slim-<Debian release>, optionally with a digest.
PINNED_PYTHON_BASE = re.compile(
    r"python:(?P<minor>\d+\.\d+)\.\d+-slim-(bookworm|trixie)(@sha256:[0-9a-f]{64})?"
)
# How long a freshly started app may take to answer its probe.
STARTUP_DEADLINE_SECONDS = 20.0


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuations joined."""
    logical: list[str] = []
    pending = ""
    for line in dockerfile.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.lstrip().startswith("#"):
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        logical.append(pending.strip())
        pending = ""
    pairs = []
    for statement in logical:
        keyword, _, arguments = statement.partition(" ")
        pairs.append((keyword.upper(), arguments.strip()))
    return pairs


def exec_form(arguments: str) -> list[str]:
    """The JSON array of an exec-form CMD/HEALTHCHECK CMD (options removed)."""
    return json.loads(arguments[arguments.index("[") :])


def dockerfile_problems(dockerfile: str, python_minor: str) -> list[str]:
    """What makes a Dockerfile unfit for the playground's Python images."""
    steps = instructions(dockerfile)
    values = {keyword: [args for k, args in steps if k == keyword] for keyword, _ in steps}
    problems = []
    # A parser directive pulls a Dockerfile frontend image at build time; unpinned, it moves.
    frontend = re.match(r"#\s*syntax\s*=\s*(\S+)", dockerfile.lstrip())
    if frontend and not re.search(r"(:\d+\.\d+\.\d+|@sha256:[0-9a-f]{64})$", frontend[1]):
        problems.append(f"the syntax directive {frontend[1]} is not pinned")
    bases = values.get("FROM", [])
    if len(bases) != 1:
        problems.append(f"expected one FROM, found {bases}")
    elif not (match := PINNED_PYTHON_BASE.fullmatch(bases[0])):
        problems.append(f"FROM {bases[0]} is not a pinned python:X.Y.Z-slim-<debian> image")
    elif match.group("minor") != python_minor:
        problems.append(f"FROM {bases[0]} is not Python {python_minor} (the native venv's)")
    users = values.get("USER", [])
    if not users or users[-1].split(":")[0] in {"0", "root"}:
        problems.append(f"the last USER is {users[-1] if users else None!r}: runs as root")
    elif not re.fullmatch(r"\d+:\d+", users[-1]):
        problems.append(f"USER {users[-1]} is not a numeric uid:gid (compose states the same)")
    runs = " ".join(values.get("RUN", []))
    if not re.search(r"pip install (--no-cache-dir )?-r requirements\.txt", runs):
        problems.append("does not pip install -r requirements.txt")
    if "COPY requirements.txt ." not in [f"COPY {args}" for args in values.get("COPY", [])]:
        problems.append("does not COPY requirements.txt before installing it")
    healthchecks = values.get("HEALTHCHECK", [])
    if not healthchecks or "CMD [" not in healthchecks[-1]:
        problems.append("no exec-form HEALTHCHECK CMD")
    if not re.fullmatch(r'\["python", "-m", "\w+"\]', (values.get("CMD") or [""])[-1]):
        problems.append("CMD is not the exec form of python -m <package>")
    return problems


def dockerfile_of(repo_root: Path, service: dict[str, Any]) -> Path:
    build = service["build"]
    return repo_root / build["context"] / build["dockerfile"]


def env_of(dockerfile: str) -> dict[str, str]:
    """The ENV key=value pairs a Dockerfile sets."""
    pairs: dict[str, str] = {}
    for keyword, arguments in instructions(dockerfile):
        if keyword == "ENV":
            pairs.update(re.findall(r"(\w+)=(\S+)", arguments))
    return pairs


def python_minor() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


@pytest.fixture(params=sorted(IMAGES))
def image(request: pytest.FixtureRequest, services) -> dict[str, Any]:
    """One built service: its name, compose entry and Dockerfile text."""
    name = request.param
    return {
        "name": name,
        "service": services[name],
        "dockerfile": dockerfile_of(REPO_ROOT, services[name]).read_text(),
    }


def test_compose_builds_each_python_image_from_its_folder(services) -> None:
    built = {name for name, service in services.items() if "build" in service}
    assert built == set(IMAGES)
    for name in built:
        build = services[name]["build"]
        assert (build["context"], build["dockerfile"]) == (".", f"{name}/Dockerfile")


def test_compose_passes_the_package_index_settings_the_dockerfile_takes(
    image: dict[str, Any], compose: dict[str, Any]
) -> None:
    """docs/compose.md's proxy settings reach pip: each build arg is an ARG of the
    Dockerfile, and the CA secret is the one its pip step mounts."""
    build = image["service"]["build"]
    declared = {args.split("=")[0] for k, args in instructions(image["dockerfile"]) if k == "ARG"}
    assert set(build["args"]) == {"PIP_INDEX_URL", "PIP_TRUSTED_HOST"} <= declared
    assert build["secrets"] == ["pip_ca"]
    assert compose["secrets"]["pip_ca"] == {"environment": "PIP_CA"}
    pip_step = next(
        a for k, a in instructions(image["dockerfile"]) if k == "RUN" and "requirements" in a
    )
    assert "--mount=type=secret,id=pip_ca,required=false" in pip_step
    assert "PIP_CERT=/run/secrets/pip_ca" in pip_step


def test_dockerfile_is_pinned_non_root_healthchecked_and_uses_the_requirements(
    image: dict[str, Any],
) -> None:
    assert dockerfile_problems(image["dockerfile"], python_minor()) == []


def test_dockerfile_check_finds_every_problem_in_a_bad_fixture() -> None:
    bad = """# syntax=docker/dockerfile:1
        FROM python:latest
        # a comment
        RUN pip install fastapi \\
            uvicorn
        COPY . .
        CMD python -m demo_app
    """
    assert dockerfile_problems(bad, "3.11") == [
        "the syntax directive docker/dockerfile:1 is not pinned",
        "FROM python:latest is not a pinned python:X.Y.Z-slim-<debian> image",
        "the last USER is None: runs as root",
        "does not pip install -r requirements.txt",
        "does not COPY requirements.txt before installing it",
        "no exec-form HEALTHCHECK CMD",
        "CMD is not the exec form of python -m <package>",
    ]
    assert dockerfile_problems("FROM python:3.12.1-slim-bookworm\nUSER 0:0\n", "3.11")[:2] == [
        "FROM python:3.12.1-slim-bookworm is not Python 3.11 (the native venv's)",
        "the last USER is '0:0': runs as root",
    ]


def test_both_images_share_one_base_and_dependency_layer(services) -> None:
    def prefix(name: str) -> list[tuple[str, str]]:
        steps = instructions(dockerfile_of(REPO_ROOT, services[name]).read_text())
        end = next(i for i, (k, a) in enumerate(steps) if k == "RUN" and "requirements" in a)
        return steps[: end + 1]

    assert prefix("demo_app") == prefix("alert_receiver")


def test_compose_agrees_with_the_dockerfile(image: dict[str, Any]) -> None:
    package, _ = IMAGES[image["name"]]
    steps = dict(instructions(image["dockerfile"]))
    service = image["service"]
    assert service["user"] == [a for k, a in instructions(image["dockerfile"]) if k == "USER"][-1]
    assert service.get("command", exec_form(steps["CMD"])) == ["python", "-m", package]
    env = env_of(image["dockerfile"])
    port = env[f"{package.upper()}_PORT"]
    assert env[f"{package.upper()}_HOST"] == "0.0.0.0"
    assert steps["EXPOSE"] == port
    assert service["expose"] == [port]


def dockerignore_allows(patterns: list[str], path: str) -> bool:
    """Whether a path reaches the build context (the last matching pattern wins)."""
    allowed = True
    for pattern in patterns:
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        candidates = [path, *(str(parent) for parent in Path(path).parents if str(parent) != ".")]
        if any(
            fnmatch.fnmatch(c, pattern) or fnmatch.fnmatch(c, f"**/{pattern}") for c in candidates
        ):
            allowed = negated
    return allowed


@pytest.fixture(scope="module")
def dockerignore() -> list[str]:
    lines = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_build_context_carries_the_code_and_requirements_only(dockerignore: list[str]) -> None:
    for needed in [
        "requirements.txt",
        "demo_app/main.py",
        "alert_receiver/app.py",
        "http_limits/__init__.py",
        "docs/runbooks.md",
    ]:
        assert dockerignore_allows(dockerignore, needed), needed
    for kept_out in [
        ".env",
        ".env.override",
        ".venv/bin/python",
        ".git/HEAD",
        ".run/admin-token",
        ".tools/bin/prometheus",
        "demo_app/__pycache__/x.pyc",
        "tests/x.py",
        "docs/architecture.md",
    ]:
        assert not dockerignore_allows(dockerignore, kept_out), kept_out


def test_dockerignore_matcher_honours_exceptions_in_order() -> None:
    assert dockerignore_allows(["*.md", "!README.md"], "README.md")
    assert not dockerignore_allows(["*.md", "!README.md", "README*"], "README.md")
    assert not dockerignore_allows(["secrets/"], "secrets/key")


def run_healthcheck(dockerfile: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the HEALTHCHECK command the way Docker would, with this venv's python."""
    steps = dict(instructions(dockerfile))
    argv = exec_form(steps["HEALTHCHECK"])
    assert argv[0] == "python"
    return subprocess.run(
        [sys.executable, *argv[1:]], env=env, capture_output=True, text=True, timeout=10
    )


@pytest.fixture
def app_server(image: dict[str, Any], launch_app, tmp_path: Path) -> dict[str, str]:
    """The image's app, run natively with the image's compose environment."""
    package, _ = IMAGES[image["name"]]
    env = dict(image["service"].get("environment", {}))
    if "DEMO_APP_FAULTS_FILE" in env:  # on the compose volume; here, a temporary folder
        env["DEMO_APP_FAULTS_FILE"] = str(tmp_path / "faults.json")
    return launch_app(package, env)


def test_healthcheck_fails_until_the_app_serves_then_passes(
    image: dict[str, Any], app_server: dict[str, str]
) -> None:
    # Right after the start the port may still be closed: unhealthy, exit 1 (not 2, which
    # Docker reserves).
    results = [run_healthcheck(image["dockerfile"], app_server)]
    deadline = time.monotonic() + STARTUP_DEADLINE_SECONDS
    while results[-1].returncode != 0 and time.monotonic() < deadline:
        assert results[-1].returncode == 1, results[-1].stderr
        time.sleep(0.2)
        results.append(run_healthcheck(image["dockerfile"], app_server))
    assert results[-1].returncode == 0, f"never healthy; last: {results[-1].stderr[-500:]}"


def test_healthcheck_fails_when_nothing_listens(image: dict[str, Any]) -> None:
    package, _ = IMAGES[image["name"]]
    # Nothing listens on port 1 (privileged, never bound by the tests).
    env = {**os.environ, f"{package.upper()}_PORT": "1"}
    result = run_healthcheck(image["dockerfile"], env)
    assert result.returncode == 1
    assert "Connection refused" in result.stderr


def test_healthcheck_probes_the_documented_path(image: dict[str, Any]) -> None:
    _, probe = IMAGES[image["name"]]
    command = " ".join(exec_form(dict(instructions(image["dockerfile"]))["HEALTHCHECK"]))
    assert f"+ '{probe}'" in command
    assert "urllib.request.urlopen" in command


def healthcheck_differences(dockerfile: str, timing: dict[str, Any]) -> dict[str, tuple]:
    """Each HEALTHCHECK option whose value differs from compose's timing: (Dockerfile, compose)."""
    arguments = dict(instructions(dockerfile))["HEALTHCHECK"]
    options = dict(re.findall(r"--([a-z-]+)=(\S+)", arguments[: arguments.index("CMD")]))
    ours = {key.replace("-", "_"): value for key, value in options.items()}
    theirs = {key: str(value) for key, value in timing.items()}
    return {
        key: (ours.get(key), theirs.get(key))
        for key in ours.keys() | theirs.keys()
        if ours.get(key) != theirs.get(key)
    }


def test_healthcheck_timing_is_the_one_compose_gives_every_other_service(
    image: dict[str, Any], compose: dict[str, Any]
) -> None:
    """compose.yaml's comment promises one timing (5 s x 24 retries after 10 s) for every
    healthcheck; the two built images carry theirs in the Dockerfile, so it must match."""
    assert healthcheck_differences(image["dockerfile"], compose["x-healthcheck-timing"]) == {}


def test_healthcheck_timing_check_sees_a_different_retry_count(compose: dict[str, Any]) -> None:
    dockerfile = (
        'HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=12 CMD ["true"]'
    )
    differences = healthcheck_differences(dockerfile, compose["x-healthcheck-timing"])
    assert differences == {"retries": ("12", "24")}
