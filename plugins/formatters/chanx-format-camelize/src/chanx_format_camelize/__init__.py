"""camelCase frames for chanx consumers whose message models use snake_case field names.

Install with `pip install --no-index --find-links dist "chanx[camelize]"` and select it on a
consumer with `camelize = True` or `formatters = ("camelize",)`. Only model field names are
renamed; keys inside free-form `dict` payloads are left exactly as written.
"""

from __future__ import annotations

from chanx_format_camelize.formatter import CamelizeFormatter
from chanx_format_camelize.keys import camel

__all__ = ["CamelizeFormatter", "camel"]
