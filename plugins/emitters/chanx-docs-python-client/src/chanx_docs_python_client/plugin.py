"""chanx plugin entry point: registers the `python-client` doc emitter."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chanx.kernel import hookimpl

if TYPE_CHECKING:
    from chanx.kernel.contracts import DocEmitterFactory
    from chanx.kernel.registry import ComponentRegistry


@hookimpl
def chanx_register_doc_emitters(registry: ComponentRegistry[DocEmitterFactory]) -> None:
    """Register `python-client`, by import path: the generator (and chanx's docs code) is
    imported when it is first asked for, never by a process that only serves connections."""
    registry.add("python-client", "chanx_docs_python_client.emitter:PythonClientEmitter")
