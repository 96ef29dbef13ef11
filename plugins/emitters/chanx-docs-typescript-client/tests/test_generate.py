"""Generation: snapshot, determinism, `tsc --strict`, and the document fixes in TypeScript."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from chanx.asyncapi import get_emitter
from chanx.asyncapi.asyncapi3 import to_asyncapi3
from chanx.asyncapi.load import model_from_asyncapi
from chanx.cli import main
from tests.client_emitters import GeneratedClientContract


class TestGenerated(GeneratedClientContract):
    emitter_name = "typescript-client"
    language = "typescript"
    snapshots = Path(__file__).parent / "snapshots"


def test_output_is_deterministic_and_the_same_from_the_document(
    fixture_model: Any, generated_files: dict[str, str]
) -> None:
    emitter: Any = get_emitter("typescript-client")
    assert emitter.emit(fixture_model) == emitter.emit(fixture_model)
    from_document = emitter.files(
        model_from_asyncapi(to_asyncapi3(fixture_model)), package="fixture_client"
    )
    assert from_document == generated_files


def test_the_discriminator_is_required_and_messages_are_a_closed_union(
    generated_files: dict[str, str],
) -> None:
    room = generated_files["fixture_client/room.ts"]
    assert re.search(r'export interface ChatMessage \{[^}]*\n  action: "chat";\n', room)
    assert "export type RoomServerMessage = ChatNotificationMessage | CompleteMessage" in room
    assert re.search(r'export interface ErrorMessage \{[^}]*\n  action: "error";\n', room)


def test_an_exhaustive_switch_and_a_frame_without_action_are_checked_by_tsc(
    compiled: Path, tsc_runner: Any, tmp_path: Path, generated_files: dict[str, str]
) -> None:
    source = compiled.parent / "src" / "fixture_client"
    good = tmp_path / "exhaustive.ts"
    good.write_text(
        f'import type {{ CamelServerMessage }} from "{source}/camel.js";\n'
        "export function label(message: CamelServerMessage): string {\n"
        "  switch (message.action) {\n"
        '    case "moved": return `${message.payload.xValue}`;\n'
        '    case "error": return message.payload.code;\n'
        "  }\n"
        "}\n"
    )
    bad = tmp_path / "missing_action.ts"
    bad.write_text(
        f'import type {{ Move }} from "{source}/camel.js";\n'
        "export const move: Move = { payload: { xValue: 1, yValue: 2 } };\n"
    )
    flags = ["--strict", "--noEmit", "--target", "ES2022", "--module", "ES2022"]
    flags += ["--moduleResolution", "bundler", "--lib", "ES2022,DOM,DOM.Iterable"]
    checked = tsc_runner(*flags, good, cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout
    refused = tsc_runner(*flags, bad, cwd=tmp_path)
    assert "Property 'action' is missing" in refused.stdout


def test_the_cli_writes_typescript(tmp_path: Path) -> None:
    assert main(["client", "chanx.demo.app:app", "--lang", "typescript", "-o", str(tmp_path)]) == 0
    written = sorted(p.name for p in (tmp_path / "chanx_api_client").iterdir())
    assert written == ["chat.ts", "index.ts", "msgpack.ts", "runtime.ts"]
