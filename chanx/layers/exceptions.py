"""Errors raised by channel layers and the layer alias manager."""

from __future__ import annotations

__all__ = ["ChannelFull", "InvalidLayerConfig", "LayerClosed", "LayerNotConfigured"]


class ChannelFull(Exception):
    """A `send` found the target channel at its capacity; the message was not queued."""


class LayerClosed(RuntimeError):
    """The layer was closed; it accepts no more sends, receives or group changes."""


class LayerNotConfigured(LookupError):
    """No channel layer is configured under the requested alias."""


class InvalidLayerConfig(ValueError):
    """A layer alias configuration is malformed or its backend cannot be built."""
