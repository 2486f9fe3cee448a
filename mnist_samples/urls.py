"""Routes of the MNIST samples API."""

from django.urls import URLPattern, path

from mnist_samples import views

urlpatterns: list[URLPattern] = [
    path("mnist/samples", views.SamplesView.as_view(), name="mnist-samples"),
]
