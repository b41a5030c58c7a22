"""The HTTP protocol uvicorn serves demo_app with: httptools, with the head bounded.

Its own module, importing nothing of prometheus_client: ``python -m demo_app`` names it
before the multiprocess directory is prepared, and each worker imports it again.
"""

import json

from http_limits import HeadLimitedHttpToolsProtocol

# demo_app's error codes for what the protocol answers itself, in errors.py's one shape.
HEAD_TOO_LARGE_CODE = "request_header_fields_too_large"
_CODES = {400: "malformed_request", 431: HEAD_TOO_LARGE_CODE}


class DemoAppHttpProtocol(HeadLimitedHttpToolsProtocol):
    """Answers an oversized head, or a request it cannot parse, in demo_app's error shape."""

    @staticmethod
    def error_body(status_code: int, message: str) -> bytes:
        code = _CODES.get(status_code, "http_error")
        return json.dumps({"error": code, "message": message}).encode()
