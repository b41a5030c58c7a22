"""The benchmark's command line: ``python -m bench --help``."""

import argparse
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bench.apps import FACTORIES, INSTRUMENTED
from demo_app.settings import Settings

DEFAULT_VARIANTS = ("bare", "demo_app", "demo_app_lean", "design_notes")
BASELINE = "bare"
# Each run: 1 s of warm-up, then 4 s measured (about 30,000 requests). 5 rounds x 4 variants
# x 5 s = 100 s, plus the calibration (5 s) and three scrape servers (about 15 s each at
# 7,000 requests/s): about 2.5 minutes in all.
DEFAULT_ROUNDS = 5
DEFAULT_DURATION = 4.0
DEFAULT_WARMUP = 1.0
# 16 connections, one request in flight on each: enough to keep one uvicorn core busy (1 and
# 4 leave it idle part of the time), few enough that latency is not mostly queueing.
DEFAULT_CONNECTIONS = 16
DEFAULT_SCRAPE_REQUESTS = 100_000
# 100 scrapes: the server's CPU clock ticks every 10 ms, so per scrape it is read to 0.1 ms.
DEFAULT_SCRAPES = 100
# Ids cus_00001 .. cus_<count> exist in demo_app with its default settings.
CUSTOMER_COUNT: int = Settings.model_fields["DEMO_APP_CUSTOMER_COUNT"].default


@dataclass(frozen=True)
class Options:
    """What one benchmark run does (see ``python -m bench --help``)."""

    variants: tuple[str, ...]
    rounds: int
    duration: float
    warmup: float
    connections: int
    server_cpu: int | None
    client_cpu: int | None
    calibrate: bool
    scrape_requests: int
    scrapes: int
    customers: int

    @property
    def instrumented(self) -> tuple[str, ...]:
        """The variants compared with the baseline."""
        return tuple(variant for variant in self.variants if variant != BASELINE)

    @property
    def scraped(self) -> tuple[str, ...]:
        """The variants that serve /metrics: checked after the rounds, and measured."""
        return tuple(variant for variant in self.variants if variant in INSTRUMENTED)


def _number(convert: Callable[[str], float], low: float, *, strict: bool = False) -> Any:
    """An argparse type: ``convert`` the text, then refuse values under ``low`` (or at it)."""

    def parse(text: str) -> float:
        value = convert(text)
        if value < low or (strict and value == low):
            bound = f"more than {low}" if strict else f"at least {low}"
            raise argparse.ArgumentTypeError(f"must be {bound}, not {value}")
        return value

    return parse


_positive_int = _number(int, 1)
_non_negative_int = _number(int, 0)
_positive_float = _number(float, 0, strict=True)
_non_negative_float = _number(float, 0)


def _variants(text: str) -> tuple[str, ...]:
    variants = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [v for v in variants if v not in FACTORIES and ":" not in v]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(FACTORIES)}, "
            "or module:factory"
        )
    if BASELINE not in variants:
        raise argparse.ArgumentTypeError(f"the variants must include the baseline, {BASELINE}")
    if len(set(variants)) != len(variants):
        raise argparse.ArgumentTypeError(f"a variant is named twice: {text}")
    return variants


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "demo_app instrumented versus bare, each as a real uvicorn process pinned to one "
            "CPU, loaded from another CPU over loopback; alternated rounds, medians."
        ),
    )
    parser.add_argument(
        "--variants",
        type=_variants,
        default=DEFAULT_VARIANTS,
        help=f"comma-separated, must include {BASELINE} (default: %(default)s)",
    )
    parser.add_argument("--rounds", type=_positive_int, default=DEFAULT_ROUNDS)
    parser.add_argument(
        "--duration", type=_positive_float, default=DEFAULT_DURATION, help="seconds measured"
    )
    parser.add_argument(
        "--warmup",
        type=_non_negative_float,
        default=DEFAULT_WARMUP,
        help="seconds run before measuring",
    )
    parser.add_argument("--connections", type=_positive_int, default=DEFAULT_CONNECTIONS)
    parser.add_argument(
        "--server-cpu", type=_non_negative_int, default=0, help="CPU of the servers"
    )
    parser.add_argument(
        "--client-cpu", type=_non_negative_int, default=1, help="CPU of the load generator"
    )
    parser.add_argument("--no-pin", action="store_true", help="let the OS place servers and client")
    parser.add_argument(
        "--no-calibrate",
        action="store_true",
        help="skip the trivial-endpoint run that shows the client is not the bottleneck",
    )
    parser.add_argument(
        "--scrape-requests",
        type=_non_negative_int,
        default=DEFAULT_SCRAPE_REQUESTS,
        help="requests served before /metrics is measured; 0 skips the scrape measurement",
    )
    parser.add_argument("--scrapes", type=_positive_int, default=DEFAULT_SCRAPES)
    parser.add_argument(
        "--customers",
        type=_positive_int,
        default=CUSTOMER_COUNT,
        help="distinct customer ids requested, from cus_00001 (default: all, %(default)s)",
    )
    return parser


def parse_args(argv: Sequence[str] | None = None) -> Options:
    """Parse the command line; argparse exits with a message on bad values."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.customers > CUSTOMER_COUNT:
        parser.error(f"--customers: demo_app knows {CUSTOMER_COUNT} customers by default")
    if not args.no_pin:
        if args.server_cpu == args.client_cpu:
            parser.error("--server-cpu and --client-cpu must differ (or pass --no-pin)")
        available = sorted(os.sched_getaffinity(0))
        for name, cpu in (("--server-cpu", args.server_cpu), ("--client-cpu", args.client_cpu)):
            if cpu not in available:
                parser.error(f"{name} {cpu} is not one of {available} (or pass --no-pin)")
    return Options(
        variants=args.variants,
        rounds=args.rounds,
        duration=args.duration,
        warmup=args.warmup,
        connections=args.connections,
        server_cpu=None if args.no_pin else args.server_cpu,
        client_cpu=None if args.no_pin else args.client_cpu,
        calibrate=not args.no_calibrate,
        scrape_requests=args.scrape_requests,
        scrapes=args.scrapes,
        customers=args.customers,
    )
