"""The Django origin allow-list, derived from the settings a Django project already has.

A project that works with Channels lists its hosts in ``ALLOWED_HOSTS`` (which Channels'
``AllowedHostsOriginValidator`` reads) and often its front-end origins in
``CORS_ALLOWED_ORIGINS`` (django-cors-headers) or ``CSRF_TRUSTED_ORIGINS``. Unless
``CHANX["ALLOWED_ORIGINS"]`` is set, chanx's origin check accepts, besides the page's own
origin (always accepted):

- for each ``ALLOWED_HOSTS`` entry ``example.com``: ``https://example.com`` and
  ``http://example.com`` (default ports); for ``.example.com``: the domain and its subdomains;
- every entry of ``CORS_ALLOWED_ORIGINS`` and ``CSRF_TRUSTED_ORIGINS`` (``https://*.x.com``
  wildcards included).

What stays refused, on purpose: ``ALLOWED_HOSTS = ["*"]`` says which ``Host`` headers the
server answers, not which sites may open sockets with the user's cookies, so it adds no
origin; neither does ``CORS_ALLOW_ALL_ORIGINS``. To accept every origin, set
``CHANX = {"ALLOWED_ORIGINS": ["*"]}`` explicitly. Entries that are not origins are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chanx.core.origin import parse_allow_list

__all__ = ["DERIVED_FROM", "derive_allowed_origins", "with_derived_origins"]

DERIVED_FROM = ("ALLOWED_HOSTS", "CORS_ALLOWED_ORIGINS", "CSRF_TRUSTED_ORIGINS")
"""The Django settings the default allow-list is derived from."""

_last: tuple[tuple[Any, ...], Mapping[str, Any] | None] | None = None


def derive_allowed_origins(
    allowed_hosts: Iterable[str], *trusted_origins: Iterable[str]
) -> tuple[str, ...]:
    """Allow-list entries for `allowed_hosts` (Django's form) and full-origin lists.

    Args:
        allowed_hosts: ``ALLOWED_HOSTS`` entries (``example.com``, ``.example.com``, ``*``).
        *trusted_origins: Lists of origins such as ``CORS_ALLOWED_ORIGINS``.

    Returns:
        Entries `chanx.core.origin.parse_allow_list` accepts, without duplicates.
    """
    entries: list[str] = []
    for host in allowed_hosts:
        name = str(host).strip().lower()
        if not name or "*" in name or "/" in name:
            continue
        if name.startswith("."):
            name = name[1:]
            entries += [f"{scheme}://*.{name}" for scheme in ("https", "http")]
        host_part = f"[{name}]" if ":" in name and not name.startswith("[") else name
        entries += [f"https://{host_part}", f"http://{host_part}"]
    for origins in trusted_origins:
        entries += [str(origin).strip().rstrip("/") for origin in origins]
    accepted: list[str] = []
    for entry in entries:
        if entry == "*" or entry in accepted:
            continue
        try:
            parse_allow_list([entry])
        except ValueError:
            continue
        accepted.append(entry)
    return tuple(accepted)


def with_derived_origins(
    chanx_setting: Mapping[str, Any] | None, django_settings: Any
) -> Mapping[str, Any] | None:
    """``settings.CHANX`` with ``ALLOWED_ORIGINS`` derived when the project did not set it.

    The same mapping object is returned while the inputs are unchanged, so `chanx.conf`
    rebuilds its settings only when they change (``override_settings`` in tests).
    """
    global _last
    values = tuple(tuple(getattr(django_settings, name, None) or ()) for name in DERIVED_FROM)
    key = (id(chanx_setting), chanx_setting, values)
    if _last is not None and _last[0] == key:
        return _last[1]
    result: Mapping[str, Any] | None = chanx_setting
    if chanx_setting is None or "ALLOWED_ORIGINS" not in chanx_setting:
        derived = derive_allowed_origins(*values)
        if derived:
            result = {**(chanx_setting or {}), "ALLOWED_ORIGINS": list(derived)}
    _last = (key, result)
    return result
