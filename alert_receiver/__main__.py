"""``python -m alert_receiver``: serve the receiver with uvicorn on the configured address."""

import logging

import uvicorn

from alert_receiver.main import create_application
from alert_receiver.settings import Settings
from http_limits import HeadLimitedHttpToolsProtocol


def main() -> None:
    """Run until SIGINT/SIGTERM."""
    settings = Settings()
    # uvicorn configures only its own loggers; this makes the receiver's log lines visible.
    logging.basicConfig(
        level=settings.ALERT_RECEIVER_LOG_LEVEL.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    uvicorn.run(
        create_application(settings),
        host=settings.ALERT_RECEIVER_HOST,
        port=settings.ALERT_RECEIVER_PORT,
        log_level=settings.ALERT_RECEIVER_LOG_LEVEL,
        # Bounded request heads (http_limits explains the choice).
        http=HeadLimitedHttpToolsProtocol,
    )


if __name__ == "__main__":
    main()
