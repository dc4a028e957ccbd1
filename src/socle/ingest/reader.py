"""Reading input: FHIR Bundles (.json), Bulk Data NDJSON (.ndjson), Synthea CSV; gzipped or not.

The reader never raises on bad content: an unreadable file or line becomes a
:class:`SourceItem` with an ``error``, so the loader can quarantine it and go on.

Memory stays bounded whatever a file's size (:class:`ReadLimits`): a file is
first measured as a stream (decompressed for ``.gz``) and refused past
``max_file_bytes``; NDJSON and CSV are read a line at a time, and a Bundle
larger than ``memory_bytes`` is streamed entry by entry (ijson) instead of
being parsed whole. Symbolic links are never followed out of the import root.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

import orjson

from socle.ingest.errors import NoInputError
from socle.ingest.synthea_csv import CONVERTERS, csv_rows

SUFFIXES = (".json", ".json.gz", ".ndjson", ".ndjson.gz")
CSV_NAMES = frozenset(CONVERTERS) | frozenset(f"{n}.gz" for n in CONVERTERS)
MIB = 1 << 20
CHUNK = MIB
OUTSIDE_ROOT = "link out of the import root: not followed"


@dataclass(frozen=True)
class ReadLimits:
    """What one input file may cost: its (decompressed) size, and the part held in memory."""

    max_file_bytes: int = 4096 * MIB  # larger files are quarantined, unread
    memory_bytes: int = 256 * MIB  # a Bundle above this is streamed; a longer line is refused

    @classmethod
    def from_mebibytes(cls, max_file_mb: int, memory_mb: int) -> ReadLimits:
        return cls(max_file_mb * MIB, memory_mb * MIB)


@dataclass(frozen=True)
class SourceItem:
    """One resource (or one unreadable record) and where it came from."""

    position: int
    resource: dict[str, Any] | None
    error: str | None = None

    @property
    def resource_type(self) -> str:
        if self.resource is None:
            return "(unreadable)"
        return str(self.resource.get("resourceType") or "(none)")


def _wanted(name: str) -> bool:
    return name.endswith(SUFFIXES) or name in CSV_NAMES


def input_files(path: Path) -> list[Path]:
    """The input files at ``path`` (a file or a directory, searched recursively), sorted.

    Links are not followed while walking. A link whose target is outside
    ``path`` is listed (so :func:`read_file` refuses it and the load reports
    it); a file reached twice (through a link inside ``path``) is listed once.
    """
    if not path.exists():
        raise NoInputError(f"input path {path} does not exist")
    if path.is_file():
        return [path]
    root = path.resolve()
    found: dict[Path, Path] = {}  # real path → first path that reaches it
    for folder, dirs, names in os.walk(path):
        here = Path(folder)
        for name in sorted(dirs):
            link = here / name
            if link.is_symlink() and not _inside(link, root):
                found.setdefault(link, link)  # refused, and reported, by read_file
        for name in sorted(names):
            file = here / name
            if _wanted(name) and (not file.is_symlink() or file.exists()):
                found.setdefault(file.resolve() if _inside(file, root) else file, file)
    files = sorted(found.values())
    if not files:
        raise NoInputError(
            f"input directory {path} holds no FHIR files (expected {', '.join(SUFFIXES)}) "
            "nor Synthea CSV files (patients.csv, ...)"
        )
    return files


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a link loop
        return False


def read_file(
    path: Path, limits: ReadLimits | None = None, *, root: Path | None = None
) -> Iterator[SourceItem]:
    """Resources of one file, in order; positions are entry indexes or 1-based line numbers.

    With ``root``, a path that leads outside it (through a link) is refused unread.
    """
    limits = limits or ReadLimits()
    if root is not None and not _inside(path, root):
        yield SourceItem(0, None, OUTSIDE_ROOT)
        return
    try:
        if path.name in CSV_NAMES or ".ndjson" in path.name:
            size = _measured(path, limits)
            if isinstance(size, str):
                yield SourceItem(0, None, size)
            elif path.name in CSV_NAMES:
                with _open(path) as stream:
                    for line, resource, error in csv_rows(path.name.removesuffix(".gz"), stream):
                        yield SourceItem(line, None, error) if error else _checked(line, resource)
            else:
                yield from _ndjson(path, limits)
            return
        whole = _whole(path, limits)
        if isinstance(whole, bytes):
            yield from _json(whole)
        elif whole is None:
            yield from _streamed_bundle(path, limits)
        else:
            yield SourceItem(0, None, whole)
    except (EOFError, gzip.BadGzipFile, zlib.error):
        yield SourceItem(0, None, "cannot read file: not a complete gzip stream")
    except OSError as exc:  # its message names the file, whose name may be a patient's
        yield SourceItem(0, None, f"cannot read file: {exc.strerror or type(exc).__name__}")


def _open(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def _whole(path: Path, limits: ReadLimits) -> bytes | str | None:
    """A JSON file's (decompressed) content if it fits in memory, read and gunzipped once.

    ``None``: too large to hold, to be streamed; a string: why it is refused (too large).
    A gzip is read up to the memory limit (never further), then measured as a stream.
    """
    cap = min(limits.memory_bytes, limits.max_file_bytes)
    if not path.name.endswith(".gz"):
        size = _measured(path, limits)
        if isinstance(size, str) or size > cap:
            return size if isinstance(size, str) else None
        return path.read_bytes()
    with _open(path) as stream:
        data = stream.read(cap + 1)
    if len(data) <= cap:
        return data
    del data
    size = _measured(path, limits)
    return size if isinstance(size, str) else None


def _measured(path: Path, limits: ReadLimits) -> int | str:
    """The file's (decompressed) size, or why it is refused; a gzip is measured as a stream."""
    limit = limits.max_file_bytes
    if not path.name.endswith(".gz"):
        size = path.stat().st_size
        return size if size <= limit else _too_big("size", limit)
    size = 0
    with gzip.open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                return _too_big("decompressed size", limit)
    return size


