"""Cross-check with a third-party generator: AsyncAPI Modelina's TypeScript from chanx's document.

Modelina 5 (the current release) accepts AsyncAPI documents up to 3.0.0, so it is handed the
document with its version set to 3.0.0: chanx's documents use nothing 3.1.0 added.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from chanx.asyncapi.asyncapi3 import to_asyncapi3

pytestmark = pytest.mark.timeout(180)

NODE_DIR = Path(__file__).parent / "node"


def test_modelina_typescript_compiles_strict_with_required_discriminators(
    fixture_model: Any, node: str, tsc_runner: Any, missing: Any, tmp_path: Path
) -> None:
    if not (NODE_DIR / "node_modules" / "@asyncapi" / "modelina").is_dir():
        missing(f"Modelina is not installed: npm ci --prefix {NODE_DIR}")
    document = to_asyncapi3(fixture_model)
    assert document["asyncapi"] == "3.1.0"
    document["asyncapi"] = "3.0.0"
    (tmp_path / "asyncapi.json").write_text(json.dumps(document))
    result = subprocess.run(
        [node, str(NODE_DIR / "modelina.js"), "asyncapi.json", "models.ts"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    names = json.loads(result.stdout)
    assert {"Move", "Moved", "ErrorMessage", "ErrorPayload", "ChatMessage"} <= set(names)
    models = (tmp_path / "models.ts").read_text()
    # Required (`action: 'move'`), not `action?: 'move'`.
    assert re.search(r"export interface Move \{[^}]*\n  action: 'move';\n", models)
    checked = tsc_runner("--strict", "--noEmit", "--target", "ES2022", "models.ts", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout
