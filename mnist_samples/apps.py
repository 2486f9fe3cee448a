from django.apps import AppConfig


class MnistSamplesConfig(AppConfig):
    """MNIST data for the API: samples by dataset, loaded once per process."""

    name = "mnist_samples"
    verbose_name = "MNIST samples"
