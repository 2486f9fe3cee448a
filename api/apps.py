from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The API layer shared by every app (no models, no routes of its own but the docs)."""

    name = "api"
    label = "api"
    verbose_name = "API layer"
