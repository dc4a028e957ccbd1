"""Reading input: FHIR Bundles (.json), Bulk Data NDJSON (.ndjson), Synthea CSV; gzipped or not.

The reader never raises on bad content: an unreadable file or line becomes a
:class:`SourceItem` with an ``error``, so the loader can quarantine it and go on.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from socle.ingest.errors import NoInputError
from socle.ingest.synthea_csv import CONVERTERS, csv_rows

SUFFIXES = (".json", ".json.gz", ".ndjson", ".ndjson.gz")
CSV_NAMES = frozenset(CONVERTERS) | frozenset(f"{n}.gz" for n in CONVERTERS)


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


def input_files(path: Path) -> list[Path]:
    """The FHIR files at ``path`` (a file or a directory, searched recursively)."""
    if not path.exists():
        raise NoInputError(f"input path {path} does not exist")
    if path.is_file():
        return [path]
    files = sorted(
        p
        for p in path.rglob("*")
        if p.is_file() and (p.name.endswith(SUFFIXES) or p.name in CSV_NAMES)
    )
    if not files:
        raise NoInputError(
            f"input directory {path} holds no FHIR files (expected {', '.join(SUFFIXES)}) "
            "nor Synthea CSV files (patients.csv, ...)"
        )
    return files


def read_file(path: Path) -> Iterator[SourceItem]:
    """Resources of one file, in order; positions are entry indexes or 1-based line numbers."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    except (EOFError, gzip.BadGzipFile, zlib.error):
        yield SourceItem(0, None, "cannot read file: not a complete gzip stream")
        return
    except OSError as exc:  # its message names the file, whose name may be a patient's
        yield SourceItem(0, None, f"cannot read file: {exc.strerror or type(exc).__name__}")
        return
    if path.name in CSV_NAMES:
        for line, resource, error in csv_rows(path.name.removesuffix(".gz"), raw):
            yield SourceItem(line, None, error) if error else _checked(line, resource)
    elif ".ndjson" in path.name:
        yield from _ndjson(raw)
    else:
        yield from _json(raw)


def _ndjson(raw: bytes) -> Iterator[SourceItem]:
    for number, line in enumerate(raw.splitlines(), start=1):
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
