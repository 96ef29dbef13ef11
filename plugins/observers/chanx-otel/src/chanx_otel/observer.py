"""`OtelObserver`: OpenTelemetry metrics and spans for the consumers of one class.

Built once per consumer class that selects `"otel"`; chanx then calls only the wrappers it
returns. Per client frame: one SERVER span `<Consumer> <action>` (current while the frame is
served, in the frame's own task), `chanx.frames.received`, `chanx.handler.duration`. Per
channel-layer message: one CONSUMER span, the child of the trace context the sender put in
the message (and linked to it), so a broadcast from an HTTP view, a task or another process
leads to every delivery it caused. Per send: `chanx.frames.sent`, `chanx.frames.errors`.
"""

from __future__ import annotations

import contextvars
import functools
import time
import typing
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from chanx.core.events import RELAY_TYPE
from chanx.messages.outgoing import ErrorMessage
from chanx_otel.telemetry import Telemetry, telemetry

__all__ = ["TRACE_KEY", "OtelConnection", "OtelObserver"]

TRACE_KEY = "trace"
"""The key of a layer message that carries the sender's trace context (W3C headers)."""

INVALID = "(invalid)"
"""`chanx.action` of a client frame that could not be decoded (no handler ran)."""


class _Serving:
    """What the handler wrapper tells the frame (or layer) wrapper around it."""

    __slots__ = ("action", "attributes", "error", "exception", "handler_attributes", "seconds")

    def __init__(self) -> None:
        self.action: str | None = None
        self.attributes: dict[str, str] | None = None
        self.handler_attributes: dict[str, str] | None = None
        self.seconds: float | None = None
        self.exception: BaseException | None = None
        self.error: str | None = None


_serving: contextvars.ContextVar[_Serving | None] = contextvars.ContextVar(
    "chanx_otel_serving", default=None
)


class OtelObserver:
    """The `otel` observer of one consumer class (see the module docstring).

    Args:
        consumer_cls: The consumer class that selected it; its `__qualname__` (without a
            function's `<locals>.`) is the `chanx.consumer` attribute and starts span names.
    """

    name = "otel"

    def __init__(self, consumer_cls: type) -> None:
        self.consumer_cls = consumer_cls
        self.consumer_name = consumer_cls.__qualname__.rsplit("<locals>.", 1)[-1]
        self.base = {"chanx.consumer": self.consumer_name}
        self._actions: dict[str, dict[str, str]] = {}
        self._handlers: dict[tuple[str, str], dict[str, str]] = {}
        self._errors: dict[str, dict[str, str]] = {}

    def action_attributes(self, action: str) -> dict[str, str]:
        """`{chanx.consumer, chanx.action}`, built once per action."""
        found = self._actions.get(action)
        if found is None:
            found = self._actions[action] = {**self.base, "chanx.action": action}
        return found

    def error_attributes(self, reason: str) -> dict[str, str]:
        """`{chanx.consumer, error.type}`, built once per error code."""
        found = self._errors.get(reason)
        if found is None:
            found = self._errors[reason] = {**self.base, "error.type": reason}
        return found

    def handler_attributes(self, action: str, kind: str) -> dict[str, str]:
        """`{chanx.consumer, chanx.action, chanx.handler.kind}`, built once per handler."""
        found = self._handlers.get((action, kind))
        if found is None:
            found = self._handlers[(action, kind)] = {
                **self.action_attributes(action),
                "chanx.handler.kind": kind,
            }
        return found

    def wrap_handler(self, kind: str, action: str, handler: Any) -> Any:
        """Time `handler` and report its action and exception to the enclosing wrapper."""
        perf_counter = time.perf_counter
        attributes = self.action_attributes(action)
        handler_attributes = self.handler_attributes(action, kind)

        @functools.wraps(handler)
        async def observed(consumer: Any, message: Any) -> Any:
            serving = _serving.get()
            if serving is not None:
                serving.action = action
                serving.attributes = attributes
                serving.handler_attributes = handler_attributes
            started = perf_counter()
            try:
                return await handler(consumer, message)
            except Exception as exc:
                if serving is not None:
                    serving.exception = exc
                raise
            finally:
                if serving is not None:
                    serving.seconds = perf_counter() - started

        return observed

    def stamp(self, message: dict[str, Any], layer: Any) -> None:
        """Add a PRODUCER span's context to an outgoing layer message, under `TRACE_KEY`."""
        current = telemetry()
        current.layers.watch(layer, getattr(self.consumer_cls, "channel_layer_alias", None))
        if not current.tracing:
            return
        span = current.tracer.start_span(
            f"{self.consumer_name} publish",
            kind=SpanKind.PRODUCER,
            attributes={**self.base, "chanx.layer.message.type": str(message.get("type"))},
        )
        carrier: dict[str, str] = {}
        propagate.inject(carrier, context=trace.set_span_in_context(span))
        span.end()
        if carrier:
            message[TRACE_KEY] = carrier

    def connect(self, consumer: Any) -> OtelConnection:
        """Start watching one connection of this class."""
        return OtelConnection(self, consumer, telemetry())


