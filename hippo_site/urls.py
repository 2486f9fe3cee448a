"""Top-level URL configuration.

The API sits at the root (compatible with the original Hippo API), beside the OpenAPI schema and
docs, the admin, and the demo page.
"""

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from api.docs_views import RedocView, SwaggerView, redoc_bundle_view
from hippo_site.views import DemoView, SchemaView

urlpatterns = [
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin): the site's icon.
    path("favicon.ico", RedirectView.as_view(url=static("demo/favicon.svg"), permanent=True)),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("docs", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc", RedocView.as_view(url_name="schema"), name="redoc"),
    path("redoc/redoc.standalone.js", redoc_bundle_view, name="redoc-bundle"),
    path("", include("inference.urls")),
    path("", include("mnist_samples.urls")),
    path("", include("runs.urls")),
    path("", DemoView.as_view(), name="demo"),
]

# Errors outside DRF views: pages for browsers (and the admin), the JSON envelope for API clients.
handler400 = "api.error_pages.bad_request"
handler404 = "api.error_pages.not_found"
handler500 = "api.error_pages.server_error"
