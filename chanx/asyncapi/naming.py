"""How the AsyncAPI model names things: keys, titles, operation names, media types.

Every name is derived deterministically from the consumer, its routes and what is already
taken, so two runs over the same application produce the same document.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping
from typing import Any

from chanx.asyncapi.model import MessageDoc
from chanx.core.decorators import HANDLER_ATTR

__all__ = [
    "UNSAFE_KEY",
    "content_type_of",
    "distinct_title",
    "first_line",
    "operation_name",
    "parameter_description",
    "unique_key",
]

UNSAFE_KEY = re.compile(r"[^A-Za-z0-9_.\-]")
"""Characters that may not appear in a document key; each becomes ``_``."""


def unique_key(key: str, taken: set[str], alternative: str | None = None) -> str:
    candidates = [key] + ([alternative] if alternative else [])
    chosen = next((c for c in candidates if c not in taken), None)
    number = 2
    while chosen is None:
        chosen = f"{key}_{number}" if f"{key}_{number}" not in taken else None
        number += 1
    taken.add(chosen)
    return chosen


def distinct_title(title: str, wire_id: str, address: str, titles: set[str]) -> str:
    """`title`, or `title (camelize)` / `title (/ws/v2)` when a channel already has it."""
    candidates = [title]
    if wire_id != "json":
        candidates.append(f"{title} ({wire_id.removeprefix('json+')})")
    candidates.append(f"{title} ({address})")
    chosen = next((c for c in candidates if c not in titles), None)
    number = 2
    while chosen is None:
        chosen = f"{title} ({number})" if f"{title} ({number})" not in titles else None
        number += 1
    titles.add(chosen)
    return chosen


def parameter_description(name: str, converter: str) -> str:
    kind = {"int": "an integer", "float": "a number", "uuid": "a UUID", "path": "a path"}
    return f"Path parameter `{name}`: {kind.get(converter, 'a string')}."


def content_type_of(codec: Any) -> str:
    """The media type of a codec's frames: its wire format's, else JSON."""
    for formatter in codec.formatters:
        wire = getattr(formatter, "wire", None)
        if wire is not None:
            fallback = "application/octet-stream" if wire.binary else "text/plain"
            return str(getattr(wire, "content_type", fallback))
    return "application/json"


def operation_name(
    route: Any, action: str, sent: tuple[str, ...], messages: Mapping[str, MessageDoc]
) -> str:
    """The handler's `action=`; a `send` without one is named after the message it sends."""
    spec = getattr(route.func, HANDLER_ATTR, None)
    if action == "send" and getattr(spec, "action", None) is None and len(sent) == 1:
        return messages[sent[0]].name or route.action
    return str(route.action)


def first_line(doc: str | None) -> str | None:
    return inspect.cleandoc(doc).splitlines()[0] if doc else None
