"""Schemathesis hooks of tests/api/test_schemathesis.py (loaded through `SCHEMATHESIS_HOOKS`).

Negative testing draws query parameters as long arrays of long strings; past gunicorn's request
line limit (4,094 bytes, docs/API.md) gunicorn refuses the request itself with a 414 in the JSON
envelope, before any API code runs. That status is the server's, not an operation's, so the schema
does not list it, and schemathesis would report it as undocumented. Such queries are left out
here; tests/serving/test_http_limits.py and the fuzz corpus (tests/fuzz) send them on purpose.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import schemathesis

QUERY_BUDGET = 3_000
"""Bytes of encoded query string kept: the request line limit less room for method and path."""


@schemathesis.hook
def filter_query(context: Any, query: Any) -> bool:
    """Keep queries that fit in gunicorn's request line."""
    if not query:
        return True
    try:
        size = len(urlencode(query, doseq=True))
    except (TypeError, ValueError):
        size = 3 * len(repr(query))  # an upper bound: every character percent-encoded
    return size <= QUERY_BUDGET
