"""What an answer to a hostile request must be: never a 5xx, never a hang, errors in the envelope.

- `api` cases: a non-2xx answer is the API's JSON envelope `{"error": {"code", "message",
  "fields"}}` with a known code; a 400 `invalid_input` names a field (or `body`) in `fields`.
- `page` cases (docs, admin): any page, but no 5xx.
- `raw` cases (malformed HTTP): gunicorn's refusal in its JSON envelope, the application's
  envelope, or no answer at all (the request never ended: the server closed the connection).
"""

from __future__ import annotations

import json
from typing import Any

from api.errors import HTTP_STATUS_CODES
from hippo_site.gunicorn_errors import CODES as GUNICORN_CODES
from tests.fuzz.client import Outcome
from tests.fuzz.corpus import Case

KNOWN_CODES = set(HTTP_STATUS_CODES) | set(GUNICORN_CODES.values())
"""Every `code` an error answer may carry: the API's, and gunicorn's own refusals."""


def envelope_problem(outcome: Outcome, names_a_field: bool = True) -> str | None:
    """Why the answer is not the JSON error envelope (None when it is).

    With `names_a_field`, a 400 `invalid_input` must name a field (or `body`, `query`); refusals
    of malformed HTTP (a Host header not allowed) are about no field.
    """
    content_type = outcome.headers.get("content-type", "")
    if not content_type.startswith("application/json"):
        return f"not JSON ({content_type or 'no content type'})"
    try:
        body: Any = json.loads(outcome.body)
    except ValueError as exc:
        return f"unreadable JSON ({exc})"
    if not isinstance(body, dict) or set(body) != {"error"} or not isinstance(body["error"], dict):
        return "no error envelope"
    error = body["error"]
    if set(error) != {"code", "message", "fields"}:
        return f"envelope keys {sorted(error)}"
    if error["code"] not in KNOWN_CODES:
        return f"unknown code {error['code']!r}"
    if not isinstance(error["message"], str) or not error["message"]:
        return "no message"
    fields = error["fields"]
    if not isinstance(fields, dict) or not all(
        isinstance(messages, list) and all(isinstance(text, str) for text in messages)
        for messages in fields.values()
    ):
        return "fields are not {name: [messages]}"
    if names_a_field and error["code"] == "invalid_input" and not fields:
        return "invalid_input names no field"
    return None


def _json_problem(case: Case, outcome: Outcome) -> str | None:
    """A 2xx answer of the API that is not JSON (None otherwise: pages may be anything)."""
    if case.kind == "page" or not outcome.body:
        return None
    try:
        json.loads(outcome.body)
    except ValueError:
        return f"{outcome.status} is not JSON: {outcome.body[:200]!r}"
    return None


def problem(case: Case, outcome: Outcome) -> str | None:
    """What is wrong with the answer to `case` (None when nothing is)."""
    if outcome.error == "timeout":
        return "hang: no answer within the deadline"
    if outcome.status is None:
        if case.kind == "raw" and outcome.error in ("closed", "reset"):
            return None  # an unfinished request: the server closed the connection
        if case.oversized and outcome.error == "reset":
            return None  # refused (413) and closed before the whole body was sent
        return f"no answer ({outcome.error})"
    if outcome.status >= 500:
        return f"server error {outcome.status}: {outcome.body[:300]!r}"
    if outcome.error:
        return f"incomplete answer ({outcome.error})"
    answered_body = not case.request.startswith(b"HEAD ") and outcome.status not in (204, 304)
    if case.kind == "page" or not answered_body or outcome.status < 300:
        return _json_problem(case, outcome) if answered_body else None
    if outcome.status < 400:
        return None
    found = envelope_problem(outcome, names_a_field=case.kind == "api")
    return f"{outcome.status}: {found}: {outcome.body[:300]!r}" if found else None
