"""`chanx demo`: serve the demo chat app with uvicorn.

```
chanx demo                       # http://127.0.0.1:8000/
chanx demo --port 0              # any free port; the URL printed says which
chanx demo --host 0.0.0.0 --public
```

The server listens on loopback unless `--public` is given: the demo lets anyone take any
name and checks no `Origin`, so it should not be reachable from other machines by accident.
"""

from __future__ import annotations

import argparse
import ipaddress
import socket
import sys
from typing import Any

from chanx.kernel.install import install_hint

__all__ = ["INSTALL_HINT", "add_arguments", "run"]

INSTALL_HINT = f"the demo needs FastAPI and uvicorn: {install_hint('demo')}"

EXIT_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare `chanx demo`'s options on its subparser.

    Args:
        parser: The `demo` subparser.
    """
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=8000,
        help="port to listen on; 0 picks a free one (default: %(default)s)",
    )
    parser.add_argument(
        "--public",
        action="store_true",
        help="allow a non-loopback --host: the demo has no real authentication and no "
        "Origin check, so only do this on a network you trust",
    )


def run(args: argparse.Namespace) -> int:
    """Serve the demo until interrupted.

    Args:
        args: The parsed options (`host`, `port`, `public`).

    Returns:
        0 after a clean shutdown; 2 when the demo's dependencies are missing, the host is
        not loopback without `--public`, or the address cannot be bound.
    """
    try:
        import fastapi  # noqa: F401
        import uvicorn
        import websockets  # noqa: F401  (uvicorn's WebSocket implementation)
    except ImportError:
        print(INSTALL_HINT, file=sys.stderr)
        return EXIT_USAGE
    try:
        family, sockaddr = _resolve(args.host, args.port)
    except OSError as exc:
        print(f"chanx demo: cannot resolve --host {args.host}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    address = ipaddress.ip_address(sockaddr[0])
    if not address.is_loopback and not args.public:
        print(
            f"chanx demo: refusing to listen on {args.host} ({address}), which is not a "
            f"loopback address: anyone who can reach it could join any room under any name. "
            f"Pass --public to do it anyway, or use --host 127.0.0.1.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        sock = _bind(family, sockaddr)
    except OSError as exc:
        print(f"chanx demo: cannot listen on {args.host} port {args.port}: {exc}", file=sys.stderr)
        return EXIT_USAGE

    from chanx.demo.app import app

    url = _url(address, sock.getsockname()[1])

    class DemoServer(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                note = " (listening on every interface)" if address.is_unspecified else ""
                print(f"chanx demo: open {url} in two browser tabs{note}", flush=True)
                print("chanx demo: press Ctrl+C to stop", flush=True)

    config = uvicorn.Config(app, ws="websockets-sansio", log_level="warning")
    try:
        DemoServer(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0


def _port(text: str) -> int:
    """argparse type: a TCP port number, 0 meaning any free port."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not between 0 and 65535")
    return port


def _resolve(host: str, port: int) -> tuple[socket.AddressFamily, tuple[Any, ...]]:
    """The address family and socket address that `host` resolves to first."""
    family, _, _, _, sockaddr = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    return family, sockaddr


def _bind(family: socket.AddressFamily, sockaddr: tuple[Any, ...]) -> socket.socket:
    """A TCP socket bound to `sockaddr` (uvicorn makes it listen)."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(sockaddr)
    except OSError:
        sock.close()
        raise
    return sock


def _url(address: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int) -> str:
    """The URL a browser on this machine opens to reach the server."""
    if address.is_unspecified:
        address = ipaddress.ip_address("::1" if address.version == 6 else "127.0.0.1")
    host = f"[{address}]" if address.version == 6 else str(address)
    return f"http://{host}:{port}/"
