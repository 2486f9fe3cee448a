"""Routes of the inference API."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
