"""`TypeScriptClientEmitter`: the `typescript-client` doc emitter."""

from __future__ import annotations

from importlib.resources import files as resource_files

from chanx.asyncapi.clients import snake_case, zip_files
from chanx.asyncapi.model import ApiModel
from chanx_docs_typescript_client.channel import (
    GENERATED,
    channel_module,
    client_class_name,
    module_name,
)

__all__ = ["RUNTIME_MODULES", "TypeScriptClientEmitter"]

RUNTIME_MODULES = ("msgpack.ts", "runtime.ts")
"""Runtime modules copied as they are into every generated client."""


class TypeScriptClientEmitter:
    """Generates a typed TypeScript client (browser and Node, no dependencies) from the model.

    `files(model, package=...)` returns the runtime (`runtime.ts`, `msgpack.ts`), one module
    per channel and an `index.ts`; `emit(model)` returns them as a ZIP archive.
    """

    name = "typescript-client"
    language = "typescript"
    media_type = "application/zip"
    suffix = ".zip"

    def default_package(self, model: ApiModel) -> str:
        """The directory name used when none is given: the API title plus `_client`."""
        return snake_case(model.title) + "_client"

    def files(self, model: ApiModel, *, package: str | None = None) -> dict[str, str]:
        """The generated modules, under the directory `package`."""
        package = package or self.default_package(model)
        if not package.isidentifier():
            raise ValueError(f"package name {package!r} is not an identifier")
        runtime = resource_files("chanx_docs_typescript_client.runtime")
        out = {
            f"{package}/{name}": runtime.joinpath(name).read_text("utf-8")
            for name in RUNTIME_MODULES
        }
        index = [f"// Typed client of {model.title} {model.version}.", GENERATED, ""]
        index.append('export * from "./runtime.js";')
        for channel in model.channels:
            if channel.topic_of is not None:  # topics are not generated yet (docs/clients.md)
                continue
            module = module_name(channel)
            out[f"{package}/{module}.ts"] = channel_module(model, channel)
            index.append(f'export {{ {client_class_name(channel)} }} from "./{module}.js";')
        out[f"{package}/index.ts"] = "\n".join(index) + "\n"
        return dict(sorted(out.items()))

    def response_headers(self) -> dict[str, str]:
        """Served as a download named after the generator."""
        return {"Content-Disposition": f'attachment; filename="{self.name}.zip"'}

    def emit(self, model: ApiModel) -> bytes:
        """The generated modules (default directory name) as a deterministic ZIP archive."""
        return zip_files(self.files(model))
