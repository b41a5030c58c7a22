"""Cleaning up after multiprocess workers (PROMETHEUS_MULTIPROC_DIR).

prometheus-client keeps one file per worker process and metric type; a live gauge of a
worker that died stays in the scrape until its files are marked dead.
"""

import glob
import os

from prometheus_client.multiprocess import mark_process_dead


def _pid_is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def forget_dead_workers() -> list[int]:
    """In multiprocess mode, drop the live gauges of worker processes that no longer exist.

    uvicorn has no child-exit hook, so each worker calls this as it starts: a worker that
    was killed (and replaced by uvicorn) leaves its in-progress gauge behind otherwise.

    Returns:
        The process ids whose gauges were dropped.
    """
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return []
    dead: set[int] = set()
    for path in glob.glob(os.path.join(directory, "gauge_live*_*.db")):
        pid = int(path.rsplit("_", 1)[1].removesuffix(".db"))
        if not _pid_is_alive(pid):
            dead.add(pid)
    for pid in dead:
        mark_process_dead(pid, directory)
    return sorted(dead)


def forget_this_worker() -> None:
    """In multiprocess mode, drop this process's live gauges as it shuts down."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        mark_process_dead(os.getpid(), directory)
