"""`ApiView`, the base of every API view of the project."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from api.parsers import JSONParser, RawBodyParser


class ApiView(APIView):
    """Base of the API views: JSON in (size-limited, strict), JSON out, throttled by settings."""

    parser_classes: Sequence[type[BaseParser]] = [JSONParser]
    uses_throttles = True
    """False for the health probes, which must never be throttled."""

    def get_throttles(self) -> list[BaseThrottle]:
        """The throttles of `REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]`, read per request.

        DRF copies the setting into the class when it is defined; reading it here lets
        `HIPPO_THROTTLE_ANON` (and tests) change it without redefining the views.
        """
        if not self.uses_throttles:
            return []
        # Dotted paths in the settings; DRF's api_settings hands out the imported classes.
        classes: Sequence[Any] = api_settings.DEFAULT_THROTTLE_CLASSES
        return [throttle() for throttle in classes]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """DRF's checks, then the refusal of an empty raw body this view would parse."""
        super().initial(request, *args, **kwargs)
        self.refuse_empty_raw_body(request)

    def refuse_empty_raw_body(self, request: Request) -> None:
        """Raise a 400 naming the body when a raw (binary) body this view accepts is empty.

        DRF skips the parsers when there is no body and hands the view `{}`, which would then be
        reported as a JSON body missing its fields.

        Raises:
            ApiError: `invalid_input` under the field `body`, saying that it is empty.
        """
        media_type = request.content_type.partition(";")[0].strip().lower()
        if not media_type or media_type.startswith(("application/json", "multipart/")):
            return  # the hot path: nothing to look up
        for parser in self.parser_classes:
            if (
                isinstance(parser, type)
                and issubclass(parser, RawBodyParser)
                and parser.media_type == media_type
                and request.stream is None
            ):
                raise parser.empty_body_error()
