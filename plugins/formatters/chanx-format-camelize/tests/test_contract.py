"""camelize passes the formatter contract every formatter passes."""

from __future__ import annotations

from typing import Any

from chanx_format_camelize import camel

from chanx.testing.formatter_contract import FormatterContract

FREE_FORM = {"extra_data"}  # the contract's free-form dict field: its keys stay as written


def camelized(data: Any) -> Any:
    """What a camelCase client sees: model field names camelized, free-form dicts untouched."""
    if isinstance(data, list):
        return [camelized(item) for item in data]
    if not isinstance(data, dict):
        return data
    return {camel(k): v if k in FREE_FORM else camelized(v) for k, v in data.items()}


class TestCamelizeContract(FormatterContract):
    formatter_name = "camelize"

    def wire_keys(self, data: Any) -> Any:
        return camelized(data)
