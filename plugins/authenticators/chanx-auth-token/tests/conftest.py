"""Django set up once (the chat example's settings) for the Django-adapter tests."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from chanx.testing.django import setup_django

EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "django_chat"
os.environ.setdefault("CHAT_DATABASE", str(Path(tempfile.mkdtemp()) / "chat.sqlite3"))
setup_django("chat_project.settings", path=EXAMPLE)


@pytest.fixture(autouse=True)
def _fresh_django_layers() -> Iterator[None]:
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()
