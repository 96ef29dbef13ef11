"""Generation: snapshot, determinism, in-place updates, `--from` documents, strict typing."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from chanx.asyncapi import get_emitter
from chanx.asyncapi.asyncapi3 import to_asyncapi3
from chanx.asyncapi.clients import MANIFEST
from chanx.asyncapi.load import model_from_asyncapi
from chanx.cli import main
from tests.client_emitters import GeneratedClientContract


class TestGenerated(GeneratedClientContract):
    emitter_name = "python-client"
    language = "python"
    snapshots = Path(__file__).parent / "snapshots"


def test_the_archive_is_byte_identical_and_holds_the_files(fixture_model: Any) -> None:
    emitter = get_emitter("python-client")
    first, second = emitter.emit(fixture_model), emitter.emit(fixture_model)
    assert first == second
    with zipfile.ZipFile(BytesIO(bytes(first))) as archive:
        names = archive.namelist()
    assert names == sorted(emitter.files(fixture_model))  # type: ignore[attr-defined]
    assert "fixture_client/room.py" in names


def test_the_cli_is_deterministic_across_processes_and_updates_in_place(tmp_path: Path) -> None:
    fixtures = Path(__file__).resolve().parents[2] / "client_fixtures"
    command = [
        sys.executable,
        "-c",
        "import sys; from chanx.cli import main; sys.exit(main(sys.argv[1:]))",
        "client",
        "app:app",
        "--lang",
        "python",
        "--package",
        "fixture_client",
    ]
    outputs = []
    for name in ("a", "b"):
        result = subprocess.run(
            [*command, "-o", str(tmp_path / name)],
            cwd=fixtures,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        outputs.append(
            {
                p.relative_to(tmp_path / name): p.read_bytes()
                for p in (tmp_path / name).rglob("*")
                if p.is_file()
            }
        )
    assert outputs[0] == outputs[1]
    again = subprocess.run(
        [*command, "-o", str(tmp_path / "a"), "--check"], cwd=fixtures, timeout=120, check=False
    )
    assert again.returncode == 0


def test_rerunning_rewrites_only_changes_and_removes_what_is_no_longer_generated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "client"
    keep = out / "notes.txt"
    out.mkdir()
    keep.write_text("mine")
    assert main(["client", "chanx.demo.app:app", "--lang", "python", "-o", str(out)]) == 0
    chat = out / "chanx_api_client" / "chat.py"
    stamp = chat.stat().st_mtime_ns
    assert main(["client", "chanx.demo.app:app", "--lang", "python", "-o", str(out)]) == 0
    assert "0 written" in capsys.readouterr().err
    assert chat.stat().st_mtime_ns == stamp
    assert (
        main(
            [
                "client",
                "chanx.demo.app:app",
                "--lang",
                "python",
                "-o",
                str(out),
                "--package",
                "other",
            ]
        )
        == 0
    )
    assert not chat.exists()
    assert (out / "other" / "chat.py").is_file()
    assert keep.read_text() == "mine"
    assert json.loads((out / MANIFEST).read_text())["files"][0].startswith("other/")


def test_check_fails_when_the_output_is_stale(tmp_path: Path) -> None:
    assert (
        main(["client", "chanx.demo.app:app", "--lang", "python", "-o", str(tmp_path), "--check"])
        == 1
    )


def test_a_document_gives_the_same_client_as_the_application(
    fixture_model: Any, generated_files: dict[str, str], tmp_path: Path
) -> None:
    document = tmp_path / "asyncapi.json"
    document.write_text(json.dumps(to_asyncapi3(fixture_model)))
    from_document = get_emitter("python-client").files(  # type: ignore[attr-defined]
        model_from_asyncapi(json.loads(document.read_text())), package="fixture_client"
    )
    assert from_document == generated_files
    out = tmp_path / "out"
    assert main(["client", "--from", str(document), "--lang", "python", "-o", str(out)]) == 0
    assert (out / "fixture_client" / "room.py").read_text() == generated_files[
        "fixture_client/room.py"
    ]


def test_an_unknown_language_names_the_missing_emitter(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["client", "chanx.demo.app:app", "--lang", "kotlin", "-o", "unused"]) == 2
    assert "kotlin-client" in capsys.readouterr().err


@pytest.mark.parametrize(
    "checker",
    [
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "fixture_client"],
        [sys.executable, "-m", "pyright", "--pythonpath", sys.executable, "fixture_client"],
        [sys.executable, "-m", "ruff", "format", "--check", "--line-length", "100", "."],
    ],
    ids=["mypy-strict", "pyright-strict", "ruff-format"],
)
def test_the_generated_package_is_strictly_typed_and_formatted(
    generated_dir: Path, checker: list[str]
) -> None:
    (generated_dir / "pyrightconfig.json").write_text(
        json.dumps({"typeCheckingMode": "strict", "pythonVersion": "3.11"})
    )
    result = subprocess.run(
        checker, cwd=generated_dir, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_generated_package_imports_only_websockets_and_pydantic(
    generated_files: dict[str, str],
) -> None:
    imported = set()
    for text in generated_files.values():
        for line in text.splitlines():
            if line.startswith(("import ", "from ")) and not line.startswith("from ."):
                imported.add(line.split()[1].split(".")[0])
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    assert imported - stdlib == {"pydantic", "websockets"}
