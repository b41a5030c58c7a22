"""Render the `lab` alert profile from the `realistic` one.

`prometheus/rules/realistic/` is the source of truth. The `lab` profile keeps every
expression, threshold, label and annotation and divides every duration by
LAB_DURATION_DIVISOR: range windows (`[5m]` -> `[30s]`), `for` and `keep_firing_for`,
the window inside recording-rule names (`ratio_rate5m` -> `ratio_rate30s`, so the names
stay honest) and durations quoted in annotation text ("over the last 5m").

A duration is a Prometheus duration literal with no space (`5m`, `1h30m`, `250ms`).
Numbers that are not windows must therefore not be written that way in the source
rules: write "10 s" or "0.5 s" for a latency threshold, never "10s".

Run `python -m playground.configs.rule_profiles` to regenerate, `--check` to verify.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from playground.core.clients import PrometheusClient
from playground.core.paths import REPO_ROOT
from playground.core.settings import AlertProfile

LAB_DURATION_DIVISOR = 10

REALISTIC_DIR = REPO_ROOT / "prometheus" / "rules" / "realistic"
LAB_DIR = REPO_ROOT / "prometheus" / "rules" / "lab"

GENERATED_MARKER = "# GENERATED"

# Units Prometheus accepts, largest first, in milliseconds (model.ParseDuration).
_UNIT_MS = {
    "y": 365 * 24 * 3600 * 1000,
    "w": 7 * 24 * 3600 * 1000,
    "d": 24 * 3600 * 1000,
    "h": 3600 * 1000,
    "m": 60 * 1000,
    "s": 1000,
    "ms": 1,
}
_DURATION = r"(?:\d+(?:ms|[smhdwy]))+"
_DURATION_PART = re.compile(r"(\d+)(ms|[smhdwy])")
# A duration on its own: "[5m]", "5m", "[5m:1m]", "over the last 1h.". Not preceded by a
# word character or a dot, so "0.5s" or "k8s" are not taken for durations.
_STANDALONE = re.compile(rf"(?<![\w.]){_DURATION}(?!\w)")
# The window at the end of a recording-rule name's operations part: ":ratio_rate5m".
_RECORD_WINDOW = re.compile(rf"(:[A-Za-z_]\w*?)({_DURATION})(?!\w)")


def parse_duration_ms(text: str) -> int:
    """Parse a Prometheus duration such as `1h30m` into milliseconds.

    Args:
        text: The duration literal.

    Returns:
        The duration in milliseconds.

    Raises:
        ValueError: If `text` is not a duration literal.
    """
    if not re.fullmatch(_DURATION, text):
        raise ValueError(f"not a Prometheus duration: {text!r}")
    return sum(int(n) * _UNIT_MS[unit] for n, unit in _DURATION_PART.findall(text))


def format_duration(ms: int) -> str:
    """Format milliseconds the way Prometheus prints a duration (`90000` -> `1m30s`).

    Args:
        ms: A positive number of milliseconds.

    Returns:
        The shortest composite literal, largest unit first.
    """
    if ms <= 0:
        raise ValueError(f"durations must be positive, got {ms} ms")
    parts = []
    for unit, size in _UNIT_MS.items():
        count, ms = divmod(ms, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def divide_duration(text: str, divisor: int = LAB_DURATION_DIVISOR) -> str:
    """Divide one duration literal, refusing results that are not whole milliseconds.

    Args:
        text: The duration literal, e.g. `5m`.
        divisor: What to divide by. Defaults to LAB_DURATION_DIVISOR.

    Returns:
        The divided duration, e.g. `30s`.
    """
    ms = parse_duration_ms(text)
    if ms % divisor:
        raise ValueError(
            f"{text} is not a whole number of milliseconds after dividing by {divisor}"
        )
    return format_duration(ms // divisor)


def scale_text(text: str, divisor: int = LAB_DURATION_DIVISOR) -> str:
    """Divide every duration in one string: an expression, a `for`, a name or a sentence.

    Args:
        text: Any string value of a rule file.
        divisor: What to divide by. Defaults to LAB_DURATION_DIVISOR.

    Returns:
        The string with each duration literal replaced by its divided value.
    """
    text = _RECORD_WINDOW.sub(lambda m: m.group(1) + divide_duration(m.group(2), divisor), text)
    return _STANDALONE.sub(lambda m: divide_duration(m.group(0), divisor), text)


def scale_query(expr: str, profile: AlertProfile) -> str:
    """The query as it runs under ``profile``: the lab divides every duration by 10."""
    return expr if profile == "realistic" else scale_text(expr)


# One record that exists in exactly one profile tells which one the live Prometheus runs.
_PROFILE_MARKERS: dict[AlertProfile, str] = {
    "realistic": "job:http_requests:rate5m",
    "lab": "job:http_requests:rate30s",
}


def live_profile(prometheus: PrometheusClient) -> AlertProfile | None:
    """The alert profile the running Prometheus loaded, from its recording rules' names."""
    names = {rule["name"] for rule in prometheus.rules("record")}
    for profile, marker in _PROFILE_MARKERS.items():
        if marker in names:
            return profile
    return None


