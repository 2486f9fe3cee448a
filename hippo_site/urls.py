"""Top-level URL configuration.

The API sits at the root (compatible with the original Hippo API), beside the OpenAPI schema and
docs, the admin, and the demo page.
"""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from hippo_site.views import DemoView
from inference.docs_views import RedocView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc", RedocView.as_view(url_name="schema"), name="redoc"),
    path("", include("inference.urls")),
    path("", include("mnist_samples.urls")),
    path("", DemoView.as_view(), name="demo"),
]

# Errors outside DRF views: JSON for the API paths, Django's HTML pages for the admin.
handler400 = "inference.error_handlers.bad_request"
handler404 = "inference.error_handlers.not_found"
handler500 = "inference.error_handlers.server_error"
