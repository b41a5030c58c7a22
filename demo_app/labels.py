"""The bounded vocabularies that metric label values come from.

No label value is ever taken from a request: it is one of these, a route template
(demo_app.paths) or a literal HTTP status code.
"""

from typing import Literal

Model = Literal["llama-3.1-8b-instant", "mixtral-8x7b-32768"]
# The allow-list of `model` values; a request naming any other model gets a 422.
MODELS: tuple[Model, ...] = ("llama-3.1-8b-instant", "mixtral-8x7b-32768")

Agent = Literal["intent_classifier", "responder"]
AGENTS: tuple[Agent, ...] = ("intent_classifier", "responder")

LLMErrorKind = Literal["rate_limit", "timeout", "upstream_5xx"]
LLM_ERROR_KINDS: tuple[LLMErrorKind, ...] = ("rate_limit", "timeout", "upstream_5xx")

Preset = Literal["healthy", "error-storm", "slow-llm"]
PRESETS: tuple[Preset, ...] = ("healthy", "error-storm", "slow-llm")
