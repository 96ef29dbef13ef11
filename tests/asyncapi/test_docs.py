"""The examples of docs/asyncapi.md run and do what the page says."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx

from chanx.asyncapi import build_api_model
from chanx.demo.app import app as demo_app
from chanx.kernel import PluginHost

PAGE = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.md"
BLOCK = re.compile(r"<!-- example: (\w+) -->\n```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def example(name: str) -> dict[str, Any]:
    blocks = dict(BLOCK.findall(PAGE.read_text()))
    namespace: dict[str, Any] = {"__name__": f"asyncapi_docs_{name}"}
    exec(compile(blocks[name], f"{PAGE}:{name}", "exec"), namespace)
    return namespace


async def test_the_fastapi_example_serves_the_docs_in_debug() -> None:
    app = example("fastapi")["app"]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://docs.test") as client:
        doc = (await client.get("/asyncapi.json")).json()
        page = await client.get("/asyncapi")
    assert doc["info"] == {"title": "Chat API", "version": "1.0.0"}
    assert page.status_code == 200


def test_the_markdown_emitter_plugin_example(plugin_host: PluginHost) -> None:
    from chanx.asyncapi import render

    plugin_host.register(_module(example("markdown")), name="docs-markdown")
    text = render(build_api_model(demo_app), "markdown")
    assert isinstance(text, str)
    assert text.startswith("# chanx API\n## chat `/ws/chat/{room}`\n- receive `chat`\n")


def _module(namespace: dict[str, Any]) -> Any:
    import types

    module = types.ModuleType("chanx_docs_markdown")
    module.__dict__.update(namespace)
    return module
