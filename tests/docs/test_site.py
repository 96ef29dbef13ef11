"""The documentation site's configuration: every page is in the navigation, every API
reference target exists, and no shipped feature is called future work."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def nav_pages(entries: Any) -> list[str]:
    pages: list[str] = []
    for entry in entries:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        pages += nav_pages(value) if isinstance(value, list) else [value]
    return pages


def test_every_page_is_in_the_navigation_and_every_nav_entry_exists() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    assert config["strict"] is True
    listed = nav_pages(config["nav"])
    on_disk = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))
    assert sorted(listed) == on_disk


def test_every_api_reference_target_is_a_module_of_chanx() -> None:
    targets = re.findall(r"^::: ([\w.]+)$", "".join(
        p.read_text() for p in sorted((DOCS / "reference").glob("*.md"))
    ), flags=re.MULTILINE)  # fmt: skip
    assert "chanx.messages.base" in targets
    for target in targets:
        assert importlib.util.find_spec(target) is not None, target


def test_shipped_features_are_not_called_planned() -> None:
    texts = {p.name: p.read_text() for p in [ROOT / "README.md", *DOCS.rglob("*.md")]}
    pattern = re.compile(r"\b(planned|in progress|on its way|coming soon)\b", re.IGNORECASE)
    assert {
        name: pattern.findall(text) for name, text in texts.items() if pattern.search(text)
    } == {}
