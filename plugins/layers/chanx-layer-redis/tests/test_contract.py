"""The Redis layer passes chanx's `LayerContract` against a real Redis server."""

from __future__ import annotations

from typing import Any

import pytest
from chanx_layer_redis import RedisChannelLayer

from chanx.layers.base import BaseChannelLayer
from chanx.testing.layer_contract import LayerContract

pytestmark = pytest.mark.redis


class TestRedisLayerContract(LayerContract):
    short_expiry = 0.2

    @pytest.fixture(autouse=True)
    def _server(self, redis_url: str, prefix: str) -> None:
        self.url = redis_url
        self.prefix = prefix

    async def make_layer(self, **config: Any) -> BaseChannelLayer:
        return RedisChannelLayer(url=self.url, prefix=self.prefix, **config)
