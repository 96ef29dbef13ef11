"""AsyncAPI 3 documentation of chanx consumers: a neutral model, emitters, routes and CLI.

```python
from chanx.asyncapi import build_api_model, render

model = build_api_model(app, title="Chat API", version="1.0.0")
print(render(model, "asyncapi-json"))
```

Emitters are plugins: the builtin ones are `asyncapi-json`, `asyncapi-yaml` (needs PyYAML)
and `html`; others come from the `chanx_register_doc_emitters` hook. Serve the documents
from Starlette/FastAPI with `chanx.asyncapi.starlette.mount_asyncapi(app)`, or write them
with `chanx asyncapi MODULE:APP`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from chanx.asyncapi.build import build_api_model
from chanx.asyncapi.discover import RoutedConsumer, routed_consumers
from chanx.asyncapi.model import ApiModel, ChannelDoc, MessageDoc, OperationDoc, ParameterDoc

if TYPE_CHECKING:
    from collections.abc import Mapping

    from chanx.kernel.contracts import DocEmitter

__all__ = [
    "ApiModel",
    "ChannelDoc",
    "DocumentCache",
    "MessageDoc",
    "OperationDoc",
    "ParameterDoc",
    "RoutedConsumer",
    "build_api_model",
    "get_emitter",
    "render",
    "routed_consumers",
]


def get_emitter(name: str) -> DocEmitter:
    """Build the doc emitter registered under `name` (builtin or from a plugin).

    Raises:
        ComponentNotFoundError: no plugin provides `name`; the message lists what does.
    """
    from chanx.kernel import get_plugin_host

    factory = get_plugin_host().doc_emitters.get(name, where="doc emitter")
    return factory()


def render(model: ApiModel, emitter: str = "asyncapi-json") -> str | bytes:
    """Render `model` with the doc emitter registered under `emitter`.

    Args:
        model: The model from `build_api_model`.
        emitter: A registered doc emitter name (`chanx plugins` lists them).
    """
    return get_emitter(emitter).emit(model)


class DocumentCache:
    """Served documents, each emitted once from one model built on first use.

    Args:
        build: Builds the model (called on the first request, again after `clear`).
    """

    def __init__(self, build: Callable[[], ApiModel]) -> None:
        self._build = build
        self._model: ApiModel | None = None
        self._documents: dict[str, tuple[bytes, dict[str, str], str]] = {}

    def get(self, emitter_name: str) -> tuple[bytes, dict[str, str], str]:
        """`(body, response headers, media type)` of the document emitted by `emitter_name`."""
        if emitter_name not in self._documents:
            if self._model is None:
                self._model = self._build()
            emitter = get_emitter(emitter_name)
            body = emitter.emit(self._model)
            headers_of = getattr(emitter, "response_headers", None)
            headers: dict[str, str] = (
                dict(cast("Mapping[str, str]", headers_of())) if callable(headers_of) else {}
            )
            data = body.encode("utf-8") if isinstance(body, str) else body
            self._documents[emitter_name] = (data, headers, emitter.media_type)
        return self._documents[emitter_name]

    def clear(self) -> None:
        """Forget the model and the documents."""
        self._model = None
        self._documents.clear()
