"""Origin checks against cross-site WebSocket hijacking.

Browsers send the page's origin with every WebSocket handshake and let any page open a socket
to any server, cookies included. A server that authenticates by cookie must therefore refuse
foreign origins itself (Starlette's CORS middleware does not look at WebSocket scopes).

The rules, in order:

1. An allow-list entry `"*"` accepts every origin (the explicit opt-out).
2. No `Origin` header (non-browser clients): accepted unless `allow_missing` is False.
3. Same origin as the `Host` header: accepted (`ws` pairs with `http`, `wss` with `https`,
   default ports filled in; an `https` page may reach a `ws` scope whose `Host` has no port,
   the TLS-terminating proxy case).
4. An allow-list entry matches: exact `scheme://host[:port]`, or `scheme://*.domain[:port]`
   for subdomains of `domain` (not `domain` itself). `Origin: null` (sandboxed frames,
   `file:` pages) only matches the entry `"null"`.
5. Anything else is refused, before the connection is accepted.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["AllowList", "Origin", "is_allowed", "parse_allow_list", "parse_origin"]

_SCHEMES = {"http": "http", "https": "https", "ws": "http", "wss": "https"}
_DEFAULT_PORT = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Origin:
    """A normalised origin: scheme `http`/`https`, lower-case host, explicit port."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port == _DEFAULT_PORT[self.scheme]:
            return f"{self.scheme}://{host}"
        return f"{self.scheme}://{host}:{self.port}"


def parse_origin(value: str) -> Origin | None:
    """Parse an `Origin` header value; None for `null` and anything malformed.

    Only `scheme://host[:port]` is an origin: a path (even a lone `/`), query, fragment or
    user info makes the value malformed (browsers never send them), and so does a host that
    is not a DNS name or an IP literal (`*.example.com`, `.example.com`, `a..b`).
    """
    value = value.strip()
    if not value or value == "null" or len(value) > 2048:
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    scheme = _SCHEMES.get(parts.scheme.lower())
    host = parts.hostname
    if scheme is None or not host or parts.path:
        return None
    if parts.query or parts.fragment or parts.username is not None or "@" in parts.netloc:
        return None
    host = host.lower()
    if host.endswith(".") and not host.endswith(".."):
        host = host[:-1]  # the DNS root: `example.com.` is `example.com`
    if not _valid_host(host):
        return None
    return Origin(scheme, host, port or _DEFAULT_PORT[scheme])


_LABEL = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?")


def _valid_host(host: str) -> bool:
    """Whether `host` is a DNS name of non-empty labels, or an IP address literal."""
    if ":" in host:
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return False
        return True
    if len(host) > 253:
        return False
    return all(_LABEL.fullmatch(label) for label in host.split("."))


@dataclass(frozen=True, slots=True)
class AllowList:
    """A parsed allow-list (see `parse_allow_list`)."""

    any: bool = False
    null: bool = False
    exact: frozenset[Origin] = frozenset()
    wildcards: tuple[tuple[str, str, int], ...] = ()  # (scheme, ".domain", port)

    def allows(self, origin: Origin | None) -> bool:
        """Whether `origin` (None meaning `Origin: null`) is on the list."""
        if self.any:
            return True
        if origin is None:
            return self.null
        if origin in self.exact:
            return True
        return any(
            origin.scheme == scheme and origin.port == port and origin.host.endswith(suffix)
            for scheme, suffix, port in self.wildcards
        )


def parse_allow_list(entries: Iterable[str]) -> AllowList:
    """Parse allow-list entries such as `https://app.example.com` or `https://*.example.com`.

    Raises:
        ValueError: An entry is not `*`, `null`, or `scheme://host[:port]` (with an optional
            leading `*.` label in the host).
    """
    any_, null = False, False
    exact: set[Origin] = set()
    wildcards: list[tuple[str, str, int]] = []
    for entry in entries:
        text = entry.strip()
        if text == "*":
            any_ = True
            continue
        if text == "null":
            null = True
            continue
        wildcard = "://*." in text
        if text.endswith("/") and not text.endswith("//"):
            text = text[:-1]  # an entry copied from a browser's address bar
        origin = parse_origin(text.replace("://*.", "://", 1) if wildcard else text)
        if origin is None:
            raise ValueError(
                f"allowed origin {entry!r} is not an origin: write scheme://host[:port], e.g. "
                f"'https://example.com', 'https://*.example.com' or 'http://localhost:3000'."
            )
        if wildcard:
            wildcards.append((origin.scheme, "." + origin.host, origin.port))
        else:
            exact.add(origin)
    return AllowList(any_, null, frozenset(exact), tuple(wildcards))


def _host_origin(host: str, scheme: str) -> tuple[Origin | None, bool]:
    """The server's own origin from the `Host` header, and whether it named a port."""
    try:
        parts = urlsplit(f"//{host.strip()}")
        port = parts.port
    except ValueError:
        return None, False
    if not parts.hostname:
        return None, False
    base = _SCHEMES.get(scheme.lower(), "http")
    return Origin(base, parts.hostname.lower().rstrip("."), port or _DEFAULT_PORT[base]), bool(port)


def is_allowed(
    headers: Mapping[str, str], scheme: str, allow: AllowList, allow_missing: bool
) -> tuple[bool, Origin | None]:
    """Apply the module's rules to a handshake.

    Args:
        headers: Handshake headers, lower-case names (at least `origin` and `host`).
        scheme: The scope's scheme (`ws` or `wss`).
        allow: The allow-list.
        allow_missing: Whether a handshake without `Origin` is accepted.

    Returns:
        (accepted, the parsed origin or None).
    """
    if allow.any:
        return True, None
    raw = headers.get("origin")
    if raw is None:
        return allow_missing, None
    origin = parse_origin(raw)
    if origin is not None:
        own, explicit_port = _host_origin(headers.get("host", ""), scheme)
        if own is not None:
            if origin == own:
                return True, origin
            upgraded = (
                own.scheme == "http"
                and not explicit_port
                and origin == Origin("https", own.host, 443)
            )
            if upgraded:
                return True, origin
    elif raw.strip() != "null":
        return False, None  # malformed: never matches the allow-list
    return allow.allows(origin), origin


def scope_headers(scope: Mapping[str, Any]) -> dict[str, str]:
    """`origin` and `host` from an ASGI scope (a repeated header counts as malformed)."""
    found: dict[str, str] = {}
    for key, value in scope.get("headers", ()):
        name = key.decode("latin-1").lower()
        if name in ("origin", "host"):
            text = value.decode("latin-1")
            found[name] = text if name not in found else "\x00"
    return found
