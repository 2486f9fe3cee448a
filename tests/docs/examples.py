"""Extract the HTTP examples of the docs and compare their answers with the documented ones.

The convention (written for the docs' authors in docs/API.md, "How the examples are checked"):

- `<!-- example: NAME [status=404] [vary=key,key] [needs=mnist] -->` on its own line marks the
  next fenced block (`sh` with one `curl`, `python` or `js`) as an example request. The fenced
  block right after it, when it is `json` or `text`, is the documented answer.
- `status` is the documented HTTP status (default 200). For `python` and `js` examples the status is
  the snippet's own business (it must exit 0, e.g. through `raise_for_status()`).
- `vary` names the keys whose values depend on the model (its weights, accuracy, revision, paths):
  under them only the JSON types, list lengths and the documented ranges are compared. Everything
  else is compared exactly. In a `text` answer, `vary=numbers` makes every number a wildcard.
- In a documented JSON answer: the string `"..."` stands for any value; a `"...": "..."` member
  allows further keys; a list item `"..."` allows further items; a list item `"... N ..."` (words
  may follow N, e.g. `"... 10 rows ..."`) says the list has N items, the items after the documented
  ones having the type of the last documented one.
- `<!-- example-setup -->` marks a block that prepares files for the examples (e.g. `seven.png`);
  every setup block of a document runs before each of its examples.

Every fenced block that makes an HTTP request (`curl`, `requests.get/post/...`, `fetch(`) must be
an example: `unmarked_http_blocks` lists those that are not.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MARKER = re.compile(r"^<!--\s*example:\s*(?P<name>[\w-]+)(?P<options>(?:\s+\w+=\S+)*)\s*-->$")
SETUP_MARKER = re.compile(r"^<!--\s*example-setup\s*-->$")
FENCE = re.compile(r"^(?P<indent>\s*)```(?P<language>\w*)\s*$")
HTTP_REQUEST = re.compile(r"\bcurl\s|\brequests\.(?:get|post|put|delete)\(|\bfetch\(")
PLACEHOLDER = "..."
LENGTH_PLACEHOLDER = re.compile(r"^\.\.\. (?P<count>\d+)(?: [\w ]+)? \.\.\.$")
REQUEST_LANGUAGES = ("sh", "python", "js")
ANSWER_LANGUAGES = ("json", "text")

# Ranges every documented and every served value under these keys must lie in (inclusive).
RANGES: dict[str, tuple[float, float]] = {
    "confidence": (0.0, 1.0),
    "probabilities": (0.0, 1.0),
    "pixels": (0.0, 1.0),
    "predicted_digit": (0, 9),
    "predicted": (0, 9),
    "label": (0, 9),
    "accuracy": (0.0, 100.0),
    "test_accuracy": (0.0, 100.0),
    "validation_accuracy": (0.0, 100.0),
    "per_class_accuracy": (0.0, 100.0),
}


@dataclass(frozen=True)
class Block:
    """A fenced code block: its language, text and the line (1-based) of its opening fence."""

    language: str
    code: str
    line: int


@dataclass(frozen=True)
class Example:
    """One documented request and its documented answer."""

    doc: str
    name: str
    request: Block
    answer: Block | None
    status: int
    vary: frozenset[str]
    needs: frozenset[str]

    @property
    def id(self) -> str:
        """The test id: document and example name."""
        return f"{Path(self.doc).name}:{self.name}"


@dataclass(frozen=True)
class Document:
    """The examples, setup blocks and every fenced block of one Markdown file."""

    examples: list[Example]
    setup: list[Block]
    blocks: list[Block]


def parse(path: Path, doc: str) -> Document:
    """Read the fenced blocks and example markers of a Markdown file.

    Raises:
        ValueError: A marker is not followed by a request block, or names an unknown option.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    pending: list[tuple[str, int]] = []  # markers (text, line) waiting for their block
    marks: dict[int, tuple[str, int]] = {}  # block index -> its marker
    index = 0
    while index < len(lines):
        text = lines[index].strip()
        if MARKER.match(text) or SETUP_MARKER.match(text):
            pending.append((text, index + 1))
        fence = FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        body: list[str] = []
        start = index + 1
        index += 1
        indent = len(fence["indent"])
        while index < len(lines) and lines[index].strip() != "```":
            body.append(lines[index][indent:])
            index += 1
        index += 1  # the closing fence
        if pending:
            if len(pending) > 1:
                raise ValueError(f"{doc}:{pending[0][1]}: two markers before one block")
            marks[len(blocks)] = pending.pop()
        blocks.append(Block(fence["language"], "\n".join(body) + "\n", start))
    if pending:
        raise ValueError(f"{doc}:{pending[0][1]}: a marker with no block after it")

    examples: list[Example] = []
    setup: list[Block] = []
    for position, (text, line) in marks.items():
        request = blocks[position]
        if SETUP_MARKER.match(text):
            setup.append(request)
            continue
        match = MARKER.match(text)
        assert match is not None
        if request.language not in REQUEST_LANGUAGES:
            raise ValueError(f"{doc}:{line}: an example must be one of {REQUEST_LANGUAGES}")
        options = dict(item.split("=", 1) for item in match["options"].split())
        unknown = set(options) - {"status", "vary", "needs"}
        if unknown:
            raise ValueError(f"{doc}:{line}: unknown options {sorted(unknown)}")
        following = blocks[position + 1] if position + 1 < len(blocks) else None
        answer = following if following and following.language in ANSWER_LANGUAGES else None
        if answer is not None and position + 1 in marks:
            answer = None  # the next block is another example's
        examples.append(
            Example(
                doc=doc,
                name=match["name"],
                request=request,
                answer=answer,
                status=int(options.get("status", "200")),
                vary=frozenset(filter(None, options.get("vary", "").split(","))),
                needs=frozenset(filter(None, options.get("needs", "").split(","))),
            )
        )
    return Document(examples, setup, blocks)


