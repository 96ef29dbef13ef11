"""`GroupTable`: the in-memory layer's memberships, their expiry and each group's laggard."""

from __future__ import annotations

from chanx.layers.memory_channel import LocalChannel
from chanx.layers.memory_groups import GroupTable


def test_a_membership_that_joined_exactly_at_the_cutoff_is_kept() -> None:
    table = GroupTable()
    table.add("room", "a", 10.0)
    table.add("room", "b", 9.5)
    table.expire(10.0)
    assert table.members == {"room": {"a": 10.0}}


def test_expiring_the_last_member_forgets_the_group_and_its_laggard() -> None:
    table = GroupTable()
    table.add("room", "a", 1.0)
    table.laggards["room"] = LocalChannel(4)
    table.expire(5.0)
    assert table.members == {}
    assert table.laggards == {}
    assert list(table) == []


def test_forget_ignores_channels_that_already_left() -> None:
    table = GroupTable()
    table.add("room", "a", 1.0)
    table.add("room", "b", 1.0)
    members = table.members["room"]
    table.forget("room", members, ["a", "gone", "a"])
    assert table.members == {"room": {"b": 1.0}}
    assert list(table) == ["room"]


def test_discarding_the_last_member_forgets_the_group_and_its_laggard() -> None:
    table = GroupTable()
    table.add("room", "a", 1.0)
    table.add("hall", "a", 1.0)
    table.laggards["room"] = LocalChannel(4)
    table.laggards["hall"] = LocalChannel(4)
    table.discard("room", "a")
    table.discard("nowhere", "a")  # not a group: nothing happens
    assert table.members == {"hall": {"a": 1.0}}
    assert list(table.laggards) == ["hall"]


def test_a_renewed_membership_outlives_its_first_join() -> None:
    table = GroupTable()
    table.add("room", "a", 1.0)
    table.add("room", "a", 8.0)
    table.expire(5.0)
    assert table.members == {"room": {"a": 8.0}}


def test_a_one_member_broadcast_does_not_move_the_turn() -> None:
    table = GroupTable()
    assert table.in_turn({"a": 1.0}) == ["a"]
    three = {"a": 1.0, "b": 1.0, "c": 1.0}
    # the start moves on by 0.618 of the size per broadcast: 1.85, 3.71, 5.56 -> b, a, c
    assert [table.in_turn(three)[0] for _ in range(3)] == ["b", "a", "c"]
