"""A small, safe Markdown renderer for the descriptions on the AsyncAPI page.

Docstrings and `description=` texts are written in Markdown by habit. This renders the part of
it descriptions use (paragraphs, bullet and numbered lists, fenced code blocks, inline code,
bold, italics and links) and nothing else. Safety comes first: the whole text is HTML-escaped
before any markup is added, so raw HTML in a description is shown as text, never run, and a
link is only made for `http:`, `https:` and `mailto:` URLs and for page anchors (`#...`) and
paths (`/...`); any other link (`javascript:`, `data:`) stays plain text.
"""

from __future__ import annotations

import re
from html import escape

__all__ = ["render_markdown"]

_FENCE = re.compile(r"^```[^\n`]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_EM = re.compile(r"(?<![\w*])[*_](?=\S)(.+?)(?<=\S)[*_](?![\w*])")
_BULLET = re.compile(r"^\s*[-*+]\s+")
_NUMBER = re.compile(r"^\s*\d+[.)]\s+")
_SAFE_URL = re.compile(r"^(https?://|mailto:|#|/)", re.IGNORECASE)


def render_markdown(text: str | None, css_class: str = "description") -> str:
    """HTML for `text`: paragraphs with `css_class`, lists, code blocks; raw HTML escaped.

    Args:
        text: Markdown text (a docstring or description); None or empty gives "".
        css_class: Class of each rendered block.

    Returns:
        HTML safe to insert into a page.
    """
    if not text or not text.strip():
        return ""
    out: list[str] = []
    position = 0
    for fence in _FENCE.finditer(text):
        out += _blocks(text[position : fence.start()], css_class)
        code = escape(fence[1].rstrip("\n"))
        out.append(f'<pre class="{css_class}"><code>{code}</code></pre>\n')
        position = fence.end()
    out += _blocks(text[position:], css_class)
    return "".join(out)


def _blocks(text: str, css_class: str) -> list[str]:
    html: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip("\n")):
        lines = [line for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        for kind, pattern in (("ul", _BULLET), ("ol", _NUMBER)):
            if pattern.match(lines[0]):
                items = _list_items(lines, pattern)
                body = "".join(f"<li>{_inline(item)}</li>" for item in items)
                html.append(f'<{kind} class="{css_class}">{body}</{kind}>\n')
                break
        else:
            paragraph = " ".join(line.strip() for line in lines).lstrip("#").strip()
            html.append(f'<p class="{css_class}">{_inline(paragraph)}</p>\n')
    return html


def _list_items(lines: list[str], marker: re.Pattern[str]) -> list[str]:
    """List items; a line without a marker continues the item before it."""
    items: list[str] = []
    for line in lines:
        if marker.match(line) or not items:
            items.append(marker.sub("", line, count=1).strip())
        else:
            items[-1] += " " + line.strip()
    return items


def _inline(text: str) -> str:
    """Escape `text`, then add code spans, links, bold and italics (outside code spans)."""
    parts = _CODE.split(text)
    rendered: list[str] = []
    for index, part in enumerate(parts):
        if index % 2:
            rendered.append(f"<code>{escape(part)}</code>")
        else:
            rendered.append(_links(escape(part)))
    return "".join(rendered)


def _links(escaped: str) -> str:
    """Links in already escaped text; emphasis applies to the text around and inside them."""
    out: list[str] = []
    position = 0
    for match in _LINK.finditer(escaped):
        out.append(_emphasis(escaped[position : match.start()]))
        label, url = _emphasis(match[1]), match[2]
        if _SAFE_URL.match(url.replace("&amp;", "&")):
            out.append(f'<a href="{url}" rel="noopener noreferrer">{label}</a>')
        else:
            out.append(label)
        position = match.end()
    out.append(_emphasis(escaped[position:]))
    return "".join(out)


def _emphasis(text: str) -> str:
    text = _STRONG.sub(r"<strong>\1</strong>", text)
    return _EM.sub(r"<em>\1</em>", text)
