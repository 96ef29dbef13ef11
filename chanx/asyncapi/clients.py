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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from chanx.asyncapi.model import ApiModel

__all__ = [
    "MANIFEST",
    "ClientEmitter",
    "WriteResult",
    "identifier",
    "pascal_case",
    "snake_case",
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
