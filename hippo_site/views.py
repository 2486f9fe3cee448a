"""Views of the site itself: the demo page and the OpenAPI schema.

The API lives in `inference` and `mnist_samples`, its error pages in `api.error_pages`. The
schema is a readable page for a browser instead of a file download.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.template.loader import render_to_string
from django.views.generic import TemplateView
from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.views import SpectacularAPIView
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


class DemoView(TemplateView):
    """The demo page at `/`: draw a digit, watch every layer, browse samples and models.

    The page is static HTML plus JavaScript that calls only the public API (the same calls a
    third-party frontend would make), so the view renders the template and nothing else.
    """

    template_name = "demo/index.html"


class SchemaHTMLRenderer(BaseRenderer):
    """The OpenAPI schema as YAML in a readable HTML page, for browsers (`Accept: text/html`)."""

    media_type = "text/html"
    format = "html"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        """Render `data` (the schema) as YAML in the `api_schema.html` page."""
        context = dict(renderer_context or {})
        rendered: bytes = OpenApiYamlRenderer().render(  # type: ignore[no-untyped-call]
            data, renderer_context=context
        )
        yaml_text = rendered.decode()
        request = context.get("request")
        page = render_to_string("api_schema.html", {"schema_yaml": yaml_text}, request=request)
        return page.encode(self.charset)


class FormatQueryNegotiation(DefaultContentNegotiation):
    """Content negotiation that also honours `?format=json|yaml|html`.

    The API turns DRF's `URL_FORMAT_OVERRIDE` off (it speaks JSON only, and skipping the query
    string saves time on every request); the schema is the one resource with several formats.
    """

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        """DRF's choice, with `?format=` standing in for a format suffix."""
        chosen = format_suffix or request.query_params.get("format") or None
        renderer, media_type = super().select_renderer(request, renderers, chosen)
        return renderer, media_type


class SchemaView(SpectacularAPIView):
    """`/api/schema/`: YAML or JSON by content negotiation as before; a page for browsers.

    The HTML renderer comes last, so `Accept: */*` (curl, code generators) still gets YAML, and
    `?format=json` / `?format=yaml` pick a format explicitly.
    """

    renderer_classes = [*SpectacularAPIView.renderer_classes, SchemaHTMLRenderer]
    content_negotiation_class = FormatQueryNegotiation
