"""The fuzz corpus itself: seeded (the same bytes every run), large, covering every operation."""

from __future__ import annotations

import hashlib
from collections import Counter

from drf_spectacular.generators import SchemaGenerator

from tests.fuzz.corpus import SEED, build_corpus

MODEL = "serving-a"


def digest(seed: int) -> str:
    """A digest of every case of the corpus built with `seed`."""
    hasher = hashlib.sha256()
    for case in build_corpus(MODEL, seed):
        hasher.update(f"{case.operation}|{case.label}|{case.kind}|{case.hold}|".encode())
        hasher.update(case.request)
    return hasher.hexdigest()


def test_the_corpus_is_the_same_for_the_same_seed_and_differs_for_another() -> None:
    assert digest(SEED) == digest(SEED)
    assert digest(SEED) != digest(SEED + 1)


def test_the_corpus_covers_every_operation_of_the_schema_and_raw_http() -> None:
    corpus = build_corpus(MODEL)
    assert len(corpus) >= 2000
    counts = Counter(case.operation for case in corpus)
    schema = SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    operations = {
        operation["operationId"]
        for methods in schema["paths"].values()
        for operation in methods.values()
    }
    assert operations <= set(counts), operations - set(counts)
    for operation in operations:
        assert counts[operation] >= 30, counts
    assert counts["raw"] >= 100
    assert counts["docs"] >= 30
    assert counts["admin"] >= 20
    kinds = Counter(case.kind for case in corpus)
    assert set(kinds) == {"api", "page", "raw"}
    assert any(case.hold for case in corpus)  # slow, partial requests


def test_every_length_modulo_784_is_sent_as_octets() -> None:
    lengths = {
        len(case.request.split(b"\r\n\r\n", 1)[1])
        for case in build_corpus(MODEL)
        if case.operation == "predict" and b"application/octet-stream" in case.request
    }
    assert {length % 784 for length in lengths} == set(range(784))
