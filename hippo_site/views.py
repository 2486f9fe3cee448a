"""Views of the site itself (the API lives in `inference` and `mnist_samples`)."""

from __future__ import annotations

from django.views.generic import TemplateView


class DemoView(TemplateView):
    """The demo page at `/`: draw a digit, watch every layer, browse samples and models.

    The page is static HTML plus JavaScript that calls only the public API (the same calls a
    third-party frontend would make), so the view renders the template and nothing else.
    """

    template_name = "demo/index.html"
