"""A seeded corpus of hostile HTTP requests: every operation of the API, the pages, raw HTTP.

`build_corpus(model)` returns the same requests, byte for byte, for the same seed and model name
(the images are drawn with Pillow, the random mutations with `random.Random(f"{seed}:{group}")`).
Each `Case` is a complete HTTP/1.1 request as bytes, sent as is over a socket by
`tests.fuzz.client`, so malformed HTTP is as easy to send as a well-formed request.

Groups (the `operation` of a case is the OpenAPI `operationId`, or `docs`, `admin`, `raw`):

- JSON bodies of `POST /predict`, `/activations`, `/predict/image`: lone surrogates in keys and
  values, deep nesting, huge numbers, NaN/Infinity, duplicate keys, wrong types, byte-order marks,
  UTF-16/32 and invalid UTF-8, odd content types, then seeded byte mutations of valid bodies.
- Binary bodies: `application/octet-stream` of every length modulo 784 (`/predict`) and a spread
  of them (`/activations`); `application/x-npy` with every header mutation listed in
  `NPY_HEADERS` and more, mangled framing (magic, version, header length), seeded random headers
  and byte flips of valid files.
- Images (`/predict/image`): truncated PNG/JPEG/GIF/WebP, decompression bombs (declared and real),
  zero and huge sizes, palette and mode tricks, byte flips; as multipart files (with multipart
  framing tricks) and as data: URLs (with URL tricks).
- Queries and paths of every GET operation: NUL, overlong values, repeated parameters, invalid
  percent-encoding and UTF-8, unicode digits, numbers Python reads and JSON does not.
- Methods and headers (`Accept`, `Content-Type`) on every operation.
- Pages: the docs, the schema, the demo page, the admin log-in page (GET and forged POSTs).
- Raw HTTP: malformed request lines, bad headers and framing, bad chunked encoding, huge headers,
  and slow, partial requests held open for a bounded time (`Case.hold`).
"""

from __future__ import annotations

import base64
import io
import json
import random
import struct
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageDraw

SEED = 20_261_206
HOST = "127.0.0.1"
PIXELS = 784
CRLF = b"\r\n"

Kind = Literal["api", "page", "raw"]


@dataclass(frozen=True)
class Case:
    """One hostile request.

    Attributes:
        operation: The OpenAPI operationId (`predict`, `models_weights`, ...), or `docs`,
            `admin`, `raw`.
        label: What is hostile about it (for reports).
        request: The bytes sent (a complete request, or the start of one when `hold` is set).
        kind: `api`: an error must be the JSON envelope; `page`: an HTML page may answer;
            `raw`: gunicorn may refuse it in its own envelope, or close without an answer.
        hold: Seconds to keep a partial request open before half-closing the connection.
        oversized: The body is over a limit: the server may answer 413 and close before reading
            it, so the connection may be reset before the answer is read.
    """

    operation: str
    label: str
    request: bytes
    kind: Kind = "api"
    hold: float = 0.0
    oversized: bool = False


def http(
    method: str | bytes,
    target: str | bytes,
    body: bytes = b"",
    *,
    content_type: str | bytes | None = None,
    headers: Sequence[tuple[str | bytes, str | bytes]] = (),
    length: bool = True,
) -> bytes:
    """An HTTP/1.1 request with `Host`, `Connection: close` and (unless `length` is False)
    `Content-Length` for the body."""
    lines = [f"{_text(method)} {_text(target)} HTTP/1.1", f"Host: {HOST}", "Connection: close"]
    head = [_bytes(line) for line in lines]
    if content_type is not None:
        head.append(b"Content-Type: " + _bytes(content_type))
    if length and (body or method in ("POST", "PUT", "PATCH")):
        head.append(b"Content-Length: " + str(len(body)).encode())
    head.extend(_bytes(name) + b": " + _bytes(value) for name, value in headers)
    return CRLF.join(head) + CRLF + CRLF + body


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("latin-1", "backslashreplace")


def _rng(seed: int, group: str) -> random.Random:
    """A generator of its own per group, so adding a group changes no other group's cases."""
    return random.Random(f"{seed}:{group}")


# --- JSON ------------------------------------------------------------------------------------

ZEROS = "[" + ",".join(["0"] * PIXELS) + "]"
HALVES = "[" + ",".join(["0.5"] * PIXELS) + "]"


def _pixels_with(last: str) -> str:
    """784 pixels whose last value is the JSON text `last`."""
    return "[" + ",".join(["0"] * (PIXELS - 1) + [last]) + "]"


SURROGATES = [r"\ud800", r"\udfff", r"\udc00\ud800", r"\ud83d", r"a\ud800b", r"\ud800\ud800"]
"""JSON escapes of lone (or reversed) surrogates: the `json` module reads them as is."""

HOSTILE_VALUES = [
    "null",
    "true",
    "false",
    "0",
    "-0",
    "1e309",
    "-1e309",
    "1e-400",
    "9" * 400,
    "-" + "9" * 5000,
    "0." + "0" * 5000 + "1",
    "1" + "0" * 30,
    "NaN",
    "Infinity",
    "-Infinity",
    '""',
    '"0.5"',
    '"\\u0000"',
    '"' + "x" * 300 + '"',
    "[]",
    "{}",
    "[[]]",
    "[null]",
    '{"a":1}',
    ZEROS,
    "[" + ",".join(["0"] * (PIXELS - 1)) + "]",
    "[" + ",".join(["0"] * (PIXELS + 1)) + "]",
    _pixels_with("NaN"),
    _pixels_with("Infinity"),
    _pixels_with("-1"),
    _pixels_with("1.0000001"),
    _pixels_with("1e309"),
    _pixels_with("true"),
    _pixels_with("null"),
    _pixels_with('"0"'),
    _pixels_with("[]"),
    _pixels_with("9" * 400),
    "[" + ",".join([ZEROS] * 2) + "]",
    "[" + ",".join([ZEROS, "[]"]) + "]",
    "[" + ",".join([ZEROS, "null"]) + "]",
    "[[" + ",".join(["0"] * PIXELS) + "]" + ",0]",
]
"""JSON values put in every field of the bodies."""


def _nested(depth: int, opening: str, closing: str, inner: str = "0") -> str:
    return opening * depth + inner + closing * depth


