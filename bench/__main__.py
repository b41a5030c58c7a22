"""``python -m bench`` (``make bench``): run the benchmark and print its summary."""

import sys

from bench import BenchError
from bench.options import parse_args
from bench.report import print_summary
from bench.run import run


def main() -> int:
    options = parse_args()
    try:
        results = run(options)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    print()
    print_summary(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
