"""Import and export: JSON and CSV entries, DCAT JSON-LD for databases, a JSON Feed.

Pure conversions between entries and files; the registry stores what they parse. The
CSV format (one row per entry, flat columns) is documented in docs/observatory.md; the
JSON format is the entry model itself and also carries evidence, deployments and
incidents. Exports hold published versions only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from socle.observatory.errors import ObservatoryError
from socle.observatory.model import DatabaseData, EntryData, LiveFigures, ToolData, parse_entry
from socle.observatory.registry import PublishedEntry

TOOL_COLUMNS = (
    "ref", "kind", "name", "maker", "version", "category", "speciality", "intended_use",
    "population", "setting", "ai_act_risk", "ai_act_role", "regulatory_status", "mdr_class",
    "ce_mark", "notified_body", "fda_submission", "fda_pathway", "fda_decision_date",
    "fda_panel", "fda_product_code", "deployment_sites", "human_guarantee",
)  # fmt: skip
DATABASE_COLUMNS = (
    "description",
    "sector",
    "coverage",
    "access_rights",
    "access_conditions",
    "url",
)
CSV_COLUMNS = TOOL_COLUMNS + DATABASE_COLUMNS


def parse_json(text: str | bytes) -> list[tuple[str | None, EntryData]]:
    """A JSON list of entries (each may carry a ``ref`` used to re-import idempotently)."""
    try:
        raw = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ObservatoryError(f"the file is not JSON ({exc})") from None
    if not isinstance(raw, list):
        raise ObservatoryError("give a JSON list of entries")
    items: list[tuple[str | None, EntryData]] = []
    for n, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise ObservatoryError(f"entry #{n}: not a JSON object")
        ref = item.pop("ref", None)
        items.append((str(ref) if ref else None, parse_entry(item, record=f"entry #{n}")))
    return items


def parse_csv(text: str) -> tuple[list[tuple[str | None, EntryData]], list[tuple[int, str]]]:
    """Entries of a CSV in the documented format, and the lines refused with their reason."""
    reader = csv.DictReader(io.StringIO(text))
    unknown = sorted(set(reader.fieldnames or ()) - set(CSV_COLUMNS))
    if unknown or "name" not in (reader.fieldnames or ()):
        raise ObservatoryError(
            f"not the observatory CSV format; unknown columns {', '.join(unknown) or 'none'}, "
            f"columns are {', '.join(CSV_COLUMNS)}"
        )
    items: list[tuple[str | None, EntryData]] = []
    refused: list[tuple[int, str]] = []
    for line, row in enumerate(reader, start=2):
        values = {k: (v or "").strip() for k, v in row.items() if k}
        try:
            items.append(
                (values.get("ref") or None, parse_entry(_nest(values), record=f"line {line}"))
            )
        except ObservatoryError as exc:
            refused.append((line, exc.message))
    return items, refused


def _nest(v: dict[str, str]) -> dict[str, Any]:
    def given(*keys: str) -> dict[str, Any]:
        return {k: v[k] for k in keys if v.get(k)}

    if v.get("kind") == "database":
        return {"kind": "database", **given("name", "maker", *DATABASE_COLUMNS)}
    device: dict[str, Any] = given("regulatory_status", "mdr_class", "notified_body")
    if v.get("ce_mark"):
        device["ce_mark"] = v["ce_mark"].lower() in ("yes", "true", "1")
    if v.get("fda_submission"):
        device["fda"] = {
            "submission": v["fda_submission"], "pathway": v.get("fda_pathway") or "other",
            "decision_date": v.get("fda_decision_date"), "panel": v.get("fda_panel", ""),
            "product_code": v.get("fda_product_code", ""),
        }  # fmt: skip
    tool: dict[str, Any] = {
        "kind": "tool",
        **given("name", "maker", "version", "category", "speciality", "intended_use",
                "population", "setting", "ai_act_risk", "ai_act_role"),
        "device": device,
    }  # fmt: skip
    if v.get("deployment_sites"):
        tool["deployments"] = [
            {"site": s.strip()} for s in v["deployment_sites"].split(";") if s.strip()
        ]
    if v.get("human_guarantee"):
        tool["human_guarantee"] = {"arrangement": v["human_guarantee"]}
    return tool


def public_json(entry: PublishedEntry, live: LiveFigures | None = None) -> dict[str, Any]:
    """One published entry as the public sees it."""
    result: dict[str, Any] = {
        "id": entry.id, "version": entry.version, "published_at": entry.published_at,
        "reviewed_by": entry.reviewed_by, "source": entry.source, "ref": entry.external_ref,
        "data": entry.data.model_dump(mode="json"),
    }  # fmt: skip
    if live is not None:
        result["live"] = live.model_dump(mode="json")
    return result


def export_json(entries: Sequence[PublishedEntry], live: Mapping[str, LiveFigures]) -> bytes:
    return orjson.dumps(
        [public_json(e, live.get(e.id)) for e in entries], option=orjson.OPT_INDENT_2
    )


def export_csv(entries: Sequence[PublishedEntry]) -> str:
    """Published entries in the documented CSV format (plus id, version, published_at)."""
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=("id", "published_version", "published_at", *CSV_COLUMNS)
    )
    writer.writeheader()
    for e in entries:
        row: dict[str, Any] = {"id": e.id, "published_version": e.version,
                               "published_at": e.published_at, "ref": e.external_ref or ""}  # fmt: skip
        row.update(_flat(e.data))
        writer.writerow(row)
    return out.getvalue()


def _flat(data: EntryData) -> dict[str, Any]:
    if isinstance(data, DatabaseData):
        return {"kind": "database", "name": data.name, "maker": data.maker,
                **{k: getattr(data, k) for k in DATABASE_COLUMNS}}  # fmt: skip
    d, fda = data.device, data.device.fda
    return {
        "kind": "tool", "name": data.name, "maker": data.maker, "version": data.version,
        "category": data.category, "speciality": data.speciality,
        "intended_use": data.intended_use, "population": data.population,
        "setting": data.setting, "ai_act_risk": data.ai_act_risk,
        "ai_act_role": data.ai_act_role, "regulatory_status": d.regulatory_status,
        "mdr_class": d.mdr_class, "ce_mark": "" if d.ce_mark is None else str(d.ce_mark).lower(),
        "notified_body": d.notified_body,
        "fda_submission": fda.submission if fda else "", "fda_pathway": fda.pathway if fda else "",
        "fda_decision_date": fda.decision_date.isoformat() if fda else "",
        "fda_panel": fda.panel if fda else "", "fda_product_code": fda.product_code if fda else "",
        "deployment_sites": "; ".join(x.site for x in data.deployments),
        "human_guarantee": data.human_guarantee.arrangement,
    }  # fmt: skip


def databases_dcat(entries: Sequence[PublishedEntry], catalogue: dict[str, Any]) -> dict[str, Any]:
    """The database map as DCAT JSON-LD: this node's catalogue graph plus declared databases."""
    graph = list(catalogue.get("@graph", []))
    nodes = []
    for e in entries:
        if not isinstance(e.data, DatabaseData) or e.data.catalogue_dataset:
            continue  # catalogue datasets are already in the node's own graph
        d = e.data
        node: dict[str, Any] = {
            "@id": f"urn:socle:observatory:{e.id}", "@type": "dcat:Dataset",
            "dct:identifier": e.id, "dct:title": d.name, "dct:description": d.description,
            "dct:publisher": {"@type": "foaf:Agent", "foaf:name": d.maker},
            "dct:accessRights": {"@id": "http://publications.europa.eu/resource/authority/"
                                 f"access-right/{d.access_rights.upper().replace('-', '_')}"},
            "dcat:keyword": [d.sector] if d.sector else [],
        }  # fmt: skip
        if d.coverage:
            node["healthdcatap:populationCoverage"] = d.coverage
        if d.access_conditions:
            node["dct:rights"] = d.access_conditions
        if d.url:
            node["dcat:landingPage"] = {"@id": d.url}
        if d.temporal_start or d.temporal_end:
            node["dct:temporal"] = {"@type": "dct:PeriodOfTime",
                                    "dcat:startDate": str(d.temporal_start or ""),
                                    "dcat:endDate": str(d.temporal_end or "")}  # fmt: skip
        nodes.append(node)
    catalog_node = next((n for n in graph if n.get("@type") == "dcat:Catalog"), None)
    if catalog_node is not None:
        catalog_node.setdefault("dcat:dataset", []).extend({"@id": n["@id"]} for n in nodes)
    return {"@context": catalogue.get("@context", {}), "@graph": graph + nodes}


def feed(entries: Sequence[PublishedEntry], *, title: str, limit: int = 50) -> dict[str, Any]:
    """A JSON Feed 1.1 of the latest publications (newest first)."""
    latest = sorted(entries, key=lambda e: (e.published_at, e.id), reverse=True)[:limit]
    return {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "items": [
            {
                "id": f"urn:socle:observatory:{e.id}:v{e.version}",
                "title": f"{e.data.name} ({e.data.maker}), version {e.version}",
                "content_text": _summary(e.data),
                "date_published": e.published_at,
                "tags": [e.kind, getattr(e.data, "category", "database")],
                "_socle": {"entry": e.id, "version": e.version, "source": e.source},
            }
            for e in latest
        ],
    }


def _summary(data: EntryData) -> str:
    if isinstance(data, ToolData):
        return (f"{data.category} tool; regulatory status {data.device.regulatory_status}; "
                f"{len(data.evidence)} stud{'y' if len(data.evidence) == 1 else 'ies'}, "
                f"{len(data.deployments)} deployment(s)")  # fmt: skip
    return f"health database; access {data.access_rights}"
