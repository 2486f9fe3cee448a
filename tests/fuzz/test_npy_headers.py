"""`.npy` headers read defensively: any header is a batch or a 400 naming the header, never a crash.

`inference.binary.read_npy_header` replaces numpy's header parser, which let hostile headers escape
as exceptions nobody caught (`tokenize.TokenError`; a `TypeError` after `(True, 784)` passed its
checks). Every header of the fuzz corpus, thousands of seeded random mutations of valid headers,
and random bytes after the magic string are read here in-process.
"""

from __future__ import annotations

import io
import random
import struct

import numpy as np
import pytest

from api.errors import ApiError
from inference.binary import MAX_HEADER_BYTES, batch_from_npy, read_npy_header
from tests.fuzz.corpus import NPY_DESCRS, NPY_FORTRAN, NPY_SHAPES, NPY_TEXTS, npy_file, npy_header

IMAGE = bytes(784)


def outcome(body: bytes) -> str:
    """`ok`, or the 4xx's message; any other exception fails the test."""
    try:
        batch_from_npy(body)
    except ApiError as exc:
        error = exc
    else:
        return "ok"
    assert error.status_code in (400, 413), error.message
    assert list(error.fields) == ["body"], error.fields
    return error.fields["body"][0]


@pytest.mark.parametrize(
    "header",
    [npy_header(shape=value) for value in NPY_SHAPES]
    + [npy_header(descr=value) for value in NPY_DESCRS]
    + [npy_header(fortran=value) for value in NPY_FORTRAN]
    + NPY_TEXTS,
)
@pytest.mark.parametrize("version", [(1, 0), (3, 0)])
def test_every_corpus_header_is_a_batch_or_a_400(header: str, version: tuple[int, int]) -> None:
    body = npy_file(header.encode("utf-8", "surrogatepass"), IMAGE, version)
    outcome(body)


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ("(True, 784)", "shape must be a tuple of non-negative integers, got (True, 784)"),
        ("(1, True)", "shape must be a tuple of non-negative integers, got (1, True)"),
        ("('1', 784)", "shape must be a tuple of non-negative integers, got ('1', 784)"),
        ("(1.0, 784)", "the header is not a .npy header dict: '.0, 784)"),
        ("(-1, 784)", "the header is not a .npy header dict: '-1, 784)"),
        ("[1, 784]", "the header is not a .npy header dict: '[1, 784]"),
    ],
)
def test_shape_entries_must_be_non_negative_ints(shape: str, message: str) -> None:
    assert message in outcome(npy_file(npy_header(shape=shape), IMAGE))


@pytest.mark.parametrize(
    ("fortran", "message"),
    [
        ("1", "fortran_order must be True or False, got 1"),
        ("0", "fortran_order must be True or False, got 0"),
        ("'False'", "fortran_order must be True or False, got 'False'"),
        ("None", 'the header is not a .npy header dict: "None, '),
    ],
)
def test_fortran_order_must_be_a_bool(fortran: str, message: str) -> None:
    assert message in outcome(npy_file(npy_header(fortran=fortran), IMAGE))


@pytest.mark.parametrize(
    ("descr", "message"),
    [
        ("'(784,)u1'", "dtype must be uint8 or float32, got |V784"),
        ("'u1,u1'", "dtype must be uint8 or float32, got |V2"),
        ("'|O'", "dtype must be uint8 or float32, got |O"),
        ("'<f8'", "dtype must be uint8 or float32, got <f8"),
        ("'bogus'", "dtype must be uint8 or float32, got 'bogus'"),
        ("True", "dtype must be uint8 or float32, got True"),
        ("(1, 2)", "dtype must be uint8 or float32, got (1, 2)"),
        ("'" + "u" * 40 + "'", "dtype must be uint8 or float32, got 'uuuu"),
        ("b'|u1'", "the header is not a .npy header dict"),
        ("[('a', '|u1')]", "the header is not a .npy header dict"),
    ],
)
def test_descr_must_name_uint8_or_float32(descr: str, message: str) -> None:
    assert message in outcome(npy_file(npy_header(descr=descr), IMAGE))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "the header is not a .npy header dict: it ends early"),
        ("\x00", "the header is not a .npy header dict: '\\x00' at character 0"),
        ("[" * 1000, "the header is not a .npy header dict: '[[[[[[[[[[[[' at character 0"),
        (
            "{'descr': '|u1', 'fortran_order': False}",
            "the header must be a dict of exactly the keys",
        ),
        ("__import__('os')", 'the header is not a .npy header dict: "__import__(\'"'),
        ("{'descr': '|u1', 'descr': '|u1'}", "the key 'descr' is given twice"),
        ("{'descr': '|u1\\x00'}", "the header is not a .npy header dict"),
        ("{'descr': '|u1', 'fortran_order': False, 'shape': ((1,), 784)}", "unexpected '('"),
        ("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784)} 1", "text follows the dict"),
        ("{1: '|u1'}", "keys must be strings, got 1"),
        ("{'shape': (1 784)}", "expected ',', got 784"),
    ],
)
def test_a_header_that_is_no_npy_dict_is_named(text: str, message: str) -> None:
    assert message in outcome(npy_file(text, IMAGE))


