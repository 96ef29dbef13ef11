"""`BaseMessage`, the root of every chanx message and event.

A concrete message names its discriminator value with a `Literal` field (by default `action`);
that literal is what routes a frame to its handler. A subclass without one is rejected when
it is defined, unless it is declared abstract to share fields or configuration between
concrete messages: `class RoomMessage(BaseMessage, abstract=True)`, or, as upstream chanx
spells it, `class RoomMessage(BaseMessage, abc.ABC)`.

Every message has a `payload` field (`Any`, default `None` at run time; required for static
type checkers, as upstream chanx declares it); concrete messages narrow it
(`payload: ChatPayload`). A message that declares only its `action` therefore still carries
whatever payload the client sent instead of dropping it.
"""

from __future__ import annotations

import abc
import typing
from typing import TYPE_CHECKING, Any, ClassVar, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict

__all__ = ["BaseChannelEvent", "BaseMessage", "discriminator_values"]


class BaseMessage(BaseModel):
    """Base class for messages from clients, replies to them, and channel-layer events.

    Class attributes:
        discriminator_field: the field whose `Literal` value identifies the message
            (`"action"` by default). A consumer routes on its own `discriminator_field`, which
            must match the field its messages declare.

    Attributes:
        payload: The message's data. `Any` (default `None`) here; subclasses narrow it.
    """

    model_config = ConfigDict(extra="ignore")

    if TYPE_CHECKING:
        # Type checkers see upstream's declaration, so that a subclass may declare a required
        # `payload: ChatPayload` (pyright rejects a required field overriding a defaulted one).
        payload: Any
    else:
        payload: Any = None

    discriminator_field: ClassVar[str] = "action"
    __chanx_abstract__: ClassVar[bool] = True

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        # `abc.ABC` among the direct bases is upstream chanx's way to mark an abstract message.
        cls.__chanx_abstract__ = abstract or abc.ABC in cls.__bases__
        super().__init_subclass__(**kwargs)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**{k: v for k, v in kwargs.items() if k != "abstract"})
        if cls.__chanx_abstract__:
            return
        field = cls.discriminator_field
        info = cls.model_fields.get(field)
        unresolved = info is not None and not cls.__pydantic_complete__
        if unresolved:
            return  # annotations not resolvable yet; the consumer's plan checks it when used
        if info is None or not discriminator_values(info.annotation):
            raise TypeError(
                f"{cls.__module__}.{cls.__qualname__} needs a Literal discriminator: declare "
                f'`{field}: Literal["<name>"] = "<name>"` so chanx can route it, or define '
                f"the class with `abstract=True` if it is only a base for other messages."
            )


class BaseChannelEvent(BaseMessage, abstract=True):
    """Base for channel-layer events that name their handler in a `handler` literal field.

    An alternative spelling some projects use for events; routing works the same way as for
    `BaseMessage` subclasses, only on the `handler` field.
    """

    discriminator_field: ClassVar[str] = "handler"


def discriminator_values(annotation: Any) -> tuple[str, ...]:
    """The string values of a `Literal[...]` annotation (through `Annotated`), else `()`."""
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return discriminator_values(get_args(annotation)[0])
    if origin is Literal:
        values = get_args(annotation)
        if values and all(isinstance(v, str) for v in values):
            return tuple(values)
    return ()
