"""Opening a connection: authenticate, take a user slot, join groups, then accept.

Everything that can refuse a connection happens before `websocket.accept`, so that when a
client sees its socket open it is authenticated and already in its groups (a broadcast sent
the moment the socket opens reaches it). A refusal still accepts and then closes with a 44xx
code, so browsers can read the code (a close before accept shows them only 1006).

Credential refresh (an authenticator's `refresh_action`) is served here too: the plan routes
that action like any other message (`refresh_route`), through the consumer's own decoder,
so it works on every wire (JSON, camelized, msgpack).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from pydantic import create_model

from chanx.core.close_codes import CloseCode
from chanx.core.connection import Connection
from chanx.core.limits import Limits, acquire_user_slot
from chanx.core.process import state
from chanx.layers.exceptions import LayerNotConfigured
from chanx.messages.base import BaseMessage
from chanx.messages.outgoing import AuthenticationMessage, AuthenticationPayload

if TYPE_CHECKING:
    from chanx.core.authenticator import BaseAuthenticator
    from chanx.core.codec import Frame, WireCodec
    from chanx.kernel.contracts import ChannelLayer


class PlanView(Protocol):
    """What opening a connection reads of the consumer's plan (`ConsumerPlan`)."""

    @property
    def authenticator_factory(self) -> Any: ...
    @property
    def authenticate_takes_scope(self) -> bool: ...
    @property
    def codec(self) -> WireCodec: ...
    @property
    def consumer(self) -> str: ...
    @property
    def event_routes(self) -> Mapping[str, Any]: ...


class Admitted(Protocol):
    """The consumer as opening a connection sees it (`chanx.core.consumer.BaseConsumer`)."""

    scope: MutableMapping[str, Any]
    connection: Connection
    authenticator: Any
    authenticated: bool
    channel_layer: ChannelLayer | None
    channel_name: str
    groups: list[str]
    send_authentication_message: bool | None
    channel_layer_alias: ClassVar[str | None]

    @property
    def _plan(self) -> PlanView: ...

    @property
    def user(self) -> Any:
        """The authenticated user."""

    def get_channel_layer(self) -> ChannelLayer | None:
        """The consumer's channel layer."""

    async def post_authentication(self) -> None:
        """The consumer's hook after the connection opened."""

    async def _send_frame(self, frame: Frame, message: BaseMessage | None = None) -> None: ...


__all__ = [
    "EXPIRED_REASON",
    "Admitted",
    "open_connection",
    "refresh_message_type",
    "refresh_route",
    "refuse",
]

logger = logging.getLogger("chanx.consumer")

EXPIRED_REASON = "credentials expired"
_STATUS_TEXT = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 500: "Server Error"}


async def open_connection(consumer: Admitted, limits: Limits) -> bool:
    """Authenticate, admit the user, join the groups, accept, run `post_authentication`.

    Returns:
        True when the connection is open and serving; False when it was refused (it is
        then accepted and closed with the refusal's code).
    """
    connection = consumer.connection
    if not await _authenticate(consumer):
        return False
    if not acquire_user_slot(connection, consumer.user, limits.max_connections_per_user):
        await refuse(
            consumer,
            CloseCode.TOO_MANY_CONNECTIONS,
            429,
            "too many connections for this user",
            announce=False,
        )
        return False
    consumer.authenticated = True
    await _join_groups(consumer)
    await connection.accept(_subprotocol(consumer))
    if consumer.send_authentication_message and consumer._plan.authenticator_factory is not None:
        await send_auth_frame(consumer, 200, "OK")
    arm_expiry(consumer)
    try:
        await consumer.post_authentication()
    except Exception:
        logger.exception("%s.post_authentication raised", type(consumer).__qualname__)
        await connection.close(CloseCode.INTERNAL_ERROR)
        return False
    from chanx.kernel import get_plugin_host

    host = get_plugin_host()
    if host.has_connection_opened_observers:
        host.connection_opened(consumer)
    return connection.open


async def _authenticate(consumer: Admitted) -> bool:
    plan = consumer._plan
    factory = plan.authenticator_factory
    if factory is None:
        return True
    authenticator: BaseAuthenticator = factory(consumer.scope)
    consumer.authenticator = authenticator
    from chanx.core.authenticator import AuthenticationFailed

    try:
        if plan.authenticate_takes_scope:
            accepted = await authenticator.authenticate(consumer.scope)  # type: ignore[call-arg]
        else:
            accepted = await authenticator.authenticate()
    except AuthenticationFailed as failure:
        await refuse(consumer, failure.close_code, failure.status_code, failure.reason)
        return False
    except Exception:
        logger.exception("authenticator %s raised", type(authenticator).__qualname__)
        await refuse(consumer, CloseCode.INTERNAL_ERROR, 500, "")
        return False
    if not accepted:
        await refuse(consumer, CloseCode.UNAUTHENTICATED, 401, "")
        return False
    return True


