"""`safe_group_name`: build a channel-layer group name from arbitrary values.

Channel layers accept group names of ASCII letters, digits, `.`, `_` and `-`, shorter than
100 characters (Django Channels' rule, which chanx's layers follow). Names built from user
data (a room title, an e-mail address) must be cleaned before they are used.
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["MAX_GROUP_NAME_LENGTH", "safe_group_name"]

MAX_GROUP_NAME_LENGTH = 99
"""Longest group name produced (Channels rejects names of 100 characters or more)."""

_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9._-]+")
_DIGEST_CHARS = 12


def safe_group_name(*parts: object, namespace: str | None = None) -> str:
    """Join `parts` (after `namespace`) with `.` into a valid group name.

    Each part is converted with `str()`; every run of characters a layer refuses becomes one
    `-`, leading and trailing `-` are trimmed, and parts left empty are skipped. A name longer
    than `MAX_GROUP_NAME_LENGTH` is cut and ends with a digest of the full name, so it stays
    deterministic and two long names with a common prefix still differ.

    >>> safe_group_name("user", 42, namespace="notification")
    'notification.user.42'
    >>> safe_group_name("room", "Weekly Sync!")
    'room.Weekly-Sync'

    Args:
        *parts: The name's segments, in order.
        namespace: An optional first segment that keeps features from sharing names.

    Returns:
        The group name.

    Raises:
        ValueError: Nothing usable is left (every part was empty after cleaning).
    """
    raw = ([namespace] if namespace is not None else []) + list(parts)
    cleaned = (_NOT_ALLOWED.sub("-", str(part)).strip("-") for part in raw)
    name = ".".join(segment for segment in cleaned if segment)
    if not name:
        raise ValueError(f"safe_group_name{tuple(parts)!r}: no usable characters left")
    if len(name) <= MAX_GROUP_NAME_LENGTH:
        return name
    digest = hashlib.blake2s(name.encode(), digest_size=_DIGEST_CHARS // 2).hexdigest()
    return f"{name[: MAX_GROUP_NAME_LENGTH - _DIGEST_CHARS - 1]}.{digest}"
