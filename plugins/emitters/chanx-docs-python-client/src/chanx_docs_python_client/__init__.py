"""Typed Python clients for chanx APIs, generated from the same model as the AsyncAPI docs.

`chanx client MODULE:APP --lang python -o DIR` writes a package with one client class per
channel; see `docs/clients.md`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chanx_docs_python_client.emitter import PythonClientEmitter

__all__ = ["PythonClientEmitter"]


def __getattr__(name: str) -> Any:
    # Lazy: the entry point imports this package whenever the plugin host is built, and a
    # process that only serves connections must not import the generator or the docs code.
    if name == "PythonClientEmitter":
        from chanx_docs_python_client.emitter import PythonClientEmitter

        return PythonClientEmitter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
