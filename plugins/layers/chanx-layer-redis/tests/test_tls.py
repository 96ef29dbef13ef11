"""TLS: a redis-server with ``--tls-port`` and a certificate authority made by the test.

The layer verifies the server's certificate and host name by default: trusting the test's
CA is needed, and a certificate for another host name is refused.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chanx_layer_redis import RedisChannelLayer, RedisUnavailable

from chanx.layers import confirmed_sends

from .conftest import REDIS_SERVER, OwnRedis, free_port, require_binary

pytestmark = pytest.mark.redis

FAST = {"connect_timeout": 1.0, "socket_timeout": 2.0, "reconnect_backoff": (0.05, 0.5)}
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_certificates(workdir: Path) -> None:
    """A CA, and two server certificates it signs: for 127.0.0.1 and for another name."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test-ca",
            "-keyout", "ca.key", "-out", "ca.pem", cwd=workdir)  # fmt: skip
    for name, san in (("server", "IP:127.0.0.1"), ("other", "DNS:redis.example.org")):
        (workdir / f"{name}.ext").write_text(f"subjectAltName={san}\n")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
                "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=workdir)  # fmt: skip
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "1", "-extfile", f"{name}.ext",
                "-out", f"{name}.pem", cwd=workdir)  # fmt: skip


class TlsRedis:
    """A redis-server answering TLS only on `port`, with the certificate `cert`."""

    def __init__(self, workdir: Path, cert: str) -> None:
        self.port = free_port()
        self.ca = str(workdir / "ca.pem")
        self.url = f"rediss://127.0.0.1:{self.port}/0"
        tls = ["--tls-port", str(self.port), "--tls-cert-file", str(workdir / f"{cert}.pem")]
        tls += ["--tls-key-file", str(workdir / f"{cert}.key"), "--tls-ca-cert-file", self.ca]
        tls += ["--tls-auth-clients", "no"]
        self.server = OwnRedis(workdir / cert, tls)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_binary(REDIS_SERVER, "the TLS tests start their own server")
    require_binary(OPENSSL, "the TLS tests make their certificates with it")
    workdir = tmp_path_factory.mktemp("tls")
    make_certificates(workdir)
    return workdir


@pytest.fixture
def tls_redis(certificates: Path, request: Any) -> Iterator[TlsRedis]:
    server = TlsRedis(certificates, getattr(request, "param", "server"))
    server.server.start()
    try:
        yield server
    finally:
        server.server.stop()


async def test_two_layers_talk_over_tls_with_the_server_certificate_verified(
    tls_redis: TlsRedis, prefix: str
) -> None:
    ssl = {"ssl_ca_certs": tls_redis.ca}
    one = RedisChannelLayer(url=tls_redis.url, prefix=prefix, ssl=ssl, **FAST)  # type: ignore[arg-type]
    two = RedisChannelLayer(url=tls_redis.url, prefix=prefix, ssl=ssl, **FAST)  # type: ignore[arg-type]
    try:
        theirs = await two.new_channel()
        await two.group_add("room", theirs)
        assert two.connected
        with confirmed_sends():
            await one.group_send("room", {"type": "over-tls"})
        await one.send(theirs, {"type": "direct"})
        async with asyncio.timeout(5):
            assert await two.receive(theirs) == {"type": "over-tls"}
            assert await two.receive(theirs) == {"type": "direct"}
    finally:
        await one.close()
        await two.close()


async def test_a_server_certificate_from_an_unknown_authority_is_refused(
    tls_redis: TlsRedis, prefix: str
) -> None:
    layer = RedisChannelLayer(url=tls_redis.url, prefix=prefix, **FAST)  # type: ignore[arg-type]
    try:
        with confirmed_sends(), pytest.raises(RedisUnavailable, match="certificate verify failed"):
            await layer.group_send("room", {"type": "never"})
        await layer.new_channel()
        assert not layer.connected
    finally:
        await layer.close()


@pytest.mark.parametrize("tls_redis", ["other"], indirect=True)
async def test_a_certificate_for_another_host_name_is_refused(
    tls_redis: TlsRedis, prefix: str
) -> None:
    ssl = {"ssl_ca_certs": tls_redis.ca}
    layer = RedisChannelLayer(url=tls_redis.url, prefix=prefix, ssl=ssl, **FAST)  # type: ignore[arg-type]
    try:
        with confirmed_sends(), pytest.raises(RedisUnavailable, match="match"):
            await layer.group_send("room", {"type": "never"})
    finally:
        await layer.close()
