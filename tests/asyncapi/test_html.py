"""The HTML page: self-contained, escaped, and allowed by its own strict policy."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from typing import Any

from fastapi import FastAPI
from starlette.applications import Starlette

from chanx.asyncapi import build_api_model, render
from chanx.asyncapi.html import HtmlEmitter, content_security_policy


class Collector(HTMLParser):
    """Collects tags, attributes that load things, and the text of each script."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._in = tag
            if tag == "script":
                self.scripts.append((dict(attrs), ""))
            else:
                self.styles.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        elif self._in == "style":
            self.styles[-1] += data


def page(app: Any) -> tuple[str, Collector]:
    html = str(render(build_api_model(app, title="Chat <API>"), "html"))
    collector = Collector()
    collector.feed(html)
    return html, collector


def digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_the_page_loads_nothing_from_anywhere(starlette_app: Starlette) -> None:
    html, collector = page(starlette_app)
    for tag, attrs in collector.tags:
        for name in ("src", "href", "action", "srcset", "poster", "data"):
            value = attrs.get(name)
            if tag == "a" and "download" in attrs and name == "href":
                # A generated client offered for download: a same-origin link, loaded on click.
                assert re.fullmatch(r"asyncapi\.[a-z0-9-]+\.zip", str(value)), value
            elif value is not None:
                assert value.startswith(("#", "data:")), (tag, name, value)
    assert "http://" not in html
    assert "https://" not in html
    assert "@import" not in html
    assert "url(" not in "".join(collector.styles)


def test_its_inline_script_and_style_are_allowed_by_hash_and_nothing_else(
    starlette_app: Starlette,
) -> None:
    html, collector = page(starlette_app)
    executable = [text for attrs, text in collector.scripts if attrs.get("type") is None]
    [script] = executable
    [style] = collector.styles
    policy = content_security_policy()
    assert f"script-src {digest(script)};" in policy
    assert f"style-src {digest(style)};" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert policy.startswith("default-src 'none';")
    metas = [a for t, a in collector.tags if t == "meta" and a.get("http-equiv")]
    assert [m["content"] for m in metas] == [policy]
    header = HtmlEmitter().response_headers()["Content-Security-Policy"]
    assert "connect-src 'self';" in header
    assert " style=" not in html  # inline style attributes would be blocked


def test_html_and_script_end_tags_in_docstrings_are_inert(fastapi_app: FastAPI) -> None:
    html, collector = page(fastapi_app)
    # Adopt's docstring: `</script><script>alert(1)</script>` <b>not bold</b> & more.
    assert "alert(1)" in html
    assert "<script>alert(1)" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>" not in html
    assert [t for t, _ in collector.tags].count("script") == 2
    data_attrs, data = next((a, t) for a, t in collector.scripts if a.get("id") == "chanx-api")
    assert data_attrs["type"] == "application/json"
    assert "<" not in data
    assert json.loads(data)["title"] == "Chat <API>"
    assert "<title>Chat &lt;API&gt; 1.0.0</title>" in html


def test_the_page_lists_channels_operations_and_message_schemas(starlette_app: Starlette) -> None:
    html, _ = page(starlette_app)
    assert 'id="channel-chat"' in html
    assert '<code class="address">/ws/chat/{room}</code>' in html
    for op in ("ping", "chat", "log", "change", "job_result", "system_notification"):
        assert f'id="operation-chat.{op}"' in html
    assert "Reply: no reply" in html  # log
    assert "forwarded unchanged" in html  # passthrough
    assert 'id="message-Chat"' in html
    assert '<details class="node"' in html  # expandable schema trees
    assert "<summary>Example</summary><pre>" in html
    assert "&quot;message_text&quot;: &quot;string&quot;" in html
    assert 'id="schema-ChatBody"' in html
    assert "SystemNotifyEvent" not in html


def test_the_console_data_lists_sendable_messages_with_examples(starlette_app: Starlette) -> None:
    _, collector = page(starlette_app)
    data = json.loads(next(t for a, t in collector.scripts if a.get("id") == "chanx-api"))
    chat = next(c for c in data["channels"] if c["key"] == "chat")
    assert chat["address"] == "/ws/chat/{room}"
    assert chat["parameters"] == ["room"]
    ping = next(op for op in chat["operations"] if op["name"] == "ping")
    assert ping["messages"] == [
        {"key": "PingMessage", "name": "ping", "example": {"action": "ping", "payload": None}}
    ]
    assert ping["replies"] == ["pong"]


def test_recursive_schemas_render_without_looping(plugin_host: Any) -> None:
    from typing import Literal

    from pydantic import BaseModel
    from starlette.routing import WebSocketRoute

    from chanx.core.decorators import ws_handler
    from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
    from chanx.messages.base import BaseMessage

    class Tree(BaseModel):
        label: str
        children: list[Tree] = []

    class Plant(BaseMessage):
        action: Literal["plant"] = "plant"
        payload: Tree

    class Garden(AsyncJsonWebsocketConsumer):
        @ws_handler
        async def handle_plant(self, message: Plant) -> None:
            pass

    app = Starlette(routes=[WebSocketRoute("/g", Garden.as_asgi())])
    html = str(render(build_api_model(app), "html"))
    assert "(recursive, see Tree)" in html
    assert re.search(r'id="schema-Tree"', html)
