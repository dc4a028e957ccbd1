"""Import the FDA's list of AI-enabled medical devices as observatory entries.

The six columns of the FDA file (Date of Final Decision, Submission Number, Device,
Company, Panel (Lead), Primary Product Code) become a tool entry each, keyed by
``fda:<submission number>`` so a re-import changes nothing unless the FDA changed the
row. The category of use comes from ``fda_mapping.toml`` (product code first, then the
lead panel); the FDA panel itself is kept on the entry. A row whose panel has no
category is imported as *unclassified* and listed in the report; a row that cannot be
read (missing field, bad date) is rejected with its line and reason, and the rest goes on.
"""

from __future__ import annotations

import csv
import hashlib
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from socle.errors import InputError
from socle.observatory.model import DeviceStatus, FdaStatus, ToolData, problems
from socle.observatory.registry import Registry
from socle.observatory.taxonomy import UNCLASSIFIED

COLUMNS = ("Date of Final Decision", "Submission Number", "Device", "Company", "Panel (Lead)",
           "Primary Product Code")  # fmt: skip
_C1 = re.compile("[\u0080-\u009f]")


@dataclass(frozen=True)
class Unmapped:
    submission: str
    panel: str
    product_code: str


@dataclass
class FdaImport:
    """What an import did; ``rows`` = created + revised + unchanged + rejected."""

    rows: int = 0
    created: int = 0
    revised: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    unmapped: list[Unmapped] = field(default_factory=list)
    by_category: Counter[str] = field(default_factory=Counter)
    batch: str = ""


@dataclass(frozen=True)
class FdaMapping:
    version: int
    product_codes: dict[str, str]  # code -> category
    panels: dict[str, tuple[str, str]]  # panel -> (category or "", speciality)

    def category(self, panel: str, product_code: str) -> str | None:
        if product_code in self.product_codes:
            return self.product_codes[product_code]
        found = self.panels.get(panel)
        return found[0] or None if found else None

    def speciality(self, panel: str) -> str:
        found = self.panels.get(panel)
        return found[1] if found else ""


@cache
def load_fda_mapping() -> FdaMapping:
    text = resources.files("socle.observatory").joinpath("fda_mapping.toml").read_text()
    data = tomllib.loads(text)
    return FdaMapping(
        int(data["version"]),
        {code: str(v["category"]) for code, v in data["product_codes"].items()},
        {panel: (str(v["category"]), str(v["speciality"])) for panel, v in data["panels"].items()},
    )


def pathway(submission: str) -> str:
    """The FDA pathway named by the submission number's prefix."""
    if submission.startswith("DEN"):
        return "De Novo"
    if submission.startswith("K"):
        return "510(k)"
    if submission.startswith("P"):
        return "PMA"
    return "other"


def clean(text: str) -> str:
    """Undo the file's mojibake: C1 control characters stand for their Windows-1252 glyph."""
    return _C1.sub(lambda m: bytes([ord(m.group())]).decode("cp1252", "replace"), text).strip()


def read_fda_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(line, row) of each record of the file, its text cleaned."""
    if not path.is_file():
        raise InputError(f"'{path}' is not a file; give the FDA list (aiml-devices.csv)")
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(
                f"{path.name}: not the FDA list's format; missing {', '.join(missing)}"
            )
        rows = [
            (n + 2, {k: clean(v or "") for k, v in r.items() if k}) for n, r in enumerate(reader)
        ]
    return rows


def to_entry(row: dict[str, str], mapping: FdaMapping) -> tuple[ToolData, bool]:
    """One FDA row as an entry, and whether its category was mapped."""
    empty = [c for c in COLUMNS[:5] if not row.get(c)]
    if empty:
        raise ValueError(f"empty {', '.join(empty)}")
    try:
        decided = datetime.strptime(row["Date of Final Decision"], "%m/%d/%Y").date()
    except ValueError:
        raise ValueError(f"date '{row['Date of Final Decision']}' is not MM/DD/YYYY") from None
    panel, code = row["Panel (Lead)"], row.get("Primary Product Code", "")
    category = mapping.category(panel, code)
    try:
        fda = FdaStatus(submission=row["Submission Number"], pathway=pathway(row["Submission Number"]),  # type: ignore[arg-type]
                    decision_date=decided, panel=panel, product_code=code)  # fmt: skip
    except ValidationError as exc:
        raise ValueError(problems(exc)) from None
    try:
        tool = ToolData(
            name=row["Device"], maker=row["Company"], category=category or UNCLASSIFIED,
            speciality=mapping.speciality(panel),
            device=DeviceStatus(regulatory_status="authorised", fda=fda),
        )  # fmt: skip
    except ValidationError as exc:
        raise ValueError(problems(exc)) from None
    return tool, category is not None


def import_fda(path: Path, registry: Registry, *, actor: str, role: str) -> FdaImport:
    """Import (or re-import) the FDA list; idempotent, atomic, with a report."""
    mapping = load_fda_mapping()
    rows = read_fda_rows(path)
    report = FdaImport(rows=len(rows))
    report.batch = "fda-" + hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    items: list[tuple[str | None, Any]] = []
    seen: set[str] = set()
    for line, row in rows:
        try:
            tool, mapped = to_entry(row, mapping)
        except ValueError as exc:
            report.rejected.append(
                (line, f"submission {row.get('Submission Number') or '?'}: {exc}")
            )
            continue
        ref = f"fda:{row['Submission Number']}"
        if ref in seen:
            report.rejected.append((line, f"submission {row['Submission Number']} appears twice"))
            continue
        seen.add(ref)
        if not mapped:
            report.unmapped.append(Unmapped(row["Submission Number"], row["Panel (Lead)"],
                                            row.get("Primary Product Code", "")))  # fmt: skip
        report.by_category[tool.category] += 1
        items.append((ref, tool))
    result = registry.submit_batch(items, actor=actor, role=role, source="fda",
                                   note=f"FDA list, mapping v{mapping.version}", batch=report.batch)  # fmt: skip
    report.created, report.revised, report.unchanged = (
        len(result.created), len(result.revised), len(result.unchanged))  # fmt: skip
    return report
