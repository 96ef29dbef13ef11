"""The import contract of docs/architecture.md, checked on every module's AST.

- the kernel imports nothing of chanx above it (only the package root and the builtin list);
- core imports no adapter, no docs code, no plugin, no testing or demo code;
- the adapters (Starlette/FastAPI, Django Channels) do not import each other;
- the runtime (core, layers, messages, adapters' consumer modules) never imports the docs;
- plugins import only public chanx modules and names.

Imports inside functions count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "chanx"


def module_name(path: Path, base: Path) -> str:
    parts = list(path.relative_to(base).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> Iterator[tuple[str, list[str], int]]:
    """(module, imported names, line) for every import in `path` (relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path, path.parents[len(path.relative_to(ROOT).parts) - 1]).split(".")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = here[: len(here) - node.level + (1 if path.name == "__init__.py" else 0)]
                module = ".".join([*base, module] if module else base)
            yield module, [a.name for a in node.names], node.lineno


def chanx_modules(*packages: str) -> list[Path]:
    found: list[Path] = []
    for package in packages:
        target = PACKAGE / package.replace(".", "/")
        found += sorted(target.rglob("*.py")) if target.is_dir() else [target.with_suffix(".py")]
    return found


def violations(
    paths: list[Path], forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()
) -> list[str]:
    found = []
    for path in paths:
        for module, _, line in imports(path):
            hit = any(module == f or module.startswith(f + ".") for f in forbidden)
            ok = any(module == a or module.startswith(a + ".") for a in allowed)
            if hit and not ok:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return found


def test_the_kernel_imports_nothing_of_chanx_above_it() -> None:
    paths = chanx_modules("kernel")
    assert violations(paths, ("chanx",), ("chanx.kernel", "chanx.builtin")) == [
        f"{p.relative_to(ROOT)}:{line} imports chanx"
        for p in paths
        for module, names, line in imports(p)
        if module == "chanx" and names == ["__version__"]
    ]


def test_core_imports_no_adapter_docs_plugin_or_testing_code() -> None:
    forbidden = (
        "chanx.fast_channels",
        "chanx.channels",
        "chanx.asyncapi",
        "chanx.testing",
        "chanx.demo",
        "chanx.cli",
        "starlette",
        "fastapi",
        "django",
        "channels",
    )
    assert violations(chanx_modules("core", "layers", "messages"), forbidden) == []
    plugins = tuple(p.name for p in (ROOT / "plugins").glob("*/*/src/*"))
    assert plugins
    assert violations(chanx_modules("core", "layers", "messages"), plugins) == []


def test_the_adapters_do_not_import_each_other() -> None:
    assert violations(chanx_modules("fast_channels"), ("chanx.channels",)) == []
    assert violations(chanx_modules("channels"), ("chanx.fast_channels",)) == []


def test_the_runtime_never_imports_the_docs() -> None:
    runtime = chanx_modules("core", "layers", "messages", "kernel", "builtin")
    runtime += [PACKAGE / "fast_channels" / "websocket.py", PACKAGE / "channels" / "websocket.py"]
    assert violations(runtime, ("chanx.asyncapi",)) == []


@pytest.mark.parametrize(
    "source", sorted((ROOT / "plugins").glob("*/*/src")), ids=lambda p: p.parent.name
)
def test_plugins_import_only_public_chanx_modules(source: Path) -> None:
    found = []
    for path in sorted(source.rglob("*.py")):
        for module, names, line in imports(path):
            if module != "chanx" and not module.startswith("chanx."):
                continue
            private = [part for part in module.split(".") if part.startswith("_")]
            private += [name for name in names if name.startswith("_")]
            if private:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module} {names}")
    assert found == []
