"""Typed Python clients for chanx APIs, generated from the same model as the AsyncAPI docs.

`chanx client MODULE:APP --lang python -o DIR` writes a package with one client class per
channel; see `docs/clients.md`.
"""

from __future__ import annotations

from chanx_docs_python_client.emitter import PythonClientEmitter

__all__ = ["PythonClientEmitter"]
