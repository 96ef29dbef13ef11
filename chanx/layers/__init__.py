"""Channel layers: the contract, the in-memory layer and the alias manager."""

from __future__ import annotations

from chanx.layers.base import BaseChannelLayer, LayerStats
from chanx.layers.confirm import confirmed_sends, sends_confirmed
from chanx.layers.exceptions import (
    ChannelFull,
    InvalidLayerConfig,
    LayerClosed,
    LayerNotConfigured,
)
from chanx.layers.manager import close_layers, configure_layers, get_channel_layer, reset_layers
from chanx.layers.memory import InMemoryChannelLayer

__all__ = [
    "BaseChannelLayer",
    "ChannelFull",
    "InMemoryChannelLayer",
    "InvalidLayerConfig",
    "LayerClosed",
    "LayerNotConfigured",
    "LayerStats",
    "close_layers",
    "configure_layers",
    "confirmed_sends",
    "get_channel_layer",
    "reset_layers",
    "sends_confirmed",
]
