"""`manage.py chanx_client`: the client of a Django Channels project's consumers."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytest.importorskip("channels")

from chanx.testing.django import setup_django

EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "django_chat"
os.environ.setdefault("CHAT_DATABASE", str(Path(tempfile.mkdtemp()) / "chat.sqlite3"))
setup_django("chat_project.settings", path=EXAMPLE)

from django.core.management import call_command  # noqa: E402
from django.http import Http404  # noqa: E402
from django.test import RequestFactory, override_settings  # noqa: E402
from django.urls import include, path, resolve  # noqa: E402


def test_the_command_generates_the_project_client_and_checks_it(tmp_path: Path) -> None:
    with override_settings(CHANX_ASYNCAPI={"TITLE": "Django chat"}):
        call_command("chanx_client", "--lang", "python", "-o", str(tmp_path))
        package = tmp_path / "django_chat_client"
        room = (package / "room_chat.py").read_text()
        assert 'address: ClassVar[str] = "/ws/rooms/{pk}/"' in room
        assert "        pk: str," in room
        call_command("chanx_client", "--lang", "python", "-o", str(tmp_path), "--check")
        (package / "room_chat.py").write_text(room + "# edited\n")
        with pytest.raises(SystemExit) as exited:
            call_command("chanx_client", "--lang", "python", "-o", str(tmp_path), "--check")
    assert exited.value.code == 1


def test_the_docs_urlconf_serves_client_archives_only_for_client_generators() -> None:
    module = ModuleType("client_download_urls")
    module.urlpatterns = [path("docs/", include("chanx.channels.asyncapi_urls"))]  # type: ignore[attr-defined]

    def get(url: str) -> Any:
        match = resolve(url, urlconf=module)
        return match.func(RequestFactory().get(url), *match.args, **match.kwargs)

    with override_settings(DEBUG=True, CHANX_ASYNCAPI={"TITLE": "Django chat"}):
        page = get("/docs/").content.decode()
        archive = get("/docs/asyncapi.python-client.zip")
        with pytest.raises(Http404):
            get("/docs/asyncapi.html.zip")
    assert 'href="asyncapi.python-client.zip"' in page
    assert archive["Content-Type"] == "application/zip"
    assert archive.content.startswith(b"PK")
