"""Builtin doc emitters: `asyncapi-json`, `asyncapi-yaml` (needs PyYAML) and `html`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chanx.kernel import hookimpl

if TYPE_CHECKING:
    from chanx.kernel.contracts import DocEmitterFactory
    from chanx.kernel.registry import ComponentRegistry


@hookimpl
def chanx_register_doc_emitters(registry: ComponentRegistry[DocEmitterFactory]) -> None:
    """Register the AsyncAPI 3 JSON and YAML emitters and the offline HTML page."""
    from chanx.asyncapi.asyncapi3 import AsyncApiJsonEmitter, AsyncApiYamlEmitter
    from chanx.asyncapi.html import HtmlEmitter

    registry.add("asyncapi-json", AsyncApiJsonEmitter)
    registry.add("asyncapi-yaml", AsyncApiYamlEmitter)
    registry.add("html", HtmlEmitter)
