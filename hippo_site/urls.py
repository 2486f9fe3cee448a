"""Top-level URL configuration.

The API sits at the root (compatible with the original Hippo API), beside the OpenAPI schema and
docs, the admin, and the demo page.
"""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerView

from hippo_site.views import DemoView, SchemaView
from inference.docs_views import RedocView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc", RedocView.as_view(url_name="schema"), name="redoc"),
    path("", include("inference.urls")),
    path("", include("mnist_samples.urls")),
    path("", DemoView.as_view(), name="demo"),
]

# Errors outside DRF views: pages for browsers (and the admin), the JSON envelope for API clients.
handler400 = "inference.error_handlers.bad_request"
handler404 = "hippo_site.views.not_found"
handler500 = "hippo_site.views.server_error"
