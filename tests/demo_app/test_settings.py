"""demo_app/settings.py: safe defaults, values from DEMO_APP_* variables, clear refusals."""

import pytest
from pydantic import ValidationError

from demo_app.settings import Settings


def test_defaults_are_safe() -> None:
    settings = Settings()
    assert settings.DEMO_APP_HOST == "127.0.0.1"
    assert settings.DEMO_APP_PORT == 8000
    assert settings.DEMO_APP_WORKERS == 1
    assert settings.DEMO_APP_ADMIN_TOKEN is None
    assert settings.DEMO_APP_LLM_PROVIDER == "simulated"
    assert settings.DEMO_APP_LLM_LATENCY_SCALE == 1.0


def test_values_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_APP_PORT", "18000")
    monkeypatch.setenv("DEMO_APP_WORKERS", "3")
    monkeypatch.setenv("DEMO_APP_SEED", "7")
    monkeypatch.setenv("DEMO_APP_DEFAULT_MODEL", "mixtral-8x7b-32768")
    monkeypatch.setenv("DEMO_APP_LLM_PRICES_USD_PER_MILLION_TOKENS", '{"mixtral-8x7b-32768": 1.5}')
    monkeypatch.setenv("DEMO_APP_LLM_HOURLY_BUDGET_USD", "3")
    monkeypatch.setenv("DEMO_APP_ADMIN_TOKEN", "a-long-enough-admin-token")
    settings = Settings()
    assert (settings.DEMO_APP_PORT, settings.DEMO_APP_WORKERS, settings.DEMO_APP_SEED) == (
        18000,
        3,
        7,
    )
    assert settings.DEMO_APP_DEFAULT_MODEL == "mixtral-8x7b-32768"
    assert settings.DEMO_APP_LLM_PRICES_USD_PER_MILLION_TOKENS == {
        "llama-3.1-8b-instant": 0.065,
        "mixtral-8x7b-32768": 1.5,
    }
    assert settings.DEMO_APP_LLM_HOURLY_BUDGET_USD == 3
    assert settings.DEMO_APP_ADMIN_TOKEN is not None
    assert settings.DEMO_APP_ADMIN_TOKEN.get_secret_value() == "a-long-enough-admin-token"
    assert "a-long-enough" not in repr(settings)


@pytest.mark.parametrize(
    "variable, value, mentions",
    [
        ("DEMO_APP_LLM_PROVIDER", "openai", "'simulated'"),
        ("DEMO_APP_ADMIN_TOKEN", "changeme", "at least 16 characters"),
        ("DEMO_APP_LLM_PRICES_USD_PER_MILLION_TOKENS", '{"gpt-4o": 5}', "llama-3.1-8b-instant"),
        ("DEMO_APP_LLM_PRICES_USD_PER_MILLION_TOKENS", '{"mixtral-8x7b-32768": -1}', "negative"),
        ("DEMO_APP_LLM_TIMEOUT_ERROR_RATE", "0.8", "add up to"),
        ("DEMO_APP_DEFAULT_MODEL", "gpt-4o", "mixtral-8x7b-32768"),
        ("DEMO_APP_WORKERS", "0", "greater than or equal to 1"),
        ("DEMO_APP_PORT", "70000", "less than or equal to 65535"),
        ("DEMO_APP_LOG_LEVEL", "loud", "'info'"),
        ("DEMO_APP_MAX_BODY_BYTES", "10", "greater than or equal to 1024"),
    ],
)
def test_bad_values_are_refused_with_a_reason(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, mentions: str
) -> None:
    monkeypatch.setenv(variable, value)
    monkeypatch.setenv("DEMO_APP_LLM_UPSTREAM_5XX_ERROR_RATE", "0.5")
    with pytest.raises(ValidationError) as raised:
        Settings()
    assert mentions in str(raised.value)
