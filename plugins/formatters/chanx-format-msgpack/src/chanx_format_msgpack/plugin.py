"""chanx plugin entry point: registers the `msgpack` formatter."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chanx.kernel import hookimpl

if TYPE_CHECKING:
    from chanx.kernel.contracts import FormatterFactory
    from chanx.kernel.registry import ComponentRegistry


@hookimpl
def chanx_register_formatters(registry: ComponentRegistry[FormatterFactory]) -> None:
    """Register `msgpack` (`chanx_format_msgpack.MsgpackFormatter`); msgpack loads on use."""
    registry.add("msgpack", "chanx_format_msgpack.formatter:MsgpackFormatter")
