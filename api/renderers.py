r"""The API's JSON renderer: DRF's `JSONRenderer`, writing with orjson.

orjson writes the response of `POST /activations` (~1,000 floats) in ~25 µs where the `json`
module takes ~300 µs. Everything else stays DRF's: the media type, content negotiation (406 for
what it cannot produce), and `Accept: application/json; indent=N`, which is written by DRF's own
code (orjson only knows an indent of 2, and indented answers are for humans, not for speed).
Values orjson does not know (lazy translations, decimals, dates) go through DRF's encoder, so they
read as they did before.

Error messages echo what the client sent (an unknown field's name, a bad value), and the `json`
module that reads the bodies orjson refuses (`api.parsers`) turns a `\ud800` escape into a lone
surrogate: a string that is not Unicode, which no UTF-8 encoder writes. When orjson refuses the
data, the data is rendered again with every such character written as its escape (the six
characters `\ud800`), so the client sees what it sent and the answer is never a 500. That walk
runs only after orjson has refused: the hot path pays nothing for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

_ENCODER = JSONEncoder()
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME  # dates as DRF writes them ("...Z"), via _ENCODER


def encodable(value: Any) -> Any:
    r"""`value` with every string (keys too) made encodable as UTF-8.

    Lone surrogates become their escape (`\ud800`, six characters); other values are kept, and
    containers are copied (this runs only on the fallback path).
    """
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
        return value
    if isinstance(value, Mapping):
        return {encodable(key): encodable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [encodable(item) for item in value]
    return value


def _default(value: Any) -> Any:
    """DRF's encoding of a value orjson does not know, made encodable (the fallback path)."""
    return encodable(_ENCODER.default(value))


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer with orjson for compact output."""

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        """Render `data` as JSON: compact with orjson, or indented as the client asked."""
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", dict(renderer_context or {})):
            try:
                rendered: bytes = super().render(data, accepted_media_type, renderer_context)
            except UnicodeEncodeError:  # a lone surrogate (see the module's docstring)
                rendered = super().render(encodable(data), accepted_media_type, renderer_context)
            return rendered
        try:
            return orjson.dumps(data, default=_ENCODER.default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            pass  # a lone surrogate, a key that is not a string, an integer over 64 bits
        cleaned = encodable(data)
        try:
            return orjson.dumps(
                cleaned, default=_default, option=_OPTIONS | orjson.OPT_NON_STR_KEYS
            )
        except orjson.JSONEncodeError:
            fallback: bytes = super().render(cleaned, accepted_media_type, renderer_context)
            return fallback
