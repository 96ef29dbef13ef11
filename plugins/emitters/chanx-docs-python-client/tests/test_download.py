"""The docs page offers the generated clients for download, and the routes serve them."""

from __future__ import annotations

import io
import zipfile
from types import ModuleType

import httpx
from starlette.applications import Starlette

from chanx.asyncapi.starlette import mount_asyncapi


async def test_the_page_links_each_client_and_the_route_serves_the_archive(
    fixture_app_module: ModuleType,
) -> None:
    app = Starlette(routes=list(fixture_app_module.app.routes))
    mount_asyncapi(app, title="fixture", enabled=True)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        page = (await client.get("/asyncapi")).text
        archive = await client.get("/asyncapi.python-client.zip")
        typescript = await client.get("/asyncapi.typescript-client.zip")
    assert '<a href="asyncapi.python-client.zip" download>Python</a>' in page
    assert '<a href="asyncapi.typescript-client.zip" download>TypeScript</a>' in page
    assert archive.headers["content-type"] == "application/zip"
    assert archive.headers["content-disposition"] == 'attachment; filename="python-client.zip"'
    with zipfile.ZipFile(io.BytesIO(archive.content)) as files:
        assert "fixture_client/room.py" in files.namelist()
    with zipfile.ZipFile(io.BytesIO(typescript.content)) as files:
        assert "fixture_client/room.ts" in files.namelist()
