"""Import and export of the map (JSON, CSV, DCAT, feed) and vigilance alerts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson
import pytest

from socle.node import Node
from socle.observatory import (
    DatabaseData,
    DeviceStatus,
    FdaStatus,
    Incident,
    LiveFigures,
    WorkflowError,
    packaged_method_text,
    parse_method,
)
from socle.observatory.vigilance import alerts
from tests.unit.observatory_helpers import publish, study, tool

CSV = """ref,kind,name,maker,category,speciality,regulatory_status,ce_mark,deployment_sites,human_guarantee,access_rights,coverage
hosp-1,tool,Fracture finder,Bones Ltd,imaging,radiology,authorised,yes,Site A; Site B,declared,,
hosp-2,tool,Mystery,Nobody,astrology,,,,,,,
reg-1,database,Regional cancer registry,Region,,,,,,,restricted,All cancers since 2000
"""


def test_csv_import_follows_the_documented_format_and_refuses_bad_lines(
    node: Node, tmp_path: Path
) -> None:
    path = tmp_path / "list.csv"
    path.write_text(CSV)
    result = node.observatory.import_file(path, actor="steward@h", role="data_steward")
    assert len(result.batch.created) == 2
    [(line, reason)] = result.refused
    assert line == 3 and "category" in reason and "astrology" in reason
    again = node.observatory.import_file(path, actor="steward@h", role="data_steward")
    assert len(again.batch.unchanged) == 2  # idempotent by ref
    entry = node.observatory.registry.by_ref("hosp-1")
    assert entry is not None and entry.state == "submitted"
    assert [d.site for d in entry.data.deployments] == ["Site A", "Site B"]  # type: ignore[union-attr]


def test_exports_hold_published_entries_only(node: Node, tmp_path: Path) -> None:
    reg = node.observatory.registry
    published = publish(node, tool("Published tool", evidence=(study(),)))
    reg.submit(tool("Secret draft"), actor="maker@acme", role="maker")
    reg.submit(DatabaseData(name="Draft registry", maker="Region"), actor="s", role="data_steward")
    db = publish(
        node,
        DatabaseData(  # type: ignore[arg-type]
            name="Open registry",
            maker="Region",
            access_rights="public",
            coverage="All births since 2010",
        ),
    )
    exported = orjson.loads(node.observatory.export("json"))
    assert {e["id"] for e in exported} == {published, db}
    assert "Secret draft" not in node.observatory.export("csv").decode()
    feed = node.observatory.feed()
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert {i["_socle"]["entry"] for i in feed["items"]} == {published, db}
    dcat = node.observatory.dcat()
    titles = [n.get("dct:title") for n in dcat["@graph"]]
    assert "Open registry" in titles and "Draft registry" not in titles
    json_path = tmp_path / "entries.json"
    json_path.write_bytes(orjson.dumps([{**e["data"], "ref": f"copy-{e['id']}"} for e in exported]))
    copied = node.observatory.import_file(json_path, actor="steward@h", role="data_steward")
    assert len(copied.batch.created) == 2  # a JSON export re-imports as new submissions


def test_vigilance_alerts_on_stale_evidence_status_change_incidents_and_overrides() -> None:
    method = parse_method(packaged_method_text(1))
    fda = FdaStatus(submission="K1", pathway="510(k)", decision_date=date(2020, 1, 1),
                    panel="Radiology")  # fmt: skip
    before = tool("Tool", evidence=(study(year=2018),), device=DeviceStatus(
        regulatory_status="authorised", fda=fda))  # fmt: skip
    after = before.model_copy(update={
        "device": DeviceStatus(regulatory_status="under_assessment", fda=fda),
        "incidents": (Incident(on=date(2025, 5, 1), severity="serious", description="missed"),),
    })  # fmt: skip

    def figures(decided: int, overridden: int, day: str) -> LiveFigures:
        return LiveFigures(taken_at=day, predictions=decided, decided=decided, pending=0,
                           overridden=overridden, override_rate=overridden / decided,
                           drift_alerts=2)  # fmt: skip

    live = {"e1": [figures(40, 4, "2026-01-01"), figures(50, 20, "2026-02-01")]}
    found = alerts(method, {"e1": (before, after)}, live, date(2026, 6, 1))
    assert {a.kind for a in found} == {
        "stale_evidence",
        "regulatory_change",
        "incident",
        "drift",
        "overrides_high",
        "overrides_rising",
    }
    calm = alerts(method, {"e1": (None, tool("Fresh", evidence=(study(year=2025),)))}, {},
                  date(2026, 6, 1))  # fmt: skip
    assert calm == []


def test_live_figures_hide_small_counts_and_round_the_others() -> None:
    from socle.observatory.live import checked_figures

    few = checked_figures("2026-01-01", 2, 1, 1, 0, 10, 5)
    assert (few.predictions, few.decided, few.pending, few.overridden) == (None, None, None, None)
    assert few.override_rate is None
    many = checked_figures("2026-01-01", 123, 41, 82, 13, 10, 5)
    assert (many.predictions, many.decided, many.pending, many.overridden) == (125, 40, 80, 15)
    assert many.override_rate == 0.3  # 13/41 to the nearest 5%


def test_the_report_shows_published_entries_only_with_three_plots(
    node: Node, tmp_path: Path
) -> None:
    publish(node, tool("Published tool", evidence=(study("prospective"),)))
    node.observatory.registry.submit(tool("Secret draft"), actor="maker@acme", role="maker")
    node.observatory.rankings.ensure_method(actor="board", role="observatory_reviewer")
    html = node.observatory.report(tmp_path).read_text()
    assert html.count("data:image/png;base64,") == 3
    assert "Published tool" in html and "Secret draft" not in html
    assert "no data" in html  # criteria without data say so


def test_an_import_naming_a_reference_twice_is_refused_whole(node: Node, tmp_path: Path) -> None:
    path = tmp_path / "twice.csv"
    path.write_text("ref,name,maker,category\nr1,A,M,imaging\nr1,B,M,imaging\n")
    with pytest.raises(WorkflowError, match="r1 appear twice"):
        node.observatory.import_file(path, actor="steward@h", role="data_steward")
    assert node.observatory.registry.entry_ids() == []