def json_texts(fields: Sequence[str]) -> list[tuple[str, bytes]]:
    """Hostile JSON bodies for an endpoint whose body holds `fields` (labelled)."""
    cases: list[tuple[str, bytes]] = []

    def add(label: str, text: str | bytes) -> None:
        cases.append((label, text if isinstance(text, bytes) else text.encode("utf-8")))

    for surrogate in SURROGATES:
        add(f"surrogate key {surrogate}", f'{{"{surrogate}":1}}')
        add(f"surrogate key among fields {surrogate}", f'{{"{fields[0]}":{ZEROS},"{surrogate}":1}}')
        for field in fields:
            add(f"surrogate in {field} {surrogate}", f'{{"{field}":"{surrogate}"}}')
            add(f"surrogate in a list in {field}", f'{{"{field}":["{surrogate}"]}}')
        add(f"surrogate in nested key {surrogate}", f'{{"{fields[0]}":{{"{surrogate}":1}}}}')
        add(f"surrogate as the body {surrogate}", f'"{surrogate}"')
    add("surrogate pair (valid) as a key", '{"\\ud83d\\ude00":1}')
    for field in fields:
        for index, value in enumerate(HOSTILE_VALUES):
            add(f"{field}={index}:{value[:20]}", f'{{"{field}":{value}}}')
    for depth in (64, 512, 5000, 100_000):
        add(f"nested lists {depth}", _nested(depth, "[", "]"))
        add(f"nested objects {depth}", _nested(depth, '{"a":', "}"))
        add(f"nested in {fields[0]} {depth}", f'{{"{fields[0]}":{_nested(depth, "[", "]")}}}')
        add(f"unclosed nesting {depth}", "[" * depth)
    for literal in ("NaN", "Infinity", "-Infinity", "nan", "inf", "undefined", "None", "True"):
        add(f"bare {literal}", literal)
        add(f"{literal} in pixels", f'{{"{fields[0]}":{_pixels_with(literal)}}}')
    first = fields[0]
    add("duplicate keys", f'{{"{first}":{ZEROS},"{first}":{HALVES}}}')
    add("duplicate keys, second wrong", f'{{"{first}":{ZEROS},"{first}":"x"}}')
    add("duplicate model", f'{{"{first}":{ZEROS},"model":"a","model":null}}')
    add("every field", "{" + ",".join(f'"{field}":{ZEROS}' for field in fields) + "}")
    add("unknown fields", '{"a":1,"b":2,"__proto__":{},"constructor":1}')
    add("many unknown fields", "{" + ",".join(f'"k{index}":1' for index in range(3000)) + "}")
    add("long unknown field", '{"' + "k" * 100_000 + '":1}')
    add("NUL key", '{"\\u0000":1}')
    add("RTL key", '{"\\u202e":1}')
    add("control characters in a key", '{"a\\n\\r\\t\\b":1}')
    for text in ("", " ", "\n", "null", "[]", "0", '""', "{", "}", '{"', '{"a"', '{"a":', "[,]"):
        add(f"body {text!r}", text)
    add("trailing comma", f'{{"{first}":{ZEROS},}}')
    add("comment", f'{{"{first}":{ZEROS}}} // comment')
    add("single quotes", "{'" + first + "':" + ZEROS + "}")
    add("two documents", f'{{"{first}":{ZEROS}}}{{"{first}":{ZEROS}}}')
    add("trailing garbage", f'{{"{first}":{ZEROS}}}garbage')
    valid = f'{{"{first}":{ZEROS}}}'
    add("UTF-8 BOM", b"\xef\xbb\xbf" + valid.encode())
    add("UTF-16-LE BOM", b"\xff\xfe" + valid.encode("utf-16-le"))
    add("UTF-16-BE BOM", b"\xfe\xff" + valid.encode("utf-16-be"))
    add("UTF-16-LE", valid.encode("utf-16-le"))
    add("UTF-32", valid.encode("utf-32"))
    add("UTF-32-BE", valid.encode("utf-32-be"))
    add(
        "UTF-16 with a lone surrogate",
        b"\xff\xfe" + '{"'.encode("utf-16-le") + b"\x00\xd8" + b'"\x00:\x001\x00}\x00',
    )
    add("odd length UTF-16", b"\xff\xfe" + valid.encode("utf-16-le")[:-1])
    add("latin-1 key", '{"caf\xe9":1}'.encode("latin-1"))
    add("invalid UTF-8", b'{"\xff\xfe":1}')
    add("overlong UTF-8", b'{"\xc0\xaf":1}')
    add("CESU-8 surrogate", b'{"\xed\xa0\x80":1}')
    add("raw NUL", b'{"' + first.encode() + b'":\x00}')
    add("raw control characters in a string", b'{"model":"a\x01\x1f"}')
    add("raw newline in a string", b'{"model":"a\nb"}')
    add("UTF-7", b'{"+AGE-":1}')
    add("EBCDIC", valid.encode("cp500"))
    return cases


JSON_CONTENT_TYPES = [
    "application/json; charset=utf-16",
    "application/json; charset=bogus",
    "application/json; charset=",
    'application/json; charset="',
    "application/json;;;",
    "APPLICATION/JSON",
    "application/json, text/plain",
    "application/json; boundary=x",
    "application/vnd.api+json",
    "text/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "*/*",
    "",
    "\xff\xfe",
]


def mutations(valid: bytes, rng: random.Random, count: int) -> list[tuple[str, bytes]]:
    """`count` seeded byte-level mutations of `valid` (cut, insert, replace, repeat)."""
    tokens = [
        b'"\\ud800"',
        b"NaN",
        b"1e999",
        b"[",
        b"{",
        b'"',
        b"\\",
        b"\x00",
        b"\xff",
        b",",
        b"]",
        b"}",
        b":",
        b"-",
        b"e",
        b"\xed\xa0\x80",
        b'"model":',
        b"null",
    ]
    cases = []
    for index in range(count):
        data = bytearray(valid)
        operation = rng.choice(("cut", "insert", "replace", "repeat", "flip"))
        position = rng.randrange(len(data))
        if operation == "cut":
            del data[position : position + rng.randint(1, 64)]
        elif operation == "insert":
            data[position:position] = rng.choice(tokens)
        elif operation == "replace":
            data[position] = rng.randrange(256)
        elif operation == "repeat":
            end = min(len(data), position + rng.randint(1, 32))
            data[position:position] = data[position:end] * rng.randint(2, 50)
        else:
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        cases.append((f"mutation {index} ({operation})", bytes(data)))
    return cases


def json_cases(
    operation: str, path: str, fields: Sequence[str], valid: bytes, rng: random.Random
) -> list[Case]:
    """Hostile JSON bodies for `path`, odd content types and seeded mutations of `valid`."""
    cases = [
        Case(operation, label, http("POST", path, body, content_type="application/json"))
        for label, body in json_texts(fields)
    ]
    cases += [
        Case(operation, f"content type {kind!r}", http("POST", path, valid, content_type=kind))
        for kind in JSON_CONTENT_TYPES
    ]
    cases.append(Case(operation, "no content type", http("POST", path, valid)))
    surrogate = f'{{"{fields[0]}":"\\ud800","\\udfff":1}}'.encode()
    for accept in ("application/json; indent=4", "application/json; indent=1", "*/*; indent=2"):
        headers = [("Accept", accept)]
        cases.append(
            Case(
                operation,
                f"surrogates, indented ({accept})",
                http("POST", path, surrogate, content_type="application/json", headers=headers),
            )
        )
    cases += [
        Case(operation, label, http("POST", path, body, content_type="application/json"))
        for label, body in mutations(valid, rng, 60)
    ]
    return cases


# --- binary bodies ---------------------------------------------------------------------------


def octet_cases(operation: str, path: str, residues: Iterable[int]) -> list[Case]:
    """`application/octet-stream` bodies whose length is each residue modulo 784 (k = 0..2)."""
    cases = []
    for index, residue in enumerate(residues):
        length = PIXELS * (index % 3) + residue
        body = bytes((index * 7 + offset) % 256 for offset in range(length))
        cases.append(
            Case(
                operation,
                f"octets, {length} bytes",
                http("POST", path, body, content_type="application/octet-stream"),
            )
        )
    for model in ("%00", "%ED%A0%80", "x" * 300, "", "nope"):
        cases.append(
            Case(
                operation,
                f"octets, model={model[:12]}",
                http(
                    "POST",
                    f"{path}?model={model}",
                    bytes(PIXELS),
                    content_type="application/octet-stream",
                ),
            )
        )
    return cases


def npy_file(header: str | bytes, data: bytes = b"", version: tuple[int, int] = (1, 0)) -> bytes:
    """A `.npy` body: magic, `version`, the header's length and the header, then `data`."""
    raw = header.encode("latin-1", "backslashreplace") if isinstance(header, str) else header
    size = struct.pack("<H" if version == (1, 0) else "<I", len(raw))
    return b"\x93NUMPY" + bytes(version) + size + raw + data


def npy_header(descr: str = "'|u1'", fortran: str = "False", shape: str = "(1, 784)") -> str:
    """A header in numpy's spelling, with each value given as Python source text."""
    return f"{{'descr': {descr}, 'fortran_order': {fortran}, 'shape': {shape}, }}\n"


NPY_SHAPES = [
    "(True, 784)",
    "(False, 784)",
    "(1, True)",
    "(1.0, 784)",
    "(-1, 784)",
    "(1, -784)",
    "(10**3, 784)",
    "(" + "9" * 1000 + ", 784)",
    "('1', 784)",
    "(None, 784)",
    "((1,), 784)",
    "[1, 784]",
    "{1, 784}",
    "(1, 784, 1)",
    "(1, 28, 28, 1)",
    "()",
    "(784,)",
    "(0, 784)",
    "(1, 783)",
    "(1j, 784)",
    "(1+0j, 784)",
    "(b'1', 784)",
    "(1, 28, 28.0)",
    "1",
    "None",
    "'(1, 784)'",
    "(1, 784,,)",
    "(1 784)",
    "(1L, 784L)",
    "(0x1, 784)",
    "(1_0, 784)",
    "(" + "(" * 300 + ")" * 300 + ", 784)",
    "(" + ", ".join(["1"] * 2000) + ")",
    "(2**64, 784)",
    "(18446744073709551616, 784)",
    "(9223372036854775807, 784)",
]
NPY_DESCRS = [
    "'|O'",
    "'<f8'",
    "'<i4'",
    "'|b1'",
    "'<f2'",
    "'>f4'",
    "'=f4'",
    "'f4'",
    "'float32'",
    "'uint8'",
    "'B'",
    "'|S1'",
    "'<U1'",
    "'|V784'",
    "'<M8[ns]'",
    "'<m8[Y]'",
    "'u1,u1'",
    "'(2,)u1'",
    "'(784,)u1'",
    "'(999999999,999999999)u1'",
    "[('a', '|u1')]",
    "[('a', '|O')]",
    "[('a', '|u1', (True,))]",
    "[('a', '|u1', (-1,))]",
    "[(('t', 'a'), '|u1')]",
    "[]",
    "''",
    "'?'",
    "'|u1' * 1",
    "None",
    "1",
    "b'|u1'",
    "'" + "u" * 5000 + "'",
    "'|u1\\x00'",
    "'\\u0131'",
    "'<f4[1]'",
    "'O8'",
    "'<c8'",
    "'object'",
    "'str'",
]
NPY_FORTRAN = ["True", "1", "0", "'False'", "None", "[]", "2", "0.0"]
NPY_TEXTS = [
    "{",
    "{'descr': '|u1'",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784",
    "{'descr': '|u1, 'fortran_order': False, 'shape': (1, 784), }",
    "{'descr': '''|u1, 'fortran_order': False, 'shape': (1, 784), }",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), } #",
    "{'descr': '|u1', 'fortran_order': False, \\\n 'shape': (1, 784), }",
    "{'descr': '|u1', 'fortran_order': False}",
    "{'descr': '|u1', 'shape': (1, 784)}",
    "{'fortran_order': False, 'shape': (1, 784)}",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), 'extra': 1}",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), 1: 2}",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), (1,): 2}",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), [1]: 2}",
    "{'descr': '|u1', 'descr': '|u1', 'fortran_order': False, 'shape': (1, 784)}",
    "{b'descr': '|u1', 'fortran_order': False, 'shape': (1, 784)}",
    "dict(descr='|u1', fortran_order=False, shape=(1, 784))",
    "__import__('os').system('true')",
    "(lambda: 1)()",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784) if 1 else 0}",
    "{**{'descr': '|u1'}, 'fortran_order': False, 'shape': (1, 784)}",
    "{'descr': f'|u1', 'fortran_order': False, 'shape': (1, 784)}",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784)}.keys()",
    "[('descr', '|u1')]",
    "1",
    "None",
    "''",
    "",
    " ",
    "\n",
    "\x00",
    "{}",
    "{" * 300 + "}" * 300,
    "[" * 5000,
    "(" * 100 + ")" * 100,
    "-" * 3000 + "1",
    "not" * 1000 + " 1",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), }\x00\x00",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), }\r\n",
    "\t{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), }",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), }" + " " * 4100,
    "{'descr': '\\xff', 'fortran_order': False, 'shape': (1, 784)}",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), 'x': '\\N{BOGUS}'}",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), 'x': '\\ud800'}",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), 'x': " + "1" * 4400 + "}",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), 'x': {1, [2]}}",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), 'x': {[]: 1}}",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), 'x': 1e999999}",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), 'x': ...}",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), 'x': -(1)}",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), 'x': 1+1}",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), 'x': 1 +}",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), 'x': 'a' 'b'}",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), 'x': 1L}",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), 'x': 0777}",
    "{'descr': '|u1',\u3000'fortran_order': False, 'shape': (1, 784)}",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), '\u0131': 1}",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), }\x1a",
    "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), }\udcff",
]


