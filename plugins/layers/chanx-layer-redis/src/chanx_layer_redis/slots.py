"""A Redis Cluster's slot map as the layer sees it: which master owns which hash slot.

The pub/sub reader and the publisher of a cluster layer each keep one (``CLUSTER SLOTS``,
asked of any node they know), so that their view of the cluster changes only when they decide
to look, and a dead master affects only the channels whose slots it owns. redis-py's
`RedisCluster` keeps one shared state instead: a connection error on one master makes it
re-initialise (and ask the default node, perhaps the dead one, for its command table) before
any further command, so while one master fails over every shard's commands fail.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from redis.crc import key_slot
from redis.exceptions import RedisError

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["SlotMap"]

Address = tuple[str, int]


class SlotMap:
    """The masters owning the cluster's slot ranges, by the last ``CLUSTER SLOTS`` read.

    Args:
        node_client: Builds a plain client for one node's ``(host, port)``.
        seeds: Nodes to ask first (the configured node); every node seen is asked later.
    """

    def __init__(self, node_client: Callable[[str, int], Redis], seeds: Iterable[Address]) -> None:
        self._node_client = node_client
        self.known: set[Address] = set(seeds)
        self._starts: list[int] = []
        self._masters: list[tuple[int, str, int]] = []  # (last slot, host, port) per range

    @property
    def loaded(self) -> bool:
        """Whether the map was read at least once."""
        return bool(self._starts)

    def master_of(self, key: bytes) -> Address:
        """``(host, port)`` of the master owning `key`'s slot.

        Raises:
            RedisError: No master owns it (the map was never read, or the cluster is
                incomplete).
        """
        slot = key_slot(key)
        index = bisect.bisect_right(self._starts, slot) - 1
        if index < 0 or slot > self._masters[index][0]:
            raise RedisError(f"no master owns the slot of {key!r} (the cluster is incomplete)")
        _, host, port = self._masters[index]
        return host, port

    async def read(self, avoid: Address | None = None) -> None:
        """Ask the known nodes, one after another (`avoid` last), for ``CLUSTER SLOTS``.

        Raises:
            RedisError: No node answered.
        """
        error: Exception | None = None
        for host, port in sorted(self.known, key=lambda node: (node == avoid, node)):
            client = self._node_client(host, port)
            try:
                reply: Any = await client.execute_command("CLUSTER SLOTS")  # type: ignore[no-untyped-call]
            except (RedisError, OSError) as exc:
                error = exc
                continue
            finally:
                await client.aclose(close_connection_pool=True)
            ranges = []
            for start, end, master, *replicas in reply:
                for node in (master, *replicas):
                    self.known.add((_host(node[0], host), int(node[1])))
                ranges.append((int(start), int(end), _host(master[0], host), int(master[1])))
            ranges.sort()
            self._starts = [start for start, *_ in ranges]
            self._masters = [(end, node_host, node_port) for _, end, node_host, node_port in ranges]
            return
        raise RedisError(f"no node of the cluster answered CLUSTER SLOTS: {error}")


def _host(announced: bytes | str, asked: str) -> str:
    """A node's host from CLUSTER SLOTS (empty: the one that was asked)."""
    text = announced.decode() if isinstance(announced, bytes) else announced
    return text or asked
