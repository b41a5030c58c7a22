"""The two alert profiles: `lab` is exactly what playground.configs.rule_profiles generates from
`realistic`, and the two differ in durations only, each lab one a tenth of its twin.

The profile comparisons use their own duration pattern, wider than the generator's (it also
takes a duration glued to a word, as in `k8s`), so a duration the generator missed shows up
as a pair that is not a tenth.
"""

import re
from pathlib import Path

import pytest

from playground.configs import rule_profiles
from playground.configs.rule_profiles import (
    LAB_DURATION_DIVISOR,
    divide_duration,
    format_duration,
    parse_duration_ms,
    render_lab_profile,
    scale_text,
)

# Any run of <digits><unit> pairs not preceded by a digit or a dot ("0.5s" is not one).
_ANY_DURATION = re.compile(r"(?<![\d.])(?:\d+(?:ms|[smhdwy]))+(?![\w])")


def _pairs(realistic: object, lab: object, where: str = "") -> list[tuple[str, str, str]]:
    """Walk both documents in step; return (where, realistic, lab) for each string pair."""
    assert type(realistic) is type(lab), f"{where}: {realistic!r} vs {lab!r}"
    if isinstance(realistic, dict):
        assert list(realistic) == list(lab), f"{where}: keys differ"
        return [p for key in realistic for p in _pairs(realistic[key], lab[key], f"{where}.{key}")]
    if isinstance(realistic, list):
        assert len(realistic) == len(lab), f"{where}: lengths differ"
        return [
            p
            for i, (r, la) in enumerate(zip(realistic, lab, strict=True))
            for p in _pairs(r, la, f"{where}[{i}]")
        ]
    if isinstance(realistic, str):
        return [(where, realistic, lab)]
    assert realistic == lab, f"{where}: {realistic!r} vs {lab!r}"
    return []


def _profile_pairs(repo) -> list[tuple[str, str, str]]:
    realistic = {p.name for p in repo.rules_dir("realistic").glob("*.yml")}
    lab = {p.name for p in repo.rules_dir("lab").glob("*.yml")}
    assert realistic == lab
    return [
        pair
        for name in sorted(realistic)
        for pair in _pairs(
            repo.load(repo.rules_dir("realistic") / name),
            repo.load(repo.rules_dir("lab") / name),
            name,
        )
    ]


def test_lab_profile_is_exactly_what_the_generator_writes(repo, tmp_path: Path) -> None:
    written = render_lab_profile(repo.rules_dir("realistic"), tmp_path)
    committed = sorted(repo.rules_dir("lab").glob("*.yml"))
    assert [p.name for p in written] == [p.name for p in committed]
    for fresh, current in zip(written, committed, strict=True):
        assert fresh.read_text() == current.read_text(), (
            f"{current} is out of date: run `python -m playground.configs.rule_profiles`"
        )


def test_lab_files_say_they_are_generated(repo) -> None:
    for path in repo.rules_dir("lab").glob("*.yml"):
        assert path.read_text().startswith("# GENERATED — do not edit; run "), path.name


def test_profiles_differ_only_in_durations(repo) -> None:
    for where, realistic, lab in _profile_pairs(repo):
        assert _ANY_DURATION.sub("<duration>", realistic) == _ANY_DURATION.sub("<duration>", lab), (
            where
        )


def test_every_lab_duration_is_a_tenth_of_its_realistic_twin(repo) -> None:
    compared = 0
    for where, realistic, lab in _profile_pairs(repo):
        pairs = zip(_ANY_DURATION.findall(realistic), _ANY_DURATION.findall(lab), strict=True)
        for long, short in pairs:
            assert parse_duration_ms(long) == LAB_DURATION_DIVISOR * parse_duration_ms(short), (
                f"{where}: {long} -> {short}"
            )
            compared += 1
    # Windows, `for`s, record names and annotation text: dozens, not a handful.
    assert compared > 50


def test_thresholds_and_latency_bounds_are_the_same_in_both_profiles(repo) -> None:
    for profile in repo.profiles:
        text = "".join(p.read_text() for p in sorted(repo.rules_dir(profile).glob("*.yml")))
        assert 'le="0.5"' in text
        assert "> 0.05" in text and "> 10" in text and "14.4 * 0.001" in text


@pytest.mark.parametrize(
    ("realistic", "lab"),
    [("5m", "30s"), ("10m", "1m"), ("1h", "6m"), ("6h", "36m"), ("15m", "1m30s"), ("30d", "3d")],
)
def test_divide_duration_writes_prometheus_durations(realistic: str, lab: str) -> None:
    assert divide_duration(realistic) == lab


def test_format_duration_uses_the_largest_units_first() -> None:
    assert format_duration(90_000) == "1m30s"
    assert format_duration(3_600_000 + 500) == "1h500ms"
    assert format_duration(14 * 24 * 3_600_000) == "2w"


def test_divide_duration_refuses_a_result_below_a_millisecond() -> None:
    with pytest.raises(ValueError, match="whole number of milliseconds"):
        divide_duration("5ms")


def test_parse_duration_refuses_what_is_not_a_duration() -> None:
    with pytest.raises(ValueError, match="not a Prometheus duration"):
        parse_duration_ms("5 m")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rate(x[5m])", "rate(x[30s])"),
        ("job:http_requests:rate5m > 0", "job:http_requests:rate30s > 0"),
        ("max_over_time(x[5m:1m])", "max_over_time(x[30s:6s])"),
        ("over the last 1h.", "over the last 6m."),
        ("10m", "1m"),
    ],
)
def test_scale_text_divides_windows_names_and_sentences(text: str, expected: str) -> None:
    assert scale_text(text) == expected


@pytest.mark.parametrize(
    "text",
    ['le="0.5"', "(threshold 10 s)", "0.5s", "* 3600", "k8s", "llama-3.1-8b-instant", "5xx"],
)
def test_scale_text_leaves_numbers_that_are_not_windows(text: str) -> None:
    assert scale_text(text) == text


def test_render_removes_stale_generated_files_and_keeps_hand_written_ones(tmp_path: Path) -> None:
    src, dst = tmp_path / "realistic", tmp_path / "lab"
    src.mkdir()
    dst.mkdir()
    (src / "a.yml").write_text(
        "groups:\n  - name: g\n    rules:\n"
        "      - alert: A\n        expr: up == 0\n        for: 5m\n"
    )
    (dst / "old.yml").write_text("# GENERATED — do not edit\ngroups: []\n")
    (dst / "mine.yml").write_text("groups: []\n")
    render_lab_profile(src, dst)
    assert sorted(p.name for p in dst.glob("*.yml")) == ["a.yml", "mine.yml"]
    assert "for: 30s" in (dst / "a.yml").read_text()


def test_check_mode_fails_until_the_lab_profile_is_regenerated(tmp_path: Path, capsys) -> None:
    src, dst = tmp_path / "realistic", tmp_path / "lab"
    src.mkdir()
    (src / "a.yml").write_text(
        "groups:\n  - name: g\n    rules:\n      - record: a:b:rate5m\n        expr: rate(x[5m])\n"
    )
    argv = ["--src", str(src), "--dst", str(dst)]
    assert rule_profiles.main([*argv, "--check"]) == 1
    assert "out of date: a.yml" in capsys.readouterr().err
    assert rule_profiles.main(argv) == 0
    assert rule_profiles.main([*argv, "--check"]) == 0
    assert "a:b:rate30s" in (dst / "a.yml").read_text()
