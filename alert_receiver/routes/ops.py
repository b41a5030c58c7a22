"""GET /health and GET /metrics: for the runner's health check and for Prometheus."""

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from alert_receiver.deps import MetricsDep

router = APIRouter(tags=["ops"])


@router.get("/health")
def health() -> dict[str, str]:
    """Liveness: the process is up and serving."""
    return {"status": "ok"}


@router.get("/metrics", include_in_schema=False)
def metrics_endpoint(metrics: MetricsDep) -> Response:
    """The receiver's metrics in the Prometheus text format."""
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