def npy_cases(operation: str, path: str, rng: random.Random, *, images: int = 1) -> list[Case]:
    """`.npy` bodies with mangled headers and framing, seeded random headers and byte flips."""
    uint8_data = bytes(PIXELS * images)
    shape = f"({images}, 784)"
    bodies: list[tuple[str, bytes]] = []
    for value in NPY_SHAPES:
        bodies.append((f"shape {value[:30]}", npy_file(npy_header(shape=value), uint8_data)))
    for value in NPY_DESCRS:
        bodies.append(
            (f"descr {value[:30]}", npy_file(npy_header(descr=value, shape=shape), uint8_data))
        )
    for value in NPY_FORTRAN:
        header = npy_header(fortran=value, shape=shape)
        bodies.append((f"fortran_order {value}", npy_file(header, uint8_data)))
    for text in NPY_TEXTS:
        label = f"header {text[:30]!r}"
        bodies.append((label, npy_file(text, uint8_data)))
        bodies.append(
            (label + " (v3)", npy_file(text.encode("utf-8", "surrogatepass"), uint8_data, (3, 0)))
        )
    valid_header = npy_header(shape=shape)
    valid = npy_file(valid_header, uint8_data)
    for version in ((0, 0), (1, 1), (2, 0), (3, 0), (4, 0), (255, 255), (1, 255)):
        bodies.append((f"version {version}", npy_file(valid_header, uint8_data, version)))
    raw_header = valid_header.encode()
    for declared in (0, 1, 10, len(raw_header) - 1, len(raw_header) + 1, 4096, 4097, 65535):
        size = struct.pack("<H", declared)
        bodies.append(
            (f"header length {declared}", b"\x93NUMPY\x01\x00" + size + raw_header + uint8_data)
        )
    for declared in (2**31, 2**32 - 1, 10_000, 10_001):
        size = struct.pack("<I", declared)
        bodies.append((f"v2 header length {declared}", b"\x93NUMPY\x02\x00" + size + raw_header))
    for cut in (0, 1, 5, 6, 7, 8, 9, 10, 11, 20, len(valid) - len(uint8_data) - 1):
        bodies.append((f"cut at {cut}", valid[:cut]))
    for magic in (b"\x93numpy", b"\x93NUMP", b"NUMPY\x93", b"\x00NUMPY", b"PK\x03\x04\x14\x00"):
        bodies.append((f"magic {magic!r}", magic + valid[6:]))
    bodies.append(
        (
            "utf-8 header in v1 (latin-1)",
            npy_file(npy_header(descr="'\u0131'").encode(), uint8_data),
        )
    )
    bodies.append(
        ("invalid utf-8 header in v3", npy_file(b"{'descr': '\xff'}", uint8_data, (3, 0)))
    )
    bodies.append(("fortran order", npy_file(npy_header(fortran="True", shape=shape), uint8_data)))
    floats = struct.pack(f"<{PIXELS}f", *([float("nan")] + [0.5] * (PIXELS - 1)))
    bodies.append(("float32 NaN", npy_file(npy_header("'<f4'", shape="(1, 784)"), floats)))
    big = struct.pack(f">{PIXELS}f", *([2.0] + [0.5] * (PIXELS - 1)))
    bodies.append(
        ("big-endian float32 above 1", npy_file(npy_header("'>f4'", shape="(1, 784)"), big))
    )
    bodies.append(
        (
            "float32 28x28 fortran",
            npy_file(npy_header("'<f4'", "True", "(1, 28, 28)"), bytes(PIXELS * 4)),
        )
    )
    bodies.append(("truncated data", valid[:-1]))
    bodies.append(("trailing data", valid + b"\x00"))
    bodies.append(("two arrays", valid + valid))
    alphabet = "{}()[]':,0123456789 \n-.eTFNLjx_|<>=uf"
    for index in range(40):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 120)))
        bodies.append((f"random header {index}", npy_file(text, uint8_data)))
    for index in range(30):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        field = rng.choice(("descr", "fortran", "shape"))
        header = npy_header(**{field: text})
        bodies.append((f"random {field} {index}", npy_file(header, uint8_data)))
    for index in range(40):
        data = bytearray(valid)
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(min(len(data), 140))] = rng.randrange(256)
        bodies.append((f"header byte flips {index}", bytes(data)))
    for index in range(10):
        noise = bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
        bodies.append((f"magic + random bytes {index}", b"\x93NUMPY" + noise))
    return [
        Case(operation, f"npy {label}", http("POST", path, body, content_type="application/x-npy"))
        for label, body in bodies
    ]


# --- images ----------------------------------------------------------------------------------


