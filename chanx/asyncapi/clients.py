"""Generated clients: the emitter contract, naming helpers, and writing the files.

A client generator is a doc emitter (registered through `chanx_register_doc_emitters`) that
also satisfies `ClientEmitter`: besides `emit(model)`, which returns the generated sources
as one deterministic ZIP archive (what the HTML page offers for download), it returns them
as a mapping of relative paths to text with `files(model, package=...)`. `chanx client`
writes that mapping into a directory with `write_files`, which rewrites only what changed
and removes the files an earlier run generated that are no longer produced.
"""

from __future__ import annotations

import io
import json
import keyword
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.resources import files as resource_files
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from chanx.asyncapi.model import SCHEMA_REF_PREFIX

if TYPE_CHECKING:
    from chanx.asyncapi.model import ApiModel

__all__ = [
    "MANIFEST",
    "ClientEmitter",
    "WriteResult",
    "client_emitters",
    "download_path",
    "identifier",
    "pascal_case",
    "reachable",
    "references",
    "snake_case",
    "type_names",
    "write_files",
    "zip_files",
]

MANIFEST = ".chanx-client.json"
"""The file, in the output directory, listing what the last run generated."""

_ZIP_DATE = (2020, 1, 1, 0, 0, 0)


@runtime_checkable
class ClientEmitter(Protocol):
    """A doc emitter that generates a client library for one language."""

    @property
    def name(self) -> str:
        """The registered name, e.g. `"python-client"`."""
        ...

    @property
    def language(self) -> str:
        """The `--lang` value that selects it, e.g. `"python"`."""
        ...

    @property
    def media_type(self) -> str:
        """`"application/zip"`: what `emit` returns."""
        ...

    def files(self, model: ApiModel, *, package: str | None = None) -> dict[str, str]:
        """The generated sources: relative POSIX path -> text.

        Args:
            model: The neutral API model.
            package: Name of the generated package or directory; None for the default.
        """
        ...

    def emit(self, model: ApiModel) -> str | bytes:
        """The generated sources with the default package name, as one ZIP archive."""
        ...


class PackageEmitter:
    """The shell every client generator shares: a package of files, downloaded as a ZIP.

    A subclass names its `runtime_package` and `runtime_modules` (copied as they are into every
    generated client) and implements `files()`, starting from `runtime_files()`.
    """

    name: ClassVar[str]
    language: ClassVar[str]
    media_type: ClassVar[str] = "application/zip"
    suffix: ClassVar[str] = ".zip"
    runtime_package: ClassVar[str]
    runtime_modules: ClassVar[tuple[str, ...]]

    def default_package(self, model: ApiModel) -> str:
        """The package (directory) name used when none is given: the API title + `_client`."""
        return snake_case(model.title) + "_client"

    def runtime_files(self, model: ApiModel, package: str | None) -> tuple[str, dict[str, str]]:
        """The package name to use, and the runtime modules under it.

        Raises:
            ValueError: `package` is not an identifier.
        """
        package = package or self.default_package(model)
        if not package.isidentifier():
            raise ValueError(f"package name {package!r} is not an identifier")
        runtime = resource_files(self.runtime_package)
        return package, {
            f"{package}/{name}": runtime.joinpath(name).read_text("utf-8")
            for name in self.runtime_modules
        }

    def files(self, model: ApiModel, *, package: str | None = None) -> dict[str, str]:
        """The generated files, by path under `package`."""
        raise NotImplementedError

    def response_headers(self) -> dict[str, str]:
        """Served as a download named after the generator."""
        return {"Content-Disposition": f'attachment; filename="{self.name}.zip"'}

    def emit(self, model: ApiModel) -> bytes:
        """The generated files (default package name) as a deterministic ZIP archive."""
        return zip_files(self.files(model))


def client_emitters() -> dict[str, str]:
    """The registered client emitters: emitter name -> language, sorted by name.

    An emitter that fails to build (say, a missing optional dependency) is left out.
    """
    from chanx.kernel import get_plugin_host

    registry = get_plugin_host().doc_emitters
    found: dict[str, str] = {}
    for name in sorted(registry.names()):
        try:
            emitter = registry.get(name)()
        except Exception:
            continue
        if isinstance(emitter, ClientEmitter):
            found[name] = emitter.language
    return found


def download_path(emitter_name: str) -> str:
    """Where the docs routes serve a client's archive, relative to the page's `asyncapi`."""
    return f"asyncapi.{emitter_name}.zip"


