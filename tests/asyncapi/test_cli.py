"""`chanx asyncapi`: write, check, and third-party emitters from entry points."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from chanx.cli import main
from chanx.kernel.install import install_hint

DEMO = "chanx.demo.app:app"


def test_json_goes_to_stdout(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(["asyncapi", DEMO, "--title", "Demo"]) == 0
    doc = json.loads(capsysbinary.readouterr().out)
    assert doc["info"]["title"] == "Demo"
    assert doc["channels"]["chat"]["address"] == "/ws/chat/{room}"


@pytest.mark.parametrize("format_", ["json", "yaml", "html"])
def test_check_passes_when_the_file_is_current_and_fails_when_it_is_not(
    tmp_path: Path, format_: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / f"asyncapi.{format_}"
    assert main(["asyncapi", DEMO, "--format", format_, "-o", str(target)]) == 0
    written = target.read_bytes()
    assert written
    assert main(["asyncapi", DEMO, "--format", format_, "-o", str(target), "--check"]) == 0
    assert target.read_bytes() == written
    target.write_bytes(written + b"\n")
    assert main(["asyncapi", DEMO, "--format", format_, "-o", str(target), "--check"]) == 1
    assert "is out of date; regenerate it with: chanx asyncapi" in capsys.readouterr().err
    target.unlink()
    assert main(["asyncapi", DEMO, "--format", format_, "-o", str(target), "--check"]) == 1
    assert "is missing" in capsys.readouterr().err


def test_usage_errors_say_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["asyncapi", DEMO, "--check"]) == 2
    assert "--check needs -o FILE" in capsys.readouterr().err
    assert main(["asyncapi", "chanx.demo.app"]) == 2
    assert "expected MODULE:APP" in capsys.readouterr().err
    assert main(["asyncapi", "chanx.demo.app:nope"]) == 2
    assert "has no attribute 'nope'" in capsys.readouterr().err
    assert main(["asyncapi", DEMO, "--format", "pdf"]) == 2
    err = capsys.readouterr().err
    assert "no doc emitter named 'pdf'" in err
    assert "asyncapi-json" in err


def test_an_app_in_the_current_directory_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    (tmp_path / "mysite_asgi_for_cli_test.py").write_text(
        "from chanx.demo.app import app as application\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    assert main(["asyncapi", "mysite_asgi_for_cli_test:application", "-f", "yaml"]) == 0
    assert b"asyncapi: 3.1.0" in capsysbinary.readouterr().out


def test_a_third_party_emitter_installed_from_an_entry_point_is_usable(tmp_path: Path) -> None:
    site = tmp_path / "site"
    package = site / "chanx_docs_markdown"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        textwrap.dedent(
            """
            from chanx.kernel import hookimpl


            class MarkdownEmitter:
                name = "markdown"
                media_type = "text/markdown"

                def emit(self, model):
                    lines = [f"# {model.title}"]
                    for channel in model.channels:
                        lines.append(f"## {channel.title} `{channel.address}`")
                        lines += [f"- {op.action} {op.name}" for op in channel.operations]
                    return "\\n".join(lines) + "\\n"


            @hookimpl
            def chanx_register_doc_emitters(registry):
                registry.add("markdown", MarkdownEmitter)
            """
        )
    )
    dist_info = site / "chanx_docs_markdown-0.3.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: chanx-docs-markdown\nVersion: 0.3.0\n"
    )
    (dist_info / "entry_points.txt").write_text("[chanx]\ndocs-markdown = chanx_docs_markdown\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path])}
    env.pop("CHANX_DISABLE_PLUGIN_AUTOLOAD", None)
    out = tmp_path / "api.md"
    command = [sys.executable, "-m", "chanx", "asyncapi", DEMO, "--format", "markdown"]
    result = subprocess.run(
        [*command, "-o", str(out)], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert text.startswith("# chanx API\n## chat `/ws/chat/{room}`\n- receive chat\n")
    assert "- send user_joined\n" in text
    checked = subprocess.run(
        [*command, "-o", str(out), "--check"], env=env, capture_output=True, timeout=60
    )
    assert checked.returncode == 0
    listed = subprocess.run(
        [sys.executable, "-m", "chanx", "plugins"], env=env, capture_output=True, text=True
    )
    assert "docs-markdown" in listed.stdout
    assert "doc emitter: markdown" in listed.stdout


def test_output_is_byte_identical_across_processes(tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-m", "chanx", "asyncapi", DEMO, "--format", "yaml"],
            env=env,
            capture_output=True,
            timeout=60,
            check=True,
        )
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0].startswith(b"asyncapi: 3.1.0\n")


def test_yaml_without_pyyaml_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)  # as if PyYAML were not installed
    assert main(["asyncapi", DEMO, "--format", "yaml"]) == 2
    assert install_hint("yaml") in capsys.readouterr().err


def test_the_title_given_to_mount_asyncapi_is_the_cli_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    (tmp_path / "mounted_docs_for_cli_test.py").write_text(
        "from starlette.applications import Starlette\n"
        "from starlette.routing import Mount\n"
        "from chanx.asyncapi.starlette import mount_asyncapi\n"
        "from chanx.demo.app import app as demo\n"
        "app = Starlette(routes=[Mount('', app=demo)])\n"
        "mount_asyncapi(app, title='Shop API', version='2.1.0', description='Orders',\n"
        "               servers={'prod': 'wss://shop.example'})\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    assert main(["asyncapi", "mounted_docs_for_cli_test:app"]) == 0
    info = json.loads(capsysbinary.readouterr().out)
    assert info["info"] == {"title": "Shop API", "version": "2.1.0", "description": "Orders"}
    assert info["servers"] == {"prod": {"host": "shop.example", "protocol": "wss"}}
    assert main(["asyncapi", "mounted_docs_for_cli_test:app", "--title", "Given"]) == 0
    assert json.loads(capsysbinary.readouterr().out)["info"]["title"] == "Given"
