"""Helpers for the benchmark's tests (bench/ is installed with the project, like demo_app)."""

from bench.options import Options


def tiny_options(**overrides: object) -> Options:
    """A benchmark run small enough for a test: a fraction of a second per run."""
    values: dict[str, object] = {
        "variants": ("bare", "demo_app", "design_notes"),
        "rounds": 2,
        "duration": 0.3,
        "warmup": 0.1,
        "connections": 2,
        "server_cpu": None,
        "client_cpu": None,
        "calibrate": True,
        "scrape_requests": 50,
        "scrapes": 3,
        "customers": 100,
    }
    values.update(overrides)
    return Options(**values)  # type: ignore[arg-type]
