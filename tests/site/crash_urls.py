"""A URLconf for the 500 tests: the site's routes plus one view that crashes, same handlers."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from hippo_site.urls import handler400, handler404, handler500
from hippo_site.urls import urlpatterns as site_urlpatterns


def crash(request: HttpRequest) -> HttpResponse:
    """Fail the way a bug would."""
    raise RuntimeError("secret detail that must not reach the client")


urlpatterns = [path("crash", crash), *site_urlpatterns]

__all__ = ["handler400", "handler404", "handler500", "urlpatterns"]
