"""URLconf of the AsyncAPI docs: `path("asyncapi/", include("chanx.channels.asyncapi_urls"))`.

Names (namespace `chanx_asyncapi`): `html` (the page), `json` (`asyncapi.json`), `yaml`
(`asyncapi.yaml`) and `client` (`asyncapi.<generator>.zip`, a generated client the page
links to). See `chanx.channels.asyncapi` for the settings.
"""

from __future__ import annotations

from django.urls import path

from chanx.channels.asyncapi import asyncapi_view, client_view

app_name = "chanx_asyncapi"

urlpatterns = [
    path("", asyncapi_view, {"emitter": "html"}, name="html"),
    path("asyncapi.json", asyncapi_view, {"emitter": "asyncapi-json"}, name="json"),
    path("asyncapi.yaml", asyncapi_view, {"emitter": "asyncapi-yaml"}, name="yaml"),
    path("asyncapi.<slug:emitter>.zip", client_view, name="client"),
]
