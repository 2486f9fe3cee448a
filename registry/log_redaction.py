"""A logging filter that keeps Hub tokens out of every log record.

The registry never logs a token itself, but at `LOG_LEVEL=DEBUG` huggingface_hub, httpx2 and
httpcore2 log requests and answers, and a Hub (or a proxy) may echo the `Authorization` header in
an error body. The filter, installed on the log handler in the settings' `LOGGING`, rewrites each
record: the configured token (`HF_TOKEN` / `HUGGINGFACE_TOKEN`, read at each record, since it may
change) and anything shaped like a Hub token or a bearer credential become `***`, in the message,
its arguments and a formatted traceback.

It also keeps one record on one line: the message (with its arguments, which may quote a Hub
answer) has its newlines, control characters and bidi overrides escaped
(`registry.safe_text.printable`), so no value can forge a log line or reorder what a reader sees.
A traceback keeps its own lines; each is escaped the same way.
"""

from __future__ import annotations

import logging
import re

from registry.errors import REDACTED, redact
from registry.safe_text import printable
from registry.stores import hub_token

TOKEN_SHAPES = re.compile(r"\bhf_[A-Za-z0-9_]{8,}|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{8,}")
"""Hub user tokens (`hf_...`) and bearer credentials, whatever their value."""


def redact_secrets(text: str) -> str:
    """`text` without the configured token and without anything shaped like a token."""
    return TOKEN_SHAPES.sub(REDACTED, redact(text, hub_token()))


class RedactSecrets(logging.Filter):
    """Redact tokens from every record that passes (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message (arguments merged in) and traceback without secrets."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: keep its raw text
            message = str(record.msg)
        cleaned = printable(redact_secrets(message))
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _lines_escaped(redact_secrets(record.exc_text))
            record.exc_info = None  # the formatter would format it again, unredacted
        if record.stack_info:
            record.stack_info = _lines_escaped(redact_secrets(record.stack_info))
        return True


def _lines_escaped(text: str) -> str:
    return "\n".join(printable(line) for line in text.split("\n"))
