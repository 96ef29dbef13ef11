"""A crowd consumer for the several-workers tests, on either adapter (see `test_workers.py`).

Every connection joins ``crowd`` and may subscribe to ``stage/<n>`` topics (presence tracked and
pushed, with the serving pid as each member's info; ``shout`` broadcasts on the topic). ``whoami``
answers with the serving process's id and the connection's channel name, ``say`` is
broadcast to the crowd, a ``news`` event (sent from anywhere) is relayed to the client.
``?user=<name>`` authenticates as `name`: one user may hold ``OPS_PER_USER`` connections (2
by default) in each process.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar, Literal

from chanx.core.authenticator import BaseAuthenticator
from chanx.core.decorators import event_handler, ws_handler
from chanx.core.topic import Topic
from chanx.messages.base import BaseMessage

PER_USER = int(os.environ.get("OPS_PER_USER", "2"))


class Say(BaseMessage):
    action: Literal["say"] = "say"
    payload: str


class Said(BaseMessage):
    action: Literal["said"] = "said"
    payload: str


class WhoAmI(BaseMessage):
    action: Literal["whoami"] = "whoami"
    payload: None = None


class YouAre(BaseMessage):
    action: Literal["you_are"] = "you_are"
    payload: dict[str, Any]


class News(BaseMessage):
    action: Literal["news"] = "news"
    payload: str


class Shout(BaseMessage):
    action: Literal["shout"] = "shout"
    payload: str


class Shouted(BaseMessage):
    action: Literal["shouted"] = "shouted"
    payload: str


class Present(BaseMessage):
    action: Literal["present"] = "present"
    payload: None = None


class PresentList(BaseMessage):
    action: Literal["present_list"] = "present_list"
    payload: list[Any]


class Stage(Topic[Shouted]):
    pattern = "stage/{n}"
    history_size = 50
    track_presence = True
    presence_events = True

    async def presence_info(self) -> dict[str, Any] | None:
        return {"pid": os.getpid()}

    @ws_handler
    async def handle_shout(self, message: Shout) -> None:
        await Stage.broadcast(self.topic, Shouted(payload=message.payload))

    @ws_handler
    async def handle_present(self, message: Present) -> PresentList:
        members = await Stage.presence(self.topic)
        return PresentList(payload=sorted(m.info["pid"] for m in members if m.info))


class QueryUser(BaseAuthenticator):
    """``?user=<name>`` is user `name`; without it the connection is anonymous."""

    async def authenticate(self) -> bool:
        self.user = self.get_query_param("user")
        return True


def crowd(base: type[Any]) -> type[Any]:
    """The crowd consumer on adapter base class `base`."""

    class Crowd(base):  # type: ignore[misc,valid-type]
        groups: ClassVar[list[str]] = ["crowd"]
        topics = [Stage]
        authenticator_class = QueryUser
        max_connections_per_user = PER_USER

        @ws_handler
        async def handle_whoami(self, message: WhoAmI) -> YouAre:
            return YouAre(payload={"pid": os.getpid(), "channel": self.channel_name})

        @ws_handler
        async def handle_say(self, message: Say) -> None:
            await self.broadcast_message(Said(payload=message.payload))

        @event_handler
        async def on_news(self, event: News) -> News:
            return event

    return Crowd
