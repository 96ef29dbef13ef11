"""The chat example project, set up once, with users, rooms and tokens for each test."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


def _user(name: str) -> Any:
    from django.contrib.auth.models import User

    return User.objects.create_user(f"{name}-{uuid.uuid4().hex[:8]}")  # no password: no hashing


@pytest.fixture
def alice() -> Any:
    """A member of `room`."""
    return _user("alice")


@pytest.fixture
def bob() -> Any:
    """A user who is not a member of `room`."""
    return _user("bob")


@pytest.fixture
def room(alice: Any) -> Any:
    from chat.models import ChatRoom

    created = ChatRoom.objects.create(name="general")
    created.members.add(alice)
    return created


@pytest.fixture
def token_of() -> Any:
    """`token_of(user)`: a DRF token key for `user`."""
    from rest_framework.authtoken.models import Token

    return lambda user: Token.objects.get_or_create(user=user)[0].key
