"""``python -m demo_app``: serve the API with uvicorn, with the settings' host, port and workers.

With DEMO_APP_WORKERS > 1 it first prepares prometheus-client's multiprocess mode, which must
be chosen before prometheus_client is imported; so this module imports nothing that does.
"""

import copy
import logging
import logging.config
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from demo_app.http_protocol import DemoAppHttpProtocol
from demo_app.settings import Settings

logger = logging.getLogger("demo_app")

# The file, inside the multiprocess directory, where workers share the fault state.
FAULTS_FILE_NAME = "faults.json"


def logging_config(level: str) -> dict[str, Any]:
    """uvicorn's logging configuration, plus the demo_app loggers at the same level."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["demo_app"] = {
        "handlers": ["default"],
        "level": level.upper() if level != "trace" else "DEBUG",
        "propagate": False,
    }
    return config


def prepare_multiproc_dir(directory: Path | None) -> tuple[Path, bool]:
    """Create or empty the multiprocess directory.

    Only the files this service writes there (``*.db`` and the shared fault state) are
    deleted, so pointing it at a directory that holds other files does no harm.

    Returns:
        The directory, and whether it is a temporary one to delete at exit.
    """
    if directory is None:
        return Path(tempfile.mkdtemp(prefix="demo_app-metrics-")), True
    directory.mkdir(parents=True, exist_ok=True)
    for stale in [*directory.glob("*.db"), directory / FAULTS_FILE_NAME]:
        stale.unlink(missing_ok=True)
    return directory, False


def main() -> None:
    """Run until SIGINT/SIGTERM."""
    settings = Settings()
    log_config = logging_config(settings.DEMO_APP_LOG_LEVEL)
    logging.config.dictConfig(log_config)
    if settings.DEMO_APP_ADMIN_TOKEN is None:
        # Generated here, once, so that every worker accepts the same token.
        os.environ["DEMO_APP_ADMIN_TOKEN"] = secrets.token_urlsafe(24)
        logger.warning(
            "DEMO_APP_ADMIN_TOKEN is not set; the admin token of this run is %s",
            os.environ["DEMO_APP_ADMIN_TOKEN"],
        )
    temporary: Path | None = None
    if settings.DEMO_APP_WORKERS > 1:
        directory, is_temporary = prepare_multiproc_dir(settings.DEMO_APP_MULTIPROC_DIR)
        temporary = directory if is_temporary else None
        # Inherited by the worker processes, which import prometheus_client afterwards.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
        os.environ["DEMO_APP_FAULTS_FILE"] = str(directory / FAULTS_FILE_NAME)
        logger.info(
            "%d workers, prometheus-client multiprocess directory %s",
            settings.DEMO_APP_WORKERS,
            directory,
        )
    try:
        uvicorn.run(
            "demo_app.main:create_app_from_env",
            factory=True,
            host=settings.DEMO_APP_HOST,
            port=settings.DEMO_APP_PORT,
            workers=settings.DEMO_APP_WORKERS,
            log_level=settings.DEMO_APP_LOG_LEVEL,
            log_config=log_config,
            access_log=settings.DEMO_APP_ACCESS_LOG,
            # Bounded request heads (http_limits explains the choice).
            http=DemoAppHttpProtocol,
        )
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)


if __name__ == "__main__":
    main()
