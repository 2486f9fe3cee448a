"""The rule for model names: the one place that says which names the registry can hold.

A name is a file name in the store (`<name>.safetensors`), a URL segment and the registry row's
`SlugField(max_length=100)`. Whoever accepts a name (push, sync, and training's `--name`) checks
it here before writing anything, so a name the row cannot hold never reaches the store.
"""

from __future__ import annotations

import re

from registry.errors import InvalidModelName

MAX_MODEL_NAME_LENGTH = 100
"""The registry row's limit (`RegisteredModel.name`, a SlugField of max_length 100)."""

MODEL_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
"""Letters, digits, '-' and '_', starting with a letter or digit, at most 100 characters."""

_SHOWN = 40  # characters of a refused name quoted in the message (a long name stays readable)


def check_model_name(name: str) -> str:
    """Return `name` when the registry can hold it.

    Args:
        name: The model name (already slugified by the caller, if it slugifies).

    Raises:
        InvalidModelName: `name` is empty, longer than 100 characters, or has characters other
            than letters, digits, '-' and '_' (or does not start with a letter or digit).
    """
    if len(name) > MAX_MODEL_NAME_LENGTH:
        shown = name[:_SHOWN] + "..."
        raise InvalidModelName(
            f"model name '{shown}' is {len(name)} characters long: at most "
            f"{MAX_MODEL_NAME_LENGTH} are allowed"
        )
    if not MODEL_NAME_PATTERN.fullmatch(name):
        raise InvalidModelName(
            f"model name {name!r} is invalid: use 1-{MAX_MODEL_NAME_LENGTH} letters, digits, "
            "'-' or '_', starting with a letter or digit"
        )
    return name
