from pathlib import Path

from django.apps import AppConfig


class HippoSiteConfig(AppConfig):
    """The project itself: system checks and the data directory."""

    name = "hippo_site"
    verbose_name = "Hippo"

    def ready(self) -> None:
        """Register system checks and make sure the data directory exists."""
        from django.conf import settings

        from hippo_site import checks  # noqa: F401  (registers the checks)

        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        # whitenoise warns on every start when STATIC_ROOT is missing; before `collectstatic` has
        # run (development, tests) it is simply empty and the finders serve the files.
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
