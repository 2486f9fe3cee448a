"""The comparison and extraction rules of the docs' examples (`tests.docs.examples`) catch what
they promise to catch: a check that let everything through would make the docs test worthless."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.examples import compare, compare_text, parse, unmarked_http_blocks

NOTHING: frozenset[str] = frozenset()


def test_exact_values_keys_and_types() -> None:
    assert compare({"a": 1, "b": "x"}, {"a": 1, "b": "x"}, NOTHING) == []
    assert compare({"a": 1}, {"a": 2}, NOTHING) == ["$.a: documented 1, served 2"]
    assert compare({"a": 1}, {"a": 1, "b": 2}, NOTHING) == [
        "$: keys served but not documented: ['b']"
    ]
    assert compare({"a": 1, "b": 2}, {"a": 1}, NOTHING) == [
        "$: keys documented but not served: ['b']"
    ]
    assert compare({"a": 1.0}, {"a": 1}, NOTHING) == ["$.a: documented number, served 1"]
    assert compare({"a": True}, {"a": 1}, NOTHING) != []


def test_vary_compares_types_and_ranges_only() -> None:
    vary = frozenset({"confidence", "weights"})
    assert compare({"confidence": 0.98}, {"confidence": 0.5}, vary) == []
    assert compare({"confidence": 0.98}, {"confidence": 1.5}, vary) == [
        "$.confidence: served value 1.5 outside 0.0..1.0"
    ]
    assert compare({"confidence": 0.98}, {"confidence": "high"}, vary) != []
    assert compare({"weights": [[0.1, "... 3 ..."]]}, {"weights": [[0.5, 0.2, 0.3]]}, vary) == []
    assert compare({"weights": [[0.1, "... 3 ..."]]}, {"weights": [[0.5, 0.2]]}, vary) == [
        "$.weights[0]: documented 3 items, served 2"
    ]
    # Keys under a varying value are still compared.
    assert compare({"weights": {"a": 1}}, {"weights": {"b": 1}}, vary) != []


def test_placeholders() -> None:
    assert compare({"a": "..."}, {"a": [1, {"x": None}]}, NOTHING) == []
    assert compare({"a": 1, "...": "..."}, {"a": 1, "b": 2}, NOTHING) == []
    assert compare([1, "..."], [1, 2, 3], NOTHING) == []
    assert compare([1, "..."], [2, 2, 3], NOTHING) == ["$[0]: documented 1, served 2"]
    assert compare([0.0, "... 4 ..."], [0.0, 0.5, 0.5, 0.5], NOTHING) == []
    assert compare([0.0, "... 4 ..."], [0.0, 0.5, "x", 0.5], NOTHING) == [
        "$[2]: documented number, served 'x'"
    ]
    assert compare([[1, 2], "... 2 rows ..."], [[1, 2], [3, 4]], NOTHING) == []


def test_text_numbers_vary_only_when_asked() -> None:
    assert compare_text("1000 model-98\n", "1000 model-98", NOTHING)
    assert not compare_text("label 7, predicted 7 (0.99)", "label 2, predicted 2 (0.5)", NOTHING)
    numbers = frozenset({"numbers"})
    assert compare_text("label 7, predicted 7 (0.99)", "label 2, predicted 2 (0.5)", numbers)
    assert not compare_text("label 7, predicted 7 (0.99)", "label 2, guessed 2 (0.5)", numbers)
    assert not compare_text("label 7 (0.99)", "label 7 (1)", numbers)


def test_extraction_and_unmarked_requests(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "<!-- example: one status=404 vary=a needs=mnist -->\n"
        "```sh\ncurl http://localhost:8000/x\n```\n\n"
        '```json\n{"a": 1}\n```\n\n'
        "```sh\ncurl http://localhost:8000/y\n```\n"
    )
    document = parse(page, "page.md")
    [example] = document.examples
    assert (example.name, example.status, example.vary, example.needs) == (
        "one",
        404,
        frozenset({"a"}),
        frozenset({"mnist"}),
    )
    assert example.answer is not None
    assert example.answer.code == '{"a": 1}\n'
    assert [block.line for block in unmarked_http_blocks(document)] == [10]


def test_a_marker_without_a_block_is_an_error(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("<!-- example: lost -->\nno block\n")
    with pytest.raises(ValueError, match="no block after it"):
        parse(page, "page.md")
