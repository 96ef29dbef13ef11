"""Sentinel: a real master and replica watched by three real Sentinels; the master is killed
and the layers follow the promoted replica."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from chanx_layer_redis import RedisChannelLayer

from chanx.layers import confirmed_sends

from .conftest import REDIS_HOST, REDIS_SERVER, OwnRedis, free_port, ping, require_binary

pytestmark = pytest.mark.redis

SERVICE = "mymaster"
FAST = {"connect_timeout": 0.5, "socket_timeout": 1.0, "reconnect_backoff": (0.05, 0.3)}


class SentinelGroup:
    """A master, its replica and three Sentinels (quorum 2) on loopback ports."""

    def __init__(self, workdir: Path) -> None:
        self.master = OwnRedis(workdir / "master")
        self.replica = OwnRedis(
            workdir / "replica", ["--replicaof", REDIS_HOST, str(self.master_port)]
        )
        self.sentinels: list[OwnRedis] = []
        for n in range(3):
            port = free_port()
            config = workdir / f"sentinel-{n}" / "sentinel.conf"
            config.parent.mkdir(parents=True)
            config.write_text(
                f"sentinel monitor {SERVICE} {REDIS_HOST} {self.master_port} 2\n"
                f"sentinel down-after-milliseconds {SERVICE} 500\n"
                f"sentinel failover-timeout {SERVICE} 5000\n"
            )
            # redis-server CONFIG --sentinel: the Sentinel rewrites its config file as it learns
            self.sentinels.append(OwnRedis(config.parent, ["--sentinel"], port=port, config=config))

    @property
    def master_port(self) -> int:
        return self.master.port

    @property
    def addresses(self) -> list[tuple[str, int]]:
        return [(REDIS_HOST, sentinel.port) for sentinel in self.sentinels]

    def start(self) -> None:
        self.master.start()
        self.replica.start()
        for sentinel in self.sentinels:
            sentinel.start()
        self.wait_for(lambda: self.master_seen() == self.master.port and self.replica_synced())

    def stop(self) -> None:
        for server in [*self.sentinels, self.replica, self.master]:
            server.stop()

    def master_seen(self) -> int | None:
        """The master's port as every Sentinel reports it (None while they disagree)."""
        ports = set()
        for sentinel in self.sentinels:
            with redis.Redis(REDIS_HOST, sentinel.port, socket_timeout=1) as client:
                address = client.execute_command("SENTINEL", "get-master-addr-by-name", SERVICE)
                ports.add(int(address[1]) if address else None)
        return ports.pop() if len(ports) == 1 else None

    def replica_synced(self) -> bool:
        with redis.Redis(REDIS_HOST, self.replica.port, socket_timeout=1) as client:
            info = client.info("replication")
        return info.get("master_link_status") == "up"

    @staticmethod
    def wait_for(condition: Any, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "the Sentinel group did not get there in time"
            time.sleep(0.1)


@pytest.fixture
def sentinel_group(tmp_path: Path) -> Iterator[SentinelGroup]:
    require_binary(REDIS_SERVER, "the Sentinel test starts its own servers and Sentinels")
    group = SentinelGroup(tmp_path)
    try:
        group.start()
        yield group
    finally:
        group.stop()


async def test_after_the_master_dies_the_layers_follow_the_promoted_replica(
    sentinel_group: SentinelGroup, prefix: str, record_property: Any
) -> None:
    config = {"sentinels": sentinel_group.addresses, "service_name": SERVICE, **FAST}
    one = RedisChannelLayer(prefix=prefix, **config)  # type: ignore[arg-type]
    two = RedisChannelLayer(prefix=prefix, **config)  # type: ignore[arg-type]
    try:
        theirs = await two.new_channel()
        await two.group_add("room", theirs)
        with confirmed_sends():
            await one.group_send("room", {"type": "m", "n": -1})
        async with asyncio.timeout(5):
            assert (await two.receive(theirs))["n"] == -1

        killed = time.monotonic()
        sentinel_group.master.stop()
        sent = 0
        async with asyncio.timeout(30):  # one message every 20 ms until one gets through
            while True:
                await one.group_send("room", {"type": "m", "n": sent})
                sent += 1
                try:
                    async with asyncio.timeout(0.02):
                        first = (await two.receive(theirs))["n"]
                    break
                except TimeoutError:
                    continue
        resumed = time.monotonic() - killed
        # every Sentinel names the promoted replica (some may learn it after the layers did)
        sentinel_group.wait_for(lambda: sentinel_group.master_seen() == sentinel_group.replica.port)
        assert ping(sentinel_group.replica.port)
        record_property("failover_resumed_after_s", round(resumed, 2))
        record_property("failover_lost_messages", first)
        print(f"sentinel failover: delivery resumed after {resumed:.2f} s, {first} lost")

        with confirmed_sends():  # from now on nothing is lost
            for n in range(sent, sent + 50):
                await one.group_send("room", {"type": "m", "n": n})
        async with asyncio.timeout(5):
            got = [(await two.receive(theirs))["n"] for _ in range(sent - first - 1 + 50)]
        assert got == list(range(first + 1, sent + 50))
        assert two.stats.reconnects >= 1
    finally:
        await one.close()
        await two.close()