@pytest.mark.parametrize(
    "header",
    [
        '{"descr": "|u1", "fortran_order": false, "shape": [1, 784]}',
        "{'shape': (1, 784), 'descr': '|u1', 'fortran_order': False}",
        "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784)}",
        "{'descr':'|u1','fortran_order':False,'shape':(1,784),}",
        "{'descr': '|u1', 'fortran_order': False, 'shape': (1L, 784L), }",
        "\t{'descr': '|u1', 'fortran_order': False, 'shape': (1, 784), }   \n",
    ],
)
def test_headers_of_other_writers_are_read(header: str) -> None:
    result = outcome(npy_file(header, IMAGE))
    if header.startswith('{"'):
        assert "not a .npy header dict" in result  # JSON's `false` and lists are not Python
    else:
        assert result == "ok"


def test_a_parenthesised_number_is_not_a_shape() -> None:
    message = outcome(npy_file(npy_header(shape="(784)"), IMAGE))
    assert "shape must be a tuple of non-negative integers, got 784" in message
    assert outcome(npy_file(npy_header(shape="(1, 784,)"), IMAGE)) == "ok"


def test_the_header_length_is_bounded() -> None:
    header = npy_header().rstrip("\n") + " " * MAX_HEADER_BYTES + "\n"
    assert f"the limit is {MAX_HEADER_BYTES}" in outcome(npy_file(header, IMAGE))
    huge = b"\x93NUMPY\x02\x00" + struct.pack("<I", 2**32 - 1) + b"{"
    assert "the limit is" in outcome(huge)


@pytest.mark.parametrize(
    "array",
    [
        np.zeros((2, 784), dtype=np.uint8),
        np.arange(784 * 3, dtype=np.uint32).astype(np.uint8).reshape(3, 28, 28),
        np.asfortranarray(np.linspace(0, 1, 784 * 2, dtype=np.float32).reshape(2, 784)),
        np.asfortranarray(np.linspace(0, 1, 784 * 2, dtype=np.float32).reshape(2, 28, 28)),
        np.linspace(0, 1, 784, dtype=">f4").reshape(1, 784),
    ],
)
def test_valid_arrays_read_as_numpy_wrote_them(array: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    pixels = batch_from_npy(buffer.getvalue()).pixels
    scale = 255 if array.dtype == np.uint8 else 1
    expected = array.reshape(len(array), 784).astype(np.float32) / scale
    np.testing.assert_allclose(pixels, expected, rtol=1e-6)
    assert pixels.flags.c_contiguous


def test_python2_headers_are_still_read() -> None:  # numpy reads them too
    header = "{'descr': '|u1', 'fortran_order': False, 'shape': (1L, 784L), }\n"
    assert read_npy_header(npy_file(header, IMAGE)).shape == (1, 784)


def test_seeded_mutations_of_headers_never_crash(recwarn: pytest.WarningsRecorder) -> None:
    rng = random.Random("npy headers")
    valid = npy_header(shape="(1, 784)").encode()
    alphabet = b"{}()[]':,0123456789 \n-.eTFNLjx_|<>=uf\\\x00\xff"
    outcomes = set()
    for _ in range(3000):
        header = bytearray(valid)
        for _ in range(rng.randint(1, 6)):
            position = rng.randrange(len(header))
            action = rng.randrange(3)
            if action == 0:
                header[position] = rng.choice(alphabet)
            elif action == 1:
                del header[position]
            else:
                header.insert(position, rng.choice(alphabet))
        version = rng.choice([(1, 0), (2, 0), (3, 0)])
        outcomes.add(outcome(npy_file(bytes(header), IMAGE, version)).split(",")[0][:40])
    for _ in range(500):
        outcomes.add(outcome(b"\x93NUMPY" + rng.randbytes(rng.randrange(300)))[:40])
    assert "ok" in outcomes
    assert len(outcomes) > 10, outcomes
    # numpy's reader (ast.literal_eval) printed a SyntaxWarning for `\\x` or `1and`: none here.
    assert not [str(warning.message) for warning in recwarn], list(recwarn)
