"""`chanx.core.origin`: parsing, same-origin, allow-list matching, missing and null origins."""

from __future__ import annotations

import pytest

from chanx.core.origin import Origin, is_allowed, parse_allow_list, parse_origin, scope_headers

NONE = parse_allow_list([])


def check(origin: str | None, host: str = "example.com", scheme: str = "wss", **kw: object) -> bool:
    headers = {"host": host} if origin is None else {"host": host, "origin": origin}
    allow = parse_allow_list(kw.get("allow", ()))  # type: ignore[arg-type]
    return is_allowed(headers, scheme, allow, bool(kw.get("missing", True)))[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://Example.COM", Origin("https", "example.com", 443)),
        ("http://example.com:8000", Origin("http", "example.com", 8000)),
        ("wss://example.com", Origin("https", "example.com", 443)),
        ("http://[::1]:9000", Origin("http", "::1", 9000)),
        ("null", None),
        ("", None),
        ("https://example.com/path", None),
        ("https://user@example.com", None),
        ("https://example.com?x=1", None),
        ("ftp://example.com", None),
        ("https://example.com:99999", None),
        ("not a url", None),
    ],
)
def test_parse_origin_normalises_or_refuses(value: str, expected: Origin | None) -> None:
    assert parse_origin(value) == expected


def test_same_origin_pairs_ws_with_http_and_fills_default_ports() -> None:
    assert check("https://example.com", "example.com", "wss")
    assert check("https://example.com", "example.com:443", "wss")
    assert check("http://localhost:8000", "localhost:8000", "ws")
    assert not check("http://localhost:8001", "localhost:8000", "ws")
    assert not check("http://example.com", "example.com", "wss")  # downgrade
    assert not check("https://evil.com", "example.com", "wss")


def test_https_page_reaches_ws_scope_behind_a_tls_proxy_only_without_explicit_port() -> None:
    assert check("https://example.com", "example.com", "ws")
    assert not check("https://example.com", "example.com:80", "ws")


def test_allow_list_exact_wildcard_and_ports() -> None:
    allow = ["https://app.example.com", "https://*.example.org", "http://localhost:3000"]
    assert check("https://app.example.com", "api.example.com", allow=allow)
    assert not check("http://app.example.com", "api.example.com", allow=allow)
    assert check("https://a.example.org", "api.example.com", allow=allow)
    assert check("https://a.b.example.org", "api.example.com", allow=allow)
    assert not check("https://example.org", "api.example.com", allow=allow)
    assert not check("https://evilexample.org", "api.example.com", allow=allow)
    assert not check("https://a.example.org:8443", "api.example.com", allow=allow)
    assert check("http://localhost:3000", "api.example.com", allow=allow)
    assert not check("http://localhost:3001", "api.example.com", allow=allow)


def test_null_origin_is_foreign_unless_listed() -> None:
    assert not check("null")
    assert check("null", allow=["null"])


def test_star_accepts_everything_and_missing_follows_the_rule() -> None:
    assert check("https://evil.com", allow=["*"])
    assert check(None, missing=True)
    assert not check(None, missing=False)
    assert check(None, missing=False, allow=["*"])


def test_malformed_origin_never_matches_even_a_listed_host() -> None:
    assert not check("https://app.example.com/x", allow=["https://app.example.com"])


@pytest.mark.parametrize("entry", ["example.com", "https://", "https://*", "https://a.*.com", "x"])
def test_bad_allow_list_entries_are_errors(entry: str) -> None:
    with pytest.raises(ValueError, match="is not an origin"):
        parse_allow_list([entry])


def test_repeated_origin_header_counts_as_malformed() -> None:
    scope = {"headers": [(b"origin", b"https://a.com"), (b"origin", b"https://a.com")]}
    assert scope_headers(scope)["origin"] == "\x00"
    assert not is_allowed(scope_headers(scope), "ws", parse_allow_list(["https://a.com"]), True)[0]


@pytest.mark.parametrize(
    "origin",
    [
        "https://*.example.com",
        "https://.example.com",
        "https://a.example.com/",
        "https://a.example.com/x",
        "https://a..example.com",
        "https://a b.example.com",
        "https://a.example.com..",
    ],
)
def test_a_wildcard_entry_admits_no_malformed_origin(origin: str) -> None:
    assert not check(origin, "api.example.net", allow=["https://*.example.com"])
    assert check("https://a.example.com", "api.example.net", allow=["https://*.example.com"])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://example.com/", None),
        ("https://*.example.com", None),
        ("https://.example.com", None),
        ("https://-a.example.com", None),
        ("https://example.com.", Origin("https", "example.com", 443)),
        ("http://127.0.0.1:3000", Origin("http", "127.0.0.1", 3000)),
    ],
)
def test_parse_origin_wants_a_real_host_and_no_path(value: str, expected: Origin | None) -> None:
    assert parse_origin(value) == expected


def test_an_allow_list_entry_may_end_with_a_slash() -> None:
    assert parse_allow_list(["https://app.example.com/"]).exact == {
        Origin("https", "app.example.com", 443)
    }
