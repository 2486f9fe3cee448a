from django.apps import AppConfig


class InferenceConfig(AppConfig):
    """The REST API that runs the cached NumPy networks."""

    name = "inference"
    verbose_name = "Inference API"
