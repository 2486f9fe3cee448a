"""Requests that answered 500 before issue 20, kept as regression cases (hand-picked).

Each was found by the fuzz corpus (`tests.fuzz.corpus`) or reported in issue 20; the fuzz run
covers their neighbours, these keep the exact requests. `tests/fuzz/test_crashers.py` sends
them through Django's test client (fast, every test run).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.fuzz.corpus import multipart, npy_file, npy_header, text_part

NPY = "application/x-npy"
JSON = "application/json"
IMAGE = bytes(784)


@dataclass(frozen=True)
class Crasher:
    """One request that used to crash the server, and what it used to crash with."""

    label: str
    method: str
    path: str
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    was: str = ""
    """The exception behind the 500 it used to answer."""


def _npy(header: str, version: tuple[int, int] = (1, 0)) -> bytes:
    return npy_file(header, IMAGE, version)


CRASHERS = [
    # The orjson renderer refused a lone surrogate echoed in an error message.
    Crasher(
        "surrogate key", "POST", "/predict", b'{"\\ud800":1}', JSON, was="orjson.JSONEncodeError"
    ),
    Crasher(
        "surrogate key, activations",
        "POST",
        "/activations",
        b'{"\\udfff":1}',
        JSON,
        was="orjson.JSONEncodeError",
    ),
    Crasher(
        "surrogate key, image",
        "POST",
        "/predict/image",
        b'{"\\ud800":1}',
        JSON,
        was="orjson.JSONEncodeError",
    ),
    Crasher(
        "reversed pair",
        "POST",
        "/predict",
        b'{"\\udc00\\ud800":1}',
        JSON,
        was="orjson.JSONEncodeError",
    ),
    Crasher(
        "surrogate pixels",
        "POST",
        "/predict",
        b'{"pixels":"\\ud800"}',
        JSON,
        was="orjson.JSONEncodeError",
    ),
    Crasher(
        "surrogate in a batch",
        "POST",
        "/predict",
        b'{"batch":["\\ud800"]}',
        JSON,
        was="orjson.JSONEncodeError",
    ),
    Crasher(
        "CESU-8 key", "POST", "/predict", b'{"\xed\xa0\x80":1}', JSON, was="orjson.JSONEncodeError"
    ),
    Crasher(
        "UTF-16 lone surrogate key",
        "POST",
        "/predict",
        b'\xff\xfe{\x00"\x00\x00\xd8"\x00:\x001\x00}\x00',
        JSON,
        was="orjson.JSONEncodeError",
    ),
    Crasher(
        "surrogate, indented answer",
        "POST",
        "/predict",
        b'{"\\ud800":1}',
        JSON,
        {"Accept": "application/json; indent=4"},
        was="UnicodeEncodeError",
    ),
    Crasher(
        "surrogate, image with a data URL",
        "POST",
        "/predict/image",
        b'{"image":"data:image/png;base64,","\\ud800":1}',
        JSON,
        was="orjson.JSONEncodeError",
    ),
    # numpy's .npy header parser let hostile headers escape.
    Crasher("npy unclosed brace", "POST", "/predict", _npy("{"), NPY, was="tokenize.TokenError"),
    Crasher(
        "npy unclosed brace, v3",
        "POST",
        "/predict",
        _npy("{", (3, 0)),
        NPY,
        was="tokenize.TokenError",
    ),
    Crasher(
        "npy unclosed shape",
        "POST",
        "/activations",
        _npy("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784"),
        NPY,
        was="tokenize.TokenError",
    ),
    Crasher(
        "npy bool shape",
        "POST",
        "/predict",
        _npy(npy_header(shape="(True, 784)")),
        NPY,
        was="TypeError",
    ),
    Crasher(
        "npy bool shape, activations",
        "POST",
        "/activations",
        _npy(npy_header(shape="(True, 784)")),
        NPY,
        was="TypeError",
    ),
    Crasher("npy NUL header", "POST", "/predict", _npy("\x00"), NPY, was="tokenize.TokenError"),
    Crasher(
        "npy header length 1",
        "POST",
        "/predict",
        b"\x93NUMPY\x01\x00\x01\x00{" + IMAGE,
        NPY,
        was="tokenize.TokenError",
    ),
    Crasher(
        "npy deep nesting", "POST", "/predict", _npy("[" * 5000), NPY, was="tokenize.TokenError"
    ),
    Crasher(
        "npy nested shape",
        "POST",
        "/predict",
        _npy(npy_header(shape="(" + "(" * 300 + ")" * 300 + ", 784)")),
        NPY,
        was="tokenize.TokenError",
    ),
    Crasher(
        "npy ideographic space",
        "POST",
        "/predict",
        _npy("{'descr': '|u1',\u3000'fortran_order': False, 'shape': (1, 784)}"),
        NPY,
        was="tokenize.TokenError",
    ),
    Crasher(
        "npy unclosed string",
        "POST",
        "/predict",
        _npy("{'descr': '|u1, 'fortran_order': False, 'shape': (1, 784), }"),
        NPY,
        was="tokenize.TokenError",
    ),
    # Swagger UI's template rendered DRF's OPTIONS metadata.
    Crasher("OPTIONS /docs", "OPTIONS", "/docs", was="TemplateDoesNotExist"),
]
"""Requests that answered 500 (`was`: the exception)."""

UNNAMED_400S = [
    Crasher(
        "1100 form fields",
        "POST",
        "/predict/image",
        multipart([text_part(b"1", f"f{index}".encode()) for index in range(1100)]),
        "multipart/form-data; boundary=fuzzboundary",
        was="TooManyFieldsSent",
    ),
    Crasher(
        "1100 query parameters", "GET", "/models?" + "&".join(["a"] * 1100), was="TooManyFieldsSent"
    ),
]
"""Requests answered 400 without naming the field at fault (`fields: {}`)."""

__all__ = ["CRASHERS", "UNNAMED_400S", "Crasher"]
