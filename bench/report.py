"""The benchmark's summary: the machine, medians with their spread, ratios, the scrape."""

import os
import platform
import statistics
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from bench.options import BASELINE
from bench.run import BUSY_ENOUGH, Results, RunRecord
from bench.stats import Spread, paired_differences, paired_ratios

_PACKAGES = (
    "uvicorn",
    "uvloop",
    "httptools",
    "fastapi",
    "starlette",
    "prometheus-client",
    "prometheus-fastapi-instrumentator",
)


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, or what platform knows."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def describe_machine() -> list[str]:
    """Date, CPUs, load and the versions that shape the figures."""
    versions = ", ".join(f"{name} {version(name)}" for name in _PACKAGES)
    return [
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"machine: {os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()}",
        f"packages: {versions}",
    ]


def _spread(values: list[float], scale: float = 1.0, digits: int = 0) -> str:
    spread = Spread.of([value * scale for value in values])
    form = f"{{:,.{digits}f}}"
    return f"{form.format(spread.median)} ({form.format(spread.low)}-{form.format(spread.high)})"


def _load(load: tuple[float, float, float]) -> str:
    return " ".join(f"{value:.2f}" for value in load)


def clean_rounds(runs: list[RunRecord]) -> set[int]:
    """The rounds in which every run had its server CPU to itself (busy >= BUSY_ENOUGH)."""
    rounds = {r.round for r in runs}
    return {n for n in rounds if all(r.server_busy >= BUSY_ENOUGH for r in runs if r.round == n)}


def _ratio_lines(runs: list[RunRecord], instrumented: tuple[str, ...], title: str) -> list[str]:
    rps = {(r.round, r.variant): r.requests_per_second for r in runs}
    cpu = {(r.round, r.variant): r.server_cpu_per_request for r in runs}
    lines = [title]
    for variant in instrumented:
        throughput = paired_ratios(rps, variant, BASELINE)
        if not throughput:
            continue
        # Requests per CPU-second, instrumented over bare: the throughput ratio the server
        # would reach with its core to itself.
        efficiency = paired_ratios(cpu, BASELINE, variant)
        added = paired_differences(cpu, variant, BASELINE)
        lines.append(
            f"  {variant}: requests/s ratio {_spread(throughput, digits=3)}; "
            f"CPU-based ratio {_spread(efficiency, digits=3)}; "
            f"adds {_spread(added, 1e6, 1)} µs of server CPU per request"
        )
    return lines


def summary(results: Results) -> list[str]:
    """The lines ``python -m bench`` prints at the end."""
    options = results.options
    lines = describe_machine()
    pinning = (
        f"servers on CPU {options.server_cpu}, load generator on CPU {options.client_cpu}"
        if options.server_cpu is not None
        else "not pinned"
    )
    lines += [
        f"load average (1, 5, 15 min): before {_load(results.load_before)}, "
        f"after {_load(results.load_after)}",
        f"setup: {pinning}; {options.connections} keep-alive connections; "
        f"{options.rounds} round(s) of {options.warmup:g} s warm-up + {options.duration:g} s "
        f"measured; GET {options.customers:,} customer ids in turn",
        "",
    ]
    if results.calibration is not None:
        calibration = results.calibration
        lines.append(
            f"calibration, trivial Starlette endpoint: {calibration.requests_per_second:,.0f} "
            f"requests/s with the load generator {calibration.client_busy:.0%} busy "
            f"({calibration.client_cpu_seconds / calibration.requests * 1e6:.1f} µs of client "
            "CPU per request)"
        )
        lines.append("")
    header = (
        f"{'variant':<20} {'requests/s':>22} {'p99 ms':>18} {'server CPU µs/req':>20} "
        f"{'server busy':>12} {'client busy':>12}"
    )
    lines += ["medians over the rounds (lowest-highest):", header]
    by_variant: dict[str, list[RunRecord]] = {}
    for record in results.runs:
        by_variant.setdefault(record.variant, []).append(record)
    for variant in options.variants:
        records = by_variant.get(variant, [])
        if not records:
            continue
        lines.append(
            f"{variant:<20} "
            f"{_spread([r.requests_per_second for r in records]):>22} "
            f"{_spread([r.p99_seconds for r in records], 1e3, 2):>18} "
            f"{_spread([r.server_cpu_per_request for r in records], 1e6, 1):>20} "
            f"{statistics.median(r.server_busy for r in records):>12.0%} "
            f"{statistics.median(r.client_busy for r in records):>12.0%}"
        )
    contended = [r for r in results.runs if r.server_busy < BUSY_ENOUGH]
    if contended:
        lines.append(
            f"{len(contended)} of {len(results.runs)} runs had the server under "
            f"{BUSY_ENOUGH:.0%} busy: another process shared its CPU (their requests/s are low; "
            "CPU per request is less affected)"
        )
    lines.append("")
    title = f"instrumented / {BASELINE}, paired within each round, median (lowest-highest):"
    lines += _ratio_lines(results.runs, options.instrumented, title)
    clean = clean_rounds(results.runs)
    if not clean:
        lines.append("no round was free of disturbance")
    elif len(clean) < options.rounds:
        quiet = [r for r in results.runs if r.round in clean]
        title = f"the same over the {len(clean)} round(s) where no run was disturbed:"
        lines += _ratio_lines(quiet, options.instrumented, title)
    if results.scrapes:
        lines += ["", "/metrics, scraped one after another on one keep-alive connection:"]
    for scrape in results.scrapes:
        lines.append(
            f"  {scrape.variant}: after {scrape.requests_served:,} requests, "
            f"{scrape.size_bytes:,} bytes, {scrape.series} series, "
            f"{_spread(scrape.seconds, 1e3, 2)} ms per scrape, "
            f"{scrape.server_cpu_seconds_per_scrape * 1e3:.2f} ms of server CPU each"
        )
    return lines


def print_summary(results: Results, say: Callable[[str], None] = print) -> None:
    for line in summary(results):
        say(line)
