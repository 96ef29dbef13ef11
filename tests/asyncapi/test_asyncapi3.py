"""AsyncAPI 3 documents: shape, determinism, and validity against the official parser."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from starlette.applications import Starlette

from chanx.asyncapi import build_api_model, render
from chanx.asyncapi.asyncapi3 import asyncapi_schema, to_asyncapi3
from chanx.demo.app import app as demo_app


def document(app: Any, **options: Any) -> dict[str, Any]:
    return to_asyncapi3(build_api_model(app, **options))


def walk(node: Any, path: str = "#") -> Iterator[tuple[str, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}/{index}")


def resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_the_guide_rows_as_asyncapi(starlette_app: Starlette) -> None:
    doc = document(starlette_app, title="Chat", version="2.1.0", description="Rooms.")
    assert doc["asyncapi"] == "3.1.0"
    assert doc["info"] == {"title": "Chat", "version": "2.1.0", "description": "Rooms."}
    ops = doc["operations"]
    assert ops["chat.ping"]["action"] == "receive"
    assert ops["chat.ping"]["messages"] == [{"$ref": "#/channels/chat/messages/PingMessage"}]
    assert ops["chat.ping"]["reply"] == {
        "channel": {"$ref": "#/channels/chat"},
        "messages": [{"$ref": "#/channels/chat/messages/PongMessage"}],
    }
    assert ops["chat.chat"]["reply"]["messages"] == [
        {"$ref": "#/channels/chat/messages/ChatNotice"}
    ]
    assert ops["chat.chat"]["tags"] == [{"name": "chat"}, {"name": "messaging"}]
    assert ops["chat.chat"]["summary"] == "Handle chat messages"
    assert ops["chat.chat"]["description"] == "Process chat messages and broadcast to room members"
    assert "reply" not in ops["chat.log"]
    for key in ("chat.job_result", "chat.system_notification", "chat.user_joined"):
        assert ops[key]["action"] == "send"
        assert "reply" not in ops[key]
    assert ops["chat.user_joined"]["x-chanx-passthrough"] is True
    assert ops["chat.system_notification"]["title"] == "system_notification"
    chat = doc["channels"]["chat"]
    assert chat["address"] == "/ws/chat/{room}"
    assert chat["description"] == "Chat rooms"
    assert chat["tags"] == [{"name": "chat"}, {"name": "rooms"}]
    assert list(chat["parameters"]) == ["room"]
    assert "SystemNotifyEvent" not in json.dumps(doc)
    assert "description" not in doc["channels"]["BareConsumer"]


def test_every_ref_resolves(starlette_app: Starlette, fastapi_app: FastAPI) -> None:
    for app in (starlette_app, fastapi_app, demo_app):
        doc = document(app)
        refs = [node["$ref"] for _, node in walk(doc) if isinstance(node, dict) and "$ref" in node]
        assert refs
        for ref in refs:
            assert resolve(doc, ref) is not None, ref


def test_discriminator_is_the_property_name_string(fastapi_app: FastAPI) -> None:
    doc = document(fastapi_app)
    found = [node for path, node in walk(doc) if path.endswith("/discriminator")]
    assert found == ["kind"]
    assert asyncapi_schema(
        {"oneOf": [], "discriminator": {"propertyName": "k", "mapping": {}}}
    ) == {
        "oneOf": [],
        "discriminator": "k",
    }


def test_tuples_become_draft_07_items() -> None:
    schema = {"type": "array", "prefixItems": [{"type": "integer"}], "items": False}
    assert asyncapi_schema(schema) == {
        "type": "array",
        "items": [{"type": "integer"}],
        "additionalItems": False,
    }


def test_camelized_and_plain_variants_get_distinct_schemas(fastapi_app: FastAPI) -> None:
    schemas = document(fastapi_app)["components"]["schemas"]
    assert "ChatBody" in schemas
    assert "ChatBody_test-camel" in schemas
    assert list(schemas["ChatBody_test-camel"]["properties"]) == ["userName", "messageText"]
    assert schemas["ChatBody_test-camel"]["required"] == ["userName", "messageText"]


def test_json_and_yaml_are_byte_identical_from_run_to_run(starlette_app: Starlette) -> None:
    for emitter in ("asyncapi-json", "asyncapi-yaml", "html"):
        first = render(build_api_model(starlette_app), emitter)
        assert render(build_api_model(starlette_app), emitter) == first


def test_yaml_says_the_same_as_json(fastapi_app: FastAPI) -> None:
    model = build_api_model(fastapi_app)
    as_json = json.loads(render(model, "asyncapi-json"))
    assert yaml.safe_load(render(model, "asyncapi-yaml")) == as_json


def test_servers_are_listed(starlette_app: Starlette) -> None:
    doc = document(starlette_app, servers={"local": "ws://localhost:8000/base"})
    assert doc["servers"] == {
        "local": {"host": "localhost:8000", "protocol": "ws", "pathname": "/base"}
    }


def test_without_servers_given_the_local_default_is_listed_and_empty_lists_none(
    starlette_app: Starlette,
) -> None:
    assert document(starlette_app)["servers"] == {
        "local": {"host": "localhost:8000", "protocol": "ws"}
    }
    assert "servers" not in document(starlette_app, servers={})


def test_every_message_schema_requires_its_discriminator(starlette_app: Starlette) -> None:
    doc = document(demo_app)
    schemas = doc["components"]["schemas"]
    for message in doc["components"]["messages"].values():
        schema = resolve(doc, message["payload"]["$ref"])
        assert "action" in schema["required"], message["title"]
    assert schemas["ChatMessage"]["required"][0] == "action"


def test_the_error_frame_and_its_codes_are_documented_on_every_channel() -> None:
    doc = document(demo_app)
    [error_op] = [op for op in doc["operations"].values() if op["title"] == "error"]
    assert error_op["action"] == "send"
    assert "x-chanx-handler" not in error_op
    [ref] = [m["$ref"] for m in error_op["messages"]]
    message = resolve(doc, resolve(doc, ref)["$ref"])
    error = resolve(doc, message["payload"]["$ref"])
    code = resolve(doc, error["properties"]["payload"]["$ref"])["properties"]["code"]
    assert {"invalid_json", "missing_action", "unknown_action", "invalid_message"} <= set(
        code["examples"]
    )
    assert "`internal_error`" in code["description"]


def test_every_document_passes_the_official_parser(
    starlette_app: Starlette, fastapi_app: FastAPI, tmp_path: Path, asyncapi_parser: Any
) -> None:
    files = []
    cases = {
        "starlette": (starlette_app, {"servers": {"local": "ws://127.0.0.1:8000"}}),
        "fastapi-camel": (fastapi_app, {"description": "Camelized and plain, unions."}),
        "demo": (demo_app, {"title": "demo"}),
        "empty": (Starlette(), {}),
    }
    for name, (app, options) in cases.items():
        model = build_api_model(app, **options)
        for emitter, suffix in (("asyncapi-json", "json"), ("asyncapi-yaml", "yaml")):
            path = tmp_path / f"{name}.{suffix}"
            path.write_text(str(render(model, emitter)), encoding="utf-8")
            files.append(path)
    reports = asyncapi_parser(*files)
    assert [(Path(r["file"]).name, r["errors"]) for r in reports] == [
        (path.name, []) for path in files
    ]


def test_the_parser_rejects_an_openapi_style_discriminator(
    tmp_path: Path, asyncapi_parser: Any
) -> None:
    # The validation would catch the mistake FIELD-NOTES warns about.
    doc = {
        "asyncapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "components": {
            "schemas": {"S": {"type": "object", "discriminator": {"propertyName": "k"}}}
        },
    }
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    [report] = asyncapi_parser(path)
    assert any("discriminator" in error["path"] for error in report["errors"])


@pytest.mark.parametrize("format_", ["asyncapi-json", "asyncapi-yaml"])
def test_every_document_ends_with_one_newline(starlette_app: Starlette, format_: str) -> None:
    text = str(render(build_api_model(starlette_app), format_))
    assert text.endswith("\n")
    assert not text.endswith("\n\n")
