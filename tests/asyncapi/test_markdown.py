"""Descriptions render as Markdown on the page, and nothing in them becomes live HTML."""

from __future__ import annotations

import pytest

from chanx.asyncapi.markdown import render_markdown


def test_paragraphs_lists_code_and_emphasis() -> None:
    text = "Chat with **everyone** in *one* room.\nSee `join_group`.\n\n- one\n- two\n\n1. a\n2. b"
    assert render_markdown(text) == (
        '<p class="description">Chat with <strong>everyone</strong> in <em>one</em> room. '
        "See <code>join_group</code>.</p>\n"
        '<ul class="description"><li>one</li><li>two</li></ul>\n'
        '<ol class="description"><li>a</li><li>b</li></ol>\n'
    )


def test_fenced_code_keeps_its_lines_escaped() -> None:
    assert render_markdown('Example:\n\n```json\n{"a": "<b>"}\n```', "summary") == (
        '<p class="summary">Example:</p>\n'
        '<pre class="summary"><code>{&quot;a&quot;: &quot;&lt;b&gt;&quot;}</code></pre>\n'
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ('<img src=x onerror="alert(1)">', "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"),
        ("[x](javascript:alert(1))", "x)"),
        ("[x](data:text/html,hi)", "x"),
        (
            '[x](https://a.example/"onmouseover=")',  # the quote cannot leave the attribute
            '<a href="https://a.example/&quot;onmouseover=&quot;" rel="noopener noreferrer">x</a>',
        ),
        ("`<b>`", "<code>&lt;b&gt;</code>"),
        ("snake_case_names stay", "snake_case_names stay"),
    ],
)
def test_raw_html_and_unsafe_links_stay_text(text: str, expected: str) -> None:
    assert render_markdown(text) == f'<p class="description">{expected}</p>\n'


def test_safe_links_are_links() -> None:
    html = render_markdown("[the guide](https://chanx.example/a_b?x=1&y=2) or [top](#top)")
    assert html == (
        '<p class="description"><a href="https://chanx.example/a_b?x=1&amp;y=2" '
        'rel="noopener noreferrer">the guide</a> or '
        '<a href="#top" rel="noopener noreferrer">top</a></p>\n'
    )


def test_empty_text_renders_nothing() -> None:
    assert render_markdown(None) == ""
    assert render_markdown("  \n ") == ""
