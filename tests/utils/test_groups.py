from __future__ import annotations

import re

import pytest

from chanx.utils import MAX_GROUP_NAME_LENGTH, safe_group_name


def test_parts_are_joined_after_the_namespace() -> None:
    assert safe_group_name("user", 42, namespace="notification") == "notification.user.42"


def test_refused_characters_become_one_dash_and_empty_parts_are_dropped() -> None:
    assert safe_group_name("room", "Weekly Sync!") == "room.Weekly-Sync"
    assert safe_group_name("a@b.com", "", "???", "x") == "a-b.com.x"


def test_long_names_are_cut_with_a_digest_that_tells_them_apart() -> None:
    one = safe_group_name("room", "x" * 200 + "1")
    two = safe_group_name("room", "x" * 200 + "2")
    assert len(one) == len(two) == MAX_GROUP_NAME_LENGTH
    assert one != two
    assert one == safe_group_name("room", "x" * 200 + "1")
    assert re.fullmatch(r"[A-Za-z0-9._-]+", one)


def test_nothing_usable_is_an_error() -> None:
    with pytest.raises(ValueError, match="no usable characters"):
        safe_group_name("!!!", " ")