class OtelConnection:
    """Metrics and spans of one connection (a `chanx.kernel.contracts.ConnectionObserver`)."""

    def __init__(self, observer: OtelObserver, consumer: Any, current: Telemetry) -> None:
        self.observer = observer
        self.consumer = consumer
        self.telemetry = current
        self.consumer_name = observer.consumer_name
        self.started: float | None = None
        self.relay_action: str | None = None
        self.tracer = current.tracer if current.tracing else None
        """None when spans cannot record (no tracer provider set): frames skip them."""

    @property
    def pending(self) -> int:
        """Client frames waiting behind the one in progress."""
        frames = self.consumer.connection.frames
        return 0 if frames is None else int(frames.pending)

    def refused(self, cause: str, code: int) -> None:
        """Count a refused handshake."""
        self.telemetry.refusals.add(
            1,
            {**self.observer.base, "chanx.refusal.cause": cause, "websocket.close.code": code},
        )

    def opened(self) -> None:
        """Count the connection as open and watch its channel layer."""
        self.started = time.perf_counter()
        self.telemetry.open.add(1, self.observer.base)
        self.telemetry.live.add(self)
        alias = getattr(self.observer.consumer_cls, "channel_layer_alias", None)
        self.telemetry.layers.watch(self.consumer.channel_layer, alias)

    def closed(self, code: int) -> None:
        """Record the connection's duration and close code (only if it was opened)."""
        if self.started is None:
            return
        current, base = self.telemetry, self.observer.base
        current.open.add(-1, base)
        current.duration.record(time.perf_counter() - self.started, base)
        current.closes.add(1, {**base, "websocket.close.code": code})
        current.live.discard(self)
        self.started = None

    def backpressure(self, seconds: float) -> None:
        """Record how long reading was paused for a full backlog."""
        self.telemetry.backpressure.record(seconds, self.observer.base)

    def wrap_frame(self, serve: Any) -> Any:
        """One SERVER span and the frame metrics around each client frame."""
        tracer, observer = self.tracer, self.observer
        received, handler = self.telemetry.received, self.telemetry.handler
        connection, name = self.consumer.connection, self.consumer_name
        invalid = observer.action_attributes(INVALID)
        attach, detach, in_context = (
            otel_context.attach,
            otel_context.detach,
            trace.set_span_in_context,
        )

        async def observed(message: Any) -> None:
            serving = _Serving()
            _serving.set(serving)  # the frame's own context: nothing to reset
            token = None
            if tracer is not None:
                span = tracer.start_span(name, kind=SpanKind.SERVER)
                if span.is_recording():
                    token = attach(in_context(span))
                    was_open = connection.open
            try:
                await serve(message)
            finally:
                attributes = serving.attributes or invalid
                received.add(attributes)
                if serving.seconds is not None:
                    handler.record(serving.seconds, serving.handler_attributes)
                if token is not None:
                    detach(token)
                    _finish(span, f"{name} {serving.action or INVALID}", attributes, serving)
                    if was_open and not connection.open and connection.close_code is not None:
                        span.set_attribute("websocket.close.code", connection.close_code)
                    span.end()

        return observed

    def wrap_layer(self, serve: Any) -> Any:
        """One CONSUMER span per event or relay, child of (and linked to) the sender's."""
        tracer, observer = self.tracer, self.observer
        handler, name = self.telemetry.handler, self.consumer_name
        disc = self.consumer._plan.discriminator_field
        attach, detach, in_context = (
            otel_context.attach,
            otel_context.detach,
            trace.set_span_in_context,
        )

        async def observed(message: dict[str, Any]) -> None:
            kind = message.get("type")
            serving = _Serving()
            reset = _serving.set(serving)
            token = None
            if tracer is not None:
                carrier = message.get(TRACE_KEY)
                parent = propagate.extract(carrier) if carrier else None
                links = None
                if parent is not None:
                    sender = trace.get_current_span(parent).get_span_context()
                    links = [Link(sender)] if sender.is_valid else None
                span = tracer.start_span(name, context=parent, kind=SpanKind.CONSUMER, links=links)
                if span.is_recording():
                    token = attach(in_context(span))
            relay = None
            if kind == RELAY_TYPE:
                relay = self.relay_action = (message.get("message") or {}).get(disc)
            try:
                await serve(message)
            finally:
                _serving.reset(reset)
                self.relay_action = None
                action = serving.action or relay or "(unhandled)"
                if serving.seconds is not None:
                    handler.record(serving.seconds, serving.handler_attributes)
                if token is not None:
                    detach(token)
                    attributes = observer.action_attributes(action)
                    _finish(span, f"{name} {action}", attributes, serving)
                    span.set_attribute("chanx.layer.message.type", str(kind))
                    span.end()

        return observed

    def wrap_send(self, send_frame: Any) -> Any:
        """Count every frame sent (when it is handed to the connection), errors by reason."""
        observer, sent, errors = self.observer, self.telemetry.sent, self.telemetry.errors
        plan = self.consumer._plan
        known = {
            id(plan.complete_frame): "complete",
            id(plan.event_complete_frame): "event_complete",
            id(plan.group_complete_frame): "group_complete",
            id(plan.internal_error_frame): "error",
        }
        internal_error = id(plan.internal_error_frame)

        by_type: dict[type, dict[str, str]] = {}

        def observed(frame: Any, message: Any = None) -> Any:
            # A plain function returning the send's coroutine: no extra coroutine per frame.
            reason = None
            if message is None:
                action = known.get(id(frame))
                if id(frame) == internal_error:
                    reason = "internal_error"
                sent.add(observer.action_attributes(action or self.relay_action or "(frame)"))
            elif isinstance(message, ErrorMessage):
                reason = message.payload.code
                sent.add(observer.action_attributes("error"))
            else:
                attributes = by_type.get(type(message))
                if attributes is None:
                    action = getattr(message, type(message).discriminator_field, None)
                    attributes = observer.action_attributes(str(action))
                    if action is not None and _fixed(message):
                        by_type[type(message)] = attributes
                sent.add(attributes)
            if reason is not None:
                errors.add(observer.error_attributes(reason))
                serving = _serving.get()
                if serving is not None:
                    serving.error = reason
            return send_frame(frame, message)

        return observed


def _fixed(message: Any) -> bool:
    """Whether every instance of `message`'s type has the same action (a one-value Literal)."""
    field = type(message).model_fields.get(type(message).discriminator_field)
    return field is not None and len(typing.get_args(field.annotation)) == 1


def _finish(span: Any, name: str, attributes: dict[str, str], serving: _Serving) -> None:
    """Name the span after its action and put the outcome on it."""
    span.update_name(name)
    span.set_attributes(attributes)
    if serving.exception is not None:
        span.record_exception(serving.exception)
        span.set_attribute("error.type", type(serving.exception).__qualname__)
        span.set_status(Status(StatusCode.ERROR, type(serving.exception).__qualname__))
    elif serving.error is not None:
        span.set_attribute("error.type", serving.error)
        span.set_status(Status(StatusCode.ERROR, serving.error))
