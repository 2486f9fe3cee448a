"""Routes of the inference API (no trailing slashes, as in the original Hippo API)."""

from django.urls import URLPattern, path

from inference import example_views, views

urlpatterns: list[URLPattern] = [
    path("models", views.ModelListView.as_view(), name="models"),
    path("models/<str:name>", views.ModelDetailView.as_view(), name="model-detail"),
    path("models/<str:name>/examples", example_views.ExamplesView.as_view(), name="model-examples"),
    path("models/<str:name>/weights", views.WeightsView.as_view(), name="model-weights"),
    path("predict", views.PredictView.as_view(), name="predict"),
    path("predict/image", views.PredictImageView.as_view(), name="predict-image"),
    path("activations", views.ActivationsView.as_view(), name="activations"),
    path("healthz", views.HealthView.as_view(), name="healthz"),
    path("readyz", views.ReadyView.as_view(), name="readyz"),
]
