"""Cost of the camelize formatter per round trip, side by side with pyhumps, in one run.

A round trip is what the runtime does with one client frame and its reply: decode + validate
the frame, then encode the handler's reply (the echo handler returns the message it got).
Every variant runs the same echo frame, a small nested message with snake_case fields,
through the same pydantic models:

- `chanx`: no formatter (the fast path: `validate_json` / `model_dump_json`);
- `chanx camelize`: `camelize = True`, the `chanx-format-camelize` plugin;
- `pyhumps`: what users do today: `json.loads` + `humps.decamelize` + `validate_python`, then
  `model_dump` + `humps.camelize` + `json.dumps` (as upstream chanx does);
- `pyhumps (fast json)`: the same with pydantic_core's JSON parser and serializer, so only
  the key conversion differs from `chanx camelize`.

    .venv/bin/python bench/camelize.py [--rounds 7] [--number 20000] [--json FILE]

Needs `pip install pyhumps` (a peer to measure against, not a dependency of chanx).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
import timeit
from collections.abc import Callable
from typing import Any, Literal

import pydantic
import pydantic_core
from pydantic import BaseModel

from chanx.core.decorators import ws_handler
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.messages.base import BaseMessage


class Author(BaseModel):
    user_id: int
    display_name: str


class EchoPayload(BaseModel):
    message_text: str
    http_status: int
    author: Author
    tag_list: list[str]


class EchoMessage(BaseMessage):
    action: Literal["echo"] = "echo"
    payload: EchoPayload


class Plain(AsyncJsonWebsocketConsumer):
    channel_layer_alias = None

    @ws_handler
    async def handle_echo(self, message: EchoMessage) -> EchoMessage:
        return message


class Camel(Plain):
    camelize = True


SNAKE = {
    "action": "echo",
    "payload": {
        "message_text": "hello",
        "http_status": 200,
        "author": {"user_id": 7, "display_name": "Ada"},
        "tag_list": ["a", "b"],
    },
}


def _camel_frame() -> str:
    import humps

    return json.dumps(humps.camelize(SNAKE), separators=(",", ":"))


def _msgpack_size() -> int | str:
    try:
        import msgpack
    except ImportError:
        return "n/a (msgpack not installed)"
    import humps

    return len(msgpack.packb(humps.camelize(SNAKE)))


def variants() -> dict[str, Callable[[], Any]]:
    """name -> one round trip on the echo frame."""
    import humps
    from pydantic import TypeAdapter

    adapter: TypeAdapter[EchoMessage] = TypeAdapter(EchoMessage)
    snake_text = json.dumps(SNAKE, separators=(",", ":"))
    camel_text = _camel_frame()
    plain, camel = Plain.__chanx_plan__, Camel.__chanx_plan__

    def chanx_plain() -> Any:
        return plain.codec.encode(plain.decoder.decode_text(snake_text))

    def chanx_camel() -> Any:
        return camel.codec.encode(camel.decoder.decode_text(camel_text))

    def pyhumps() -> Any:
        message = adapter.validate_python(humps.decamelize(json.loads(camel_text)))
        return json.dumps(humps.camelize(message.model_dump(mode="json", by_alias=True)))

    def pyhumps_fast() -> Any:
        data = humps.decamelize(pydantic_core.from_json(camel_text))
        message = adapter.validate_python(data)
        dumped = message.model_dump(mode="json", by_alias=True)
        return pydantic_core.to_json(humps.camelize(dumped)).decode()

    assert json.loads(chanx_camel()) == json.loads(pyhumps()) == json.loads(camel_text)
    assert json.loads(chanx_plain()) == SNAKE
    return {
        "chanx": chanx_plain,
        "chanx camelize": chanx_camel,
        "pyhumps": pyhumps,
        "pyhumps (fast json)": pyhumps_fast,
    }


def measure(rounds: int, number: int) -> dict[str, list[float]]:
    """CPU µs per round trip for each variant, `rounds` times, interleaved.

    CPU time of this process, not wall time, so other load on the machine counts less.
    """
    runs: dict[str, list[float]] = {}
    table = variants()
    for _ in range(rounds):
        for name, func in table.items():
            seconds = timeit.timeit(func, number=number, timer=time.process_time)
            runs.setdefault(name, []).append(seconds / number * 1e6)
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--number", type=int, default=20000)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args(argv)
    runs = measure(args.rounds, args.number)
    base = statistics.median(runs["chanx"])
    print(f"echo frame: {_camel_frame()}")
    print(
        f"python {platform.python_version()}, pydantic {pydantic.VERSION}, "
        f"pydantic-core {pydantic_core.__version__}, {args.rounds} rounds x {args.number}"
    )
    print(f"frame bytes: JSON {len(_camel_frame().encode())}, MessagePack {_msgpack_size()}")
    print("| variant | CPU µs per round trip (median) | min | added vs chanx (median) |")
    print("|---|---|---|---|")
    summary = {}
    for name, values in runs.items():
        median = statistics.median(values)
        summary[name] = {"median_us": median, "min_us": min(values), "added_us": median - base}
        print(f"| {name} | {median:.2f} | {min(values):.2f} | {median - base:+.2f} |")
    if args.json_path:
        with open(args.json_path, "w") as handle:
            json.dump({"summary": summary, "runs": runs, "argv": sys.argv}, handle, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
