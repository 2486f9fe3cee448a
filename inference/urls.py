"""Routes of the inference API (no trailing slashes, as in the original Hippo API)."""

from django.urls import URLPattern, path, register_converter
from django.urls.converters import StringConverter

from inference import example_views, views


class ModelNameConverter(StringConverter):
    """A model name in a path: any text without a slash or a NUL character.

    No stored name holds a NUL, and PostgreSQL refuses a query that does (an error, not an empty
    result), so such a path is simply not found (404) before any view or query runs.
    """

    regex = r"[^/\x00]+"


register_converter(ModelNameConverter, "model_name")

urlpatterns: list[URLPattern] = [
    path("models", views.ModelListView.as_view(), name="models"),
    path("models/<model_name:name>", views.ModelDetailView.as_view(), name="model-detail"),
    path(
        "models/<model_name:name>/examples",
        example_views.ExamplesView.as_view(),
        name="model-examples",
    ),
    path("models/<model_name:name>/weights", views.WeightsView.as_view(), name="model-weights"),
    path("predict", views.PredictView.as_view(), name="predict"),
    path("predict/image", views.PredictImageView.as_view(), name="predict-image"),
    path("activations", views.ActivationsView.as_view(), name="activations"),
    path("healthz", views.HealthView.as_view(), name="healthz"),
    path("readyz", views.ReadyView.as_view(), name="readyz"),
]
