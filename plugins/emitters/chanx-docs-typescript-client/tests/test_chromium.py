"""The same compiled TypeScript client, unchanged, in headless Chromium against real uvicorn.

The server serves the fixture consumers, the compiled modules and a page that imports them,
runs `checks.js` and posts the results back; Chromium only has to load the page.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from chanx.testing.server import LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

PAGE = """<!doctype html>
<meta charset="utf-8">
<title>chanx TypeScript client</title>
<script type="module">
const token = new URLSearchParams(location.search).get("token");
const lib = {};
const report = (body) => fetch("/results", { method: "POST", body: JSON.stringify(body) });
try {
  const { runChecks } = await import("/js/checks.js");
  for (const name of ["room", "secure", "camel", "packed", "chat"]) {
    lib[name] = await import(`/js/${name}.js`);
  }
  const url = location.origin.replace(/^http/, "ws");
  await report({ results: await runChecks(lib, url, token, { headers: false }) });
} catch (error) {
  await report({ error: String(error && error.stack || error) });
}
</script>
"""

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


async def test_the_client_works_in_headless_chromium(
    compiled: Path, fixture_app_module: ModuleType, browser: str, assert_checks: Any
) -> None:
    received: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

    async def results(request: Request) -> Response:
        if not received.done():
            received.set_result(json.loads(await request.body()))
        return Response(status_code=204)

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(PAGE)

    app = Starlette(
        routes=[
            *fixture_app_module.app.routes,
            Route("/", page),
            Route("/results", results, methods=["POST"]),
            Mount("/js", StaticFiles(directory=compiled)),
        ]
    )
    token = fixture_app_module.token("ann")
    with tempfile.TemporaryDirectory() as profile:
        async with LiveServer(app) as server:
            process = await asyncio.create_subprocess_exec(
                browser,
                *FLAGS,
                f"--user-data-dir={profile}",
                server.url(f"/?token={token}"),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            try:
                async with asyncio.timeout(90):
                    outcome = await received
            finally:
                process.kill()
                await process.wait()
    assert "error" not in outcome, outcome.get("error")
    assert_checks(outcome["results"], ["subprotocol", "query"])
