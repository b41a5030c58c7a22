"""The HTTP benchmark: demo_app instrumented versus bare, over real uvicorn processes.

``python -m bench`` (``make bench``) runs it; bench/README.md has the method and figures.
"""


class BenchError(RuntimeError):
    """The benchmark cannot give a true figure: a server failed, answered wrongly, or
    recorded nothing."""