def zip_files(files: Mapping[str, str]) -> bytes:
    """A ZIP archive of `files`, byte-identical for the same input (fixed dates, sorted)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[path].encode("utf-8"))
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class WriteResult:
    """What `write_files` did, as sorted relative paths."""

    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    removed: tuple[str, ...]


def write_files(directory: Path, files: Mapping[str, str]) -> WriteResult:
    """Write `files` under `directory`, updating a previous run's output in place.

    Only files whose content changed are rewritten; files the previous run generated (as
    recorded in `MANIFEST`) that are no longer generated are removed. Other files in the
    directory are never touched.

    Raises:
        ValueError: A path is absolute or leaves `directory`.
    """
    for path in files:
        pure = PurePosixPath(path)
        if pure.is_absolute() or ".." in pure.parts or path == MANIFEST:
            raise ValueError(f"generated path {path!r} must be relative and inside the output")
    directory.mkdir(parents=True, exist_ok=True)
    manifest = directory / MANIFEST
    previous: list[str] = []
    if manifest.exists():
        try:
            previous = [str(p) for p in json.loads(manifest.read_text("utf-8"))["files"]]
        except (ValueError, KeyError, TypeError):
            previous = []
    written: list[str] = []
    unchanged: list[str] = []
    for path in sorted(files):
        target = directory / path
        data = files[path].encode("utf-8")
        if target.exists() and target.read_bytes() == data:
            unchanged.append(path)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(path)
    removed = sorted(p for p in set(previous) - set(files) if (directory / p).is_file())
    for path in removed:
        (directory / path).unlink()
    listing = json.dumps({"files": sorted(files)}, indent=2) + "\n"
    if not manifest.exists() or manifest.read_text("utf-8") != listing:
        manifest.write_text(listing, "utf-8")
    return WriteResult(tuple(written), tuple(unchanged), tuple(removed))


_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def _words(name: str) -> list[str]:
    return _WORD.findall(name)


def snake_case(name: str) -> str:
    """`roomId`, `RoomID`, `room-id` -> `room_id` (a valid Python identifier)."""
    return identifier("_".join(w.lower() for w in _words(name)) or "value")


def pascal_case(name: str) -> str:
    """`chat_room`, `chat-room`, `chatRoom` -> `ChatRoom` (a valid identifier)."""
    return identifier("".join(w[:1].upper() + w[1:] for w in _words(name)) or "Value")


def identifier(name: str) -> str:
    """`name` made a valid Python (and TypeScript) identifier that is not a keyword."""
    name = re.sub(r"\W", "_", name)
    if not name or name[0].isdigit():
        name = "_" + name
    return name + "_" if keyword.iskeyword(name) or keyword.issoftkeyword(name) else name


# -- schemas: what a module needs, and the names of its types ------------------------------


def references(schema: Any) -> set[str]:
    """Keys of the component schemas `schema` references, directly."""
    found: set[str] = set()
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_REF_PREFIX):
            found.add(ref.removeprefix(SCHEMA_REF_PREFIX))
        for key, value in schema.items():
            if key != "discriminator":
                found |= references(value)
    elif isinstance(schema, list):
        for item in schema:
            found |= references(item)
    return found


def reachable(schemas: Mapping[str, Any], roots: Iterable[str]) -> list[str]:
    """The schemas `roots` need, each after the schemas it references (then by key)."""
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(key: str) -> None:
        if key in ordered or key in visiting or key not in schemas:
            return
        visiting.add(key)
        for child in sorted(references(schemas[key])):
            visit(child)
        ordered.append(key)

    for root in sorted(set(roots)):
        visit(root)
    return ordered


def type_names(
    schemas: Mapping[str, Mapping[str, Any]], taken: Iterable[str] = ()
) -> tuple[dict[str, str], dict[str, str]]:
    """Name the types of one generated module.

    Identical schemas (references compared by what they point to) share one type; a type
    is named after its schema's `title` (the class name) when no other type in the module
    has that title, else after its key; names in `taken` are avoided.

    Returns:
        `(canonical, names)`: key -> the key whose type it uses, and key -> type name.
    """
    canonical = _canonical(schemas)
    names: dict[str, str] = {}
    used = set(taken)
    kept = sorted(set(canonical.values()))
    titles = [str(schemas[key].get("title") or key) for key in kept]
    for key in kept:
        title = str(schemas[key].get("title") or key)
        name = pascal_case(title if titles.count(title) == 1 else key)
        while name in used:
            name += "_"
        used.add(name)
        names[key] = name
    for key, target in canonical.items():
        names[key] = names[target]
    return canonical, names


def _canonical(schemas: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Map each key to the first (by name) key with the same schema, references resolved."""
    canonical: dict[str, str] = {}
    by_content: dict[str, str] = {}
    pending = sorted(schemas)
    while pending:
        progressed = False
        for key in list(pending):
            if not references(schemas[key]) <= canonical.keys() | {key}:
                continue
            content = json.dumps(_resolved(schemas[key], canonical), sort_keys=True)
            canonical[key] = by_content.setdefault(content, key)
            pending.remove(key)
            progressed = True
        if not progressed:  # a reference cycle: keep the rest apart
            canonical.update({key: key for key in pending})
            break
    return canonical


def _resolved(schema: Any, canonical: Mapping[str, str]) -> Any:
    if isinstance(schema, list):
        return [_resolved(item, canonical) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _resolved(value, canonical) for key, value in schema.items()}
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(SCHEMA_REF_PREFIX):
        key = ref.removeprefix(SCHEMA_REF_PREFIX)
        out["$ref"] = canonical.get(key, key)
    return out
