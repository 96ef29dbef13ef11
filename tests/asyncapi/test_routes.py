"""Serving the documents from Starlette and FastAPI."""

from __future__ import annotations

import json

import httpx
import yaml
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.routing import Mount

from chanx.asyncapi.starlette import asyncapi_routes, mount_asyncapi


def client_of(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://docs.test")


async def test_one_line_serves_json_yaml_and_html(fastapi_app: FastAPI) -> None:
    mount_asyncapi(fastapi_app, title="Pets", enabled=True)
    async with client_of(fastapi_app) as client:
        as_json = await client.get("/asyncapi.json")
        assert as_json.status_code == 200
        assert as_json.headers["content-type"] == "application/json"
        doc = as_json.json()
        assert doc["info"]["title"] == "Pets"
        assert set(doc["channels"]) == {"camel", "chat", "pets"}
        as_yaml = await client.get("/asyncapi.yaml")
        assert as_yaml.headers["content-type"].startswith("application/yaml")
        assert yaml.safe_load(as_yaml.text) == doc
        page = await client.get("/asyncapi")
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        policy = page.headers["content-security-policy"]
        assert policy.startswith("default-src 'none';")
        assert "connect-src 'self';" in policy
        assert 'id="channel-pets"' in page.text
        assert (await client.get("/asyncapi.json")).content == as_json.content


async def test_off_outside_debug_unless_enabled(consumers: object) -> None:
    for debug, enabled, status in [
        (False, None, 404),
        (True, None, 200),
        (True, False, 404),
        (False, True, 200),
    ]:
        app = Starlette(debug=debug)
        mount_asyncapi(app, enabled=enabled)
        async with client_of(app) as client:
            for path in ("/asyncapi", "/asyncapi.json", "/asyncapi.yaml"):
                assert (await client.get(path)).status_code == status, (debug, enabled, path)


async def test_routes_go_first_so_a_catch_all_mount_does_not_hide_them(
    starlette_app: Starlette,
) -> None:
    outer = Starlette(routes=[Mount("", app=starlette_app)])
    mount_asyncapi(outer, path="/docs/ws", enabled=True)
    async with client_of(outer) as client:
        doc = (await client.get("/docs/ws.json")).json()
    assert doc["channels"]["chat"]["address"] == "/ws/chat/{room}"


async def test_asyncapi_routes_can_serve_chosen_formats_only(starlette_app: Starlette) -> None:
    routes = asyncapi_routes(starlette_app, enabled=True, formats={".json": "asyncapi-json"})
    app = Starlette(routes=routes)
    async with client_of(app) as client:
        assert json.loads((await client.get("/asyncapi.json")).text)["asyncapi"] == "3.1.0"
        assert (await client.get("/asyncapi")).status_code == 404
