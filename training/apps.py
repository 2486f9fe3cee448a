from django.apps import AppConfig


class TrainingConfig(AppConfig):
    """Management commands that train networks on MNIST and write model files."""

    name = "training"
    verbose_name = "Training"
