"""chanx plugin entry point: registers the `camelize` formatter."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chanx.kernel import hookimpl

if TYPE_CHECKING:
    from chanx.kernel.contracts import FormatterFactory
    from chanx.kernel.registry import ComponentRegistry


@hookimpl
def chanx_register_formatters(registry: ComponentRegistry[FormatterFactory]) -> None:
    """Register `camelize` (`chanx_format_camelize.CamelizeFormatter`)."""
    registry.add("camelize", "chanx_format_camelize.formatter:CamelizeFormatter")
