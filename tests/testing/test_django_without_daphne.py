"""`chanx.testing.django` imports, and its communicator works, without daphne installed."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    sys.modules["daphne"] = None  # as if daphne were not installed

    from django.conf import settings
    settings.configure(
        INSTALLED_APPS=["channels"],
        CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}},
    )
    import django
    django.setup()

    from typing import Literal
    from channels.routing import URLRouter
    from django.urls import path

    from chanx.channels.websocket import AsyncJsonWebsocketConsumer
    from chanx.core.decorators import ws_handler
    from chanx.messages.base import BaseMessage
    from chanx.testing.django import WebsocketCommunicator

    class Echo(BaseMessage):
        action: Literal["echo"] = "echo"

    class EchoConsumer(AsyncJsonWebsocketConsumer):
        send_completion = True

        @ws_handler
        async def handle_echo(self, message: Echo) -> Echo:
            return message

    async def main():
        app = URLRouter([path("ws/", EchoConsumer.as_asgi())])
        async with WebsocketCommunicator(app, "/ws/") as client:
            await client.send_message({"action": "echo", "payload": 1})
            print(await client.receive_all_messages())

    asyncio.run(main())
    import channels.testing
    try:
        channels.testing.ChannelsLiveServerTestCase
    except ModuleNotFoundError as exc:
        print(exc)
    """
)


def test_the_django_communicator_needs_no_daphne() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "[{'payload': 1, 'action': 'echo'}]",
        "channels.testing.ChannelsLiveServerTestCase needs daphne: pip install daphne",
    ]
