"""Builtin doc emitters: `asyncapi-json`, `asyncapi-yaml` (needs PyYAML) and `html`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chanx.kernel import hookimpl

if TYPE_CHECKING:
    from chanx.kernel.contracts import DocEmitterFactory
    from chanx.kernel.registry import ComponentRegistry


@hookimpl
def chanx_register_doc_emitters(registry: ComponentRegistry[DocEmitterFactory]) -> None:
    """Register the AsyncAPI 3 JSON and YAML emitters and the offline HTML page.

    By import path: the docs code is imported when an emitter is first asked for, never by
    a process that only serves connections.
    """
    registry.add("asyncapi-json", "chanx.asyncapi.asyncapi3:AsyncApiJsonEmitter")
    registry.add("asyncapi-yaml", "chanx.asyncapi.asyncapi3:AsyncApiYamlEmitter")
    registry.add("html", "chanx.asyncapi.html:HtmlEmitter")
