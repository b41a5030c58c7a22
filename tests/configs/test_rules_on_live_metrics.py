"""The lab rules evaluated by a real Prometheus on a real demo_app's metrics.

promtool's unit tests feed the rules series written by hand; this checks that those series
are the ones demo_app really exports: every rule group evaluates without error, every record
the alerts read has data for demo_app (metric names, labels, the le="0.5" bucket, the
price and budget gauges), and the fault preset gauge and a real error storm drive
DemoAppFaultActive and HighErrorRate as the rules expect.

The copy of prometheus.yml scrapes and evaluates every second instead of every 5 s, to stay
quick; nothing else in it changes except the addresses. Alertmanager is not needed here.
"""

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from playground.core.net import free_port

STARTUP_SECONDS = 20.0
EVALUATION_DEADLINE_SECONDS = 30.0
# Records and expressions that must return a demo_app series once traffic has flowed.
EXPECTED_SERIES = (
    'job:http_requests:rate30s{job="demo_app"}',
    'job:http_request_errors:ratio_rate30s{job="demo_app"} > 0',
    'handler:http_request_errors:ratio_rate6m{handler="/api/v1/messages"}',
    'handler:http_requests_slow:ratio_rate30s{handler="/api/v1/messages"}',
    'handler:http_requests_slow:ratio_rate36m{handler="/api/v1/messages"}',
    'job:llm_call_duration_seconds:p95_rate30s{job="demo_app"}',
    'job:llm_spend_usd:rate6m{job="demo_app"} > 0',
    'max by (job) (llm_hourly_budget_usd{job="demo_app"})',
    'max_over_time(http_requests_inprogress{job="demo_app"}[12s])',
    'ALERTS{alertname="DemoAppFaultActive",alertstate="firing",preset="error-storm"}',
    'ALERTS{alertname="HighErrorRate",job="demo_app"}',
)


@pytest.fixture
def demo_app(tools, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """demo_app on a free port, with fast simulated LLM calls; yields (URL, admin token)."""
    port, token = free_port(), secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "DEMO_APP_PORT": str(port),
        "DEMO_APP_ADMIN_TOKEN": token,
        "DEMO_APP_LLM_LATENCY_SCALE": "0.01",
        "DEMO_APP_LOG_LEVEL": "warning",
    }
    log = tmp_path / "demo_app.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "demo_app"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        tools.wait_ready(f"{url}/ready", process, log, STARTUP_SECONDS)
        yield url, token
    finally:
        tools.stop(process)


@pytest.fixture
def prometheus(tools, repo, tmp_path: Path, demo_app: tuple[str, str]) -> Iterator[str]:
    """Prometheus with the lab rules, scraping the demo_app above every second."""
    config = repo.load(repo.prometheus_config)
    port = free_port()
    config["global"].update(scrape_interval="1s", scrape_timeout="1s", evaluation_interval="1s")
    config.pop("alerting")
    targets = {"demo_app": demo_app[0].removeprefix("http://"), "prometheus": f"127.0.0.1:{port}"}
    config["scrape_configs"] = [
        {
            **{key: value for key, value in job.items() if key != "dns_sd_configs"},
            "static_configs": [{"targets": [targets[job["job_name"]]]}],
        }
        for job in config["scrape_configs"]
        if job["job_name"] in targets
    ]
    config_dir = tmp_path / "prometheus"
    config_dir.mkdir()
    (config_dir / "prometheus.yml").write_text(yaml.safe_dump(config))
    (config_dir / "rules").symlink_to(repo.rules_dir("lab"), target_is_directory=True)
    log = tmp_path / "prometheus.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                str(tools.prometheus),
                f"--config.file={config_dir / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        tools.wait_ready(f"{url}/-/ready", process, log, STARTUP_SECONDS)
        yield url
    finally:
        tools.stop(process)


def _query(prometheus: str, expr: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=5)
    response.raise_for_status()
    return response.json()["data"]["result"]


def _rule_problems(prometheus: str) -> list[str]:
    groups = httpx.get(f"{prometheus}/api/v1/rules", timeout=5).json()["data"]["groups"]
    return [
        f"{group['name']}/{rule['name']}: {rule['health']} {rule.get('lastError', '')}"
        for group in groups
        for rule in group["rules"]
        if rule["health"] != "ok"
    ]


@pytest.mark.tools
def test_lab_rules_evaluate_cleanly_on_real_demo_app_metrics(
    demo_app: tuple[str, str], prometheus: str
) -> None:
    app, token = demo_app
    admin = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=app, timeout=10) as client:
        response = client.post("/admin/faults/presets/error-storm", headers=admin)
        assert response.status_code == 200, response.text
        deadline = time.monotonic() + EVALUATION_DEADLINE_SECONDS
        missing: list[str] = list(EXPECTED_SERIES)
        problems: list[str] = []
        while time.monotonic() < deadline:
            for model in ("llama-3.1-8b-instant", "mixtral-8x7b-32768"):
                client.post(
                    "/api/v1/messages", json={"message": "Where is my refund?", "model": model}
                )
            client.get("/api/v1/customers/cus_00001")
            problems = _rule_problems(prometheus)
            missing = [expr for expr in EXPECTED_SERIES if not _query(prometheus, expr)]
            if not missing and not problems:
                break
            time.sleep(0.2)
    assert not problems, f"rules with evaluation errors: {problems}"
    assert not missing, (
        f"no demo_app series for: {missing}\n"
        f"targets: {httpx.get(f'{prometheus}/api/v1/targets', timeout=5).json()['data']}"
    )
