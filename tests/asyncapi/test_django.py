"""Django: routed consumers from Channels' routing, the views, the URLconf and the command."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.test import override_settings

from chanx.testing.django import setup_django

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "django_chat"
os.environ.setdefault("CHAT_DATABASE", str(Path(tempfile.mkdtemp()) / "chat.sqlite3"))
setup_django("chat_project.settings", path=EXAMPLE)

from channels.routing import URLRouter  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import Http404  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.urls import include, path, re_path, resolve  # noqa: E402

from chanx.asyncapi import build_api_model, render, routed_consumers  # noqa: E402
from chanx.channels.routing import include as ws_include  # noqa: E402


def application() -> Any:
    from chat_project.asgi import application

    return application


def test_channels_routing_is_walked_through_protocol_router_and_middleware() -> None:
    found = routed_consumers(application())
    assert [(r.address, r.consumer_class.__name__, r.parameters) for r in found] == [
        ("/ws/announcements/", "AnnouncementConsumer", ()),
        ("/ws/notifications/", "NotificationConsumer", ()),
        ("/ws/rooms/{pk}/", "RoomChatConsumer", (("pk", "int"),)),
    ]


def test_re_path_and_nested_routers_give_addresses_with_parameters() -> None:
    from chat.consumers import RoomChatConsumer

    router = URLRouter(
        [
            re_path(r"^ws/x/(?P<room>[a-z]+)/(?P<n>\d+)/$", RoomChatConsumer.as_asgi()),
            path("api/", ws_include([path("r/<slug:s>/", RoomChatConsumer.as_asgi())])),
        ]
    )
    assert [(r.address, r.parameters) for r in routed_consumers(router)] == [
        ("/api/r/{s}/", (("s", "slug"),)),
        ("/ws/x/{room}/{n}/", (("room", "str"), ("n", "str"))),
    ]


def test_django_documents_pass_the_official_parser(tmp_path: Path, asyncapi_parser: Any) -> None:
    model = build_api_model(application(), title="Django chat")
    files = []
    for emitter, suffix in (("asyncapi-json", "json"), ("asyncapi-yaml", "yaml")):
        target = tmp_path / f"django.{suffix}"
        target.write_text(str(render(model, emitter)))
        files.append(target)
    assert [r["errors"] for r in asyncapi_parser(*files)] == [[], []]


def urlconf() -> ModuleType:
    module = ModuleType("asyncapi_test_urls")
    module.urlpatterns = [path("docs/", include("chanx.channels.asyncapi_urls"))]  # type: ignore[attr-defined]
    return module


def get(url: str) -> Any:
    match = resolve(url, urlconf=urlconf())
    return match.func(RequestFactory().get(url), *match.args, **match.kwargs)


def test_the_urlconf_serves_the_page_json_and_yaml() -> None:
    with override_settings(DEBUG=True, CHANX_ASYNCAPI={"TITLE": "Django chat"}):
        page = get("/docs/")
        doc = json.loads(get("/docs/asyncapi.json").content)
        as_yaml = get("/docs/asyncapi.yaml")
    assert page["Content-Type"] == "text/html; charset=utf-8"
    assert "connect-src 'self';" in page["Content-Security-Policy"]
    assert b'id="channel-' in page.content
    assert doc["info"]["title"] == "Django chat"
    assert "/ws/rooms/{pk}/" in {c["address"] for c in doc["channels"].values()}
    assert as_yaml["Content-Type"].startswith("application/yaml")
    assert resolve("/docs/asyncapi.json", urlconf=urlconf()).view_name == "chanx_asyncapi:json"


@pytest.mark.parametrize(
    ("debug", "enabled", "served"),
    [(False, None, False), (True, None, True), (True, False, False), (False, True, True)],
)
def test_off_outside_debug_unless_enabled(debug: bool, enabled: bool | None, served: bool) -> None:
    with override_settings(DEBUG=debug, CHANX_ASYNCAPI={"ENABLED": enabled}):
        if served:
            assert get("/docs/asyncapi.json").status_code == 200
        else:
            with pytest.raises(Http404):
                get("/docs/asyncapi.json")


def test_an_unknown_setting_key_is_reported() -> None:
    from django.core.exceptions import ImproperlyConfigured

    with (
        override_settings(DEBUG=True, CHANX_ASYNCAPI={"TITEL": "x"}),
        pytest.raises(ImproperlyConfigured, match="unknown key"),
    ):
        get("/docs/asyncapi.json")


def test_the_management_command_writes_and_checks(tmp_path: Path) -> None:
    target = tmp_path / "asyncapi.yaml"
    with override_settings(CHANX_ASYNCAPI={"TITLE": "From settings"}):
        call_command("asyncapi", "--format", "yaml", "-o", str(target))
        assert "title: From settings" in target.read_text()
        call_command("asyncapi", "--format", "yaml", "-o", str(target), "--check")
        target.write_text(target.read_text() + "# edited\n")
        with pytest.raises(SystemExit) as exited:
            call_command("asyncapi", "--format", "yaml", "-o", str(target), "--check")
    assert exited.value.code == 1
