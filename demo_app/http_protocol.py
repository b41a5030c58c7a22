"""The HTTP protocol uvicorn serves demo_app with: httptools, with the head bounded.

Its own module, importing nothing of prometheus_client: ``python -m demo_app`` names it
before the multiprocess directory is prepared, and each worker imports it again.
"""

import json

from http_limits import HEAD_TOO_LARGE, HeadLimitedHttpToolsProtocol

# demo_app's error code for a 431, in errors.py's one shape.
HEAD_TOO_LARGE_CODE = "request_header_fields_too_large"


class DemoAppHttpProtocol(HeadLimitedHttpToolsProtocol):
    """Answers an oversized head with demo_app's error shape."""

    error_body = json.dumps({"error": HEAD_TOO_LARGE_CODE, "message": HEAD_TOO_LARGE}).encode()
