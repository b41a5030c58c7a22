"""Reading a webhook request into a ``WebhookPayload``, with every way it can be refused.

The body is read in chunks and abandoned as soon as it passes the size limit, so a huge
body never sits in memory; each refusal names a reason from a fixed set. Reading is async;
parsing is CPU work, done off the event loop by the caller.
"""

from typing import Any

from pydantic import ValidationError
from starlette.requests import Request

from alert_receiver.metrics import RejectionReason
from alert_receiver.models import WebhookPayload

JSON_MEDIA_TYPE = "application/json"


class PayloadRejected(Exception):
    """A webhook request that is not a valid Alertmanager payload.

    Args:
        status_code: The 4xx status to answer with.
        reason: The rejection reason, a bounded metric label value.
        detail: What was wrong, for the client.
    """

    def __init__(self, status_code: int, reason: RejectionReason, detail: Any) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.reason = reason
        self.detail = detail


def _check_media_type(request: Request) -> None:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != JSON_MEDIA_TYPE:
        raise PayloadRejected(
            415,
            "unsupported_media_type",
            f"Content-Type must be {JSON_MEDIA_TYPE}, got {media_type or 'none'!r}.",
        )


async def _read_bounded(request: Request, max_bytes: int) -> bytes:
    too_large = PayloadRejected(413, "too_large", f"Body is larger than {max_bytes} bytes.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise too_large
    return bytes(body)


async def read_webhook_body(request: Request, max_bytes: int) -> bytes:
    """The body of a webhook request, once its media type and size are acceptable.

    Raises:
        PayloadRejected: 415 for a non-JSON content type, 413 for a body over ``max_bytes``.
    """
    _check_media_type(request)
    return await _read_bounded(request, max_bytes)


def parse_webhook_payload(body: bytes) -> WebhookPayload:
    """Validate a webhook body as a version 4 payload.

    pydantic parses the JSON itself (in Rust, straight into the model), which costs far
    less memory than ``json.loads`` followed by validation of the Python objects.

    Raises:
        PayloadRejected: 400 for a body that is not JSON, 422 for JSON that is not a
            version 4 webhook payload.
    """
    try:
        return WebhookPayload.model_validate_json(body)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        if any(error["type"] == "json_invalid" for error in errors):
            raise PayloadRejected(
                400, "malformed_json", f"Body is not valid JSON: {errors[0]['msg']}"
            ) from None
        raise PayloadRejected(422, "invalid_schema", errors) from None
