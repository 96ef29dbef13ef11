"""`PythonClientEmitter`: the `python-client` doc emitter."""

from __future__ import annotations

from importlib.resources import files as resource_files

from chanx.asyncapi.clients import snake_case, zip_files
from chanx.asyncapi.model import ApiModel
from chanx_docs_python_client.channel import (
    GENERATED,
    channel_module,
    client_class_name,
    module_name,
)

__all__ = ["RUNTIME_MODULES", "PythonClientEmitter"]

RUNTIME_MODULES = ("_msgpack.py", "_runtime.py")
"""Runtime modules copied as they are into every generated package."""

_RUNTIME_EXPORTS = ("Backoff", "ConnectionEnded", "ServerError", "TokenHook", "TokenSource")


class PythonClientEmitter:
    """Generates a typed Python client package (pydantic models, websockets) from the model.

    `files(model, package=...)` returns the package's sources; `emit(model)` returns them as
    a ZIP archive. The package needs only `websockets` and `pydantic` at run time.
    """

    name = "python-client"
    language = "python"
    media_type = "application/zip"
    suffix = ".zip"

    def default_package(self, model: ApiModel) -> str:
        """The package name used when none is given: the API title plus `_client`."""
        return snake_case(model.title) + "_client"

    def files(self, model: ApiModel, *, package: str | None = None) -> dict[str, str]:
        """The generated package: `<package>/__init__.py`, one module per channel, runtime."""
        package = package or self.default_package(model)
        if not package.isidentifier():
            raise ValueError(f"package name {package!r} is not a Python identifier")
        runtime = resource_files("chanx_docs_python_client.runtime")
        out = {
            f"{package}/{name}": runtime.joinpath(name).read_text("utf-8")
            for name in RUNTIME_MODULES
        }
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

    def response_headers(self) -> dict[str, str]:
        """Served as a download named after the generator."""
        return {"Content-Disposition": f'attachment; filename="{self.name}.zip"'}

    def emit(self, model: ApiModel) -> bytes:
        """The generated package (default name) as a deterministic ZIP archive."""
        return zip_files(self.files(model))


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
