"""A lean path for plain `POST /predict` calls, in front of Django (see `inference.wsgi`).

`inference.asgi` does the same for ASGI with the functions here.

`POST /predict` is the hot path (`bench/api_throughput.py`). Through the full stack, a request
spends more time in Django's middleware and DRF's request/response machinery than in the network
itself (~200 µs against ~80 µs for parsing, checking and predicting). This wrapper answers the
common case before Django is entered, with the same code as the DRF view (`inference.pixels`
checks, `inference.services` predicts) and the same bytes and headers out (tests compare the two).

Only the plain, successful case is served here: a JSON body within the size limit, a valid host, no
`Origin` header (CORS stays with django-cors-headers), no throttling configured, no HTTPS redirect,
and input that passes every check. Everything else, including every error, goes to Django with the
body it already read, so error responses come from one place only.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import orjson
from corsheaders.conf import conf as cors_conf
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.csp import build_policy

from inference import services
from inference.pixels import parse_batch, parse_pixels
from inference.serializers import MODEL_NAME_MAX_LENGTH

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


PATH = "/predict"
_MAX_KNOWN_HOSTS = 64


def _render(payload: dict[str, Any]) -> bytes:
    """JSON exactly as DRF's `JSONRenderer` writes it with the default settings.

    Not orjson: it writes small floats differently (`3.2e-7`, `0.00001` where Python writes
    `3.2e-07`, `1e-05`), and probabilities are often that small, so the two paths would answer
    different bytes; for one prediction the difference is ~7 µs.
    """
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def response_headers() -> list[tuple[str, str]]:
    """The headers Django's stack puts on a `POST /predict` answer (except Content-Length)."""
    headers = [("Content-Type", "application/json"), ("Allow", "POST, OPTIONS")]
    if "corsheaders.middleware.CorsMiddleware" in settings.MIDDLEWARE and re.match(
        cors_conf.CORS_URLS_REGEX, PATH
    ):
        headers.append(("Vary", "origin"))  # added by django-cors-headers to every API answer
    if "django.middleware.clickjacking.XFrameOptionsMiddleware" in settings.MIDDLEWARE:
        headers.append(("X-Frame-Options", getattr(settings, "X_FRAME_OPTIONS", "DENY").upper()))
    if "django.middleware.security.SecurityMiddleware" in settings.MIDDLEWARE:
        if settings.SECURE_CONTENT_TYPE_NOSNIFF:
            headers.append(("X-Content-Type-Options", "nosniff"))
        if settings.SECURE_REFERRER_POLICY:
            policy = settings.SECURE_REFERRER_POLICY
            value = policy if isinstance(policy, str) else ",".join(policy)
            headers.append(("Referrer-Policy", ",".join(v.strip() for v in value.split(","))))
        if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
            headers.append(
                ("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY)
            )
    policy_config: dict[str, Any] = settings.SECURE_CSP
    if (
        "django.middleware.csp.ContentSecurityPolicyMiddleware" in settings.MIDDLEWARE
        and policy_config
    ):
        # No nonce: a JSON answer has no inline script to allow.
        headers.append(("Content-Security-Policy", build_policy(policy_config)))
    return headers


def fast_path_enabled() -> bool:
    """Whether the settings let the lean path answer at all (else Django answers everything)."""
    rest: dict[str, Any] = getattr(settings, "REST_FRAMEWORK", {})
    return not (
        rest.get("DEFAULT_THROTTLE_CLASSES")
        or settings.SECURE_SSL_REDIRECT
        or settings.USE_X_FORWARDED_HOST
        or getattr(settings, "CORS_ALLOW_ALL_ORIGINS", False)
    )


def predict_body(body: bytes) -> bytes | None:
    """The response body for a `POST /predict` request body, or None to let Django answer.

    None means "not the plain successful case": the body is not a JSON object, a field is
    invalid, or the registry raises. Django then produces the (error) response itself.

    The body is parsed with orjson (~15 µs for 784 numbers against ~45 µs with `json`). Where it
    differs from the `json` module Django's parser uses, it is stricter (it refuses `NaN` and
    `Infinity`, numbers beyond a double's range, lone surrogates, other encodings than UTF-8, a
    byte-order mark) and raises, so Django parses the body again and answers; it reads integers
    beyond 64 bits as floats, which no check accepts as a pixel either.
    """
    data = orjson.loads(body)
    if type(data) is not dict:
        return None
    model = data.get("model")
    if model is not None and (
        type(model) is not str
        or not model
        or len(model) > MODEL_NAME_MAX_LENGTH
        or model != model.strip()
    ):
        return None
    if "pixels" in data:
        if "batch" in data:
            return None
        result = services.predict(parse_pixels(data["pixels"]), model)
    elif "batch" in data:
        limit = int(settings.HIPPO_PREDICT_BATCH_LIMIT)
        result = services.predict_batch(parse_batch(data["batch"], limit), model)
    else:
        return None
    return _render(result)


class KnownHosts:
    """Whether a `Host` header names one of `ALLOWED_HOSTS`, as Django's `get_host` checks it.

    The answers for the first few hosts seen are remembered (a client chooses the header).
    """

    def __init__(self) -> None:
        self.allowed_hosts = list(settings.ALLOWED_HOSTS)
        self._hosts: dict[str, bool] = {}

    def __call__(self, host: str) -> bool:
        """Whether `host` (the header's value, maybe with a port) is allowed."""
        known = self._hosts.get(host)
        if known is None:
            domain, _port = split_domain_port(host)
            known = bool(domain) and validate_host(domain, self.allowed_hosts)
            if len(self._hosts) < _MAX_KNOWN_HOSTS:
                self._hosts[host] = known
        return known


class PredictFastPath:
    """WSGI middleware answering plain `POST /predict` requests before Django does.

    Args:
        app: The Django WSGI application, which answers everything else.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app
        self.enabled = fast_path_enabled()
        self.headers = response_headers()
        self.body_limit: int | None = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        self.host_ok = KnownHosts()
        self.served = 0
        """Requests answered by the lean path (tests and the benchmark read it)."""

    def _eligible(self, environ: WSGIEnvironment) -> int | None:
        """The body length when the request may take the lean path, else None."""
        if not (
            self.enabled
            and environ.get("PATH_INFO") == PATH
            and environ.get("REQUEST_METHOD") == "POST"
            and "HTTP_ORIGIN" not in environ
            and (environ.get("CONTENT_TYPE") or "").startswith("application/json")
            and self.host_ok(environ.get("HTTP_HOST") or "")
        ):
            return None
        declared = environ.get("CONTENT_LENGTH") or ""
        if not declared.isdigit():
            return None
        length = int(declared)
        if self.body_limit is not None and length > self.body_limit:
            return None
        return length

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer `POST /predict` here when possible, else hand the request to Django."""
        length = self._eligible(environ)
        if length is None:
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(length)
        # Django's request_started/finished signals are not sent: their receivers cost ~40 µs
        # here. Database connections are still looked after: a failing query raises, the
        # request falls back to Django, and Django's own request_started closes the broken
        # connection (errors_occurred) before retrying.
        try:
            answer = predict_body(body)
        except Exception:  # every failure is Django's to report, with the same body
            answer = None
        if answer is None:
            environ["wsgi.input"] = io.BytesIO(body)
            return self.app(environ, start_response)
        self.served += 1
        start_response("200 OK", [*self.headers, ("Content-Length", str(len(answer)))])
        return [answer]
