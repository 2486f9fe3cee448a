"""Health probes answered whatever the Host header says.

A load balancer probes each instance by its IP address (`Host: 10.0.0.7:8000`), which is not in
`ALLOWED_HOSTS` once that names the site's host: Django would answer 400 (DisallowedHost) and the
instance would be taken out of service. For the paths of `settings.HIPPO_ANY_HOST_PATHS` only,
this middleware lets the request keep whatever host it names; every other path keeps Django's host
validation. The probes still go through the rest of the middleware and their DRF views.

The probe views never use the host (no redirect, no absolute URL, no cookie), so a forged Host
header can do nothing there.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponseBase


def _any_host(request: HttpRequest) -> str:
    """The request's host as Django validates it, or as sent when it is not allowed."""
    try:
        return HttpRequest.get_host(request)
    except DisallowedHost:
        # As sent: the Host header (HTTP/1.1 requires one), else the server's own name.
        host: str = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "")
        return host


class AnyHostProbesMiddleware:
    """Skip the `ALLOWED_HOSTS` check for the health probes' paths (list it first in MIDDLEWARE).

    Args:
        get_response: The next middleware or the view.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.paths = frozenset(settings.HIPPO_ANY_HOST_PATHS)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        """Pass the request on; a probe's `get_host` no longer refuses an unknown host."""
        if request.path_info in self.paths:
            # An attribute of this one request: other requests keep HttpRequest.get_host.
            request.get_host = lambda: _any_host(request)  # type: ignore[method-assign]
        return self.get_response(request)
