"""Django's ``settings.CHANX`` feeds the same security settings store as `chanx.configure()`."""

from __future__ import annotations

import pytest
from django.test import override_settings

from chanx import conf
from chanx.channels.settings import check_chanx_setting
from chanx.core.close_codes import CloseCode

from .conftest import Served, app_for, closed_with


def test_chanx_setting_is_read_and_reverted() -> None:
    app_for("django")
    with override_settings(
        CHANX={"MAX_FRAME_BYTES": 123, "ALLOWED_ORIGINS": ["https://a.example"]}
    ):
        conf.refresh()
        assert conf.settings.max_frame_bytes == 123
        assert conf.settings.allowed_origins == ("https://a.example",)
    conf.refresh()
    assert conf.settings.max_frame_bytes == conf.DEFAULTS.max_frame_bytes


def test_configure_wins_over_chanx_setting() -> None:
    conf.configure(max_frame_bytes=77)
    with override_settings(CHANX={"MAX_FRAME_BYTES": 123}):
        conf.refresh()
        assert conf.settings.max_frame_bytes == 77


def test_system_checks_report_bad_security_values() -> None:
    problems = check_chanx_setting(
        {"MAX_FRAME_BYTES": -1, "ALLOWED_ORIGINS": ["example.com"], "SEND_TIMEOUT": 5}
    )
    assert [p[0] for p in problems] == ["chanx.E003", "chanx.E003"]
    assert "not an origin" in problems[1][1]
    typo = check_chanx_setting({"MAX_FRAME_BYTE": 1})
    assert typo[0][0] == "chanx.E002"
    assert "MAX_FRAME_BYTES" in typo[0][2]


@pytest.mark.e2e
@pytest.mark.parametrize("served", ["django"], indirect=True)
async def test_chanx_setting_applies_to_live_django_connections(served: Served) -> None:
    with override_settings(CHANX={"MAX_FRAME_BYTES": 100}):
        async with served.connect() as ws:
            await ws.send('{"action": "ping", "payload": "' + "x" * 200 + '"}')
            code, _ = await closed_with(ws)
    assert code == CloseCode.MESSAGE_TOO_BIG
