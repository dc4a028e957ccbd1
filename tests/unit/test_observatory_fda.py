"""The FDA list of AI-enabled devices as observatory entries: mapped, idempotent, reported."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from socle.errors import InputError
from socle.node import Node
from socle.observatory import ToolData, load_fda_mapping
from tests.conftest import REPO, shared_data

HEADER = (
    "Date of Final Decision,Submission Number,Device,Company,Panel (Lead),Primary Product Code\n"
)


@pytest.fixture(scope="module")
def fda_csv() -> Path:
    return shared_data("fda-ai-devices") / "aiml-devices.csv"


def test_the_fda_list_imports_every_device_once_and_a_rerun_changes_nothing(
    node: Node, fda_csv: Path
) -> None:
    first = node.observatory.import_fda(fda_csv, actor="steward@h", role="data_steward")
    assert (first.rows, first.created, first.rejected) == (1524, 1524, [])
    assert sum(first.by_category.values()) == 1524
    events = len(list(node.audit.events()))
    again = node.observatory.import_fda(fda_csv, actor="steward@h", role="data_steward")
    assert (again.created, again.revised, again.unchanged) == (0, 0, 1524)
    assert len(node.observatory.registry.entry_ids(source="fda")) == 1524
    assert len(list(node.audit.events())) == events + 1  # only the import's own record
    # what could not be mapped is reported, with the FDA panel kept
    assert {u.panel for u in first.unmapped} == {"General Hospital"}
    assert first.by_category["unclassified"] == len(first.unmapped) == 5


def test_fda_devices_keep_maker_panel_date_pathway_and_get_a_category(
    node: Node, fda_csv: Path
) -> None:
    node.observatory.import_fda(fda_csv, actor="steward@h", role="data_steward")
    reg = node.observatory.registry

    def data(submission: str) -> ToolData:
        found = reg.by_ref(f"fda:{submission}")
        assert found is not None and isinstance(found.data, ToolData)
        return found.data

    aorta = data("K254207")
    assert (aorta.name, aorta.maker, aorta.category) == (
        "AiORTA - Plan v2.0",
        "ViTAA Medical Solutions, Inc.",
        "imaging",
    )
    assert aorta.device.fda is not None
    assert (aorta.device.fda.panel, aorta.device.fda.pathway, str(aorta.device.fda.decision_date),
            aorta.device.fda.product_code) == ("Radiology", "510(k)", "2026-03-30", "QIH")  # fmt: skip
    assert aorta.device.regulatory_status == "authorised" and aorta.speciality == "radiology"
    assert data("K252360").category == "diagnosis"  # Cardiovascular panel
    triage = [e for e in reg.entries(limit=2000) if isinstance(e.data, ToolData)
              and e.data.device.fda and e.data.device.fda.product_code == "QAS"]  # fmt: skip
    assert triage and all(
        isinstance(e.data, ToolData) and e.data.category == "triage" for e in triage
    )
    de_novo = [e for e in reg.entries(limit=2000) if (e.external_ref or "").startswith("fda:DEN")]
    assert de_novo and all(e.data.device.fda.pathway == "De Novo" for e in de_novo)  # type: ignore[union-attr]
    names = " ".join(e.data.name for e in reg.entries(limit=2000))
    assert "\x99" not in names and "™" in names  # Windows-1252 mojibake undone


def test_bad_rows_are_rejected_with_line_and_reason_and_the_rest_loads(
    node: Node, tmp_path: Path
) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        HEADER
        + "01/02/2024,K000001,Good device,Maker A,Radiology,LLZ\n"
        + "2024-02-01,K000002,Bad date,Maker B,Radiology,LLZ\n"
        + "01/02/2024,K000003,,Maker C,Radiology,LLZ\n"
        + "01/02/2024,K000004,Odd panel,Maker D,Veterinary,XYZ\n"
        + "01/02/2024,K000001,Duplicate,Maker A,Radiology,LLZ\n"
    )
    report = node.observatory.import_fda(path, actor="steward@h", role="data_steward")
    assert report.created == 2
    assert [line for line, _ in report.rejected] == [3, 4, 6]
    assert "K000002" in report.rejected[0][1] and "MM/DD/YYYY" in report.rejected[0][1]
    assert "empty Device" in report.rejected[1][1]
    assert [(u.submission, u.panel) for u in report.unmapped] == [("K000004", "Veterinary")]


def test_a_file_that_is_not_the_fda_list_is_refused(node: Node, tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="missing Date of Final Decision"):
        node.observatory.import_fda(path, actor="steward@h", role="data_steward")


def test_every_fda_panel_is_in_the_documented_mapping(fda_csv: Path) -> None:
    mapping = load_fda_mapping()
    with fda_csv.open(newline="", encoding="utf-8-sig") as f:
        panels = {row["Panel (Lead)"] for row in csv.DictReader(f)}
    assert panels <= set(mapping.panels)
    documented = (REPO / "docs" / "observatory.md").read_text()
    assert all(f"| {p} |" in documented for p in mapping.panels)


def test_the_demo_ships_the_same_fda_list_as_the_shared_data(fda_csv: Path) -> None:
    shipped = REPO / "data" / "fda-ai-devices" / "aiml-devices.csv"
    assert hashlib.sha256(shipped.read_bytes()).digest() == hashlib.sha256(
        fda_csv.read_bytes()).digest()  # fmt: skip
