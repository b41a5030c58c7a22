"""Signals for the commands that run in the foreground (`up`, `scenario`).

SIGTERM (from `playground down`, or a supervisor) and SIGHUP (the terminal closed) stop them
as Ctrl-C does, through KeyboardInterrupt; a SIGHUP that was ignored (nohup) stays ignored.
While they clean up, all three are ignored, so a second Ctrl-C cannot cut the cleanup short.
Python can set handlers in the main thread only; elsewhere (a test calling the CLI from a
thread) both are no-ops.
"""

import contextlib
import signal
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def signals_as_interrupts() -> Iterator[None]:
    """SIGTERM and SIGHUP stop the command like Ctrl-C does (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    # Under nohup SIGHUP is ignored on purpose (`nohup playground up &` must outlive the
    # terminal): an ignored SIGHUP stays ignored.
    caught = [signal.SIGTERM]
    if signal.getsignal(signal.SIGHUP) != signal.SIG_IGN:
        caught.append(signal.SIGHUP)
    previous = {s: signal.signal(s, interrupt) for s in caught}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def signals_ignored() -> Iterator[None]:
    """While cleaning up, a second Ctrl-C must not cut the cleanup short."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    names = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in names}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
