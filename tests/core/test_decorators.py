from __future__ import annotations

import pytest

from chanx.core.decorators import (
    CHANNEL_ATTR,
    HANDLER_ATTR,
    ChannelInfo,
    HandlerSpec,
    channel,
    event_handler,
    ws_handler,
)


async def handler(self: object, message: object) -> None: ...


def test_bare_ws_handler_marks_and_returns_the_function() -> None:
    async def f(self: object, message: object) -> None: ...

    assert ws_handler(f) is f
    assert getattr(f, HANDLER_ATTR) == HandlerSpec("ws")


def test_called_decorators_record_every_parameter() -> None:
    async def f(self: object, message: object) -> None: ...

    decorated = event_handler(
        action="x", input_type=int, output_type=str, summary="s", description="d", tags=["a"]
    )(f)
    assert decorated is f
    assert getattr(f, HANDLER_ATTR) == HandlerSpec("event", "x", int, str, "s", "d", ("a",))


def test_decorating_a_non_callable_is_an_error() -> None:
    with pytest.raises(TypeError, match="decorates a method"):
        ws_handler(summary="x")(42)  # type: ignore[type-var]


def test_channel_bare_and_called() -> None:
    @channel
    class A:
        pass

    @channel(name="n", description="d", tags=["t"])
    class B:
        pass

    assert getattr(A, CHANNEL_ATTR) == ChannelInfo()
    assert getattr(B, CHANNEL_ATTR) == ChannelInfo("n", "d", ("t",))


@pytest.mark.parametrize("decorator", [ws_handler, event_handler])
def test_a_message_class_passed_positionally_says_what_the_decorator_expects(
    decorator: object,
) -> None:
    from typing import Literal

    from chanx.messages.base import BaseMessage

    class Say(BaseMessage):
        action: Literal["say"] = "say"

    with pytest.raises(TypeError, match=r"takes keyword arguments only.*input_type=Say\)"):
        decorator(Say)  # type: ignore[operator]
    assert HANDLER_ATTR not in vars(Say)
