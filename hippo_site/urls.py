"""Top-level URL configuration.

The API sits at the root (compatible with the original Hippo API), beside the OpenAPI schema and
docs, the admin, and the demo page.
"""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("", include("inference.urls")),
    path("", include("mnist_samples.urls")),
]
