"""A layer used in a parent, then inherited by two forked children (as a preloading server
forks its workers): each child joins ``room`` and broadcasts once; prints what each got.

    python forked.py REDIS_URL PREFIX
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from chanx_layer_redis import RedisChannelLayer

CHILDREN = 2


def child(layer: RedisChannelLayer, joined: int, go: int, report: int) -> None:
    async def run() -> None:
        channel = await layer.new_channel()
        await layer.group_add("room", channel)
        os.write(joined, b"j")
        await asyncio.to_thread(os.read, go, 1)  # every child is in the room
        await layer.group_send("room", {"type": "hello", "from": os.getpid()})
        got = []
        async with asyncio.timeout(10):
            while len(got) < CHILDREN:
                got.append((await layer.receive(channel))["from"])
        name = channel.split("!")[0]
        os.write(
            report, (json.dumps({"pid": os.getpid(), "name": name, "got": got}) + "\n").encode()
        )
        await layer.close()

    asyncio.run(run())


def main() -> None:
    layer = RedisChannelLayer(url=sys.argv[1], prefix=sys.argv[2])
    parent_name = asyncio.run(layer.new_channel())  # the parent used it: a loop, connections
    joined_r, joined_w = os.pipe()
    report_r, report_w = os.pipe()
    gos = []
    for _ in range(CHILDREN):
        go_r, go_w = os.pipe()
        if os.fork() == 0:
            try:
                child(layer, joined_w, go_r, report_w)
            finally:
                os._exit(0)
        gos.append(go_w)
    for _ in range(CHILDREN):
        os.read(joined_r, 1)
    for go in gos:
        os.write(go, b"g")
    for _ in range(CHILDREN):
        os.wait()
    os.close(report_w)
    print(json.dumps({"parent": parent_name.split("!")[0], "parent_pid": os.getpid()}))
    with os.fdopen(report_r) as reports:
        sys.stdout.write(reports.read())


if __name__ == "__main__":
    main()
