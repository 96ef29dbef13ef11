"""Key maps compiled from pydantic models: which keys camelize renames, and how.

Only keys that are *model field names* are renamed. For every model a consumer uses, the
fields are walked once (nested models, lists, tuples, sets, optionals and unions of models,
values of `dict[str, Model]`) and turned into two plain dicts: dumped key -> wire key and wire
key -> validation key. Per message the work is dict lookups. Keys inside free-form values
(`dict[str, Any]`, `Any`, `TypedDict`, dataclasses, JSON strings) are never touched.

Fields with an explicit alias (`Field(alias=...)`, `serialization_alias`, `validation_alias`, or
a model `alias_generator`) keep that alias on the wire. A `validation_alias` that is an
`AliasChoices`/`AliasPath` is not renamed on the way in either.
"""

from __future__ import annotations

import collections.abc
import types
import typing
from collections.abc import Callable
from typing import Any, Union
from weakref import WeakKeyDictionary

from pydantic import BaseModel

__all__ = ["KeyMap", "camel", "key_map"]

Transform = Callable[[Any], Any]

_SEQUENCES = frozenset(
    {
        list,
        set,
        frozenset,
        tuple,
        collections.abc.Sequence,
        collections.abc.MutableSequence,
        collections.abc.Set,
        collections.abc.MutableSet,
        collections.abc.Iterable,
        collections.abc.Collection,
    }
)
_MAPPINGS = frozenset({dict, collections.abc.Mapping, collections.abc.MutableMapping})


def camel(name: str) -> str:
    """`user_id` -> `userId`, `http_status` -> `httpStatus`, `user_id2` -> `userId2`.

    The first word is kept as written; each later word gets its first character upper-cased
    and the rest kept (`user_2fa` -> `user2fa`, `from_` -> `from`). Names without `_` are
    unchanged. Decoding never guesses: it uses the inverse of this map per model.
    """
    if "_" not in name:
        return name
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class KeyMap:
    """The renames of one model (or of a union of models, merged field by field).

    Raises:
        ValueError: Two fields of the model(s) would have the same wire key.
    """

    __slots__ = ("__weakref__", "_in_subs", "_out_subs", "from_wire", "models", "to_wire")

    def __init__(self, models: tuple[type[BaseModel], ...]) -> None:
        self.models = models
        self.to_wire: dict[str, str] = {}
        self.from_wire: dict[str, str] = {}
        self._out_subs: tuple[tuple[str, Transform], ...] = ()
        self._in_subs: tuple[tuple[str, Transform], ...] = ()

    def _compile(self) -> None:
        out_types: dict[str, list[Any]] = {}
        in_types: dict[str, list[Any]] = {}
        owner: dict[str, tuple[str, str]] = {}  # wire key -> (dumped key, "Model.field")
        for model in self.models:
            for name, info in model.model_fields.items():
                explicit = info.serialization_alias or info.alias
                dumped = explicit or name
                wire = dumped if explicit else camel(name)
                where = f"{model.__qualname__}.{name}"
                seen = owner.setdefault(wire, (dumped, where))
                if seen[0] != dumped:
                    raise ValueError(
                        f"{seen[1]} and {where} would both be sent as {wire!r} after "
                        f"camelizing; rename one or give it an explicit alias."
                    )
                if wire != dumped:
                    self.to_wire[dumped] = wire
                out_types.setdefault(dumped, []).append(info.annotation)
                validation = info.validation_alias
                if validation is None and not explicit:
                    if wire != name:
                        self.from_wire[wire] = name
                    in_types.setdefault(name, []).append(info.annotation)
                elif isinstance(validation, str) or validation is None:
                    in_types.setdefault(validation or info.alias or name, []).append(
                        info.annotation
                    )
        self._out_subs = _subs(out_types, "out")
        self._in_subs = _subs(in_types, "in")

    def outgoing(self, data: Any) -> Any:
        """Rename the keys of one dumped model dict to wire keys (a new dict)."""
        if type(data) is not dict:
            return data
        rename = self.to_wire
        out = {rename.get(k, k): v for k, v in data.items()} if rename else dict(data)
        for key, transform in self._out_subs:
            value = out.get(key)
            if value is not None:
                out[key] = transform(value)
        return out

    def incoming(self, data: Any) -> Any:
        """Rename the wire keys of one decoded dict to the keys the model validates."""
        if type(data) is not dict:
            return data
        rename = self.from_wire
        out = {rename.get(k, k): v for k, v in data.items()} if rename else dict(data)
        for key, transform in self._in_subs:
            value = out.get(key)
            if value is not None:
                out[key] = transform(value)
        return out


_MAPS: WeakKeyDictionary[type, KeyMap] = WeakKeyDictionary()
_UNIONS: dict[tuple[type, ...], KeyMap] = {}


def key_map(models: tuple[type[BaseModel], ...]) -> KeyMap:
    """The (cached) key map of one model, or of a union of models merged field by field."""
    if len(models) == 1:
        found = _MAPS.get(models[0])
        if found is None:
            found = _MAPS[models[0]] = KeyMap(models)
            _build(found, lambda: _MAPS.pop(models[0], None))
        return found
    found = _UNIONS.get(models)
    if found is None:
        found = _UNIONS[models] = KeyMap(models)
        _build(found, lambda: _UNIONS.pop(models, None))
    return found


def _build(keys: KeyMap, forget: Callable[[], object]) -> None:
    """Compile `keys` (already cached, so recursive models find it); uncache on failure."""
    try:
        keys._compile()
    except BaseException:
        forget()
        raise


def _subs(fields: dict[str, list[Any]], direction: str) -> tuple[tuple[str, Transform], ...]:
    subs = []
    for key, found in fields.items():
        transform = value_transform(found, direction)
        if transform is not None:
            subs.append((key, transform))
    return tuple(subs)


def value_transform(annotations: list[Any], direction: str) -> Transform | None:
    """How to rename inside a value of these types, or None when nothing in it is renamed."""
    models: list[type[BaseModel]] = []
    elements: list[Any] = []
    values: list[Any] = []
    for annotation in annotations:
        _collect(annotation, models, elements, values)
    model_fn: Transform | None = None
    if models:
        unique = tuple(dict.fromkeys(models))
        keys = key_map(unique)
        model_fn = keys.outgoing if direction == "out" else keys.incoming
    element_fn = value_transform(elements, direction) if elements else None
    value_fn = value_transform(values, direction) if values else None
    if model_fn is None and element_fn is None and value_fn is None:
        return None

    def transform(value: Any) -> Any:
        kind = type(value)
        if kind is dict:
            if model_fn is not None:
                return model_fn(value)
            if value_fn is not None:
                return {k: value_fn(v) for k, v in value.items()}
        elif kind is list and element_fn is not None:
            return [element_fn(item) for item in value]
        return value

    return transform


def _collect(annotation: Any, models: list[Any], elements: list[Any], values: list[Any]) -> None:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        _collect(args[0], models, elements, values)
    elif origin in (Union, types.UnionType):
        for arg in args:
            _collect(arg, models, elements, values)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        models.append(annotation)
    elif origin in _SEQUENCES:
        elements.extend(a for a in args if a is not Ellipsis)
    elif origin in _MAPPINGS and len(args) == 2:
        values.append(args[1])
