"""Class attributes merged across a consumer's hierarchy: `extra_groups` and `emits`.

A plain class attribute such as `groups` is shadowed by a subclass's own value. Mixins that
contribute groups (a presence mixin joining `"presence"`) declare `extra_groups` instead: every
class in the MRO keeps its own list, and a connection joins `groups` first, then each extra
group not already there.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["connection_groups", "default_groups", "merged_class_lists", "target_groups"]


def merged_class_lists(cls: type, attribute: str) -> tuple[Any, ...]:
    """Every class's own `attribute` list across `cls.__mro__`, most-derived first, deduplicated.

    Raises:
        TypeError: A class's value is a string or not iterable (a list was meant).
    """
    merged: list[Any] = []
    for klass in cls.__mro__:
        own = klass.__dict__.get(attribute)
        if own is None:
            continue
        if isinstance(own, str | bytes) or not isinstance(own, Iterable):
            raise TypeError(
                f"{klass.__qualname__}.{attribute} must be a list, not {type(own).__name__} "
                f"{own!r}; write {attribute} = [{own!r}]."
            )
        merged.extend(item for item in own if item not in merged)
    return tuple(merged)


def connection_groups(groups: Iterable[str], extra_groups: Iterable[str]) -> list[str]:
    """A new list: `groups`, then each of `extra_groups` not already in it."""
    joined = list(groups)
    joined.extend(group for group in extra_groups if group not in joined)
    return joined


def default_groups(cls: type) -> list[str]:
    """The groups a connection of `cls` joins (and `broadcast_event`'s default targets)."""
    plan = getattr(cls, "__chanx_plan__", None)
    extra = plan.extra_groups if plan is not None else merged_class_lists(cls, "extra_groups")
    return connection_groups(getattr(cls, "groups", None) or (), extra)


def target_groups(default: Iterable[str], groups: Iterable[str] | str | None) -> tuple[str, ...]:
    """The groups a broadcast goes to: `groups` as given (one name may be a plain string),
    or `default` when it is None."""
    if groups is None:
        return tuple(default)
    return (groups,) if isinstance(groups, str) else tuple(groups)
