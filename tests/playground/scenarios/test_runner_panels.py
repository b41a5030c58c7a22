"""timeline.png's panels find their alert in the rules, by the model that predicts it."""

from playground.scenarios.predictions import latency_model, offline_alert_config
from playground.scenarios.runner import PLOT_PANELS, panel_alert
from tests.support.alert_rules import renamed_alert


def test_every_panel_shows_the_one_alert_its_model_predicts() -> None:
    config = offline_alert_config("lab")
    names = [panel_alert(config, model) for model, *_ in PLOT_PANELS]
    assert names == ["HighErrorRate", "SlowLLM", "DemoAppSaturated"]


def test_a_renamed_alert_keeps_its_panel() -> None:
    assert panel_alert(renamed_alert("lab", "SlowLLM", "LLMTooSlow"), latency_model) == (
        "LLMTooSlow"
    )
