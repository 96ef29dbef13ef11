"""`LayerContract`: the pytest suite every chanx channel layer must pass.

Subclass it in a test module under a ``Test`` name and say how to build your layer::

    from chanx.testing.layer_contract import LayerContract

    class TestRedisLayer(LayerContract):
        short_expiry = 0.2  # the backend's expiry resolution allows this

        @pytest.fixture(autouse=True)
        def _server(self, redis_url: str) -> None:  # autouse: runs before `layer`
            self.url = redis_url

        async def make_layer(self, **config: Any) -> BaseChannelLayer:
            return RedisChannelLayer(hosts=[self.url], prefix=unique_prefix(), **config)

        async def close_layer(self, layer: BaseChannelLayer) -> None:
            await layer.flush()
            await layer.close()

Each test builds its layers through `make_layer` (with the config it needs, e.g. a small
capacity) and every layer it built is passed to `close_layer` afterwards. Tests wait on
results, never on sleeps, except the two expiry tests, which sleep just past `short_expiry`.
The suite needs pytest-asyncio (``asyncio_mode = "auto"``, or mark the subclass).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, ClassVar

import pytest

from chanx.layers.base import MAX_NAME_LENGTH, BaseChannelLayer
from chanx.layers.exceptions import ChannelFull

__all__ = ["LayerContract", "LayerFactory"]

LayerFactory = Callable[..., Awaitable[BaseChannelLayer]]

BAD_CHANNEL_NAMES = ["", "has space", "naïve", "a/b", "two!bangs!", "!no-prefix", "x" * 100]
BAD_GROUP_NAMES = ["", "has space", "naïve", "a!b", "x" * MAX_NAME_LENGTH]
TIMEOUT = 1.0


def _msg(kind: str = "test.message", **fields: Any) -> dict[str, Any]:
    """A message of type `kind`."""
    return {"type": kind, **fields}


class LayerContract:
    """Contract tests for a `BaseChannelLayer` implementation (not collected on its own)."""

    short_expiry: ClassVar[float] = 0.1
    """Expiry, in seconds, that the expiry tests configure (and wait a little longer than)."""

    async def make_layer(self, **config: Any) -> BaseChannelLayer:
        """Build a fresh, empty layer with `config` (capacity, expiry, ...); override this."""
        raise NotImplementedError(f"{type(self).__name__} must implement make_layer(**config)")

    async def close_layer(self, layer: BaseChannelLayer) -> None:
        """Release a layer built by `make_layer`; override to add backend cleanup."""
        await layer.flush()
        await layer.close()

    @pytest.fixture
    async def layer_factory(self) -> AsyncIterator[LayerFactory]:
        """Build layers with `make_layer`; close them all after the test."""
        built: list[BaseChannelLayer] = []

        async def factory(**config: Any) -> BaseChannelLayer:
            layer = await self.make_layer(**config)
            built.append(layer)
            return layer

        yield factory
        for layer in reversed(built):
            await self.close_layer(layer)

    @pytest.fixture
    async def layer(self, layer_factory: LayerFactory) -> BaseChannelLayer:
        """A layer with the default configuration."""
        return await layer_factory()

    # --- channels -------------------------------------------------------------------------

    async def test_declares_groups_and_flush_extensions(self, layer: BaseChannelLayer) -> None:
        assert {"groups", "flush"} <= set(layer.extensions)

    async def test_send_then_receive_round_trips(self, layer: BaseChannelLayer) -> None:
        channel = await layer.new_channel()
        await layer.send(channel, _msg(text="hi", n=1, items=[1, 2], nested={"a": None}))
        async with asyncio.timeout(TIMEOUT):
            received = await layer.receive(channel)
        assert received == _msg(text="hi", n=1, items=[1, 2], nested={"a": None})

    async def test_receive_waits_for_a_later_send(self, layer: BaseChannelLayer) -> None:
        channel = await layer.new_channel()
        receiving = asyncio.create_task(layer.receive(channel))
        await asyncio.sleep(0)  # let the receive start waiting
        assert not receiving.done()
        await layer.send(channel, _msg(n=1))
        async with asyncio.timeout(TIMEOUT):
            assert await receiving == _msg(n=1)

    async def test_messages_on_one_channel_keep_their_order(self, layer: BaseChannelLayer) -> None:
        channel = await layer.new_channel()
        for n in range(20):
            await layer.send(channel, _msg(n=n))
        async with asyncio.timeout(TIMEOUT):
            received = [(await layer.receive(channel))["n"] for _ in range(20)]
        assert received == list(range(20))

    async def test_channels_are_independent(self, layer: BaseChannelLayer) -> None:
        first, second = await layer.new_channel(), await layer.new_channel()
        await layer.send(first, _msg(to="first"))
        await layer.send(second, _msg(to="second"))
        async with asyncio.timeout(TIMEOUT):
            assert (await layer.receive(second))["to"] == "second"
            assert (await layer.receive(first))["to"] == "first"

    async def test_new_channel_names_are_unique_and_prefixed(self, layer: BaseChannelLayer) -> None:
        names = {await layer.new_channel() for _ in range(200)}
        assert len(names) == 200
        assert all(name.startswith("specific.") for name in names)
        custom = await layer.new_channel("chat.room-1_")
        assert custom.startswith("chat.room-1_")
        await layer.send(custom, _msg())  # a generated name is a valid channel name
        async with asyncio.timeout(TIMEOUT):
            assert await layer.receive(custom) == _msg()

    async def test_cancelled_receive_does_not_eat_the_next_message(
        self, layer: BaseChannelLayer
    ) -> None:
        channel = await layer.new_channel()
        abandoned = asyncio.create_task(layer.receive(channel))
        await asyncio.sleep(0)
        abandoned.cancel()
        with pytest.raises(asyncio.CancelledError):
            await abandoned
        await layer.send(channel, _msg(n=1))
        async with asyncio.timeout(TIMEOUT):
            assert await layer.receive(channel) == _msg(n=1)

    async def test_concurrent_receivers_share_messages_without_loss(
        self, layer_factory: LayerFactory
    ) -> None:
        layer = await layer_factory(capacity=1000)
        channel = await layer.new_channel("shared.")
        total = 300
        received: list[int] = []
        all_in = asyncio.Event()

        async def reader() -> None:
            while True:
                received.append((await layer.receive(channel))["n"])
                if len(received) == total:
                    all_in.set()

        readers = [asyncio.create_task(reader()) for _ in range(2)]
        try:
            for n in range(total):
                await layer.send(channel, _msg(n=n))
                if n % 7 == 0:
                    await asyncio.sleep(0)  # interleave: some sends find a waiting reader
            async with asyncio.timeout(TIMEOUT):
                await all_in.wait()
        finally:
            for task in readers:
                task.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
        assert sorted(received) == list(range(total))

    # --- validation -----------------------------------------------------------------------

    @pytest.mark.parametrize("name", BAD_CHANNEL_NAMES)
    async def test_invalid_channel_names_are_rejected(
        self, layer: BaseChannelLayer, name: str
    ) -> None:
        with pytest.raises(ValueError, match="Invalid channel name"):
            await layer.send(name, _msg())
        with pytest.raises(ValueError, match="Invalid channel name"):
            await layer.receive(name)
        with pytest.raises(ValueError, match="Invalid channel name"):
            await layer.group_add("group", name)

    @pytest.mark.parametrize("name", BAD_GROUP_NAMES)
    async def test_invalid_group_names_are_rejected(
        self, layer: BaseChannelLayer, name: str
    ) -> None:
        channel = await layer.new_channel()
        with pytest.raises(ValueError, match="Invalid group name"):
            await layer.group_add(name, channel)
        with pytest.raises(ValueError, match="Invalid group name"):
            await layer.group_discard(name, channel)
        with pytest.raises(ValueError, match="Invalid group name"):
            await layer.group_send(name, _msg())

    async def test_non_string_names_are_type_errors(self, layer: BaseChannelLayer) -> None:
        with pytest.raises(TypeError, match="Channel name must be a str"):
            await layer.send(42, _msg())  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="Group name must be a str"):
            await layer.group_send(None, _msg())  # type: ignore[arg-type]

    async def test_a_prefix_that_makes_an_invalid_name_is_rejected(
        self, layer: BaseChannelLayer
    ) -> None:
        with pytest.raises(ValueError, match="Invalid channel name"):
            await layer.new_channel("bad prefix ")

    async def test_channels_name_helpers_accept_good_names_and_raise_type_error(
        self, layer: BaseChannelLayer
    ) -> None:
        """Django Channels' `BaseChannelLayer` helpers, for code written against its layers."""
        channel = await layer.new_channel()
        assert layer.require_valid_channel_name(channel) is True
        assert layer.require_valid_channel_name(channel, receive=True) is True
        assert layer.require_valid_group_name("room-1.a_b") is True
        assert layer.valid_channel_names([channel, "plain.name"]) is True
        assert layer.valid_channel_name(channel) is True
        assert layer.valid_group_name("room") is True
        for bad in ("has space", "x" * layer.MAX_NAME_LENGTH, 42):
            with pytest.raises(TypeError):
                layer.require_valid_channel_name(bad)
        for bad in BAD_GROUP_NAMES:
            with pytest.raises(TypeError, match="roup name"):
                layer.require_valid_group_name(bad)
        with pytest.raises(TypeError, match="non-empty list"):
            layer.valid_channel_names([])
        assert layer.match_type_and_length("a" * (layer.MAX_NAME_LENGTH - 1))
        assert not layer.match_type_and_length("a" * layer.MAX_NAME_LENGTH)
        assert layer.non_local_name(channel) == channel[: channel.index("!") + 1]
        assert layer.non_local_name("plain.name") == "plain.name"

    @pytest.mark.parametrize(
        ("message", "error"),
        [
            ("not a dict", TypeError),
            ([("type", "x")], TypeError),
            ({"text": "no type"}, ValueError),
            ({"type": 3}, TypeError),
        ],
    )
    async def test_invalid_messages_are_rejected(
        self, layer: BaseChannelLayer, message: Any, error: type[Exception]
    ) -> None:
        channel = await layer.new_channel()
        with pytest.raises(error, match=r"message|type"):
            await layer.send(channel, message)
        with pytest.raises(error, match=r"message|type"):
            await layer.group_send("group", message)

    # --- capacity -------------------------------------------------------------------------

    async def test_send_over_capacity_raises_channel_full(
        self, layer_factory: LayerFactory
    ) -> None:
        layer = await layer_factory(capacity=3)
        channel = await layer.new_channel()
        for n in range(3):
            await layer.send(channel, _msg(n=n))
        with pytest.raises(ChannelFull, match="full"):
            await layer.send(channel, _msg(n=3))
        assert layer.stats.dropped_full == 1
        async with asyncio.timeout(TIMEOUT):
            assert (await layer.receive(channel))["n"] == 0
        await layer.send(channel, _msg(n=4))  # room again after one receive

    async def test_channel_capacity_patterns_override_the_default(
        self, layer_factory: LayerFactory
    ) -> None:
        layer = await layer_factory(capacity=5, channel_capacity={"tiny.*": 1})
        tiny, normal = await layer.new_channel("tiny."), await layer.new_channel("normal.")
        await layer.send(tiny, _msg())
        with pytest.raises(ChannelFull):
            await layer.send(tiny, _msg())
        for _ in range(5):
            await layer.send(normal, _msg())

    async def test_group_send_drops_for_a_full_member_and_counts_it(
        self, layer_factory: LayerFactory
    ) -> None:
        layer = await layer_factory(capacity=1)
        full, free = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("room", full)
        await layer.group_add("room", free)
        await layer.send(full, _msg(n=0))
        await layer.group_send("room", _msg(n=1))  # must not raise
        assert layer.stats.dropped_full == 1
        async with asyncio.timeout(TIMEOUT):
            assert (await layer.receive(free))["n"] == 1
            assert (await layer.receive(full))["n"] == 0
        await layer.send(full, _msg(kind="sentinel"))
        async with asyncio.timeout(TIMEOUT):
            assert (await layer.receive(full))["type"] == "sentinel"

    # --- groups ---------------------------------------------------------------------------

    async def _assert_next_is_sentinel(self, layer: BaseChannelLayer, channel: str) -> None:
        """Prove nothing else is queued on `channel` by sending a sentinel after it."""
        await layer.send(channel, _msg(kind="sentinel"))
        async with asyncio.timeout(TIMEOUT):
            assert (await layer.receive(channel))["type"] == "sentinel"

    async def test_group_send_reaches_every_member_exactly_once(
        self, layer: BaseChannelLayer
    ) -> None:
        members = [await layer.new_channel() for _ in range(5)]
        for channel in members:
            await layer.group_add("room", channel)
        await layer.group_add("room", members[0])  # adding twice is still one membership
        await layer.group_send("room", _msg(text="hello"))
        for channel in members:
            async with asyncio.timeout(TIMEOUT):
                assert await layer.receive(channel) == _msg(text="hello")
            await self._assert_next_is_sentinel(layer, channel)

    async def test_group_send_to_an_unknown_group_is_a_no_op(self, layer: BaseChannelLayer) -> None:
        await layer.group_send("nobody-here", _msg())

    async def test_group_discard_stops_delivery(self, layer: BaseChannelLayer) -> None:
        kept, left = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("room", kept)
        await layer.group_add("room", left)
        await layer.group_discard("room", left)
        await layer.group_discard("room", left)  # discarding a non-member is a no-op
        await layer.group_discard("other", kept)
        await layer.group_send("room", _msg(n=1))
        async with asyncio.timeout(TIMEOUT):
            assert (await layer.receive(kept))["n"] == 1
        await self._assert_next_is_sentinel(layer, left)

    async def test_a_channel_in_two_groups_gets_both_broadcasts(
        self, layer: BaseChannelLayer
    ) -> None:
        channel = await layer.new_channel()
        await layer.group_add("room-a", channel)
        await layer.group_add("room-b", channel)
        await layer.group_send("room-a", _msg(src="a"))
        await layer.group_send("room-b", _msg(src="b"))
        async with asyncio.timeout(TIMEOUT):
            assert [(await layer.receive(channel))["src"] for _ in range(2)] == ["a", "b"]
        await layer.group_discard("room-a", channel)
        await layer.group_send("room-a", _msg(src="a"))
        await layer.group_send("room-b", _msg(src="b2"))
        async with asyncio.timeout(TIMEOUT):
            assert (await layer.receive(channel))["src"] == "b2"

    # --- expiry and flush -----------------------------------------------------------------

    async def test_a_message_expires_after_expiry_seconds(
        self, layer_factory: LayerFactory
    ) -> None:
        layer = await layer_factory(expiry=self.short_expiry)
        channel = await layer.new_channel()
        await layer.send(channel, _msg(n="stale"))
        await asyncio.sleep(self.short_expiry * 1.5)
        await layer.send(channel, _msg(n="fresh"))
        async with asyncio.timeout(TIMEOUT):
            assert (await layer.receive(channel))["n"] == "fresh"

    async def test_a_group_membership_expires_after_group_expiry_seconds(
        self, layer_factory: LayerFactory
    ) -> None:
        layer = await layer_factory(group_expiry=self.short_expiry)
        stale, renewed = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("room", stale)
        await asyncio.sleep(self.short_expiry * 1.5)
        await layer.group_add("room", renewed)
        await layer.group_send("room", _msg(n=1))
        async with asyncio.timeout(TIMEOUT):
            assert (await layer.receive(renewed))["n"] == 1
        await self._assert_next_is_sentinel(layer, stale)

    async def test_flush_discards_messages_and_groups(self, layer: BaseChannelLayer) -> None:
        channel = await layer.new_channel()
        await layer.group_add("room", channel)
        await layer.send(channel, _msg(n="before"))
        await layer.flush()
        await layer.group_send("room", _msg(n="group"))
        await self._assert_next_is_sentinel(layer, channel)
        await layer.send(channel, _msg(n="after"))
        async with asyncio.timeout(TIMEOUT):
            assert (await layer.receive(channel))["n"] == "after"
