"""Redis Cluster: three masters and three replicas started by the tests, sharded pub/sub,
two uvicorn processes, and a master failover with its loss counted."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import redis
import websockets
from chanx_layer_redis import RedisChannelLayer
from redis.crc import key_slot

from chanx.layers import confirmed_sends

from .conftest import REDIS_HOST, LocalCluster

pytestmark = [pytest.mark.redis, pytest.mark.e2e]

HERE = Path(__file__).resolve().parent
FAST = {"connect_timeout": 0.5, "socket_timeout": 1.0, "reconnect_backoff": (0.05, 0.3)}
CAPACITY = 5000  # messages of the failover that arrive at once must not be dropped as "full"


def masters(cluster: LocalCluster) -> dict[int, tuple[int, int]]:
    """Each master's port and the slot ranges it owns (asked of the first live node)."""
    for node in cluster.nodes:
        try:
            with redis.Redis(REDIS_HOST, node.port, socket_timeout=2) as client:
                slots = client.execute_command("CLUSTER SLOTS")
            break
        except redis.ConnectionError:
            continue
    else:
        raise AssertionError("no node of the cluster answers")
    owners: dict[int, tuple[int, int]] = {}
    for entry in slots:
        start, end, master = entry[0], entry[1], entry[2]
        owners[int(start)] = (int(end), int(master[1]))
    return owners


def owner_port(cluster: LocalCluster, channel: str) -> int:
    slot = key_slot(channel.encode())
    for start, (end, port) in masters(cluster).items():
        if start <= slot <= end:
            return port
    raise AssertionError(f"no master owns slot {slot}")


def replica_of(port: int) -> int | None:
    """The port of the master a node replicates, or None for a master."""
    with redis.Redis(REDIS_HOST, port, socket_timeout=2) as client:
        info = client.info("replication")
    return int(info["master_port"]) if info.get("role") == "slave" else None


def shard_subscribers(port: int, channel: str) -> int:
    with redis.Redis(REDIS_HOST, port, socket_timeout=2) as client:
        reply = client.execute_command("PUBSUB", "SHARDNUMSUB", channel)
    return int(reply[1])


def move_slot(slot: int, source: int, target: int, masters_ports: list[int]) -> None:
    """Reshard: hand `slot` (holding no keys) from master `source` to master `target`."""

    def client(port: int) -> redis.Redis:
        return redis.Redis(REDIS_HOST, port, socket_timeout=2)

    with client(source) as src, client(target) as dst:
        source_id, target_id = (
            src.execute_command("CLUSTER MYID"),
            dst.execute_command("CLUSTER MYID"),
        )
        dst.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", source_id)
        src.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", target_id)
        assert src.execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 0
    for port in [target, source, *(p for p in masters_ports if p not in (source, target))]:
        with client(port) as node:
            node.execute_command("CLUSTER", "SETSLOT", slot, "NODE", target_id)


async def next_frame(ws: Any, timeout: float = 10) -> dict[str, str]:
    async with asyncio.timeout(timeout):
        frame: dict[str, str] = json.loads(await ws.recv())
        return frame


async def test_two_uvicorn_processes_share_groups_through_sharded_pub_sub(
    cluster: LocalCluster, prefix: str, servers: Any
) -> None:
    env = {**os.environ, "CHANX_TEST_REDIS_URL": cluster.url, "CHANX_TEST_PREFIX": prefix}
    env["CHANX_TEST_CLUSTER"] = "1"
    with servers(2, env) as running:
        clients = [await websockets.connect(s.url) for s in running for _ in range(2)]
        try:
            names = []
            for ws in clients:
                await ws.send('{"action": "whoami"}')
                names.append((await next_frame(ws))["payload"])
            room = f"{prefix}:g:room"
            assert shard_subscribers(owner_port(cluster, room), room) == 2  # one per process

            for n in range(100):
                await clients[0].send(json.dumps({"action": "say", "payload": f"m{n}"}))
            expected = [f"m{n}" for n in range(100)]
            for ws in clients:
                assert [(await next_frame(ws))["payload"] for _ in range(100)] == expected

            proc = await asyncio.create_subprocess_exec(
                sys.executable, "sender.py", "sync", "5", names[2], cwd=HERE, env=env
            )
            async with asyncio.timeout(60):
                assert await proc.wait() == 0
            for index, ws in enumerate(clients):
                wanted = [f"poke:sync-{n}" for n in range(5)] + ["poke:sync-direct"] * (index == 2)
                assert [(await next_frame(ws))["payload"] for _ in wanted] == wanted
        finally:
            for ws in clients:
                await ws.close()


