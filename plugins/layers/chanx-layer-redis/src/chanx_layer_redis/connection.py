"""Build the redis-py asyncio client a `RedisChannelLayer` uses, from its configuration.

One client per layer, over a *blocking* pool of bounded size: redis-py 8 gives every asyncio
pool 100 connections and raises `MaxConnectionsError` instead of waiting, which kills consumers
under a burst of connects. Commands are never retried by redis-py (the layer decides what a
failure means), and every socket operation has a timeout, so no call can hang on a dead server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis, RedisCluster
from redis.asyncio.connection import SSLConnection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

__all__ = ["DEFAULT_URL", "Client", "ClientFactory", "build_client", "node_client", "resolve_url"]

DEFAULT_URL = "redis://127.0.0.1:6379/0"

HostSpec = str | tuple[str, int] | Mapping[str, Any]
Client = Redis | RedisCluster


@dataclass(frozen=True, slots=True)
class ClientFactory:
    """A layer's connection settings: builds a client per event loop (`build`) and, on a
    cluster, a client per master (`node`). See `build_client` for the fields."""

    url: str
    extra: Mapping[str, Any]
    ssl: bool | Mapping[str, Any]
    sentinels: Sequence[tuple[str, int]] | None
    service_name: str | None
    sentinel_kwargs: Mapping[str, Any] | None
    max_connections: int
    socket_timeout: float
    connect_timeout: float
    cluster: bool

    def build(self) -> Client:
        """A new client (one per event loop); raises `ValueError` for a bad configuration."""
        return build_client(
            url=self.url,
            extra=self.extra,
            ssl=self.ssl,
            sentinels=self.sentinels,
            service_name=self.service_name,
            sentinel_kwargs=self.sentinel_kwargs,
            max_connections=self.max_connections,
            socket_timeout=self.socket_timeout,
            connect_timeout=self.connect_timeout,
            cluster=self.cluster,
        )

    def node(self, host: str, port: int) -> Redis:
        """A client for one node of the cluster."""
        return node_client(
            host,
            port,
            url=self.url,
            extra=self.extra,
            ssl=self.ssl,
            socket_timeout=self.socket_timeout,
            connect_timeout=self.connect_timeout,
        )


def resolve_url(url: str | None, hosts: Sequence[HostSpec] | None) -> tuple[str, dict[str, Any]]:
    """Turn ``url`` or ``hosts`` (channels_redis style) into one URL plus extra kwargs.

    Args:
        url: A ``redis://`` or ``rediss://`` URL.
        hosts: One entry: a URL, a ``(host, port)`` pair or a mapping with ``"address"`` (a URL)
            and further connection keyword arguments.

    Returns:
        The URL and the extra connection keyword arguments.

    Raises:
        ValueError: Both or several hosts were given, or an entry has an unknown shape.
    """
    if url is not None and hosts:
        raise ValueError("RedisChannelLayer: give either url=... or hosts=[...], not both.")
    if not hosts:
        return url or DEFAULT_URL, {}
    if isinstance(hosts, str | Mapping) or len(hosts) != 1:
        raise ValueError(
            "RedisChannelLayer hosts must be a list with exactly one entry (for a Redis Cluster, "
            f"give one node as url= with cluster=True), got {hosts!r}."
        )
    host = hosts[0]
    if isinstance(host, str):
        return host, {}
    if isinstance(host, tuple) and len(host) == 2:
        return f"redis://{host[0]}:{int(host[1])}/0", {}
    if isinstance(host, Mapping) and isinstance(host.get("address"), str):
        extra = {key: value for key, value in host.items() if key != "address"}
        return str(host["address"]), extra
    raise ValueError(
        "RedisChannelLayer hosts entries are URLs, (host, port) pairs or mappings with an "
        f"'address' URL, got {host!r}."
    )


def build_client(
    *,
    url: str,
    extra: Mapping[str, Any],
    ssl: bool | Mapping[str, Any],
    sentinels: Sequence[tuple[str, int]] | None,
    service_name: str | None,
    sentinel_kwargs: Mapping[str, Any] | None,
    max_connections: int,
    socket_timeout: float,
    connect_timeout: float,
    cluster: bool = False,
) -> Client:
    """Return a client whose pool waits (up to `socket_timeout`) for a free connection.

    Args:
        url: Server URL (ignored for the address when `sentinels` is set; its password and db
            still apply).
        extra: More connection keyword arguments (e.g. ``password``).
        ssl: True for TLS with default checks, or ``ssl_*`` options such as
            ``{"ssl_ca_certs": "/etc/ca.pem"}``.
        sentinels: ``(host, port)`` of Sentinel servers; then `service_name` names the master.
        service_name: The Sentinel master name.
        sentinel_kwargs: Keyword arguments for the connections to the Sentinels themselves.
        max_connections: Size of the connection pool (the pub/sub reader holds one).
        socket_timeout: Seconds any read or write may take.
        connect_timeout: Seconds a connect may take.
        cluster: `url` is one node of a Redis Cluster: return a `RedisCluster` (it reads the
            slot map from that node and follows MOVED redirections and failovers itself).

    Raises:
        ValueError: `sentinels` without `service_name`, or with `cluster`.
    """
    options = _options(extra, socket_timeout, connect_timeout)
    if cluster:
        if sentinels:
            raise ValueError(
                "RedisChannelLayer: cluster=True and sentinels=[...] exclude each other."
            )
        options.pop("retry")  # the cluster client retries redirections and failovers itself
        if ssl:
            options["ssl"] = True
            if isinstance(ssl, Mapping):
                options.update(ssl)
        return RedisCluster.from_url(url, **options)
    if ssl:
        options["connection_class"] = SSLConnection
        if isinstance(ssl, Mapping):
            options.update(ssl)
    if sentinels:
        if not service_name:
            raise ValueError("RedisChannelLayer: sentinels=[...] needs service_name='mymaster'.")
        from redis.asyncio.sentinel import Sentinel

        options.pop("connection_class", None)
        if ssl:
            options["ssl"] = True
        sentinel = Sentinel(  # type: ignore[no-untyped-call]
            list(sentinels), sentinel_kwargs=dict(sentinel_kwargs or {}), **_url_auth(url)
        )
        client: Redis = sentinel.master_for(
            service_name, max_connections=max_connections, **options
        )
        return client
    pool = BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=socket_timeout, **options
    )
    return Redis(connection_pool=pool)


def node_client(
    host: str,
    port: int,
    *,
    url: str,
    extra: Mapping[str, Any],
    ssl: bool | Mapping[str, Any],
    socket_timeout: float,
    connect_timeout: float,
) -> Redis:
    """A client for one node of a cluster, with the cluster URL's credentials and TLS."""
    options = _options(extra, socket_timeout, connect_timeout)
    options.update(_url_auth(url))
    options.pop("db", None)
    if ssl or url.startswith("rediss://"):
        options["connection_class"] = SSLConnection
        if isinstance(ssl, Mapping):
            options.update(ssl)
    pool = BlockingConnectionPool(
        host=host, port=port, max_connections=4, timeout=socket_timeout, **options
    )
    return Redis(connection_pool=pool)


def _options(
    extra: Mapping[str, Any], socket_timeout: float, connect_timeout: float
) -> dict[str, Any]:
    """Connection options every client of the layer shares."""
    return {
        "socket_timeout": socket_timeout,
        "socket_connect_timeout": connect_timeout,
        "socket_keepalive": True,
        "retry": Retry(NoBackoff(), 0),
        **extra,
    }


def _url_auth(url: str) -> dict[str, Any]:
    """Password and db from a URL, for Sentinel-managed masters."""
    from redis.asyncio.connection import parse_url

    parsed = parse_url(url)
    return {key: parsed[key] for key in ("password", "username", "db") if key in parsed}
