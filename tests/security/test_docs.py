"""docs/security.md agrees with the code: settings table, close-code table, examples run."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest

from chanx import conf
from chanx.core.close_codes import CloseCode, should_reconnect
from chanx.core.consumer import BaseConsumer
from chanx.core.limits import ConnectionLimits

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGE = (DOCS / "security.md").read_text(encoding="utf-8")
SETTINGS_PAGE = (DOCS / "settings.md").read_text(encoding="utf-8")


def rows(heading: str, page: str = PAGE) -> list[list[str]]:
    section = page.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]
    found = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("|") and not re.fullmatch(r"\|[-| ]+\|", line)
    ]
    return found[1:]


def test_settings_table_lists_every_setting_with_its_default() -> None:
    documented = {
        name.strip("`"): ast.literal_eval(default.strip("`"))
        for name, default, _ in rows("## Every setting", SETTINGS_PAGE)
    }
    assert documented == dataclasses.asdict(conf.DEFAULTS)


def test_every_per_connection_setting_is_a_consumer_attribute_defaulting_to_none() -> None:
    settings = set(dataclasses.asdict(conf.DEFAULTS)) - {"redact_server_logs", "sensitive_params"}
    assert {n for n in vars(ConnectionLimits) if not n.startswith("_")} <= settings
    for name in settings:
        assert getattr(BaseConsumer, name) is None, name


def test_close_code_table_matches_close_codes() -> None:
    documented = {
        (int(code), name.strip("`"), advice) for code, name, _, advice in rows("## Close codes")
    }
    expected = {(int(c), c.name, "yes" if should_reconnect(c) else "no") for c in CloseCode}
    assert documented == expected


EXAMPLES = re.findall(r"<!-- example: (\S+) -->\n```python\n(.*?)```", PAGE + SETTINGS_PAGE, re.S)


@pytest.mark.parametrize(("name", "code"), EXAMPLES, ids=[n for n, _ in EXAMPLES])
def test_python_examples_run(name: str, code: str) -> None:
    try:
        exec(compile(code, f"security.md:{name}", "exec"), {"__name__": f"security_{name}"})
    finally:
        conf.reset()
