from django.apps import AppConfig


class RegistryConfig(AppConfig):
    """Mirror of the model store's metadata (the Hugging Face Hub or a local directory)."""

    name = "registry"
    verbose_name = "Model registry"
