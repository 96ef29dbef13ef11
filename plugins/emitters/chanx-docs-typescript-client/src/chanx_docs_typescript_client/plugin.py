"""chanx plugin entry point: registers the `typescript-client` doc emitter."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chanx.kernel import hookimpl

if TYPE_CHECKING:
    from chanx.kernel.contracts import DocEmitterFactory
    from chanx.kernel.registry import ComponentRegistry


@hookimpl
def chanx_register_doc_emitters(registry: ComponentRegistry[DocEmitterFactory]) -> None:
    """Register `typescript-client` (`chanx_docs_typescript_client.TypeScriptClientEmitter`)."""
    from chanx_docs_typescript_client.emitter import TypeScriptClientEmitter

    registry.add("typescript-client", TypeScriptClientEmitter)