async def _join_groups(consumer: Admitted) -> None:
    try:
        layer = consumer.get_channel_layer()
    except LayerNotConfigured as missing:
        _missing_layer(consumer, str(missing))
        return
    if layer is None:
        alias = consumer.channel_layer_alias
        if alias is not None:  # Django Channels answers None for an alias it does not know
            _missing_layer(
                consumer,
                f"no channel layer is configured under the alias {alias!r}; add it to "
                f"CHANNEL_LAYERS (Django) or configure_layers(), or set channel_layer_alias "
                f"= None.",
            )
        return
    consumer.channel_layer = layer
    consumer.channel_name = await layer.new_channel()
    for group in consumer.groups:
        await layer.group_add(group, consumer.channel_name)


def _missing_layer(consumer: Admitted, problem: str) -> None:
    """Say once per class that a consumer which needs a layer runs without one."""
    plan = consumer._plan
    if not (consumer.groups or plan.event_routes) or plan.consumer in state.missing_layers:
        return
    state.missing_layers.add(plan.consumer)
    logger.error(
        "%s runs without a channel layer: %s It joins no groups (%s), and broadcasts and "
        "events fail until the layer is configured.",
        type(consumer).__qualname__,
        problem,
        ", ".join(consumer.groups) or "none",
        extra={"consumer": plan.consumer, "connection_id": consumer.connection.id},
    )


def _subprotocol(consumer: Admitted) -> str | None:
    choose = getattr(consumer._plan.authenticator_factory, "select_subprotocol", None)
    return None if choose is None else choose(consumer.scope)


async def refuse(
    consumer: Admitted, close_code: int, status: int, reason: str, *, announce: bool = True
) -> None:
    """Refuse the connection: accept if not yet accepted, say why if asked to, then close."""
    connection: Connection = consumer.connection
    if not connection.open and connection.aborted is None:
        try:
            await connection.accept(_subprotocol(consumer))
        except Exception:  # the client is already gone
            connection.mark_closed()
            return
    if announce and consumer.send_authentication_message:
        await send_auth_frame(consumer, status, reason or _STATUS_TEXT.get(status, "Refused"))
    await connection.close(close_code, reason[:120])


async def send_auth_frame(consumer: Admitted, status: int, text: str) -> None:
    """Send an `authentication` frame with `status` and `text`."""
    message = AuthenticationMessage(
        payload=AuthenticationPayload(status_code=status, status_text=text)
    )
    await consumer._send_frame(consumer._plan.codec.encode(message), message)


def arm_expiry(consumer: Admitted) -> None:
    """(Re)arm the close at the authenticator's `expires_at` (a no-op without one)."""
    expires_at = getattr(consumer.authenticator, "expires_at", None)

    async def expire() -> None:
        logger.info("%s: credentials expired; closing", type(consumer).__qualname__)
        await consumer.connection.close(CloseCode.UNAUTHENTICATED, EXPIRED_REASON)

    consumer.connection.arm_expiry(expires_at, expire)


async def refresh_route(consumer: Admitted, message: Any) -> None:
    """The handler of an authenticator's `refresh_action` message (added by the plan)."""
    authenticator = consumer.authenticator
    from chanx.core.authenticator import AuthenticationFailed

    try:
        await authenticator.refresh(getattr(message, "payload", None))
    except AuthenticationFailed as failure:
        consumer.connection.disarm_expiry()
        await refuse(consumer, failure.close_code, failure.status_code, failure.reason)
        return
    except Exception:
        logger.exception("authenticator %s.refresh raised", type(authenticator).__qualname__)
        consumer.connection.disarm_expiry()
        await refuse(consumer, CloseCode.INTERNAL_ERROR, 500, "")
        return
    arm_expiry(consumer)
    await send_auth_frame(consumer, 200, "Credentials refreshed")


def refresh_message_type(consumer: str, action: str, disc: str) -> type[BaseMessage]:
    """The message class of an authenticator's `refresh_action`: `{disc: action, payload}`."""
    fields: Any = {disc: (Literal[action], action), "payload": (Any, None)}
    message = create_model(
        f"{consumer}RefreshMessage",
        __base__=BaseMessage,
        __cls_kwargs__={"abstract": disc != BaseMessage.discriminator_field},
        **fields,
    )
    if disc != BaseMessage.discriminator_field:
        message.discriminator_field = disc
    return message