def scale_rules(node: Any, divisor: int = LAB_DURATION_DIVISOR) -> Any:
    """Return a copy of a parsed rule file with every string value's durations divided.

    Keys are kept as they are (`for`, `expr`, label names); only values change.

    Args:
        node: The parsed YAML (mappings, lists, scalars).
        divisor: What to divide by. Defaults to LAB_DURATION_DIVISOR.

    Returns:
        The scaled copy.
    """
    if isinstance(node, dict):
        return {key: scale_rules(value, divisor) for key, value in node.items()}
    if isinstance(node, list):
        return [scale_rules(item, divisor) for item in node]
    if isinstance(node, str):
        return scale_text(node, divisor)
    return node


class _RulesDumper(yaml.SafeDumper):
    """Dumps rule files the way people write them: indented lists, `|` blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_RulesDumper.add_representer(str, _represent_str)


def render_lab_file(source: Path, divisor: int = LAB_DURATION_DIVISOR) -> str:
    """Render the lab version of one realistic rule file.

    Args:
        source: A file in the realistic profile.
        divisor: What to divide durations by. Defaults to LAB_DURATION_DIVISOR.

    Returns:
        The lab file's text, with a GENERATED header and without the source's comments
        (they explain the realistic windows; read them there).
    """
    rules = yaml.safe_load(source.read_text(encoding="utf-8"))
    try:
        shown = source.resolve().relative_to(REPO_ROOT)
    except ValueError:
        shown = source
    header = (
        f"{GENERATED_MARKER} — do not edit; run `python -m playground.configs.rule_profiles`"
        " (or `playground render-rules`).\n"
        f"# Source: {shown.as_posix()}, with every duration divided by {divisor}\n"
        "# (range windows, `for`, recording-rule names and annotation text).\n"
        "# Why each window and `for` was chosen is commented in the source.\n"
    )
    body = yaml.dump(
        scale_rules(rules, divisor),
        Dumper=_RulesDumper,
        sort_keys=False,
        allow_unicode=True,
        width=1000,
    )
    return header + body


def render_lab_profile(
    src_dir: Path = REALISTIC_DIR,
    dst_dir: Path = LAB_DIR,
    divisor: int = LAB_DURATION_DIVISOR,
) -> list[Path]:
    """Write the lab profile: one generated file per `*.yml` rule file in `src_dir`.

    Generated files in `dst_dir` whose source no longer exists are removed; files
    without the GENERATED header are never touched.

    Args:
        src_dir: The realistic profile. Defaults to prometheus/rules/realistic.
        dst_dir: Where the lab profile goes. Defaults to prometheus/rules/lab.
        divisor: What to divide durations by. Defaults to LAB_DURATION_DIVISOR.

    Returns:
        The files written, sorted.
    """
    sources = sorted(Path(src_dir).glob("*.yml"))
    if not sources:
        raise FileNotFoundError(f"no *.yml rule files in {src_dir}")
    dst_dir = Path(dst_dir)
    dst_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources:
        target = dst_dir / source.name
        target.write_text(render_lab_file(source, divisor), encoding="utf-8")
        written.append(target)
    wanted = {source.name for source in sources}
    for stale in dst_dir.glob("*.yml"):
        if stale.name not in wanted and _is_generated(stale):
            stale.unlink()
    return written


def stale_lab_files(src_dir: Path = REALISTIC_DIR, dst_dir: Path = LAB_DIR) -> list[str]:
    """List what `render_lab_profile` would change, without writing anything.

    Args:
        src_dir: The realistic profile. Defaults to prometheus/rules/realistic.
        dst_dir: The lab profile. Defaults to prometheus/rules/lab.

    Returns:
        File names that are missing, different or left over; empty when up to date.
    """
    sources = {path.name: path for path in Path(src_dir).glob("*.yml")}
    targets = {path.name: path for path in Path(dst_dir).glob("*.yml")}
    stale = [
        name
        for name, source in sources.items()
        if name not in targets
        or targets[name].read_text(encoding="utf-8") != render_lab_file(source)
    ]
    stale += [name for name in targets if name not in sources]
    return sorted(stale)


def _is_generated(path: Path) -> bool:
    return path.read_text(encoding="utf-8").startswith(GENERATED_MARKER)


def main(argv: list[str] | None = None) -> int:
    """Regenerate the lab profile, or with `--check` report whether it is up to date."""
    parser = argparse.ArgumentParser(
        prog="python -m playground.configs.rule_profiles", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--src", type=Path, default=REALISTIC_DIR, help="realistic profile folder")
    parser.add_argument("--dst", type=Path, default=LAB_DIR, help="lab profile folder")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the lab profile is out of date"
    )
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_lab_files(args.src, args.dst)
        if stale:
            names = ", ".join(stale)
            print(f"lab profile out of date: {names}; run {parser.prog}", file=sys.stderr)
            return 1
        print("lab profile is up to date")
        return 0
    for path in render_lab_profile(args.src, args.dst):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
