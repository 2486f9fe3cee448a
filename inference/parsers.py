"""Request body parsers of the API: JSON with a size limit, and strict about NaN and Infinity.

DRF hands parsers the raw request stream, which skips Django's `DATA_UPLOAD_MAX_MEMORY_SIZE`
check; these parsers apply it themselves so an oversized body is a 413 before it is read whole.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any, NoReturn

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from inference.errors import ApiError, payload_too_large


def _reject_constant(name: str) -> NoReturn:
    """Refuse `NaN`, `Infinity` and `-Infinity`, which Python's json accepts but JSON does not."""
    raise ValueError(f"{name} is not a valid JSON number")


def body_limit() -> int | None:
    """The largest request body accepted, in bytes (None: no limit)."""
    limit: int | None = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return limit


def read_limited(stream: IO[bytes], limit: int | None) -> bytes:
    """Read the whole stream, raising a 413 `ApiError` as soon as it exceeds `limit` bytes."""
    if limit is None:
        return stream.read()
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise payload_too_large(f"The request body is larger than {limit} bytes.")
    return data


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a body size limit and strict numbers.

    `json.loads` on bytes is used directly (UTF-8/16/32 are detected as RFC 8259 allows), which is
    also faster than DRF's stream decoding.
    """

    def parse(
        self,
        stream: IO[bytes] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        """Parse the body as JSON.

        Raises:
            ParseError: The body is not JSON (mapped to `malformed_json`).
            ApiError: The body is larger than `DATA_UPLOAD_MAX_MEMORY_SIZE` (413).
        """
        if stream is None:
            raise ParseError("the body is empty")
        limit = body_limit()
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if limit is not None and declared and declared.isdigit() and int(declared) > limit:
            # Refuse before reading: the client said how much it would send.
            raise payload_too_large(f"The request body is larger than {limit} bytes.")
        data = read_limited(stream, limit)
        try:
            return json.loads(data, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            # UnicodeDecodeError is a ValueError too.
            raise ParseError(str(exc)) from None


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser; its parse errors are `malformed_multipart`, not `malformed_json`."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        """Parse a multipart/form-data body.

        Raises:
            ApiError: 400 `malformed_multipart` when the body is not valid multipart.
        """
        try:
            return super().parse(stream, media_type, parser_context)
        except ParseError as exc:
            detail = str(exc.detail).removeprefix("Multipart form parse error - ")
            raise ApiError(
                400,
                "malformed_multipart",
                f"The multipart/form-data body could not be parsed: {detail}",
            ) from None