def _too_big(what: str, limit: int) -> str:
    return f"{what} exceeds {limit // MIB} MiB per file (setting ingest_max_file_mb)"


def _ndjson(path: Path, limits: ReadLimits) -> Iterator[SourceItem]:
    longest = limits.memory_bytes
    with _open(path) as stream:
        number = 0
        while line := stream.readline(longest + 1):
            number += 1
            if len(line) > longest:
                while line and not line.endswith(b"\n"):  # skip the rest of it, unread
                    line = stream.readline(CHUNK)
                yield SourceItem(
                    number,
                    None,
                    f"line longer than {longest // MIB} MiB (setting ingest_memory_mb)",
                )
                continue
            if not line.strip():
                continue
            try:
                resource = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield SourceItem(number, None, _json_error(exc))
                continue
            yield _checked(number, resource)


def _json(raw: bytes) -> Iterator[SourceItem]:
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        yield SourceItem(0, None, _json_error(exc))
        return
    if isinstance(doc, dict) and doc.get("resourceType") == "Bundle":
        entries = doc.get("entry")
        if not isinstance(entries, list):
            yield SourceItem(0, None, "Bundle has no entry list")
            return
        for index, entry in enumerate(entries):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            yield _checked(index, resource)
    else:
        yield _checked(0, doc)


def _streamed_bundle(path: Path, limits: ReadLimits) -> Iterator[SourceItem]:
    """Entries of a Bundle too large to parse whole, one at a time (ijson, yajl2_c backend)."""
    import ijson

    index = -1
    try:
        with _open(path) as stream:
            kind = next(ijson.items(stream, "resourceType"), None)
        if kind != "Bundle":
            yield SourceItem(
                0,
                None,
                f"a single resource larger than {limits.memory_bytes // MIB} MiB "
                "(setting ingest_memory_mb)",
            )
            return
        with _open(path) as stream:
            for index, entry in enumerate(ijson.items(stream, "entry.item", use_float=True)):
                resource = entry.get("resource") if isinstance(entry, dict) else None
                yield _checked(index, resource)
    except ijson.JSONError:
        yield SourceItem(index + 1, None, f"not valid JSON (after entry {index + 1})")


def _json_error(exc: orjson.JSONDecodeError) -> str:
    """Where the JSON breaks, without quoting it."""
    return f"not valid JSON (line {exc.lineno}, column {exc.colno})"


def _checked(position: int, resource: Any) -> SourceItem:
    if not isinstance(resource, dict):
        return SourceItem(position, None, "entry is not a JSON object with a resource")
    if not isinstance(resource.get("resourceType"), str):
        return SourceItem(position, resource, "resource has no resourceType")
    if not isinstance(resource.get("id"), str) or not resource["id"]:
        return SourceItem(position, resource, "resource has no id")
    return SourceItem(position, resource)
