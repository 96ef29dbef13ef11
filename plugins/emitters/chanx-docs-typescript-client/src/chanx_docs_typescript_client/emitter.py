"""`TypeScriptClientEmitter`: the `typescript-client` doc emitter."""

from __future__ import annotations

from chanx.asyncapi.clients import PackageEmitter
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


class TypeScriptClientEmitter(PackageEmitter):
    """Generates a typed TypeScript client (browser and Node, no dependencies) from the model.

    `files(model, package=...)` returns the runtime (`runtime.ts`, `msgpack.ts`), one module
    per channel and an `index.ts`; `emit(model)` returns them as a ZIP archive.
    """

    name = "typescript-client"
    language = "typescript"
    runtime_package = "chanx_docs_typescript_client.runtime"
    runtime_modules = RUNTIME_MODULES

    def files(self, model: ApiModel, *, package: str | None = None) -> dict[str, str]:
        """The generated modules, under the directory `package`."""
        package, out = self.runtime_files(model, package)
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
