"""On Django the origin allow-list is derived from ALLOWED_HOSTS, CORS and CSRF settings."""

from __future__ import annotations

import pytest
import websockets
from django.test import override_settings

from chanx import conf
from chanx.channels.origins import derive_allowed_origins

from .conftest import Served, app_for


def test_allowed_hosts_give_both_schemes_and_dot_entries_give_subdomains() -> None:
    assert derive_allowed_origins(["Example.com", ".corp.test", "*", "", "::1"]) == (
        "https://example.com",
        "http://example.com",
        "https://*.corp.test",
        "http://*.corp.test",
        "https://corp.test",
        "http://corp.test",
        "https://[::1]",
        "http://[::1]",
    )


def test_cors_and_csrf_origins_are_kept_and_non_origins_skipped() -> None:
    derived = derive_allowed_origins(
        [], ["http://localhost:3000/", "*", "not an origin"], ["https://*.app.test"]
    )
    assert derived == ("http://localhost:3000", "https://*.app.test")


def test_the_derived_list_feeds_the_settings_and_chanx_allowed_origins_wins() -> None:
    app_for("django")
    with override_settings(
        ALLOWED_HOSTS=["*", "site.example"],
        CORS_ALLOWED_ORIGINS=["http://localhost:3000"],
        CSRF_TRUSTED_ORIGINS=["https://*.site.example"],
        CHANX={},
    ):
        conf.refresh()
        assert conf.settings.allowed_origins == (
            "https://site.example",
            "http://site.example",
            "http://localhost:3000",
            "https://*.site.example",
        )
        with override_settings(CHANX={"ALLOWED_ORIGINS": ["https://only.example"]}):
            conf.refresh()
            assert conf.settings.allowed_origins == ("https://only.example",)
    with override_settings(ALLOWED_HOSTS=["*"], CHANX={}):
        conf.refresh()
        assert conf.settings.allowed_origins == ()  # "*" hosts open no origin
    conf.refresh()


@pytest.mark.e2e
@pytest.mark.parametrize("served", ["django"], indirect=True)
async def test_a_site_in_allowed_hosts_connects_from_behind_a_proxy(served: Served) -> None:
    # The proxy forwards to 127.0.0.1, so the page's origin differs from the Host header.
    with override_settings(ALLOWED_HOSTS=["chat.example", "127.0.0.1"]):
        async with served.connect(origin="https://chat.example") as ws:
            await ws.send('{"action": "ping", "payload": "p"}')
            assert "pong" in await ws.recv()
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with served.connect(origin="https://evil.example"):
                pass
        assert refused.value.response.status_code == 403
