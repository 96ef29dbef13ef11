"""Typed TypeScript clients for chanx APIs, generated from the same model as the AsyncAPI docs.

`chanx client MODULE:APP --lang typescript -o DIR` writes one module per channel plus a
dependency-free runtime that runs in browsers and in Node; see `docs/clients.md`.
"""

from __future__ import annotations

from chanx_docs_typescript_client.emitter import TypeScriptClientEmitter

__all__ = ["TypeScriptClientEmitter"]
