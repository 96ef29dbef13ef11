"""Typed TypeScript clients for chanx APIs, generated from the same model as the AsyncAPI docs.

`chanx client MODULE:APP --lang typescript -o DIR` writes one module per channel plus a
dependency-free runtime that runs in browsers and in Node; see `docs/clients.md`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chanx_docs_typescript_client.emitter import TypeScriptClientEmitter

__all__ = ["TypeScriptClientEmitter"]


def __getattr__(name: str) -> Any:
    # Lazy: the entry point imports this package whenever the plugin host is built, and a
    # process that only serves connections must not import the generator or the docs code.
    if name == "TypeScriptClientEmitter":
        from chanx_docs_typescript_client.emitter import TypeScriptClientEmitter

        return TypeScriptClientEmitter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
