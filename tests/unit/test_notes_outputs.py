"""note_text is a high-risk variable: its own justification, never in an output."""

from __future__ import annotations

from socle.catalog import high_risk
from socle.node import Node
from socle.release import Output, Population, check_output, counts_table, load_policy
from tests.helpers import make_request

EVERYONE = Population("test population", 1000)

LONG = (
    "Symptoms of emergency visits are only written in the notes; we count them with a "
    "keyword model and publish counts per month."
)


def _checks(node: Node, justification: str, outputs: tuple[str, ...]) -> dict[str, object]:
    dataset = node.catalog.register(
        node.warehouse, title="t", description="d", publisher="p", actor="s"
    ).id
    request = make_request(
        node, dataset, variables=(("note", "note_text"),), justification=justification,
        output_types=outputs,
    )  # fmt: skip
    request_id = node.governance.create(request, actor="r")
    return {c.name: c for c in node.governance.submit(request_id, actor="r")}


def test_the_catalogue_marks_note_text_as_high_risk(loaded: Node) -> None:
    assert high_risk("note", "note_text") and not high_risk("person", "year_of_birth")
    dataset = loaded.catalog.register(
        loaded.warehouse, title="t", description="d", publisher="p", actor="s"
    )
    [variable] = [v for v in dataset.variables if (v.table, v.column) == ("note", "note_text")]
    assert variable.description.startswith("HIGH RISK")


def test_note_text_needs_its_own_long_justification(loaded: Node) -> None:
    short = _checks(loaded, "We need the notes for the study.", ("aggregates",))
    assert not short["high_risk_variables"].passed  # type: ignore[attr-defined]
    assert "note.note_text is high-risk" in short["high_risk_variables"].reason  # type: ignore[attr-defined]
    assert _checks(loaded, LONG, ("aggregates",))["high_risk_variables"].passed  # type: ignore[attr-defined]


def test_note_text_cannot_be_requested_as_an_extract(loaded: Node) -> None:
    checks = _checks(loaded, LONG, ("aggregates", "pseudonymised_extract"))
    assert not checks["high_risk_variables"].passed  # type: ignore[attr-defined]
    assert "cannot leave as rows" in checks["high_risk_variables"].reason  # type: ignore[attr-defined]


def test_a_table_carrying_note_text_fails_the_release_checks() -> None:
    note = "Jane is a 45 year-old woman.\nShe came for a cough."
    by_text = counts_table(["note_text"], [(note, 40), ("other", 30)])
    report = check_output(Output("t", "frequency_table", by_text, EVERYONE), load_policy())
    assert report.status == "fail"
    assert any(c.name == "free_text" and "note_text" in c.reason for c in report.checks)
    by_label = counts_table(["symptom"], [("x" * 200, 40), ("cough", 30)])
    report = check_output(Output("t", "frequency_table", by_label, EVERYONE), load_policy())
    assert report.status == "fail"
    plain = counts_table(["symptom"], [("fever", 40), ("cough", 30)])
    report = check_output(Output("t", "frequency_table", plain, EVERYONE), load_policy())
    assert not any(c.name == "free_text" for c in report.checks)
