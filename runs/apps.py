from django.apps import AppConfig


class RunsConfig(AppConfig):
    """Training runs as records: configuration, status, metrics, files; executed by workers."""

    name = "runs"
    verbose_name = "Training runs"

    def ready(self) -> None:
        """Record the runs ``train_mnist`` starts (training knows only the observer protocol)."""
        from runs.recording import observe_cli_run
        from training.observers import register_observer_factory

        register_observer_factory(observe_cli_run)
