"""Waiting on a condition against a deadline, instead of sleeping blindly."""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(check: Callable[[], T], timeout: float, interval: float = 0.1) -> T:
    """Call ``check`` until it returns something truthy or ``timeout`` seconds pass.

    Args:
        check: Called at least once. Its exceptions propagate.
        timeout: Seconds from now.
        interval: Seconds between calls. Defaults to 0.1.

    Returns:
        The first truthy result, or the last (falsy) one when time ran out; the caller
        decides how to report that, with what it saw.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() >= deadline:
            return result
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
