"""``settings.CHANX``: consumer defaults, rebuilt plans under override_settings, checks."""

from __future__ import annotations

from typing import Any, Literal

import pytest
from django.core.checks import run_checks
from django.test import override_settings
from pydantic import BaseModel

from chanx import conf
from chanx.channels.settings import check_chanx_setting, consumer_defaults
from chanx.channels.websocket import AsyncJsonWebsocketConsumer
from chanx.conf import value_for
from chanx.core.decorators import ws_handler
from chanx.kernel import get_plugin_host
from chanx.kernel.install import install_hint
from chanx.messages.base import BaseMessage
from chanx.testing.django import WebsocketCommunicator


class Poke(BaseMessage):
    action: Literal["poke"] = "poke"
    payload: None = None


class Defaulted(AsyncJsonWebsocketConsumer):
    @ws_handler
    async def handle_poke(self, message: Poke) -> Poke:
        return Poke()


class Explicit(Defaulted):
    send_completion = False


def test_settings_fill_only_attributes_the_consumer_does_not_set() -> None:
    conf.refresh()
    assert value_for(Defaulted, "send_completion") is False
    assert value_for(Defaulted, "log_ignored_actions") == ("ping", "pong")  # example's CHANX
    with override_settings(CHANX={"SEND_COMPLETION": True, "MAX_PENDING_FRAMES": 9}):
        conf.refresh()
        assert value_for(Defaulted, "send_completion") is True
        assert value_for(Defaulted, "max_pending_frames") == 9
        assert value_for(Explicit, "send_completion") is False
        assert value_for(Explicit, "max_pending_frames") == 9
    conf.refresh()
    assert value_for(Defaulted, "send_completion") is False
    assert value_for(Defaulted, "max_pending_frames") == 256


def test_settings_never_modify_consumer_classes() -> None:
    conf.refresh()
    with override_settings(CHANX={"SEND_COMPLETION": True, "MAX_PENDING_FRAMES": 9}):
        conf.refresh()
        assert "send_completion" not in Defaulted.__dict__
        assert Defaulted.send_completion is None
        assert Defaulted.max_pending_frames is None
        assert Explicit.send_completion is False


async def test_override_settings_changes_behaviour_of_live_connections() -> None:
    app = Defaulted.as_asgi()
    with override_settings(CHANX={"SEND_COMPLETION": True}):
        async with WebsocketCommunicator(app, "/") as ws:
            await ws.send_message(Poke())
            assert await ws.receive_all_messages() == [{"action": "poke", "payload": None}]
    async with WebsocketCommunicator(app, "/") as ws:
        await ws.send_message(Poke())
        assert await ws.receive_json() == {"action": "poke", "payload": None}
        assert await ws.receive_nothing()


async def test_plans_are_rebuilt_when_chanx_changes() -> None:
    before = Defaulted.current_plan()
    with override_settings(CHANX={"DISCRIMINATOR_FIELD": "action"}):
        assert Defaulted.current_plan() is not before
    if "camelize" not in get_plugin_host().formatters.names():
        with override_settings(CHANX={"CAMELIZE": True}):  # a plan that cannot be built ...
            client = WebsocketCommunicator(Defaulted.as_asgi(), "/")
            with pytest.raises(LookupError, match="camelize"):  # ... fails where it is used
                await client.connect()


class NewName(BaseModel):
    new_name: str = "x"


class Renamed(BaseMessage):
    action: Literal["rename"] = "rename"
    payload: NewName


class Renamer(AsyncJsonWebsocketConsumer):
    send_completion = True

    @ws_handler
    async def handle_rename(self, message: Renamed) -> Renamed:
        return Renamed(payload=NewName())


async def test_camelize_setting_applies_to_consumers_that_do_not_set_it() -> None:
    if "camelize" not in get_plugin_host().formatters.names():
        pytest.skip('needs the camelize formatter: pip install "chanx[camelize]"')
    with override_settings(CHANX={"CAMELIZE": True, "SEND_COMPLETION": True}):
        assert value_for(Renamer, "camelize") is True
        async with WebsocketCommunicator(Renamer.as_asgi(), "/") as ws:
            await ws.send_message({"action": "rename", "payload": {"newName": "y"}})
            assert await ws.receive_all_messages() == [
                {"action": "rename", "payload": {"newName": "x"}}
            ]
    assert value_for(Renamer, "camelize") is False


@pytest.mark.parametrize(
    ("value", "ids"),
    [
        ({"SEND_COMPLETION": True, "CHANX_STRICT_PLUGINS": "1"}, []),
        ([], ["chanx.E001"]),
        ({"SEND_COMPLETON": True}, ["chanx.E002"]),
        ({"MAX_PENDING_FRAMES": 0, "CAMELIZE": "yes"}, ["chanx.E003", "chanx.E003"]),
    ],
)
def test_system_checks_report_bad_settings_with_ids(value: Any, ids: list[str]) -> None:
    assert [p[0] for p in check_chanx_setting(value)] == ids
    with override_settings(CHANX=value):
        found = [m.id for m in run_checks(tags=["chanx"]) if m.id.startswith("chanx.E")]
    assert found == ids


def test_unknown_key_suggests_the_close_one() -> None:
    ((_, message, hint),) = check_chanx_setting({"SEND_COMPLETON": True})
    assert "SEND_COMPLETON" in message
    assert hint == "Did you mean 'SEND_COMPLETION'?"


def test_invalid_values_are_ignored_at_runtime_and_reported_by_checks() -> None:
    with override_settings(CHANX={"SEND_COMPLETION": "yes"}):
        assert consumer_defaults() == {}
        assert value_for(Defaulted, "send_completion") is False


def test_plugin_switches_in_chanx_rebuild_the_plugin_host(monkeypatch: Any) -> None:
    from chanx.channels.apps import apply_plugin_switches
    from chanx.kernel import reset_plugin_host

    with override_settings(CHANX={"CHANX_DISABLED_PLUGINS": ["auth-drf"]}):
        apply_plugin_switches()
        assert get_plugin_host().settings.is_disabled("auth-drf")
    reset_plugin_host()
    assert not get_plugin_host().settings.is_disabled("auth-drf")


def test_camelize_without_the_formatter_is_a_check_warning(monkeypatch: Any) -> None:
    from chanx.channels import checks
    from chanx.kernel import PluginSettings, reset_plugin_host

    monkeypatch.setattr(checks, "consumer_defaults", lambda: {"camelize": True})
    reset_plugin_host(PluginSettings(disabled=frozenset({"format-camelize"})))
    try:
        (warning,) = checks.check_camelize_plugin()
        assert warning.id == "chanx.W001"
        assert warning.hint == install_hint("camelize")
    finally:
        reset_plugin_host()
    if "camelize" in get_plugin_host().formatters.names():
        assert checks.check_camelize_plugin() == []