def _digit(size: tuple[int, int] = (28, 28), mode: str = "L") -> Image.Image:
    """A white stroke on black, like a "1", in `mode`."""
    image = Image.new("L", size, 0)
    width, height = size
    ImageDraw.Draw(image).line(
        [(width // 2, height // 6), (width // 2, height * 5 // 6)],
        fill=255,
        width=max(1, width // 9),
    )
    return image.convert(mode)


def _encode(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """A PNG chunk with its length and a correct CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_raw(
    width: int,
    height: int,
    *,
    depth: int = 8,
    color: int = 0,
    interlace: int = 0,
    rows: bytes | None = None,
    extra: Sequence[bytes] = (),
) -> bytes:
    """A PNG written chunk by chunk: any IHDR, even one no encoder would write."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, interlace)
    if rows is None:
        rows = b"\x00" * (min(height, 64) * (min(width, 64) + 1))
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + b"".join(extra)
        + png_chunk(b"IDAT", zlib.compress(rows))
        + png_chunk(b"IEND", b"")
    )


def image_files(rng: random.Random) -> list[tuple[str, bytes]]:
    """Hostile image files (labelled): truncated, bombs, odd sizes and modes, byte flips."""
    files: list[tuple[str, bytes]] = []
    digit = _digit()
    formats = {
        "PNG": _encode(digit, "PNG"),
        "JPEG": _encode(digit.convert("RGB"), "JPEG"),
        "GIF": _encode(digit, "GIF"),
        "WEBP": _encode(digit, "WEBP"),
    }
    for name, data in formats.items():
        files.append((f"{name} whole", data))
        for cut in sorted({0, 1, 4, 8, 16, 24, 33, len(data) // 2, len(data) - 12, len(data) - 1}):
            files.append((f"{name} cut at {cut}", data[:cut]))
    for name, image_format in (("BMP", "BMP"), ("TIFF", "TIFF"), ("ICO", "ICO"), ("PPM", "PPM")):
        files.append((name, _encode(digit, image_format)))
    files.append(("SVG", b'<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28"/>'))
    files.append(("HTML", b"<html><script>alert(1)</script></html>"))
    # Declared sizes far beyond the limits (headers only; nothing to decode).
    for width, height in (
        (100_000, 100_000),
        (2**31 - 1, 1),
        (1, 2**31 - 1),
        (8193, 1),
        (4097, 4097),
        (65535, 65535),
    ):
        files.append((f"PNG declaring {width}x{height}", png_raw(width, height)))
    for width, height in ((0, 0), (0, 28), (28, 0), (2**32 - 1, 2**32 - 1)):
        files.append((f"PNG declaring {width}x{height}", png_raw(width, height)))
    jpeg = formats["JPEG"]
    sof = jpeg.find(b"\xff\xc0")
    for width, height in ((65535, 65535), (0, 28), (28, 0), (8193, 2)):
        mangled = jpeg[: sof + 5] + struct.pack(">HH", height, width) + jpeg[sof + 9 :]
        files.append((f"JPEG declaring {width}x{height}", mangled))
    # Real bombs within and just over the limits (a few kB each, megapixels decoded).
    files.append(("PNG 4096x4096 bomb", _encode(_digit((4096, 4096)), "PNG", optimize=False)))
    files.append(("PNG 8192x2048 bomb", _encode(Image.new("1", (8192, 2048), 0), "PNG")))
    files.append(("PNG 8192x2049 bomb", _encode(Image.new("1", (8192, 2049), 0), "PNG")))
    files.append(
        ("JPEG 4096x4096 bomb", _encode(Image.new("L", (4096, 4096), 0), "JPEG", quality=5))
    )
    files.append(("zlib bomb in a 1x1 PNG", png_raw(1, 1, rows=b"\x00" * 50_000_000)))
    text_bomb = png_chunk(b"zTXt", b"k\x00\x00" + zlib.compress(b"\x00" * 20_000_000))
    files.append(("zTXt bomb", png_raw(28, 28, extra=[text_bomb])))
    itxt_bomb = png_chunk(b"iTXt", b"k\x00\x01\x00\x00\x00" + zlib.compress(b"a" * 20_000_000))
    files.append(("iTXt bomb", png_raw(28, 28, extra=[itxt_bomb])))
    iccp_bomb = png_chunk(b"iCCP", b"p\x00\x00" + zlib.compress(b"\x00" * 20_000_000))
    files.append(("iCCP bomb", png_raw(28, 28, extra=[iccp_bomb])))
    # Modes, depths and palette tricks.
    for mode in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16", "F"):
        try:
            files.append((f"PNG mode {mode}", _encode(_digit(mode=mode), "PNG")))
        except (OSError, ValueError):
            files.append((f"TIFF mode {mode}", _encode(_digit(mode=mode), "TIFF")))
    files.append(("JPEG CMYK", _encode(digit.convert("CMYK"), "JPEG")))
    files.append(("JPEG progressive", _encode(digit.convert("RGB"), "JPEG", progressive=True)))
    palette = png_chunk(b"PLTE", b"\x00\x00\x00\xff\xff\xff")
    files.append(
        (
            "palette of 2, indices up to 255",
            png_raw(28, 28, color=3, rows=bytes(range(29)) * 28, extra=[palette]),
        )
    )
    files.append(("palette missing", png_raw(28, 28, color=3)))
    files.append(("empty palette", png_raw(28, 28, color=3, extra=[png_chunk(b"PLTE", b"")])))
    files.append(
        ("palette of 257", png_raw(28, 28, color=3, extra=[png_chunk(b"PLTE", b"\x01" * 771)]))
    )
    long_trns = png_chunk(b"tRNS", b"\x00" * 300)
    files.append(
        ("tRNS longer than the palette", png_raw(28, 28, color=3, extra=[palette, long_trns]))
    )
    files.append(
        ("tRNS on grayscale, wrong size", png_raw(28, 28, extra=[png_chunk(b"tRNS", b"\x00")]))
    )
    files.append(("tRNS on RGB", png_raw(28, 28, color=2, extra=[png_chunk(b"tRNS", b"\x00" * 6)])))
    for depth, color in (
        (16, 0),
        (1, 0),
        (2, 0),
        (4, 3),
        (16, 6),
        (16, 4),
        (3, 0),
        (8, 1),
        (8, 5),
        (0, 0),
    ):
        files.append(
            (f"PNG depth {depth} color {color}", png_raw(28, 28, depth=depth, color=color))
        )
    files.append(("PNG interlaced (raw rows)", png_raw(28, 28, interlace=1)))
    files.append(("PNG interlace method 7", png_raw(28, 28, interlace=7)))
    files.append(("PNG bad CRC", formats["PNG"][:29] + b"\x00\x00\x00\x00" + formats["PNG"][33:]))
    files.append(
        (
            "PNG no IDAT",
            b"\x89PNG\r\n\x1a\n"
            + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0))
            + png_chunk(b"IEND", b""),
        )
    )
    files.append(
        (
            "PNG IDAT not zlib",
            formats["PNG"][:33] + png_chunk(b"IDAT", b"garbage") + png_chunk(b"IEND", b""),
        )
    )
    files.append(("PNG chunk length 2^31", formats["PNG"][:33] + b"\x7f\xff\xff\xffIDAT"))
    for orientation in (0, 1, 3, 5, 6, 8, 9, 65535):
        exif = Image.Exif()
        exif[0x0112] = orientation
        files.append(
            (
                f"JPEG orientation {orientation}",
                _encode(digit.convert("RGB"), "JPEG", exif=exif.tobytes()),
            )
        )
    files.append(
        (
            "JPEG garbage EXIF",
            _encode(digit.convert("RGB"), "JPEG", exif=b"Exif\x00\x00" + bytes(range(256)) * 4),
        )
    )
    files.append(
        ("PNG eXIf garbage", png_raw(28, 28, extra=[png_chunk(b"eXIf", b"MM\x00*" + b"\xff" * 64)]))
    )
    files.append(("all transparent", _encode(Image.new("RGBA", (28, 28), (0, 0, 0, 0)), "PNG")))
    files.append(("1x1", _encode(Image.new("L", (1, 1), 255), "PNG")))
    files.append(("1x8192", _encode(Image.new("L", (1, 8192), 255), "PNG")))
    for index in range(40):
        for name in ("PNG", "JPEG"):
            flipped = bytearray(formats[name])
            for _ in range(rng.randint(1, 10)):
                flipped[rng.randrange(len(flipped))] = rng.randrange(256)
            files.append((f"{name} byte flips {index}", bytes(flipped)))
    return files


def multipart(
    parts: Sequence[tuple[bytes, bytes]], boundary: bytes = b"fuzzboundary", closing: bool = True
) -> bytes:
    """A multipart body from `(part headers, part content)` pairs."""
    body = b"".join(
        b"--" + boundary + CRLF + head + CRLF + CRLF + data + CRLF for head, data in parts
    )
    return body + (b"--" + boundary + b"--" + CRLF if closing else b"")


def file_part(
    data: bytes, name: bytes = b"image", filename: bytes = b"digit.png"
) -> tuple[bytes, bytes]:
    """A multipart file part."""
    head = b'Content-Disposition: form-data; name="' + name + b'"; filename="' + filename + b'"'
    return head + CRLF + b"Content-Type: image/png", data


def text_part(value: bytes, name: bytes = b"model", extra: bytes = b"") -> tuple[bytes, bytes]:
    """A multipart text part (`extra`: more part headers)."""
    return b'Content-Disposition: form-data; name="' + name + b'"' + extra, value


MULTIPART = "multipart/form-data; boundary=fuzzboundary"


def image_cases(model: str, rng: random.Random) -> list[Case]:
    """`POST /predict/image`: hostile files as multipart uploads and data: URLs, and framing."""
    operation, path = "predict_image", "/predict/image"
    files = image_files(rng)
    cases = [
        Case(
            operation,
            f"file {label}",
            http("POST", path, multipart([file_part(data)]), content_type=MULTIPART),
        )
        for label, data in files
    ]
    cases += [
        Case(
            operation,
            f"data URL {label}",
            http(
                "POST",
                path,
                _image_json("data:image/png;base64," + base64.b64encode(data).decode()),
                content_type="application/json",
            ),
        )
        for label, data in files[::3]
    ]
    png = _encode(_digit(), "PNG")
    cases += _multipart_tricks(operation, path, png, model)
    cases += _data_url_tricks(operation, path, png)
    return cases


def _image_json(url: str, **more: object) -> bytes:
    return json.dumps({"image": url, **more}).encode()


def _multipart_tricks(operation: str, path: str, png: bytes, model: str) -> list[Case]:
    image = file_part(png)
    bodies: list[tuple[str, str, bytes]] = [
        ("valid", MULTIPART, multipart([image, text_part(model.encode())])),
        ("no boundary parameter", "multipart/form-data", multipart([image])),
        ("empty boundary", "multipart/form-data; boundary=", multipart([image], b"")),
        ("boundary mismatch", "multipart/form-data; boundary=other", multipart([image])),
        (
            "boundary of 200 characters",
            "multipart/form-data; boundary=" + "b" * 200,
            multipart([image], b"b" * 200),
        ),
        (
            "non-ASCII boundary",
            "multipart/form-data; boundary=\xe9\xe9",
            multipart([image], b"\xe9\xe9"),
        ),
        ("quoted boundary", 'multipart/form-data; boundary="fuzzboundary"', multipart([image])),
        ("no closing boundary", MULTIPART, multipart([image], closing=False)),
        ("only the closing boundary", MULTIPART, b"--fuzzboundary--\r\n"),
        ("empty body", MULTIPART, b""),
        ("garbage body", MULTIPART, b"garbage" * 100),
        ("no image", MULTIPART, multipart([text_part(model.encode())])),
        ("image as text", MULTIPART, multipart([text_part(b"abc", b"image")])),
        (
            "model as a file",
            MULTIPART,
            multipart([image, file_part(b"serving-a", b"model", b"m.txt")]),
        ),
        ("two images", MULTIPART, multipart([image, image])),
        ("two models", MULTIPART, multipart([image, text_part(b"a"), text_part(b"b")])),
        ("unknown field", MULTIPART, multipart([image, text_part(b"1", b"extra")])),
        (
            "unicode field name",
            MULTIPART,
            multipart([image, text_part(b"1", "\u202e\u00e9".encode())]),
        ),
        ("long field name", MULTIPART, multipart([image, text_part(b"1", b"f" * 10_000)])),
        ("NUL field name", MULTIPART, multipart([image, text_part(b"1", b"a\x00b")])),
        ("model NUL", MULTIPART, multipart([image, text_part(b"a\x00b")])),
        ("model invalid UTF-8", MULTIPART, multipart([image, text_part(b"\xff\xfe")])),
        ("model CESU-8 surrogate", MULTIPART, multipart([image, text_part(b"\xed\xa0\x80")])),
        ("model 300 characters", MULTIPART, multipart([image, text_part(b"m" * 300)])),
        ("model empty", MULTIPART, multipart([image, text_part(b"")])),
        ("model unknown", MULTIPART, multipart([image, text_part(b"nope")])),
        (
            "model charset bogus",
            MULTIPART,
            multipart(
                [image, text_part(b"a", extra=b"\r\nContent-Type: text/plain; charset=bogus")]
            ),
        ),
        (
            "model charset utf-16",
            MULTIPART,
            multipart(
                [
                    image,
                    text_part(
                        b"\xff\xfea\x00", extra=b"\r\nContent-Type: text/plain; charset=utf-16"
                    ),
                ]
            ),
        ),
        ("_charset_ field bogus", MULTIPART, multipart([text_part(b"bogus", b"_charset_"), image])),
        (
            "base64 transfer encoding, garbage",
            MULTIPART,
            multipart([(image[0] + b"\r\nContent-Transfer-Encoding: base64", b"!!!not base64!!!")]),
        ),
        (
            "base64 transfer encoding",
            MULTIPART,
            multipart(
                [(image[0] + b"\r\nContent-Transfer-Encoding: base64", base64.b64encode(png))]
            ),
        ),
        (
            "quoted-printable transfer encoding",
            MULTIPART,
            multipart([(image[0] + b"\r\nContent-Transfer-Encoding: quoted-printable", b"=ZZ")]),
        ),
        ("filename NUL", MULTIPART, multipart([file_part(png, filename=b"a\x00.png")])),
        (
            "filename traversal",
            MULTIPART,
            multipart([file_part(png, filename=b"../../../etc/passwd")]),
        ),
        ("filename CESU-8", MULTIPART, multipart([file_part(png, filename=b"\xed\xa0\x80.png")])),
        ("filename 10k", MULTIPART, multipart([file_part(png, filename=b"f" * 10_000)])),
        (
            "filename* RFC 2231 garbage",
            MULTIPART,
            multipart(
                [(b"Content-Disposition: form-data; name=\"image\"; filename*=bogus''%ff%fe", png)]
            ),
        ),
        (
            "filename* unknown charset",
            MULTIPART,
            multipart(
                [(b"Content-Disposition: form-data; name=\"image\"; filename*=x-bogus''a.png", png)]
            ),
        ),
        ("no content disposition", MULTIPART, multipart([(b"Content-Type: image/png", png)])),
        (
            "disposition without name",
            MULTIPART,
            multipart([(b"Content-Disposition: form-data", png)]),
        ),
        ("disposition garbage", MULTIPART, multipart([(b'Content-Disposition: ;;;==="', png)])),
        ("part header without colon", MULTIPART, multipart([(b"garbage line", png)])),
        (
            "part header 100k",
            MULTIPART,
            multipart([(image[0] + b"\r\nX-Pad: " + b"p" * 100_000, png)]),
        ),
        (
            "1100 fields",
            MULTIPART,
            multipart([image] + [text_part(b"1", f"f{index}".encode()) for index in range(1100)]),
        ),
        (
            "1100 files",
            MULTIPART,
            multipart([file_part(b"x", f"f{index}".encode()) for index in range(1100)]),
        ),
        ("empty file", MULTIPART, multipart([file_part(b"")])),
        ("multipart/mixed", "multipart/mixed; boundary=fuzzboundary", multipart([image])),
        ("multipart/related", "multipart/related; boundary=fuzzboundary", multipart([image])),
        (
            "form urlencoded",
            "application/x-www-form-urlencoded",
            b"image=abc&model=" + model.encode(),
        ),
        ("octet stream", "application/octet-stream", png),
        ("image/png", "image/png", png),
        (
            "multipart with a JSON body",
            MULTIPART,
            _image_json("data:image/png;base64," + base64.b64encode(png).decode()),
        ),
        ("CR only line ends", MULTIPART, multipart([image]).replace(b"\r\n", b"\r")),
        ("LF only line ends", MULTIPART, multipart([image]).replace(b"\r\n", b"\n")),
    ]
    return [
        Case(operation, f"multipart {label}", http("POST", path, body, content_type=kind))
        for label, kind, body in bodies
    ]


def _data_url_tricks(operation: str, path: str, png: bytes) -> list[Case]:
    encoded = base64.b64encode(png).decode()
    urls: list[tuple[str, object]] = [
        ("valid", "data:image/png;base64," + encoded),
        ("no mime", "data:;base64," + encoded),
        ("text/plain", "data:text/plain;base64," + encoded),
        ("no base64 marker", "data:image/png," + encoded),
        ("percent-encoded", "data:image/png,%89PNG"),
        ("parameters", "data:image/png;charset=utf-8;name=a.png;base64," + encoded),
        ("bad parameter", "data:image/png;=;base64," + encoded),
        ("bad base64", "data:image/png;base64,!!!!"),
        ("base64 no padding", "data:image/png;base64," + encoded.rstrip("=")),
        ("base64 extra padding", "data:image/png;base64," + encoded + "===="),
        ("base64 with whitespace", "data:image/png;base64," + " ".join(encoded)),
        (
            "base64 with newlines",
            "data:image/png;base64,"
            + "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76)),
        ),
        ("urlsafe base64", "data:image/png;base64," + base64.urlsafe_b64encode(png).decode()),
        ("non-ASCII base64", "data:image/png;base64," + encoded + "\u00e9"),
        ("lone surrogate in base64", "data:image/png;base64," + encoded[:8] + "\ud800"),
        ("empty", "data:image/png;base64,"),
        ("empty string", ""),
        ("not a URL", "hello"),
        ("http URL", "http://127.0.0.1/digit.png"),
        ("file URL", "file:///etc/passwd"),
        ("javascript URL", "javascript:alert(1)"),
        ("DATA uppercase", "DATA:IMAGE/PNG;BASE64," + encoded),
        ("leading space", " data:image/png;base64," + encoded),
        ("NUL", "data:image/png;base64,\x00" + encoded),
        ("mime 1000 characters", "data:image/" + "p" * 1000 + ";base64," + encoded),
        ("number", 12345),
        ("list", ["data:image/png;base64," + encoded]),
        ("object", {"url": "data:image/png;base64," + encoded}),
        ("null", None),
        ("true", True),
        ("over the size limit", "data:image/png;base64," + "A" * (6 * 1024 * 1024)),
    ]
    cases = []
    for label, url in urls:
        body = json.dumps({"image": url}).encode()
        big = isinstance(url, str) and len(url) > 4 * 1024 * 1024
        cases.append(
            Case(
                operation,
                f"data URL trick: {label}",
                http("POST", path, body, content_type="application/json"),
                oversized=big,
            )
        )
    extras: list[tuple[str, dict[str, object]]] = [
        ("model null", {"model": None}),
        ("model number", {"model": 1}),
        ("model list", {"model": ["a"]}),
        ("model NUL", {"model": "a\x00"}),
        ("model 300", {"model": "m" * 300}),
        ("model unknown", {"model": "nope"}),
        ("extra field", {"pixels": [0] * PIXELS}),
        ("surrogate field", {"\ud800": 1}),
    ]
    for label, more in extras:
        body = json.dumps({"image": "data:image/png;base64," + encoded, **more}).encode()
        cases.append(
            Case(
                operation,
                f"data URL {label}",
                http("POST", path, body, content_type="application/json"),
            )
        )
    return cases


# --- queries and paths -----------------------------------------------------------------------

QUERY_VALUES = [
    "",
    "%00",
    "0%00",
    "1",
    "-1",
    "0",
    "9" * 30,
    "-" + "9" * 30,
    "9" * 3000,
    "a" * 3000,
    "1e3",
    "1.5",
    "1.0",
    "+1",
    "%201",
    "1%20",
    "0x10",
    "0b1",
    "1_0",
    "NaN",
    "Infinity",
    "-0",
    "true",
    "True",
    "yes",
    "on",
    "%FF",
    "%C0%AF",
    "%ED%A0%80",
    "%F0%9F%98%80",
    "%E2%80%AE",
    "%EF%BC%91",
    "%D9%A3",
    "%uD800",
    "%",
    "%zz",
    "+",
    "test",
    "train",
    "validation",
    "TEST",
    "test%00",
    "..%2F..",
    "%0D%0ASet-Cookie:%20x",
    "%3Cscript%3E",
    "'%20OR%201=1--",
    "[]",
    "{}",
    "1,2",
]
"""Values given to every query parameter (as they appear in the URL)."""

NAME_VALUES = [
    "nope",
    "%00",
    "a%00b",
    "%2F",
    "..",
    "%2E%2E",
    "a" * 101,
    "a" * 250,
    "a" * 3000,
    "%ED%A0%80",
    "%FF",
    "%C0%AF",
    "%F0%9F%98%80",
    "%E2%80%AE",
    "%3Cscript%3E",
    "'",
    "%22",
    "%20",
    "%0A",
    "%09",
    "%7F",
    "%5C",
    ";",
    "%25",
    "%2500",
]
"""Model names in paths (the registered names are added)."""


def query_cases(model: str) -> list[Case]:
    """Every GET operation's parameters given every hostile value, repeated and unknown ones."""
    operations: list[tuple[str, str, Sequence[str]]] = [
        ("models_list", "/models", ()),
        ("models_retrieve", f"/models/{model}", ()),
        (
            "models_examples",
            f"/models/{model}/examples",
            ("count", "dataset", "mistakes", "offset", "predicted", "true"),
        ),
        ("models_weights", f"/models/{model}/weights", ("layer", "neuron")),
        ("mnist_samples", "/mnist/samples", ("count", "dataset", "seed")),
        ("healthz", "/healthz", ()),
        ("readyz", "/readyz", ()),
    ]
    cases = []
    for operation, path, parameters in operations:
        for parameter in parameters:
            for value in QUERY_VALUES:
                target = f"{path}?{parameter}={value}"
                cases.append(Case(operation, f"?{parameter}={value[:20]}", http("GET", target)))
            cases.append(
                Case(
                    operation,
                    f"{parameter} repeated",
                    http("GET", f"{path}?{parameter}=1&{parameter}=2"),
                )
            )
            cases.append(
                Case(
                    operation,
                    f"{parameter} repeated, one empty",
                    http("GET", f"{path}?{parameter}=1&{parameter}="),
                )
            )
            cases.append(
                Case(
                    operation,
                    f"{parameter} 300 times",
                    http("GET", f"{path}?" + "&".join([f"{parameter}=1"] * 300)),
                )
            )
            cases.append(
                Case(operation, f"{parameter} without =", http("GET", f"{path}?{parameter}"))
            )
            cases.append(
                Case(
                    operation,
                    f"{parameter} over the request line limit",
                    http("GET", f"{path}?{parameter}=" + "1" * 4100),
                    kind="raw",
                )
            )
        for query in (
            "?",
            "?&&&",
            "?=",
            "?=1",
            "?%00=1",
            "?a=1;b=2",
            "?unknown=1",
            "?" + "&".join(f"k{index}=1" for index in range(1200)),
            "?%ED%A0%80=1",
            "?a%00b=c",
            "?a[]=1&a[b]=2",
            "?format=json",
            "?format=api",
            "?format=bogus",
            "?format=%00",
            "?" + "&".join(["a"] * 1100),
        ):
            cases.append(Case(operation, f"query {query[:20]}", http("GET", path + query)))
    for name in [
        *NAME_VALUES,
        "serving-b",
        model.upper(),
        model + "%20",
        model + "/",
        model + "%2F",
    ]:
        for suffix, operation in (
            ("", "models_retrieve"),
            ("/examples", "models_examples"),
            ("/weights", "models_weights"),
        ):
            cases.append(
                Case(operation, f"name {name[:20]}", http("GET", f"/models/{name}{suffix}"))
            )
    return cases


API_OPERATIONS: list[tuple[str, str]] = [
    ("predict", "/predict"),
    ("activations", "/activations"),
    ("predict_image", "/predict/image"),
    ("models_list", "/models"),
    ("models_retrieve", "/models/{model}"),
    ("models_examples", "/models/{model}/examples"),
    ("models_weights", "/models/{model}/weights"),
    ("mnist_samples", "/mnist/samples"),
    ("healthz", "/healthz"),
    ("readyz", "/readyz"),
]
"""Every operation of the OpenAPI schema and its path (`{model}`: a registered model)."""

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE", "PROPFIND", "FOO"]
ACCEPTS = [
    "text/html",
    "application/xml",
    "*/*",
    "application/json; indent=4",
    "application/json; indent=-5",
    "application/json; indent=x",
    "application/json; indent=99999999999999999999999",
    "application/json; q=0",
    "application/json; q=abc",
    ";;;",
    "\xff\xfe",
    "a" * 8000,
    "application/json, " * 300,
]


def method_and_header_cases(model: str) -> list[Case]:
    """Every operation with every method, and with hostile `Accept` headers."""
    cases = []
    for operation, template in API_OPERATIONS:
        path = template.format(model=model)
        for method in METHODS:
            body = (
                b'{"pixels":' + ZEROS.encode() + b"}" if method in ("POST", "PUT", "PATCH") else b""
            )
            cases.append(
                Case(
                    operation,
                    f"method {method}",
                    http(method, path, body, content_type="application/json" if body else None),
                )
            )
        method = "POST" if operation in ("predict", "activations", "predict_image") else "GET"
        body = b'{"\\ud800":1}' if method == "POST" else b""
        for accept in ACCEPTS:
            request = http(
                method,
                path,
                body,
                content_type="application/json" if body else None,
                headers=[("Accept", accept)],
            )
            cases.append(Case(operation, f"Accept {accept[:24]!r}", request))
    return cases


# --- pages -----------------------------------------------------------------------------------

PAGE_PATHS = [
    "/docs",
    "/redoc",
    "/api/schema/",
    "/redoc/redoc.standalone.js",
    "/",
    "/favicon.ico",
    "/nope",
    "/static/%00",
]
PAGE_QUERIES = [
    "",
    "?format=json",
    "?format=yaml",
    "?format=openapi",
    "?format=%00",
    "?format=bogus",
    "?lang=%00",
    "?lang=%FF",
    "?version=%ED%A0%80",
    "?" + "a=1&" * 500,
]
SCHEMA_ACCEPTS = [
    "text/html",
    "application/json",
    "application/vnd.oai.openapi",
    "application/vnd.oai.openapi+json",
    "application/yaml",
    "bogus/bogus",
    "application/vnd.oai.openapi; version=%00",
]


def page_cases() -> list[Case]:
    """The docs, the schema, the demo page and the admin log-in page, with hostile requests."""
    cases = [
        Case("docs", f"{path}{query[:20]}", http("GET", path + query), kind="page")
        for path in PAGE_PATHS
        for query in PAGE_QUERIES
    ]
    cases += [
        Case(
            "docs",
            f"schema Accept {accept}",
            http("GET", "/api/schema/", headers=[("Accept", accept)]),
            kind="page",
        )
        for accept in SCHEMA_ACCEPTS
    ]
    cases += [
        Case("docs", f"{method} /docs", http(method, "/docs"), kind="page")
        for method in ("POST", "DELETE", "OPTIONS", "HEAD")
    ]
    nexts = [
        "/admin/",
        "javascript:alert(1)",
        "//evil.example",
        "%00",
        "%ED%A0%80",
        "%FF",
        "http://127.0.0.1/",
        "/" + "a" * 3000,
        "%0D%0ALocation:%20x",
        "\\\\evil",
    ]
    cases += [
        Case(
            "admin",
            f"login next={value[:20]}",
            http("GET", f"/admin/login/?next={value}"),
            kind="page",
        )
        for value in nexts
    ]
    forms = [
        b"username=admin&password=x",
        b"username=a%00b&password=x",
        b"username=%ED%A0%80&password=%FF",
        b"username=" + b"u" * 100_000 + b"&password=x",
        b"csrfmiddlewaretoken=%00&username=admin&password=x",
        b"csrfmiddlewaretoken=" + b"x" * 64 + b"&username=admin&password=x",
        b"&&&==",
        b"%",
        b"",
    ]
    form = "application/x-www-form-urlencoded"
    cases += [
        Case(
            "admin",
            f"login POST {index}",
            http("POST", "/admin/login/", body, content_type=form),
            kind="page",
        )
        for index, body in enumerate(forms)
    ]
    cookies = [
        ("Cookie", "csrftoken=%00"),
        ("Cookie", "csrftoken=" + "x" * 8000),
        ("Cookie", "sessionid=\xff\xfe"),
        ("Cookie", "a=b; " * 500),
    ]
    cases += [
        Case(
            "admin",
            f"login cookie {value[:20]!r}",
            http("POST", "/admin/login/", forms[0], content_type=form, headers=[(name, value)]),
            kind="page",
        )
        for name, value in cookies
    ]
    cases += [
        Case("admin", f"admin {path}", http("GET", path), kind="page")
        for path in (
            "/admin/",
            "/admin/%00/",
            "/admin/registry/registeredmodel/?status=%00",
            "/admin/logout/",
            "/admin/jsi18n/",
        )
    ]
    return cases


# --- raw HTTP --------------------------------------------------------------------------------

HEALTH = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
PREDICT_BODY = b'{"pixels":' + ZEROS.encode() + b"}"
JSON_POST = (
    b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    b"Content-Type: application/json\r\n"
)


def raw_cases(rng: random.Random) -> list[Case]:
    """Malformed HTTP: request lines, headers, framing, chunked encoding, huge and slow requests."""
    requests: list[tuple[str, bytes, float]] = []

    def add(label: str, data: bytes, hold: float = 0.0) -> None:
        requests.append((label, data, hold))

    for line in (
        b"GET",
        b"GET /",
        b"GET / HTTP/9.9",
        b"GET / HTTX/1.1",
        b"GET / HTTP/1.1.1",
        b"GET / HTTP/",
        b"GET / http/1.1",
        b"GET  /healthz  HTTP/1.1",
        b"GET /healthz HTTP/1.1 extra",
        b"\x00\x01\x02\x03",
        b"GET /\x00 HTTP/1.1",
        b"GET /heal\x7fthz HTTP/1.1",
        b"GET /\xff\xfe HTTP/1.1",
        b"GET /\xed\xa0\x80 HTTP/1.1",
        b"get /healthz HTTP/1.1",
        b"G\x00T /healthz HTTP/1.1",
        b"GETGETGETGETGETGETGETGETGETGETGETGETGETGETGET /healthz HTTP/1.1",
        b"GET http://evil.example/healthz HTTP/1.1",
        b"GET http://127.0.0.1/healthz HTTP/1.1",
        b"GET * HTTP/1.1",
        b"OPTIONS * HTTP/1.1",
        b"CONNECT 127.0.0.1:443 HTTP/1.1",
        b"GET healthz HTTP/1.1",
        b"GET //healthz HTTP/1.1",
        b"GET /healthz#frag HTTP/1.1",
        b"GET /healthz?%00 HTTP/1.1",
        b"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1",
        b"GET /healthz HTTP/1.0",
        b"GET /healthz HTTP/0.9",
        b"GET /healthz HTTP/2.0",
        b"PRI * HTTP/2.0",
        b"GET /" + b"a" * 5000 + b" HTTP/1.1",
        b"GET /healthz?" + b"a" * 4080 + b" HTTP/1.1",
        b" GET /healthz HTTP/1.1",
        b"GET\t/healthz\tHTTP/1.1",
    ):
        add(
            f"request line {line[:40]!r}",
            line + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        )
    add("HTTP/0.9 request", b"GET /healthz\r\n")
    add("empty lines first", b"\r\n" * 10 + HEALTH)
    add("only empty lines", b"\r\n" * 200)
    add("LF line ends", HEALTH.replace(b"\r\n", b"\n"))
    add("CR line ends", HEALTH.replace(b"\r\n", b"\r"))
    add(
        "TLS client hello",
        bytes.fromhex("16030100a5010000a10303") + bytes(range(32)) + b"\x00" * 64,
    )
    add("garbage", bytes(range(256)))
    headers = [
        b"NoColon",
        b"Name : value",
        b" Leading: space",
        b"Na\x00me: value",
        b"Name: va\x00lue",
        b"Name: \xff\xfe\xed\xa0\x80",
        b"Name: value\r\n continued",
        b"Name:\tvalue",
        b": empty name",
        b"N@me: value",
        b"Host: evil.example",
        b"Host: 127.0.0.1\x00",
        b"Host: ",
        b"Host: 127.0.0.1:99999999999",
        b"Host: [::1",
        b"Host: a b",
        b"X-Forwarded-For: %00",
        b"X-Forwarded-Host: evil.example",
        b"X-Forwarded-Proto: https",
        b"Expect: 100-continue",
        b"Expect: bogus",
        b"Accept-Encoding: " + b"gzip," * 1000,
        b"Cookie: " + b"a=b;" * 1000,
        b"Authorization: Basic %%%",
        b"Authorization: Bearer \xff",
        b"Content-Length: 5",
        b"Transfer-Encoding: chunked",
        b"Upgrade: websocket",
        b"Connection: upgrade, keep-alive, close, bogus",
        b"Range: bytes=0-1,2-3,4-5",
        b"If-Modified-Since: bogus",
    ]
    for header in headers:
        add(
            f"header {header[:30]!r}",
            b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            + header
            + b"\r\n\r\n",
        )
        add(
            f"header on predict {header[:30]!r}",
            JSON_POST
            + b"Content-Length: "
            + str(len(PREDICT_BODY)).encode()
            + b"\r\n"
            + header
            + b"\r\n\r\n"
            + PREDICT_BODY,
        )
    add("no Host header", b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")
    add("no Host header, models", b"GET /models HTTP/1.1\r\nConnection: close\r\n\r\n")
    add(
        "two Host headers",
        b"GET /models HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n"
        b"Connection: close\r\n\r\n",
    )
    add(
        "bad Host on models",
        b"GET /models HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
    )
    add("NUL Host on models", b"GET /models HTTP/1.1\r\nHost: a\x00b\r\nConnection: close\r\n\r\n")
    add(
        "101 header fields",
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        + b"".join(b"X-%d: 1\r\n" % index for index in range(101))
        + b"\r\n",
    )
    add(
        "header field of 8191 bytes",
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-Big: "
        + b"x" * 8191
        + b"\r\n\r\n",
    )
    add(
        "header field of 64 kB",
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-Big: "
        + b"x" * 65536
        + b"\r\n\r\n",
    )
    add(
        "header block of 1 MB",
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        + b"X-Pad: "
        + b"y" * 8000
        + b"\r\n" * 120
        + b"\r\n",
    )

    def post(head: bytes, body: bytes) -> bytes:
        return JSON_POST + head + b"\r\n" + body

    size = str(len(PREDICT_BODY)).encode()
    for value in (
        b"-1",
        b"abc",
        b"1e3",
        b"0x10",
        b" 10",
        b"99999999999999999999999",
        b"",
        b"+" + size,
        size + b", " + size,
        b"\xff",
    ):
        add(
            f"Content-Length {value[:20]!r}",
            post(b"Content-Length: " + value + b"\r\n", PREDICT_BODY),
        )
    add(
        "two Content-Lengths",
        post(b"Content-Length: " + size + b"\r\nContent-Length: 5\r\n", PREDICT_BODY),
    )
    add(
        "Content-Length and chunked",
        post(b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n"),
    )
    add("Content-Length 0 with a body", post(b"Content-Length: 0\r\n", PREDICT_BODY))
    add("Content-Length shorter than the body", post(b"Content-Length: 10\r\n", PREDICT_BODY))
    chunk = b"%x\r\n" % len(PREDICT_BODY) + PREDICT_BODY + b"\r\n"
    te = b"Transfer-Encoding: chunked\r\n"
    add("chunked, valid", post(te, chunk + b"0\r\n\r\n"))
    add(
        "chunked, in pieces",
        post(
            te,
            b"".join(
                b"%x\r\n" % len(PREDICT_BODY[i : i + 100]) + PREDICT_BODY[i : i + 100] + b"\r\n"
                for i in range(0, len(PREDICT_BODY), 100)
            )
            + b"0\r\n\r\n",
        ),
    )
    for label, body in (
        ("size not hex", b"zz\r\n" + PREDICT_BODY + b"\r\n0\r\n\r\n"),
        ("size negative", b"-5\r\nabcde\r\n0\r\n\r\n"),
        ("size huge", b"ffffffffffffffffffff\r\n" + PREDICT_BODY + b"\r\n0\r\n\r\n"),
        ("size too small", b"5\r\n" + PREDICT_BODY + b"\r\n0\r\n\r\n"),
        ("no CRLF after data", b"%x\r\n" % len(PREDICT_BODY) + PREDICT_BODY + b"0\r\n\r\n"),
        (
            "extension garbage",
            b'%x;;;="\x00\r\n' % len(PREDICT_BODY) + PREDICT_BODY + b"\r\n0\r\n\r\n",
        ),
        ("trailers", chunk + b"0\r\nX-Trailer: 1\r\nContent-Length: 5\r\n\r\n"),
        ("no last chunk", chunk),
        ("empty", b""),
        ("only last chunk", b"0\r\n\r\n"),
        ("LF only", chunk.replace(b"\r\n", b"\n") + b"0\n\n"),
        ("size with spaces", b" %x \r\n" % len(PREDICT_BODY) + PREDICT_BODY + b"\r\n0\r\n\r\n"),
        ("size with 0x", b"0x%x\r\n" % len(PREDICT_BODY) + PREDICT_BODY + b"\r\n0\r\n\r\n"),
    ):
        add(f"chunked, {label}", post(te, body))
    for encoding in (
        b"gzip",
        b"chunked, gzip",
        b"gzip, chunked",
        b"bogus",
        b"chunked, chunked",
        b"identity",
        b"CHUNKED",
        b"\xff",
    ):
        add(
            f"Transfer-Encoding {encoding!r}",
            post(b"Transfer-Encoding: " + encoding + b"\r\n", chunk + b"0\r\n\r\n"),
        )
    add(
        "Content-Encoding gzip, not gzip",
        post(b"Content-Encoding: gzip\r\nContent-Length: " + size + b"\r\n", PREDICT_BODY),
    )
    gzipped = zlib.compress(PREDICT_BODY)
    add(
        "Content-Encoding deflate",
        post(b"Content-Encoding: deflate\r\nContent-Length: %d\r\n" % len(gzipped), gzipped),
    )
    add("pipelined requests", HEALTH.replace(b"Connection: close\r\n", b"") + HEALTH)
    add("pipelined garbage", HEALTH.replace(b"Connection: close\r\n", b"") + b"\x00garbage\r\n\r\n")
    add("keep-alive, HTTP/1.0", b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    # Slow and partial requests: held open, then half-closed (the server sees the end).
    add("slow: half a request line", b"GET /heal", 1.0)
    add("slow: request line only", b"GET /healthz HTTP/1.1\r\n", 1.0)
    add("slow: headers, no blank line", b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n", 1.0)
    add(
        "slow: body shorter than declared",
        post(b"Content-Length: 100000\r\n", PREDICT_BODY[:100]),
        1.0,
    )
    add("slow: chunked, no end", post(te, b"10\r\nabc"), 1.0)
    add("slow: nothing at all", b"", 1.0)
    add(
        "slow: multipart cut",
        b"POST /predict/image HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
        + MULTIPART.encode()
        + b"\r\nContent-Length: 5000\r\n\r\n--fuzzboundary\r\n"
        + b'Content-Disposition: form-data; name="image"; filename="a.png"\r\n\r\n\x89PNG',
        1.0,
    )
    add(
        "slow: npy cut",
        b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-npy\r\n"
        b"Content-Length: 1000\r\n\r\n\x93NUMPY\x01\x00v\x00{'descr'",
        1.0,
    )
    valid_request = http("POST", "/predict", PREDICT_BODY, content_type="application/json")
    for index in range(30):
        data = bytearray(valid_request[:200])
        for _ in range(rng.randint(1, 5)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        add(f"request head byte flips {index}", bytes(data) + valid_request[200:])
    for index in range(20):
        add(
            f"random bytes {index}",
            bytes(rng.randrange(256) for _ in range(rng.randint(1, 400))) + b"\r\n\r\n",
        )
    return [Case("raw", label, data, kind="raw", hold=hold) for label, data, hold in requests]


# --- the corpus ------------------------------------------------------------------------------


def build_corpus(model: str, seed: int = SEED) -> list[Case]:
    """Every group of hostile requests for a server whose default model is called `model`."""
    predict_valid = f'{{"pixels":{ZEROS}}}'.encode()
    image_valid = _image_json(
        "data:image/png;base64," + base64.b64encode(_encode(_digit(), "PNG")).decode()
    )
    groups: list[Callable[[], list[Case]]] = [
        lambda: json_cases(
            "predict",
            "/predict",
            ("pixels", "batch", "model"),
            predict_valid,
            _rng(seed, "predict json"),
        ),
        lambda: json_cases(
            "activations",
            "/activations",
            ("pixels", "model"),
            predict_valid,
            _rng(seed, "activations json"),
        ),
        lambda: json_cases(
            "predict_image",
            "/predict/image",
            ("image", "model"),
            image_valid,
            _rng(seed, "image json"),
        ),
        lambda: octet_cases("predict", "/predict", range(PIXELS)),
        lambda: octet_cases("activations", "/activations", range(0, PIXELS, 7)),
        lambda: npy_cases("predict", "/predict", _rng(seed, "predict npy"), images=2),
        lambda: npy_cases("activations", "/activations", _rng(seed, "activations npy")),
        lambda: image_cases(model, _rng(seed, "images")),
        lambda: query_cases(model),
        lambda: method_and_header_cases(model),
        page_cases,
        lambda: raw_cases(_rng(seed, "raw")),
    ]
    return [case for group in groups for case in group()]
