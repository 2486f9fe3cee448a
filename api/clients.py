"""Who is asking: the one rule for a client's address, for every limit that counts per client.

Log-in limits (`login_guard`), the per-client bound on large images (`inference.images`) and the
API's anonymous throttle all count requests per client address, so all three must agree on what
that address is — behind a proxy especially, where a wrong rule either lets one client pose as many
(trusting a header it wrote) or makes every client one (counting the proxy).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle


def client_address(meta: Mapping[str, Any]) -> str:
    """The client's address: `REMOTE_ADDR`, or behind trusted proxies the one they forwarded.

    `meta` is a request's `META` or a WSGI environ (the same keys).

    With `HIPPO_TRUSTED_PROXIES` (addresses or networks) set and the request coming from one of
    them, `X-Forwarded-For` is read from the right: each trusted proxy appends the address it
    received the request from, so the first entry that is not a trusted proxy is the client.
    Entries further left were written by the client itself and are never believed.
    """
    remote: str = meta.get("REMOTE_ADDR", "")
    trusted: list[str] = settings.HIPPO_TRUSTED_PROXIES
    if not trusted or not _in_networks(remote, trusted):
        return remote
    forwarded: str = meta.get("HTTP_X_FORWARDED_FOR", "")
    for entry in reversed([part.strip() for part in forwarded.split(",")]):
        if not _is_address(entry):
            return remote  # a malformed header: fall back to the proxy's own address
        if not _in_networks(entry, trusted):
            return entry
    return remote


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _in_networks(address: str, networks: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(network, strict=False) for network in networks)


class ClientAnonRateThrottle(AnonRateThrottle):
    """DRF's anonymous throttle, counting per `client_address` (not DRF's `NUM_PROXIES` rule)."""

    def get_ident(self, request: Request) -> str:
        """The client's address, as every other per-client limit of Hippo sees it."""
        return client_address(request.META)