async def test_a_group_follows_its_slot_when_the_cluster_is_resharded(
    cluster: LocalCluster, prefix: str
) -> None:
    config: dict[str, Any] = {"url": cluster.url, "prefix": prefix, "cluster": True, **FAST}
    one, two = RedisChannelLayer(**config), RedisChannelLayer(**config)
    try:
        channel = await two.new_channel()
        await two.group_add("moving", channel)
        key = f"{prefix}:g:moving"
        source = owner_port(cluster, key)
        ports = sorted({port for _, port in masters(cluster).values()})
        target = next(port for port in ports if port != source)
        assert shard_subscribers(source, key) == 1
        with confirmed_sends():
            await one.group_send("moving", {"type": "m", "n": "before"})
        async with asyncio.timeout(5):
            assert (await two.receive(channel))["n"] == "before"

        move_slot(key_slot(key.encode()), source, target, ports)
        # Redis unsubscribes the channel on the old owner; the layer resubscribes on the new.
        async with asyncio.timeout(10):
            while shard_subscribers(target, key) != 1:  # noqa: ASYNC110 (Redis has no event)
                await asyncio.sleep(0.05)
        assert shard_subscribers(source, key) == 0
        with confirmed_sends():  # the publisher follows the MOVED redirection
            await one.group_send("moving", {"type": "m", "n": "after"})
        async with asyncio.timeout(5):
            assert (await two.receive(channel))["n"] == "after"
    finally:
        await one.close()
        await two.close()


async def test_a_master_failover_loses_only_what_was_sent_before_the_replica_took_over(
    cluster: LocalCluster, prefix: str, record_property: Any
) -> None:
    ports = sorted({port for _, port in masters(cluster).values()})
    groups: dict[int, str] = {}
    n = 0
    while len(groups) < len(ports):  # one group per master
        groups.setdefault(owner_port(cluster, f"{prefix}:g:g{n}"), f"g{n}")
        n += 1
    config: dict[str, Any] = {"url": cluster.url, "prefix": prefix, "cluster": True, **FAST}
    one = RedisChannelLayer(capacity=CAPACITY, **config)
    two = RedisChannelLayer(capacity=CAPACITY, **config)
    try:
        channels = {}
        for port, group in groups.items():
            channels[group] = await two.new_channel()
            await two.group_add(group, channels[group])
            assert shard_subscribers(port, f"{prefix}:g:{group}") == 1
        await one.new_channel()  # `one` serves connections too: its group sends are queued
        with confirmed_sends():
            for group in groups.values():
                await one.group_send(group, {"type": "m", "n": -1})
        async with asyncio.timeout(5):
            for channel in channels.values():
                assert (await two.receive(channel))["n"] == -1

        # The victim is the master of `one`'s own process channel: `one`'s reader loses it too.
        victim_port = owner_port(cluster, one.process_key.decode())
        victim = groups[victim_port]
        node = next(node for node in cluster.nodes if node.port == victim_port)
        replica = next(node for node in cluster.nodes if replica_of(node.port) == victim_port)
        other = next(group for group in groups.values() if group != victim)
        replica.pause()  # no failover can complete until the other shard has been checked
        try:
            killed = time.monotonic()
            node.stop()
            async with asyncio.timeout(10):
                while one.connected:  # noqa: ASYNC110 (its reader notices the closed connection)
                    await asyncio.sleep(0.01)
            await one.group_send(victim, {"type": "m", "n": "into-the-void"})  # fails: no master
            with confirmed_sends():  # the other shards keep working meanwhile
                await one.group_send(other, {"type": "m", "n": "during"})
            async with asyncio.timeout(15):  # generous: a loaded machine is slow
                assert (await two.receive(channels[other]))["n"] == "during"
        finally:
            replica.resume()

        sent = 0
        async with asyncio.timeout(60):  # one message every 20 ms until one gets through
            while True:
                await one.group_send(victim, {"type": "m", "n": sent})
                sent += 1
                try:
                    async with asyncio.timeout(0.02):
                        first = (await two.receive(channels[victim]))["n"]
                    break
                except TimeoutError:
                    continue
        resumed = time.monotonic() - killed
        record_property("cluster_failover_resumed_after_s", round(resumed, 2))
        record_property("cluster_failover_lost_messages", first)
        print(f"cluster failover: delivery resumed after {resumed:.2f} s, {first} lost")
        assert owner_port(cluster, f"{prefix}:g:{victim}") != victim_port  # a replica took over
        assert resumed < 20

        with confirmed_sends():  # from now on nothing is lost, on any shard
            for group in groups.values():
                for k in range(20):
                    await one.group_send(group, {"type": "m", "n": f"after-{k}"})
        async with asyncio.timeout(10):
            tail = [(await two.receive(channels[victim]))["n"] for _ in range(sent - first - 1)]
            assert tail == list(range(first + 1, sent))
            for channel in channels.values():
                got = [(await two.receive(channel))["n"] for _ in range(20)]
                assert got == [f"after-{k}" for k in range(20)]
    finally:
        await one.close()
        await two.close()
