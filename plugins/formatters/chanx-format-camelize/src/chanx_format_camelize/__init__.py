"""camelCase frames for chanx consumers whose message models use snake_case field names.

Install with `pip install --no-index --find-links dist "chanx[camelize]"` and select it on a
consumer with `camelize = True` or `formatters = ("camelize",)`. Only model field names are
renamed; keys inside free-form `dict` payloads are left exactly as written.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chanx_format_camelize.formatter import CamelizeFormatter
    from chanx_format_camelize.keys import camel

__all__ = ["CamelizeFormatter", "camel"]

_HOMES = {
    "CamelizeFormatter": "chanx_format_camelize.formatter",
    "camel": "chanx_format_camelize.keys",
}


def __getattr__(name: str) -> Any:
    """Import on first use: only a process serving a camelized consumer imports the formatter."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'chanx_format_camelize' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
