"""Every Python example in the user guide runs, and checks what it claims.

Conventions for ```python blocks in the documents listed in `DOCS`:

- A block runs on its own, in a fresh module, unless an HTML comment on the line before it
  names a group: `<!-- example: chat -->`. Blocks of one group (within one document) run in
  order in one shared module, so a later block can use what an earlier one defined.
- Words after the group name are pytest marks for the group: `<!-- example: live e2e -->`.
- `<!-- skip: reason -->` before a block leaves it out; the reason is required. Keep these rare.
- After a group's blocks have run, each coroutine function it defined at module level named
  `demo` or `test_*` (taking no arguments) is awaited, with a time limit. That is where an
  example shows, through `WebsocketCommunicator`, the behaviour the prose around it claims.

Layers are reset around each group by the autouse fixture in `tests/conftest.py`.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"
DOCS = (
    "index.md",
    "consumers-and-decorators.md",
    "testing.md",
    "authentication.md",
    "token-auth.md",
    "upstream.md",
    "tutorial.md",
    "logging.md",
)
TIME_LIMIT = 20.0

_FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_DIRECTIVE = re.compile(r"<!--\s*(example|skip)\s*:\s*(.*?)\s*-->")


@dataclass
class Group:
    document: str
    name: str
    marks: list[str] = field(default_factory=list)
    blocks: list[tuple[int, str]] = field(default_factory=list)  # (line, code)

    @property
    def id(self) -> str:
        return f"{self.document.removesuffix('.md')}:{self.name}"


def collect(document: str) -> tuple[list[Group], list[tuple[int, str]]]:
    """The groups of `document` and its skipped blocks as (line, reason)."""
    text = (DOCS_DIR / document).read_text(encoding="utf-8")
    groups: dict[str, Group] = {}
    skipped: list[tuple[int, str]] = []
    for match in _FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        previous = text[: match.start()].rstrip().rpartition("\n")[2]
        directive = _DIRECTIVE.fullmatch(previous.strip())
        if directive and directive[1] == "skip":
            assert directive[2], f"{document}:{line}: `<!-- skip: ... -->` needs a reason"
            skipped.append((line, directive[2]))
            continue
        if directive:
            name, *marks = directive[2].split()
        else:
            name, marks = f"line-{line}", []
        group = groups.setdefault(name, Group(document, name))
        group.marks.extend(m for m in marks if m not in group.marks)
        group.blocks.append((line, match[1]))
    return list(groups.values()), skipped


def _params() -> list[object]:
    params: list[object] = []
    for document in DOCS:
        groups, skipped = collect(document)
        for group in groups:
            marks = [getattr(pytest.mark, m) for m in group.marks]
            params.append(pytest.param(group, id=group.id, marks=marks))
        for line, reason in skipped:
            params.append(
                pytest.param(None, id=f"{document}:{line}", marks=pytest.mark.skip(reason=reason))
            )
    return params


def _run_blocks(group: Group) -> types.ModuleType:
    slug = re.sub(r"\W", "_", group.id)
    module = types.ModuleType(f"docs_example_{slug}")
    module.__file__ = str(DOCS_DIR / group.document)
    sys.modules[module.__name__] = module
    for line, code in group.blocks:
        # Pad so that tracebacks point at the block's line in the document.
        source = "\n" * line + code
        exec(compile(source, str(DOCS_DIR / group.document), "exec"), module.__dict__)
    return module


def _checks(module: types.ModuleType) -> list[object]:
    """The `demo` / `test_*` coroutine functions the example itself defined."""
    return [
        value
        for name, value in vars(module).items()
        if (name == "demo" or name.startswith("test_"))
        and inspect.iscoroutinefunction(value)
        and getattr(value, "__module__", None) == module.__name__
    ]


@pytest.mark.parametrize("group", _params())
async def test_example(group: Group) -> None:
    module = _run_blocks(group)
    try:
        for check in _checks(module):
            async with asyncio.timeout(TIME_LIMIT):
                await check()  # type: ignore[operator]
    finally:
        sys.modules.pop(module.__name__, None)


def test_every_document_has_examples_and_few_skips() -> None:
    for document in DOCS:
        groups, skipped = collect(document)
        assert groups, f"{document} has no runnable example"
        assert len(skipped) <= 2, f"{document} skips {len(skipped)} blocks; keep skips rare"


def test_consumer_examples_are_exercised() -> None:
    """A group that defines a consumer class also runs a `demo` or `test_*` against it."""
    for document in DOCS:
        for group in collect(document)[0]:
            source = "\n".join(code for _, code in group.blocks)
            if re.search(r"^class \w+\(.*AsyncJsonWebsocketConsumer", source, re.MULTILINE):
                checks = re.findall(r"^async def (demo|test_\w+)\(\)", source, re.MULTILINE)
                assert checks, f"{group.id} defines a consumer but never exercises it"
