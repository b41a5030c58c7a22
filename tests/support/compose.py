"""compose.yaml read the way Compose v2 reads it: YAML (anchors and `<<` merge keys
included), then `${VAR}` interpolation against .env, for the static compose checks."""

import re
from collections.abc import Mapping
from typing import Any

import yaml

from playground.core.paths import REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "compose.yaml"
ENV_FILE = REPO_ROOT / ".env"

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_BRACED_HEAD = re.compile(rf"({_NAME})(:?[-?+])?")
_BARE_NAME = re.compile(_NAME)
_ENV_LINE = re.compile(rf"^\s*(?:export\s+)?({_NAME})\s*=\s*(.*?)\s*$")


class MissingVariableError(ValueError):
    """A `${VAR:?message}` or `${VAR?message}` whose variable is missing."""


def parse_env_file(text: str) -> dict[str, str]:
    """Parse a Compose .env file: KEY=VALUE lines, `#` comments, optional quotes.

    Args:
        text: The file's content.

    Returns:
        Each variable's value, later lines winning.
    """
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _ENV_LINE.match(line)
        if match is None:
            raise ValueError(f"line {number} is not KEY=VALUE: {line!r}")
        key, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        else:
            # An unquoted value ends at ` #`, as in Compose.
            value = re.split(r"\s+#", value, maxsplit=1)[0]
        values[key] = value
    return values


def _matching_brace(text: str, start: int) -> int:
    """Index of the `}` closing the `${` whose `{` is at ``start``."""
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    raise ValueError(f"unclosed '${{' in {text!r}")


def _expand_braced(inner: str, env: Mapping[str, str]) -> str:
    """Expand the inside of one `${...}`: a name and an optional operator and word."""
    match = _BRACED_HEAD.match(inner)
    if match is None:
        raise ValueError(f"invalid interpolation '${{{inner}}}'")
    name, operator = match.groups()
    word = inner[match.end() :]
    if operator is None:
        if word:
            raise ValueError(f"invalid interpolation '${{{inner}}}'")
        return env.get(name, "")
    is_set = name in env
    has_value = is_set and env[name] != ""
    # `:` in the operator means "empty counts as missing".
    present = has_value if operator.startswith(":") else is_set
    if operator.endswith("-"):
        return env[name] if present else interpolate(word, env)
    if operator.endswith("+"):
        return interpolate(word, env) if present else ""
    if not present:
        raise MissingVariableError(f"{name}: {interpolate(word, env) or 'required'}")
    return env[name]


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Resolve Compose interpolation in one string.

    Supports `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
    `${VAR?error}`, `${VAR:+replacement}` and `${VAR+replacement}`, nested in the word.

    Args:
        text: A string from compose.yaml.
        env: The variables (the parsed .env).

    Returns:
        The string Compose would use.

    Raises:
        MissingVariableError: A required variable is missing.
        ValueError: The syntax is invalid (Compose refuses it too).
    """
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "$":
            out.append(char)
            index += 1
            continue
        following = text[index + 1 : index + 2]
        if following == "$":
            out.append("$")
            index += 2
        elif following == "{":
            end = _matching_brace(text, index + 1)
            out.append(_expand_braced(text[index + 2 : end], env))
            index = end + 1
        elif bare := _BARE_NAME.match(text, index + 1):
            out.append(env.get(bare.group(), ""))
            index = bare.end()
        else:
            raise ValueError(f"invalid '$' at {index} in {text!r} (write '$$' for a literal $)")
    return "".join(out)


def interpolate_tree(node: Any, env: Mapping[str, str]) -> Any:
    """Interpolate every string value (not keys) in a loaded YAML tree."""
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [interpolate_tree(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolate_tree(value, env) for key, value in node.items()}
    return node


def load_compose(text: str, env: Mapping[str, str]) -> dict[str, Any]:
    """Load compose YAML and interpolate it, as `docker compose config` would."""
    return interpolate_tree(yaml.safe_load(text), env)
