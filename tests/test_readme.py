"""The README's example runs and behaves as its comments say."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from chanx.testing import WebsocketCommunicator

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_example() -> dict[str, Any]:
    (block,) = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    exec(compile(block, str(README), "exec", dont_inherit=True), namespace)
    return namespace


def test_quick_start_has_exactly_the_two_commands() -> None:
    quick = README.read_text().split("## Quick start", 1)[1].split("##", 1)[0]
    (commands,) = re.findall(r"```sh\n(.*?)```", quick, flags=re.DOTALL)
    lines = [line.split("#")[0].strip() for line in commands.strip().splitlines()]
    assert lines == ["python3 dev.py demo", "python3 dev.py test"]


async def test_readme_consumer_replies_and_broadcasts() -> None:
    example = readme_example()
    app = example["app"]
    consumer = example["ChatConsumer"]
    app.routes[0].app.consumer_initkwargs["send_completion"] = True
    async with (
        WebsocketCommunicator(app, "/ws/chat") as alice,
        WebsocketCommunicator(app, "/ws/chat") as bob,
    ):
        await alice.send_message({"action": "ping"})
        assert await alice.receive_all_messages() == [{"action": "pong", "payload": None}]
        await alice.send_message({"action": "say", "payload": "hi"})
        expected = [{"action": "say", "payload": "hi"}]
        assert await alice.receive_all_messages(("complete", "group_complete")) == expected
        assert await bob.receive_all_messages("group_complete") == expected
        await bob.send_text("{oops")
        (error,) = await bob.receive_all_messages(("complete",))
        assert error["action"] == "error"
    assert consumer.__chanx_plan__.channel.name == "chat"
