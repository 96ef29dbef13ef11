"""The `html` emitter: one self-contained documentation page with a live console.

The page is chanx's own HTML, CSS and JavaScript (the CSS and JavaScript ship as package data
next to this module); it loads nothing from anywhere, so it works offline, behind a firewall
and under a strict Content-Security-Policy: its inline style and script are allowed by hash,
in a `<meta>` policy and in the `Content-Security-Policy` header the routes send. Channels,
operations and messages are rendered on the server, schemas as expandable `<details>` trees,
every text escaped (descriptions are rendered as Markdown by `chanx.asyncapi.markdown`,
which escapes first); the console reads the API from a JSON data block whose `<`, `>` and `&`
are escaped, so no docstring can close the script element.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from html import escape
from importlib.resources import files
from typing import Any

from chanx.asyncapi.markdown import render_markdown
from chanx.asyncapi.model import SCHEMA_REF_PREFIX, ApiModel, ChannelDoc, OperationDoc
from chanx.asyncapi.schemas import example_of

__all__ = ["HtmlEmitter", "content_security_policy"]

_MAX_DEPTH = 8


@cache
def _asset(name: str) -> str:
    return files("chanx.asyncapi").joinpath("static").joinpath(name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def content_security_policy(*, connect: str = "'self' ws: wss:") -> str:
    """The page's Content-Security-Policy: its own inline style and script, nothing fetched.

    Args:
        connect: The `connect-src` sources (where the console may open WebSockets). The
            page's `<meta>` policy allows any `ws:`/`wss:` URL so a saved file can reach a
            server; the routes send `'self'` only.
    """
    return (
        f"default-src 'none'; script-src {_sha256(_asset('page.js'))}; "
        f"style-src {_sha256(_asset('page.css'))}; connect-src {connect}; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )


class HtmlEmitter:
    """The `html` emitter (see the module docstring)."""

    name = "html"
    media_type = "text/html; charset=utf-8"
    suffix = ".html"

    def response_headers(self) -> dict[str, str]:
        """Headers to serve the page with: a policy allowing same-origin WebSockets only."""
        return {"Content-Security-Policy": content_security_policy(connect="'self'")}

    def emit(self, model: ApiModel) -> str:
        """Render `model` as one HTML page."""
        title = escape(model.title)
        parts = [
            '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
            '<meta http-equiv="Content-Security-Policy" content="',
            escape(content_security_policy()),
            '">\n<link rel="icon" href="data:,">\n',
            f"<title>{title} {escape(model.version)}</title>\n",
            f"<style>{_asset('page.css')}</style>\n</head>\n<body>\n<header>\n",
            f'<h1>{title} <span class="version">{escape(model.version)}</span></h1>\n',
            _text(model.description, "description"),
            "</header>\n<nav>\n<h2>Channels</h2>\n<ul>\n",
            *(
                f'<li><a href="#channel-{escape(c.key)}">{escape(c.title)}</a> '
                f"<code>{escape(c.address)}</code></li>\n"
                for c in model.channels
            ),
            '</ul>\n<p><a href="#console">Live console</a> · <a href="#messages">Messages</a>'
            ' · <a href="#schemas">Schemas</a></p>\n',
            _downloads(),
            "</nav>\n<main>\n",
            _asset("console.html"),
            *(_channel(c, model) for c in model.channels),
            '<section id="messages">\n<h2>Messages</h2>\n',
            *(_message(key, model) for key in model.messages),
            '</section>\n<section id="schemas">\n<h2>Schemas</h2>\n',
            *(
                f'<div class="schema" id="schema-{escape(key)}">'
                f"{_node(key, schema, model, False, (key,), 0, True)}</div>\n"
                for key, schema in model.schemas.items()
            ),
            "</section>\n</main>\n",
            '<script type="application/json" id="chanx-api">',
            _script_json(_console_data(model)),
            "</script>\n",
            f"<script>{_asset('page.js')}</script>\n</body>\n</html>\n",
        ]
        return "".join(parts)


def _downloads() -> str:
    """Links to the generated clients the docs routes serve (one per installed generator)."""
    from chanx.asyncapi.clients import client_emitters, download_path

    labels = {"python": "Python", "typescript": "TypeScript"}
    links = [
        f'<a href="{escape(download_path(name))}" download>'
        f"{escape(labels.get(language, language.capitalize()))}</a>"
        for name, language in client_emitters().items()
    ]
    if not links:
        return ""
    return f'<p class="clients">Generated clients: {" · ".join(links)}</p>\n'


def _text(text: str | None, css_class: str) -> str:
    """Descriptions are Markdown, rendered safely (raw HTML is shown as text)."""
    return render_markdown(text, css_class)


def _tags(tags: tuple[str, ...]) -> str:
    if not tags:
        return ""
    chips = "".join(f'<span class="tag">{escape(tag)}</span>' for tag in tags)
    return f'<p class="tags">{chips}</p>\n'


def _channel(channel: ChannelDoc, model: ApiModel) -> str:
    key = escape(channel.key)
    parts = [
        f'<section class="channel" id="channel-{key}">\n',
        f"<h2>{escape(channel.title)} "
        f'<code class="address">{escape(channel.address)}</code></h2>\n',
        _tags(channel.tags),
        _text(channel.description, "description"),
    ]
    if channel.parameters:
        parts.append('<table class="parameters">\n<tr><th>Parameter</th><th>Meaning</th></tr>\n')
        parts += [
            f"<tr><td><code>{escape(p.name)}</code></td><td>{escape(p.description)}</td></tr>\n"
            for p in channel.parameters
        ]
        parts.append("</table>\n")
    parts.append(f'<p class="consumer">Consumer: <code>{escape(channel.consumer)}</code></p>\n')
    parts += [_operation(op, model) for op in channel.operations]
    parts.append("</section>\n")
    return "".join(parts)


def _message_links(keys: tuple[str, ...], model: ApiModel) -> str:
    links = []
    for key in keys:
        message = model.messages[key]
        label = f"{message.title} ({message.name})" if message.name else message.title
        links.append(f'<a href="#message-{escape(key)}">{escape(label)}</a>')
    return ", ".join(links)


def _operation(op: OperationDoc, model: ApiModel) -> str:
    parts = [
        f'<article class="operation {op.action}" id="operation-{escape(op.key)}">\n',
        f'<h3><span class="badge {op.action}">{op.action}</span> {escape(op.name)}',
        f' <code class="method">{escape(op.method)}()</code></h3>\n',
        _text(op.summary, "summary"),
        _text(op.description, "description"),
        _tags(op.tags),
    ]
    if op.action == "receive":
        parts.append(f"<p>Client sends: {_message_links(op.messages, model)}</p>\n")
        reply = _message_links(op.replies, model) if op.replies else "no reply"
        parts.append(f'<p class="reply">Reply: {reply}</p>\n')
    else:
        what = "forwarded unchanged" if op.passthrough else "pushed"
        parts.append(f"<p>Server sends ({what}): {_message_links(op.messages, model)}</p>\n")
    parts.append("</article>\n")
    return "".join(parts)


def _message(key: str, model: ApiModel) -> str:
    message = model.messages[key]
    name = f" <code>{escape(message.name)}</code>" if message.name else ""
    schema = model.schemas.get(message.schema, {})
    example = json.dumps(message.example, indent=2, ensure_ascii=False)
    return (
        f'<article class="message" id="message-{escape(key)}">\n'
        f"<h3>{escape(message.title)}{name}</h3>\n{_text(message.description, 'description')}"
        f'<p class="content-type">Content type: <code>{escape(message.content_type)}</code></p>\n'
        f'<details class="payload" open><summary>Payload <a class="type" '
        f'href="#schema-{escape(message.schema)}">{escape(message.schema)}</a></summary>\n'
        f"{_children(dict(schema), model, (message.schema,), 0)}</details>\n"
        f'<details class="example"><summary>Example</summary><pre>{escape(example)}</pre>'
        "</details>\n</article>\n"
    )


def _ref_key(schema: dict[str, Any] | Any) -> str | None:
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    return ref.removeprefix(SCHEMA_REF_PREFIX) if isinstance(ref, str) else None


def _type_label(schema: Any) -> str:
    if not isinstance(schema, dict):
        return "any"
    ref = _ref_key(schema)
    if ref is not None:
        return ref
    if "const" in schema:
        return json.dumps(schema["const"])
    if isinstance(schema.get("enum"), list):
        return " | ".join(json.dumps(v) for v in schema["enum"])
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            return " | ".join(_type_label(option) for option in schema[key])
    kind = schema.get("type")
    if kind == "array":
        return f"array of {_type_label(schema.get('items', {}))}"
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    return str(kind) if kind else "any"


def _constraints(schema: dict[str, Any]) -> str:
    names = ("format", "minLength", "maxLength", "minimum", "maximum", "pattern", "default")
    found = [f"{n}: {json.dumps(schema[n])}" for n in names if n in schema and n != "const"]
    return f' <span class="constraints">{escape(", ".join(found))}</span>' if found else ""


def _node(
    name: str,
    schema: Any,
    model: ApiModel,
    required: bool,
    seen: tuple[str, ...],
    depth: int,
    is_open: bool = False,
) -> str:
    if not isinstance(schema, dict):
        schema = {}
    ref = _ref_key(schema)
    target = schema
    if ref is not None:
        target = dict(model.schemas.get(ref, {}))
    label = (
        f'<span class="name">{escape(name)}</span>'
        + ('<span class="required" title="required">*</span>' if required else "")
        + f' <span class="type">{escape(_type_label(schema))}</span>'
        + _constraints(schema)
    )
    description = schema.get("description") or (target.get("description") if ref else None)
    desc = f'<p class="schema-description">{escape(str(description))}</p>' if description else ""
    if ref is not None and ref in seen and depth > 0:
        link = f' <a href="#schema-{escape(ref)}">(recursive, see {escape(ref)})</a>'
        return f'<div class="leaf">{label}{link}{desc}</div>'
    children = _children(target, model, seen + ((ref,) if ref else ()), depth)
    if not children:
        return f'<div class="leaf">{label}{desc}</div>'
    opened = " open" if is_open or depth < 2 else ""
    return f'<details class="node"{opened}><summary>{label}</summary>{desc}{children}</details>'


def _children(schema: dict[str, Any], model: ApiModel, seen: tuple[str, ...], depth: int) -> str:
    if depth >= _MAX_DEPTH:
        return ""
    required = set(schema.get("required", ()))
    parts = [
        _node(prop, sub, model, prop in required, seen, depth + 1)
        for prop, sub in (schema.get("properties") or {}).items()
    ]
    items = schema.get("items")
    if isinstance(items, dict) and (_ref_key(items) or items.get("properties")):
        parts.append(_node("[item]", items, model, False, seen, depth + 1))
    for key in ("anyOf", "oneOf"):
        for index, option in enumerate(schema.get(key) or ()):
            if isinstance(option, dict) and (_ref_key(option) or option.get("properties")):
                parts.append(_node(f"option {index + 1}", option, model, False, seen, depth + 1))
    return f'<div class="children">{"".join(parts)}</div>' if parts else ""


def _console_data(model: ApiModel) -> dict[str, Any]:
    def message(key: str) -> dict[str, Any]:
        doc = model.messages[key]
        example = doc.example
        if example is None:
            example = example_of(model.schemas.get(doc.schema, {}), model.schemas)
        return {"key": key, "name": doc.name or doc.title, "example": example}

    return {
        "title": model.title,
        "channels": [
            {
                "key": c.key,
                "title": c.title,
                "address": c.address,
                "parameters": [p.name for p in c.parameters],
                "operations": [
                    {
                        "key": op.key,
                        "name": op.name,
                        "action": op.action,
                        "messages": [message(k) for k in op.messages],
                        "replies": [model.messages[k].name or k for k in op.replies],
                    }
                    for op in c.operations
                ],
            }
            for c in model.channels
        ],
    }


def _script_json(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=True, sort_keys=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
