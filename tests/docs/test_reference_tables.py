"""The guide's reference tables agree with the code they describe."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from chanx.core.close_codes import CloseCode, should_reconnect
from chanx.core.consumer import BaseConsumer
from chanx.core.plan import PLAN_ATTRIBUTES
from chanx.messages.outgoing import ErrorPayload

DOCS_DIR = Path(__file__).resolve().parents[2] / "docs"


def table_rows(document: str, heading: str) -> list[list[str]]:
    """Cells of the table rows in the section of `document` that starts at `heading`."""
    text = (DOCS_DIR / document).read_text(encoding="utf-8")
    section = text.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if line.startswith("|") and not re.fullmatch(r"\|[-| ]+\|", line):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows[1:]  # without the header row


def unquote(cell: str) -> str:
    return cell.strip("`")


def test_configuration_table_lists_every_attribute_with_its_default() -> None:
    attributes = {
        name: value
        for name, value in vars(BaseConsumer).items()
        if not name.startswith("_")
        and not callable(value)
        and not isinstance(value, property | classmethod | staticmethod)
    }
    rows = table_rows("consumers-and-decorators.md", "## Configuration")
    documented = {unquote(name): ast.literal_eval(unquote(default)) for name, default, _ in rows}
    assert documented == attributes
    plan_only = {unquote(name) for name, _, meaning in rows if meaning.startswith("*plan*")}
    assert plan_only == PLAN_ATTRIBUTES


def test_close_code_table_matches_close_codes() -> None:
    rows = table_rows("authentication.md", "## Close codes")
    documented = {(int(code), unquote(name), advice) for code, name, _, advice in rows}
    expected = {
        (int(code), code.name, "yes" if should_reconnect(code) else "no") for code in CloseCode
    }
    assert documented == expected


def test_error_code_table_matches_the_documented_codes() -> None:
    rows = table_rows("consumers-and-decorators.md", "## Error frames")
    documented = [unquote(code) for code, _ in rows]
    listed = re.findall(r"`(\w+)`", ErrorPayload.__doc__ or "")
    assert documented == [code for code in listed if code != "code"]
