"""Channels' `WebsocketCommunicator`, importable without daphne.

``channels.testing``'s package module imports its live-server test case, which needs daphne,
even when only the communicator is wanted. When daphne is missing, the package is registered
without running that module, so the communicator (which needs only asgiref) still imports;
the live-server test case then says which package to install.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from typing import Any

__all__ = ["ChannelsCommunicator"]

_LIVE = "ChannelsLiveServerTestCase"


def _without_live_server() -> types.ModuleType:
    """Register a ``channels.testing`` package whose live-server name explains daphne."""
    spec = importlib.util.find_spec("channels")
    if spec is None or spec.submodule_search_locations is None:
        raise ModuleNotFoundError("chanx.testing.django needs Channels", name="channels")
    package = types.ModuleType("channels.testing")
    package.__path__ = [f"{next(iter(spec.submodule_search_locations))}/testing"]
    package.__package__ = "channels.testing"

    def missing(name: str) -> Any:
        if name == _LIVE:
            raise ModuleNotFoundError(
                f"channels.testing.{_LIVE} needs daphne: pip install daphne", name="daphne"
            )
        raise AttributeError(f"module 'channels.testing' has no attribute {name!r}")

    package.__getattr__ = missing  # type: ignore[method-assign]
    sys.modules["channels.testing"] = package
    import channels

    channels.testing = package  # pyright: ignore[reportAttributeAccessIssue]
    return package


try:
    from channels.testing import WebsocketCommunicator as ChannelsCommunicator
except ModuleNotFoundError as exc:  # pragma: no cover - exercised in a subprocess test
    if (exc.name or "").partition(".")[0] != "daphne":
        raise
    _without_live_server()
    from channels.testing.websocket import WebsocketCommunicator as ChannelsCommunicator
