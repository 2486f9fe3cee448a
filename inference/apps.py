from django.apps import AppConfig


class InferenceConfig(AppConfig):
    """The REST API that runs the cached NumPy networks."""

    name = "inference"
    verbose_name = "Inference API"

    def ready(self) -> None:
        """Let the API's exception handler answer the registry's errors with their codes."""
        from api.errors import register_translator
        from inference.errors import registry_error

        register_translator(registry_error)
