"""`PythonClientEmitter`: the `python-client` doc emitter."""

from __future__ import annotations

from chanx.asyncapi.clients import PackageEmitter
from chanx.asyncapi.model import ApiModel
from chanx_docs_python_client.channel import (
    GENERATED,
    channel_module,
    client_class_name,
    module_name,
)

__all__ = ["RUNTIME_MODULES", "PythonClientEmitter"]

RUNTIME_MODULES = ("_errors.py", "_handshake.py", "_inbox.py", "_msgpack.py", "_runtime.py")
"""Runtime modules copied as they are into every generated package."""

_RUNTIME_EXPORTS = ("Backoff", "ConnectionEnded", "ServerError", "TokenHook", "TokenSource")


class PythonClientEmitter(PackageEmitter):
    """Generates a typed Python client package (pydantic models, websockets) from the model.

    `files(model, package=...)` returns the package's sources; `emit(model)` returns them as
    a ZIP archive. The package needs only `websockets` and `pydantic` at run time.
    """

    name = "python-client"
    language = "python"
    runtime_package = "chanx_docs_python_client.runtime"
    runtime_modules = RUNTIME_MODULES

    def files(self, model: ApiModel, *, package: str | None = None) -> dict[str, str]:
        """The generated package: `<package>/__init__.py`, one module per channel, runtime."""
        package, out = self.runtime_files(model, package)
        out[f"{package}/py.typed"] = ""
        exports: list[tuple[str, str]] = [("_runtime", name) for name in _RUNTIME_EXPORTS]
        for channel in model.channels:
            if channel.topic_of is not None:  # topics are not generated yet (docs/clients.md)
                continue
            module = module_name(channel)
            out[f"{package}/{module}.py"] = channel_module(model, channel)
            exports.append((module, client_class_name(channel)))
        out[f"{package}/__init__.py"] = _init_module(model, exports)
        return dict(sorted(out.items()))


def _init_module(model: ApiModel, exports: list[tuple[str, str]]) -> str:
    lines = [f'"""Typed client of {model.title} {model.version}.', "", GENERATED, '"""', ""]
    lines += ["from __future__ import annotations", ""]
    modules: dict[str, list[str]] = {}
    for module, name in exports:
        modules.setdefault(module, []).append(name)
    for module in sorted(modules, key=lambda m: (m != "_runtime", m)):
        lines.append(f"from .{module} import {', '.join(sorted(modules[module]))}")
    lines += ["", "__all__ = ["]
    lines += [f'    "{name}",' for _, name in sorted(exports, key=lambda e: e[1])]
    lines += ["]"]
    return "\n".join(lines) + "\n"