def http_blocks(document: Document) -> list[Block]:
    """Every fenced block that makes an HTTP request to the documented server."""
    return [
        block
        for block in document.blocks
        if block.language in REQUEST_LANGUAGES and HTTP_REQUEST.search(block.code)
    ]


def unmarked_http_blocks(document: Document) -> list[Block]:
    """The HTTP blocks that are no example (they would go unchecked)."""
    marked = {example.request.line for example in document.examples}
    return [block for block in http_blocks(document) if block.line not in marked]


def _kind(value: Any) -> str:
    """The JSON type of a value (int and float apart, bool apart from both)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _range_problems(key: str | None, value: Any, path: str, who: str) -> list[str]:
    """Numbers under a key of RANGES that fall outside it."""
    if key not in RANGES:
        return []
    low, high = RANGES[key]
    values = value if isinstance(value, list) else [value]
    return [
        f"{path}: {who} value {item!r} outside {low}..{high}"
        for item in values
        if isinstance(item, int | float)
        and not isinstance(item, bool)
        and not (math.isfinite(item) and low <= item <= high)
    ]


def compare(
    documented: Any, served: Any, vary: frozenset[str], path: str = "$", key: str | None = None
) -> list[str]:
    """The differences between a documented JSON answer and the served one (empty: they match).

    See the module docstring for the placeholders. `vary` keys compare types, lengths and ranges.
    """
    varying = key in vary or "*" in vary
    problems = _range_problems(key, documented, path, "documented")
    problems += _range_problems(key, served, path, "served")
    if documented == PLACEHOLDER:
        return problems
    if _kind(documented) != _kind(served):
        return [*problems, f"{path}: documented {_kind(documented)}, served {served!r:.80}"]
    if isinstance(documented, dict):
        extra_allowed = documented.get(PLACEHOLDER) == PLACEHOLDER
        keys = [name for name in documented if name != PLACEHOLDER]
        missing = [name for name in keys if name not in served]
        extra = [name for name in served if name not in documented]
        if missing:
            problems.append(f"{path}: keys documented but not served: {missing}")
        if extra and not extra_allowed:
            problems.append(f"{path}: keys served but not documented: {extra}")
        for name in keys:
            if name in served:
                inner = vary | {"*"} if varying else vary
                problems += compare(documented[name], served[name], inner, f"{path}.{name}", name)
        return problems
    if isinstance(documented, list):
        return problems + _compare_list(documented, served, vary, path, key, varying)
    if not varying and documented != served:
        problems.append(f"{path}: documented {documented!r}, served {served!r}")
    return problems


def _compare_list(
    documented: list[Any],
    served: list[Any],
    vary: frozenset[str],
    path: str,
    key: str | None,
    varying: bool,
) -> list[str]:
    """`compare` for lists, with the `"..."` and `"... N ..."` items."""
    inner = vary | {"*"} if varying else vary
    cut = next(
        (
            position
            for position, item in enumerate(documented)
            if isinstance(item, str) and (item == PLACEHOLDER or LENGTH_PLACEHOLDER.match(item))
        ),
        None,
    )
    if cut is None:
        if len(documented) != len(served):
            return [f"{path}: documented {len(documented)} items, served {len(served)}"]
        problems: list[str] = []
        for position, (item, got) in enumerate(zip(documented, served, strict=True)):
            problems += compare(item, got, inner, f"{path}[{position}]", key)
        return problems
    head = documented[:cut]
    marker = LENGTH_PLACEHOLDER.match(documented[cut])
    problems = []
    if marker is not None and len(served) != int(marker["count"]):
        problems.append(f"{path}: documented {marker['count']} items, served {len(served)}")
    if len(served) < len(head):
        return [*problems, f"{path}: documented at least {len(head)} items, served {len(served)}"]
    for position, item in enumerate(head):
        problems += compare(item, served[position], inner, f"{path}[{position}]", key)
    if head:
        # The rest must look like the last documented item (types only).
        model = head[-1]
        for position in range(len(head), len(served)):
            problems += compare(model, served[position], inner | {"*"}, f"{path}[{position}]", key)
            if len(problems) > 20:
                break
    return problems


NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def compare_text(documented: str, served: str, vary: frozenset[str]) -> bool:
    """Whether a printed answer matches the documented one (numbers are wildcards when
    `vary` holds `numbers`: an integer for an integer, a decimal for a decimal)."""
    if "numbers" not in vary:
        return documented.strip() == served.strip()
    pattern = ""
    position = 0
    for number in NUMBER.finditer(documented.strip()):
        pattern += re.escape(documented.strip()[position : number.start()])
        pattern += r"-?\d+\.\d+" if "." in number.group() else r"-?\d+"
        position = number.end()
    pattern += re.escape(documented.strip()[position:])
    return re.fullmatch(pattern, served.strip()) is not None


def documented_json(example: Example) -> Any:
    """The documented answer as JSON.

    Raises:
        ValueError: The answer block is not valid JSON.
    """
    assert example.answer is not None
    try:
        return json.loads(example.answer.code)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{example.doc}:{example.answer.line}: the documented answer is not JSON: {error}"
        ) from None
