"""Text from outside (a Hub answer, a file in a store) made safe to print in a log or a report.

A file name in a Hub listing may hold a newline (a second, forged log line), a carriage return,
other control characters, or Unicode bidi controls (U+202A-U+202E, U+2066-U+2069) that reorder
what a reader sees. `printable` escapes every character Python's `repr` would (what
`str.isprintable` refuses: controls, format characters, separators other than the space), the way
`repr` writes it, so one value is one line and reads as it is. It imports nothing of the project,
so any module may use it.
"""

from __future__ import annotations

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def _escape(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: object, limit: int | None = None) -> str:
    """`text` (any value, as `str`) with every non-printable character escaped as `repr` does.

    A backslash is doubled only when the text needs escaping, so ordinary text (a Windows path
    included) is unchanged while an escaped value cannot be mistaken for the original.

    Args:
        text: The untrusted value.
        limit: Keep at most this many characters of the result ("..." marks a cut).
    """
    value = str(text)
    if not value.isprintable():
        value = "".join(
            char if char.isprintable() and char != "\\" else _escape(char) for char in value
        )
    if limit is not None and len(value) > limit:
        value = value[:limit] + "..."
    return value
