"""Routes of the MNIST samples API."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
