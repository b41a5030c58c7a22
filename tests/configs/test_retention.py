"""Prometheus keeps at least as much history as any rule, drill, lab or SLO period reads.

A `[30d]` window over 2 days of data does not fail: it quietly answers from what is there, so
"budget left over the 30-day period" would be a 2-day figure. Each profile's longest window
(its rules, the drills' PromQL as `playground drill` scales it, the labs' commands, and the
SLO period the budget is counted over) must fit in the retention, which is set once and read
the same way by the native runner (settings default and .env) and compose.
"""

import re

import pytest

from playground.configs.rule_profiles import parse_duration_ms
from playground.core.settings import PlaygroundSettings
from playground.teaching.drills import load_drills, scale_query

_WINDOW = re.compile(r"\[((?:\d+(?:ms|[smhdwy]))+)(?::[^\]]*)?\]")
# "2% of the 30d budget gone in 1h": the SLO period each profile's burn alerts count in.
_PERIOD = re.compile(r"of the (\w+) budget")
_CODE_BLOCK = re.compile(r"```(?:sh|promql)?\n(.*?)```", re.DOTALL)
_COMPOSE_DEFAULT = re.compile(r"retention\.time=\$\{PROMETHEUS_RETENTION_TIME:-(\w+)\}")
_DOTENV = re.compile(r"^PROMETHEUS_RETENTION_TIME=(\S+)$", re.MULTILINE)


def _windows(text: str) -> list[str]:
    return [found.group(1) for found in _WINDOW.finditer(text)]


def windows_read(repo, profile: str) -> dict[str, str]:
    """Every window a profile's users read, longest first: {where: window}."""
    found: dict[str, str] = {}
    for path in sorted(repo.rules_dir(profile).glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        for window in _windows(text):
            found[f"{path.name} [{window}]"] = window
        for period in _PERIOD.findall(text):
            found[f"{path.name}: the SLO period"] = period
    for name, drill in load_drills().items():
        for query in drill.queries:
            for window in _windows(scale_query(query.expr, profile)):
                found[f"drill {name} [{window}]"] = window
    # The labs' commands are written for the lab profile, with the realistic windows in
    # comments; both count for both profiles.
    for path in sorted((repo.root / "docs" / "labs").glob("*.md")):
        for block in _CODE_BLOCK.findall(path.read_text(encoding="utf-8")):
            for window in _windows(block):
                found[f"{path.name} [{window}]"] = window
    return dict(sorted(found.items(), key=lambda item: -parse_duration_ms(item[1])))


def retentions(repo) -> dict[str, str]:
    """The retention time each way of running Prometheus uses by default."""
    compose = (repo.root / "compose.yaml").read_text(encoding="utf-8")
    dotenv = (repo.root / ".env").read_text(encoding="utf-8")
    return {
        "settings default": PlaygroundSettings.model_fields["PROMETHEUS_RETENTION_TIME"].default,
        ".env": _DOTENV.search(dotenv).group(1),
        "compose fallback": _COMPOSE_DEFAULT.search(compose).group(1),
    }


def assert_retention_covers(retention: str, read: dict[str, str]) -> None:
    longest_where, longest = next(iter(read.items()))
    assert parse_duration_ms(retention) >= parse_duration_ms(longest), (
        f"retention {retention} is shorter than {longest} ({longest_where})"
    )


def test_every_way_of_running_prometheus_keeps_the_same_retention(repo) -> None:
    assert len(set(retentions(repo).values())) == 1, retentions(repo)


def test_each_profile_reads_its_slo_period_and_the_lab_a_tenth_of_it(repo) -> None:
    realistic, lab = (windows_read(repo, p) for p in ("realistic", "lab"))
    assert realistic["slo.rules.yml: the SLO period"] == "30d"
    assert lab["slo.rules.yml: the SLO period"] == "3d"


@pytest.mark.parametrize("profile", ["realistic", "lab"])
def test_retention_covers_the_longest_window_each_profile_reads(repo, profile: str) -> None:
    retention = retentions(repo)["settings default"]
    assert_retention_covers(retention, windows_read(repo, profile))


def test_the_check_fails_at_the_old_two_days(repo) -> None:
    # 2d held the realistic rules' 6h, but not the 30-day budget the drills and Grafana read,
    # nor lab 4's 3-day one.
    for profile in ("realistic", "lab"):
        with pytest.raises(AssertionError):
            assert_retention_covers("2d", windows_read(repo, profile))


def test_the_windows_are_found_where_they_are_written(repo) -> None:
    lab = windows_read(repo, "lab")
    assert "04-slos-and-burn-rates.md [3d]" in lab
    assert "drill error-rate-slo-burn-rates [3d]" in lab
    assert "drill error-rate-slo-burn-rates [30d]" in windows_read(repo, "realistic")
    assert any(where.startswith("slo.rules.yml [6h]") for where in windows_read(repo, "realistic"))
