from django.apps import AppConfig


class RunsConfig(AppConfig):
    """Training runs as records: configuration, status, metrics, files; executed by workers."""

    name = "runs"
    verbose_name = "Training runs"
